//! Labelling help: which comments to label next ([`suggest`]) and which given labels
//! look wrong ([`audit`], which trains out-of-fold heads). Imports from the crate:
//! `error`, `metrics`, `io`, `head`, `train`.

pub mod audit;
pub mod suggest;

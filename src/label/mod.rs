//! Labelling help: which comments to label next ([`suggest`]) and which given labels
//! look wrong ([`audit`]).

pub mod audit;
pub mod suggest;

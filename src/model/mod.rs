//! The model stage, on feature vectors: the sparse softmax regression ([`linear`];
//! the text heads' fits run the dual coordinate descent of [`dual_cd`]), the
//! calibration of its logits ([`calibrate`]) and the small dense softmax over other
//! heads' outputs ([`stack`]). Every fit is the same bits on every machine (fixed-order
//! sums, `libm`). Imports from the crate: `error`, `io` (file records), and
//! `features::bucket_table` (the store the weights live in).

pub mod calibrate;
pub mod dual_cd;
pub mod linear;
pub mod stack;

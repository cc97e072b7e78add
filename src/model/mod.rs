//! Stage 3: the model proper, on feature vectors: the sparse softmax regression
//! ([`linear`]), the calibration of its logits ([`calibrate`]) and the small dense
//! softmax over other heads' outputs ([`stack`]).

pub mod calibrate;
pub mod linear;
pub mod stack;

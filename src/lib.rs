//! comment-stance: stance, moderation and sentiment for news comment sections.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`text`] (+ [`obfuscation`]): raw comment → normalized tokens (Hugging Face
//!    `tokenizers` normalizers and pre-tokenizer, placeholders, hashtag splitting,
//!    obfuscation folding).
//! 2. [`features`]: tokens → hashed word and character n-grams, TF-IDF, target crossing.
//! 3. [`linear`]: sparse multinomial logistic regression on linfa's traits.
//! 4. [`calibrate`]: logits → calibrated probabilities (Platt / temperature).
//! 5. [`model`]: the fitted head and its self-contained file; [`train`] builds one.
//! 6. [`policy`]: probabilities → approve / review / reject, with reasons.
//! 7. [`score`]: streaming, parallel, order-keeping scoring and output forms;
//!    [`eval`] and [`metrics`]: evaluation; [`report`]: HTML / Markdown / JSON
//!    evaluation reports and model comparisons; [`thread`]: reading the thread,
//!    with a [`stack`]ed combination of heads.
//! 8. [`retrain`]: retraining a model on new labels; [`suggest`]: which comments to
//!    label next; [`audit`]: likely label errors.
//!
//! [`io`] and [`compress`] read and write the data; [`cli`] holds what the thin
//! binaries share.

#![deny(missing_docs)]

pub mod audit;
pub mod bucket_table;
pub mod calibrate;
pub mod cli;
pub mod compress;
pub mod error;
pub mod eval;
pub mod features;
pub mod io;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod obfuscation;
pub mod policy;
pub mod report;
pub mod retrain;
pub mod score;
pub mod stack;
pub mod suggest;
pub mod text;
pub mod thread;
pub mod token_memo;
pub mod train;

pub use error::{Error, Result};
pub use model::Model;

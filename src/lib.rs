//! comment-stance: stance, moderation and sentiment for news comment sections.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`text`] (+ [`text::obfuscation`]): raw comment → normalized tokens (Hugging Face
//!    `tokenizers` normalizers and pre-tokenizer, placeholders, hashtag splitting,
//!    obfuscation folding).
//! 2. [`features`]: tokens → hashed word and character n-grams, TF-IDF, target crossing.
//! 3. [`model::linear`]: sparse multinomial logistic regression on linfa's traits.
//! 4. [`model::calibrate`]: logits → calibrated probabilities (Platt / temperature).
//! 5. [`head`]: the fitted head and its self-contained file; [`train`] builds one.
//! 6. [`policy`]: probabilities → approve / review / reject, with reasons.
//! 7. [`score`]: streaming, parallel, order-keeping scoring and output forms;
//!    [`eval`] and [`metrics`]: evaluation; [`report`]: HTML / Markdown / JSON
//!    evaluation reports and model comparisons; [`thread`]: reading the thread,
//!    with a [`model::stack`]ed combination of heads.
//! 8. [`train::retrain`]: retraining a model on new labels; [`label::suggest`]: which comments to
//!    label next; [`label::audit`]: likely label errors.
//!
//! [`io`] and [`io::compress`] read and write the data; [`cli`] holds what the thin
//! binaries share.

#![deny(missing_docs)]
// One exception, allowed where it stands: the cache prefetch hint in
// `features::bucket_table::prefetch` (see its SAFETY comment).
#![deny(unsafe_code)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod error;
pub mod eval;
pub mod features;
pub mod head;
pub mod io;
pub mod label;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod report;
pub mod score;
pub mod text;
pub mod thread;
pub mod train;

pub use error::{Error, Result};
pub use head::Head;

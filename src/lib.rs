//! comment-stance: stance, moderation and sentiment for news comment sections.
//!
//! One folder per stage, in the order a comment goes through them (the import rule and
//! the diagram are in `docs/architecture.md`; `tests/architecture.rs` enforces the rule):
//!
//! 1. [`text`]: a raw comment → normalized tokens (Hugging Face `tokenizers`
//!    normalizers, placeholders, hashtags, [`text::obfuscation`] folding, reply + parent
//!    pairs).
//! 2. [`features`]: tokens → hashed word and character n-grams, TF-IDF, target crossing.
//! 3. [`model`]: [`model::linear`] (sparse softmax regression on linfa's traits),
//!    [`model::calibrate`] (Platt / temperature), [`model::stack`] (a dense softmax over
//!    other heads' outputs).
//! 4. [`head`]: one fitted head ([`Head`]): text + features + model + calibration + card,
//!    its self-contained file, prediction and explanations.
//! 5. [`policy`]: probabilities → approve / review / reject, with reasons.
//! 6. [`thread`]: a reply read with its parent at scoring time.
//! 7. [`score`]: a stream of rows through several heads, in parallel, in order, written
//!    as CSV, JSONL or a table.
//! 8. [`train`]: labelled files → a head, [`train::retrain`] on new labels, the thread
//!    stacker's fit; [`label`]: what to label next and which labels look wrong.
//! 9. [`eval`]: a head on a labelled set → metrics; [`report`]: HTML / Markdown / JSON
//!    reports and comparisons.
//!
//! Beside them: [`error`], [`metrics`], and [`io`] (rows in, files out, the file records a
//! card keeps and the [`io::Progress`] observer: the library never prints). `cli`, behind
//! the default `cli` feature, holds what the thin binaries share; `serve` (feature
//! `serve`, on by default) is the HTTP scoring service behind `stance-serve`, which owns
//! the network.

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
#[cfg(feature = "serve")]
pub mod serve;
pub mod text;
pub mod thread;
pub mod train;

pub use error::{Error, Result};
pub use head::Head;

//! Prints each line of standard input as the text stage normalizes it, for looking at
//! what the obfuscation fold reads (scripts/fold-roundtrip.py):
//!
//! ```text
//! cargo run --release --example fold_lines [-- --fold-only] < LINES
//! ```
//!
//! Each output line is `INPUT -> NORMALIZED`; with `--fold-only`, the fold alone on the
//! lowercased line (no placeholders, no tokenization).
use comment_stance::text::{obfuscation, TextPipeline};
use std::io::{BufRead, Write};

fn main() {
    let fold_only = std::env::args().any(|a| a == "--fold-only");
    let pipeline = TextPipeline::new(&Default::default());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("standard input is UTF-8 text");
        let read = if fold_only {
            obfuscation::fold(&line.to_lowercase())
        } else {
            pipeline.normalize(&line)
        };
        writeln!(out, "{line} -> {read}").expect("write to standard output");
    }
}

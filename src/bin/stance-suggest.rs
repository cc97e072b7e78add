//! `stance-suggest`: the unlabelled comments most worth labelling next, as a CSV to fill in.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::cli::{self, TargetArgs};
use comment_stance::io::{read_all, write_csv, Progress};
use comment_stance::label::suggest::{self, Strategy};
use comment_stance::Head;

/// Pick the N comments whose labels would teach the model most (uncertainty sampling
/// with a near-duplicate guard). Output columns: id, text, target (when the model or
/// data has targets), predicted, confidence and an empty label column to fill in.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Model file.
    #[arg(long)]
    model: PathBuf,
    /// Unlabelled comments (CSV or JSONL by extension).
    #[arg(long)]
    data: String,
    /// How many comments to suggest.
    #[arg(long, default_value_t = 100)]
    n: usize,
    /// margin (smallest gap between the top two labels), entropy, or random.
    #[arg(long, value_enum, default_value = "margin")]
    strategy: Strategy,
    /// Seed of the random strategy.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    rows: TargetArgs,
    /// Output file (written atomically); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn run(a: Args) -> comment_stance::Result<()> {
    if let Some(p) = &a.out {
        comment_stance::io::check_writable(p)?;
    }
    let model = Head::load(&a.model)?;
    let read = read_all(
        &a.data,
        &a.rows.cols.columns(None),
        a.rows.cols.skip_bad_rows,
    )?;
    cli::StderrProgress::new(true).skipped_rows(&a.data, &read.bad);
    let rows = read.rows;
    let picks = suggest::suggest(
        &model,
        &rows,
        a.n,
        a.strategy,
        a.seed,
        a.rows.target.as_deref(),
    );
    let has_target = rows.iter().any(|r| r.target.is_some());
    let with_target = has_target || a.rows.target.is_some() || !model.targets.is_empty();
    let mut header = vec!["id", "text"];
    if with_target {
        header.push("target");
    }
    header.extend(["predicted", "confidence", "label"]);
    let records = picks.iter().map(|s| {
        let r = &rows[s.index];
        let mut rec = vec![r.id.clone(), r.text.clone()];
        if with_target {
            let target = a.rows.target.as_ref().or(r.target.as_ref());
            rec.push(target.cloned().unwrap_or_default());
        }
        rec.extend([
            s.predicted.clone(),
            format!("{:.4}", s.confidence),
            String::new(),
        ]);
        rec
    });
    write_csv(a.out.as_deref(), &header, records)?;
    if picks.len() < a.n {
        eprintln!(
            "stance-suggest: {} of {} rows suggested (the rest were near-duplicates or the data ran out)",
            picks.len(),
            a.n
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    cli::finish("stance-suggest", run(Args::parse()))
}

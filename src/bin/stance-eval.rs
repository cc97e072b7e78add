//! `stance-eval`: model + labelled set in, evaluation report out (terminal text,
//! `--json`, or `--out DIR` with report.html / metrics.json / report.md); with two
//! `--model`s, OLD vs NEW side by side with a verdict.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::cli::{self, LabelledColumnArgs};
use comment_stance::io::{Progress, ReadRows};
use comment_stance::report::{self, Options};
use comment_stance::{eval, Error, Head};

/// Evaluate a model on a labelled set, or compare two (`--model OLD --model NEW`).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Model file; give it twice (OLD then NEW) to compare two models.
    #[arg(long, required = true)]
    model: Vec<PathBuf>,
    /// Labelled file (CSV or JSONL).
    #[arg(long)]
    data: String,
    #[command(flatten)]
    cols: LabelledColumnArgs,
    /// Stance target for every row (overrides the target column).
    #[arg(long)]
    target: Option<String>,
    /// Print the metrics as one JSON object (the same object as DIR/metrics.json).
    #[arg(long)]
    json: bool,
    /// For binary flags: report the lowest threshold reaching this precision.
    #[arg(long, default_value_t = Options::default().min_precision)]
    min_precision: f64,
    /// Write report.html, metrics.json and report.md into this folder (created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the bootstrap confidence intervals.
    #[arg(long, default_value_t = Options::default().seed)]
    seed: u64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = Options::default().resamples)]
    resamples: usize,
    /// Slice the metrics by this column (e.g. language or identity term); binary
    /// flags also get Subgroup, BPSN and BNSP AUC per group.
    #[arg(long)]
    group_col: Option<String>,
}

fn print(text: &str) -> comment_stance::Result<()> {
    use std::io::Write;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}

fn run(a: Args) -> comment_stance::Result<()> {
    let mut columns = a.cols.columns();
    columns.group = a.group_col.clone();
    if a.resamples == 0 {
        return Err(Error::Params("--resamples must be at least 1".into()));
    }
    let o = Options {
        seed: a.seed,
        resamples: a.resamples,
        min_precision: a.min_precision,
    };
    match a.model.as_slice() {
        [one] => single(&a, &columns, &o, &Head::load(one)?),
        [old, new] => compare(&a, &columns, &o, &Head::load(old)?, &Head::load(new)?),
        _ => Err(Error::Params(
            "give --model once (evaluate) or twice (OLD then NEW: compare)".into(),
        )),
    }
}

/// The labelled rows to evaluate on; the rows skipped as malformed are reported.
fn read_rows(
    a: &Args,
    columns: &comment_stance::io::Columns,
    progress: &cli::StderrProgress,
) -> comment_stance::Result<ReadRows> {
    let skip_bad = a.cols.cols.skip_bad_rows;
    let read = report::load_rows(&a.data, columns, a.target.as_deref(), skip_bad)?;
    progress.skipped_rows(&a.data, &read.bad);
    Ok(read)
}

fn single(
    a: &Args,
    columns: &comment_stance::io::Columns,
    o: &Options,
    model: &Head,
) -> comment_stance::Result<()> {
    let progress = cli::StderrProgress::new(true);
    let read = read_rows(a, columns, &progress)?;
    let group = columns.group.as_deref();
    let e = report::evaluate(model, &a.data, read, group, o, &progress)?;
    if let Some(dir) = &a.out {
        report::write_report(dir, model, &a.data, &e)?;
    }
    if a.json {
        return print(&report::metrics_json(&e.metrics));
    }
    let mut text = eval::render_text(&e.metrics.eval);
    text.push_str(&report::render::ci_text(&e.metrics));
    if let Some(dir) = &a.out {
        text.push_str(&format!(
            "\nwrote {}/report.html, metrics.json, report.md\n",
            dir.display()
        ));
    }
    print(&text)
}

fn compare(
    a: &Args,
    columns: &comment_stance::io::Columns,
    o: &Options,
    old: &Head,
    new: &Head,
) -> comment_stance::Result<()> {
    if old.labels != new.labels {
        return Err(Error::Params(format!(
            "the models predict different labels ({} vs {}); cannot compare",
            old.labels.join(", "),
            new.labels.join(", ")
        )));
    }
    let progress = cli::StderrProgress::new(true);
    let read = read_rows(a, columns, &progress)?;
    let (rows, col) = (read.rows, read.label_column);
    let group = columns.group.as_deref();
    let s_old = report::score(old, &rows, &a.data, col, &progress)?;
    let s_new = report::score(new, &rows, &a.data, col, &progress)?;
    let e_old = report::evaluate_rows(old, rows.clone(), s_old, group, o);
    let e_new = report::evaluate_rows(new, rows, s_new, group, o);
    let c = report::compare(&old.labels, &e_old, &e_new, o)?;
    if let Some(dir) = &a.out {
        report::write_comparison(dir, (old, new), &a.data, (&e_old, &e_new), &c)?;
    }
    if a.json {
        return print(&report::comparison_json(&e_old.metrics, &e_new.metrics, &c));
    }
    let mut text = report::render::comparison_text(&c);
    if let Some(dir) = &a.out {
        text.push_str(&format!(
            "\nwrote {}/report.html, metrics.json, report.md\n",
            dir.display()
        ));
    }
    print(&text)
}

fn main() -> ExitCode {
    cli::finish("stance-eval", run(Args::parse()))
}

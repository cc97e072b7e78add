//! `stance-eval`: model + labelled set in, evaluation report out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::cli::{self, ColumnArgs};
use comment_stance::eval;
use comment_stance::Model;

/// Evaluate a model on a labelled set.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Model file.
    #[arg(long, required = true)]
    model: Vec<PathBuf>,
    /// Labelled file (CSV or JSONL).
    #[arg(long)]
    data: String,
    /// Column holding the gold label.
    #[arg(long, default_value = "label")]
    label_col: String,
    #[command(flatten)]
    cols: ColumnArgs,
    /// Stance target for every row (overrides the target column).
    #[arg(long)]
    target: Option<String>,
    /// Print the metrics as one JSON object.
    #[arg(long)]
    json: bool,
    /// For binary flags: report the lowest threshold reaching this precision.
    #[arg(long, default_value_t = 0.9)]
    min_precision: f64,
}

fn run(a: Args) -> comment_stance::Result<()> {
    let columns = a.cols.columns(Some(&a.label_col));
    let model = Model::load(&a.model[0])?;
    let (report, _, _) = eval::evaluate(
        &model,
        &a.data,
        &columns,
        a.target.as_deref(),
        a.min_precision,
        a.cols.skip_bad_rows,
    )?;
    let text = if a.json {
        serde_json::to_string_pretty(&report).expect("report serializes") + "\n"
    } else {
        eval::render_text(&report)
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| comment_stance::Error::io("<stdout>", e))
}

fn main() -> ExitCode {
    cli::finish("stance-eval", run(Args::parse()))
}

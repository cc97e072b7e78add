//! `stance-audit`: labelled comments in, the rows whose labels look wrong out.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::cli::{self, ColumnArgs, TrainArgs};
use comment_stance::io::Output;
use comment_stance::label::audit::{self, Rank};
use comment_stance::train::{self, TrainConfig};
use comment_stance::Error;

/// Find likely label errors: K-fold out-of-fold probabilities, ranked confident-learning
/// style. Output CSV: id, text, label (as given), suggested_label, p_given, p_suggested,
/// most suspicious first.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Labelled file (CSV or JSONL by extension); repeat to add more.
    #[arg(long, required = true)]
    data: Vec<String>,
    /// Number of cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Output file (written atomically); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Ranking: self-confidence (lowest out-of-fold probability of the given label
    /// first; the default, best in scripts/label-error-test.sh on offensive, hate and
    /// sentiment), margin, or normalized (margin after per-label thresholds).
    #[arg(long, value_enum, default_value = "self-confidence")]
    rank: Rank,
    /// List every row (ranked), not only those where another label wins.
    #[arg(long)]
    all: bool,
    /// At most this many rows.
    #[arg(long)]
    top: Option<usize>,
    /// Task (head) name.
    #[arg(long, default_value = "stance")]
    task: String,
    /// Column holding the gold label.
    #[arg(long, default_value = "label")]
    label_col: String,
    #[command(flatten)]
    cols: ColumnArgs,
    #[command(flatten)]
    train: TrainArgs,
    /// No progress messages.
    #[arg(long, short)]
    quiet: bool,
}

fn run(a: Args) -> comment_stance::Result<()> {
    if let Some(p) = &a.out {
        comment_stance::io::check_writable(p)?;
    }
    let cfg = TrainConfig {
        data: a.data.clone(),
        skip_bad_rows: a.cols.skip_bad_rows,
        ..a.train
            .config(a.task, a.cols.columns(Some(&a.label_col)), false)
    };
    let progress = cli::StderrProgress::new(!a.quiet);
    let data = train::read_labelled(&cfg.data, &cfg.columns, cfg.skip_bad_rows, &progress)?;
    let oof = audit::out_of_fold(&cfg, &data.rows, a.folds, &progress)?;
    let mut suspects = audit::rank(&oof, a.rank, a.all);
    if let Some(n) = a.top {
        suspects.truncate(n);
    }
    if !a.quiet {
        eprintln!(
            "[audit] {} of {} rows flagged",
            suspects.len(),
            data.rows.len()
        );
    }
    let name = a
        .out
        .as_ref()
        .map_or("<stdout>".to_string(), |p| p.display().to_string());
    let mut out = Output::create(a.out.as_deref())?;
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let e = |e: csv::Error| match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(&name, io),
            k => Error::io(&name, std::io::Error::other(format!("{k:?}"))),
        };
        w.write_record([
            "id",
            "text",
            "label",
            "suggested_label",
            "p_given",
            "p_suggested",
        ])
        .map_err(e)?;
        for s in &suspects {
            let r = &data.rows[s.index];
            w.write_record([
                r.id.as_str(),
                r.text.as_str(),
                r.label.as_deref().unwrap_or(""),
                s.suggested.as_str(),
                &format!("{:.4}", s.p_given),
                &format!("{:.4}", s.p_suggested),
            ])
            .map_err(e)?;
        }
        w.flush().map_err(|x| Error::io(&name, x))?;
    }
    out.flush().map_err(|x| Error::io(&name, x))?;
    out.finish()
}

fn main() -> ExitCode {
    cli::finish("stance-audit", run(Args::parse()))
}

//! `stance-audit`: labelled comments in, the rows whose labels look wrong out.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::audit::{self, Rank};
use comment_stance::cli::{self, ColumnArgs};
use comment_stance::features::FeatureParams;
use comment_stance::io::Output;
use comment_stance::text::TextParams;
use comment_stance::train::{self, ClassWeight, TrainConfig};
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
    /// Seed of the folds and of training.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Values of C to try in each fold, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,2,4,8,16")]
    c: Vec<f64>,
    /// Class weighting.
    #[arg(long, value_enum, default_value = "auto")]
    class_weight: ClassWeight,
    /// log2 of the number of hash buckets.
    #[arg(long, default_value_t = 20)]
    buckets_log2: u32,
    /// Word n-gram range LO,HI (0,0 = off).
    #[arg(long, default_value = "1,3", value_parser = cli::parse_range)]
    word_ngrams: (usize, usize),
    /// Character n-gram range LO,HI within words (0,0 = off).
    #[arg(long, default_value = "2,5", value_parser = cli::parse_range)]
    char_ngrams: (usize, usize),
    /// Drop n-grams seen in fewer training rows than this.
    #[arg(long, default_value_t = 2)]
    min_df: u32,
    /// Do not cross features with the target.
    #[arg(long)]
    no_cross_target: bool,
    /// Scale of the shared feature copy beside the per-target copy.
    #[arg(long, default_value_t = 0.5)]
    shared_weight: f32,
    /// Do not fold obfuscated spellings.
    #[arg(long)]
    no_fold_obfuscation: bool,
    /// L-BFGS iteration cap per fit.
    #[arg(long, default_value_t = 500)]
    max_iter: u64,
    /// No progress messages.
    #[arg(long, short)]
    quiet: bool,
}

fn run(a: Args) -> comment_stance::Result<()> {
    if let Some(p) = &a.out {
        comment_stance::io::check_writable(p)?;
    }
    let cfg = TrainConfig {
        task: a.task,
        data: a.data.clone(),
        columns: a.cols.columns(Some(&a.label_col)),
        seed: a.seed,
        text: TextParams {
            fold_obfuscation: !a.no_fold_obfuscation,
            ..TextParams::default()
        },
        features: FeatureParams {
            buckets_log2: a.buckets_log2,
            word_ngrams: a.word_ngrams,
            char_ngrams: a.char_ngrams,
            min_df: a.min_df,
            cross_target: !a.no_cross_target,
            shared_weight: a.shared_weight,
        },
        c_grid: a.c,
        class_weight: a.class_weight,
        max_iterations: a.max_iter,
        skip_bad_rows: a.cols.skip_bad_rows,
        progress: !a.quiet,
        ..TrainConfig::default()
    };
    let data = train::read_labelled(&cfg.data, &cfg.columns, cfg.skip_bad_rows)?;
    let oof = audit::out_of_fold(&cfg, &data.rows, a.folds)?;
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

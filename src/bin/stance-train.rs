//! `stance-train`: labelled comments in, one self-contained model file out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::cli::{self, TrainArgs};
use comment_stance::head::Selection;
use comment_stance::train::adapt::{AdaptMode, AdaptOptions, Adaptation};
use comment_stance::train::retrain::{self, ConflictRule, RetrainOptions};
use comment_stance::train::thread_stacker::{self, StackOptions};
use comment_stance::train::{self, TrainConfig};

/// Train a stance / moderation / sentiment head from labelled CSV or JSONL.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Labelled training file (CSV or JSONL by extension); repeat to add more. With
    /// --base: newly labelled files merged into the base model's recorded data.
    #[arg(long, required_unless_present = "base")]
    data: Vec<String>,
    /// Retrain this model on its recorded training data (checked by SHA-256) plus any
    /// --data, with its settings (text and feature parameters, seed, columns,
    /// validation files, selection; C, class weighting and shared-copy weight fixed to
    /// the chosen ones). Without
    /// --data this reproduces the model byte for byte. Training flags other than
    /// --data and --skip-bad-rows do not apply.
    #[arg(long)]
    base: Option<PathBuf>,
    /// With --base: use recorded files that changed since (and skip missing ones)
    /// instead of stopping with an error.
    #[arg(long, requires = "base")]
    allow_changed_data: bool,
    /// With --base: how a text+target labelled differently in an added file is resolved:
    /// `newest` (the later file wins) or `drop` (all its rows are dropped).
    #[arg(long, value_enum, default_value = "newest", requires = "base")]
    conflict_rule: ConflictRule,
    /// With --base: where to write the conflicting labels found (CSV; only written when
    /// there are some). Default: the --out path + `.conflicts.csv`.
    #[arg(long, requires = "base")]
    conflicts: Option<PathBuf>,
    /// With --base and --data: re-run the base model's whole selection (C, class
    /// weighting, shared-copy weight) instead of keeping its chosen values.
    #[arg(long, requires = "base")]
    reselect: bool,
    /// With --base and --data: `frozen` fits only the added targets' own (crossed)
    /// weights on top of the base's frozen weights, with C chosen by cross-validation on
    /// the added labels (no recorded training files needed; every other target's answer
    /// unchanged); `retrain` retrains on the recorded files plus the added ones; `auto`
    /// is `frozen` when every added row names a target the base was not trained on.
    #[arg(long, value_enum, default_value = "auto", requires = "base")]
    adapt: AdaptMode,
    /// Where to write the model file (written atomically).
    #[arg(long)]
    out: PathBuf,
    /// Validation file (repeatable): its metrics go into the model card. With
    /// `--select valid` it also picks the setting and fits the calibration (without it,
    /// a seeded 15% of --data is held out for that).
    #[arg(long)]
    valid: Vec<String>,
    /// How C, the class weighting and the shared-copy weight are chosen: `cv` (seeded
    /// k-fold cross-validation on --data, stratified by label and target; the
    /// calibration is fitted on the chosen setting's out-of-fold logits) or `valid`
    /// (on --valid, which also fits the calibration).
    #[arg(long, value_enum, default_value_t = TrainConfig::default().select)]
    select: Selection,
    /// Folds of `--select cv`.
    #[arg(long, default_value_t = TrainConfig::default().folds as u64, value_parser = clap::value_parser!(u64).range(2..=50))]
    folds: u64,
    /// `--select cv`: pool the --valid rows into the folds and the final fit (the card
    /// then has no validation numbers of its own).
    #[arg(long)]
    cv_include_valid: bool,
    /// Task (head) name; output columns are prefixed with it.
    #[arg(long, default_value_t = TrainConfig::default().task)]
    task: String,
    #[command(flatten)]
    train: TrainArgs,
    /// Train a reply-relation head on (reply, parent) pairs: the column holding the
    /// parent comment's text.
    #[arg(long)]
    parent_text_col: Option<String>,
    /// Reply-relation heads: learn how a reply's stance follows from its own text, the
    /// relation and its parent's stance, with this stance model's probabilities
    /// (stored in the relation model file; without it the fixed mixture is used).
    #[arg(long, requires_all = ["parent_text_col", "stack_threads"])]
    stack_stance: Option<PathBuf>,
    /// Labelled threads for --stack-stance (repeatable): id, parent_id, text, stance
    /// label, optional target; a parent comes before its replies.
    #[arg(long, requires = "stack_stance")]
    stack_threads: Vec<String>,
    /// Cross-fitting folds for --stack-stance: thread pairs also in --data get relation
    /// verdicts from a head refitted without their fold.
    #[arg(long, default_value_t = thread_stacker::DEFAULT_FOLDS as u64, value_parser = clap::value_parser!(u64).range(2..=50))]
    stack_folds: u64,
    /// Inverse L2 strength of the stacker.
    #[arg(long, default_value_t = thread_stacker::DEFAULT_C)]
    stack_c: f64,
    /// No progress messages.
    #[arg(long, short)]
    quiet: bool,
}

fn run_retrain(a: Args, base: PathBuf) -> comment_stance::Result<()> {
    // `--base` with only new targets: their crossed weights fitted on the frozen base.
    if a.adapt == AdaptMode::Frozen || (a.adapt == AdaptMode::Auto && !a.data.is_empty()) {
        let opts = AdaptOptions {
            base: base.clone(),
            data: a.data.clone(),
            skip_bad_rows: a.train.columns.cols.skip_bad_rows,
        };
        let progress = cli::StderrProgress::new(!a.quiet);
        let adaptation = Adaptation::read(&opts, &progress)?;
        if a.adapt == AdaptMode::Frozen || adaptation.only_new_targets() {
            let model = adaptation.run(&progress)?;
            model.save(&a.out)?;
            if !a.quiet {
                eprintln!("[{}] wrote {}", model.task, a.out.display());
            }
            return Ok(());
        }
    }
    let conflicts_path = a.conflicts.clone().unwrap_or_else(|| {
        let mut p = a.out.clone().into_os_string();
        p.push(".conflicts.csv");
        PathBuf::from(p)
    });
    let opts = RetrainOptions {
        base,
        data: a.data,
        allow_changed_data: a.allow_changed_data,
        conflict_rule: a.conflict_rule,
        reselect: a.reselect,
        skip_bad_rows: a.train.columns.cols.skip_bad_rows,
    };
    let r = retrain::retrain(&opts, &cli::StderrProgress::new(!a.quiet))?;
    if !r.conflicts.is_empty() {
        retrain::write_conflicts(&conflicts_path, &r.conflicts)?;
        eprintln!(
            "[{}] {} conflicting labels resolved by the '{}' rule; listed in {}",
            r.model.task,
            r.conflicts.len(),
            a.conflict_rule.name(),
            conflicts_path.display()
        );
    }
    r.model.save(&a.out)?;
    if !a.quiet {
        eprintln!("[{}] wrote {}", r.model.task, a.out.display());
    }
    Ok(())
}

fn run(a: Args) -> comment_stance::Result<()> {
    comment_stance::io::check_writable(&a.out)?;
    if let Some(base) = a.base.clone() {
        return run_retrain(a, base);
    }
    let cfg = TrainConfig {
        data: a.data,
        valid: a.valid,
        select: a.select,
        folds: a.folds as usize,
        cv_include_valid: a.cv_include_valid,
        ..a.train.config(a.task, a.parent_text_col.as_deref())
    };
    let progress = cli::StderrProgress::new(!a.quiet);
    let data = train::read_labelled(&cfg.data, &cfg.columns, cfg.skip_bad_rows, &progress)?;
    let mut model = train::train_on(&cfg, data.clone(), None, &progress)?;
    if let Some(stance_model) = a.stack_stance {
        let opts = StackOptions {
            stance_model,
            threads: a.stack_threads,
            folds: a.stack_folds as usize,
            c: a.stack_c,
        };
        model.thread_stacker = Some(thread_stacker::fit_thread_stacker(
            &cfg, &data, &model, &opts, &progress,
        )?);
    }
    model.save(&a.out)?;
    if !a.quiet {
        eprintln!("[{}] wrote {}", model.task, a.out.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    cli::finish("stance-train", run(Args::parse()))
}

//! What the binaries share: column flags, error reporting and exit codes, and the
//! stderr side of the library's [`Progress`] observer.
//!
//! Every failure prints one line `<binary>: error: <message>` (file, line and column
//! included where they exist) and exits with code 2; a closed output pipe exits 0.

use std::process::ExitCode;
use std::sync::{LazyLock, Mutex};

use crate::error::Error;
use crate::features::FeatureParams;
use crate::io::{BadRows, Columns, Progress, LABEL_COLUMN};
use crate::train::TrainConfig;

/// The library's defaults as flags show them: a flag's default is read from the
/// library's `Default` impls, so there is one definition of each.
fn train_defaults() -> TrainConfig {
    TrainConfig::default()
}

fn feature_defaults() -> FeatureParams {
    FeatureParams::default()
}

/// `0.5,1,2,4,8,16`: the default C grid as `--c` takes it.
static DEFAULT_C_GRID: LazyLock<String> = LazyLock::new(|| {
    let grid: Vec<String> = train_defaults().c_grid.iter().map(f64::to_string).collect();
    grid.join(",")
});

/// A default n-gram range as `--word-ngrams` / `--char-ngrams` take it.
fn range_text((lo, hi): (usize, usize)) -> String {
    format!("{lo},{hi}")
}

static DEFAULT_WORD_NGRAMS: LazyLock<String> =
    LazyLock::new(|| range_text(feature_defaults().word_ngrams));
static DEFAULT_CHAR_NGRAMS: LazyLock<String> =
    LazyLock::new(|| range_text(feature_defaults().char_ngrams));

/// Column-name flags shared by the binaries.
#[derive(Debug, Clone, clap::Args)]
pub struct ColumnArgs {
    /// Column (CSV) or field (JSONL) holding the comment text.
    #[arg(long, default_value_t = Columns::default().text)]
    pub text_col: String,
    /// Column holding the stance target (optional in the data).
    #[arg(long)]
    pub target_col: Option<String>,
    /// Column holding the row id (the 1-based row number when absent).
    #[arg(long, default_value_t = Columns::default().id)]
    pub id_col: String,
    /// Skip malformed rows (each reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

impl ColumnArgs {
    /// The column mapping, with `label` as the label column when given.
    pub fn columns(&self, label: Option<&str>) -> Columns {
        Columns {
            text: self.text_col.clone(),
            label: label.map(String::from),
            target: self
                .target_col
                .clone()
                .unwrap_or_else(|| Columns::default().target),
            target_required: self.target_col.is_some(),
            id: self.id_col.clone(),
            ..Columns::default()
        }
    }
}

/// The gold label's column and the other column flags, for the binaries that read
/// labelled rows.
#[derive(Debug, Clone, clap::Args)]
pub struct LabelledColumnArgs {
    /// Column holding the gold label.
    #[arg(long, default_value = LABEL_COLUMN)]
    pub label_col: String,
    /// The other columns.
    #[command(flatten)]
    pub cols: ColumnArgs,
}

impl LabelledColumnArgs {
    /// The column mapping, with the label column.
    pub fn columns(&self) -> Columns {
        self.cols.columns(Some(&self.label_col))
    }
}

/// The target every row is scored toward and the column flags, for the binaries that
/// score rows.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Stance target for every row (overrides the target column).
    #[arg(long)]
    pub target: Option<String>,
    /// The columns.
    #[command(flatten)]
    pub cols: ColumnArgs,
}

/// Maps a run's result to the process exit code, printing the error once.
pub fn finish(bin: &str, result: crate::Result<()>) -> ExitCode {
    match result {
        Ok(()) | Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{bin}: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Parses a "lo,hi" n-gram range.
pub fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("expected LO,HI, got '{s}'"))?;
    let p = |x: &str| x.trim().parse::<usize>().map_err(|e| format!("'{x}': {e}"));
    Ok((p(a)?, p(b)?))
}

/// Whether stderr is a terminal (progress bars go there only then).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// Fewest rows of a labelled set for which evaluation shows a progress bar.
const MIN_ROWS_FOR_BAR: u64 = 2000;

/// The binaries' [`Progress`]: steps as `[who] message` lines on stderr (unless quiet),
/// warnings as `warning: message` lines and skipped rows as their report (always), and,
/// when stderr is a terminal, a spinner while a stream is scored or a bar while a
/// labelled set of at least 2,000 rows is.
#[derive(Debug)]
pub struct StderrProgress {
    steps: bool,
    terminal: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl StderrProgress {
    /// Prints steps when `steps` is set (the binaries' `--quiet` clears it).
    pub fn new(steps: bool) -> Self {
        StderrProgress {
            steps,
            terminal: stderr_is_terminal(),
            bar: Mutex::new(None),
        }
    }

    fn bar(&self) -> std::sync::MutexGuard<'_, Option<indicatif::ProgressBar>> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Progress for StderrProgress {
    fn step(&self, who: &str, message: &str) {
        if self.steps {
            eprintln!("[{who}] {message}");
        }
    }

    fn warning(&self, message: &str) {
        eprintln!("warning: {message}");
    }

    fn skipped_rows(&self, file: &str, bad: &BadRows) {
        for line in bad.report_lines(file) {
            eprintln!("{line}");
        }
    }

    fn rows_started(&self, total: Option<u64>) {
        if !self.terminal {
            return;
        }
        let (bar, template) = match total {
            None => (
                indicatif::ProgressBar::new_spinner(),
                "{spinner} {human_pos} comments scored ({per_sec}) {elapsed}",
            ),
            Some(n) if n >= MIN_ROWS_FOR_BAR => (
                indicatif::ProgressBar::new(n),
                "scoring {bar:40} {pos}/{len} rows ({per_sec}, {eta})",
            ),
            Some(_) => return,
        };
        bar.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template"));
        *self.bar() = Some(bar);
    }

    fn rows_done(&self, n: u64) {
        if let Some(bar) = &*self.bar() {
            bar.inc(n);
        }
    }

    fn rows_finished(&self) {
        if let Some(bar) = self.bar().take() {
            bar.finish_and_clear();
        }
    }
}

/// The columns and training hyperparameters `stance-train` and `stance-audit` share.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// The label and other columns.
    #[command(flatten)]
    pub columns: LabelledColumnArgs,
    /// Seed of every random choice (same data + seed = same model file).
    #[arg(long, default_value_t = train_defaults().seed)]
    pub seed: u64,
    /// Values of C (inverse L2 strength) to try, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_C_GRID.as_str())]
    pub c: Vec<f64>,
    /// Class weighting; `auto` tries both and keeps the better by the selection score.
    #[arg(long, value_enum, default_value_t = train_defaults().class_weight)]
    pub class_weight: crate::train::ClassWeight,
    /// log2 of the number of hash buckets.
    #[arg(long, default_value_t = feature_defaults().buckets_log2)]
    pub buckets_log2: u32,
    /// Word n-gram range LO,HI (0,0 = off).
    #[arg(long, default_value = DEFAULT_WORD_NGRAMS.as_str(), value_parser = parse_range)]
    pub word_ngrams: (usize, usize),
    /// Character n-gram range LO,HI within words (0,0 = off).
    #[arg(long, default_value = DEFAULT_CHAR_NGRAMS.as_str(), value_parser = parse_range)]
    pub char_ngrams: (usize, usize),
    /// Drop n-grams seen in fewer training rows than this.
    #[arg(long, default_value_t = feature_defaults().min_df)]
    pub min_df: u32,
    /// Do not cross features with the target (one shared model for all targets).
    #[arg(long)]
    pub no_cross_target: bool,
    /// Scale of the shared feature copy beside the per-target copy (heads whose rows
    /// have targets). Default: chosen by the model selection from 0.5 and 1; one value
    /// forces it, several comma-separated values are chosen from.
    #[arg(long, value_delimiter = ',')]
    pub shared_weight: Vec<f32>,
    /// Do not fold obfuscated spellings (leetspeak, homoglyphs, s.p.a.c.i.n.g).
    #[arg(long)]
    pub no_fold_obfuscation: bool,
    /// Read each comment with its target's words masked as one placeholder token, so
    /// the weights shared by all targets learn what is said about the thing named and
    /// carry it to targets never trained on (heads whose rows have targets).
    #[arg(long)]
    pub mask_target: bool,
    /// Epoch cap of each fit (dual coordinate descent).
    #[arg(long, default_value_t = train_defaults().max_iterations)]
    pub max_iter: u64,
}

impl TrainArgs {
    /// A training configuration for head `task` with these settings; with
    /// `parent_text_col`, a reply-relation head reading each row with its parent's text
    /// from that column. The caller fills in the data.
    pub fn config(&self, task: String, parent_text_col: Option<&str>) -> TrainConfig {
        let mut columns = self.columns.columns();
        if let Some(p) = parent_text_col {
            columns.parent_text = p.to_string();
        }
        TrainConfig {
            task,
            columns,
            seed: self.seed,
            text: crate::text::TextParams {
                fold_obfuscation: !self.no_fold_obfuscation,
                pair: parent_text_col.is_some(),
                mask_target: self.mask_target,
                ..Default::default()
            },
            features: FeatureParams {
                buckets_log2: self.buckets_log2,
                word_ngrams: self.word_ngrams,
                char_ngrams: self.char_ngrams,
                min_df: self.min_df,
                cross_target: !self.no_cross_target,
                shared_weight: self
                    .shared_weight
                    .first()
                    .copied()
                    .unwrap_or(feature_defaults().shared_weight),
            },
            c_grid: self.c.clone(),
            shared_weights: if self.shared_weight.is_empty() {
                train_defaults().shared_weights
            } else {
                self.shared_weight.clone()
            },
            class_weight: self.class_weight,
            max_iterations: self.max_iter,
            skip_bad_rows: self.columns.cols.skip_bad_rows,
            ..Default::default()
        }
    }
}

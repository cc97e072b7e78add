//! `stance-score`: model(s) + comments in, one scored row per comment out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use comment_stance::cli::{self, TargetArgs};
use comment_stance::head::built_in::built_in_heads;
use comment_stance::head::Basis;
use comment_stance::io::{Columns, Format, Output, Progress, RowReader};
use comment_stance::policy::Policy;
use comment_stance::score::{self, OutFormat, ScoreOptions};
use comment_stance::Head;

/// Score comments for stance toward a target (and any other heads given).
#[derive(Debug, Parser)]
#[command(version, about, after_help = concat!("Default policy (used without --policy):\n\n", include_str!("../policy/default.toml")))]
struct Args {
    /// Model file; repeat to add heads (their columns are merged). Default: the
    /// built-in stance, offensive, sentiment and reply-relation models.
    #[arg(long)]
    model: Vec<PathBuf>,
    /// Input file (CSV or JSONL by extension; .gz/.zst decompressed); `-` or none = stdin.
    input: Option<String>,
    /// Force the input format instead of guessing from the extension.
    #[arg(long, value_enum)]
    input_format: Option<Format>,
    #[command(flatten)]
    rows: TargetArgs,
    /// The article the comments sit under (plain text: the headline on the first line,
    /// then the body). When it (or --target) names a target the stance model was trained
    /// on, that target is used, however --target spells it; without --target, the
    /// headline is the target.
    #[arg(long, value_name = "FILE")]
    article: Option<PathBuf>,
    /// Output file (written atomically; .gz/.zst compressed); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output form: csv, jsonl or table. Default: by --out's extension, else a table on
    /// a terminal and CSV in a pipe.
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
    /// Add the K n-grams that pushed hardest toward each predicted label.
    #[arg(long, default_value_t = 0, value_name = "K")]
    explain: usize,
    /// Pass the input's other columns through to the output.
    #[arg(long)]
    keep_cols: bool,
    /// Decision policy (TOML) mapping flag probabilities to approve / review / reject.
    #[arg(long)]
    policy: Option<String>,
    /// Column holding the parent comment's id (replies); Reddit `t1_`/`t3_` ids work.
    #[arg(long, default_value_t = Columns::default().parent)]
    parent_col: String,
    /// Column holding the parent comment's text, for replies given as explicit pairs.
    #[arg(long, default_value_t = Columns::default().parent_text)]
    parent_text_col: String,
    /// Comments remembered for finding a reply's parent; parents older than that are
    /// "not found". 0 turns thread reading off.
    #[arg(long, default_value_t = comment_stance::thread::DEFAULT_CACHE)]
    thread_cache: usize,
    /// Memory budget of those remembered comments, in MB (each costs its text and about
    /// 100 bytes more); when it is full the oldest go first.
    #[arg(long, default_value_t = comment_stance::thread::DEFAULT_CACHE_MB)]
    thread_cache_mb: usize,
    /// Rows scored per parallel batch (memory holds one batch).
    #[arg(long, default_value_t = comment_stance::score::DEFAULT_BATCH)]
    batch_size: usize,
}

fn run(a: Args) -> comment_stance::Result<()> {
    let models = if a.model.is_empty() {
        built_in_heads()?
    } else {
        a.model
            .iter()
            .map(|p| Head::load(p))
            .collect::<comment_stance::Result<Vec<_>>>()?
    };
    let input = a.input.unwrap_or_else(|| "-".into());
    let in_format = a.input_format.unwrap_or_else(|| Format::from_path(&input));
    let mut columns = a.rows.cols.columns(None);
    columns.keep_others = a.keep_cols;
    columns.parent = a.parent_col.clone();
    columns.parent_text = a.parent_text_col.clone();
    let mut out = Output::create_by_extension(a.out.as_deref())?;
    let format = a.format.unwrap_or_else(|| match &a.out {
        Some(p) => match Format::from_path(&p.to_string_lossy()) {
            Format::Jsonl => OutFormat::Jsonl,
            Format::Csv => OutFormat::Csv,
        },
        None if out.is_terminal() => OutFormat::Table,
        None => OutFormat::Csv,
    });
    let reader = RowReader::open(&input, in_format, &columns, a.rows.cols.skip_bad_rows)?;
    let explain = if format == OutFormat::Table && a.explain == 0 {
        3
    } else {
        a.explain
    };
    let policy = match &a.policy {
        Some(p) => Policy::load(p)?,
        None => Policy::default_policy(),
    };
    let opts = ScoreOptions {
        policy,
        thread_cache: a.thread_cache,
        thread_cache_mb: a.thread_cache_mb,
        target: article_target(&models, a.rows.target, a.article.as_deref())?,
        explain,
        batch_size: a.batch_size,
        format,
    };
    let progress = cli::StderrProgress::new(true);
    let input_name = reader.name().to_string();
    let summary = score::score_stream(&models, reader, &mut out, &opts, &progress)?;
    progress.skipped_rows(&input_name, &summary.bad);
    out.finish()?;
    // A guard against the next silent loss: every line of a CSV input is a row, the
    // header, a blank line, a line break inside a quoted field or a reported bad row.
    if let Some(lines) = summary.lines.filter(|l| !l.balanced()) {
        eprintln!("read {} rows from {} lines", summary.rows, lines.lines);
    }
    note_unseen_targets(&models, &summary.targets);
    Ok(())
}

/// The target every row is scored toward: the trained target that `--target` or the
/// article names (with a note saying so), else `--target`, else the article's headline.
fn article_target(
    models: &[Head],
    given: Option<String>,
    article: Option<&std::path::Path>,
) -> comment_stance::Result<Option<String>> {
    let text = match article {
        Some(p) => Some(read_article(p)?),
        None => None,
    };
    for m in models {
        if let Some(named) = m.named_target(given.as_deref(), text.as_deref()) {
            eprintln!(
                "note: {}: {} names the trained target \"{named}\"; scoring toward it",
                m.task,
                match (&given, article) {
                    (Some(g), _) => format!("target \"{g}\""),
                    (None, Some(p)) => p.display().to_string(),
                    (None, None) => unreachable!("nothing names a target"),
                },
            );
            return Ok(Some(named.to_string()));
        }
    }
    let headline = text.as_deref().and_then(|t| {
        t.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(String::from)
    });
    Ok(given.or(headline))
}

/// An article file's text (UTF-8).
fn read_article(path: &std::path::Path) -> comment_stance::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| comment_stance::Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        comment_stance::Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8: {e}")),
        )
    })
}

/// One stderr note per target a stance head was not trained on (the first ten; then
/// how many more): its stance comes from the target-general weights.
fn note_unseen_targets(models: &[Head], targets: &std::collections::BTreeMap<String, u64>) {
    const NOTES: usize = 10;
    for m in models {
        let unseen: Vec<_> = targets
            .iter()
            .filter(|(t, _)| m.basis(Some(t)) == Some(Basis::Generic))
            .collect();
        for (t, n) in unseen.iter().take(NOTES) {
            eprintln!(
                "note: {}: target \"{t}\" ({n} rows) was not in the model's training data; \
                 its stance comes from the target-general weights ({}_basis = generic)",
                m.task, m.task
            );
        }
        if unseen.len() > NOTES {
            eprintln!(
                "note: {}: {} more targets not in the training data",
                m.task,
                unseen.len() - NOTES
            );
        }
        if !unseen.is_empty() {
            let more = match m.targets.len().saturating_sub(NOTES) {
                0 => String::new(),
                n => format!("; and {n} more"),
            };
            eprintln!(
                "note: {}: trained on {} targets: {}{more}",
                m.task,
                m.targets.len(),
                m.targets[..m.targets.len().min(NOTES)].join("; ")
            );
        }
    }
}

fn main() -> ExitCode {
    cli::finish("stance-score", run(Args::parse()))
}

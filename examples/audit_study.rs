//! How many planted label flips each `stance-audit` ranking finds, from one out-of-fold
//! computation (issue 27). Reads a labelled file whose flipped rows are listed (one id a
//! line) in `--flipped`, computes out-of-fold probabilities as `stance-audit` does (same
//! training flags, same defaults), and prints one tab-separated line per ranking:
//! `ranking  hits  flipped`, where hits counts the flipped rows among the top `flipped`
//! rows of the full ranking (`stance-audit --all`).
//!
//! ```sh
//! cargo run --release --example audit_study -- --data noisy.csv --flipped flipped.txt \
//!     --seed 1 [--folds 5] [--repeats 1] [--probs-out oof.csv] [stance-audit training flags]
//! ```
//!
//! `--repeats R` averages the out-of-fold probabilities of R fold assignments (seeds
//! `seed`, `seed + 1`, ...). Besides the shipped rankings it scores two variants of
//! confident learning that are not shipped: `confident-both` (cleanlab's `both` filter:
//! flagged and the confident label differs from the given one) and `confident-nm`
//! (flagged rows ranked by normalized margin). `scripts/audit-seeds.sh` runs it over
//! seeds and data sets.

use std::collections::HashSet;
use std::io::Write;

use clap::Parser;
use comment_stance::cli::TrainArgs;
use comment_stance::io::Silent;
use comment_stance::label::audit::{self, OutOfFold, Rank};
use comment_stance::train::{self, TrainConfig};

#[derive(Debug, Parser)]
struct Args {
    /// Labelled file with some labels flipped.
    #[arg(long)]
    data: String,
    /// Ids of the flipped rows, one a line.
    #[arg(long)]
    flipped: String,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Fold assignments whose out-of-fold probabilities are averaged (1 = one fold
    /// assignment; the study's `--repeats 1` rows are stance-audit before 2026-12-05).
    #[arg(long, default_value_t = 1)]
    repeats: u64,
    /// Write the out-of-fold probabilities here (id, given, flipped, p per label).
    #[arg(long)]
    probs_out: Option<String>,
    /// Task (head) name.
    #[arg(long, default_value_t = TrainConfig::default().task)]
    task: String,
    #[command(flatten)]
    train: TrainArgs,
}

/// The order of the full ranking of one variant, most suspicious first.
fn order(oof: &OutOfFold, name: &str) -> Vec<usize> {
    let flagged = audit::label_issues(oof);
    let confident = audit::confident_labels(oof, &audit::thresholds(oof));
    let n = oof.given.len();
    let sc = |i: usize| oof.probs[i][oof.given[i]] as f64;
    let nm = |i: usize| {
        let g = oof.given[i];
        let other = (0..oof.labels.len())
            .filter(|&j| j != g)
            .map(|j| oof.probs[i][j] as f64)
            .fold(f64::MIN, f64::max);
        sc(i) - other
    };
    let key = |i: usize| -> (bool, f64) {
        match name {
            "confident-both" => (!(flagged[i] && confident[i] != Some(oof.given[i])), sc(i)),
            "confident-nm" if flagged[i] => (false, nm(i)),
            _ => (true, sc(i)),
        }
    };
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
    });
    idx
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = Args::parse();
    let cfg = TrainConfig {
        data: vec![a.data.clone()],
        ..a.train.config(a.task.clone(), None)
    };
    let data = train::read_labelled(&cfg.data, &cfg.columns, cfg.skip_bad_rows, &Silent)?;
    let flipped: HashSet<String> = std::fs::read_to_string(&a.flipped)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    let oof = audit::out_of_fold_repeated(&cfg, &data.rows, a.folds, a.repeats, &Silent)?;
    let is_flip = |i: usize| flipped.contains(&data.rows[i].id);
    let k = flipped.len();
    let shipped = [
        ("self-confidence", Rank::SelfConfidence),
        ("margin", Rank::Margin),
        ("normalized", Rank::Normalized),
        ("confident", Rank::Confident),
    ];
    let mut stdout = std::io::stdout().lock();
    for (name, how) in shipped {
        let ranked = audit::rank(&oof, how, true);
        let hits = ranked.iter().take(k).filter(|s| is_flip(s.index)).count();
        writeln!(stdout, "{name}\t{hits}\t{k}")?;
    }
    for name in ["confident-both", "confident-nm"] {
        let hits = order(&oof, name)
            .into_iter()
            .take(k)
            .filter(|&i| is_flip(i))
            .count();
        writeln!(stdout, "{name}\t{hits}\t{k}")?;
    }
    let flagged = audit::label_issues(&oof).iter().filter(|&&f| f).count();
    writeln!(stdout, "flagged\t{flagged}\t{k}")?;
    if let Some(path) = &a.probs_out {
        let mut w = csv::Writer::from_path(path)?;
        let mut head = vec!["id".to_string(), "given".into(), "flipped".into()];
        head.extend(oof.labels.iter().map(|l| format!("p_{l}")));
        w.write_record(&head)?;
        for (i, p) in oof.probs.iter().enumerate() {
            let mut rec = vec![
                data.rows[i].id.clone(),
                oof.given[i].to_string(),
                u8::from(is_flip(i)).to_string(),
            ];
            rec.extend(p.iter().map(|x| x.to_string()));
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    Ok(())
}

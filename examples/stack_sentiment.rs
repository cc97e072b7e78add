//! Sentiment as evidence for stance (issue 8): does stacking the sentiment head's
//! probabilities and whether the comment names its target on top of the stance head
//! improve validation F_avg?
//!
//! The stacker ([`comment_stance::model::stack::Stacker`]) is fitted on the training rows with
//! out-of-fold stance probabilities (the stance head refitted K times with its chosen C
//! and class weighting, each time without one fold); the sentiment head was trained on
//! other data, so its probabilities are out of sample already. It is then applied to the
//! validation rows with the full stance head. Three stackers are compared with the
//! stance head alone: stance probabilities only (a re-calibration, the control), + target
//! mention, + sentiment and target mention (and their products).
//!
//! ```sh
//! cargo run --release --example stack_sentiment -- \
//!     --stance models/stance.model --sentiment models/sentiment.model \
//!     --train ../shared/data/tweeteval_stance/train.csv --train data/ceasefire/comments_train.csv \
//!     --valid ../shared/data/tweeteval_stance/val.csv --valid data/ceasefire/comments_val.csv
//! ```

use std::path::PathBuf;

use comment_stance::head::HeadScratch;
use comment_stance::io::{Columns, Silent};
use comment_stance::metrics::{argmax, Summary};
use comment_stance::model::stack::{StackCard, Stacker};
use comment_stance::train::retrain::config_from_model;
use comment_stance::train::{self, Labelled, TrainConfig};
use comment_stance::Head;

struct Args {
    stance: PathBuf,
    sentiment: PathBuf,
    train: Vec<String>,
    valid: Vec<String>,
    folds: usize,
    c: f64,
}

fn parse() -> Args {
    let mut a = Args {
        stance: "models/stance.model".into(),
        sentiment: "models/sentiment.model".into(),
        train: Vec::new(),
        valid: Vec::new(),
        folds: 5,
        c: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--stance" => a.stance = v.into(),
            "--sentiment" => a.sentiment = v.into(),
            "--train" => a.train.push(v),
            "--valid" => a.valid.push(v),
            "--folds" => a.folds = v.parse().expect("--folds N"),
            "--c" => a.c = v.parse().expect("--c X"),
            _ => panic!("unknown flag {flag}"),
        }
    }
    assert!(
        !a.train.is_empty() && !a.valid.is_empty(),
        "--train and --valid are needed"
    );
    a
}

/// Whether the comment names its target: a content word of the target (four letters or
/// more) whose first five letters start one of the comment's tokens.
fn mentions(tokens: &[String], target: &str) -> bool {
    target
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(|w| w.to_lowercase().chars().take(5).collect::<String>())
        .any(|stem| tokens.iter().any(|t| t.starts_with(&stem)))
}

/// Inputs of the richest stacker; `width` keeps a prefix (3: stance only, 4: + mention).
fn inputs(stance: &[f32], sentiment: &[f32], sent_labels: &[String], mention: bool) -> Vec<f32> {
    let p = |name: &str| {
        sent_labels
            .iter()
            .position(|l| l == name)
            .map_or(0.0, |i| sentiment[i])
    };
    let m = f32::from(u8::from(mention));
    let mut x: Vec<f32> = stance.iter().map(|v| v.max(1e-4).ln()).collect();
    x.extend([
        m,
        p("negative"),
        p("positive"),
        m * p("negative"),
        m * p("positive"),
    ]);
    x
}

fn main() -> comment_stance::Result<()> {
    let a = parse();
    let stance = Head::load(&a.stance)?;
    let sentiment = Head::load(&a.sentiment)?;
    let columns = Columns {
        label: Some("label".into()),
        ..Columns::default()
    };
    let train_rows = train::read_labelled(&a.train, &columns, false, &Silent)?;
    let valid_rows = train::read_labelled(&a.valid, &columns, false, &Silent)?;
    let gold = |rows: &Labelled| -> Vec<usize> {
        rows.rows
            .iter()
            .map(|r| {
                let l = r.label.as_deref().unwrap_or_default();
                stance
                    .labels
                    .iter()
                    .position(|x| x == l)
                    .expect("known label")
            })
            .collect()
    };
    let (y_train, y_valid) = (gold(&train_rows), gold(&valid_rows));

    // Out-of-fold stance probabilities on the training rows.
    // The stance head's settings with its chosen C and class weighting.
    let cfg = TrainConfig {
        data: a.train.clone(),
        valid: a.valid.clone(),
        ..config_from_model(&stance, false)
    };
    let mut s = HeadScratch::default();
    let mut oof: Vec<Vec<f32>> = vec![Vec::new(); train_rows.rows.len()];
    for f in 0..a.folds {
        let kept = Labelled {
            rows: (train_rows.rows.iter().enumerate())
                .filter(|(i, _)| i % a.folds != f)
                .map(|(_, r)| r.clone())
                .collect(),
            files: train_rows.files.clone(),
            label_column: train_rows.label_column,
        };
        let m = train::train_on(&cfg, kept, None, &Silent)?;
        for (i, r) in train_rows.rows.iter().enumerate() {
            if i % a.folds == f {
                oof[i] = m.predict(&r.text, r.target.as_deref(), &mut s);
            }
        }
        eprintln!("fold {}/{} refitted", f + 1, a.folds);
    }
    let features = |rows: &Labelled, stance_p: &[Vec<f32>], s: &mut HeadScratch| -> Vec<Vec<f32>> {
        rows.rows
            .iter()
            .zip(stance_p)
            .map(|(r, p)| {
                let sent = sentiment.predict(&r.text, None, s);
                let tokens = stance.text().tokens(&r.text);
                let mention = r.target.as_deref().is_some_and(|t| mentions(&tokens, t));
                inputs(p, &sent, &sentiment.labels, mention)
            })
            .collect()
    };
    let x_train = features(&train_rows, &oof, &mut s);
    let full: Vec<Vec<f32>> = valid_rows
        .rows
        .iter()
        .map(|r| stance.predict(&r.text, r.target.as_deref(), &mut s))
        .collect();
    let x_valid = features(&valid_rows, &full, &mut s);

    // F_avg on all validation rows, then on each validation file.
    let spans: Vec<(String, std::ops::Range<usize>)> = valid_rows
        .files
        .iter()
        .scan(0, |start, f| {
            let r = *start..*start + f.rows;
            *start += f.rows;
            Some((f.path.clone(), r))
        })
        .collect();
    let row = |name: &str, pred: Vec<usize>| {
        let f = |r: std::ops::Range<usize>| {
            let sm = Summary::new(&stance.labels, &y_valid[r.clone()], &pred[r]);
            format!("{:.1}", 100.0 * sm.f_avg.unwrap_or(0.0))
        };
        let cells: Vec<String> = std::iter::once(f(0..pred.len()))
            .chain(spans.iter().map(|(_, r)| f(r.clone())))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    let files: Vec<&str> = spans.iter().map(|(p, _)| p.as_str()).collect();
    println!(
        "| stance inputs | F_avg, all validation rows | {} |",
        files.join(" | ")
    );
    println!("|---|---:|{}", "---:|".repeat(files.len()));
    row(
        "stance head alone",
        full.iter().map(|p| argmax(p)).collect(),
    );
    let all_names = [
        "ln_p_against",
        "ln_p_favor",
        "ln_p_none",
        "mention",
        "p_negative",
        "p_positive",
        "mention_x_negative",
        "mention_x_positive",
    ];
    for (name, width) in [
        ("stacked: stance probabilities only (control)", 3),
        ("stacked: + target mention", 4),
        ("stacked: + sentiment and target mention", 8),
    ] {
        let cut = |x: &[Vec<f32>]| x.iter().map(|r| r[..width].to_vec()).collect::<Vec<_>>();
        let card = StackCard {
            models: Vec::new(),
            data: train_rows.files.clone(),
            folds: a.folds,
            c: a.c,
            rows: x_train.len(),
            fit_accuracy: 0.0,
            base_accuracy: 0.0,
        };
        let stk = Stacker::fit(
            all_names[..width].iter().map(|s| s.to_string()).collect(),
            stance.labels.clone(),
            &cut(&x_train),
            &y_train,
            a.c,
            card,
        )?;
        row(
            name,
            cut(&x_valid)
                .iter()
                .map(|x| argmax(&stk.predict(x)))
                .collect(),
        );
    }
    Ok(())
}

//! Golden files: the Quick start output of the built-in models on the shipped example, and
//! comments under a new article whose target no model was trained on.
//! After a deliberate change (new default models), regenerate with
//! `UPDATE_GOLDEN=1 cargo test --release --test golden` and review the diff.

mod common;

use common::*;

fn check(name: &str, args: &[&str]) -> String {
    let r = run("stance-score", args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = repo("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &r.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("golden file exists");
    assert_eq!(r.stdout, want, "output differs from {}", path.display());
    r.stdout
}

#[test]
fn quickstart_table_is_pinned() {
    let example = repo("data/examples/ceasefire_comments.csv");
    let out = check(
        "quickstart_table.txt",
        &["--target", "ceasefire", "--format", "table", s(&example)],
    );
    // The two real replies are against the ceasefire, for reasons a moderator accepts.
    for id in ["r1", "r2"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap();
        assert!(line.contains("against"), "{line}");
    }
}

#[test]
fn quickstart_jsonl_is_pinned() {
    let example = repo("data/examples/ceasefire_comments.csv");
    let out = check(
        "quickstart.jsonl",
        &[
            "--target",
            "ceasefire",
            "--format",
            "jsonl",
            "--explain",
            "3",
            s(&example),
        ],
    );
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 18);
    for (i, id) in ["r1", "r2"].iter().enumerate() {
        assert_eq!(rows[i]["id"], *id);
        assert_eq!(rows[i]["stance"]["label"], "against");
        let reasons: Vec<&str> = rows[i]["stance"]["explain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["ngram"].as_str().unwrap())
            .collect();
        let good = ["surrender", "dictate", "no ceasefire", "terms"];
        assert!(
            reasons.iter().any(|r| good.iter().any(|g| r.contains(g))),
            "{id}: reasons {reasons:?}"
        );
    }
}

/// A new article (a sugar tax: in no training set), end to end: the stance comes from the
/// target-general weights, the output says so per row and stderr once per target, and the
/// comments are not all `none` (what an unseen target got before).
#[test]
fn an_unseen_target_is_scored_by_the_generic_weights_and_said_so() {
    let comments = repo("tests/fixtures/new_article/comments.csv");
    let article = repo("tests/fixtures/new_article/article.txt");
    let out = check(
        "new_article.jsonl",
        &[
            "--target",
            "sugar tax on soft drinks",
            "--format",
            "jsonl",
            s(&comments),
        ],
    );
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    let labels: Vec<&str> = rows
        .iter()
        .map(|r| r["stance"]["label"].as_str().unwrap())
        .collect();
    for r in &rows {
        assert_eq!(r["stance"]["basis"], "generic", "{r}");
    }
    assert!(
        labels.contains(&"favor") && labels.contains(&"against"),
        "{labels:?}"
    );
    let r = run(
        "stance-score",
        &[
            "--target",
            "sugar tax on soft drinks",
            "--format",
            "jsonl",
            s(&comments),
        ],
    );
    let notes: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(notes.len(), 2, "{}", r.stderr);
    assert!(
        notes[0].starts_with(
            "note: stance: target \"sugar tax on soft drinks\" (6 rows) was not in the model's training data"
        ),
        "{}",
        r.stderr
    );
    assert!(
        notes[1].starts_with("note: stance: trained on "),
        "{}",
        r.stderr
    );
    // Without --target, the article's headline is the target: the same generic weights,
    // so the same stance columns.
    let by_article = run(
        "stance-score",
        &["--article", s(&article), "--format", "jsonl", s(&comments)],
    );
    assert_eq!(by_article.code, 0, "{}", by_article.stderr);
    assert!(by_article
        .stderr
        .contains("target \"Sugar tax on soft drinks to start in April\" (6 rows)"));
    for (a, b) in by_article.stdout.lines().zip(out.lines()) {
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(a).unwrap(),
            serde_json::from_str(b).unwrap(),
        );
        assert_eq!(a["stance"], b["stance"]);
    }
}

/// The seed article names the trained target `ceasefire` (twice in its body), so
/// `--article` alone scores toward it with its own weights.
#[test]
fn an_article_about_a_trained_target_reaches_its_weights() {
    let example = repo("data/examples/ceasefire_comments.csv");
    let article = repo("data/examples/ceasefire_article.txt");
    let r = run(
        "stance-score",
        &["--article", s(&article), "--format", "jsonl", s(&example)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("names the trained target \"ceasefire\""),
        "{}",
        r.stderr
    );
    let want = std::fs::read_to_string(repo("tests/golden/quickstart.jsonl")).unwrap();
    let explained = run(
        "stance-score",
        &[
            "--article",
            s(&article),
            "--format",
            "jsonl",
            "--explain",
            "3",
            s(&example),
        ],
    );
    assert_eq!(explained.stdout, want);
    assert!(r.stdout.contains("\"basis\":\"trained\""));
}

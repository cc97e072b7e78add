//! Golden files: the Quick start output of the built-in models on the shipped example.
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

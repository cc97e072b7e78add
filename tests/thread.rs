//! Reading the thread with the built-in models: a reply's stance follows the comment it
//! answers, by the learned combination in the built-in reply-relation head.

mod common;

use common::*;
use serde_json::Value;

const AGAINST: &str = "Ukraine lost. No truce, no pause, make them surrender.";

fn score(input: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "--target",
        "ceasefire",
        "--format",
        "jsonl",
        "--input-format",
        "csv",
    ];
    args.extend_from_slice(extra);
    args.push("-");
    let r = run_stdin("stance-score", &args, input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter().find(|r| r["id"] == id).expect("row present")
}

fn thread(reply: &str) -> String {
    format!("id,parent_id,text\np1,,\"{AGAINST}\"\nq1,p1,\"{reply}\"\n")
}

#[test]
fn agreement_with_an_against_comment_is_against() {
    let rows = score(&thread("I agree."), &[]);
    assert_eq!(row(&rows, "p1")["stance"]["label"], "against");
    let q = row(&rows, "q1");
    assert_eq!(q["reply_relation"]["label"], "agree");
    assert_eq!(q["stance"]["label"], "against");
    assert_eq!(q["stance_source"], "thread:p1");
    // On its own, "I agree." says nothing about the ceasefire.
    let alone = score("id,text\nq1,I agree.\n", &[]);
    assert_ne!(row(&alone, "q1")["stance"]["label"], "against");
}

#[test]
fn disagreement_with_an_against_comment_is_favor() {
    let rows = score(&thread("Nonsense, sign the truce."), &[]);
    let q = row(&rows, "q1");
    assert_eq!(q["reply_relation"]["label"], "disagree");
    assert_eq!(q["stance"]["label"], "favor");
    assert_eq!(q["stance_source"], "thread:p1");
}

#[test]
fn a_missing_parent_falls_back_to_the_own_text_and_says_so() {
    let rows = score("id,parent_id,text\nq1,p9,I agree.\n", &[]);
    let q = row(&rows, "q1");
    assert_eq!(q["stance_source"], "text (parent p9 not found)");
    let alone = score("id,text\nq1,I agree.\n", &[]);
    assert_eq!(q["stance"], row(&alone, "q1")["stance"]);
}

#[test]
fn explicit_parent_text_pairs_are_read_like_threads() {
    let input = format!("id,text,parent_text\nq1,I agree.,\"{AGAINST}\"\n");
    let rows = score(&input, &[]);
    let q = row(&rows, "q1");
    assert_eq!(q["stance"]["label"], "against");
    assert_eq!(q["stance_source"], "thread:parent_text");
}

#[test]
fn order_is_kept_and_parents_are_found_across_and_within_batches() {
    let example = std::fs::read_to_string(repo("data/examples/ceasefire_comments.csv")).unwrap();
    let whole = score(&example, &[]);
    let one_by_one = score(&example, &["--batch-size", "1"]);
    assert_eq!(whole, one_by_one);
    let ids: Vec<&str> = whole.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(&ids[..4], ["r1", "r2", "c01", "c02"]);
    // "I agree." (r2) inherits from r1, in the same batch.
    assert_eq!(row(&whole, "r2")["stance_source"], "thread:r1");
    assert_eq!(row(&whole, "r2")["stance"]["label"], "against");
}

#[test]
fn the_cache_bound_holds() {
    // With room for two comments, a parent three comments back is forgotten.
    let input = format!(
        "id,parent_id,text\np1,,\"{AGAINST}\"\nx1,,Weather is nice.\nx2,,Weather is bad.\nq1,p1,I agree.\n"
    );
    let small = score(&input, &["--thread-cache", "2"]);
    assert_eq!(
        row(&small, "q1")["stance_source"],
        "text (parent p1 not found)"
    );
    let big = score(&input, &["--thread-cache", "3"]);
    assert_eq!(row(&big, "q1")["stance_source"], "thread:p1");
    // The relation head runs in the parallel pass on the parent text it guesses from the
    // batch (p1's); with p1 forgotten the thread pass must read q1 again without it.
    let orphan = score(
        "id,parent_id,text
q1,p9,I agree.
",
        &["--explain", "3"],
    );
    let small = score(&input, &["--thread-cache", "2", "--explain", "3"]);
    let big = score(&input, &["--thread-cache", "3", "--explain", "3"]);
    let relation = |rows: &[Value]| row(rows, "q1")["reply_relation"].clone();
    assert_eq!(relation(&small), relation(&orphan));
    assert_ne!(
        relation(&big)["p"],
        relation(&orphan)["p"],
        "the parent matters"
    );
}

#[test]
fn the_built_in_relation_head_carries_a_learned_combination() {
    let m = comment_stance::Head::load(&repo("models/reply_relation.model")).unwrap();
    assert!(m.is_pair());
    let stk = m.thread_stacker.as_ref().expect("a learned combination");
    assert!(stk.card.rows >= 150, "fitted on {} replies", stk.card.rows);
    assert_eq!(stk.labels, ["against", "favor", "none"]);
    // It was fitted with the built-in stance model it is shipped with.
    let stance = std::fs::read(repo("models/stance.model")).unwrap();
    assert_eq!(
        stk.card.models[0].sha256,
        comment_stance::io::sha256_hex(&stance)
    );
}

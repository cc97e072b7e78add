//! Regression tests for bugs found by property tests and fuzzing, one per case.

mod common;

use comment_stance::text::obfuscation::fold;
use comment_stance::text::{TextParams, TextPipeline};
use common::*;

/// Found by `properties::fold_is_idempotent`: the majority script of a word was chosen
/// before squeezing letter runs, so `aaaaпдп` (4 Latin, 3 Cyrillic letters without a
/// Latin look-alike) stayed Latin, was squeezed to `aaпдп` (2 Latin, 3 Cyrillic), and a
/// second pass turned the `a`s Cyrillic.
#[test]
fn fold_idempotent_when_squeezing_changes_the_majority_script() {
    for s in ["aaaaпдп", "aaaaaпдпж", "ппппaбa"] {
        let once = fold(s);
        assert_eq!(fold(&once), once, "{s}");
    }
    let p = TextPipeline::new(&TextParams::default());
    let once = p.normalize("AAAAпдп");
    assert_eq!(p.normalize(&once), once);
}

/// `stance-score --model M --target ceasefire ARGS...` in the folder of malformed inputs,
/// so that file names in messages are as a user typed them.
fn score_bad(args: &[&str]) -> Run {
    let mut all = vec!["--model", s(fixture_model()), "--target", "ceasefire"];
    all.extend_from_slice(args);
    run_in(&fixture("bad"), "stance-score", &all)
}

fn first_column(csv_out: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_reader(csv_out.as_bytes());
    rdr.records().map(|r| r.unwrap()[0].to_string()).collect()
}

/// Issue 29: an unbalanced quote swallowed the rows after it. `1,"hello there` opened a
/// quoted field that the quote of `4,"fourth"` "closed", so four comments read as one,
/// with exit 0 and nothing on stderr. The quote that closes a field spanning lines must
/// be followed by a comma, a line end or the end of the input.
#[test]
fn a_quote_that_swallows_rows_is_refused_naming_its_line() {
    let dir = tempdir();
    let out = dir.path().join("scored.csv");
    let r = score_bad(&["--out", s(&out), "swallowing_quote.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "swallowing_quote.csv:2:2: unbalanced quote: the quoted field opened on line 2 runs to \
         line 5 and its closing quote there is followed by 'f', not by a comma or a line end; \
         it would swallow lines 3-5 (a quote missing on line 2?)",
    );
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Issue 29, with `--skip-bad-rows`: reading resumes at the line after the one where the
/// quote opened, so comments 2-4 are scored and comment 1 is reported.
#[test]
fn skipping_a_swallowing_quote_resumes_on_the_next_line() {
    let r = score_bad(&["--skip-bad-rows", "swallowing_quote.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(first_column(&r.stdout), ["2", "3", "4"]);
    assert_eq!(
        r.stderr,
        "warning: skipped 1 bad row(s) of swallowing_quote.csv:\n\
         \x20 swallowing_quote.csv:2:2: unbalanced quote: the quoted field opened on line 2 \
         runs to line 5 and its closing quote there is followed by 'f', not by a comma or a \
         line end; it would swallow lines 3-5 (a quote missing on line 2?)\n"
    );
}

/// Issue 29, the other case: a quote never closed made the rest of the file one comment.
#[test]
fn a_quote_open_at_the_end_of_the_input_is_refused_or_skipped() {
    let r = score_bad(&["quote_open_at_end.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "quote_open_at_end.csv:3:2: unbalanced quote: the quoted field opened on line 3 is \
         never closed, so it would swallow the rest of the input",
    );
    let r = score_bad(&["--skip-bad-rows", "quote_open_at_end.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(first_column(&r.stdout), ["1", "3", "4"]);
    assert!(
        r.stderr
            .starts_with("warning: skipped 1 bad row(s) of quote_open_at_end.csv:\n"),
        "{}",
        r.stderr
    );
}

/// Issue 29: the same reader on every path that reads rows; training and evaluation
/// refuse the swallowing quote too.
#[test]
fn training_and_evaluation_refuse_a_swallowing_quote() {
    let dir = tempdir();
    let data = dir.path().join("labelled.csv");
    std::fs::write(
        &data,
        "id,text,label\n1,\"great idea,favor\n2,bad idea,against\n3,\"no\",against\n",
    )
    .unwrap();
    let msg = "labelled.csv:2:2: unbalanced quote";
    let out = dir.path().join("m.model");
    let r = run_in(
        dir.path(),
        "stance-train",
        &["--data", "labelled.csv", "--out", s(&out), "--quiet"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(msg), "{}", r.stderr);
    assert!(!out.exists());
    let r = run_in(
        dir.path(),
        "stance-eval",
        &["--model", s(fixture_model()), "--data", "labelled.csv"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(msg), "{}", r.stderr);
}

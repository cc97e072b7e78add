//! Reliability: bad, odd and huge inputs, unwritable outputs and closed pipes.
//!
//! Each case has a committed fixture under `tests/fixtures/bad/` (big inputs are
//! generated into a temporary folder). The binaries run inside that folder so the file
//! names in messages are exactly what a user typed. Every failure must be exit code 2
//! with exactly one line `<binary>: error: <file>:<line>:<column>: <what>` on stderr.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn bad_dir() -> PathBuf {
    fixture("bad")
}

/// `stance-score --model M --target ceasefire ARGS...` run in the fixture folder.
fn score(args: &[&str]) -> Run {
    let mut all = vec!["--model", s(fixture_model()), "--target", "ceasefire"];
    all.extend_from_slice(args);
    run_in(&bad_dir(), "stance-score", &all)
}

fn eval(args: &[&str]) -> Run {
    let mut all = vec!["--model", s(fixture_model())];
    all.extend_from_slice(args);
    run_in(&bad_dir(), "stance-eval", &all)
}

/// Parses scored CSV output into (header, rows).
fn parse_csv(out: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn ids(rows: &[Vec<String>]) -> Vec<&str> {
    rows.iter().map(|r| r[0].as_str()).collect()
}

/// The folder holds exactly these file names (no partial output, no temporary file).
#[track_caller]
fn assert_only_files(dir: &Path, expected: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
}

const STANCE_HEADER: [&str; 9] = [
    "id",
    "stance",
    "stance_confidence",
    "stance_p_against",
    "stance_p_favor",
    "stance_p_none",
    "stance_basis",
    "action",
    "reasons",
];

// ---------------------------------------------------------------- malformed CSV

#[test]
fn unbalanced_quotes_name_the_line_and_column_and_leave_no_output() {
    // The open quote would swallow the rest of the file into one field.
    let dir = tempdir();
    let out = dir.path().join("scored.csv");
    let r = score(&["--out", s(&out), "unbalanced_quotes.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "unbalanced_quotes.csv:3:2: unbalanced quote: the quoted field opened on line 3 is never closed, so it would swallow the rest of the input",
    );
    assert_only_files(dir.path(), &[]);
}

#[test]
fn ragged_row_names_the_line_and_first_extra_field() {
    let dir = tempdir();
    let out = dir.path().join("scored.csv");
    let r = score(&["--out", s(&out), "ragged.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "ragged.csv:3:3: malformed CSV row: 3 fields where the header has 2 (unbalanced quotes or a stray comma?)",
    );
    assert_only_files(dir.path(), &[]);
}

#[test]
fn bom_and_crlf_are_read_and_ids_kept() {
    let r = score(&["bom_crlf.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let (header, rows) = parse_csv(&r.stdout);
    assert_eq!(header, STANCE_HEADER);
    assert_eq!(ids(&rows), ["r1", "r2", "r3"]);
}

#[test]
fn bom_and_crlf_errors_count_lines_in_the_file() {
    // Line 1 header, line 2 r1, lines 3-4 r2 (a quoted CRLF inside), line 5 r3.
    let r = score(&["bom_crlf_ragged.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "bom_crlf_ragged.csv:5:4: malformed CSV row: 4 fields where the header has 3 (unbalanced quotes or a stray comma?)",
    );
}

// ---------------------------------------------------------------- JSONL, UTF-8, NUL

#[test]
fn jsonl_broken_line_is_named() {
    let dir = tempdir();
    let out = dir.path().join("scored.jsonl");
    let r = score(&["--out", s(&out), "broken_line.jsonl"]);
    assert_fails(
        &r,
        "stance-score",
        "broken_line.jsonl:3:35: invalid JSON: EOF while parsing a string at line 1 column 35",
    );
    assert_only_files(dir.path(), &[]);
}

#[test]
fn invalid_utf8_in_csv_names_line_and_field() {
    let r = score(&["invalid_utf8.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "invalid_utf8.csv:3:2: invalid UTF-8 at byte 4 of the field",
    );
    assert_eq!(r.stdout, "", "nothing written to stdout before the error");
}

#[test]
fn invalid_utf8_in_jsonl_names_line_and_byte_column() {
    let r = score(&["invalid_utf8.jsonl"]);
    assert_fails(&r, "stance-score", "invalid_utf8.jsonl:2:26: invalid UTF-8");
}

#[test]
fn nul_bytes_are_scored_like_spaces() {
    let r = score(&["nul_bytes.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let (_, rows) = parse_csv(&r.stdout);
    assert_eq!(ids(&rows), ["n1", "n2", "n3"]);
    // NUL is a control character: normalized to a space, so `cease\0fire now` scores
    // exactly like `cease fire now`.
    let dir = tempdir();
    let clean = dir.path().join("clean.csv");
    std::fs::write(&clean, "id,text\nn1,cease fire now\nn2,\nn3,plain\n").unwrap();
    let r2 = score(&[s(&clean)]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert_eq!(r.stdout, r2.stdout);
}

// ---------------------------------------------------------------- empty and header-only

#[test]
fn empty_csv_is_an_error() {
    let dir = tempdir();
    let out = dir.path().join("scored.csv");
    let r = score(&["--out", s(&out), "empty.csv"]);
    assert_fails(&r, "stance-score", "empty.csv:1: empty file: no header row");
    assert_only_files(dir.path(), &[]);
}

#[test]
fn empty_jsonl_gives_header_only_output() {
    // JSONL has no header: an empty file is zero comments, not an error.
    let r = score(&["empty.jsonl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout, format!("{}\n", STANCE_HEADER.join(",")));
}

#[test]
fn header_only_csv_gives_header_only_output() {
    let dir = tempdir();
    let out = dir.path().join("scored.csv");
    let r = score(&["--out", s(&out), "header_only.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{}\n", STANCE_HEADER.join(","))
    );
}

// ---------------------------------------------------------------- columns

#[test]
fn missing_text_column_is_named_with_the_columns_present() {
    let r = score(&["no_text_column.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "no_text_column.csv:1: no text column 'text' in the header (columns: id, body); name it with --text-col",
    );
}

#[test]
fn misnamed_text_col_flag_is_an_error() {
    let r = score(&["--text-col", "comment", "header_only.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "header_only.csv:1: no text column 'comment' in the header (columns: id, target, text); name it with --text-col",
    );
}

#[test]
fn explicit_target_col_that_is_missing_is_an_error() {
    let r = run_in(
        &bad_dir(),
        "stance-score",
        &[
            "--model",
            s(fixture_model()),
            "--target-col",
            "topic",
            "header_only.csv",
        ],
    );
    assert_fails(
        &r,
        "stance-score",
        "header_only.csv:1: no target column 'topic' in the header (columns: id, target, text); name it with --target-col",
    );
}

#[test]
fn missing_label_column_in_an_evaluation_set_is_named() {
    let r = eval(&["--data", "no_label_column.csv"]);
    assert_fails(
        &r,
        "stance-eval",
        "no_label_column.csv:1: no label column 'label' in the header (columns: id, target, text, stance); name it with --label-col",
    );
}

#[test]
fn unknown_label_in_an_evaluation_set_names_file_line_and_column() {
    let r = eval(&["--data", "unknown_label.csv"]);
    assert_fails(
        &r,
        "stance-eval",
        "unknown_label.csv:3:4: label 'maybe' is not one the model predicts (against, favor, none)",
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn a_single_class_label_column_cannot_train() {
    let dir = tempdir();
    let out = dir.path().join("m.model");
    let r = run_in(
        &bad_dir(),
        "stance-train",
        &["--data", "single_class.csv", "--out", s(&out), "--quiet"],
    );
    assert_fails(
        &r,
        "stance-train",
        "training: the label column 'label' of single_class.csv has a single class (favor); a classifier needs at least two",
    );
    assert_only_files(dir.path(), &[]);
}

// ---------------------------------------------------------------- --skip-bad-rows

#[test]
fn skip_bad_rows_reports_each_skipped_row_and_scores_the_rest() {
    let r = score(&["--skip-bad-rows", "skip_bad_rows.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "warning: skipped 2 bad row(s) of skip_bad_rows.csv:\n\
         \x20 skip_bad_rows.csv:3:3: malformed CSV row: 3 fields where the header has 2 (unbalanced quotes or a stray comma?)\n\
         \x20 skip_bad_rows.csv:5:3: malformed CSV row: 4 fields where the header has 2 (unbalanced quotes or a stray comma?)\n"
    );
    let (_, rows) = parse_csv(&r.stdout);
    assert_eq!(ids(&rows), ["s1", "s3", "s5"]);
}

#[test]
fn skip_bad_rows_in_jsonl() {
    let r = score(&["--skip-bad-rows", "skip_bad_rows.jsonl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "warning: skipped 2 bad row(s) of skip_bad_rows.jsonl:\n\
         \x20 skip_bad_rows.jsonl:2:22: invalid JSON: expected value at line 1 column 22\n\
         \x20 skip_bad_rows.jsonl:4: no text field 'text'; name it with --text-col\n"
    );
    let (_, rows) = parse_csv(&r.stdout);
    assert_eq!(ids(&rows), ["k1", "k3"]);
}

#[test]
fn without_skip_bad_rows_the_first_bad_row_stops_the_run() {
    let r = score(&["skip_bad_rows.csv"]);
    assert_fails(
        &r,
        "stance-score",
        "skip_bad_rows.csv:3:3: malformed CSV row: 3 fields where the header has 2 (unbalanced quotes or a stray comma?)",
    );
}

// ---------------------------------------------------------------- outputs

#[test]
fn output_in_a_missing_folder_fails_before_reading() {
    let dir = tempdir();
    let out = dir.path().join("missing/scored.csv");
    let r = score(&["--out", s(&out), "bom_crlf.csv"]);
    assert_fails(
        &r,
        "stance-score",
        &format!(
            "{}: output folder {} does not exist",
            out.display(),
            dir.path().join("missing").display()
        ),
    );
    assert_only_files(dir.path(), &[]);
}

#[test]
fn read_only_output_file_is_not_overwritten() {
    // Tests run as root, which ignores permission bits: the tool checks the read-only
    // flag itself.
    let dir = tempdir();
    let out = dir.path().join("scored.csv");
    std::fs::write(&out, "keep me\n").unwrap();
    let mut perm = std::fs::metadata(&out).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&out, perm).unwrap();
    let r = score(&["--out", s(&out), "bom_crlf.csv"]);
    assert_fails(
        &r,
        "stance-score",
        &format!(
            "{}: output file is read-only; not overwriting it",
            out.display()
        ),
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me\n");
    assert_only_files(dir.path(), &["scored.csv"]);
}

#[test]
fn read_only_model_output_is_not_overwritten_by_training() {
    let dir = tempdir();
    let out = dir.path().join("m.model");
    std::fs::write(&out, "old model").unwrap();
    let mut perm = std::fs::metadata(&out).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&out, perm).unwrap();
    let r = run(
        "stance-train",
        &[
            "--data",
            s(&fixture("stance_train.csv")),
            "--out",
            s(&out),
            "--buckets-log2",
            "12",
            "--quiet",
        ],
    );
    assert_fails(
        &r,
        "stance-train",
        &format!(
            "{}: output file is read-only; not overwriting it",
            out.display()
        ),
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old model");
}

#[test]
fn broken_pipe_on_stdout_exits_zero_quietly() {
    // Like `stance-score big.csv | head -1`: enough rows to fill the pipe buffer.
    let dir = tempdir();
    let input = dir.path().join("many.csv");
    let mut data = String::from("id,text\n");
    for i in 0..50_000 {
        data.push_str(&format!("{i},comment number {i} about the ceasefire\n"));
    }
    std::fs::write(&input, data).unwrap();
    let mut child = Command::new(bin("stance-score"))
        .args([
            "--model",
            s(fixture_model()),
            "--target",
            "ceasefire",
            s(&input),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap(); // the reader (and the pipe) is dropped here
    assert!(first.starts_with("id,stance,"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

// ---------------------------------------------------------------- size

#[test]
fn a_10_mb_comment_scores_in_bounded_time() {
    let dir = tempdir();
    let input = dir.path().join("huge.csv");
    let words = ["ceasefire ", "now ", "never ", "Sign ", "it! ", "stuuupid "];
    let mut text = String::with_capacity(10 << 20);
    let mut i = 0;
    while text.len() < 10 << 20 {
        text.push_str(words[i % words.len()]);
        i += 1;
    }
    std::fs::write(&input, format!("id,text\nbig,\"{text}\"\nsmall,ok\n")).unwrap();
    let r = score(&[s(&input)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, rows) = parse_csv(&r.stdout);
    assert_eq!(ids(&rows), ["big", "small"]);
}

#[test]
fn a_hundred_thousand_tiny_comments_are_all_scored_in_order() {
    let dir = tempdir();
    let input = dir.path().join("tiny.csv");
    let mut data = String::from("id,text\n");
    for i in 0..100_000 {
        data.push_str(&format!("c{i},{}\n", ["no", "yes", "ok", ""][i % 4]));
    }
    std::fs::write(&input, data).unwrap();
    let out = dir.path().join("scored.csv");
    let r = score(&["--batch-size", "1000", "--out", s(&out), s(&input)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, rows) = parse_csv(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(rows.len(), 100_000);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], format!("c{i}"));
    }
}

//! End-to-end tests of the three binaries on committed fixtures (no `../shared`).

mod common;

use common::*;

#[test]
fn training_twice_gives_byte_identical_models() {
    let dir = tempdir();
    let train = |name: &str| {
        let out = dir.path().join(name);
        let r = run(
            "stance-train",
            &[
                "--data",
                s(&fixture("stance_train.csv")),
                "--out",
                s(&out),
                "--buckets-log2",
                "16",
                "--seed",
                "7",
                "--quiet",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        std::fs::read(out).unwrap()
    };
    let a = train("a.model");
    let b = train("b.model");
    assert!(a.len() > 1000);
    assert!(a == b, "same data and seed must give the same bytes");
}

#[test]
fn score_csv_has_the_documented_columns_and_probabilities_sum_to_one() {
    let r = run(
        "stance-score",
        &[
            "--model",
            s(fixture_model()),
            "--target",
            "ceasefire",
            s(&fixture("stance_valid.csv")),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut rdr = csv::Reader::from_reader(r.stdout.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "id",
            "stance",
            "stance_confidence",
            "stance_p_against",
            "stance_p_favor",
            "stance_p_none",
            "stance_basis",
            "action",
            "reasons"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 60);
    for row in &rows {
        assert_eq!(
            &row[6], "trained",
            "the fixture model was trained on ceasefire"
        );
        let p: Vec<f64> = (3..6).map(|i| row[i].parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-3, "{row:?}");
        let conf: f64 = row[2].parse().unwrap();
        assert!((conf - p.iter().cloned().fold(0.0, f64::max)).abs() < 1e-4);
        assert!(["against", "favor", "none"].contains(&&row[1]));
    }
    // Ids come from the input, in input order.
    let input: Vec<String> = csv::Reader::from_path(fixture("stance_valid.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let output: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(input, output);
}

#[test]
fn fixture_model_learns_something_on_held_out_rows() {
    let r = run(
        "stance-eval",
        &[
            "--model",
            s(fixture_model()),
            "--data",
            s(&fixture("stance_valid.csv")),
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    for key in [
        "n",
        "accuracy",
        "macro_f1",
        "f_avg",
        "per_label",
        "confusion",
        "per_target",
        "ece",
        "brier",
        "macro_recall",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["n"], 60);
    // Three balanced classes: chance is 1/3. 180 training rows must do clearly better.
    assert!(v["accuracy"].as_f64().unwrap() > 0.5, "{}", v["accuracy"]);
    // The confusion matrix adds up to n and its diagonal to accuracy * n.
    let c = &v["confusion"]["counts"];
    let total: u64 = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .map(|(i, j)| c[i][j].as_u64().unwrap())
        .sum();
    assert_eq!(total, 60);
    let diag: u64 = (0..3).map(|i| c[i][i].as_u64().unwrap()).sum();
    assert!((diag as f64 / 60.0 - v["accuracy"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn jsonl_output_nests_under_the_task_and_explains_in_words() {
    let input = b"{\"id\": \"a\", \"text\": \"No truce, finish them.\"}\n{\"id\": \"b\", \"text\": \"Sign the truce and stop the killing.\"}\n";
    let r = run_stdin(
        "stance-score",
        &[
            "--model",
            s(fixture_model()),
            "--target",
            "ceasefire",
            "--input-format",
            "jsonl",
            "--format",
            "jsonl",
            "--explain",
            "2",
        ],
        input,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    let st = &lines[0]["stance"];
    assert!(st["label"].is_string() && st["confidence"].is_number());
    assert_eq!(st["p"].as_object().unwrap().len(), 3);
    let ex = st["explain"].as_array().unwrap();
    assert!(!ex.is_empty() && ex.len() <= 2);
    for e in ex {
        let ngram = e["ngram"].as_str().unwrap();
        assert!(
            ngram.chars().any(|c| c.is_alphabetic()),
            "readable n-gram, got {ngram}"
        );
        assert!(e["weight"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn an_unseen_target_still_gets_a_prediction() {
    let input = b"id,text,target\n1,We must stop this war now,Some Target Nobody Trained\n";
    let r = run_stdin(
        "stance-score",
        &["--model", s(fixture_model()), "--format", "csv"],
        input,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2);
}

#[test]
fn empty_text_scores_as_a_normal_row() {
    let input = b"id,text\n1,\n2,fine\n";
    let r = run_stdin(
        "stance-score",
        &["--model", s(fixture_model()), "--target", "ceasefire"],
        input,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 3);
}

#[test]
fn missing_column_is_a_clear_error_with_exit_2() {
    let dir = tempdir();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,body\n1,hello\n").unwrap();
    let r = run("stance-score", &["--model", s(fixture_model()), s(&bad)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad.csv:1: no text column 'text'"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one message, no traceback: {}",
        r.stderr
    );
}

#[test]
fn malformed_row_names_file_line_and_column_and_leaves_no_output() {
    let dir = tempdir();
    let bad = dir.path().join("ragged.csv");
    std::fs::write(&bad, "id,text\n1,fine\n2,one,too many\n").unwrap();
    let out = dir.path().join("scored.csv");
    let r = run(
        "stance-score",
        &["--model", s(fixture_model()), "--out", s(&out), s(&bad)],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ragged.csv:3:3: malformed CSV row"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "no partial output file");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn unknown_label_in_valid_is_named_with_line_and_column() {
    let dir = tempdir();
    let valid = dir.path().join("valid.csv");
    std::fs::write(
        &valid,
        "id,target,text,label\n1,ceasefire,sign it,favor\n2,ceasefire,never,maybe\n",
    )
    .unwrap();
    let out = dir.path().join("m.model");
    let r = run(
        "stance-train",
        &[
            "--data",
            s(&fixture("stance_train.csv")),
            "--valid",
            s(&valid),
            "--out",
            s(&out),
            "--quiet",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("valid.csv:3:4: label 'maybe' is not one of the training labels"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
}

#[test]
fn a_failed_training_run_keeps_the_previous_model() {
    let dir = tempdir();
    let out = dir.path().join("m.model");
    std::fs::write(&out, b"previous good model").unwrap();
    let single = dir.path().join("single.csv");
    std::fs::write(&single, "text,label\na,x\nb,x\n").unwrap();
    let r = run(
        "stance-train",
        &["--data", s(&single), "--out", s(&out), "--quiet"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("single class"), "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), b"previous good model");
}

#[test]
fn output_in_a_missing_folder_is_an_error() {
    let dir = tempdir();
    let out = dir.path().join("nope/scored.csv");
    let r = run(
        "stance-score",
        &[
            "--model",
            s(fixture_model()),
            "--out",
            s(&out),
            s(&fixture("stance_valid.csv")),
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
}

#[test]
fn eval_table_is_readable() {
    let r = run(
        "stance-eval",
        &[
            "--model",
            s(fixture_model()),
            "--data",
            s(&fixture("stance_valid.csv")),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("F_avg"));
    assert!(r
        .stdout
        .contains("confusion (rows gold, columns predicted)"));
    assert!(r.stdout.contains("per target"));
}

//! Calibration on a fixture: a binary flag trained on the committed ceasefire comments
//! (flag = the comment is against the ceasefire) and calibrated on their validation
//! split reaches ECE <= 0.05 there, far below the raw softmax's.

mod common;

use common::*;

/// Rewrites a committed stance file as a binary flag: `against` or `other`.
fn flag_copy(src: &str, dst: &std::path::Path) -> usize {
    let mut rdr = csv::Reader::from_path(repo(src)).unwrap();
    let mut w = csv::Writer::from_path(dst).unwrap();
    w.write_record(["text", "label"]).unwrap();
    let mut n = 0;
    for r in rdr.deserialize::<std::collections::HashMap<String, String>>() {
        let r = r.unwrap();
        let label = if r["label"] == "against" {
            "against"
        } else {
            "other"
        };
        w.write_record([r["text"].as_str(), label]).unwrap();
        n += 1;
    }
    w.flush().unwrap();
    n
}

#[test]
fn a_binary_flag_is_calibrated_to_ece_at_most_0_05_on_validation() {
    let dir = tempdir();
    let (train, valid, model) = (
        dir.path().join("train.csv"),
        dir.path().join("valid.csv"),
        dir.path().join("flag.model"),
    );
    assert!(flag_copy("data/ceasefire/comments_train.csv", &train) > 600);
    assert!(flag_copy("data/ceasefire/comments_val.csv", &valid) > 150);
    let r = run(
        "stance-train",
        &[
            "--task",
            "against",
            "--data",
            s(&train),
            "--valid",
            s(&valid),
            "--out",
            s(&model),
            "--quiet",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(
        "stance-eval",
        &["--model", s(&model), "--data", s(&valid), "--json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ece = v["ece"].as_f64().unwrap();
    let raw = v["ece_uncalibrated"].as_f64().unwrap();
    assert!(ece <= 0.05, "ECE after calibration {ece}");
    assert!(
        ece < raw / 2.0,
        "calibration should cut ECE: {raw} -> {ece}"
    );
    let brier = v["brier"].as_f64().unwrap();
    assert!(brier < v["brier_uncalibrated"].as_f64().unwrap());
}

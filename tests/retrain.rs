//! Retraining (`stance-train --base`), `stance-suggest` and `stance-audit` end to end,
//! on committed fixtures.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::*;

const SMALL: &[&str] = &["--buckets-log2", "16", "--seed", "7", "--quiet"];

fn train(data: &[&Path], valid: Option<&Path>, out: &Path) {
    let mut args: Vec<String> = Vec::new();
    for d in data {
        args.extend(["--data".into(), s(d).into()]);
    }
    if let Some(v) = valid {
        args.extend(["--valid".into(), s(v).into()]);
    }
    args.extend(["--out".into(), s(out).into()]);
    args.extend(SMALL.iter().map(|x| x.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run("stance-train", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn retrain(base: &Path, data: &[&Path], out: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["--base".into(), s(base).into()];
    for d in data {
        args.extend(["--data".into(), s(d).into()]);
    }
    args.extend(["--out".into(), s(out).into(), "--quiet".into()]);
    args.extend(extra.iter().map(|x| x.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("stance-train", &args)
}

fn fixture_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// A copy of the training fixture (so tests can change it) with some rows repeated and
/// one repeated with the other label: duplicates inside the original data.
fn copy_with_duplicates(dir: &Path) -> PathBuf {
    let lines = fixture_lines("stance_train.csv");
    let mut out = lines.clone();
    out.push(lines[1].clone());
    out.push(lines[2].clone());
    out.push(
        lines[3]
            .replace(",favor", ",none")
            .replace(",against", ",none"),
    );
    let p = dir.join("train.csv");
    std::fs::write(&p, out.join("\n") + "\n").unwrap();
    p
}

#[test]
fn base_without_data_reproduces_the_model_byte_for_byte() {
    let dir = tempdir();
    let data = copy_with_duplicates(dir.path());
    for (name, valid) in [("held", None), ("valid", Some(fixture("stance_valid.csv")))] {
        let old = dir.path().join(format!("{name}.model"));
        train(&[&data], valid.as_deref(), &old);
        let new = dir.path().join(format!("{name}.again.model"));
        let r = retrain(&old, &[], &new, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            std::fs::read(&old).unwrap() == std::fs::read(&new).unwrap(),
            "{name}: retraining on the recorded data must reproduce the model"
        );
    }
}

#[test]
fn a_retrained_model_is_reproducible_from_its_own_card() {
    let dir = tempdir();
    let old = dir.path().join("old.model");
    train(&[&fixture("stance_train.csv")], None, &old);
    let lines = fixture_lines("stance_train.csv");
    let added = dir.path().join("added.csv");
    let flipped = lines[5]
        .replace(",favor", ",none")
        .replace(",against", ",none");
    std::fs::write(&added, format!("{}\n{}\n{}\n", lines[0], lines[4], flipped)).unwrap();
    let child = dir.path().join("child.model");
    let r = retrain(&old, &[&added], &child, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let again = dir.path().join("child.again.model");
    let r = retrain(&child, &[], &again, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read(&child).unwrap() == std::fs::read(&again).unwrap());
}

#[test]
fn a_changed_or_missing_data_file_is_an_error_naming_it() {
    let dir = tempdir();
    let data = copy_with_duplicates(dir.path());
    let old = dir.path().join("old.model");
    train(&[&data], None, &old);
    let mut text = std::fs::read_to_string(&data).unwrap();
    text.push_str("x-1,ceasefire,One more row.,favor\n");
    std::fs::write(&data, text).unwrap();
    let new = dir.path().join("new.model");
    let r = retrain(&old, &[], &new, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(s(&data)), "{}", r.stderr);
    assert!(r.stderr.contains("changed"), "{}", r.stderr);
    assert!(!new.exists());
    // Allowed on request: trains on the file as it is now.
    let r = retrain(&old, &[], &new, &["--allow-changed-data"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(new.exists());

    std::fs::remove_file(&data).unwrap();
    let r = retrain(&old, &[], &new, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(s(&data)), "{}", r.stderr);
}

#[test]
fn conflicts_are_listed_and_resolved_by_the_rule() {
    let dir = tempdir();
    let old = dir.path().join("old.model");
    let base_data = fixture("stance_train.csv");
    train(&[&base_data], None, &old);
    let lines = fixture_lines("stance_train.csv");
    // Row 2 of the fixture is `favor`, row 3 `against`.
    assert!(lines[1].ends_with(",favor") && lines[2].ends_with(",against"));
    let added = dir.path().join("added.csv");
    std::fs::write(
        &added,
        format!(
            "{}\n{}\n{}\nnew-1,ceasefire,A brand new comment about the truce.,none\n",
            lines[0],
            lines[1],                               // exact duplicate
            lines[2].replace(",against", ",favor"), // conflict
        ),
    )
    .unwrap();
    let new = dir.path().join("new.model");
    let r = retrain(&old, &[&added], &new, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let conflicts = PathBuf::from(format!("{}.conflicts.csv", s(&new)));
    let mut rdr = csv::Reader::from_path(&conflicts).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let want = "text,target,earlier_label,earlier_source,new_label,new_source,resolution";
    assert_eq!(header.join(","), want);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(lines[2].contains(&rows[0][0]));
    assert_eq!(&rows[0][1], "ceasefire");
    assert_eq!(&rows[0][2], "against");
    assert_eq!(rows[0][3], format!("{}:3", s(&base_data)));
    assert_eq!(&rows[0][4], "favor");
    assert_eq!(rows[0][5], format!("{}:3", s(&added)));
    assert!(rows[0][6].contains("newest"));

    let parent = comment_stance::Head::load(&old).unwrap();
    let m = comment_stance::Head::load(&new).unwrap();
    let lin = m.card.lineage.as_ref().expect("lineage recorded");
    let parent_sha = comment_stance::io::sha256_hex(&std::fs::read(&old).unwrap());
    assert_eq!(lin.parent_sha256, parent_sha);
    assert_eq!(lin.added.len(), 1);
    assert_eq!(lin.added[0].path, s(&added));
    assert_eq!((lin.duplicates, lin.conflicts), (1, 1));
    assert_eq!(m.card.c, parent.card.c);
    assert_eq!(m.card.class_weight, parent.card.class_weight);
    assert_eq!(m.card.selection.len(), 1);
    // 180 rows, one relabelled against -> favor, one new `none` row.
    let counts = &m.card.label_counts;
    assert_eq!(
        (counts["against"], counts["favor"], counts["none"]),
        (59, 61, 61)
    );

    // The drop rule removes the conflicting text altogether.
    let dropped = dir.path().join("drop.model");
    let r = retrain(
        &old,
        &[&added],
        &dropped,
        &[
            "--conflict-rule",
            "drop",
            "--conflicts",
            s(&dir.path().join("c.csv")),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("c.csv").exists());
    let m = comment_stance::Head::load(&dropped).unwrap();
    let counts = &m.card.label_counts;
    assert_eq!(
        (counts["against"], counts["favor"], counts["none"]),
        (59, 60, 61)
    );

    // No conflicts: no file.
    let clean = dir.path().join("clean.model");
    let only_new = dir.path().join("only_new.csv");
    std::fs::write(
        &only_new,
        format!("{}\nnew-1,ceasefire,A brand new comment.,none\n", lines[0]),
    )
    .unwrap();
    let r = retrain(&old, &[&only_new], &clean, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!dir.path().join("clean.model.conflicts.csv").exists());
}

#[test]
fn suggest_returns_n_distinct_rows_without_near_duplicates() {
    let dir = tempdir();
    let model_path = dir.path().join("m.model");
    train(&[&fixture("stance_train.csv")], None, &model_path);
    // Every validation comment twice (new ids), once with an extra word.
    let lines = fixture_lines("stance_valid.csv");
    let mut unl = vec!["id,target,text".to_string()];
    let mut rdr = csv::Reader::from_path(fixture("stance_valid.csv")).unwrap();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let q = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
        unl.push(format!("a{i},{},{}", &r[1], q(&r[2])));
        unl.push(format!("b{i},{},{}", &r[1], q(&r[2])));
    }
    assert!(lines.len() > 50);
    let data = dir.path().join("unlabelled.csv");
    std::fs::write(&data, unl.join("\n") + "\n").unwrap();
    let model = comment_stance::Head::load(&model_path).unwrap();
    for strategy in ["margin", "entropy", "random"] {
        let out = dir.path().join(format!("{strategy}.csv"));
        let r = run(
            "stance-suggest",
            &[
                "--model",
                s(&model_path),
                "--data",
                s(&data),
                "--n",
                "25",
                "--strategy",
                strategy,
                "--out",
                s(&out),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut rdr = csv::Reader::from_path(&out).unwrap();
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            ["id", "text", "target", "predicted", "confidence", "label"]
        );
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 25, "{strategy}");
        let ids: HashSet<&str> = rows.iter().map(|r| &r[0]).collect();
        assert_eq!(ids.len(), 25);
        let sets: Vec<HashSet<String>> = rows
            .iter()
            .map(|r| model.text().tokens(&r[1]).into_iter().collect())
            .collect();
        for i in 0..sets.len() {
            assert_eq!(&rows[i][5], "", "the label column is left empty");
            assert!(["against", "favor", "none"].contains(&&rows[i][3]));
            for j in 0..i {
                assert!(
                    comment_stance::label::suggest::jaccard(&sets[i], &sets[j]) <= 0.8,
                    "{strategy}: near-duplicates {} and {}",
                    &rows[i][0],
                    &rows[j][0]
                );
            }
        }
    }
}

#[test]
fn audit_finds_planted_label_flips() {
    let dir = tempdir();
    let mut rdr = csv::Reader::from_path(fixture("stance_train.csv")).unwrap();
    let mut wtr = csv::Writer::from_path(dir.path().join("flipped.csv")).unwrap();
    wtr.write_record(["id", "target", "text", "label"]).unwrap();
    let mut flipped = HashSet::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let mut label = r[3].to_string();
        if i % 20 == 7 {
            label = match label.as_str() {
                "favor" => "against",
                "against" => "favor",
                _ => "favor",
            }
            .into();
            flipped.insert(r[0].to_string());
        }
        wtr.write_record([&r[0], &r[1], &r[2], &label]).unwrap();
    }
    wtr.flush().unwrap();
    drop(wtr);
    let out = dir.path().join("audit.csv");
    let r = run(
        "stance-audit",
        &[
            "--data",
            s(&dir.path().join("flipped.csv")),
            "--folds",
            "5",
            "--c",
            "1",
            "--class-weight",
            "balanced",
            "--buckets-log2",
            "16",
            "--out",
            s(&out),
            "--quiet",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "id",
            "text",
            "label",
            "suggested_label",
            "p_given",
            "p_suggested"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let top = &rows[..flipped.len().min(rows.len())];
    let hits = top.iter().filter(|r| flipped.contains(&r[0])).count();
    eprintln!("audit: {hits} of the top {} are planted flips", top.len());
    // The bar for the real label-error test: at least 30% of the flips in the
    // top ranks, six times what a random ranking finds.
    assert!(
        hits * 10 >= flipped.len() * 3,
        "only {hits} of {} flips in the top rows",
        flipped.len()
    );
    for r in &rows {
        let (pg, ps): (f64, f64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
        assert!((0.0..=1.0).contains(&pg) && (0.0..=1.0).contains(&ps));
        assert_ne!(&r[2], &r[3]);
    }
}

/// The fixture's rows toward another target whose stance is the ceasefire's turned
/// round ("the war": for a truce is against the war), as a labelled CSV.
fn toward_the_war(fixture_name: &str, dir: &Path, rows: std::ops::Range<usize>) -> PathBuf {
    let lines = fixture_lines(fixture_name);
    let mut out = vec![lines[0].clone()];
    for l in &lines[rows] {
        let l = l.replacen(",ceasefire,", ",the war,", 1);
        let l = if l.ends_with(",favor") {
            format!("{},against", l.trim_end_matches(",favor"))
        } else if l.ends_with(",against") {
            format!("{},favor", l.trim_end_matches(",against"))
        } else {
            l
        };
        out.push(l);
    }
    let p = dir.join(format!("war_{fixture_name}"));
    std::fs::write(&p, out.join("\n") + "\n").unwrap();
    p
}

fn eval_json(model: &Path, data: &Path) -> serde_json::Value {
    let r = run(
        "stance-eval",
        &["--model", s(model), "--data", s(data), "--json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn a_new_target_is_adapted_on_frozen_weights_without_the_base_data() {
    let dir = tempdir();
    // The base model's training file is gone afterwards: frozen adaptation needs only
    // the base model and the new labels.
    let data = dir.path().join("train.csv");
    std::fs::copy(fixture("stance_train.csv"), &data).unwrap();
    let base = dir.path().join("base.model");
    train(&[&data], Some(&fixture("stance_valid.csv")), &base);
    std::fs::remove_file(&data).unwrap();
    let labelled = toward_the_war("stance_train.csv", dir.path(), 1..181);
    let adapted = dir.path().join("adapted.model");
    let mut args = vec![
        "--base",
        s(&base),
        "--data",
        s(&labelled),
        "--out",
        s(&adapted),
    ];
    let r = run("stance-train", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("adapted 'the war' on 180 labels: C="),
        "{}",
        r.stderr
    );

    // The new target: its labels are the text's cues turned round, which the generic
    // answer gets wrong and the adapted weights learn (held-out rows).
    let held = toward_the_war("stance_valid.csv", dir.path(), 1..61);
    let before = eval_json(&base, &held)["accuracy"].as_f64().unwrap();
    let after = eval_json(&adapted, &held)["accuracy"].as_f64().unwrap();
    assert!(
        after > before + 0.2,
        "accuracy toward 'the war' {before} -> {after}"
    );

    // Everything else is answered bit for bit as before: the trained target and a
    // target neither model knows.
    let score = |m: &Path, d: &Path| {
        let r = run("stance-score", &["--model", s(m), s(d)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let valid = fixture("stance_valid.csv");
    assert_eq!(score(&base, &valid), score(&adapted, &valid));
    let other = dir.path().join("other.csv");
    let text = std::fs::read_to_string(&valid).unwrap();
    std::fs::write(&other, text.replace(",ceasefire,", ",the stadium deal,")).unwrap();
    assert_eq!(score(&base, &other), score(&adapted, &other));
    let toward_war = score(&adapted, &held);
    assert!(
        toward_war.lines().skip(1).all(|l| l.contains(",adapted,")),
        "stance_basis: {toward_war}"
    );

    // Deterministic: the same base and labels give the same file.
    let again = dir.path().join("again.model");
    args[5] = s(&again);
    assert_eq!(run("stance-train", &args).code, 0);
    assert!(std::fs::read(&adapted).unwrap() == std::fs::read(&again).unwrap());

    // A target the base was trained on is not adapted on frozen weights.
    let known = dir.path().join("known.csv");
    std::fs::write(
        &known,
        fixture_lines("stance_valid.csv")[..3].join("\n") + "\n",
    )
    .unwrap();
    let r = retrain(
        &base,
        &[&known],
        &dir.path().join("x.model"),
        &["--adapt", "frozen"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{} line 2: target 'ceasefire' is one the base model was trained on",
            s(&known)
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn audit_confident_ranking_is_deterministic_and_a_subset_of_the_suspects() {
    let data = fixture("stance_train.csv");
    let audit = |rank: &str| {
        let r = run(
            "stance-audit",
            &[
                "--data",
                s(&data),
                "--c",
                "1",
                "--class-weight",
                "balanced",
                "--buckets-log2",
                "16",
                "--seed",
                "3",
                "--rank",
                rank,
                "--quiet",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let first = audit("confident");
    assert_eq!(first, audit("confident"), "same data and seed, same output");
    let ids = |out: &str| -> Vec<String> {
        let mut rdr = csv::Reader::from_reader(out.as_bytes());
        rdr.records().map(|r| r.unwrap()[0].to_string()).collect()
    };
    let confident = ids(&first);
    let suspects: HashSet<String> = ids(&audit("self-confidence")).into_iter().collect();
    // cleanlab drops the flagged rows whose given label is the likeliest, so every row
    // confident learning flags is one where another label wins.
    assert!(!confident.is_empty());
    assert!(confident.iter().all(|id| suspects.contains(id)));
}

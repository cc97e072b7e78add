//! `stance-eval --out DIR` reports and `--model OLD --model NEW` comparisons, checked
//! against `metrics.json`, against numbers recomputed here from `stance-score` output,
//! and against hand-computed statistics (committed fixtures and models only).

mod common;

use common::*;
use serde_json::Value;

fn stance_model() -> std::path::PathBuf {
    repo("models/stance.model")
}

fn offensive_model() -> std::path::PathBuf {
    repo("models/offensive.model")
}

/// (gold, predicted, p(positive label) when asked) per row, from the fixture and
/// `stance-score` output.
fn scored(
    model: &std::path::Path,
    data: &str,
    task: &str,
    p_col: Option<&str>,
) -> Vec<(String, String, f64)> {
    let r = run("stance-score", &["--model", s(model), data]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut out = csv::Reader::from_reader(r.stdout.as_bytes());
    let head = out.headers().unwrap().clone();
    let pred_i = head.iter().position(|h| h == task).unwrap();
    let p_i = p_col.map(|c| head.iter().position(|h| h == c).unwrap());
    let mut gold = csv::Reader::from_path(data).unwrap();
    let gold_i = gold
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "label")
        .unwrap();
    gold.records()
        .zip(out.records())
        .map(|(g, o)| {
            let (g, o) = (g.unwrap(), o.unwrap());
            (
                g[gold_i].to_string(),
                o[pred_i].to_string(),
                p_i.map(|i| o[i].parse().unwrap()).unwrap_or(0.0),
            )
        })
        .collect()
}

fn read(p: &std::path::Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn stance_report_matches_metrics_json_and_recomputed_numbers() {
    let dir = tempdir();
    let out = dir.path().join("new/nested/report");
    let data = fixture("report_stance.csv");
    let model = stance_model();
    let args = [
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--group-col",
        "script",
        "--out",
        s(&out),
    ];
    let r = run("stance-eval", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("95% bootstrap CI"), "{}", r.stdout);
    let json = read(&out.join("metrics.json"));
    // --json prints exactly metrics.json.
    let mut jargs = args.to_vec();
    jargs.push("--json");
    let j = run("stance-eval", &jargs);
    assert_eq!(j.code, 0, "{}", j.stderr);
    assert_eq!(j.stdout, json);
    let v: Value = serde_json::from_str(&json).unwrap();
    // The old keys are all still there.
    for key in [
        "n",
        "accuracy",
        "macro_f1",
        "macro_recall",
        "f_avg",
        "per_label",
        "confusion",
        "per_target",
        "ece",
        "brier",
        "ci",
        "groups",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }

    // Recompute accuracy and the confusion counts from stance-score's predictions.
    let rows = scored(&stance_model(), s(&data), "stance", None);
    assert_eq!(rows.len(), 60);
    assert_eq!(v["n"], 60);
    let right = rows.iter().filter(|(g, p, _)| g == p).count();
    assert!((f(&v["accuracy"]) - right as f64 / 60.0).abs() < 1e-12);
    let labels: Vec<String> = v["confusion"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    for (gi, gl) in labels.iter().enumerate() {
        for (pi, pl) in labels.iter().enumerate() {
            let n = rows.iter().filter(|(g, p, _)| g == gl && p == pl).count();
            assert_eq!(v["confusion"]["counts"][gi][pi], n, "{gl} -> {pl}");
        }
    }
    // Per-group accuracy (script column) recomputed too.
    let scripts: Vec<String> = csv::Reader::from_path(&data)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[4].to_string())
        .collect();
    for g in ["cyrillic", "latin"] {
        let idx: Vec<usize> = (0..60).filter(|&i| scripts[i] == g).collect();
        let acc = idx.iter().filter(|&&i| rows[i].0 == rows[i].1).count() as f64 / idx.len() as f64;
        assert_eq!(v["groups"][g]["n"], idx.len());
        assert!((f(&v["groups"][g]["accuracy"]) - acc).abs() < 1e-12);
    }

    // Bootstrap intervals contain the point estimates, with the documented settings.
    for m in ["accuracy", "macro_f1", "f_avg"] {
        let (lo, hi) = (f(&v["ci"][m]["lo"]), f(&v["ci"][m]["hi"]));
        let x = f(&v[m]);
        assert!(lo <= x && x <= hi, "{m}: {x} not in [{lo}, {hi}]");
        assert!(hi - lo > 0.0 && hi - lo < 0.6, "{m}: [{lo}, {hi}]");
    }
    assert_eq!(v["ci"]["resamples"], 1000);
    assert_eq!(v["ci"]["seed"], 42);

    // Seeded: same seed, same bytes; another seed, other intervals.
    let again = dir.path().join("again");
    let mut a2 = args.to_vec();
    a2[7] = s(&again);
    assert_eq!(run("stance-eval", &a2).code, 0);
    assert_eq!(read(&again.join("metrics.json")), json);
    let mut a3 = a2.clone();
    a3.extend(["--seed", "7", "--json"]);
    let other: Value = serde_json::from_str(&run("stance-eval", &a3).stdout).unwrap();
    assert_eq!(other["accuracy"], v["accuracy"]);
    assert_ne!(other["ci"], v["ci"]);

    // The HTML is self-contained and has its plots.
    let html = read(&out.join("report.html"));
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external reference"
    );
    assert!(!html.contains("<link") && !html.contains("url("));
    // confusion, per target, reliability, label distribution, lengths
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(
        html.contains("<text"),
        "plots carry their labels as SVG text"
    );
    assert!(html.contains("most confident mistakes"));
    assert!(html.contains("sha256"));
    assert!(html.contains(&format!("{:.1}%", 100.0 * f(&v["accuracy"]))));
    let md = read(&out.join("report.md"));
    assert!(md.contains("| label | precision | recall | F1 | support |"));
    assert!(md.contains(&format!("| {:.1} |", 100.0 * f(&v["macro_f1"]))));
    // Nothing but the three files is left in the folder (no temporaries).
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["metrics.json", "report.html", "report.md"]);
}

/// AUC by counting pairs (ties ½): the definition, independent of the rank formula.
fn pair_auc(pos: &[f64], neg: &[f64]) -> f64 {
    let mut s = 0.0;
    for &p in pos {
        for &n in neg {
            s += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    s / (pos.len() * neg.len()) as f64
}

#[test]
fn flag_report_has_curves_and_bias_aucs_match_pair_counts() {
    let dir = tempdir();
    let out = dir.path().join("off");
    let data = fixture("report_offensive.csv");
    let r = run(
        "stance-eval",
        &[
            "--model",
            s(&offensive_model()),
            "--data",
            s(&data),
            "--group-col",
            "group",
            "--out",
            s(&out),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&read(&out.join("metrics.json"))).unwrap();
    let html = read(&out.join("report.html"));
    // + precision-recall curve and threshold sweep
    assert_eq!(html.matches("<svg").count(), 7);
    assert!(html.contains("BPSN AUC"));
    // Recompute the bias AUCs from stance-score's probabilities (rounded to 4
    // decimals there, hence the tolerance).
    let rows = scored(
        &offensive_model(),
        s(&data),
        "offensive",
        Some("offensive_p_offensive"),
    );
    let groups: Vec<String> = csv::Reader::from_path(&data)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .collect();
    let pick = |keep: &dyn Fn(usize, bool) -> bool| -> (Vec<f64>, Vec<f64>) {
        let (mut p, mut n) = (vec![], vec![]);
        for (i, (g, _, x)) in rows.iter().enumerate() {
            let y = g == "offensive";
            if keep(i, y) {
                if y {
                    p.push(*x)
                } else {
                    n.push(*x)
                }
            }
        }
        (p, n)
    };
    for g in ["women", "immigrants", "none"] {
        let ing = |i: usize| groups[i] == g;
        let (p, n) = pick(&|i, _| ing(i));
        let sub = pair_auc(&p, &n);
        let (p, n) = pick(&|i, y| (ing(i) && !y) || (!ing(i) && y));
        let bpsn = pair_auc(&p, &n);
        let (p, n) = pick(&|i, y| (ing(i) && y) || (!ing(i) && !y));
        let bnsp = pair_auc(&p, &n);
        let got = &v["groups"][g];
        for (k, want) in [
            ("subgroup_auc", sub),
            ("bpsn_auc", bpsn),
            ("bnsp_auc", bnsp),
        ] {
            assert!(
                (f(&got[k]) - want).abs() < 0.03,
                "{g} {k}: {} vs {want}",
                got[k]
            );
        }
    }
    assert!(v["flag_auc"].as_f64().is_some());
}

#[test]
fn comparison_mcnemar_matches_counts_from_both_models_predictions() {
    let data = fixture("report_stance.csv");
    let old = fixture_model();
    let new = stance_model();
    let r = run(
        "stance-eval",
        &[
            "--model",
            s(old),
            "--model",
            s(&new),
            "--data",
            s(&data),
            "--target",
            "ceasefire",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let a = scored(old, s(&data), "stance", None);
    let b = scored(&new, s(&data), "stance", None);
    let only_old = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.0 == x.1 && y.0 != y.1)
        .count();
    let only_new = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.0 != x.1 && y.0 == y.1)
        .count();
    let differ = a.iter().zip(&b).filter(|(x, y)| x.1 != y.1).count();
    let m = &v["comparison"]["mcnemar"];
    assert_eq!(m["old_only_right"], only_old);
    assert_eq!(m["new_only_right"], only_new);
    // Exact two-sided binomial p by hand.
    let n = only_old + only_new;
    let choose =
        |n: usize, k: usize| (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
    let tail: f64 = (0..=only_old.min(only_new))
        .map(|k| choose(n, k))
        .sum::<f64>()
        / 2f64.powi(n as i32);
    let want = (2.0 * tail).min(1.0);
    assert!(
        (f(&m["p_value"]) - want).abs() < 1e-9,
        "{} vs {want}",
        m["p_value"]
    );
    assert_eq!(v["comparison"]["disagreements_total"], differ);
    assert_eq!(
        v["comparison"]["disagreements"].as_array().unwrap().len(),
        differ.min(50)
    );
    // Accuracy delta = difference of the two accuracies, inside its interval.
    let d = &v["comparison"]["deltas"][0];
    assert_eq!(d["metric"], "accuracy");
    let acc = |x: &[(String, String, f64)]| x.iter().filter(|r| r.0 == r.1).count() as f64 / 60.0;
    assert!((f(&d["delta"]) - (acc(&b) - acc(&a))).abs() < 1e-12);
    assert!(f(&d["ci"]["lo"]) <= f(&d["delta"]) && f(&d["delta"]) <= f(&d["ci"]["hi"]));
    assert!(v["comparison"]["verdict"]
        .as_str()
        .unwrap()
        .contains("McNemar p="));

    // Text form and files.
    let dir = tempdir();
    let out = dir.path().join("cmp");
    let t = run(
        "stance-eval",
        &[
            "--model",
            s(old),
            "--model",
            s(&new),
            "--data",
            s(&data),
            "--target",
            "ceasefire",
            "--out",
            s(&out),
        ],
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    let verdict = v["comparison"]["verdict"].as_str().unwrap();
    assert!(t.stdout.contains(verdict), "{}", t.stdout);
    assert_eq!(read(&out.join("metrics.json")), r.stdout);
    let html = read(&out.join("report.html"));
    assert!(!html.contains("<script") && !html.contains("http"));
    assert_eq!(html.matches("<svg").count(), 2);
}

#[test]
fn a_model_compared_with_itself_has_no_difference() {
    let data = fixture("report_stance.csv");
    let m = stance_model();
    let r = run(
        "stance-eval",
        &[
            "--model",
            s(&m),
            "--model",
            s(&m),
            "--data",
            s(&data),
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let c = &v["comparison"];
    assert_eq!(c["mcnemar"]["old_only_right"], 0);
    assert_eq!(c["mcnemar"]["new_only_right"], 0);
    assert_eq!(c["mcnemar"]["p_value"], 1.0);
    assert_eq!(c["disagreements_total"], 0);
    assert!(c["verdict"]
        .as_str()
        .unwrap()
        .starts_with("No clear difference"));
}

#[test]
fn missing_group_column_is_a_clear_error() {
    let r = run(
        "stance-eval",
        &[
            "--model",
            s(&stance_model()),
            "--data",
            s(&fixture("report_stance.csv")),
            "--group-col",
            "lang",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no group column 'lang'"), "{}", r.stderr);
}

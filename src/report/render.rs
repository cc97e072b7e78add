//! HTML (self-contained: inline CSS and SVG, no scripts, no URLs) and Markdown forms
//! of a report.

use crate::error::Result;
use crate::eval::pct;
use crate::head::Head;
use crate::metrics::reliability_bins;

use super::stats::Interval;
use super::{plots, Comparison, Evaluation, Mistake};

const CSS: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1200px;color:#222}\
h1{font-size:24px}h2{font-size:19px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}\
th{background:#f0f0f0}td.t{text-align:left;max-width:560px}.plots{display:flex;flex-wrap:wrap;gap:16px}\
.big{font-size:20px}.verdict{font-size:20px;font-weight:bold;padding:10px;background:#f4f4e8;border:1px solid #cc9}\
code{font-size:12px}";

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text for a Markdown table cell (one line, no pipes).
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Formats a p-value (`<0.0001` for tiny ones).
pub fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "<0.0001".into()
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.3}")
    }
}

fn ci(i: &Interval) -> String {
    format!("[{}, {}]", pct(i.lo), pct(i.hi))
}

fn opt_auc(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into())
}

/// A simple table: header cells and rows of cells (already escaped for the target form).
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns holding free text (left-aligned in HTML).
    text_cols: Vec<usize>,
}

impl Table {
    fn html(&self) -> String {
        let mut o = String::from("<table><tr>");
        for h in &self.head {
            o.push_str(&format!("<th>{}</th>", esc(h)));
        }
        o.push_str("</tr>\n");
        for r in &self.rows {
            o.push_str("<tr>");
            for (j, c) in r.iter().enumerate() {
                if self.text_cols.contains(&j) {
                    o.push_str(&format!("<td class=\"t\">{}</td>", esc(c)));
                } else {
                    o.push_str(&format!("<td>{}</td>", esc(c)));
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n");
        o
    }

    fn md(&self) -> String {
        let mut o = format!(
            "| {} |\n|{}|\n",
            self.head
                .iter()
                .map(|h| md_cell(h))
                .collect::<Vec<_>>()
                .join(" | "),
            self.head
                .iter()
                .map(|_| "---")
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in &self.rows {
            o.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        o
    }
}

fn headline_table(e: &Evaluation) -> Table {
    let m = &e.metrics;
    let s = &m.eval.summary;
    let mut rows = vec![
        vec!["accuracy".into(), pct(s.accuracy), ci(&m.ci.accuracy)],
        vec!["macro-F1".into(), pct(s.macro_f1), ci(&m.ci.macro_f1)],
    ];
    if let (Some(f), Some(i)) = (s.f_avg, &m.ci.f_avg) {
        rows.push(vec!["F_avg".into(), pct(f), ci(i)]);
    }
    rows.push(vec![
        "macro-recall".into(),
        pct(s.macro_recall),
        String::new(),
    ]);
    rows.push(vec![
        "ECE (raw)".into(),
        format!("{:.4} ({:.4})", m.eval.ece, m.eval.ece_uncalibrated),
        String::new(),
    ]);
    rows.push(vec![
        "Brier (raw)".into(),
        format!("{:.4} ({:.4})", m.eval.brier, m.eval.brier_uncalibrated),
        String::new(),
    ]);
    if let Some(a) = m.flag_auc {
        rows.push(vec![
            "ROC AUC of the flag".into(),
            format!("{a:.3}"),
            String::new(),
        ]);
    }
    Table {
        head: vec![
            "metric".into(),
            "value (%)".into(),
            format!(
                "95% CI ({} bootstrap resamples, seed {})",
                m.ci.resamples, m.ci.seed
            ),
        ],
        rows,
        text_cols: vec![0],
    }
}

fn per_label_table(e: &Evaluation) -> Table {
    Table {
        head: ["label", "precision", "recall", "F1", "support"]
            .map(String::from)
            .to_vec(),
        rows: e
            .metrics
            .eval
            .summary
            .per_label
            .iter()
            .map(|(l, v)| {
                vec![
                    l.clone(),
                    pct(v.precision),
                    pct(v.recall),
                    pct(v.f1),
                    v.support.to_string(),
                ]
            })
            .collect(),
        text_cols: vec![0],
    }
}

fn confusion_table(e: &Evaluation) -> Table {
    let c = &e.metrics.eval.summary.confusion;
    let mut head = vec!["gold \\ predicted".to_string()];
    head.extend(c.labels.iter().cloned());
    Table {
        head,
        rows: c
            .labels
            .iter()
            .zip(&c.counts)
            .map(|(l, r)| {
                std::iter::once(l.clone())
                    .chain(r.iter().map(|n| n.to_string()))
                    .collect()
            })
            .collect(),
        text_cols: vec![0],
    }
}

/// The first cells of a slice's row (a target, a group): its name, rows, accuracy,
/// macro-F1 and F_avg (`–` when the labels have none).
fn slice_cells(
    name: &str,
    n: usize,
    accuracy: f64,
    macro_f1: f64,
    f_avg: Option<f64>,
) -> Vec<String> {
    vec![
        name.to_string(),
        n.to_string(),
        pct(accuracy),
        pct(macro_f1),
        f_avg.map(pct).unwrap_or_else(|| "–".into()),
    ]
}

/// `k1<sep>v1, k2<sep>v2, ...` of a map, in its order.
fn pairs_text<V: std::fmt::Display>(
    map: &std::collections::BTreeMap<String, V>,
    sep: &str,
) -> String {
    let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{k}{sep}{v}")).collect();
    pairs.join(", ")
}

fn target_table(e: &Evaluation) -> Table {
    Table {
        head: [
            "target",
            "n",
            "accuracy",
            "macro-F1",
            "F_avg",
            "seen in training",
        ]
        .map(String::from)
        .to_vec(),
        rows: e
            .metrics
            .eval
            .per_target
            .iter()
            .map(|(t, v)| {
                let name = if t.is_empty() { "(none)" } else { t };
                let mut r = slice_cells(name, v.n, v.accuracy, v.macro_f1, v.f_avg);
                r.push(if v.known_to_model { "yes" } else { "no" }.into());
                r
            })
            .collect(),
        text_cols: vec![0],
    }
}

fn group_table(e: &Evaluation) -> Option<Table> {
    let groups = e.metrics.groups.as_ref()?;
    let flag = e.metrics.eval.flag.is_some();
    let mut head: Vec<String> = ["group", "n", "accuracy", "macro-F1", "F_avg"]
        .map(String::from)
        .to_vec();
    if flag {
        head.extend(["Subgroup AUC", "BPSN AUC", "BNSP AUC"].map(String::from));
    }
    Some(Table {
        head,
        rows: groups
            .iter()
            .map(|(g, v)| {
                let name = if g.is_empty() { "(empty)" } else { g };
                let mut r = slice_cells(name, v.n, v.accuracy, v.macro_f1, v.f_avg);
                if let Some(a) = &v.aucs {
                    r.push(opt_auc(a.subgroup_auc));
                    r.push(opt_auc(a.bpsn_auc));
                    r.push(opt_auc(a.bnsp_auc));
                }
                r
            })
            .collect(),
        text_cols: vec![0],
    })
}

fn flag_table(e: &Evaluation) -> Option<Table> {
    let f = e.metrics.eval.flag.as_ref()?;
    let mut rows = vec![];
    let mut add = |name: String, p: &crate::eval::ThresholdPoint| {
        rows.push(vec![
            name,
            format!("{:.3}", p.threshold),
            pct(p.precision),
            pct(p.recall),
            pct(p.f1),
            pct(p.flagged_share),
        ])
    };
    add("at 0.5".into(), &f.at_default);
    add("best F1".into(), &f.best_f1);
    if let Some(p) = &f.at_min_precision {
        add(format!("precision ≥ {}", f.min_precision), p);
    }
    for t in [0.3, 0.4, 0.6, 0.7, 0.8, 0.9] {
        if let Some(p) = f.sweep.iter().find(|p| (p.threshold - t).abs() < 1e-9) {
            add(format!("{t}"), p);
        }
    }
    Some(Table {
        head: [
            "operating point",
            "threshold",
            "precision",
            "recall",
            "F1",
            "review share %",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        text_cols: vec![0],
    })
}

fn mistakes_table(m: &[Mistake]) -> Table {
    Table {
        head: [
            "id",
            "text",
            "target",
            "gold",
            "predicted",
            "confidence",
            "top n-grams",
        ]
        .map(String::from)
        .to_vec(),
        rows: m
            .iter()
            .map(|x| {
                vec![
                    x.id.clone(),
                    x.text.clone(),
                    x.target.clone().unwrap_or_default(),
                    x.gold.clone(),
                    x.predicted.clone(),
                    format!("{:.3}", x.confidence),
                    x.ngrams
                        .iter()
                        .map(|(g, w)| format!("{g} ({w:+.2})"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect(),
        text_cols: vec![0, 1, 2, 6],
    }
}

fn card_table(model: &Head, data: &str) -> Table {
    let c = &model.card;
    let mut rows = vec![
        vec!["task".into(), model.task.clone()],
        vec!["labels".into(), model.labels.join(", ")],
        vec!["evaluated on".into(), data.to_string()],
        vec!["tool version".into(), c.tool_version.clone()],
        vec!["seed".into(), c.seed.to_string()],
        vec!["C".into(), c.c.to_string()],
        vec!["class weight".into(), c.class_weight.to_string()],
        vec!["selection metric".into(), c.selection_metric.clone()],
        vec![
            "selection trace (C, note, score)".into(),
            c.selection
                .iter()
                .map(|(cc, note, s)| format!("C={cc} {note} {s:.4}"))
                .collect::<Vec<_>>()
                .join("; "),
        ],
        vec![
            "model selection".into(),
            c.selection_report.as_ref().map_or_else(
                || "on the validation split".into(),
                |r| r.summary(&c.selection_metric),
            ),
        ],
        vec![
            "converged / iterations".into(),
            format!("{} / {}", c.converged, c.iterations),
        ],
        vec!["columns".into(), pairs_text(&c.columns, "=")],
        vec![
            "training label counts".into(),
            pairs_text(&c.label_counts, ": "),
        ],
        vec!["targets known".into(), model.targets.join(", ")],
    ];
    for (kind, files) in [("training data", &c.data), ("validation data", &c.valid)] {
        for f in files.iter() {
            rows.push(vec![
                kind.into(),
                format!("{} ({} rows) sha256 {}", f.path, f.rows, f.sha256),
            ]);
        }
    }
    if let Some(cal) = &c.calibration {
        rows.push(vec![
            "calibration (ECE before → after)".into(),
            format!("{:.4} → {:.4}", cal.ece_before, cal.ece_after),
        ]);
    }
    if let Ok(h) = serde_json::to_string(model.text().params()) {
        rows.push(vec!["text hyperparameters".into(), h]);
    }
    if let Ok(h) = serde_json::to_string(model.featurizer().params()) {
        rows.push(vec!["feature hyperparameters".into(), h]);
    }
    rows.push(vec![
        "calibration".into(),
        format!("{:?}", model.calibration),
    ]);
    Table {
        head: vec!["".into(), "".into()],
        rows,
        text_cols: vec![0, 1],
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n{body}</body></html>\n",
        esc(title)
    )
}

fn word_counts(e: &Evaluation) -> Vec<usize> {
    e.rows
        .iter()
        .map(|r| r.text.split_whitespace().count())
        .collect()
}

/// The single-model HTML report.
pub fn html(model: &Head, data: &str, e: &Evaluation, mistakes: &[Mistake]) -> Result<String> {
    let m = &e.metrics;
    let s = &m.eval.summary;
    let mut b = format!(
        "<h1>Evaluation of the {} model</h1>\n<p class=\"big\">{} rows of <code>{}</code>: accuracy <b>{}%</b> {}, macro-F1 <b>{}%</b> {}{}</p>\n",
        esc(&model.task),
        s.n,
        esc(data),
        pct(s.accuracy),
        ci(&m.ci.accuracy),
        pct(s.macro_f1),
        ci(&m.ci.macro_f1),
        match (s.f_avg, &m.ci.f_avg) {
            (Some(f), Some(i)) => format!(", F_avg <b>{}%</b> {}", pct(f), ci(i)),
            _ => String::new(),
        }
    );
    b.push_str("<h2>Headline metrics</h2>\n");
    b.push_str(&headline_table(e).html());
    b.push_str("<h2>Per label</h2>\n<div class=\"plots\">");
    b.push_str(&per_label_table(e).html());
    b.push_str(&plots::confusion(&s.confusion, "Confusion matrix")?);
    b.push_str("</div>\n");
    b.push_str("<h2>Per target</h2>\n<div class=\"plots\">");
    b.push_str(&target_table(e).html());
    let (names, vals): (Vec<String>, Vec<f64>) = m
        .eval
        .per_target
        .iter()
        .map(|(t, v)| {
            let name = if t.is_empty() {
                "(none)".into()
            } else {
                t.clone()
            };
            (name, v.f_avg.unwrap_or(v.macro_f1))
        })
        .unzip();
    let metric = if s.f_avg.is_some() {
        "F_avg"
    } else {
        "macro-F1"
    };
    b.push_str(&plots::bars(
        &names,
        &vals,
        &format!("{metric} per target"),
        &format!("{metric} (%)"),
    )?);
    b.push_str("</div>\n");
    if let Some(t) = group_table(e) {
        b.push_str(&format!(
            "<h2>Slices by <code>{}</code></h2>\n",
            esc(m.group_col.as_deref().unwrap_or(""))
        ));
        b.push_str(&t.html());
        b.push_str("<p>Subgroup AUC: the flag's AUC within the group. BPSN (background positive, subgroup negative): low means the group's harmless comments score higher than others' flagged ones (false alarms on the group). BNSP: low means the group's flagged comments score lower than others' harmless ones (misses on the group).</p>\n");
    }
    b.push_str("<h2>Calibration</h2>\n<div class=\"plots\">");
    b.push_str(&plots::reliability(
        &reliability_bins(&e.scored.probs, &e.scored.gold, 15),
        m.eval.ece,
    )?);
    b.push_str("</div>\n");
    if let (Some(f), Some(t)) = (&m.eval.flag, flag_table(e)) {
        b.push_str(&format!("<h2>Flag <code>{}</code></h2>\n", esc(&f.flag)));
        b.push_str(&t.html());
        b.push_str("<div class=\"plots\">");
        b.push_str(&plots::precision_recall(f)?);
        b.push_str(&plots::threshold_sweep(f)?);
        b.push_str("</div>\n");
    }
    b.push_str(&format!(
        "<h2>The {} most confident mistakes</h2>\n",
        mistakes.len()
    ));
    b.push_str(&mistakes_table(mistakes).html());
    b.push_str("<h2>Distributions</h2>\n<div class=\"plots\">");
    b.push_str(&plots::label_counts(
        &model.labels,
        &e.scored.gold,
        &e.pred,
    )?);
    b.push_str(&plots::lengths(&word_counts(e))?);
    b.push_str("</div>\n<h2>Model card</h2>\n");
    b.push_str(&card_table(model, data).html());
    Ok(page(&format!("{} evaluation", model.task), &b))
}

/// The single-model Markdown report (tables only).
pub fn markdown(model: &Head, data: &str, e: &Evaluation, mistakes: &[Mistake]) -> String {
    let m = &e.metrics;
    let mut o = format!(
        "# Evaluation of the {} model\n\n{} rows of `{}`.\n\n## Headline metrics\n\n",
        model.task, m.eval.summary.n, data
    );
    o.push_str(&headline_table(e).md());
    o.push_str("\n## Per label\n\n");
    o.push_str(&per_label_table(e).md());
    o.push_str("\n## Confusion (rows gold, columns predicted)\n\n");
    o.push_str(&confusion_table(e).md());
    o.push_str("\n## Per target\n\n");
    o.push_str(&target_table(e).md());
    if let Some(t) = group_table(e) {
        o.push_str(&format!(
            "\n## Slices by `{}`\n\n",
            m.group_col.as_deref().unwrap_or("")
        ));
        o.push_str(&t.md());
    }
    if let (Some(f), Some(t)) = (&m.eval.flag, flag_table(e)) {
        o.push_str(&format!("\n## Flag `{}`\n\n", f.flag));
        o.push_str(&t.md());
    }
    o.push_str("\n## Most confident mistakes\n\n");
    o.push_str(&mistakes_table(mistakes).md());
    o.push_str("\n## Model card\n\n");
    o.push_str(&card_table(model, data).md());
    o
}

fn comparison_tables(
    models: (&Head, &Head),
    evals: (&Evaluation, &Evaluation),
    c: &Comparison,
) -> (Table, Table, Table) {
    let deltas = Table {
        head: [
            "metric",
            "OLD %",
            "NEW %",
            "delta (points)",
            "paired 95% CI",
        ]
        .map(String::from)
        .to_vec(),
        rows: c
            .deltas
            .iter()
            .map(|d| {
                vec![
                    d.metric.clone(),
                    pct(d.old),
                    pct(d.new),
                    format!("{:+.1}", 100.0 * d.delta),
                    format!("[{:+.1}, {:+.1}]", 100.0 * d.ci.lo, 100.0 * d.ci.hi),
                ]
            })
            .collect(),
        text_cols: vec![0],
    };
    let m = &c.mcnemar;
    let test = Table {
        head: ["", ""].map(String::from).to_vec(),
        rows: vec![
            vec!["rows".into(), c.n.to_string()],
            vec!["only OLD right".into(), m.old_only_right.to_string()],
            vec!["only NEW right".into(), m.new_only_right.to_string()],
            vec![
                "McNemar χ² (continuity-corrected)".into(),
                format!("{:.3}", m.chi2_corrected),
            ],
            vec!["McNemar exact p".into(), p_value(m.p_value)],
            vec![
                "rows labelled differently".into(),
                c.disagreements_total.to_string(),
            ],
            vec![
                "OLD model".into(),
                format!("{} (C={})", models.0.task, models.0.card.c),
            ],
            vec![
                "NEW model".into(),
                format!("{} (C={})", models.1.task, models.1.card.c),
            ],
            vec![
                "OLD / NEW ECE".into(),
                format!(
                    "{:.4} / {:.4}",
                    evals.0.metrics.eval.ece, evals.1.metrics.eval.ece
                ),
            ],
        ],
        text_cols: vec![0],
    };
    let dis = Table {
        head: ["id", "text", "gold", "OLD", "NEW"]
            .map(String::from)
            .to_vec(),
        rows: c
            .disagreements
            .iter()
            .map(|d| {
                vec![
                    d.id.clone(),
                    d.text.clone(),
                    d.gold.clone(),
                    format!("{} ({:.2})", d.old, d.old_confidence),
                    format!("{} ({:.2})", d.new, d.new_confidence),
                ]
            })
            .collect(),
        text_cols: vec![0, 1],
    };
    (deltas, test, dis)
}

/// The comparison HTML report.
pub fn comparison_html(
    models: (&Head, &Head),
    data: &str,
    evals: (&Evaluation, &Evaluation),
    c: &Comparison,
) -> Result<String> {
    let (deltas, test, dis) = comparison_tables(models, evals, c);
    let mut b = format!(
        "<h1>OLD vs NEW {} model on <code>{}</code></h1>\n<p class=\"verdict\">{}</p>\n<h2>Metric deltas (paired bootstrap, {} resamples)</h2>\n",
        esc(&models.1.task),
        esc(data),
        esc(&c.verdict),
        evals.0.metrics.ci.resamples
    );
    b.push_str(&deltas.html());
    b.push_str("<h2>McNemar's test</h2>\n");
    b.push_str(&test.html());
    b.push_str("<h2>Confusion matrices</h2>\n<div class=\"plots\">");
    b.push_str(&plots::confusion(
        &evals.0.metrics.eval.summary.confusion,
        "OLD",
    )?);
    b.push_str(&plots::confusion(
        &evals.1.metrics.eval.summary.confusion,
        "NEW",
    )?);
    b.push_str("</div>\n");
    b.push_str(&format!(
        "<h2>Rows they disagree on ({} of {})</h2>\n",
        c.disagreements.len(),
        c.disagreements_total
    ));
    b.push_str(&dis.html());
    Ok(page("model comparison", &b))
}

/// The comparison Markdown report.
pub fn comparison_markdown(
    models: (&Head, &Head),
    data: &str,
    evals: (&Evaluation, &Evaluation),
    c: &Comparison,
) -> String {
    let (deltas, test, dis) = comparison_tables(models, evals, c);
    format!(
        "# OLD vs NEW {} model on `{}`\n\n**{}**\n\n## Metric deltas\n\n{}\n## McNemar's test\n\n{}\n## Rows they disagree on ({} of {})\n\n{}",
        models.1.task,
        data,
        c.verdict,
        deltas.md(),
        test.md(),
        c.disagreements.len(),
        c.disagreements_total,
        dis.md()
    )
}

/// Terminal lines of the bootstrap intervals and slices (after [`crate::eval::render_text`]).
pub fn ci_text(m: &super::Metrics) -> String {
    let mut o = format!(
        "\n95% bootstrap CI ({} resamples, seed {}): accuracy {}  macro-F1 {}",
        m.ci.resamples,
        m.ci.seed,
        ci(&m.ci.accuracy),
        ci(&m.ci.macro_f1)
    );
    if let Some(f) = &m.ci.f_avg {
        o.push_str(&format!("  F_avg {}", ci(f)));
    }
    o.push('\n');
    if let Some(a) = m.flag_auc {
        o.push_str(&format!("ROC AUC of the flag {a:.3}\n"));
    }
    if let Some(groups) = &m.groups {
        o.push_str(&format!(
            "\nper group ({})\n",
            m.group_col.as_deref().unwrap_or("")
        ));
        for (g, v) in groups {
            o.push_str(&format!(
                "{:<20}  n {:>5}  acc {:>5}  macro-F1 {:>5}",
                if g.is_empty() { "(empty)" } else { g },
                v.n,
                pct(v.accuracy),
                pct(v.macro_f1)
            ));
            if let Some(a) = &v.aucs {
                o.push_str(&format!(
                    "  subgroup AUC {}  BPSN {}  BNSP {}",
                    opt_auc(a.subgroup_auc),
                    opt_auc(a.bpsn_auc),
                    opt_auc(a.bnsp_auc)
                ));
            }
            o.push('\n');
        }
    }
    o
}

/// Terminal form of a comparison: deltas, McNemar, verdict.
pub fn comparison_text(c: &Comparison) -> String {
    let mut o = format!("rows: {}\n", c.n);
    for d in &c.deltas {
        o.push_str(&format!(
            "{:<9} OLD {:>5}  NEW {:>5}  delta {:+.1} points, 95% CI [{:+.1}, {:+.1}]\n",
            d.metric,
            pct(d.old),
            pct(d.new),
            100.0 * d.delta,
            100.0 * d.ci.lo,
            100.0 * d.ci.hi
        ));
    }
    let m = &c.mcnemar;
    o.push_str(&format!(
        "McNemar: only OLD right {}, only NEW right {}, chi2 (corrected) {:.3}, exact p={}\n",
        m.old_only_right,
        m.new_only_right,
        m.chi2_corrected,
        p_value(m.p_value)
    ));
    o.push_str(&format!(
        "rows labelled differently: {}\n\n{}\n",
        c.disagreements_total, c.verdict
    ));
    o
}

//! The readable terminal summary of an evaluation.

use super::{EvalReport, FlagReport, ThresholdPoint};

/// A share as a percentage with one decimal (`0.7234` → `72.3`).
pub fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// A readable multi-line summary for the terminal.
pub fn render_text(r: &EvalReport) -> String {
    let s = &r.summary;
    let mut out = format!("task: {}   rows: {}\n", r.task, s.n);
    out.push_str(&format!(
        "accuracy {}   macro-F1 {}   macro-recall {}",
        pct(s.accuracy),
        pct(s.macro_f1),
        pct(s.macro_recall)
    ));
    if let Some(f) = s.f_avg {
        out.push_str(&format!("   F_avg {}", pct(f)));
    }
    out.push_str(&format!(
        "\nECE {:.4} (raw {:.4})   Brier {:.4} (raw {:.4})\n",
        r.ece, r.ece_uncalibrated, r.brier, r.brier_uncalibrated
    ));
    if let Some(cv) = &r.cross_validation {
        out.push_str(&format!(
            "training {}-fold cross-validation: {} {} ± {}\n",
            cv.folds,
            cv.metric,
            pct(cv.mean),
            pct(cv.spread)
        ));
    }
    out.push('\n');
    let w = column_width(s.per_label.keys(), 5);
    out.push_str(&format!(
        "{:w$}  precision  recall     F1  support\n",
        "label"
    ));
    for (l, v) in &s.per_label {
        out.push_str(&format!(
            "{l:w$}  {:>9}  {:>6}  {:>5}  {:>7}\n",
            pct(v.precision),
            pct(v.recall),
            pct(v.f1),
            v.support
        ));
    }
    out.push_str("\nconfusion (rows gold, columns predicted)\n");
    out.push_str(&format!("{:w$}", ""));
    for l in &s.confusion.labels {
        out.push_str(&format!("  {l:>w$}"));
    }
    out.push('\n');
    for (l, row) in s.confusion.labels.iter().zip(&s.confusion.counts) {
        out.push_str(&format!("{l:w$}"));
        for c in row {
            out.push_str(&format!("  {c:>w$}"));
        }
        out.push('\n');
    }
    if r.per_target.len() > 1 || r.per_target.keys().any(|k| !k.is_empty()) {
        out.push_str(&per_target_text(r));
    }
    if let Some(f) = &r.flag {
        out.push_str(&flag_text(f));
    }
    out
}

/// The width of a column of these names, at least `min`.
fn column_width<'a>(names: impl Iterator<Item = &'a String>, min: usize) -> usize {
    names.map(|k| k.len()).max().unwrap_or(min).max(min)
}

/// The per-target lines of the summary.
fn per_target_text(r: &EvalReport) -> String {
    let mut out = String::from("\nper target\n");
    let tw = column_width(r.per_target.keys(), 6);
    for (t, v) in &r.per_target {
        let name = if t.is_empty() { "(none)" } else { t };
        out.push_str(&format!(
            "{name:tw$}  n {:>5}  acc {:>5}  macro-F1 {:>5}{}{}\n",
            v.n,
            pct(v.accuracy),
            pct(v.macro_f1),
            v.f_avg
                .map(|f| format!("  F_avg {}", pct(f)))
                .unwrap_or_default(),
            if v.known_to_model {
                ""
            } else {
                "  (target unseen in training)"
            }
        ));
    }
    out
}

/// The flag lines of the summary: the three thresholds of a binary head.
fn flag_text(f: &FlagReport) -> String {
    let mut out = format!("\nflag '{}'\n", f.flag);
    let line = |name: &str, p: &ThresholdPoint| {
        format!(
            "{name:<24} threshold {:.3}  precision {}  recall {}  F1 {}  flagged {}%\n",
            p.threshold,
            pct(p.precision),
            pct(p.recall),
            pct(p.f1),
            pct(p.flagged_share)
        )
    };
    out.push_str(&line("at 0.5", &f.at_default));
    out.push_str(&line("best F1", &f.best_f1));
    match &f.at_min_precision {
        Some(p) => out.push_str(&line(&format!("precision >= {}", f.min_precision), p)),
        None => out.push_str(&format!(
            "precision >= {}: no threshold reaches it\n",
            f.min_precision
        )),
    }
    out
}

//! The readable terminal table: id, comment, one column per head, where a reply's
//! stance came from, the action and the top reasons.

use super::ScoredRow;
use crate::head::Head;
use crate::metrics::argmax;

fn truncate_chars(s: &str, n: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= n {
        flat
    } else {
        let mut t: String = flat.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The table's "stance from" cell: `-` for the comment's own text, else how the reply
/// relates to which parent and that parent's stance (`agrees with r1 (against 0.76)`).
fn stance_from_cell(models: &[Head], s: &ScoredRow, src: &str) -> String {
    let Some(parent) = src.strip_prefix("thread:") else {
        let rest = src.strip_prefix("text").map_or(src, str::trim);
        return if rest.is_empty() {
            "-".into()
        } else {
            rest.to_string()
        };
    };
    let relation = models
        .iter()
        .zip(&s.heads)
        .find(|(m, h)| m.is_pair() && !h.skipped)
        .map(|(m, h)| m.labels[h.label].as_str());
    let verb = match relation {
        Some("agree") => "agrees with",
        Some("disagree") => "disagrees with",
        _ => "replies to",
    };
    let stance = models.iter().find(|m| m.task == "stance" && !m.is_pair());
    match (stance, &s.parent_stance) {
        (Some(m), Some(p)) => {
            let k = argmax(p);
            format!("{verb} {parent} ({} {:.2})", m.labels[k], p[k])
        }
        _ => format!("{verb} {parent}"),
    }
}

/// Renders scored rows as a plain-text table: id, comment, one column per head,
/// and the top reasons of the first head.
pub fn render_table(models: &[Head], rows: &[ScoredRow]) -> String {
    let mut header = vec!["id".to_string(), "comment".to_string()];
    header.extend(models.iter().map(|m| m.task.clone()));
    if models.iter().any(Head::is_pair) {
        header.push("stance from".to_string());
    }
    header.push("action".to_string());
    header.push("why".to_string());
    let mut table: Vec<Vec<String>> = vec![header];
    for s in rows {
        let mut line = vec![s.row.id.clone(), truncate_chars(&s.row.text, 44)];
        for (m, h) in models.iter().zip(&s.heads) {
            if h.skipped {
                line.push("-".into());
            } else {
                line.push(format!("{} {:.2}", m.labels[h.label], h.probs[h.label]));
            }
        }
        if let Some(src) = &s.stance_source {
            line.push(stance_from_cell(models, s, src));
        }
        let why = s
            .heads
            .first()
            .map(|h| {
                h.reasons
                    .iter()
                    .map(|r| r.ngram.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        line.push(s.action.as_str().to_string());
        let flagged = s
            .reasons
            .first()
            .map(|r| format!("; {}", r.split(" [").next().unwrap_or(r)))
            .unwrap_or_default();
        line.push(format!("{}{flagged}", truncate_chars(&why, 48)));
        table.push(line);
    }
    let ncols = table[0].len();
    let widths: Vec<usize> = (0..ncols)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in table.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if c + 1 == ncols {
                    cell.clone()
                } else {
                    format!("{cell}{}", " ".repeat(w - cell.chars().count()))
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

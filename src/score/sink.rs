//! Writing scored rows in the machine forms: CSV columns `<task>`, `<task>_confidence`,
//! `<task>_p_<label>` per head after `id` (and `<task>_explain`, `<task>_basis` for heads that
//! cross targets, `stance_source`,
//! `action`, `reasons`), or JSONL with the same nested under the task name; the table
//! is collected here and laid out by [`super::table`].

use std::io::Write;

use serde_json::json;

use super::{table::render_table, OutFormat, ScoredRow};
use crate::error::{Error, Result};
use crate::head::{Head, Reason};
use crate::io::Output;

/// Writes scored rows in one of the output forms.
pub struct Sink<'a> {
    out: &'a mut Output,
    format: OutFormat,
    csv_header_done: bool,
    table: Vec<ScoredRow>,
    explain: bool,
}

/// Appends `format!("{p:.4}")` to `out`, without the general float formatter for
/// probabilities (a twentieth of CSV scoring time went there) nor a string per field:
/// `p` times 10⁴ is exact in `f64` (24 + 14 bits), and Rust rounds the exact value half
/// to even, as `round_ties_even` does.
fn push_p(out: &mut String, p: f32) {
    if !(0.0..=1.0).contains(&p) || p.is_sign_negative() {
        use std::fmt::Write;
        write!(out, "{p:.4}").expect("formatting into a String");
        return;
    }
    let n = (f64::from(p) * 10_000.0).round_ties_even() as u32;
    let digit = |d: u32| char::from(b'0' + d as u8);
    out.push(digit(n / 10_000));
    out.push('.');
    for d in [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10] {
        out.push(digit(d));
    }
}

fn reasons_text(r: &[Reason]) -> String {
    r.iter()
        .map(|r| format!("{} ({:+.2})", r.ngram, r.weight))
        .collect::<Vec<_>>()
        .join("; ")
}

impl<'a> Sink<'a> {
    /// A sink writing `format` to `out`.
    pub fn new(out: &'a mut Output, format: OutFormat, explain: bool) -> Self {
        Sink {
            out,
            format,
            csv_header_done: false,
            table: Vec::new(),
            explain,
        }
    }

    fn io(e: std::io::Error) -> Error {
        Error::io("<output>", e)
    }

    /// Writes one batch.
    pub fn write(&mut self, models: &[Head], batch: Vec<ScoredRow>) -> Result<()> {
        match self.format {
            OutFormat::Table => {
                self.table.extend(batch);
                Ok(())
            }
            OutFormat::Jsonl => {
                let mut buf = Vec::with_capacity(batch.len() * 256);
                for s in &batch {
                    write_jsonl_line(models, s, self.explain, &mut buf);
                }
                self.out.write_all(&buf).map_err(Self::io)
            }
            OutFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::with_capacity(batch.len() * 128));
                let csv_err =
                    |e: csv::Error| Error::io("<output>", std::io::Error::other(e.to_string()));
                if !self.csv_header_done {
                    let mut header = vec!["id".to_string()];
                    if let Some(first) = batch.first() {
                        header.extend(first.row.extra.iter().map(|(k, _)| k.clone()));
                    }
                    for m in models {
                        header.push(m.task.clone());
                        header.push(format!("{}_confidence", m.task));
                        for l in &m.labels {
                            header.push(format!("{}_p_{l}", m.task));
                        }
                        if self.explain {
                            header.push(format!("{}_explain", m.task));
                        }
                        if m.basis(None).is_some() {
                            header.push(format!("{}_basis", m.task));
                        }
                    }
                    if models.iter().any(Head::is_pair) {
                        header.push("stance_source".into());
                    }
                    header.push("action".into());
                    header.push("reasons".into());
                    w.write_record(&header).map_err(csv_err)?;
                    self.csv_header_done = true;
                }
                // Field by field: the row's strings are written from where they are.
                let pair = models.iter().any(Head::is_pair);
                let mut num = String::with_capacity(8);
                let mut p_field = |w: &mut csv::Writer<Vec<u8>>, p: f32| {
                    num.clear();
                    push_p(&mut num, p);
                    w.write_field(&num).map_err(csv_err)
                };
                for s in &batch {
                    w.write_field(&s.row.id).map_err(csv_err)?;
                    for (_, v) in &s.row.extra {
                        w.write_field(v).map_err(csv_err)?;
                    }
                    for (m, h) in models.iter().zip(&s.heads) {
                        let basis_col = m.basis(None).is_some() as usize;
                        if h.skipped {
                            for _ in 0..2 + m.labels.len() + self.explain as usize + basis_col {
                                w.write_field("").map_err(csv_err)?;
                            }
                            continue;
                        }
                        w.write_field(&m.labels[h.label]).map_err(csv_err)?;
                        p_field(&mut w, h.probs[h.label])?;
                        for &p in &h.probs {
                            p_field(&mut w, p)?;
                        }
                        if self.explain {
                            w.write_field(reasons_text(&h.reasons)).map_err(csv_err)?;
                        }
                        if basis_col == 1 {
                            w.write_field(h.basis.map_or("", |b| b.as_str()))
                                .map_err(csv_err)?;
                        }
                    }
                    if pair {
                        w.write_field(s.stance_source.as_deref().unwrap_or_default())
                            .map_err(csv_err)?;
                    }
                    w.write_field(s.action.as_str()).map_err(csv_err)?;
                    w.write_field(s.reasons.join(" | ")).map_err(csv_err)?;
                    w.write_record(None::<&[u8]>).map_err(csv_err)?;
                }
                let bytes = w
                    .into_inner()
                    .map_err(|e| Error::io("<output>", std::io::Error::other(e.to_string())))?;
                self.out.write_all(&bytes).map_err(Self::io)
            }
        }
    }

    /// Finishes the output (the table is laid out here, once all rows are known).
    pub fn finish(self, models: &[Head]) -> Result<()> {
        if self.format == OutFormat::Table {
            let t = render_table(models, &self.table);
            self.out.write_all(t.as_bytes()).map_err(Self::io)?;
        }
        Ok(())
    }
}

/// Appends one scored row to `buf` as `--format jsonl` prints it: one JSON object and
/// a newline (what the scoring service's native endpoint answers, byte for byte).
pub fn write_jsonl_line(models: &[Head], s: &ScoredRow, explain: bool, buf: &mut Vec<u8>) {
    // Key collisions (an extra column named like a head, `action`...): the map's
    // replace-in-place semantics decide the layout.
    let obj = jsonl_row_map(models, s, explain);
    serde_json::to_writer(&mut *buf, &obj).expect("JSON to memory");
    buf.push(b'\n');
}

/// One JSONL row as a JSON map (the reference layout; used when keys collide).
fn jsonl_row_map(
    models: &[Head],
    s: &ScoredRow,
    explain: bool,
) -> serde_json::Map<String, serde_json::Value> {
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), json!(s.row.id));
    for (k, v) in &s.row.extra {
        obj.insert(k.clone(), json!(v));
    }
    for (m, h) in models.iter().zip(&s.heads) {
        if h.skipped {
            obj.insert(m.task.clone(), serde_json::Value::Null);
            continue;
        }
        let mut head = serde_json::Map::new();
        head.insert("label".into(), json!(m.labels[h.label]));
        head.insert("confidence".into(), json!(round4(h.probs[h.label])));
        let p: serde_json::Map<String, serde_json::Value> = m
            .labels
            .iter()
            .zip(&h.probs)
            .map(|(l, &p)| (l.clone(), json!(round4(p))))
            .collect();
        head.insert("p".into(), p.into());
        if explain {
            head.insert(
                "explain".into(),
                h.reasons
                    .iter()
                    .map(|r| json!({"ngram": r.ngram, "weight": round4(r.weight)}))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        if let Some(b) = h.basis {
            head.insert("basis".into(), json!(b.as_str()));
        }
        obj.insert(m.task.clone(), head.into());
    }
    if let Some(src) = &s.stance_source {
        obj.insert("stance_source".into(), json!(src));
    }
    obj.insert("action".into(), json!(s.action.as_str()));
    obj.insert("reasons".into(), json!(s.reasons));
    obj
}

fn round4(x: f32) -> f64 {
    (x as f64 * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_print_as_the_float_formatter_prints_them() {
        let mut ps: Vec<f32> = (0..=1_065_353_216u32)
            .step_by(977)
            .map(f32::from_bits)
            .collect();
        // Exact ties at the fourth decimal (k/32) and the ends.
        ps.extend((0..=32).map(|k| k as f32 / 32.0));
        ps.extend([0.0, 1.0, -0.0, 0.99995, 0.00005, 1.5, f32::NAN, -0.25]);
        for p in ps {
            let mut out = String::from("x");
            push_p(&mut out, p);
            assert_eq!(out, format!("x{p:.4}"), "{p:e}");
        }
    }
}

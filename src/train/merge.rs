//! Merging newly labelled files into a base model's recorded data, file by file: an
//! exact duplicate (same text, target and label) is dropped; the same text and target
//! with another label is a [`Conflict`], resolved by the [`ConflictRule`].

use std::collections::HashMap;

use crate::io::Row;

/// How a conflicting label (same text and target, different label) is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ConflictRule {
    /// The row from the later file wins (added files win over the base data).
    Newest,
    /// Every row of that text and target is dropped.
    Drop,
}

impl ConflictRule {
    /// Name as recorded in the model card.
    pub fn name(self) -> &'static str {
        match self {
            ConflictRule::Newest => "newest",
            ConflictRule::Drop => "drop",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Self> {
        match s {
            "newest" => Some(ConflictRule::Newest),
            "drop" => Some(ConflictRule::Drop),
            _ => None,
        }
    }
}

/// One conflicting label found while merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Comment text.
    pub text: String,
    /// Target (empty when none).
    pub target: String,
    /// Earlier label(s), `|`-separated.
    pub earlier_label: String,
    /// Where the earlier rows came from (`file:line`, `|`-separated).
    pub earlier_source: String,
    /// The added row's label.
    pub new_label: String,
    /// Where the added row came from.
    pub new_source: String,
    /// What was kept.
    pub resolution: String,
}

/// Key of a row for duplicate detection: trimmed text, case-folded trimmed target.
fn key(r: &Row) -> (String, String) {
    (
        r.text.trim().to_string(),
        r.target
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .unwrap_or_default(),
    )
}

/// Rows of several files merged in order: files without a rule are appended as they
/// are; rows of files with a rule are merged into the rows before them.
#[derive(Debug, Default)]
pub struct Merger {
    rows: Vec<Option<(Row, String)>>,
    by_key: HashMap<(String, String), Vec<usize>>,
    dropped: HashMap<(String, String), String>,
    /// Added rows dropped as exact duplicates.
    pub duplicates: usize,
    /// Conflicts found.
    pub conflicts: Vec<Conflict>,
}

impl Merger {
    fn push(&mut self, row: Row, source: String) {
        self.by_key
            .entry(key(&row))
            .or_default()
            .push(self.rows.len());
        self.rows.push(Some((row, source)));
    }

    /// Adds the rows of one file (`path` names it in conflict reports).
    pub fn add(&mut self, path: &str, rows: Vec<Row>, rule: Option<ConflictRule>) {
        for row in rows {
            let source = format!("{path}:{}", row.line);
            let Some(rule) = rule else {
                self.push(row, source);
                continue;
            };
            let k = key(&row);
            let label = row.label.clone().unwrap_or_default();
            if let Some(why) = self.dropped.get(&k) {
                self.conflicts.push(Conflict {
                    text: k.0.clone(),
                    target: k.1.clone(),
                    earlier_label: why.clone(),
                    earlier_source: String::new(),
                    new_label: label,
                    new_source: source,
                    resolution: "dropped (text already dropped for conflicting labels)".into(),
                });
                continue;
            }
            let live: Vec<usize> = self.by_key.get(&k).cloned().unwrap_or_default();
            if live.is_empty() {
                self.push(row, source);
                continue;
            }
            let earlier: Vec<&(Row, String)> =
                live.iter().filter_map(|&i| self.rows[i].as_ref()).collect();
            if earlier
                .iter()
                .all(|(r, _)| r.label.as_deref() == Some(&label))
            {
                self.duplicates += 1;
                continue;
            }
            let mut labels: Vec<String> = Vec::new();
            for (r, _) in &earlier {
                let l = r.label.clone().unwrap_or_default();
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            let sources: Vec<&str> = earlier.iter().map(|(_, s)| s.as_str()).collect();
            let mut c = Conflict {
                text: k.0.clone(),
                target: k.1.clone(),
                earlier_label: labels.join("|"),
                earlier_source: sources.join("|"),
                new_label: label.clone(),
                new_source: source.clone(),
                resolution: String::new(),
            };
            for &i in &live {
                self.rows[i] = None;
            }
            self.by_key.remove(&k);
            match rule {
                ConflictRule::Newest => {
                    c.resolution = format!("kept '{label}' (newest)");
                    self.push(row, source);
                }
                ConflictRule::Drop => {
                    c.resolution = "dropped all".into();
                    labels.push(label);
                    self.dropped.insert(k, labels.join("|"));
                }
            }
            self.conflicts.push(c);
        }
    }

    /// The merged rows, in order.
    pub fn rows(self) -> (Vec<Row>, usize, Vec<Conflict>) {
        (
            self.rows.into_iter().flatten().map(|(r, _)| r).collect(),
            self.duplicates,
            self.conflicts,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, text: &str, target: &str, label: &str) -> Row {
        Row {
            line,
            id: line.to_string(),
            text: text.into(),
            label: Some(label.into()),
            target: Some(target.into()),
            ..Row::default()
        }
    }

    /// Rows of (line, text, target, label).
    fn rows(list: &[(u64, &str, &str, &str)]) -> Vec<Row> {
        list.iter()
            .map(|&(l, text, t, label)| row(l, text, t, label))
            .collect()
    }

    #[test]
    fn base_rows_are_kept_as_they_are_and_added_rows_merge() {
        let mut m = Merger::default();
        let base = rows(&[(2, "a", "t", "x"), (3, "a", "t", "x"), (4, "b", "t", "x")]);
        m.add("base.csv", base, None);
        let added = rows(&[(2, "a ", "T", "x"), (3, "b", "t", "y"), (4, "c", "t", "y")]);
        m.add("new.csv", added, Some(ConflictRule::Newest));
        let (rows, dups, conflicts) = m.rows();
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.text.as_str(), r.label.as_deref().unwrap()))
            .collect();
        assert_eq!(got, [("a", "x"), ("a", "x"), ("b", "y"), ("c", "y")]);
        assert_eq!(dups, 1);
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].earlier_source, "base.csv:4");
        assert_eq!(conflicts[0].new_source, "new.csv:3");
    }

    #[test]
    fn drop_rule_removes_every_row_of_a_conflicting_text() {
        let mut m = Merger::default();
        m.add("base.csv", vec![row(2, "a", "t", "x")], None);
        m.add(
            "new.csv",
            vec![row(2, "a", "t", "y"), row(3, "a", "t", "x")],
            Some(ConflictRule::Drop),
        );
        let (rows, _, conflicts) = m.rows();
        assert!(rows.is_empty());
        assert_eq!(conflicts.len(), 2);
    }
}

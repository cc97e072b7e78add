//! Retraining on new labels (`stance-train --base OLD.model --data NEW.csv`).
//!
//! The old model's card says how it was trained: text and feature settings, seed,
//! columns, validation files, the C / class-weight selection trace, and every training
//! file with its SHA-256. [`retrain`] reads those files back (checking the hashes),
//! merges the new labels into them and trains again with the same settings.
//!
//! Merging is sequential and recorded per file, so it can be replayed: files from the
//! card without a `merge` rule are used as they are (duplicates inside the original
//! data stay, so retraining without new files reproduces the old model byte for byte);
//! each row of an added file is compared with every row before it by (trimmed text,
//! case-folded target). The same label: an exact duplicate, dropped. A different
//! label: a [`Conflict`], resolved by the [`ConflictRule`] (`newest`: the added row
//! replaces the earlier ones; `drop`: all rows of that text and target go).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::head::{ClassWeighting, Head, Lineage};
use crate::io::{sha256_hex, Columns, FileRecord, Progress, Row, LABEL_COLUMN};
use crate::train::{self, ClassWeight, Labelled, TrainConfig};

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

    fn parse(s: &str) -> Option<Self> {
        match s {
            "newest" => Some(ConflictRule::Newest),
            "drop" => Some(ConflictRule::Drop),
            _ => None,
        }
    }
}

/// What to retrain from and on.
#[derive(Debug, Clone)]
pub struct RetrainOptions {
    /// The parent model file.
    pub base: PathBuf,
    /// Newly labelled files (none: reproduce the parent from its recorded data).
    pub data: Vec<String>,
    /// Use recorded files whose contents changed (and skip missing ones) instead of failing.
    pub allow_changed_data: bool,
    /// Rule for conflicting labels.
    pub conflict_rule: ConflictRule,
    /// Re-run the parent's whole C / class-weight grid even with new data (without new
    /// data the whole grid is always re-run, which reproduces the parent exactly).
    pub reselect: bool,
    /// Skip malformed rows instead of failing.
    pub skip_bad_rows: bool,
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

/// The outcome of a retrain.
#[derive(Debug)]
pub struct Retrained {
    /// The new model.
    pub model: Head,
    /// Conflicts found while merging (in file order).
    pub conflicts: Vec<Conflict>,
}

/// The training settings recorded in a model: everything but the data. With `full_grid`
/// the parent's whole selection grid is re-run, otherwise only its chosen C and class
/// weighting.
pub fn config_from_model(model: &Head, full_grid: bool) -> TrainConfig {
    let card = &model.card;
    let col = |k: &str, d: String| card.columns.get(k).cloned().unwrap_or(d);
    let default = Columns::default();
    let (c_grid, class_weight) = if full_grid && !card.selection.is_empty() {
        let mut cs: Vec<f64> = Vec::new();
        for (c, _, _) in &card.selection {
            if !cs.contains(c) {
                cs.push(*c);
            }
        }
        let ws: BTreeSet<ClassWeighting> = card.selection.iter().map(|s| s.1).collect();
        let cw = match ws.iter().next() {
            Some(&w) if ws.len() == 1 => ClassWeight::from(w),
            _ => ClassWeight::Auto,
        };
        (cs, cw)
    } else {
        (vec![card.c], ClassWeight::from(card.class_weight))
    };
    TrainConfig {
        task: model.task.clone(),
        data: card.data.iter().map(|f| f.path.clone()).collect(),
        valid: card.valid.iter().map(|f| f.path.clone()).collect(),
        columns: Columns {
            text: col("text", default.text.clone()),
            label: Some(col("label", LABEL_COLUMN.into())),
            target: col("target", default.target.clone()),
            ..default
        },
        seed: card.seed,
        text: model.text().params().clone(),
        features: model.featurizer().params().clone(),
        c_grid,
        class_weight,
        max_iterations: card.iteration_cap(),
        ..TrainConfig::default()
    }
}

/// Checks a recorded file against its SHA-256: `Ok(true)` when it can be used, `Ok(false)`
/// when it is missing and `allow` is set (skip it), an error naming it otherwise.
fn check_recorded(
    f: &FileRecord,
    what: &str,
    allow: bool,
    progress: &dyn Progress,
) -> Result<bool> {
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(e) if allow => {
            progress.warning(&format!(
                "{what} file {} recorded in the base model is unreadable ({e}); skipped",
                f.path
            ));
            return Ok(false);
        }
        Err(e) => {
            return Err(Error::Train(format!(
                "{what} file {} recorded in the base model cannot be read ({e}); restore it or pass --allow-changed-data to train without it",
                f.path
            )))
        }
    };
    let sha = sha256_hex(&bytes);
    if sha != f.sha256 {
        if allow {
            progress.warning(&format!(
                "{what} file {} changed since the base model was trained (SHA-256 {} now, {} recorded); using it as it is now",
                f.path, sha, f.sha256
            ));
        } else {
            return Err(Error::Train(format!(
                "{what} file {} changed since the base model was trained (SHA-256 {} now, {} recorded); restore it or pass --allow-changed-data",
                f.path, sha, f.sha256
            )));
        }
    }
    Ok(true)
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

/// Retrains as described in the module docs.
pub fn retrain(opts: &RetrainOptions, progress: &dyn Progress) -> Result<Retrained> {
    let base_bytes = std::fs::read(&opts.base).map_err(|e| Error::io(&opts.base, e))?;
    let base = Head::from_bytes(&base_bytes, &opts.base.display().to_string())?;
    let reproduce = opts.data.is_empty();
    let mut cfg = config_from_model(&base, reproduce || opts.reselect);
    cfg.skip_bad_rows = opts.skip_bad_rows;

    // Validation files: same checks; the config names them as recorded.
    let mut valid = Vec::new();
    for f in &base.card.valid {
        if check_recorded(f, "validation", opts.allow_changed_data, progress)? {
            valid.push(f.path.clone());
        }
    }
    cfg.valid = valid;

    let mut merger = Merger::default();
    let mut files: Vec<FileRecord> = Vec::new();
    for f in &base.card.data {
        if !check_recorded(f, "training", opts.allow_changed_data, progress)? {
            continue;
        }
        let mut read = train::read_labelled(
            std::slice::from_ref(&f.path),
            &cfg.columns,
            opts.skip_bad_rows,
            progress,
        )?;
        let mut rec = read.files.remove(0);
        if rec.rows != f.rows && rec.sha256 == f.sha256 {
            return Err(Error::Train(format!(
                "training file {} gives {} rows, but the base model used {} (was it trained with --skip-bad-rows?)",
                f.path, rec.rows, f.rows
            )));
        }
        let rule = match f.merge.as_deref() {
            None => None,
            Some(s) => Some(ConflictRule::parse(s).ok_or_else(|| {
                Error::model(
                    &opts.base,
                    format!("unknown merge rule '{s}' for {}", f.path),
                )
            })?),
        };
        rec.merge = f.merge.clone();
        merger.add(&f.path, read.rows, rule);
        files.push(rec);
    }
    let n_recorded = files.len();
    for p in &opts.data {
        let mut read = train::read_labelled(
            std::slice::from_ref(p),
            &cfg.columns,
            opts.skip_bad_rows,
            progress,
        )?;
        let mut rec = read.files.remove(0);
        rec.merge = Some(opts.conflict_rule.name().to_string());
        merger.add(p, read.rows, Some(opts.conflict_rule));
        files.push(rec);
    }
    let (rows, dups, conflicts) = merger.rows();
    let lineage = if reproduce {
        base.card.lineage.clone()
    } else {
        Some(Lineage {
            parent_sha256: sha256_hex(&base_bytes),
            added: files[n_recorded..].to_vec(),
            duplicates: dups,
            conflicts: conflicts.len(),
        })
    };
    if !reproduce {
        progress.step(
            &cfg.task,
            &format!(
                "retraining on {} rows ({} recorded files + {} added); {} exact duplicates merged, {} conflicts ({} rule)",
                rows.len(),
                n_recorded,
                opts.data.len(),
                dups,
                conflicts.len(),
                opts.conflict_rule.name()
            ),
        );
    }
    cfg.data = files.iter().map(|f| f.path.clone()).collect();
    let data = Labelled {
        rows,
        files,
        label_column: None,
    };
    let mut model = train::train_on(&cfg, data.clone(), lineage, progress)?;
    // A relation head's learned thread combination is refitted as recorded (same
    // stance model and threads, which must still be where the card says).
    if let Some(stk) = &base.thread_stacker {
        let stance_model = stk.card.models.first().ok_or_else(|| {
            Error::Train("the base model's thread stacker names no stance model".into())
        })?;
        let opts = super::thread_stacker::StackOptions {
            stance_model: stance_model.path.clone().into(),
            threads: stk.card.data.iter().map(|f| f.path.clone()).collect(),
            folds: stk.card.folds,
            c: stk.card.c,
        };
        model.thread_stacker = Some(super::thread_stacker::fit_thread_stacker(
            &cfg, &data, &model, &opts, progress,
        )?);
    }
    Ok(Retrained { model, conflicts })
}

/// Writes conflicts as CSV (atomically, compressed by the path's extension).
pub fn write_conflicts(path: &Path, conflicts: &[Conflict]) -> Result<()> {
    let header = [
        "text",
        "target",
        "earlier_label",
        "earlier_source",
        "new_label",
        "new_source",
        "resolution",
    ];
    let records = conflicts.iter().map(|c| {
        [
            &c.text,
            &c.target,
            &c.earlier_label,
            &c.earlier_source,
            &c.new_label,
            &c.new_source,
            &c.resolution,
        ]
    });
    crate::io::write_csv(Some(path), &header, records)
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

    #[test]
    fn base_rows_are_kept_as_they_are_and_added_rows_merge() {
        let mut m = Merger::default();
        m.add(
            "base.csv",
            vec![
                row(2, "a", "t", "x"),
                row(3, "a", "t", "x"),
                row(4, "b", "t", "x"),
            ],
            None,
        );
        m.add(
            "new.csv",
            vec![
                row(2, "a ", "T", "x"),
                row(3, "b", "t", "y"),
                row(4, "c", "t", "y"),
            ],
            Some(ConflictRule::Newest),
        );
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

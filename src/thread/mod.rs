//! Thread reading, at scoring time: a reply takes its stance from the comment it answers.
//!
//! Owns the bounded cache of recent comments (id → text and final stance), the
//! resolution of a reply's parent (by `parent_id`, Reddit-style `t1_`/`t3_` prefixes
//! understood, or an explicit parent text), and the combination of a reply's own stance
//! with the reply-relation head's verdict: the relation head's learned stacker when its
//! file has one (fitted by `crate::train::thread_stacker`), else the mixture
//! `p(agree)·p_parent + p(disagree)·flip(p_parent) + p(other)·p_own` (flip swaps favor
//! and against). Rows are processed in input order, so a parent earlier in the same
//! batch is found.
//!
//! Files: `cache` (the bounded cache of recent comments), `combine` (the combination of
//! a reply's own stance with its parent's). Run time only: fitting the stacker is
//! `train::thread_stacker`'s. Imports from the crate: `io`, `metrics`, `head`.

mod cache;
mod combine;

use std::collections::HashMap;

use crate::head::{Head, HeadScratch, Reason};
use crate::io::Row;
use crate::metrics::argmax;
use cache::cached_text;
use combine::{relation_p, reply_stance};

pub use cache::{
    canonical_id, ThreadCache, DEFAULT_CACHE, DEFAULT_CACHE_MB, ENTRY_OVERHEAD, MAX_CACHED_TEXT,
};
pub use combine::{combine, reply_inputs, stacker_inputs, ReplyEvidence};

/// For each row of a batch, the parent text that [`read_row`] will most likely use:
/// its explicit parent text, else the text of the latest earlier row of the batch or
/// comment in the cache with its parent's id (empty when neither has it); `None` for a
/// top-level comment. Only a guess, made before the batch is read in order (a small
/// cache can drop an in-batch parent before its reply comes); [`read_row`] checks it.
pub fn guess_parent_texts(rows: &[Row], cache: &ThreadCache) -> Vec<Option<String>> {
    let mut in_batch: HashMap<&str, usize> = HashMap::new();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let explicit = r.parent_text.as_deref().filter(|t| !t.is_empty());
            let parent_id = r
                .parent_id
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty());
            let guess = match (explicit, parent_id) {
                (Some(t), _) => Some(t.to_string()),
                (None, Some(p)) => Some(match in_batch.get(canonical_id(p)) {
                    Some(&j) => cached_text(&rows[j].text).to_string(),
                    None => cache
                        .find(p)
                        .map(|r| r.text().to_string())
                        .unwrap_or_default(),
                }),
                (None, None) => None,
            };
            in_batch.insert(canonical_id(&r.id), i);
            guess
        })
        .collect()
}

/// The reply-relation head's verdict on a reply read with one parent text.
#[derive(Debug, Clone)]
pub struct PairVerdict {
    parent: String,
    probs: Vec<f32>,
    reasons: Vec<Reason>,
}

impl PairVerdict {
    /// Runs the relation head on `text` with `parent` (and explains its label).
    pub fn new(
        rel: &Head,
        text: &str,
        parent: String,
        explain: usize,
        s: &mut HeadScratch,
    ) -> Self {
        let probs = rel.predict_pair(text, &parent, s);
        let reasons = rel.explain_pair(text, &parent, argmax(&probs), explain, s);
        PairVerdict {
            parent,
            probs,
            reasons,
        }
    }
}

/// What thread reading did for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadVerdict {
    /// `text`, `thread:<parent id>`, or `text (parent <id> not found)`.
    pub source: String,
    /// Reply-relation probabilities (in the relation head's label order), when computed.
    pub relation: Option<Vec<f32>>,
    /// The n-grams behind the relation head's label (with `explain` > 0).
    pub relation_reasons: Vec<Reason>,
    /// Final stance probabilities (in the stance head's label order).
    pub stance: Option<Vec<f32>>,
    /// Stance reasons replacing the reply's own-text ones: its parent's when it takes
    /// its parent's label from the thread, else its own n-grams toward the final label
    /// when the thread changed the label.
    pub reasons: Option<Vec<Reason>>,
    /// The parent's stance probabilities, when the stance was inherited.
    pub parent_stance: Option<Vec<f32>>,
}

/// Reads one row in its thread: resolves the parent, runs the relation head, combines.
/// `own` is the stance head's probabilities for the row's own text.
#[allow(clippy::too_many_arguments)]
pub fn read_row(
    cache: &mut ThreadCache,
    stance: Option<&Head>,
    relation: Option<&Head>,
    id: &str,
    text: &str,
    parent_id: Option<&str>,
    parent_text: Option<&str>,
    target: Option<&str>,
    own: Option<&[f32]>,
    own_reasons: &[Reason],
    explain: usize,
    guessed: Option<PairVerdict>,
    s: &mut HeadScratch,
) -> ThreadVerdict {
    let parent_id = parent_id.map(str::trim).filter(|p| !p.is_empty());
    let found = parent_id.and_then(|p| cache.get(p));
    let parent_text = parent_text
        .filter(|t| !t.is_empty())
        .or_else(|| found.as_ref().map(|e| e.text.as_str()));
    let mut verdict = ThreadVerdict {
        source: "text".into(),
        relation: None,
        relation_reasons: Vec::new(),
        stance: own.map(<[f32]>::to_vec),
        reasons: None,
        parent_stance: None,
    };
    let is_reply = parent_id.is_some() || parent_text.is_some();
    if let Some(rel) = relation {
        if is_reply {
            // The verdict computed in parallel, when it read the same parent text.
            let ptext = parent_text.unwrap_or("");
            let pair = match guessed {
                Some(g) if g.parent == ptext => g,
                _ => PairVerdict::new(rel, text, ptext.to_string(), explain, s),
            };
            verdict.relation = Some(pair.probs);
            verdict.relation_reasons = pair.reasons;
        }
    }
    match (&parent_text, parent_id) {
        (None, Some(p)) => verdict.source = format!("text (parent {p} not found)"),
        (Some(ptext), _) => {
            if let (Some(st), Some(rel), Some(own), Some(r)) =
                (stance, relation, own, &verdict.relation)
            {
                let (parent_stance, parent_reasons) =
                    match found.as_ref().and_then(|e| e.stance.clone()) {
                        Some(ps) => (
                            ps,
                            found
                                .as_ref()
                                .map(|e| e.reasons.clone())
                                .unwrap_or_default(),
                        ),
                        None => {
                            let ps = st.predict(ptext, target, s);
                            let label = argmax(&ps);
                            (ps, st.explain(ptext, target, label, explain, s))
                        }
                    };
                let evidence = ReplyEvidence {
                    own,
                    parent: &parent_stance,
                    relation: r,
                };
                let combined = reply_stance(rel, st, text, evidence);
                // Inherited when agree or disagree outweighs "other".
                let other = relation_p(r, &rel.labels, "other");
                let label = argmax(&combined);
                if other < 0.5 {
                    verdict.source = format!("thread:{}", parent_id.unwrap_or("parent_text"));
                    if label == argmax(&parent_stance) {
                        verdict.reasons = Some(parent_reasons);
                    }
                    verdict.parent_stance = Some(parent_stance);
                }
                if verdict.reasons.is_none() && label != argmax(own) {
                    verdict.reasons = Some(st.explain(text, target, label, explain, s));
                }
                verdict.stance = Some(combined);
            }
        }
        (None, None) => {}
    }
    let reasons = verdict
        .reasons
        .clone()
        .unwrap_or_else(|| own_reasons.to_vec());
    cache.insert(id, text, verdict.stance.as_deref(), &reasons);
    verdict
}

//! Thread reading: a reply takes its stance from the comment it answers.
//!
//! Owns the bounded cache of recent comments (id → text and final stance), the
//! resolution of a reply's parent (by `parent_id`, Reddit-style `t1_`/`t3_` prefixes
//! understood, or an explicit parent text), and the combination of a reply's own stance
//! with the reply-relation head's verdict, as the mixture
//! `p(agree)·p_parent + p(disagree)·flip(p_parent) + p(other)·p_own`, where flip swaps
//! favor and against. Rows are processed in input order, so a parent earlier in the
//! same batch is found.

use std::collections::{HashMap, VecDeque};

use crate::metrics::{argmax, stance_pair};
use crate::model::{Model, Reason, Scratch};

/// Default number of comments remembered for parent lookup. At about 300 bytes per
/// comment (id, text up to the cache's text cap, probabilities) that is about 60 MB.
pub const DEFAULT_CACHE: usize = 200_000;
/// Longest parent text kept in the cache (bytes); longer texts are cut at a char boundary.
pub const MAX_CACHED_TEXT: usize = 2_000;

/// Strips Reddit-style kind prefixes (`t1_abc` → `abc`).
pub fn canonical_id(id: &str) -> &str {
    let id = id.trim();
    match id.as_bytes() {
        [b't', b'1'..=b'6', b'_', ..] => &id[3..],
        _ => id,
    }
}

#[derive(Debug, Clone)]
struct Entry {
    text: String,
    stance: Option<Vec<f32>>,
    reasons: Vec<Reason>,
}

/// A bounded first-in-first-out cache of recent comments.
#[derive(Debug)]
pub struct ThreadCache {
    cap: usize,
    map: HashMap<String, Entry>,
    order: VecDeque<String>,
}

impl ThreadCache {
    /// A cache holding at most `cap` comments.
    pub fn new(cap: usize) -> Self {
        ThreadCache {
            cap,
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Number of comments held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn insert(&mut self, id: &str, text: &str, stance: Option<Vec<f32>>, reasons: Vec<Reason>) {
        if self.cap == 0 {
            return;
        }
        let key = canonical_id(id).to_string();
        let mut end = text.len().min(MAX_CACHED_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let entry = Entry {
            text: text[..end].to_string(),
            stance,
            reasons,
        };
        if self.map.insert(key.clone(), entry).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.cap {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
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
    /// Final stance probabilities (in the stance head's label order).
    pub stance: Option<Vec<f32>>,
    /// The parent's stance reasons, when the stance was inherited.
    pub parent_reasons: Vec<Reason>,
}

fn flip(p: &[f32], labels: &[String]) -> Vec<f32> {
    let mut q = p.to_vec();
    if let Some((f, a)) = stance_pair(labels) {
        q.swap(f, a);
    }
    q
}

/// Combines a reply's own stance with the relation to its parent's stance.
pub fn combine(
    own: &[f32],
    parent: &[f32],
    relation: &[f32],
    rel_labels: &[String],
    labels: &[String],
) -> Vec<f32> {
    let idx = |name: &str| rel_labels.iter().position(|l| l == name);
    let agree = idx("agree").map_or(0.0, |i| relation[i]);
    let disagree = idx("disagree").map_or(0.0, |i| relation[i]);
    let other = (1.0 - agree - disagree).max(0.0);
    let flipped = flip(parent, labels);
    (0..own.len())
        .map(|k| agree * parent[k] + disagree * flipped[k] + other * own[k])
        .collect()
}

/// Reads one row in its thread: resolves the parent, runs the relation head, combines.
/// `own` is the stance head's probabilities for the row's own text.
#[allow(clippy::too_many_arguments)]
pub fn read_row(
    cache: &mut ThreadCache,
    stance: Option<&Model>,
    relation: Option<&Model>,
    id: &str,
    text: &str,
    parent_id: Option<&str>,
    parent_text: Option<&str>,
    target: Option<&str>,
    own: Option<&[f32]>,
    own_reasons: &[Reason],
    explain: usize,
    s: &mut Scratch,
) -> ThreadVerdict {
    let parent_id = parent_id.map(str::trim).filter(|p| !p.is_empty());
    let found = parent_id.and_then(|p| cache.map.get(canonical_id(p)).cloned());
    let parent_text = parent_text
        .filter(|t| !t.is_empty())
        .map(String::from)
        .or_else(|| found.as_ref().map(|e| e.text.clone()));
    let mut verdict = ThreadVerdict {
        source: "text".into(),
        relation: None,
        stance: own.map(<[f32]>::to_vec),
        parent_reasons: Vec::new(),
    };
    let is_reply = parent_id.is_some() || parent_text.is_some();
    if let Some(rel) = relation {
        if is_reply {
            verdict.relation =
                Some(rel.predict_pair(text, parent_text.as_deref().unwrap_or(""), s));
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
                let combined = combine(own, &parent_stance, r, &rel.labels, &st.labels);
                // Inherited when agree or disagree outweighs "other".
                let other = rel
                    .labels
                    .iter()
                    .position(|l| l == "other")
                    .map_or(0.0, |i| r[i]);
                if other < 0.5 {
                    verdict.source = format!("thread:{}", parent_id.unwrap_or("parent_text"));
                    verdict.parent_reasons = parent_reasons;
                }
                verdict.stance = Some(combined);
            }
        }
        (None, None) => {}
    }
    let reasons = if verdict.parent_reasons.is_empty() {
        own_reasons.to_vec()
    } else {
        verdict.parent_reasons.clone()
    };
    cache.insert(id, text, verdict.stance.clone(), reasons);
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["against", "favor", "none"].map(String::from).to_vec()
    }
    fn rel() -> Vec<String> {
        ["agree", "disagree", "other"].map(String::from).to_vec()
    }

    #[test]
    fn agreement_inherits_and_disagreement_flips() {
        let parent = [0.9, 0.05, 0.05];
        let own = [0.2, 0.2, 0.6];
        let agree = combine(&own, &parent, &[1.0, 0.0, 0.0], &rel(), &labels());
        assert_eq!(argmax(&agree), 0, "agree with against = against");
        let disagree = combine(&own, &parent, &[0.0, 1.0, 0.0], &rel(), &labels());
        assert_eq!(argmax(&disagree), 1, "disagree with against = favor");
        let other = combine(&own, &parent, &[0.0, 0.0, 1.0], &rel(), &labels());
        assert_eq!(other, own.to_vec());
        assert!((agree.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn reddit_prefixes_are_understood() {
        assert_eq!(canonical_id("t1_abc"), "abc");
        assert_eq!(canonical_id("t3_xyz"), "xyz");
        assert_eq!(canonical_id("t9_x"), "t9_x");
        assert_eq!(canonical_id("r1"), "r1");
    }

    #[test]
    fn cache_is_bounded() {
        let mut c = ThreadCache::new(100);
        for i in 0..10_000 {
            c.insert(
                &i.to_string(),
                "some text",
                Some(vec![0.3, 0.3, 0.4]),
                Vec::new(),
            );
        }
        assert_eq!(c.len(), 100);
        assert_eq!(c.order.len(), 100);
        assert!(c.map.contains_key("9999") && !c.map.contains_key("0"));
        let long = "x".repeat(10 * MAX_CACHED_TEXT);
        c.insert("long", &long, None, Vec::new());
        assert_eq!(c.map["long"].text.len(), MAX_CACHED_TEXT);
    }
}

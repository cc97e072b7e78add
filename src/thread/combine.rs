//! A reply's stance from its own, its parent's and the relation between them: the
//! relation head's learned stacker when it has one, else the fixed mixture.

use crate::head::Head;
use crate::metrics::stance_pair;

fn flip(p: &[f32], labels: &[String]) -> Vec<f32> {
    let mut q = p.to_vec();
    if let Some((f, a)) = stance_pair(labels) {
        q.swap(f, a);
    }
    q
}

/// The relation head's probability of `name` (0 when it has no such label).
pub(super) fn relation_p(relation: &[f32], rel_labels: &[String], name: &str) -> f32 {
    rel_labels
        .iter()
        .position(|l| l == name)
        .map_or(0.0, |i| relation[i])
}

/// What a reply's stance is combined from: its own stance and its parent's (in the stance
/// head's label order), and the relation head's verdict on the pair (in its order).
#[derive(Debug, Clone, Copy)]
pub struct ReplyEvidence<'a> {
    /// The reply's own stance probabilities.
    pub own: &'a [f32],
    /// The parent's (final) stance probabilities.
    pub parent: &'a [f32],
    /// The relation head's probabilities.
    pub relation: &'a [f32],
}

/// Combines a reply's own stance with the relation to its parent's stance (`rel_labels`:
/// the relation head's labels; `labels`: the stance head's).
pub fn combine(e: ReplyEvidence, rel_labels: &[String], labels: &[String]) -> Vec<f32> {
    let ReplyEvidence {
        own,
        parent,
        relation,
    } = e;
    let agree = relation_p(relation, rel_labels, "agree");
    let disagree = relation_p(relation, rel_labels, "disagree");
    let other = (1.0 - agree - disagree).max(0.0);
    let flipped = flip(parent, labels);
    (0..own.len())
        .map(|k| agree * parent[k] + disagree * flipped[k] + other * own[k])
        .collect()
}

/// Replies of at most this many words count as short (they carry little stance of
/// their own: "This.", "Spot on.", "I agree.").
const SHORT_REPLY_WORDS: usize = 4;

/// Floor under probabilities before taking logs.
const P_FLOOR: f32 = 1e-4;

/// Names of the stacker's inputs for a stance head with these labels.
pub fn stacker_inputs(labels: &[String]) -> Vec<String> {
    let mut v: Vec<String> = labels.iter().map(|l| format!("ln_own_{l}")).collect();
    v.extend(labels.iter().map(|l| format!("ln_mixture_{l}")));
    v.extend(["p_agree", "p_disagree", "short_reply"].map(String::from));
    v
}

/// The stacker's inputs for one reply with text `text` (see [`stacker_inputs`]).
pub fn reply_inputs(
    text: &str,
    e: ReplyEvidence,
    rel_labels: &[String],
    labels: &[String],
) -> Vec<f32> {
    let mixture = combine(e, rel_labels, labels);
    let rel = |name: &str| relation_p(e.relation, rel_labels, name);
    let short = text.split_whitespace().count() <= SHORT_REPLY_WORDS;
    e.own
        .iter()
        .chain(&mixture)
        .map(|p| p.max(P_FLOOR).ln())
        .chain([rel("agree"), rel("disagree"), f32::from(u8::from(short))])
        .collect()
}

/// A reply's stance from its own, its parent's and the relation: the relation head's
/// learned stacker when it has one, else the mixture.
pub(super) fn reply_stance(rel: &Head, st: &Head, text: &str, e: ReplyEvidence) -> Vec<f32> {
    match &rel.thread_stacker {
        Some(stk) if stk.labels == st.labels => {
            stk.predict(&reply_inputs(text, e, &rel.labels, &st.labels))
        }
        _ => combine(e, &rel.labels, &st.labels),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::argmax;

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
        let evidence = |relation| ReplyEvidence {
            own: &own,
            parent: &parent,
            relation,
        };
        let agree = combine(evidence(&[1.0, 0.0, 0.0]), &rel(), &labels());
        assert_eq!(argmax(&agree), 0, "agree with against = against");
        let disagree = combine(evidence(&[0.0, 1.0, 0.0]), &rel(), &labels());
        assert_eq!(argmax(&disagree), 1, "disagree with against = favor");
        let other = combine(evidence(&[0.0, 0.0, 1.0]), &rel(), &labels());
        assert_eq!(other, own.to_vec());
        assert!((agree.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}

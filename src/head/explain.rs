//! Explanations: the phrases that pushed a prediction hardest toward a label, in
//! readable n-grams (each n-gram's contribution to log p(label), character n-grams
//! credited to their word, the best non-overlapping spans of one to three words).

use serde::Serialize;

use super::scratch::HeadScratch;
use super::Head;
use crate::features;
use crate::model::linear::softmax;

/// One n-gram's share in a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The n-gram as normalized text.
    pub ngram: String,
    /// Its contribution to the log-probability of the label (positive = toward it).
    pub weight: f32,
}

impl Head {
    /// [`Head::explain`] for a pair head reading a reply with its parent.
    pub fn explain_pair(
        &self,
        text: &str,
        parent: &str,
        label: usize,
        k: usize,
        s: &mut HeadScratch,
    ) -> Vec<Reason> {
        s.parent = Some(parent.to_string());
        let r = self.explain(text, None, label, k, s);
        s.parent = None;
        r
    }

    /// The `k` n-grams that pushed hardest toward `label` for this comment, with their
    /// contribution to log p(label) (`x_j · (w_j,label − Σ_c p_c w_j,c)`); character
    /// n-grams are credited to the word they are part of.
    pub fn explain(
        &self,
        text: &str,
        target: Option<&str>,
        label: usize,
        k: usize,
        s: &mut HeadScratch,
    ) -> Vec<Reason> {
        if k == 0 {
            return Vec::new();
        }
        let hi = self.logits_into(text, target, s);
        // `logits_into` left the tokens it read masked in the scratch.
        let masked_for = s.heads[hi].key.map_or(0, |k| k.2);
        debug_assert!(masked_for == 0 || masked_for == s.masked_for);
        let code = self.target_code(target);
        let HeadScratch {
            tokens,
            masked,
            heads,
            ..
        } = s;
        // The n-grams are walked as the head read them (target masked); the phrases show
        // the comment's own words (masking keeps every token in its place).
        let shown = tokens.as_slice();
        let tokens = if masked_for != 0 {
            masked.as_slice()
        } else {
            shown
        };
        let head = &mut heads[hi];
        let mut p = head.logits.clone();
        softmax(&mut p);
        // An entry's (or a token's) push toward `label`: linear in its weight row.
        let delta = |row: &[f32]| -> f32 {
            row[label] - row.iter().zip(&p).map(|(a, q)| a * q).sum::<f32>()
        };
        // `vec` holds each kept word n-gram's shared entry, then (for a crossed target)
        // its per-target copy at the same offset in the second half.
        let vec = &head.vec;
        let n_base = if code.is_some() {
            vec.idx.len() / 2
        } else {
            vec.idx.len()
        };
        // Each entry's push, its weights read as scoring read them.
        let mut pushes = Vec::with_capacity(vec.idx.len());
        let rows = self.located_word_rows(&head.features);
        match self.adapted_table(code) {
            // A target adapted on frozen weights reads its crossed copies in its own table.
            Some(own) => {
                let (idx, val) = (&vec.idx[..n_base], &vec.val[..n_base]);
                self.linear
                    .for_each_entry(rows, idx, val, |row, v| pushes.push(v * delta(row)));
                for (&b, &v) in vec.idx[n_base..].iter().zip(&vec.val[n_base..]) {
                    pushes.push(v * delta(own.row(b)));
                }
            }
            None => self
                .linear
                .for_each_entry(rows, &vec.idx, &vec.val, |row, v| {
                    pushes.push(v * delta(row))
                }),
        }
        let contrib: Vec<f32> = (0..n_base)
            .map(|e| {
                let mut c = pushes[e];
                if n_base < pushes.len() {
                    c += pushes[n_base + e];
                }
                c
            })
            .collect();
        // Each word entry's contribution is shared evenly by its occurrences, and each
        // occurrence credits its span of tokens.
        let mut by_span = SpanScores::new(tokens.len(), self.featurizer.params().word_ngrams.1);
        self.featurizer
            .for_each_kept_word_hit(tokens, &mut head.features, |h, e, n| {
                by_span.add(h.start, h.end, contrib[e] / n as f32)
            });
        // A token's char n-grams push by `a_t delta(s(t)) / norm`, shared evenly by the
        // token's occurrences.
        let n_labels = self.labels.len();
        let mut by_token = Vec::with_capacity(head.char_terms.len() / (n_labels + 2));
        let mut norm = 0.0f32;
        for t in head.char_terms.chunks_exact(n_labels + 2) {
            let (a, term) = (t[0], &t[1..]);
            by_token.push(a * delta(&term[..n_labels]));
            norm += a * a * term[n_labels];
        }
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            for i in 0..tokens.len() {
                if let Some(j) = self.featurizer.char_token_of(&head.features, i) {
                    let (_, n, _) = self
                        .featurizer
                        .char_token(&head.features, j)
                        .expect("a distinct token of the row");
                    by_span.add(i as u32, i as u32 + 1, by_token[j] * inv / n as f32);
                }
            }
        }
        phrase_reasons(shown, &by_span, k)
    }
}

/// Contribution credited to each span of tokens `[start, start + len)` with
/// `1 <= len <= max_len` (the n-grams' spans: word n-grams, and the word a char n-gram is in).
pub(super) struct SpanScores {
    max_len: usize,
    n_tokens: usize,
    /// `start * max_len + (len - 1)` → contribution.
    score: Vec<f32>,
}

impl SpanScores {
    fn new(n_tokens: usize, max_word_ngram: usize) -> Self {
        let max_len = max_word_ngram.max(1);
        let n_tokens = n_tokens.min(features::MAX_TOKENS);
        SpanScores {
            max_len,
            n_tokens,
            score: vec![0.0; n_tokens * max_len],
        }
    }

    fn add(&mut self, start: u32, end: u32, v: f32) {
        let (a, len) = (start as usize, (end - start) as usize);
        if a < self.n_tokens && (1..=self.max_len).contains(&len) {
            self.score[a * self.max_len + len - 1] += v;
        }
    }

    /// Sum over the spans inside `[i, j)`, in order of start, then length (from `-0.0`,
    /// as `Iterator::sum` adds).
    fn within(&self, i: usize, j: usize) -> f32 {
        (i..j).fold(-0.0, |sum, a| self.add_row(sum, a, j - a))
    }

    /// `[within(i, i + 1), within(i, i + 2), within(i, i + 3)]` (the last ones only
    /// while inside the row; 0 past it), each added up in [`SpanScores::within`]'s
    /// order, without its loops.
    fn within_from(&self, i: usize) -> [f32; 3] {
        let n = self.n_tokens;
        let one = self.add_row(-0.0, i, 1);
        let two = if i + 2 <= n {
            self.add_row(self.add_row(-0.0, i, 2), i + 1, 1)
        } else {
            0.0
        };
        let three = if i + 3 <= n {
            let head = self.add_row(self.add_row(-0.0, i, 3), i + 1, 2);
            self.add_row(head, i + 2, 1)
        } else {
            0.0
        };
        [one, two, three]
    }

    /// `sum` plus the spans starting at token `a` of lengths up to `len`, in order.
    #[inline]
    fn add_row(&self, sum: f32, a: usize, len: usize) -> f32 {
        let row = &self.score[a * self.max_len..(a + 1) * self.max_len];
        row[..self.max_len.min(len)]
            .iter()
            .fold(sum, |sum, &v| sum + v)
    }
}

/// A candidate phrase (start, end, score), ordered so that the greatest is the best:
/// highest score, then the earliest span.
struct Candidate((usize, usize, f32));

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let ((i, j, v), (p, q, w)) = (self.0, other.0);
        v.total_cmp(&w).then((p, q).cmp(&(i, j)))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Candidate {}

/// Turns per-n-gram contributions into at most `k` readable phrases: every span of
/// 1-3 word tokens (no punctuation) is scored by the contributions of the n-grams
/// inside it; the best non-overlapping spans are taken, then trimmed at the edges while
/// they keep 90% of their score, so a phrase is as short as its evidence.
fn phrase_reasons(tokens: &[String], spans: &SpanScores, k: usize) -> Vec<Reason> {
    let n = spans.n_tokens;
    let score = |i: usize, j: usize| spans.within(i, j);
    let wordy: Vec<bool> = tokens[..n]
        .iter()
        .map(|t| t.chars().any(|c| c.is_alphanumeric()))
        .collect();
    // Best first, ties broken by position (a total order); the walk stops after `k`
    // phrases, and only positive scores can be taken, so a heap of those (built in
    // linear time from all of them at once) hands out the few candidates the walk
    // reads instead of sorting them all.
    let mut candidates = Vec::with_capacity(3 * n);
    for i in (0..n).filter(|&i| wordy[i]) {
        let sums = spans.within_from(i);
        for j in (i + 1..=(i + 3).min(n)).take_while(|&j| wordy[j - 1]) {
            let v = sums[j - i - 1];
            if v > 0.0 {
                candidates.push(Candidate((i, j, v)));
            }
        }
    }
    let mut heap = std::collections::BinaryHeap::from(candidates);
    let mut chosen: Vec<(usize, usize, f32)> = Vec::with_capacity(k);
    while let Some(Candidate((mut i, mut j, mut v))) = heap.pop() {
        if chosen.len() >= k {
            break;
        }
        if chosen.iter().any(|&(c, d, _)| i < d && c < j) {
            continue;
        }
        while j - i > 1 {
            let (l, r) = (score(i + 1, j), score(i, j - 1));
            if l >= r && l >= 0.9 * v {
                i += 1;
                v = l;
            } else if r >= 0.9 * v {
                j -= 1;
                v = r;
            } else {
                break;
            }
        }
        chosen.push((i, j, v));
    }
    let mut reasons: Vec<Reason> = Vec::with_capacity(chosen.len());
    for (i, j, weight) in chosen {
        let ngram = tokens[i..j].join(" ");
        match reasons.iter_mut().find(|r| r.ngram == ngram) {
            Some(r) => r.weight += weight,
            None => reasons.push(Reason { ngram, weight }),
        }
    }
    reasons.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.ngram.cmp(&b.ngram))
    });
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The sum over the spans inside `[i, j)` written out: in order of start, then
    /// length, from `-0.0`.
    fn within_by_hand(s: &SpanScores, i: usize, j: usize) -> f32 {
        let mut sum = -0.0f32;
        for a in i..j {
            for len in 1..=s.max_len.min(j - a) {
                sum += s.score[a * s.max_len + len - 1];
            }
        }
        sum
    }

    proptest! {
        #[test]
        fn span_sums_add_up_in_the_same_order_bit_for_bit(
            scores in prop::collection::vec(prop_oneof![Just(-0.0f32), Just(0.0f32), -3.0f32..3.0], 0..60),
            max_len in 1usize..5,
        ) {
            let n = scores.len() / max_len;
            let spans = SpanScores { max_len, n_tokens: n, score: scores[..n * max_len].to_vec() };
            for i in 0..n {
                for j in i..=n.min(i + 4) {
                    prop_assert_eq!(spans.within(i, j).to_bits(), within_by_hand(&spans, i, j).to_bits());
                }
                for (d, got) in spans.within_from(i).into_iter().enumerate() {
                    let j = i + d + 1;
                    let want = if j <= n { within_by_hand(&spans, i, j) } else { 0.0 };
                    prop_assert_eq!(got.to_bits(), want.to_bits(), "i {} j {}", i, j);
                }
            }
        }
    }
}

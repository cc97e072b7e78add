//! The tokens of a reply read against its parent comment, for reply-relation heads.

use super::TextPipeline;

/// Marker tokens of the pair features; they cannot come out of the tokenizer (which
/// never yields `⟨`), so they never collide with a word.
const CUE_START: &str = "⟨start⟩";
const SEP: &str = "⟨sep⟩";

const NEGATION_WORDS: &[&str] = &[
    "not", "no", "never", "nonsense", "wrong", "nope", "don't", "isn't", "can't", "won't", "нет",
    "не", "ні",
];

impl TextPipeline {
    /// Tokens of a reply read against its parent, for reply-relation heads: the reply's
    /// tokens; cue tokens for how it opens (its first word and first two words, where
    /// "I agree" and "Nonsense" sit), for negation, for quoting the parent (five or more
    /// parent tokens in a row) and for the share of its words found in the parent; then
    /// the parent's tokens in their own namespace (`p:` prefix).
    pub fn pair_tokens(&self, reply: &str, parent: &str) -> Vec<String> {
        let mut out = self.tokens(reply);
        let parent_tokens = self.tokens(parent);
        let words: Vec<&String> = out
            .iter()
            .filter(|t| t.chars().any(char::is_alphanumeric))
            .collect();
        let mut cues = Vec::new();
        if let Some(first) = words.first() {
            cues.push(format!("{CUE_START}{first}"));
        }
        if words.len() >= 2 {
            cues.push(format!("{CUE_START}{}_{}", words[0], words[1]));
        }
        if words.iter().any(|w| NEGATION_WORDS.contains(&w.as_str())) {
            cues.push("⟨negation⟩".into());
        }
        if !parent_tokens.is_empty() {
            let content: Vec<&&String> = words.iter().filter(|w| w.chars().count() > 3).collect();
            if !content.is_empty() {
                let shared = content.iter().filter(|w| parent_tokens.contains(w)).count();
                cues.push(format!("⟨overlap{}⟩", (4 * shared) / content.len()));
            }
            if out.len() >= 5
                && out
                    .windows(5)
                    .any(|w| parent_tokens.windows(5).any(|p| p == w))
            {
                cues.push("⟨quote⟩".into());
            }
        } else {
            cues.push("⟨no-parent⟩".into());
        }
        out.extend(cues);
        out.push(SEP.into());
        out.extend(parent_tokens.into_iter().map(|t| format!("p:{t}")));
        out
    }
}

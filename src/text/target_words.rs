//! The words that name a stance target, and masking them in a comment.
//!
//! A target's words are its content words (three letters or more, not a common word, not
//! a number), each compared by its first five letters, lowercase ("ceasefires" =
//! "ceasefire"); a shorter word also names its short inflections ("tax", "taxes").
//! Masking replaces every token that names the row's target by [`TARGET_TOKEN`], so the
//! weights shared by all targets learn what is said next to the thing named ("back
//! xxtarget", "scrap xxtarget now") instead of the names of the targets they were trained
//! on, and carry it to targets they never saw.

use super::Tokens;

/// The token that stands for the target's words in a masked comment.
pub const TARGET_TOKEN: &str = "xxtarget";

/// Letters a word is compared by.
const STEM_CHARS: usize = 5;
/// How many letters longer than a short word (under [`STEM_CHARS`]) a token may be and
/// still name it ("tax" names "taxes", not "taxpayers").
const SHORT_WORD_SLACK: usize = 2;

const STOPWORDS: &[&str] = &[
    "the", "and", "for", "with", "from", "that", "this", "into", "over", "about", "its", "are",
    "was", "new", "not", "but", "all", "has", "have", "will", "would", "should", "can", "who",
    "his", "her", "their", "our", "your", "more", "less", "than", "after", "before", "under",
];

/// Content-word stems of a text, in order (repeats kept): its words of three letters or
/// more, lowercase, cut to their first five letters, without common words and numbers.
pub fn content_stems(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()) && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| w.chars().take(STEM_CHARS).collect())
        .collect()
}

/// The words of one target, ready to find in tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetWords {
    stems: Vec<String>,
}

impl TargetWords {
    /// The words of `target` (none for a target without content words).
    pub fn new(target: &str) -> Self {
        let mut stems = content_stems(target);
        stems.sort_unstable();
        stems.dedup();
        TargetWords { stems }
    }

    /// Whether the target has no content words (masking changes nothing).
    pub fn is_empty(&self) -> bool {
        self.stems.is_empty()
    }

    /// Whether a (normalized, lowercase) token names the target; a hashtag names it
    /// when its text does (`#ceasefirenow`).
    pub fn names(&self, token: &str) -> bool {
        let word = token.strip_prefix('#').unwrap_or(token);
        let mut chars = word.char_indices();
        let n = word.chars().count();
        if n < 3 {
            return false;
        }
        let stem_end = chars.nth(STEM_CHARS).map_or(word.len(), |(i, _)| i);
        let stem = &word[..stem_end];
        self.stems.iter().any(|s| {
            let len = s.chars().count();
            if len == STEM_CHARS {
                stem == s
            } else {
                word.starts_with(s.as_str()) && n <= len + SHORT_WORD_SLACK
            }
        })
    }

    /// `tokens` with every token that names the target replaced by [`TARGET_TOKEN`]; the
    /// same number of tokens, in the same order.
    pub fn mask_into(&self, tokens: &[String], out: &mut Tokens) {
        out.clear();
        for t in tokens {
            out.push(if self.names(t) { TARGET_TOKEN } else { t });
        }
    }

    /// [`TargetWords::mask_into`] on an owned list.
    pub fn mask(&self, tokens: &mut [String]) {
        for t in tokens.iter_mut().filter(|t| self.names(t)) {
            t.clear();
            t.push_str(TARGET_TOKEN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(target: &str, tokens: &[&str]) -> Vec<String> {
        let mut t: Vec<String> = tokens.iter().map(|s| s.to_string()).collect();
        TargetWords::new(target).mask(&mut t);
        t
    }

    #[test]
    fn the_targets_words_and_their_inflections_are_masked() {
        assert_eq!(
            masked(
                "sugar tax on soft drinks",
                &[
                    "scrap",
                    "the",
                    "taxes",
                    "on",
                    "drink",
                    "sugary",
                    "taxpayers",
                    "soft",
                    "!"
                ]
            ),
            [
                "scrap",
                "the",
                "xxtarget",
                "on",
                "xxtarget",
                "xxtarget",
                "taxpayers",
                "xxtarget",
                "!"
            ]
        );
        assert_eq!(
            masked(
                "Hillary Clinton",
                &["#hillaryclinton", "hillary's", "clintons", "hill"]
            ),
            ["xxtarget", "xxtarget", "xxtarget", "hill"]
        );
        // Common words and numbers of the target name nothing.
        assert_eq!(
            masked("the 30-day ceasefire", &["the", "30", "day", "ceasefire"]),
            ["the", "30", "xxtarget", "xxtarget"]
        );
    }

    #[test]
    fn a_target_without_content_words_masks_nothing() {
        let w = TargetWords::new("the 2026");
        assert!(w.is_empty());
        let mut out = Tokens::default();
        let tokens = vec!["the".to_string(), "one".to_string()];
        w.mask_into(&tokens, &mut out);
        assert_eq!(out.as_slice(), tokens.as_slice());
    }

    #[test]
    fn mask_into_and_mask_agree() {
        let w = TargetWords::new("the stadium deal");
        let tokens: Vec<String> = ["no", "stadium", "deal", "ever", "dealt", "stadiums"]
            .map(String::from)
            .to_vec();
        let mut out = Tokens::default();
        w.mask_into(&tokens, &mut out);
        let mut owned = tokens.clone();
        w.mask(&mut owned);
        assert_eq!(out.as_slice(), owned.as_slice());
        assert_eq!(
            owned,
            ["no", "xxtarget", "xxtarget", "ever", "xxtarget", "xxtarget"]
        );
    }
}

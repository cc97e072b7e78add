//! Which trained target a free-text target or an article names, so that a target need not
//! be spelled as in training ("the Ukraine ceasefire" and an article about the ceasefire
//! both reach the trained target `ceasefire` and its own weights).
//!
//! Words are compared as the text stage compares a target's words
//! ([`content_stems`](crate::text::target_words::content_stems): first five letters,
//! lowercase, short and common words dropped). A trained target is named when every one of
//! its words is in the given target or the article's first line (the headline), or occurs
//! at least [`MIN_ARTICLE_COUNT`] times in the article; among several, the one with the most
//! words wins, then the one whose rarest word occurs most often, then the first in training
//! order. Nothing is named when the trained target has no content words.

use crate::text::target_words::content_stems as stems;

/// How often each word of a trained target must occur in an article's body to be named.
pub const MIN_ARTICLE_COUNT: usize = 2;

/// The index in `trained` of the target that `given` or `article` names, if any.
pub fn named_target(
    trained: &[String],
    given: Option<&str>,
    article: Option<&str>,
) -> Option<usize> {
    let mut direct: Vec<String> = given.map(stems).unwrap_or_default();
    let body = article.map(stems).unwrap_or_default();
    if let Some(headline) = article.and_then(|a| a.lines().find(|l| !l.trim().is_empty())) {
        direct.extend(stems(headline));
    }
    let mut best: Option<(usize, usize, usize)> = None; // (words, rarest count, index)
    for (i, t) in trained.iter().enumerate() {
        let words = stems(t);
        if words.is_empty() {
            continue;
        }
        let mut rarest = usize::MAX;
        for w in &words {
            let count = if direct.contains(w) {
                usize::MAX
            } else {
                body.iter().filter(|b| *b == w).count()
            };
            rarest = rarest.min(count);
        }
        if rarest < MIN_ARTICLE_COUNT {
            continue;
        }
        let key = (words.len(), rarest, i);
        let better = match best {
            None => true,
            Some((n, r, _)) => (key.0, key.1) > (n, r),
        };
        if better {
            best = Some(key);
        }
    }
    best.map(|(_, _, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trained() -> Vec<String> {
        [
            "Atheism",
            "Climate Change is a Real Concern",
            "Hillary Clinton",
            "ceasefire",
            "the wealth tax",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn a_target_spelled_otherwise_reaches_the_trained_one() {
        let t = trained();
        for (given, want) in [
            ("ceasefire", Some(3)),
            ("the proposed 30-day ceasefire in Ukraine", Some(3)),
            ("Ceasefires", Some(3)),
            ("Clinton", None),
            ("Hillary Clinton's campaign", Some(2)),
            ("climate change", None),
            ("climate change: a real concern", Some(1)),
            ("a tax on wealth", Some(4)),
            ("sugar tax on soft drinks", None),
            ("the stadium deal", None),
        ] {
            assert_eq!(named_target(&t, Some(given), None), want, "{given}");
        }
    }

    #[test]
    fn an_article_names_a_target_in_its_headline_or_twice_in_its_body() {
        let t = trained();
        let seed = "Russia ready for talks\nPutin backs a 30-day ceasefire with conditions. \
                    The ceasefire must lead to peace, he said.";
        assert_eq!(named_target(&t, None, Some(seed)), Some(3));
        let once = "Russia ready for talks\nA ceasefire was mentioned once.";
        assert_eq!(named_target(&t, None, Some(once)), None);
        let headline = "Ceasefire agreed\nTalks went on all night.";
        assert_eq!(named_target(&t, None, Some(headline)), Some(3));
        let sugar = "Sugar tax on soft drinks passes\nThe tax starts in April; the tax is 20p.";
        assert_eq!(named_target(&t, Some("sugar tax"), Some(sugar)), None);
    }
}

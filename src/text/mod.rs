//! The text stage: a raw comment → normalized tokens.
//!
//! Owns everything that happens to a comment before features are taken from it:
//! hashtag expansion and obfuscation folding (our own passes, because they need the
//! original case or look across characters), then the Hugging Face `tokenizers`
//! normalizers (control and invisible characters, NFKD → strip accents → NFKC,
//! lowercase, URL / @mention / number placeholders) and its `Split` pre-tokenizer.
//! The result is a list of tokens; a token is a word (letters, digits, `#`, inner
//! apostrophes) or a single punctuation mark.
//!
//! Speed: scoring does not use `NormalizedString` (which keeps per-byte alignments
//! nobody reads here). Non-ASCII text takes the same steps on plain strings, with the
//! same Unicode tables (`unicode-normalization-alignments`, `tokenizers`' own) and the
//! same patterns compiled by the `regex` crate; ASCII text, where NFKD / accent
//! stripping / NFKC are the identity, takes a one-pass byte loop, and byte scanners
//! stand in for the mention, number and splitter patterns.
//! [`TextPipeline::normalize_reference`] keeps the all-`tokenizers` path, and the tests
//! check both give the same result.
//!
//! Files: `normalize` (one comment to its canonical form), `scan` (byte scanners for
//! the mention, number and word patterns), `tokenize`, `hashtags`, [`obfuscation`]
//! (folding `1d10t`, `i.d.i.o.t`, look-alike letters), `pair` (a reply read with its
//! parent), [`target_words`] (the words that name a stance target, masked for heads
//! that read comments with the target masked). Imports from the crate: nothing (this is
//! the first stage).

mod hashtags;
mod normalize;
pub mod obfuscation;
mod pair;
mod scan;
pub mod target_words;
mod tokenize;

pub use hashtags::expand_hashtags;
pub use normalize::decode_unicode_escapes;
pub use tokenize::Tokens;

use regex::Regex;
use serde::{Deserialize, Serialize};
use tokenizers::normalizers::replace::{Replace, ReplacePattern};
use tokenizers::normalizers::strip::{Strip, StripAccents};
use tokenizers::normalizers::unicode::{NFKC, NFKD};
use tokenizers::normalizers::utils::Lowercase;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{Normalizer, SplitDelimiterBehavior};

/// Placeholder token for URLs.
pub const URL_TOKEN: &str = "xxurl";
/// Placeholder token for @mentions.
pub const USER_TOKEN: &str = "xxuser";
/// Placeholder token for numbers.
pub const NUMBER_TOKEN: &str = "xxnum";

/// Text-stage settings, stored in the model file so scoring normalizes as training did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextParams {
    /// Split `#CamelCaseTags` into their words (the tag itself is kept too).
    pub split_hashtags: bool,
    /// Fold obfuscations: homoglyphs, leetspeak inside words, s.p.a.c.e.d letters,
    /// long runs of one letter.
    pub fold_obfuscation: bool,
    /// The head reads a reply together with its parent comment ([`TextPipeline::pair_tokens`]).
    #[serde(default)]
    pub pair: bool,
    /// The head reads a comment with its target's words masked
    /// ([`target_words::TargetWords::mask_into`]), so its shared weights learn what is
    /// said about the thing named, whatever it is. Absent from files written before it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mask_target: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for TextParams {
    fn default() -> Self {
        TextParams {
            split_hashtags: true,
            fold_obfuscation: true,
            pair: false,
            mask_target: false,
        }
    }
}

impl TextParams {
    /// Whether two settings cut a comment into the same tokens (masking the target is
    /// done on the tokens, afterwards).
    pub fn same_tokens(&self, other: &TextParams) -> bool {
        TextParams {
            mask_target: other.mask_target,
            ..self.clone()
        } == *other
    }
}

/// A ready-to-use normalizer + pre-tokenizer built from [`TextParams`].
pub struct TextPipeline {
    params: TextParams,
    normalizers: Vec<Box<dyn Normalizer + Send + Sync>>,
    placeholders: Vec<Replace>,
    splitter: Split,
    control_re: Regex,
    format_re: Regex,
    url_re: Regex,
    user_re: Regex,
    number_re: Regex,
    url_with: String,
    user_with: String,
    number_with: String,
}

const CONTROL_RE: &str = r"[\p{Cc}\p{Zl}\p{Zp}]";
const FORMAT_RE: &str = r"[\p{Cf}\x{115F}\x{1160}\x{3164}\x{FFA0}]";
const URL_RE: &str = r"(?:https?://|www\.)\S+";
/// An @mention: `@` and the word characters after it, where [`scan::is_mention`] says
/// the `@` starts one (not inside a word, not a word in leetspeak: `f@ggot`, `@ss`).
const USER_RE: &str = r"@\w+";
/// Numbers standing alone (`30`, `1,000`, `24.5`); digits inside a word (`covid19`,
/// after leetspeak folding has had its turn) stay, so a second pass sees the same words.
const NUMBER_RE: &str = r"\b\d+(?:[.,:]\d+)*\b";
const SPLIT_RE: &str = r"[\w#]+(?:['’][\w]+)*|[^\s\w]";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in regex is valid")
}

impl std::fmt::Debug for TextPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextPipeline")
            .field("params", &self.params)
            .finish()
    }
}

fn replace(pattern: &str, content: &str) -> Replace {
    Replace::new(ReplacePattern::Regex(pattern.to_string()), content)
        .expect("built-in normalizer regex is valid")
}

impl TextPipeline {
    /// Builds the pipeline. The regexes are constants, so this cannot fail.
    pub fn new(params: &TextParams) -> Self {
        let normalizers: Vec<Box<dyn Normalizer + Send + Sync>> = vec![
            // Control characters (newlines, tabs, NUL...) become spaces; format
            // characters (zero-width space/joiner, BOM, bidi marks, soft hyphen) vanish.
            Box::new(replace(CONTROL_RE, " ")),
            Box::new(replace(FORMAT_RE, "")),
            Box::new(NFKD),
            Box::new(StripAccents),
            Box::new(NFKC),
            Box::new(Lowercase),
            // One space between words, so folding sees "a  b" as it sees "a b".
            Box::new(replace(r"\s{2,}", " ")),
            Box::new(Strip::new(true, true)),
            // URLs fold before obfuscation folding (which would read `www` as a
            // stretched letter); mentions follow, outside `tokenizers`
            // (`normalize_reference`), as `scan::is_mention` reads their word.
            Box::new(replace(URL_RE, &format!(" {URL_TOKEN} "))),
        ];
        let placeholders = vec![replace(NUMBER_RE, &format!(" {NUMBER_TOKEN} "))];
        let splitter = Split::new(
            SplitPattern::Regex(SPLIT_RE.to_string()),
            SplitDelimiterBehavior::Removed,
            true,
        )
        .expect("built-in splitter regex is valid");
        TextPipeline {
            params: params.clone(),
            normalizers,
            placeholders,
            splitter,
            control_re: regex(CONTROL_RE),
            format_re: regex(FORMAT_RE),
            url_re: regex(URL_RE),
            user_re: regex(USER_RE),
            number_re: regex(NUMBER_RE),
            url_with: format!(" {URL_TOKEN} "),
            user_with: format!(" {USER_TOKEN} "),
            number_with: format!(" {NUMBER_TOKEN} "),
        }
    }

    /// The settings this pipeline was built from.
    pub fn params(&self) -> &TextParams {
        &self.params
    }

    /// Normalizes and tokenizes one comment.
    pub fn tokens(&self, raw: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.tokenize_normalized(&self.normalize(raw), &mut out);
        out
    }

    /// Tokens of a row toward `target` as a head with these settings reads it: a reply
    /// with its parent for pair heads, the target's words masked for heads that mask them.
    pub fn row_tokens(&self, raw: &str, parent: Option<&str>, target: Option<&str>) -> Vec<String> {
        if self.params.pair {
            return self.pair_tokens(raw, parent.unwrap_or(""));
        }
        let mut out = self.tokens(raw);
        if let Some(t) = target.filter(|_| self.params.mask_target) {
            target_words::TargetWords::new(t).mask(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::scan::{mentions, numbers, numbers_are_ascii_digits};
    use super::tokenize::{split_ascii, split_unicode};
    use super::*;

    fn p() -> TextPipeline {
        TextPipeline::new(&TextParams::default())
    }

    #[test]
    fn normalizes_examples() {
        for (raw, want) in [
            // Lowercase, accents stripped, NFKC.
            ("Café ＦＵＬＬ width", "cafe full width"),
            // Zero-width and control characters.
            ("cease\u{200B}fire\u{0}now\tok", "ceasefire now ok"),
            ("\u{FEFF}bom", "bom"),
            // URLs, mentions, numbers.
            (
                "@user see https://x.com/a?b=1 in 30 days",
                "xxuser see xxurl in xxnum days",
            ),
            ("www.rt.com 2,500 troops", "xxurl xxnum troops"),
            // An `@` inside a word is leetspeak, and so is a mention whose word reads
            // as a known word.
            (
                "@john you f@gg0t, kiss my @ss",
                "xxuser you faggot, kiss my ass",
            ),
            (
                "@user $@y5 s+@te @nd @g@in (@user)",
                "xxuser says state and again ( xxuser )",
            ),
            // And one after a leet character that starts a known word.
            ("#@ving +@nk (@user #@user", "having tank ( xxuser # xxuser"),
            // Hashtags kept and split.
            ("#StopTheWar now", "#stopthewar stop the war now"),
            ("#peace", "#peace"),
            ("#no_truce", "#notruce no truce"),
        ] {
            assert_eq!(p().normalize(raw), want, "{raw}");
        }
    }

    #[test]
    fn escapes_that_decode_to_ascii_take_the_plain_ascii_path() {
        let pl = p();
        let raw = r"Yeah I like\u002c 20 minutes";
        assert_eq!(
            pl.normalize_plain_ascii(raw).as_deref(),
            Some("yeah i like, xxnum minutes")
        );
        // Non-ASCII once decoded, or a backslash left over: the general path.
        assert_eq!(pl.normalize_plain_ascii(r"I\u2019m"), None);
        assert_eq!(pl.normalize_plain_ascii(r#"say \"hi\""#), None);
        assert_eq!(pl.normalize(r"I\u2019m"), "i’m");
    }

    #[test]
    fn tokens_split_words_and_punctuation() {
        assert_eq!(
            p().tokens("Don't give an inch! No ceasefire?!"),
            vec![
                "don't",
                "give",
                "an",
                "inch",
                "!",
                "no",
                "ceasefire",
                "?",
                "!"
            ]
        );
        assert_eq!(
            p().tokens("Don’t stop #PeaceNow"),
            vec!["don’t", "stop", "#peacenow", "peace", "now"]
        );
    }

    #[test]
    fn literal_unicode_escapes_are_decoded() {
        assert_eq!(p().normalize("I\\u2019m shit\\u002c ok"), "i’m shit, ok");
        assert_eq!(p().normalize("bad \\uZQ escape"), "bad \\uzq escape");
    }

    #[test]
    fn pair_tokens_carry_cues_and_a_namespaced_parent() {
        let t = p().pair_tokens("I agree, no truce.", "No truce with Kiev");
        assert!(t.contains(&"⟨start⟩i".to_string()));
        assert!(t.contains(&"⟨start⟩i_agree".to_string()));
        assert!(t.contains(&"⟨negation⟩".to_string()));
        assert!(t.contains(&"p:kiev".to_string()));
        // Content words "agree" and "truce"; only "truce" is in the parent: bin 4·1/2 = 2.
        assert!(t.contains(&"⟨overlap2⟩".to_string()), "{t:?}");
        let q = p().pair_tokens(
            "you said we must stop the war now, wrong",
            "We must stop the war now",
        );
        assert!(q.contains(&"⟨quote⟩".to_string()), "{q:?}");
    }

    #[test]
    fn cyrillic_is_kept() {
        assert_eq!(
            p().tokens("Никакого перемирия!"),
            vec!["никакого", "перемирия", "!"]
        );
    }

    #[test]
    fn empty_text_has_no_tokens() {
        assert!(p().tokens("").is_empty());
        assert!(p().tokens("   \u{200B} ").is_empty());
    }

    #[test]
    fn normalize_is_idempotent_on_examples() {
        let pl = p();
        for s in [
            "#StopTheWar NOW!!",
            "i.d.i.o.t",
            "Ｃａｆé @bob 12,5",
            "sooooo baaad",
        ] {
            let once = pl.normalize(s);
            assert_eq!(pl.normalize(&once), once, "{s}");
        }
    }

    fn reference_tokens(pl: &TextPipeline, s: &str) -> (String, Vec<String>) {
        let n = pl.normalize_reference(s);
        let mut t = Vec::new();
        pl.tokenize_reference(&n, &mut t);
        (n, t)
    }

    fn fast_tokens(pl: &TextPipeline, s: &str) -> (String, Vec<String>) {
        let n = pl.normalize(s);
        let mut t = Vec::new();
        pl.tokenize_normalized(&n, &mut t);
        (n, t)
    }

    #[test]
    fn fast_path_matches_reference_on_examples() {
        let tricky = [
            "",
            "   ",
            "\tTab\x0bvt\x0cff\r\n end \x7f del \x1f us",
            "Visit https://x.com/a?b=1, www.rt.com. @Bob_1 says 2,500.5 or 3:30!!",
            "Café ＦＵＬＬ width Ǆ ß İstanbul ΣΑΣ ﬁ ① ½",
            "cease\u{200B}fire\u{00AD}soft \u{FEFF}bom \u{2028}ls \u{3164}",
            "i.d.i.o.t s h i t sooooo baaad 1d10t ph0ne Ьitch",
            "#StopTheWar #no_truce #peace I\\u2019m shit\\u002c ok",
            "Don't give an inch! No ceasefire?! Don’t ’quote’ o'",
            "Никакого перемирия! 日本語のテキスト 😀👍🏽 e\u{301}",
        ];
        let pl = p();
        let plain = TextPipeline::new(&TextParams {
            split_hashtags: false,
            fold_obfuscation: false,
            ..Default::default()
        });
        for s in tricky {
            assert_eq!(fast_tokens(&pl, s), reference_tokens(&pl, s), "{s:?}");
            assert_eq!(fast_tokens(&plain, s), reference_tokens(&plain, s), "{s:?}");
        }
    }

    #[test]
    fn non_ascii_text_can_be_settled_after_one_pass() {
        let pl = p();
        // Letters that are their own NFKD and lowercase, quotes, emoji: no second pass.
        for s in ["мир i’m naïve — «ok» 😀 straße ς", "日本語 “quoted” …"] {
            let once = pl.normalize_once(s);
            assert!(pl.settled(&once), "{s:?} -> {once:?}");
        }
        // What one pass can still change is never taken as settled.
        for s in [
            "İ",
            "e\u{301}",
            "\u{1100}\u{1161}",
            "a\u{A0}b",
            "x\u{200B}y",
            "ﬁ",
            "²",
            "#мир",
            "мир 12",
        ] {
            assert!(!pl.settled(s), "{s:?}");
        }
    }

    #[test]
    fn fast_path_matches_reference_on_committed_data() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let pl = p();
        let mut n = 0;
        for f in [
            "data/ceasefire/comments_train.csv",
            "data/examples/ceasefire_comments.csv",
        ] {
            let mut r = csv::Reader::from_path(root.join(f)).unwrap();
            let headers = r.headers().unwrap().clone();
            let col = headers.iter().position(|h| h == "text").unwrap();
            for rec in r.records() {
                let t = rec.unwrap()[col].to_string();
                assert_eq!(fast_tokens(&pl, &t), reference_tokens(&pl, &t), "{t:?}");
                n += 1;
            }
        }
        assert!(n > 100);
    }

    /// A splitter's tokens of `s`, and [`SPLIT_RE`]'s matches.
    fn splits_and_regex_matches(
        s: &str,
        split: impl Fn(&str, &mut dyn FnMut(&str)),
    ) -> (Vec<String>, Vec<String>) {
        let mut fast = Vec::new();
        split(s, &mut |t| fast.push(t.to_string()));
        let regex = regex(SPLIT_RE)
            .find_iter(s)
            .map(|m| m.as_str().to_string())
            .collect();
        (fast, regex)
    }

    proptest::proptest! {
        // Any text, text drawn from characters the Unicode steps treat specially, and
        // ASCII with control characters: as many cases of each as one test each had.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(768))]
        #[test]
        fn fast_path_matches_reference(s in proptest::prop_oneof![
            "(?s).{0,80}",
            "[a-cA-CéΣσςİßǄﬁ①٣١0-9²½ .,:#@_'’\u{301}\u{200B}\u{AD}\u{A0}\u{3000}\u{1680}\u{2028}\u{85}\u{1100}\u{1161}\u{3164}ｆＦ😀\t\n-]{0,60}",
            "[ -~\t\n\x00-\x1f#@.:/0-9]{0,80}",
        ]) {
            let pl = p();
            proptest::prop_assert_eq!(fast_tokens(&pl, &s), reference_tokens(&pl, &s));
        }
    }

    proptest::proptest! {

        #[test]
        fn plain_ascii_path_is_one_settled_pass(
            s in "[a-dA-DxXwW .,:'*_#@$0-57-]{0,60}|[ -~\t\n]{0,60}"
        ) {
            for pl in [p(), TextPipeline::new(&TextParams {
                split_hashtags: false,
                fold_obfuscation: false,
                ..Default::default()
            })] {
                if let Some(done) = pl.normalize_plain_ascii(&s) {
                    proptest::prop_assert_eq!(&done, &pl.normalize_once(&s));
                    proptest::prop_assert!(pl.settled(&done), "{:?} -> {:?}", s, done);
                }
            }
        }

        #[test]
        fn plain_ascii_path_decodes_escapes_as_the_general_path_does(
            s in r"(?:[a-cA-C 1#@_.]|\\u00[0-7][0-9a-fA-F]|\\u2019|\\u005cu0041|\\u00|\\){0,20}"
        ) {
            let pl = p();
            if let Some(done) = pl.normalize_plain_ascii(&s) {
                proptest::prop_assert_eq!(&done, &pl.normalize_once(&s));
                proptest::prop_assert!(pl.settled(&done), "{:?} -> {:?}", s, done);
            }
        }

        #[test]
        fn a_settled_text_is_left_as_it_is(
            s in "[a-e .'*_-]{0,50}|[a-e A-C.'*_#@0-9-]{0,60}|(?s).{0,40}|[a-c 1éßςσΣжяоαİ’“…😀٣①²ﬁ#\u{301}\u{1100}\u{1161}\u{AC00}\u{A0}\u{200B}\u{85}-]{0,40}"
        ) {
            for pl in [p(), TextPipeline::new(&TextParams::default())] {
                if pl.settled(&s) {
                    proptest::prop_assert_eq!(pl.normalize_once(&s), s.clone());
                }
            }
        }

        #[test]
        fn mentions_and_numbers_match_the_regexes(
            s in "[a1-3_@.,:x #-]{0,40}|[a1_@.,:x #éж日😀\u{301}\u{200D}\u{203F}’-]{0,40}|(?s).{0,30}"
        ) {
            let pl = p();
            let regex = |re: &Regex| re.find_iter(&s).map(|m| (m.start(), m.end())).collect::<Vec<_>>();
            let want = super::regex(USER_RE)
                .find_iter(&s)
                .filter(|m| super::scan::is_mention(&s, m.start()))
                .map(|m| (m.start(), m.end()))
                .collect::<Vec<_>>();
            proptest::prop_assert_eq!(mentions(&s).collect::<Vec<_>>(), want);
            if numbers_are_ascii_digits(&s) {
                proptest::prop_assert_eq!(numbers(&s).collect::<Vec<_>>(), regex(&pl.number_re));
            }
        }

        #[test]
        fn unicode_splitter_matches_the_regex(s in "[a-cé_0-9#'’ \t\n\u{A0}\u{3000}\u{1680}\u{301}\u{200D}\u{203F}٣²日😀!-/]{0,60}|(?s).{0,40}") {
            let (fast, regex) = splits_and_regex_matches(&s, |s, f| split_unicode(s, f));
            proptest::prop_assert_eq!(fast, regex);
        }

        #[test]
        fn ascii_splitter_matches_the_regex(s in "[a-c_0-9#' \t\n\x0b\x0c\r\x1c-\x1f!-/]{0,60}") {
            let (fast, regex) = splits_and_regex_matches(&s, |s, f| split_ascii(s, f));
            proptest::prop_assert_eq!(fast, regex);
        }
    }
}

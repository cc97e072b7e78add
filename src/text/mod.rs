//! Stage 1: text → normalized tokens.
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

pub mod obfuscation;

use std::borrow::Cow;

use regex::Regex;
use serde::{Deserialize, Serialize};
use tokenizers::normalizers::replace::{Replace, ReplacePattern};
use tokenizers::normalizers::strip::{Strip, StripAccents};
use tokenizers::normalizers::unicode::{NFKC, NFKD};
use tokenizers::normalizers::utils::Lowercase;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer,
    SplitDelimiterBehavior,
};
use unicode_normalization_alignments::char::is_combining_mark;
use unicode_normalization_alignments::UnicodeNormalization;

/// Most extra normalization passes run to reach a fixed point.
const MAX_PASSES: usize = 4;

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
}

impl Default for TextParams {
    fn default() -> Self {
        TextParams {
            split_hashtags: true,
            fold_obfuscation: true,
            pair: false,
        }
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
    number_re: Regex,
    url_with: String,
    user_with: String,
    number_with: String,
}

const CONTROL_RE: &str = r"[\p{Cc}\p{Zl}\p{Zp}]";
const FORMAT_RE: &str = r"[\p{Cf}\x{115F}\x{1160}\x{3164}\x{FFA0}]";
const URL_RE: &str = r"(?:https?://|www\.)\S+";
const USER_RE: &str = r"@\w+";
/// Numbers standing alone (`30`, `1,000`, `24.5`); digits inside a word (`covid19`,
/// after leetspeak folding has had its turn) stay, so a second pass sees the same words.
const NUMBER_RE: &str = r"\b\d+(?:[.,:]\d+)*\b";
const SPLIT_RE: &str = r"[\w#]+(?:['’][\w]+)*|[^\s\w]";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in regex is valid")
}

/// Replaces every match of `re` in `s` with the literal `with` (as `tokenizers`'
/// `Replace` does, without its alignment bookkeeping).
fn replace_all<'a>(re: &Regex, s: &'a str, with: &str) -> Cow<'a, str> {
    replace_spans(s, re.find_iter(s).map(|m| (m.start(), m.end())), with)
}

/// Replaces the given (start, end) byte spans of `s`, in order and disjoint, with `with`.
fn replace_spans<'a>(
    s: &'a str,
    spans: impl Iterator<Item = (usize, usize)>,
    with: &str,
) -> Cow<'a, str> {
    let mut it = spans.peekable();
    if it.peek().is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut last = 0;
    for (a, b) in it {
        out.push_str(&s[last..a]);
        out.push_str(with);
        last = b;
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// A word character of `\w` in ASCII text.
#[inline]
fn is_word_byte(c: u8) -> bool {
    WORD_BYTES[c as usize]
}

/// [`is_word_byte`] of every byte, looked up instead of three comparisons (the
/// splitter asks it of every byte of every comment).
const WORD_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c as u8 == b'_';
        c += 1;
    }
    t
};

/// The length of the character at byte `i` of `s` when it is a word character (`\w`,
/// Unicode's, which on ASCII is [`is_word_byte`]); `None` otherwise and at the end.
#[inline]
fn word_len_at(s: &str, i: usize) -> Option<usize> {
    match *s.as_bytes().get(i)? {
        b if b < 0x80 => is_word_byte(b).then_some(1),
        _ => {
            let c = s[i..].chars().next()?;
            regex_syntax::is_word_character(c).then(|| c.len_utf8())
        }
    }
}

/// Whether the character that ends at byte `i` of `s` is a word character (`\w`).
#[inline]
fn word_before(s: &str, i: usize) -> bool {
    match i.checked_sub(1).map(|j| s.as_bytes()[j]) {
        None => false,
        Some(b) if b < 0x80 => is_word_byte(b),
        Some(_) => s[..i]
            .chars()
            .next_back()
            .is_some_and(regex_syntax::is_word_character),
    }
}

/// [`USER_RE`]'s matches, without the regex engine: `@` and the word characters (Unicode's
/// `\w`) after it.
fn mentions(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if b[i] == b'@' {
                let mut j = i + 1;
                while let Some(n) = word_len_at(s, j) {
                    j += n;
                }
                if j > i + 1 {
                    let start = i;
                    i = j;
                    return Some((start, j));
                }
            }
            i += 1;
        }
        None
    })
}

/// [`NUMBER_RE`]'s matches, without the regex engine, in text whose numeric characters
/// are all ASCII digits (then those are the only `\d`; all ASCII text is such): digits
/// starting at a word boundary, with as many `[.,:]digits` groups as follow, ending at a
/// word boundary; when the greedy match ends inside a word, the regex gives back its
/// last group (which ends before a `.`, `,` or `:`) or, with no group, has no match there.
fn numbers(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = s.as_bytes();
    let digits_from = move |mut j: usize| {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !b[i].is_ascii_digit() || word_before(s, i) {
                i += 1;
                continue;
            }
            let start = i;
            let run = digits_from(i);
            let (mut end, mut before_last_group) = (run, None);
            while end + 1 < b.len()
                && matches!(b[end], b'.' | b',' | b':')
                && b[end + 1].is_ascii_digit()
            {
                before_last_group = Some(end);
                end = digits_from(end + 1);
            }
            if word_len_at(s, end).is_none() {
                i = end;
                return Some((start, end));
            }
            if let Some(p) = before_last_group {
                i = p;
                return Some((start, p));
            }
            // No boundary anywhere in the run: the regex cannot start inside it either.
            i = run;
        }
        None
    })
}

/// Whether `b` has an ASCII digit (tested in blocks, without stopping early within
/// one, so that it vectorizes: a plain `any` goes byte by byte).
#[inline]
fn has_ascii_digit(b: &[u8]) -> bool {
    b.chunks(32).any(|block| {
        block
            .iter()
            .fold(false, |any, &c| any | (c.wrapping_sub(b'0') < 10))
    })
}

/// Whether the numeric characters of `s` are all ASCII digits ([`numbers`] applies).
fn numbers_are_ascii_digits(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || !c.is_numeric())
}

/// The Unicode steps on ASCII text: control characters become spaces, letters are
/// lowercased, runs of spaces become one, surrounding whitespace is stripped (NFKD,
/// accent stripping and NFKC leave ASCII as it is, and no ASCII character is a format
/// character).
fn ascii_unicode_steps(text: &str) -> String {
    let b = text.as_bytes();
    // Most comments are printable with single spaces and none around them: then
    // lowercasing is all there is to do. (Tested in blocks so that it vectorizes.)
    let printable = b.chunks(32).all(|block| {
        block
            .iter()
            .fold(true, |ok, &c| ok & (c.wrapping_sub(0x20) < 0x5f))
    });
    if printable && b.first() != Some(&b' ') && b.last() != Some(&b' ') && !text.contains("  ") {
        return text.to_ascii_lowercase();
    }
    let mut bytes: Vec<u8> = Vec::with_capacity(text.len());
    for b in text.bytes() {
        let b = if b < 0x20 || b == 0x7f {
            b' '
        } else {
            b.to_ascii_lowercase()
        };
        if !(b == b' ' && bytes.last() == Some(&b' ')) {
            bytes.push(b);
        }
    }
    let mut s = String::from_utf8(bytes).expect("ASCII in, ASCII out");
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
    s
}

/// [`numbers`] of ASCII `s` replaced by `with`, then runs of spaces made one and
/// spaces around the text dropped (`s` has no whitespace but spaces).
fn replace_numbers_collapsing_spaces(s: Cow<str>, with: &str) -> String {
    let s = if has_ascii_digit(s.as_bytes()) {
        match replace_spans(&s, numbers(&s), with) {
            Cow::Owned(replaced) => replaced,
            Cow::Borrowed(_) => s.into_owned(),
        }
    } else {
        s.into_owned()
    };
    let mut b = s.into_bytes();
    // In place and without branches: each byte is written, and kept (the next one
    // written after it) unless it is a space after a space or at the start.
    let (mut len, mut last) = (0, b' ');
    for i in 0..b.len() {
        let c = b[i];
        b[len] = c;
        len += usize::from(c != b' ' || last != b' ');
        last = c;
    }
    b.truncate(len);
    if b.last() == Some(&b' ') {
        b.pop();
    }
    String::from_utf8(b).expect("ASCII in, ASCII out")
}

/// Repeats a normalization pass, from the result of its first run (`once`), until it
/// changes nothing. The passes interact (an
/// escape decodes to a digit next to a letter, folding makes a word a placeholder then
/// reads...), and a fixed point is idempotent by construction. Real text settles on the
/// second pass; the cap only guards against a cycle.
fn fixed_point(once: String, pass: impl Fn(&str) -> String) -> String {
    let mut cur = once;
    for _ in 0..MAX_PASSES {
        let next = pass(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
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
            // URLs and mentions fold before obfuscation folding (which would read
            // `www` as a stretched letter and `@` as leetspeak).
            Box::new(replace(URL_RE, &format!(" {URL_TOKEN} "))),
            Box::new(replace(USER_RE, &format!(" {USER_TOKEN} "))),
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

    /// Normalizes one comment: the canonical lowercase form that tokens are cut from.
    /// Idempotent: `normalize(normalize(x)) == normalize(x)`.
    pub fn normalize(&self, raw: &str) -> String {
        if let Some(done) = self.normalize_plain_ascii(raw) {
            return done;
        }
        let once = self.normalize_once(raw);
        if self.settled(&once) {
            // Most comments: the second pass would change nothing, so skip it.
            return once;
        }
        fixed_point(once, |s| self.normalize_once(s))
    }

    /// [`TextPipeline::normalize`] of most ASCII comments, in three byte passes instead
    /// of ten: `None` when the text needs a step this path leaves to the general one
    /// (an escape that decodes to a non-ASCII character; URLs; obfuscations to fold) or
    /// a second pass (a backslash left after decoding may start an escape there).
    /// Otherwise it is
    /// [`TextPipeline::normalize_once`]'s result, step for step: hashtags expanded,
    /// [`ascii_unicode_steps`], mentions replaced, folding a no-op (checked), and numbers
    /// replaced and spaces collapsed in one loop; and that result is settled (the
    /// checks at the end are [`TextPipeline::settled`]'s that can still fail here).
    fn normalize_plain_ascii(&self, raw: &str) -> Option<String> {
        if !raw.is_ascii() {
            return None;
        }
        // Decoding `\\uXXXX` escapes (as `normalize_once` does first) can make the text
        // non-ASCII (`\\u2019`) or leave a backslash, which no later step removes and
        // which keeps the result from being settled.
        let expanded = self.decode_and_expand(raw);
        if !expanded.is_ascii() || expanded.contains('\\') {
            return None;
        }
        let base = ascii_unicode_steps(&expanded);
        if base.contains("http") || base.contains("www.") {
            return None;
        }
        let s = if base.contains('@') {
            replace_spans(&base, mentions(&base), &self.user_with)
        } else {
            Cow::Borrowed(base.as_str())
        };
        if self.params.fold_obfuscation && !crate::text::obfuscation::leaves_unchanged(&s) {
            return None;
        }
        // `base` has single spaces and none around it: unless a mention or a number is
        // replaced (most comments: neither), there are no spaces to collapse either.
        let as_is = matches!(s, Cow::Borrowed(_)) && !has_ascii_digit(s.as_bytes());
        let out = if as_is {
            drop(s);
            base
        } else {
            replace_numbers_collapsing_spaces(s, &self.number_with)
        };
        // Of `settled`'s conditions, only these can fail on `out`: a lone `@`, a
        // hashtag beside an underscore, a number that replacing its neighbours freed.
        // (It is lowercase printable ASCII without a backslash, URLs or stray spaces by
        // construction; placeholders come with spaces, so folding has nothing new to do.)
        let b = out.as_bytes();
        let lone_at = b.contains(&b'@');
        let tag_beside_underscore =
            self.params.split_hashtags && b.contains(&b'#') && b.contains(&b'_');
        let number = has_ascii_digit(b) && numbers(&out).next().is_some();
        (!lone_at && !tag_beside_underscore && !number).then_some(out)
    }

    /// Whether [`TextPipeline::normalize_once`] certainly leaves `s` as it is: each
    /// condition is what one of its steps needs to have nothing to do. A quick
    /// sufficient test; when it fails, the pass is run to find out.
    fn settled(&self, s: &str) -> bool {
        let b = s.as_bytes();
        let ascii = s.is_ascii();
        s.chars().all(|c| {
            if c.is_ascii() {
                // Decoding, control characters and case, mentions.
                (' '..='~').contains(&c) && !c.is_ascii_uppercase() && c != '\\' && c != '@'
            } else {
                settled_char(c)
            }
        })
            // Control and format characters (the non-ASCII ones).
            && (ascii || !(self.control_re.is_match(s) || self.format_re.is_match(s)))
            // Hashtags: lowercase ASCII tags without underscores are kept as they are.
            && !(self.params.split_hashtags
                && b.contains(&b'#')
                && (!ascii || b.contains(&b'_')))
            // Numbers standing alone.
            && if ascii || numbers_are_ascii_digits(s) {
                numbers(s).next().is_none()
            } else {
                !self.number_re.is_match(s)
            }
            // Spaces: single, none around the text.
            && !s.starts_with(' ')
            && !s.ends_with(' ')
            && !s.contains("  ")
            && !s.contains("http")
            && !s.contains("www.")
            && (!self.params.fold_obfuscation || crate::text::obfuscation::leaves_unchanged(s))
    }

    /// The passes both normalization paths begin with, which need the original case:
    /// literal `\uXXXX` escapes decoded, then hashtags split.
    fn decode_and_expand<'a>(&self, raw: &'a str) -> Cow<'a, str> {
        let raw: Cow<str> = if raw.contains("\\u") {
            Cow::Owned(decode_unicode_escapes(raw))
        } else {
            Cow::Borrowed(raw)
        };
        if self.params.split_hashtags && raw.contains('#') {
            Cow::Owned(expand_hashtags(&raw))
        } else {
            raw
        }
    }

    fn normalize_once(&self, raw: &str) -> String {
        let text = self.decode_and_expand(raw);
        let text = text.as_ref();
        let base = if text.is_ascii() {
            ascii_unicode_steps(text)
        } else {
            self.unicode_steps(text)
        };
        // Each pattern runs only where it can match: a URL needs `http` or `www.`, a
        // mention `@`, a number a digit (on ASCII text, an ASCII digit).
        let s = if base.contains("http") || base.contains("www.") {
            replace_all(&self.url_re, &base, &self.url_with)
        } else {
            Cow::Borrowed(base.as_str())
        };
        let s = if s.contains('@') {
            replace_spans(&s, mentions(&s), &self.user_with).into_owned()
        } else {
            s.into_owned()
        };
        let s = if self.params.fold_obfuscation {
            crate::text::obfuscation::fold(&s)
        } else {
            s
        };
        // `\d` is a decimal digit, and those are all numeric: other digits than ASCII
        // ones (rare) are left to the regex.
        let s = if !(s.is_ascii() || numbers_are_ascii_digits(&s)) {
            replace_all(&self.number_re, &s, &self.number_with)
        } else if has_ascii_digit(s.as_bytes()) {
            replace_spans(&s, numbers(&s), &self.number_with)
        } else {
            Cow::Borrowed(s.as_str())
        };
        // Collapse the whitespace runs the placeholders leave behind.
        let mut out = String::with_capacity(s.len());
        for w in s.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
        out
    }

    /// The Unicode normalizers (up to the URL placeholder), on plain strings: the same regexes
    /// and the same Unicode tables (`tokenizers`' own `unicode-normalization-alignments`)
    /// without `NormalizedString`'s per-byte alignments, which cost a tenth of scoring
    /// time on non-ASCII comments.
    fn unicode_steps(&self, text: &str) -> String {
        let text = self.control_re.replace_all(text, " ");
        let text = self.format_re.replace_all(&text, "");
        // Runs of two or more whitespace characters become one space (`\s{2,}`), a
        // single one stays; whitespace around the text goes.
        let mut out = String::with_capacity(text.len());
        let (mut run, mut last_space) = (0, ' ');
        let mut push = |c: char| {
            if c.is_whitespace() {
                run += 1;
                last_space = c;
                return;
            }
            if run > 0 && !out.is_empty() {
                out.push(if run > 1 { ' ' } else { last_space });
            }
            run = 0;
            out.push(c);
        };
        // ASCII characters are their own NFKD and NFKC, are not marks and compose with
        // nothing that survives mark stripping: only the runs of other characters go
        // through the Unicode tables, each on its own.
        let mut rest = text.as_ref();
        while !rest.is_empty() {
            let ascii = rest
                .bytes()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len());
            rest[..ascii]
                .bytes()
                .for_each(|b| push(b.to_ascii_lowercase() as char));
            rest = &rest[ascii..];
            let other = rest
                .bytes()
                .position(|b| b.is_ascii())
                .unwrap_or(rest.len());
            rest[..other]
                .chars()
                .nfkd()
                .map(|(c, _)| c)
                .filter(|&c| !is_combining_mark(c))
                .nfkc()
                // Per character, as `tokenizers` lowercases (no final-sigma rule).
                .flat_map(|(c, _)| c.to_lowercase())
                .for_each(&mut push);
            rest = &rest[other..];
        }
        out
    }

    /// [`TextPipeline::normalize`] done entirely with `tokenizers`' `NormalizedString`
    /// (the original, slower implementation), kept to check the fast path against.
    pub fn normalize_reference(&self, raw: &str) -> String {
        fixed_point(self.normalize_reference_once(raw), |s| {
            self.normalize_reference_once(s)
        })
    }

    fn normalize_reference_once(&self, raw: &str) -> String {
        let text = self.decode_and_expand(raw);
        let text = text.as_ref();
        let mut n = NormalizedString::from(text);
        for step in &self.normalizers {
            step.normalize(&mut n)
                .expect("built-in normalizers do not fail");
        }
        let folded;
        let mut s = n.get();
        if self.params.fold_obfuscation {
            folded = crate::text::obfuscation::fold(s);
            s = folded.as_str();
        }
        let mut n = NormalizedString::from(s);
        for step in &self.placeholders {
            step.normalize(&mut n)
                .expect("built-in normalizers do not fail");
        }
        // Collapse the whitespace runs the placeholders leave behind.
        n.get().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Cuts a normalized string into tokens, appending them to `out`.
    pub fn tokenize_normalized(&self, normalized: &str, out: &mut Vec<String>) {
        self.for_each_token(normalized, |t| out.push(t.to_string()));
    }

    /// [`TextPipeline::tokenize_normalized`] into a [`Tokens`] buffer, which reuses
    /// the strings of the comment before (no allocation per token once warm).
    pub fn tokenize_into(&self, normalized: &str, out: &mut Tokens) {
        out.clear();
        self.for_each_token(normalized, |t| out.push(t));
    }

    fn for_each_token(&self, normalized: &str, f: impl FnMut(&str)) {
        if normalized.is_ascii() {
            split_ascii(normalized, f);
        } else {
            split_unicode(normalized, f);
        }
    }

    /// [`TextPipeline::tokenize_normalized`] with `tokenizers`' `Split` pre-tokenizer
    /// (the original implementation), kept to check the fast path against.
    pub fn tokenize_reference(&self, normalized: &str, out: &mut Vec<String>) {
        let mut pre = PreTokenizedString::from(normalized);
        self.splitter
            .pre_tokenize(&mut pre)
            .expect("built-in pre-tokenizer does not fail");
        out.extend(
            pre.get_splits(OffsetReferential::Normalized, OffsetType::Byte)
                .into_iter()
                .map(|(s, _, _)| s.to_string()),
        );
    }

    /// Normalizes and tokenizes one comment.
    pub fn tokens(&self, raw: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.tokenize_normalized(&self.normalize(raw), &mut out);
        out
    }
}

/// The tokens of one comment, kept from comment to comment so that their strings'
/// buffers are reused: scoring cuts millions of tokens, and a fresh `String` each
/// was a tenth of its time in allocation.
#[derive(Debug, Default)]
pub struct Tokens {
    strings: Vec<String>,
    len: usize,
}

impl Tokens {
    /// Empties the list, keeping the buffers.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends a token.
    pub fn push(&mut self, token: &str) {
        match self.strings.get_mut(self.len) {
            Some(s) => {
                s.clear();
                s.push_str(token);
            }
            None => self.strings.push(token.to_string()),
        }
        self.len += 1;
    }

    /// Replaces the list with `tokens`.
    pub fn set(&mut self, tokens: Vec<String>) {
        self.len = tokens.len();
        self.strings = tokens;
    }

    /// The tokens, in order.
    pub fn as_slice(&self) -> &[String] {
        &self.strings[..self.len]
    }
}

/// [`SPLIT_RE`]'s matches in ASCII text, without the regex engine: a run of word
/// characters and `#`, continued by `'` + word characters as often as they follow; or
/// any other character that is neither a word character nor whitespace, alone.
fn split_ascii(s: &str, mut out: impl FnMut(&str)) {
    let b = s.as_bytes();
    // `\s` on ASCII (Unicode White_Space): tab, newline, vertical tab, form feed,
    // carriage return, space.
    let space = |c: u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if is_word_byte(c) || c == b'#' {
            let start = i;
            while i < b.len() && (is_word_byte(b[i]) || b[i] == b'#') {
                i += 1;
            }
            while i + 1 < b.len() && b[i] == b'\'' && is_word_byte(b[i + 1]) {
                i += 1;
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
            }
            out(&s[start..i]);
        } else {
            if !space(c) {
                out(&s[i..i + 1]);
            }
            i += 1;
        }
    }
}

/// [`SPLIT_RE`]'s matches in any text, without the regex engine: [`split_ascii`]
/// with Unicode's word characters (`\w`), white space (`\s`) and both apostrophes.
fn split_unicode(s: &str, mut out: impl FnMut(&str)) {
    let word = regex_syntax::is_word_character;
    let mut it = s.char_indices().peekable();
    // Takes the characters that `keep` accepts, moving `end` past them.
    let take_while = |it: &mut std::iter::Peekable<std::str::CharIndices>,
                      end: &mut usize,
                      keep: &dyn Fn(char) -> bool| {
        while let Some((j, d)) = it.next_if(|&(_, d)| keep(d)) {
            *end = j + d.len_utf8();
        }
    };
    while let Some((start, c)) = it.next() {
        if word(c) || c == '#' {
            let mut end = start + c.len_utf8();
            take_while(&mut it, &mut end, &|d| word(d) || d == '#');
            // `['’]\w+`, as often as it follows.
            loop {
                let mut ahead = it.clone();
                match (ahead.next(), ahead.next()) {
                    (Some((_, '\'' | '’')), Some((_, d))) if word(d) => {}
                    _ => break,
                }
                it.next();
                take_while(&mut it, &mut end, &word);
            }
            out(&s[start..end]);
        } else if !c.is_whitespace() {
            out(&s[start..start + c.len_utf8()]);
        }
    }
}

/// Decodes literal `\uXXXX` escapes (`I\u2019m`, `shit\u002c`), which dumps exported
/// through JSON twice are full of. Anything that is not a valid escape is kept as is.
pub fn decode_unicode_escapes(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 2..i + 6)
            .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
        match hex
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether the Unicode steps leave a non-ASCII character as it is wherever it stands:
/// not whitespace (collapsed), not a combining mark (stripped), its own NFKD (so NFKD
/// and mark stripping change nothing, and NFKC has nothing to compose: outside Hangul,
/// whose syllables decompose, every character that composes with a preceding one is a
/// mark) and its own lowercase.
fn settled_char(c: char) -> bool {
    let single = |it: &mut dyn Iterator<Item = char>| it.next() == Some(c) && it.next().is_none();
    !c.is_whitespace()
        && !is_combining_mark(c)
        && !matches!(c as u32, 0x1100..=0x11FF | 0xA960..=0xA97F | 0xD7B0..=0xD7FF)
        && single(&mut std::iter::once(c).nfkd().map(|(d, _)| d))
        && single(&mut c.to_lowercase())
}

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

/// `#StopTheWar` → `#StopTheWar (stop the war)`-style expansion: the tag is kept and
/// its camel-case or underscore-separated words follow it. Lower-case tags stay as
/// they are (splitting them would need a dictionary).
pub fn expand_hashtags(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if c != '#' {
            continue;
        }
        let start = i + c.len_utf8();
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_alphanumeric() || d == '_' {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let tag = &raw[start..end];
        // Only tags with case or underscores to split on are expanded, and the tag is
        // kept without its underscores: the output has neither, so a second pass
        // leaves it alone (normalization is idempotent).
        if !tag.chars().any(|c| c.is_uppercase() || c == '_') {
            out.push_str(tag);
            continue;
        }
        out.extend(tag.chars().filter(|&c| c != '_'));
        let words = split_tag_words(tag);
        if words.len() > 1 {
            out.push(' ');
            out.push_str(&words.join(" "));
            out.push(' ');
        }
    }
    out
}

fn split_tag_words(tag: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in tag.chars() {
        let boundary = match prev {
            None => false,
            Some(p) => {
                c == '_'
                    || (c.is_uppercase() && p.is_lowercase())
                    || (c.is_numeric() != p.is_numeric())
            }
        };
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        if c != '_' {
            cur.push(c);
        }
        prev = Some(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> TextPipeline {
        TextPipeline::new(&TextParams::default())
    }

    #[test]
    fn lowercases_strips_accents_and_nfkc() {
        assert_eq!(p().normalize("Café ＦＵＬＬ width"), "cafe full width");
    }

    #[test]
    fn removes_zero_width_and_control_characters() {
        assert_eq!(
            p().normalize("cease\u{200B}fire\u{0}now\tok"),
            "ceasefire now ok"
        );
        assert_eq!(p().normalize("\u{FEFF}bom"), "bom");
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
    fn folds_urls_mentions_numbers() {
        assert_eq!(
            p().normalize("@user see https://x.com/a?b=1 in 30 days"),
            "xxuser see xxurl in xxnum days"
        );
        assert_eq!(
            p().normalize("www.rt.com 2,500 troops"),
            "xxurl xxnum troops"
        );
    }

    #[test]
    fn hashtags_kept_and_split() {
        assert_eq!(
            p().normalize("#StopTheWar now"),
            "#stopthewar stop the war now"
        );
        assert_eq!(p().normalize("#peace"), "#peace");
        assert_eq!(p().normalize("#no_truce"), "#notruce no truce");
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
            pair: false,
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
            let col = r
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "text")
                .unwrap();
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
        #[test]
        fn fast_path_matches_reference(s in "(?s).{0,80}") {
            let pl = p();
            proptest::prop_assert_eq!(fast_tokens(&pl, &s), reference_tokens(&pl, &s));
        }

        #[test]
        fn fast_path_matches_reference_unicode(
            s in "[a-cA-CéΣσςİßǄﬁ①٣١0-9²½ .,:#@_'’\u{301}\u{200B}\u{AD}\u{A0}\u{3000}\u{1680}\u{2028}\u{85}\u{1100}\u{1161}\u{3164}ｆＦ😀\t\n-]{0,60}"
        ) {
            let pl = p();
            proptest::prop_assert_eq!(fast_tokens(&pl, &s), reference_tokens(&pl, &s));
        }

        #[test]
        fn fast_path_matches_reference_ascii(s in "[ -~\t\n\x00-\x1f#@.:/0-9]{0,80}") {
            let pl = p();
            proptest::prop_assert_eq!(fast_tokens(&pl, &s), reference_tokens(&pl, &s));
        }

        #[test]
        fn plain_ascii_path_is_one_settled_pass(
            s in "[a-dA-DxXwW .,:'*_#@$0-57-]{0,60}|[ -~\t\n]{0,60}"
        ) {
            for pl in [p(), TextPipeline::new(&TextParams {
                split_hashtags: false,
                fold_obfuscation: false,
                pair: false,
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
            proptest::prop_assert_eq!(mentions(&s).collect::<Vec<_>>(), regex(&super::regex(USER_RE)));
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

//! Normalizing one comment: the canonical lowercase form its tokens are cut from.
//!
//! [`TextPipeline::normalize`] takes a one-pass byte path for most ASCII comments and the
//! general path for the rest, repeating a pass until nothing changes (normalization is
//! idempotent); [`TextPipeline::normalize_reference`] is the original all-`tokenizers`
//! implementation, kept to check both against.

use std::borrow::Cow;

use regex::Regex;
use tokenizers::{NormalizedString, Normalizer};
use unicode_normalization_alignments::char::is_combining_mark;
use unicode_normalization_alignments::UnicodeNormalization;

use super::hashtags::expand_hashtags;
use super::obfuscation;
use super::scan::{has_ascii_digit, mentions, numbers, numbers_are_ascii_digits};
use super::TextPipeline;

/// Most extra normalization passes run to reach a fixed point.
const MAX_PASSES: usize = 4;

/// Replaces every match of `re` in `s` with the literal `with` (as `tokenizers`'
/// `Replace` does, without its alignment bookkeeping).
fn replace_all<'a>(re: &Regex, s: &'a str, with: &str) -> Cow<'a, str> {
    replace_spans(s, re.find_iter(s).map(|m| (m.start(), m.end())), with)
}

/// Replaces the given (start, end) byte spans of `s`, in order and disjoint, with `with`.
pub(super) fn replace_spans<'a>(
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

impl TextPipeline {
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
    /// (an escape that decodes to a non-ASCII character; URLs; obfuscations that fold) or
    /// a second pass (a backslash left after decoding may start an escape there).
    /// Otherwise it is
    /// [`TextPipeline::normalize_once`]'s result, step for step: hashtags expanded,
    /// [`ascii_unicode_steps`], mentions replaced, folding a no-op (checked), and numbers
    /// replaced and spaces collapsed in one loop; and that result is settled (the
    /// checks at the end are [`TextPipeline::settled`]'s that can still fail here).
    pub(super) fn normalize_plain_ascii(&self, raw: &str) -> Option<String> {
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
        // Words the quick test cannot clear (`2nd`, `well-known`) are folded to find out:
        // most fold to themselves, and one fold is cheaper than the general path.
        let fold_checked = self.params.fold_obfuscation && !obfuscation::leaves_unchanged(&s);
        if fold_checked && obfuscation::fold(&s) != s.as_ref() {
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
        // Replacing numbers changed the words the fold was checked on: check again.
        let folds = fold_checked
            && !as_is
            && !obfuscation::leaves_unchanged(&out)
            && obfuscation::fold(&out) != out;
        (!lone_at && !tag_beside_underscore && !number && !folds).then_some(out)
    }

    /// Whether [`TextPipeline::normalize_once`] certainly leaves `s` as it is: each
    /// condition is what one of its steps needs to have nothing to do. A quick
    /// sufficient test; when it fails, the pass is run to find out.
    pub(super) fn settled(&self, s: &str) -> bool {
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
            // Folding: the quick test, else the fold itself (cheaper than a pass).
            && (!self.params.fold_obfuscation
                || obfuscation::leaves_unchanged(s)
                || obfuscation::fold(s) == s)
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

    pub(super) fn normalize_once(&self, raw: &str) -> String {
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
            obfuscation::fold(&s)
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
        let named = replace_spans(
            n.get(),
            self.user_re
                .find_iter(n.get())
                .filter(|m| super::scan::is_mention(n.get(), m.start()))
                .map(|m| (m.start(), m.end())),
            &self.user_with,
        );
        let folded;
        let mut s = named.as_ref();
        if self.params.fold_obfuscation {
            folded = obfuscation::fold(s);
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
}

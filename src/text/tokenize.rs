//! Cutting a normalized comment into tokens: a token is a word (letters, digits, `#`,
//! inner apostrophes) or a single punctuation mark. Byte and char loops give the matches
//! of [`super::SPLIT_RE`]; [`TextPipeline::tokenize_reference`] is `tokenizers`' `Split`
//! pre-tokenizer, kept to check them against.

use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};

use super::scan::is_word_byte;
use super::TextPipeline;

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
pub(super) fn split_ascii(s: &str, mut out: impl FnMut(&str)) {
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
pub(super) fn split_unicode(s: &str, mut out: impl FnMut(&str)) {
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

impl TextPipeline {
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
}

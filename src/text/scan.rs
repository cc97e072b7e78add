//! Byte scanners that stand in for the mention, number and word-character patterns on
//! text the regex engine would read more slowly: each gives the regex's matches
//! exactly (the tests in [`super`] check them against the regexes).

/// A word character of `\w` in ASCII text.
#[inline]
pub(super) fn is_word_byte(c: u8) -> bool {
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
pub(super) fn word_len_at(s: &str, i: usize) -> Option<usize> {
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
pub(super) fn word_before(s: &str, i: usize) -> bool {
    match i.checked_sub(1).map(|j| s.as_bytes()[j]) {
        None => false,
        Some(b) if b < 0x80 => is_word_byte(b),
        Some(_) => s[..i]
            .chars()
            .next_back()
            .is_some_and(regex_syntax::is_word_character),
    }
}

/// [`USER_RE`]'s matches that [`is_mention`] keeps, without the regex engine.
pub(super) fn mentions(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
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
                    if !is_mention(s, start) {
                        continue;
                    }
                    return Some((start, j));
                }
            }
            i += 1;
        }
        None
    })
}

/// Whether the `@` at byte `at` of `s` starts an @mention: it follows no word character,
/// no `$` and no leet character that follows a word character (`f@ggot`, `$@y`, `s+@te`
/// and `bob@mail.com` are words; `(@user)` is a mention), nor a leet character that
/// starts a word which folds to a known word (`#@ving`, `+@nk`), and its word does not read as
/// a known word with the `@` as an `a` (`@ss`, `@ny`, `@nd`, `@g@in`:
/// [`super::obfuscation::reads_as_word`]). `@user` and `@john` are mentions.
pub(super) fn is_mention(s: &str, at: usize) -> bool {
    let mut back = s[..at].chars().rev();
    let (before, second) = (back.next(), back.next());
    let in_word = word_before(s, at)
        || before == Some('$')
        || (before.is_some_and(super::obfuscation::is_leet)
            && second.is_some_and(regex_syntax::is_word_character));
    if in_word {
        return false;
    }
    // A leet character that starts the word (`#@ving`, `+@nk`): the whole word, read.
    if let Some(lead) = before.filter(|&c| super::obfuscation::is_leet(c)) {
        let word = s[at - lead.len_utf8()..].split(char::is_whitespace).next();
        if super::obfuscation::folds_to_word(word.unwrap_or("")) {
            return false;
        }
    }
    let word = s[at..].split(char::is_whitespace).next().unwrap_or("");
    !super::obfuscation::reads_as_word(word)
}

/// [`NUMBER_RE`]'s matches, without the regex engine, in text whose numeric characters
/// are all ASCII digits (then those are the only `\d`; all ASCII text is such): digits
/// starting at a word boundary, with as many `[.,:]digits` groups as follow, ending at a
/// word boundary; when the greedy match ends inside a word, the regex gives back its
/// last group (which ends before a `.`, `,` or `:`) or, with no group, has no match there.
pub(super) fn numbers(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
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
pub(super) fn has_ascii_digit(b: &[u8]) -> bool {
    b.chunks(32).any(|block| {
        block
            .iter()
            .fold(false, |any, &c| any | (c.wrapping_sub(b'0') < 10))
    })
}

/// Whether the numeric characters of `s` are all ASCII digits ([`numbers`] applies).
pub(super) fn numbers_are_ascii_digits(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || !c.is_numeric())
}

//! Hashtags: `#CamelCase` and `#snake_case` tags are kept and followed by their words.

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

//! API keys: `--keys FILE`, one key per line, `#` starts a comment line; a request
//! brings its key as `?key=` (what Perspective clients and Coral send) or in an
//! `x-api-key` header.
//!
//! Keys are held as SHA-256 digests, so the process never keeps them in the clear
//! after loading and a look-up does not compare secrets byte by byte; logs name a key
//! by the first 8 hex digits of its digest.

use std::collections::HashSet;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The accepted API keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    digests: HashSet<[u8; 32]>,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// How logs and metrics name a key: 8 hex digits of its SHA-256.
pub fn key_id(key: &str) -> String {
    hex::encode(&digest(key)[..4])
}

impl Keys {
    /// Parses a keys file's text: one key per line (trimmed), blank lines and lines
    /// starting with `#` skipped. A file without any key is an error (it would refuse
    /// every request).
    pub fn parse(text: &str, name: &str) -> Result<Keys, String> {
        let mut digests = HashSet::new();
        for line in text.lines() {
            let k = line.trim();
            if k.is_empty() || k.starts_with('#') {
                continue;
            }
            digests.insert(digest(k));
        }
        if digests.is_empty() {
            return Err(format!("{name}: no API key in the file (one key per line)"));
        }
        Ok(Keys { digests })
    }

    /// Reads a keys file.
    pub fn load(path: &Path) -> Result<Keys, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read keys file: {e}", path.display()))?;
        Keys::parse(&text, &path.display().to_string())
    }

    /// Whether `key` is one of them.
    pub fn accepts(&self, key: &str) -> bool {
        self.digests.contains(&digest(key))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

/// The API key a request brings: `?key=` first, else the `x-api-key` header.
pub fn request_key(query: Option<&str>, header: Option<&str>) -> Option<String> {
    let from_query = query.and_then(|q| {
        form_pairs(q)
            .into_iter()
            .find(|(k, _)| k == "key")
            .map(|(_, v)| v)
    });
    from_query
        .or_else(|| header.map(str::to_string))
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
}

/// The `name=value` pairs of a query string, percent-decoded.
pub fn form_pairs(query: &str) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{query}").parse().unwrap_or_default(),
    )
    .map(|q| q.0)
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_file_skips_comments_and_blank_lines() {
        let k = Keys::parse("# site A\n  key-one  \n\n#key-two\nkey three\n", "k").unwrap();
        assert_eq!(k.len(), 2);
        assert!(k.accepts("key-one"));
        assert!(k.accepts("key three"));
        assert!(!k.accepts("#key-two"));
        assert!(!k.accepts("key-two"));
        assert!(Keys::parse("# only a comment\n", "k").is_err());
    }

    #[test]
    fn key_comes_from_the_query_before_the_header() {
        assert_eq!(
            request_key(Some("a=1&key=s%2Fecret"), Some("other")),
            Some("s/ecret".into())
        );
        assert_eq!(request_key(Some("a=1"), Some(" hdr ")), Some("hdr".into()));
        assert_eq!(request_key(Some("key="), None), None);
        assert_eq!(request_key(None, None), None);
    }
}

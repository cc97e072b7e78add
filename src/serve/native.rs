//! `POST /v1/score`: a JSON array or JSONL of `{id, text, target?, parent_id?,
//! parent_text?}`, answered with one JSONL line per row in order: the bytes
//! `stance-score --format jsonl` prints for the same rows (`?target=T` is `--target T`,
//! `?explain=K` is `--explain K`). Replies find their parents earlier in the request or
//! in the service's parent cache (earlier requests).

use super::engine::{read_jsonl_rows, InputRow};
use super::ApiError;

/// Most n-grams per head a request may ask for.
pub const MAX_EXPLAIN: usize = 20;

/// Query options of the native endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreQuery {
    /// Stance target for every row.
    pub target: Option<String>,
    /// Explaining n-grams per head.
    pub explain: usize,
}

/// Reads `?target=` and `?explain=` from a query string.
pub fn parse_query(query: Option<&str>) -> Result<ScoreQuery, ApiError> {
    let mut q = ScoreQuery::default();
    for (k, v) in super::auth::form_pairs(query.unwrap_or("")) {
        match k.as_str() {
            "target" if !v.trim().is_empty() => q.target = Some(v),
            "explain" => {
                q.explain = v
                    .parse::<usize>()
                    .ok()
                    .filter(|&k| k <= MAX_EXPLAIN)
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "explain={v}: expected a whole number from 0 to {MAX_EXPLAIN}"
                        ))
                    })?
            }
            _ => {}
        }
    }
    Ok(q)
}

/// Parses the request body: a JSON array of row objects, or JSONL (one object a line).
pub fn parse_rows(body: &[u8]) -> Result<Vec<InputRow>, ApiError> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let jsonl = match start.map(|i| body[i]) {
        None => return Ok(Vec::new()),
        Some(b'[') => {
            let rows: Vec<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_slice(body).map_err(|e| {
                    ApiError::invalid(format!(
                    "invalid JSON array of rows (expected [{{\"id\":...,\"text\":...}}, ...]): {e}"
                ))
                })?;
            let mut out = Vec::with_capacity(body.len());
            for r in rows {
                serde_json::to_writer(&mut out, &r).expect("JSON to memory");
                out.push(b'\n');
            }
            out
        }
        Some(_) => body.to_vec(),
    };
    read_jsonl_rows(jsonl).map_err(ApiError::invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_jsonl_read_the_same() {
        let a =
            parse_rows(br#"[{"id":"a","text":"x"},{"id":7,"text":"y","parent_id":"a"}]"#).unwrap();
        let b = parse_rows(
            b"{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":7,\"text\":\"y\",\"parent_id\":\"a\"}\n",
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1].id.as_deref(), Some("7"));
        assert_eq!(a[1].parent_id.as_deref(), Some("a"));
        assert!(parse_rows(b"  ").unwrap().is_empty());
    }

    #[test]
    fn bad_rows_say_where() {
        let e = parse_rows(b"{\"id\":1,\"text\":\"ok\"}\n{\"id\":2}\n").unwrap_err();
        assert!(e.message.contains(":2"), "{}", e.message);
        assert!(parse_rows(br#"[{"text":1}]"#).is_err());
        assert!(parse_rows(b"[1,2]").is_err());
        assert!(parse_query(Some("explain=99")).is_err());
        assert_eq!(
            parse_query(Some("target=ceasefire&explain=3")).unwrap(),
            ScoreQuery {
                target: Some("ceasefire".into()),
                explain: 3
            }
        );
    }
}

//! Perspective API's `comments:analyze`, as Coral Talk calls it.
//!
//! Coral (`server/src/core/server/services/perspective/perspective.ts`) posts
//! `{"comment":{"text":...},"doNotStore":true,"requestedAttributes":{"TOXICITY":{}},"languages":["en"]}`
//! to `<endpoint>/comments:analyze?key=<key>` and reads
//! `attributeScores.<MODEL>.summaryScore.value` (`.../pipeline/phases/toxic.ts`),
//! flagging the comment when it is above the admin's threshold. The request and answer
//! forms are Perspective's; attributes map to heads by [`ATTRIBUTES`], and an attribute
//! no head measures is refused, never estimated from another.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::engine::Engine;
use super::ApiError;

/// The head whose p(positive) answers `TOXICITY`. Chosen by measurement (README
/// "Replacing Perspective in Coral Talk"): of the heads this project has, the OLID
/// offensive head ranks the SFU news comments' toxicity labels best and flags the most
/// Civil Comments toxic spans posts.
pub const TOXICITY_HEAD: &str = "offensive";

/// Longest comment text accepted (Perspective's limit: 20 KB).
pub const MAX_TEXT_BYTES: usize = 20_480;

/// How an attribute is read from the heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// p(positive label) of a binary flag head with this task.
    Flag(&'static str),
    /// p(this label) of the head with this task.
    Label(&'static str, &'static str),
    /// The predicted label's probability of the head with this task (the answer also
    /// names the label and gives every label's probability).
    Head(&'static str),
    /// No head measures it: refused with this reason.
    Refused(&'static str),
}

/// The attribute → head map.
pub const ATTRIBUTES: &[(&str, Reading)] = &[
    ("TOXICITY", Reading::Flag(TOXICITY_HEAD)),
    ("IDENTITY_ATTACK", Reading::Flag("hate")),
    ("OFFENSIVE", Reading::Flag("offensive")),
    ("STANCE", Reading::Head("stance")),
    ("STANCE_FAVOR", Reading::Label("stance", "favor")),
    ("STANCE_AGAINST", Reading::Label("stance", "against")),
    ("STANCE_NONE", Reading::Label("stance", "none")),
    ("SENTIMENT", Reading::Head("sentiment")),
    (
        "SENTIMENT_NEGATIVE",
        Reading::Label("sentiment", "negative"),
    ),
    ("SENTIMENT_NEUTRAL", Reading::Label("sentiment", "neutral")),
    (
        "SENTIMENT_POSITIVE",
        Reading::Label("sentiment", "positive"),
    ),
    (
        "SEVERE_TOXICITY",
        Reading::Refused("no head is trained on a severity scale"),
    ),
    (
        "INSULT",
        Reading::Refused("no head is trained on insult labels"),
    ),
    (
        "PROFANITY",
        Reading::Refused("no head is trained on profanity labels"),
    ),
    (
        "THREAT",
        Reading::Refused("no head is trained on threat labels"),
    ),
    (
        "SEXUALLY_EXPLICIT",
        Reading::Refused("no head is trained on sexual content labels"),
    ),
    (
        "FLIRTATION",
        Reading::Refused("no head is trained on flirtation labels"),
    ),
];

/// One requested attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Requested {
    /// Attribute name as requested (upper case).
    pub name: String,
    /// Leave the attribute out of the answer when it scores below this.
    pub threshold: Option<f64>,
}

/// A parsed `comments:analyze` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeRequest {
    /// Comment text.
    pub text: String,
    /// Requested attributes, in request order.
    pub attributes: Vec<Requested>,
    /// Requested languages (empty: not given).
    pub languages: Vec<String>,
    /// `doNotStore` (the service stores nothing; with it, the text is never logged).
    pub do_not_store: bool,
    /// Whether to return span scores.
    pub span_annotations: bool,
    /// Echoed back.
    pub client_token: Option<String>,
    /// Stance target (this service's extension; Perspective has none).
    pub target: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRequest {
    comment: Option<RawComment>,
    requested_attributes: Option<Map<String, Value>>,
    languages: Option<Vec<String>>,
    do_not_store: Option<bool>,
    span_annotations: Option<bool>,
    client_token: Option<String>,
    // Accepted and not used: the conversation context, session and community ids.
    #[allow(dead_code)]
    context: Option<Value>,
    #[allow(dead_code)]
    session_id: Option<String>,
    #[allow(dead_code)]
    community_id: Option<String>,
    target: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComment {
    text: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAttribute {
    score_type: Option<String>,
    score_threshold: Option<f64>,
}

/// Parses and validates a `comments:analyze` body (not yet against the loaded heads).
pub fn parse_analyze(body: &[u8]) -> Result<AnalyzeRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Invalid JSON payload received. {e}")))?;
    let comment = raw
        .comment
        .ok_or_else(|| ApiError::invalid("Comment must be specified."))?;
    let text = comment
        .text
        .ok_or_else(|| ApiError::invalid("Comment text must be specified."))?;
    if text.trim().is_empty() {
        return Err(ApiError::invalid("Comment must be non-empty."));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(ApiError::invalid(format!(
            "Comment text too long: {} bytes (at most {MAX_TEXT_BYTES}).",
            text.len()
        )));
    }
    match comment.kind.as_deref() {
        None | Some("PLAIN_TEXT") => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "comment.type {other} is not supported: send PLAIN_TEXT."
            )))
        }
    }
    let attrs = raw.requested_attributes.unwrap_or_default();
    if attrs.is_empty() {
        return Err(ApiError::invalid(
            "Must request at least one attribute (requestedAttributes).",
        ));
    }
    let mut attributes = Vec::with_capacity(attrs.len());
    for (name, v) in attrs {
        let a: RawAttribute = serde_json::from_value(v).map_err(|e| {
            ApiError::invalid(format!(
                "Invalid JSON payload received. requestedAttributes.{name}: {e}"
            ))
        })?;
        if let Some(t) = a.score_type.as_deref() {
            if t != "PROBABILITY" {
                return Err(ApiError::invalid(format!(
                    "requestedAttributes.{name}.scoreType {t} is not supported: only PROBABILITY."
                )));
            }
        }
        if let Some(t) = a.score_threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(ApiError::invalid(format!(
                    "requestedAttributes.{name}.scoreThreshold {t} is not in [0, 1]."
                )));
            }
        }
        attributes.push(Requested {
            name: name.to_ascii_uppercase(),
            threshold: a.score_threshold,
        });
    }
    Ok(AnalyzeRequest {
        text,
        attributes,
        languages: raw.languages.unwrap_or_default(),
        do_not_store: raw.do_not_store.unwrap_or(false),
        span_annotations: raw.span_annotations.unwrap_or(false),
        client_token: raw.client_token,
        target: raw.target.filter(|t| !t.trim().is_empty()),
    })
}

/// How an attribute name reads from the loaded heads: the head index and the label
/// index (`None` = the predicted label), or the reason it is refused.
pub fn resolve(engine: &Engine, name: &str) -> Result<(usize, Option<usize>), ApiError> {
    let Some((_, reading)) = ATTRIBUTES.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = ATTRIBUTES
            .iter()
            .filter(|(_, r)| !matches!(r, Reading::Refused(_)))
            .map(|(n, _)| *n)
            .collect();
        return Err(ApiError::invalid(format!(
            "Attribute {name} does not exist on this server. Supported: {}.",
            known.join(", ")
        )));
    };
    let head = |task: &str| {
        engine.head(task).ok_or_else(|| {
            ApiError::invalid(format!(
                "Attribute {name} needs the '{task}' head, which is not loaded: start stance-serve with --model for it (e.g. models/{task}.model) besides the others."
            ))
        })
    };
    match *reading {
        Reading::Refused(why) => Err(ApiError::invalid(format!(
            "Attribute {name} is not supported by this server: {why}, and it is not estimated from another head."
        ))),
        Reading::Flag(task) => {
            let i = head(task)?;
            let pos = engine.flag_label(i).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Attribute {name}: the '{task}' head is not a binary flag (labels {:?}).",
                    engine.labels(i)
                ))
            })?;
            Ok((i, Some(pos)))
        }
        Reading::Label(task, label) => {
            let i = head(task)?;
            let k = engine.labels(i).iter().position(|l| l == label).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Attribute {name}: the '{task}' head has no label '{label}' (labels {:?}).",
                    engine.labels(i)
                ))
            })?;
            Ok((i, Some(k)))
        }
        Reading::Head(task) => Ok((head(task)?, None)),
    }
}

fn round4(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

/// Character (Unicode scalar) offsets of the first case-insensitive occurrence of
/// `needle` in `text`.
pub fn locate(text: &str, needle: &str) -> Option<(usize, usize)> {
    let low = |c: char| c.to_lowercase().next().unwrap_or(c);
    let hay: Vec<char> = text.chars().map(low).collect();
    let pat: Vec<char> = needle.chars().map(low).collect();
    if pat.is_empty() || pat.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - pat.len())
        .find(|&i| hay[i..i + pat.len()] == pat[..])
        .map(|i| (i, i + pat.len()))
}

/// Answers a parsed request with the loaded heads: Perspective's response object.
/// `allowed` are the languages the heads read.
pub fn analyze(
    engine: &Engine,
    req: &AnalyzeRequest,
    allowed: &[String],
) -> Result<(Value, Vec<(String, String)>), ApiError> {
    let languages: Vec<String> = if req.languages.is_empty() {
        allowed.iter().take(1).cloned().collect()
    } else {
        req.languages
            .iter()
            .map(|l| l.to_ascii_lowercase())
            .collect()
    };
    let resolved = req
        .attributes
        .iter()
        .map(|a| resolve(engine, &a.name).map(|r| (a, r)))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(bad) = languages.iter().find(|l| !allowed.contains(l)) {
        let first = &req.attributes[0].name;
        return Err(ApiError::invalid(format!(
            "Attribute {first} does not support request languages: {bad} (this server reads: {})",
            allowed.join(", ")
        )));
    }
    let target = req.target.as_deref();
    let mut scores = Map::new();
    let mut decisions = Vec::new();
    // Each head is run once, whatever number of attributes read it.
    let mut probs: Vec<(usize, Vec<f32>)> = Vec::new();
    for (a, (head, label)) in resolved {
        let p = match probs.iter().find(|(h, _)| *h == head) {
            Some((_, p)) => p.clone(),
            None => {
                let p = engine.predict(head, &req.text, target);
                let labels = engine.labels(head);
                let task = engine.tasks()[head];
                decisions.push((task.to_string(), labels[argmax(&p)].clone()));
                probs.push((head, p.clone()));
                p
            }
        };
        let k = label.unwrap_or_else(|| argmax(&p));
        if a.threshold.is_some_and(|t| f64::from(p[k]) < t) {
            continue;
        }
        let mut attr = Map::new();
        if req.span_annotations {
            let mut spans: Vec<(usize, usize, f64)> = engine
                .explain(head, &req.text, target, k, 3)
                .into_iter()
                .filter(|(_, w)| *w > 0.0)
                .filter_map(|(ngram, _)| {
                    let (b, e) = locate(&req.text, &ngram)?;
                    let span: String = req.text.chars().skip(b).take(e - b).collect();
                    Some((b, e, round4(engine.predict(head, &span, target)[k])))
                })
                .collect();
            spans.sort_by_key(|s| s.0);
            spans.dedup_by_key(|s| s.0);
            attr.insert(
                "spanScores".into(),
                spans
                    .into_iter()
                    .map(|(b, e, v)| {
                        json!({"begin": b, "end": e, "score": {"value": v, "type": "PROBABILITY"}})
                    })
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        let labels = engine.labels(head);
        let mut summary = json!({"value": round4(p[k]), "type": "PROBABILITY"});
        if label.is_none() {
            summary["label"] = json!(labels[k]);
            attr.insert(
                "labelScores".into(),
                labels
                    .iter()
                    .zip(&p)
                    .map(|(l, &x)| (l.clone(), json!(round4(x))))
                    .collect::<Map<_, _>>()
                    .into(),
            );
        }
        attr.insert("summaryScore".into(), summary);
        scores.insert(a.name.clone(), attr.into());
    }
    let mut out = Map::new();
    out.insert("attributeScores".into(), scores.into());
    out.insert("languages".into(), json!(languages));
    if let Some(t) = &req.client_token {
        out.insert("clientToken".into(), json!(t));
    }
    Ok((out.into(), decisions))
}

fn argmax(p: &[f32]) -> usize {
    p.iter()
        .enumerate()
        .fold(
            (0, f32::MIN),
            |best, (i, &x)| if x > best.1 { (i, x) } else { best },
        )
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coral_body_parses() {
        // The body perspective.ts builds for comments:analyze (see tests/fixtures/serve).
        let r = parse_analyze(
            br#"{"comment":{"text":"You are an idiot"},"doNotStore":true,"requestedAttributes":{"TOXICITY":{}},"languages":["en"]}"#,
        )
        .unwrap();
        assert_eq!(r.text, "You are an idiot");
        assert!(r.do_not_store);
        assert_eq!(r.attributes.len(), 1);
        assert_eq!(r.attributes[0].name, "TOXICITY");
        assert_eq!(r.languages, vec!["en"]);
    }

    #[test]
    fn bad_bodies_are_invalid_argument() {
        for (body, says) in [
            (&b"{"[..], "Invalid JSON"),
            (br#"{"comment":{"text":5},"requestedAttributes":{"TOXICITY":{}}}"#, "invalid type"),
            (br#"{"requestedAttributes":{"TOXICITY":{}}}"#, "Comment must be specified"),
            (br#"{"comment":{},"requestedAttributes":{"TOXICITY":{}}}"#, "text must be specified"),
            (br#"{"comment":{"text":"  "},"requestedAttributes":{"TOXICITY":{}}}"#, "non-empty"),
            (br#"{"comment":{"text":"a"}}"#, "at least one attribute"),
            (br#"{"comment":{"text":"a"},"requestedAttributes":{"TOXICITY":{"scoreThreshold":2}}}"#, "not in [0, 1]"),
            (br#"{"comment":{"text":"a"},"requestedAttributes":{"TOXICITY":{"scoreType":"RAW"}}}"#, "only PROBABILITY"),
            (br#"{"comment":{"text":"a"},"requestedAttributes":{"TOXICITY":{}},"bogus":1}"#, "unknown field"),
        ] {
            let e = parse_analyze(body).unwrap_err();
            assert_eq!(e.status, "INVALID_ARGUMENT");
            assert!(e.message.contains(says), "{} -> {}", String::from_utf8_lossy(body), e.message);
        }
    }

    #[test]
    fn spans_are_found_in_the_original_text() {
        assert_eq!(locate("You are an IDIOT, sir", "idiot"), Some((11, 16)));
        assert_eq!(locate("Ça va, IDIOT", "idiot"), Some((7, 12)));
        assert_eq!(locate("abc", "abcd"), None);
        assert_eq!(locate("abc", ""), None);
    }
}

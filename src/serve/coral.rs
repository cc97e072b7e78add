//! Coral Talk's external moderation phase: `POST /coral/moderation`.
//!
//! What Coral sends and reads (coralproject/talk, read for this file):
//! `server/src/core/server/services/comments/pipeline/phases/external.ts` builds
//! `{action, comment:{body, parentID}, author:{id, role}, story:{id, url}, site:{id},
//! tenantID, tenantDomain}`, serializes it with `JSON.stringify(request, null, 2)` and
//! posts it with `X-Coral-Signature` (`services/fetch/fetch.ts`); the header is
//! `sha256=<hex HMAC-SHA256 of the raw body>` once per active signing secret of the
//! phase, joined by `,` (`models/settings/signingSecret/helpers.ts`: during a rotation
//! the old secret signs too until it expires). Coral validates the answer against
//! `{actions:[{actionType:"FLAG", reason:"COMMENT_DETECTED_TOXIC"|"COMMENT_DETECTED_SPAM"}],
//! status?, tags?}` and strips unknown keys, so this service's own fields
//! (`commentStance`) reach its log and never Coral's database.
//!
//! The payload carries no id for the new comment, so the service cannot remember it
//! under the id its replies will name; a reply's `parentID` is found when the parent
//! was posted to `/v1/score` with that id (see the README).

use std::collections::HashMap;
use std::path::Path;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::engine::Verdict;
use super::ApiError;

/// The phase's signing secrets: one per line, `#` comments. During a rotation list the
/// new secret and the old one; remove the old one once Coral stopped signing with it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets(Vec<String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} secrets)", self.0.len())
    }
}

impl Secrets {
    /// Parses a secrets file's text (at least one secret).
    pub fn parse(text: &str, name: &str) -> Result<Secrets, String> {
        let s: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        if s.is_empty() {
            return Err(format!("{name}: no signing secret in the file"));
        }
        Ok(Secrets(s))
    }

    /// Reads a secrets file.
    pub fn load(path: &Path) -> Result<Secrets, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read Coral secrets file: {e}", path.display()))?;
        Secrets::parse(&text, &path.display().to_string())
    }

    /// Whether one of the header's `sha256=` signatures is the HMAC-SHA256 of `body`
    /// under one of the secrets (compared in constant time).
    pub fn verify(&self, body: &[u8], header: &str) -> bool {
        let signatures: Vec<Vec<u8>> = header
            .split(',')
            .filter_map(|e| e.trim().split_once('='))
            .filter(|(scheme, _)| *scheme == "sha256")
            .filter_map(|(_, hex_sig)| hex::decode(hex_sig.trim()).ok())
            .collect();
        self.0.iter().any(|secret| {
            signatures.iter().any(|sig| {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                    .expect("HMAC takes keys of any length");
                mac.update(body);
                mac.verify_slice(sig).is_ok()
            })
        })
    }
}

/// The `X-Coral-Signature` value Coral would send for `body` signed with `secrets`.
pub fn sign(secrets: &[&str], body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| {
            let mut mac = Hmac::<Sha256>::new_from_slice(s.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Story URL → stance target (and the article's path, for the log), from
/// `--stories FILE`: CSV with a header `story_url,target[,article_path]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stories(HashMap<String, (String, Option<String>)>);

fn story_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

impl Stories {
    /// Parses the stories CSV.
    pub fn parse(text: &str, name: &str) -> Result<Stories, String> {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = r
            .headers()
            .map_err(|e| format!("{name}: {e}"))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect::<Vec<_>>();
        let col = |c: &str| headers.iter().position(|h| h == c);
        let (Some(url), Some(target)) = (col("story_url"), col("target")) else {
            return Err(format!(
                "{name}:1: the header must name story_url and target (found: {})",
                headers.join(", ")
            ));
        };
        let path = col("article_path");
        let mut map = HashMap::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| format!("{name}:{}: {e}", i + 2))?;
            let u = rec.get(url).unwrap_or("").trim();
            let t = rec.get(target).unwrap_or("").trim();
            if u.is_empty() || t.is_empty() {
                return Err(format!("{name}:{}: empty story_url or target", i + 2));
            }
            let p = path
                .and_then(|p| rec.get(p))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from);
            map.insert(story_key(u), (t.to_string(), p));
        }
        Ok(Stories(map))
    }

    /// Reads the stories CSV.
    pub fn load(path: &Path) -> Result<Stories, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read stories file: {e}", path.display()))?;
        Stories::parse(&text, &path.display().to_string())
    }

    /// The target of a story URL (a trailing `/` does not matter).
    pub fn target(&self, url: &str) -> Option<&str> {
        self.0.get(&story_key(url)).map(|(t, _)| t.as_str())
    }

    /// Number of stories.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The parts of Coral's moderation request the service reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationRequest {
    /// `NEW` or `EDIT`.
    pub action: String,
    /// The comment text (the phase's format should be plain text).
    pub body: String,
    /// The parent comment's id, for a reply.
    pub parent_id: Option<String>,
    /// The story's id.
    pub story_id: String,
    /// The story's URL.
    pub story_url: String,
    /// The tenant's id, when sent.
    pub tenant_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawModeration {
    action: String,
    comment: RawCoralComment,
    story: RawStory,
    #[serde(rename = "tenantID")]
    tenant_id: Option<String>,
}

#[derive(Deserialize)]
struct RawCoralComment {
    body: String,
    #[serde(rename = "parentID")]
    parent_id: Option<String>,
}

#[derive(Deserialize)]
struct RawStory {
    id: String,
    url: String,
}

/// Parses Coral's moderation request body.
pub fn parse_request(body: &[u8]) -> Result<ModerationRequest, ApiError> {
    let raw: RawModeration = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Invalid Coral moderation request: {e}")))?;
    if raw.action != "NEW" && raw.action != "EDIT" {
        return Err(ApiError::invalid(format!(
            "Invalid Coral moderation request: action '{}' is neither NEW nor EDIT",
            raw.action
        )));
    }
    Ok(ModerationRequest {
        action: raw.action,
        body: raw.comment.body,
        parent_id: raw.comment.parent_id.filter(|p| !p.trim().is_empty()),
        story_id: raw.story.id,
        story_url: raw.story.url,
        tenant_id: raw.tenant_id,
    })
}

/// Coral's answer for a verdict: reject → a toxic flag and status `REJECTED`; review →
/// a toxic flag when a moderation flag fired, else (a rule on a label, e.g. stance)
/// status `SYSTEM_WITHHELD` (held for a moderator, with no false "toxic" reason);
/// approve → no action. `commentStance` (stripped by Coral) says why.
pub fn answer(v: &Verdict, target: Option<&str>) -> Value {
    let flag = json!([{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]);
    let mut out = match (v.action, v.flagged) {
        ("reject", true) => json!({"actions": flag, "status": "REJECTED"}),
        ("reject", false) => json!({"actions": [], "status": "REJECTED"}),
        ("review", true) => json!({"actions": flag}),
        ("review", false) => json!({"actions": [], "status": "SYSTEM_WITHHELD"}),
        _ => json!({"actions": []}),
    };
    let stance = v
        .head("stance")
        .map(|(l, p)| json!({"label": l, "p": (f64::from(p) * 10_000.0).round() / 10_000.0}));
    out["commentStance"] = json!({
        "action": v.action,
        "reasons": v.reasons,
        "target": target,
        "stance": stance,
        "source": v.stance_source,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_any_listed_secret() {
        let body = b"{\n  \"action\": \"NEW\"\n}";
        let s = Secrets::parse("# rotation\nnew-secret\nold-secret\n", "s").unwrap();
        assert!(s.verify(body, &sign(&["new-secret"], body)));
        assert!(s.verify(body, &sign(&["old-secret"], body)));
        assert!(s.verify(body, &sign(&["gone", "new-secret"], body)));
        assert!(!s.verify(body, &sign(&["gone"], body)));
        assert!(!s.verify(b"{}", &sign(&["new-secret"], body)));
        assert!(!s.verify(body, "sha256=zz,sha1=00,"));
        assert!(!s.verify(body, ""));
    }

    fn verdict(action: &'static str, flagged: bool) -> Verdict {
        Verdict {
            action,
            reasons: vec![format!("{action}: something")],
            flagged,
            heads: vec![("stance".into(), "against".into(), 0.91)],
            stance_source: Some("text".into()),
        }
    }

    #[test]
    fn policy_actions_map_to_coral_answers() {
        let flag = json!([{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]);
        let a = answer(&verdict("reject", true), Some("ceasefire"));
        assert_eq!(a["actions"], flag);
        assert_eq!(a["status"], "REJECTED");
        let a = answer(&verdict("review", true), None);
        assert_eq!(a["actions"], flag);
        assert!(a.get("status").is_none());
        // Review by a stance rule alone: held for a moderator, not called toxic.
        let a = answer(&verdict("review", false), None);
        assert_eq!(a["actions"], json!([]));
        assert_eq!(a["status"], "SYSTEM_WITHHELD");
        let a = answer(&verdict("approve", false), Some("ceasefire"));
        assert_eq!(a["actions"], json!([]));
        assert!(a.get("status").is_none());
        assert_eq!(a["commentStance"]["stance"]["label"], "against");
        assert_eq!(a["commentStance"]["target"], "ceasefire");
    }

    #[test]
    fn stories_map_urls_to_targets() {
        let s = Stories::parse(
            "story_url,target,article_path\nhttps://news.example/a/,ceasefire,data/a.txt\nhttps://news.example/b,atheism,\n",
            "s",
        )
        .unwrap();
        assert_eq!(s.target("https://news.example/a"), Some("ceasefire"));
        assert_eq!(s.target("https://news.example/b/"), Some("atheism"));
        assert_eq!(s.target("https://news.example/c"), None);
        assert!(Stories::parse("url,target\nx,y\n", "s").is_err());
    }
}

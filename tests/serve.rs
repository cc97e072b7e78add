//! stance-serve over real HTTP on loopback: the protocols (Perspective as Coral calls
//! it, Coral's signed external phase, the native JSONL endpoint).

mod serve_support;

use serve_support::{example_rows, json, stance_score, Serve, KEY};

/// The body Coral Talk posts to `<endpoint>/comments:analyze?key=<key>`, byte for byte:
/// read in coralproject/talk `server/src/core/server/services/perspective/perspective.ts`
/// (`formatBody`, operation "comments:analyze": `{comment:{text}, doNotStore,
/// requestedAttributes:{[model]:{}}, languages:[language]}` through `JSON.stringify`,
/// no spaces, in that key order; `convertLanguage` gives "en" for en-US) and
/// `.../comments/pipeline/phases/toxic.ts` (model = `integration.model ||
/// TOXICITY_MODEL_DEFAULT` = "TOXICITY", doNotStore defaults to true; the answer is read
/// as `result.data.attributeScores[model].summaryScore.value` and compared with the
/// threshold, default 0.8).
const CORAL_ANALYZE: &str = include_str!("fixtures/serve/coral_analyze.json");

/// The body of Coral's external moderation phase for a reply, as `JSON.stringify(request,
/// null, 2)` lays it out (two-space indents, no trailing newline): read in
/// `server/src/core/server/services/comments/pipeline/phases/external.ts`
/// (`ExternalModerationRequest`) and `services/fetch/fetch.ts` (`generateFetchOptions`).
const CORAL_REPLY: &str = include_str!("fixtures/serve/coral_moderation_reply.json");

#[tokio::test]
async fn coral_analyze_request_is_answered_the_way_coral_reads_it() {
    let s = Serve::start(&[]);
    // As sendToPerspective does: POST <endpoint>/comments:analyze with ?key= and JSON.
    let r = s
        .client
        .post(s.url(&format!("/v1alpha1/comments:analyze?key={KEY}")))
        .header("content-type", "application/json")
        .header("user-agent", "Coral Perspective/8.0.0")
        .body(CORAL_ANALYZE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = json(&r.text().await.unwrap());
    let score = v["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
        .as_f64()
        .expect("Coral reads attributeScores.TOXICITY.summaryScore.value as a number");
    assert_eq!(
        v["attributeScores"]["TOXICITY"]["summaryScore"]["type"],
        "PROBABILITY"
    );
    assert_eq!(v["languages"], serde_json::json!(["en"]));
    // TOXICITY is the offensive head's p(offensive): the same number /v1/score gives.
    let text = json(CORAL_ANALYZE)["comment"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, line) = s
        .post(
            &format!("/v1/score?key={KEY}"),
            serde_json::json!([{ "id": "x", "text": text }]).to_string(),
        )
        .await;
    assert_eq!(code, 200);
    let p = json(line.trim())["offensive"]["p"]["offensive"]
        .as_f64()
        .unwrap();
    assert!((score - p).abs() < 1e-9, "{score} vs {p}");
    assert!(
        score > 0.8,
        "an insult scores above Coral's default threshold: {score}"
    );
    // A civil comment stays below it.
    let civil = CORAL_ANALYZE.replace(
        "You are a stupid idiot and a liar, shut up.",
        "Thirty days without shelling would let both sides count their dead.",
    );
    let (code, body) = s
        .post(&format!("/v1alpha1/comments:analyze?key={KEY}"), civil)
        .await;
    assert_eq!(code, 200);
    let low = json(&body)["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
        .as_f64()
        .unwrap();
    assert!(low < 0.5, "{low}");
    // The access log has the request and not the text.
    let log = s.log();
    assert!(log.contains("\"endpoint\":\"analyze\""), "{log}");
    assert!(!log.contains("stupid idiot"), "comment text logged: {log}");
}

#[tokio::test]
async fn attributes_map_to_heads_and_unsupported_ones_are_refused() {
    let s = Serve::start(&[]);
    let path = format!("/comments:analyze?key={KEY}");
    for attr in ["THREAT", "INSULT", "SEVERE_TOXICITY", "PROFANITY"] {
        let body = format!(
            r#"{{"comment":{{"text":"I will find you"}},"requestedAttributes":{{"{attr}":{{}}}}}}"#
        );
        let (code, text) = s.post(&path, body).await;
        assert_eq!(code, 400, "{attr}: {text}");
        let e = json(&text);
        assert_eq!(e["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(e["error"]["code"], 400);
        assert!(
            e["error"]["message"].as_str().unwrap().contains(attr),
            "{text}"
        );
    }
    // IDENTITY_ATTACK reads the hate head, which the four default heads do not include.
    let (code, text) = s
        .post(
            &path,
            r#"{"comment":{"text":"go home"},"requestedAttributes":{"IDENTITY_ATTACK":{}}}"#,
        )
        .await;
    assert_eq!(code, 400);
    assert!(text.contains("'hate' head"), "{text}");
    // A language the heads do not read is refused as Perspective refuses it.
    let (code, text) = s
        .post(
            &path,
            r#"{"comment":{"text":"Du bist doof"},"requestedAttributes":{"TOXICITY":{}},"languages":["de"]}"#,
        )
        .await;
    assert_eq!(code, 400);
    assert!(
        text.contains("does not support request languages: de"),
        "{text}"
    );
    // STANCE names its label and gives every probability; scoreThreshold drops low ones;
    // clientToken comes back; spans point into the text.
    let (code, text) = s
        .post(
            &path,
            r#"{"comment":{"text":"You idiots, sign the ceasefire now."},"target":"ceasefire",
                "requestedAttributes":{"STANCE":{},"STANCE_FAVOR":{},"SENTIMENT_POSITIVE":{"scoreThreshold":0.99},"OFFENSIVE":{}},
                "spanAnnotations":true,"clientToken":"comment:42"}"#,
        )
        .await;
    assert_eq!(code, 200, "{text}");
    let v = json(&text);
    let a = &v["attributeScores"];
    // The summary names the most probable label and gives its probability.
    let scores = a["STANCE"]["labelScores"].as_object().unwrap();
    let (top, p_top) = scores
        .iter()
        .map(|(l, p)| (l.as_str(), p.as_f64().unwrap()))
        .fold(("", -1.0), |b, x| if x.1 > b.1 { x } else { b });
    assert_eq!(scores.len(), 3, "{text}");
    assert_eq!(a["STANCE"]["summaryScore"]["label"], top, "{text}");
    assert_eq!(
        a["STANCE"]["summaryScore"]["value"].as_f64().unwrap(),
        p_top
    );
    let favor = a["STANCE"]["labelScores"]["favor"].as_f64().unwrap();
    assert_eq!(
        a["STANCE_FAVOR"]["summaryScore"]["value"].as_f64().unwrap(),
        favor
    );
    assert!(a.get("SENTIMENT_POSITIVE").is_none(), "{text}");
    assert_eq!(v["clientToken"], "comment:42");
    let spans = a["OFFENSIVE"]["spanScores"].as_array().unwrap();
    assert!(!spans.is_empty(), "{text}");
    let chars: Vec<char> = "You idiots, sign the ceasefire now.".chars().collect();
    let covered: Vec<String> = spans
        .iter()
        .map(|sp| {
            let (b, e) = (
                sp["begin"].as_u64().unwrap() as usize,
                sp["end"].as_u64().unwrap() as usize,
            );
            chars[b..e].iter().collect()
        })
        .collect();
    assert!(
        covered.iter().any(|c| c.to_lowercase().contains("idiot")),
        "{covered:?}"
    );
}

#[tokio::test]
async fn identity_attack_reads_the_hate_head_when_it_is_loaded() {
    let s = Serve::start(&[
        "--model",
        "models/stance.model",
        "--model",
        "models/offensive.model",
        "--model",
        "models/hate.model",
    ]);
    let (code, text) = s
        .post(
            &format!("/comments:analyze?key={KEY}"),
            r#"{"comment":{"text":"Send them all back, these migrants are animals"},"requestedAttributes":{"IDENTITY_ATTACK":{},"TOXICITY":{}}}"#,
        )
        .await;
    assert_eq!(code, 200, "{text}");
    let v = json(&text);
    let ia = v["attributeScores"]["IDENTITY_ATTACK"]["summaryScore"]["value"]
        .as_f64()
        .unwrap();
    let (_, line) = s
        .post(
            &format!("/v1/score?key={KEY}"),
            r#"[{"id":"1","text":"Send them all back, these migrants are animals"}]"#,
        )
        .await;
    assert_eq!(json(line.trim())["hate"]["p"]["hate"].as_f64().unwrap(), ia);
}

fn example_json_array(with_ids: bool) -> String {
    let rows: Vec<serde_json::Value> = example_rows()
        .into_iter()
        .map(|(id, parent, text)| {
            let mut o = serde_json::json!({"text": text, "parent_id": parent});
            if with_ids {
                o["id"] = id.into();
            }
            o
        })
        .collect();
    serde_json::to_string(&rows).unwrap()
}

#[tokio::test]
async fn native_endpoint_equals_stance_score_jsonl_byte_for_byte() {
    let csv = serve_support::root().join("data/examples/ceasefire_comments.csv");
    let want = stance_score(&["--target", "ceasefire", "--format", "jsonl"], &csv);
    let want_explained = stance_score(
        &[
            "--target",
            "ceasefire",
            "--format",
            "jsonl",
            "--explain",
            "3",
        ],
        &csv,
    );
    let want_no_target = stance_score(&["--format", "jsonl"], &csv);
    assert!(String::from_utf8_lossy(&want).contains("\"stance_source\":\"thread:r1\""));
    // A fresh server per comparison: the parent cache starts empty, as stance-score's.
    let s = Serve::start(&[]);
    let (code, got) = s
        .post(
            &format!("/v1/score?key={KEY}&target=ceasefire"),
            example_json_array(true),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(got, String::from_utf8(want.clone()).unwrap());
    // Again on the same server (the cache now holds the thread): the same bytes, as
    // JSONL input this time.
    let jsonl: String = json(&example_json_array(true))
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{r}\n"))
        .collect();
    let (_, again) = s
        .post(&format!("/v1/score?key={KEY}&target=ceasefire"), jsonl)
        .await;
    assert_eq!(again, got);
    let s = Serve::start(&[]);
    let (_, got) = s
        .post(
            &format!("/v1/score?key={KEY}&target=ceasefire&explain=3"),
            example_json_array(true),
        )
        .await;
    assert_eq!(got, String::from_utf8(want_explained).unwrap());
    let s = Serve::start(&[]);
    let (_, got) = s
        .post(&format!("/v1/score?key={KEY}"), example_json_array(true))
        .await;
    assert_eq!(got, String::from_utf8(want_no_target).unwrap());
    // Rows without ids are numbered from 1, as stance-score numbers them.
    let s = Serve::start(&[]);
    let (_, got) = s
        .post(
            &format!("/v1/score?key={KEY}"),
            r#"[{"text":"a"},{"text":"b"}]"#,
        )
        .await;
    let ids: Vec<String> = got
        .lines()
        .map(|l| json(l)["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["1", "2"]);
}

fn coral_setup(secrets: &str) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let sec = dir.path().join("coral-secrets");
    std::fs::write(&sec, secrets).unwrap();
    let stories = dir.path().join("stories.csv");
    std::fs::write(
        &stories,
        "story_url,target,article_path\nhttps://news.example/world/ceasefire-talks,ceasefire,data/examples/ceasefire_article.txt\n",
    )
    .unwrap();
    (
        dir,
        sec.to_string_lossy().into_owned(),
        stories.to_string_lossy().into_owned(),
    )
}

async fn coral_post(s: &Serve, body: &str, signature: Option<&str>) -> (u16, String) {
    let mut r = s
        .client
        .post(s.url("/coral/moderation"))
        .header("content-type", "application/json")
        .header("user-agent", "Coral Moderation/8.0.0")
        .body(body.to_string());
    if let Some(sig) = signature {
        r = r.header("x-coral-signature", sig);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn coral_phase_verifies_signatures_and_reads_replies_in_their_thread() {
    use comment_stance::serve::coral::sign;
    let (_dir, sec, stories) = coral_setup("# phase signing secret\nems_new_secret\n");
    let s = Serve::start(&["--coral-secrets", &sec, "--stories", &stories]);
    let body = CORAL_REPLY;
    // Unsigned, badly signed, signed over another body: 401, in Google's error shape.
    for sig in [
        None,
        Some("sha256=00".to_string()),
        Some(sign(&["ems_wrong"], body.as_bytes())),
        Some(sign(&["ems_new_secret"], b"{}")),
    ] {
        let (code, text) = coral_post(&s, body, sig.as_deref()).await;
        assert_eq!(code, 401, "{sig:?}: {text}");
        assert_eq!(json(&text)["error"]["status"], "UNAUTHENTICATED");
    }
    // The parent, known to the service under Coral's id (see the README: Coral does not
    // send a new comment's id, so parents come from /v1/score).
    let (code, _) = s
        .post(
            &format!("/v1/score?key={KEY}&target=ceasefire"),
            r#"[{"id":"c-parent-1","text":"Thirty days without artillery would save more lives than any speech. Sign the ceasefire."}]"#,
        )
        .await;
    assert_eq!(code, 200);
    let (code, text) =
        coral_post(&s, body, Some(&sign(&["ems_new_secret"], body.as_bytes()))).await;
    assert_eq!(code, 200, "{text}");
    let v = json(&text);
    assert_eq!(v["actions"], serde_json::json!([]), "{text}");
    let cs = &v["commentStance"];
    assert_eq!(cs["target"], "ceasefire");
    assert_eq!(cs["source"], "thread:c-parent-1", "{text}");
    assert_eq!(
        cs["stance"]["label"], "favor",
        "'I agree.' inherits its parent's stance: {text}"
    );
    // The same reply to an unknown parent reads its own text only.
    let orphan = body.replace("c-parent-1", "c-unknown");
    let (_, text) = coral_post(
        &s,
        &orphan,
        Some(&sign(&["ems_new_secret"], orphan.as_bytes())),
    )
    .await;
    assert_eq!(
        json(&text)["commentStance"]["source"],
        "text (parent c-unknown not found)"
    );
    // An offensive comment is flagged for review (p(offensive) >= 0.5) or rejected (>= 0.9).
    let rude = body
        .replace(
            "I agree.",
            "Shut up you stupid idiot, you are a disgusting liar.",
        )
        .replace("\"c-parent-1\"", "null");
    let (code, text) =
        coral_post(&s, &rude, Some(&sign(&["ems_new_secret"], rude.as_bytes()))).await;
    assert_eq!(code, 200);
    let v = json(&text);
    assert_eq!(
        v["actions"],
        serde_json::json!([{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]),
        "{text}"
    );
    assert_eq!(v["status"], "REJECTED", "{text}");
    assert_eq!(v["commentStance"]["action"], "reject");
    // Malformed payloads (signed) are 400.
    let bad = r#"{"action":"NEW","comment":{"body":5}}"#;
    let (code, text) = coral_post(&s, bad, Some(&sign(&["ems_new_secret"], bad.as_bytes()))).await;
    assert_eq!(code, 400, "{text}");
    let log = s.log();
    assert!(log.contains("\"endpoint\":\"coral\""));
    assert!(!log.contains("disgusting liar"), "comment text in the log");
}

#[tokio::test]
async fn coral_secret_rotation_and_a_replayed_request() {
    use comment_stance::serve::coral::sign;
    // Before the rotation: Coral signs with the old secret only.
    let (dir, sec, stories) = coral_setup("ems_old\n");
    let s = Serve::start(&["--coral-secrets", &sec, "--stories", &stories]);
    let body = CORAL_REPLY;
    let old_only = sign(&["ems_old"], body.as_bytes());
    assert_eq!(coral_post(&s, body, Some(&old_only)).await.0, 200);
    // Rotation in Coral: the new secret is created, the old one stays active until it
    // expires, so each request carries both signatures. The service still knows only
    // the old one: accepted.
    let both = sign(&["ems_old", "ems_new"], body.as_bytes());
    assert_eq!(coral_post(&s, body, Some(&both)).await.0, 200);
    // The admin adds the new secret and reloads: both accepted, and new-only too.
    std::fs::write(&sec, "ems_new\nems_old\n").unwrap();
    let (code, text) = s.post(&format!("/admin/reload?key={KEY}"), "").await;
    assert_eq!(code, 200, "{text}");
    let new_only = sign(&["ems_new"], body.as_bytes());
    assert_eq!(coral_post(&s, body, Some(&both)).await.0, 200);
    assert_eq!(coral_post(&s, body, Some(&new_only)).await.0, 200);
    // The old secret expires in Coral and is removed here (reload by SIGHUP this time).
    std::fs::write(&sec, "ems_new\n").unwrap();
    s.signal("HUP");
    let mut refused = false;
    for _ in 0..100 {
        // A replay of a request captured before the rotation, signed by the old secret.
        if coral_post(&s, body, Some(&old_only)).await.0 == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "old-secret replay still accepted after the reload");
    assert_eq!(coral_post(&s, body, Some(&new_only)).await.0, 200);
    drop(dir);
}

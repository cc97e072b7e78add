//! stance-serve's operations over real HTTP on loopback: bad requests, keys, limits,
//! slow clients, metrics, reload (a corrupt model refused, no request lost), graceful
//! shutdown.

mod serve_support;

use std::time::{Duration, Instant};

use serve_support::{json, Serve, KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ANALYZE_OK: &str =
    r#"{"comment":{"text":"Sign the truce."},"requestedAttributes":{"TOXICITY":{}}}"#;

async fn still_serving(s: &Serve) {
    let (code, text) = s
        .post(&format!("/v1alpha1/comments:analyze?key={KEY}"), ANALYZE_OK)
        .await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(s.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors_and_the_server_keeps_serving() {
    let s = Serve::start(&["--max-body-bytes", "4096"]);
    let analyze = format!("/v1alpha1/comments:analyze?key={KEY}");
    let huge = format!(
        r#"{{"comment":{{"text":"{}"}},"requestedAttributes":{{"TOXICITY":{{}}}}}}"#,
        "a".repeat(10_000)
    );
    let cases: Vec<(String, String, u16, &str, &str)> = vec![
        (analyze.clone(), "{not json".into(), 400, "INVALID_ARGUMENT", "Invalid JSON payload"),
        (analyze.clone(), r#"{"comment":{"text":["a"]},"requestedAttributes":{"TOXICITY":{}}}"#.into(), 400, "INVALID_ARGUMENT", "invalid type"),
        (analyze.clone(), r#"{"comment":{"text":"a"},"requestedAttributes":{"TOXICITY":{"scoreThreshold":"high"}}}"#.into(), 400, "INVALID_ARGUMENT", "requestedAttributes.TOXICITY: invalid type"),
        (analyze.clone(), r#"{"comment":{"text":"a"},"requestedAttributes":{"NOT_A_THING":{}}}"#.into(), 400, "INVALID_ARGUMENT", "does not exist"),
        (analyze.clone(), r#"{"requestedAttributes":{"TOXICITY":{}}}"#.into(), 400, "INVALID_ARGUMENT", "Comment must be specified"),
        (analyze.clone(), huge, 413, "INVALID_ARGUMENT", "larger than 4096 bytes"),
        ("/v1alpha1/comments:analyze".into(), ANALYZE_OK.into(), 401, "UNAUTHENTICATED", "no API key"),
        ("/v1alpha1/comments:analyze?key=wrong".into(), ANALYZE_OK.into(), 403, "PERMISSION_DENIED", "API key not valid"),
        (format!("/v1/score?key={KEY}"), "[{\"id\":1}]".into(), 400, "INVALID_ARGUMENT", "no text field"),
        (format!("/v1/score?key={KEY}"), "{\"text\":\"a\"}\n{\"text\":".into(), 400, "INVALID_ARGUMENT", ":2"),
        (format!("/v1/score?key={KEY}&explain=lots"), "[]".into(), 400, "INVALID_ARGUMENT", "explain=lots"),
        (format!("/v1alpha1/comments:suggestscore?key={KEY}"), "{}".into(), 501, "UNIMPLEMENTED", "stores no comments"),
        ("/coral/moderation".into(), "{}".into(), 404, "NOT_FOUND", "--coral-secrets"),
        ("/no/such/thing".into(), "{}".into(), 404, "NOT_FOUND", "no such endpoint"),
    ];
    for (path, body, code, status, says) in cases {
        let (got, text) = s.post(&path, body).await;
        assert_eq!(got, code, "{path}: {text}");
        let e = json(&text);
        assert_eq!(e["error"]["code"], code, "{text}");
        assert_eq!(e["error"]["status"], status, "{text}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(says),
            "{path}: {text}"
        );
        still_serving(&s).await;
    }
    // The key also works as a header; a wrong method is a JSON 405.
    let r = s
        .client
        .post(s.url("/v1alpha1/comments:analyze"))
        .header("x-api-key", KEY)
        .body(ANALYZE_OK)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (code, text) = s.get("/v1/score").await;
    assert_eq!(code, 405, "{text}");
    assert_eq!(json(&text)["error"]["code"], 405);
}

/// Sends `head` and then part of the body, and waits: the answer (status line).
async fn slow_client(addr: &str, head: &str, part: &str) -> String {
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(part.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut buf))
        .await
        .expect("the server answers a stalled client")
        .unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn slow_clients_are_timed_out_and_others_are_served_meanwhile() {
    let s = Serve::start(&["--timeout-ms", "400", "--header-timeout-ms", "400"]);
    // A body that stops arriving: 408 with a JSON error.
    let head = format!(
        "POST /v1alpha1/comments:analyze?key={KEY} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n"
    );
    let slow = tokio::spawn({
        let addr = s.addr.clone();
        async move { slow_client(&addr, &head, "{\"comment\":").await }
    });
    // Headers that stop arriving: the connection is closed.
    let stalled_headers = tokio::spawn({
        let addr = s.addr.clone();
        async move { slow_client(&addr, "POST /v1/score HTTP/1.1\r\nhost: x\r\n", "").await }
    });
    still_serving(&s).await;
    let t = Instant::now();
    let answer = slow.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"DEADLINE_EXCEEDED\""), "{answer}");
    let answer = stalled_headers.await.unwrap();
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(5));
    still_serving(&s).await;
}

#[tokio::test]
async fn each_key_has_its_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("{KEY}\nother-key\n")).unwrap();
    let s = Serve::start_raw(
        tempfile::tempdir().unwrap(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--keys",
            keys.to_str().unwrap(),
            "--rate-limit",
            "5",
        ],
    );
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(
            s.post(&format!("/comments:analyze?key={KEY}"), ANALYZE_OK)
                .await
                .0,
        );
    }
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 5, "{codes:?}");
    let r = s
        .client
        .post(s.url(&format!("/comments:analyze?key={KEY}")))
        .body(ANALYZE_OK)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(
        json(&r.text().await.unwrap())["error"]["status"],
        "RESOURCE_EXHAUSTED"
    );
    // Another key is not slowed by this one.
    assert_eq!(
        s.post("/comments:analyze?key=other-key", ANALYZE_OK)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn metrics_count_requests_errors_and_decisions() {
    let s = Serve::start(&[]);
    still_serving(&s).await;
    s.post("/comments:analyze?key=nope", ANALYZE_OK).await;
    s.post(
        &format!("/v1/score?key={KEY}"),
        r#"[{"id":"a","text":"you stupid idiot"}]"#,
    )
    .await;
    let (code, m) = s.get("/metrics").await;
    assert_eq!(code, 200);
    for want in [
        "stance_serve_requests_total{endpoint=\"analyze\",code=\"200\"} 1",
        "stance_serve_requests_total{endpoint=\"analyze\",code=\"403\"} 1",
        "stance_serve_errors_total{endpoint=\"analyze\",status=\"PERMISSION_DENIED\"} 1",
        "stance_serve_request_duration_seconds_count{endpoint=\"score\"} 1",
        "stance_serve_decisions_total{head=\"offensive\",label=\"offensive\"} 1",
        "stance_serve_model_generation 1",
        "stance_serve_thread_cache_comments 1",
    ] {
        assert!(m.contains(want), "missing {want} in\n{m}");
    }
    assert!(m.contains("stance_serve_actions_total{action="), "{m}");
}

#[tokio::test]
async fn a_corrupt_model_is_refused_on_reload_and_the_old_one_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("offensive.model");
    std::fs::copy(serve_support::root().join("models/offensive.model"), &model).unwrap();
    let s = Serve::start(&["--model", model.to_str().unwrap()]);
    let ask = || async {
        let (code, text) = s
            .post(
                &format!("/comments:analyze?key={KEY}"),
                r#"{"comment":{"text":"you stupid idiot"},"requestedAttributes":{"TOXICITY":{}}}"#,
            )
            .await;
        assert_eq!(code, 200, "{text}");
        json(&text)["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
            .as_f64()
            .unwrap()
    };
    let before = ask().await;
    // Truncated, then bit-flipped: both refused, by HTTP and by SIGHUP.
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let (code, text) = s.post(&format!("/admin/reload?key={KEY}"), "").await;
    assert_eq!(code, 409, "{text}");
    assert!(text.contains("reload refused"), "{text}");
    assert_eq!(ask().await, before);
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    std::fs::write(&model, &flipped).unwrap();
    s.signal("HUP");
    let mut refused = false;
    for _ in 0..100 {
        if s.log().contains("reload refused") {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "{}", s.log());
    assert_eq!(ask().await, before);
    let (_, h) = s.get("/healthz").await;
    assert_eq!(json(&h)["generation"], 1);
    // A good file loads: generation 2.
    std::fs::write(&model, &bytes).unwrap();
    let (code, text) = s.post(&format!("/admin/reload?key={KEY}"), "").await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(json(&text)["generation"], 2);
    assert_eq!(ask().await, before);
    // Reload needs a key like the scoring routes.
    assert_eq!(s.post("/admin/reload", "").await.0, 401);
}

#[tokio::test]
async fn reloads_under_concurrent_load_lose_no_request() {
    let s = std::sync::Arc::new(Serve::start(&[]));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..150 {
                let body = format!(
                    r#"{{"comment":{{"text":"comment {t} {i}: sign the truce"}},"requestedAttributes":{{"TOXICITY":{{}}}}}}"#
                );
                let (code, text) = s
                    .post(&format!("/v1alpha1/comments:analyze?key={KEY}"), body)
                    .await;
                assert_eq!(code, 200, "{text}");
                ok += 1;
            }
            ok
        }));
    }
    for _ in 0..5 {
        let (code, text) = s.post(&format!("/admin/reload?key={KEY}"), "").await;
        assert_eq!(code, 200, "{text}");
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 8 * 150);
    assert_eq!(json(&s.get("/healthz").await.1)["generation"], 6);
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let mut s = Serve::start(&["--max-body-bytes", "8000000"]);
    // A request that takes a while: 20,000 comments.
    let rows: Vec<serde_json::Value> = (0..20_000)
        .map(|i| serde_json::json!({"id": i.to_string(), "text": format!("comment number {i}: the truce will not hold, sign it anyway")}))
        .collect();
    let body = serde_json::to_string(&rows).unwrap();
    let s2 = s.client.clone();
    let url = s.url(&format!("/v1/score?key={KEY}"));
    let in_flight = tokio::spawn(async move {
        let r = s2.post(url).body(body).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    // Wait until the server is working on it, then ask it to stop.
    let mut started = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (_, m) = s.get("/metrics").await;
        if m.contains("stance_serve_in_flight_requests 2") {
            started = true;
            break;
        }
    }
    assert!(started, "the long request never showed as in flight");
    s.signal("TERM");
    let (code, text) = in_flight.await.unwrap();
    assert_eq!(code, 200);
    assert_eq!(text.lines().count(), 20_000);
    assert_eq!(s.wait_exit(20), Some(0), "{}", s.log());
    assert!(s.log().contains("finishing in-flight requests"));
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(&s.addr).await.is_err());
}

#[test]
fn unsafe_or_broken_setups_are_refused_at_start() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stance-serve"))
            .args(args)
            .current_dir(serve_support::root())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--listen", "0.0.0.0:0", "--insecure-no-auth"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("only binds a loopback address"), "{err}");
    let (code, err) = run(&["--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--keys"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.model");
    std::fs::write(&bad, b"CMSTANCE but not a model").unwrap();
    let (code, err) = run(&[
        "--listen",
        "127.0.0.1:0",
        "--insecure-no-auth",
        "--model",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("bad.model"), "{err}");
}

#[tokio::test]
async fn insecure_no_auth_serves_loopback_without_keys() {
    let s = Serve::start_raw(
        tempfile::tempdir().unwrap(),
        &["--listen", "127.0.0.1:0", "--insecure-no-auth"],
    );
    let (code, text) = s.post("/v1alpha1/comments:analyze", ANALYZE_OK).await;
    assert_eq!(code, 200, "{text}");
}

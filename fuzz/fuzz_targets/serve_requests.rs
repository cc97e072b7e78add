//! stance-serve's request parsers: any bytes give a parsed request or a 4xx error,
//! never a panic: Perspective's analyze body, Coral's moderation payload and its
//! signature header, the native rows (JSON array or JSONL) and query, and the files
//! read at start and reload (keys, Coral secrets, stories).
#![no_main]

use comment_stance::serve::{auth, coral, native, perspective};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match perspective::parse_analyze(data) {
        Ok(r) => {
            assert!(!r.attributes.is_empty());
            assert!(!r.text.trim().is_empty());
        }
        Err(e) => assert!(e.code.is_client_error()),
    }
    if let Err(e) = coral::parse_request(data) {
        assert!(e.code.is_client_error());
    }
    if let Err(e) = native::parse_rows(data) {
        assert!(e.code.is_client_error());
    }
    let text = String::from_utf8_lossy(data);
    let secrets = coral::Secrets::parse("fuzz-secret\n", "fuzz").unwrap();
    // A header made of the input never verifies unless it is the right signature.
    let _ = secrets.verify(b"{}", &text);
    let _ = native::parse_query(Some(&text));
    let _ = auth::request_key(Some(&text), Some(&text));
    let _ = auth::Keys::parse(&text, "fuzz");
    let _ = coral::Secrets::parse(&text, "fuzz");
    let _ = coral::Stories::parse(&text, "fuzz");
    if let Some((b, e)) = perspective::locate(&text, "idiot") {
        assert!(b < e && e <= text.chars().count());
    }
});

//! Normalizer + tokenizer: no panic, normalization is idempotent, and the fast paths
//! (ASCII byte loops for the splitter, mentions and numbers; the plain-string normalizer)
//! agree with the `tokenizers`/regex reference implementation.
#![no_main]

use std::sync::OnceLock;

use comment_stance::text::{TextParams, TextPipeline};
use libfuzzer_sys::fuzz_target;

fn pipeline() -> &'static TextPipeline {
    static P: OnceLock<TextPipeline> = OnceLock::new();
    P.get_or_init(|| TextPipeline::new(&TextParams::default()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let p = pipeline();
    let once = p.normalize(s);
    let mut tokens = Vec::new();
    p.tokenize_normalized(&once, &mut tokens);
    assert!(tokens.iter().all(|t| !t.is_empty()));
    let twice = p.normalize(&once);
    assert_eq!(once, twice, "normalize is not idempotent on {s:?}");
    assert_eq!(
        once,
        p.normalize_reference(s),
        "fast normalize differs on {s:?}"
    );
    let mut reference = Vec::new();
    p.tokenize_reference(&once, &mut reference);
    assert_eq!(tokens, reference, "fast tokenizer differs on {once:?}");
});

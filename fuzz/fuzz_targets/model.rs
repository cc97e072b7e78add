//! Model loader: any bytes give a model or an error, never a panic or a huge allocation.
#![no_main]

use comment_stance::head::Head;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Head::from_bytes(data, "fuzz") {
        let mut s = comment_stance::head::HeadScratch::default();
        let p = m.predict("fuzz text", None, &mut s);
        assert_eq!(p.len(), m.labels.len());
    }
});

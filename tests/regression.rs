//! Regression tests for bugs found by property tests and fuzzing, one per case.

use comment_stance::obfuscation::fold;
use comment_stance::text::{TextParams, TextPipeline};

/// Found by `properties::fold_is_idempotent`: the majority script of a word was chosen
/// before squeezing letter runs, so `aaaaпдп` (4 Latin, 3 Cyrillic letters without a
/// Latin look-alike) stayed Latin, was squeezed to `aaпдп` (2 Latin, 3 Cyrillic), and a
/// second pass turned the `a`s Cyrillic.
#[test]
fn fold_idempotent_when_squeezing_changes_the_majority_script() {
    for s in ["aaaaпдп", "aaaaaпдпж", "ппппaбa"] {
        let once = fold(s);
        assert_eq!(fold(&once), once, "{s}");
    }
    let p = TextPipeline::new(&TextParams::default());
    let once = p.normalize("AAAAпдп");
    assert_eq!(p.normalize(&once), once);
}

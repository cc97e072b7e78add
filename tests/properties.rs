//! Property tests: normalization, hashing and scoring invariants on arbitrary input.

use std::sync::OnceLock;

use comment_stance::features::{self, for_each_ngram, FeatureParams, SparseVec};
use comment_stance::head::{Head, HeadScratch};
use comment_stance::io::Row;
use comment_stance::score::{score_batch, score_row, ScoreOptions};
use comment_stance::text::obfuscation;
use comment_stance::text::{TextParams, TextPipeline};
use comment_stance::thread::ThreadCache;
use proptest::prelude::*;

/// A fixed seed, so that `cargo test` (and CI) runs the same cases every time; a
/// failure then reproduces. Set `PROPTEST_RNG_SEED` to explore other cases, and
/// `PROPTEST_CASES` for more of them.
fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(20261130);
    }
    c
}

fn pipeline() -> &'static TextPipeline {
    static P: OnceLock<TextPipeline> = OnceLock::new();
    P.get_or_init(|| TextPipeline::new(&TextParams::default()))
}

/// The shipped stance model (committed under models/).
fn model() -> &'static [Head] {
    static M: OnceLock<Vec<Head>> = OnceLock::new();
    M.get_or_init(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/stance.model");
        vec![Head::load(&p).expect("shipped stance model loads")]
    })
}

/// Text that exercises the obfuscation folder: letters of both scripts, leet
/// characters (the wider table too), separators, invisible characters, hashtags, digits
/// and escapes.
fn tricky() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("a"),
        Just("i"),
        Just("o"),
        Just("t"),
        Just("A"),
        Just("Z"),
        Just("о"), // Cyrillic
        Just("е"),
        Just("р"),
        Just("п"), // Cyrillic letters without a Latin look-alike
        Just("д"),
        Just("ж"),
        Just("α"),
        Just("0"),
        Just("1"),
        Just("3"),
        Just("7"),
        Just("@"),
        Just("$"),
        Just("#"),
        Just("."),
        Just("-"),
        Just("_"),
        Just("*"),
        Just(" "),
        Just("  "),
        Just("\u{200B}"),
        Just("\t"),
        Just("\u{0}"),
        Just("é"),
        Just("ﬁ"),
        Just("Ⅸ"),
        Just("²"),
        Just("\\u0041"),
        Just("'"),
        Just("’"),
        Just("http://x.y/z"),
        Just("www."),
        Just("@bob"),
        Just(","),
        Just("!"),
        // The wider leet table and separators (issue 27).
        Just("|"),
        Just("+"),
        Just("("),
        Just("€"),
        Just("8"),
        Just("5"),
        Just("~"),
        Just("s"),
        Just("d"),
    ];
    proptest::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

/// Comments made of a few words that repeat and share char n-grams.
fn word_soup() -> impl Strategy<Value = String> {
    let words = prop_oneof![
        Just("war"),
        Just("wars"),
        Just("peace"),
        Just("truce"),
        Just("no"),
        Just("NO"),
        Just("ceasefire"),
        Just("Putin"),
        Just("terms"),
        Just("!"),
        Just("мир"),
        Just("@bob"),
    ];
    proptest::collection::vec(words, 0..16).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn normalize_is_idempotent_on_any_string(s in any::<String>()) {
        let once = pipeline().normalize(&s);
        prop_assert_eq!(pipeline().normalize(&once), once);
    }

    #[test]
    fn normalize_is_idempotent_on_obfuscation_like_text(s in tricky()) {
        let once = pipeline().normalize(&s);
        prop_assert_eq!(pipeline().normalize(&once), once);
    }

    #[test]
    fn fold_is_idempotent(s in tricky()) {
        let lower = s.to_lowercase();
        let once = obfuscation::fold(&lower);
        prop_assert_eq!(obfuscation::fold(&once), once);
    }

    #[test]
    fn tokens_are_never_empty_and_have_no_whitespace(s in any::<String>()) {
        for t in pipeline().tokens(&s) {
            prop_assert!(!t.is_empty());
            prop_assert!(!t.chars().any(char::is_whitespace), "{:?}", t);
        }
    }

    #[test]
    fn hashed_buckets_stay_in_range(
        s in prop_oneof![any::<String>(), tricky()],
        log2 in 10u32..=24,
        wlo in 1usize..=3, wspan in 0usize..=3,
        clo in 1usize..=4, cspan in 0usize..=4,
    ) {
        let params = FeatureParams {
            buckets_log2: log2,
            word_ngrams: (wlo, wlo + wspan),
            char_ngrams: (clo, clo + cspan),
            ..FeatureParams::default()
        };
        let tokens = pipeline().tokens(&s);
        let (mut h, mut p, mut c) = (Vec::new(), Vec::new(), Vec::new());
        let mut bad = None;
        for_each_ngram(&params, &tokens, &mut h, &mut p, &mut c, |hit| {
            if hit.bucket as usize >= params.buckets() || hit.end as usize > tokens.len() {
                bad = Some(hit);
            }
        });
        prop_assert!(bad.is_none(), "{:?}", bad);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_row_scores_the_same_alone_and_inside_a_batch(
        texts in proptest::collection::vec(prop_oneof![any::<String>(), tricky()], 1..12),
        pick in any::<prop::sample::Index>(),
    ) {
        let models = model();
        let rows: Vec<Row> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Row {
                line: i as u64 + 2,
                id: i.to_string(),
                text: t.clone(),
                target: Some(["ceasefire", "Atheism", "unknown target"][i % 3].to_string()),
                ..Row::default()
            })
            .collect();
        let opts = ScoreOptions { batch_size: 3, ..ScoreOptions::default() };
        let batch = score_batch(models, rows.clone(), &opts, &mut ThreadCache::new(16));
        prop_assert_eq!(batch.len(), rows.len());
        let mut s = HeadScratch::default();
        for (row, scored) in rows.iter().zip(&batch) {
            prop_assert_eq!(&scored.row, row, "order kept");
            let alone = score_row(models, row, None, 0, &mut s);
            prop_assert_eq!(&alone[0].probs, &scored.heads[0].probs);
            let sum: f32 = alone[0].probs.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-4, "sum {}", sum);
            prop_assert!(alone[0].probs.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)));
        }
        // A batch of one gives the same as the row inside the bigger batch.
        let i = pick.index(rows.len());
        let one = score_batch(
            models,
            vec![rows[i].clone()],
            &opts,
            &mut ThreadCache::new(16),
        );
        prop_assert_eq!(&one[0].heads[0].probs, &batch[i].heads[0].probs);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Scoring sums the char part token by token, from a memo; training reads the
    /// char entries of the whole row. Both must give the same logits, and what the memo
    /// holds must not change them.
    #[test]
    fn per_token_char_terms_add_up_to_the_logits_of_the_row_vector(
        texts in proptest::collection::vec(prop_oneof![word_soup(), tricky(), any::<String>()], 1..8),
    ) {
        let m = &model()[0];
        let mut shared = HeadScratch::default();
        for (i, t) in texts.iter().enumerate() {
            let target = [Some("ceasefire"), Some("Atheism"), None, Some("unknown target")][i % 4];
            let fast = m.logits(t, target, &mut shared);
            prop_assert_eq!(&fast, &m.logits(t, target, &mut HeadScratch::default()));
            let tokens = m.row_tokens(t, None, target);
            let mut v = SparseVec::default();
            m.vectorize(&tokens, target, &mut features::FeatureScratch::default(), &mut v);
            let mut row = vec![0.0; m.labels.len()];
            m.linear().logits(&v.idx, &v.val, &mut row);
            for (a, b) in fast.iter().zip(&row) {
                prop_assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{:?} vs {:?} for {:?}", fast, row, t);
            }
        }
    }
}

/// Comment texts built from the pieces that trip CSV readers: quotes, commas, line ends
/// (LF and CRLF), lines that look like rows of the file, and text after quotes.
fn csv_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("\"\"".to_string()),
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\n2,looks like a row\n".to_string()),
        Just("\"Peace\" is not the word".to_string()),
        Just("4,\"fourth\"".to_string()),
        "[a-z ]{0,6}",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(400))]

    /// Issue 29: whatever a correct CSV writer writes, the reader reads back row for row
    /// with no report (the unbalanced-quote detector never refuses a correct file).
    #[test]
    fn any_file_a_csv_writer_writes_reads_back_row_for_row(
        texts in proptest::collection::vec(csv_text(), 0..12),
        crlf in any::<bool>(),
    ) {
        use comment_stance::io::{Columns, Format, RowReader};
        let mut w = csv::WriterBuilder::new()
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        w.write_record(["id", "text"]).unwrap();
        for (i, t) in texts.iter().enumerate() {
            w.write_record([i.to_string().as_str(), t.as_str()]).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let mut rdr = RowReader::from_reader(
            "w.csv",
            Box::new(std::io::Cursor::new(bytes)),
            Format::Csv,
            &Columns::default(),
            true,
        )
        .unwrap();
        let read: Vec<String> = rdr.by_ref().map(|r| r.unwrap().text).collect();
        prop_assert_eq!(rdr.bad_rows().count, 0);
        prop_assert_eq!(&read, &texts);
        let lines = rdr.line_count().unwrap();
        prop_assert!(lines.balanced(), "{:?}", lines);
    }
}

/// The shipped stance head reads a target's words as one token (`--mask-target`): under
/// two targets it never saw, a comment that names each in the same place gets the same
/// answer, the same comment toward the other target does not, and the explanation shows
/// the comment's own words.
#[test]
fn an_unseen_targets_name_does_not_change_the_generic_answer() {
    let m = &model()[0];
    assert!(m.text().params().mask_target);
    let mut s = HeadScratch::default();
    for template in [
        "Scrap the {} now.",
        "I back {} all the way, long overdue.",
        "Does anyone know when the {} starts?",
        "{} is a disgrace and a waste of money",
    ] {
        let a = template.replace("{}", "sugar tax");
        let b = template.replace("{}", "harbour bridge");
        let pa = m.predict(&a, Some("sugar tax"), &mut s);
        assert_eq!(
            pa,
            m.predict(&b, Some("harbour bridge"), &mut s),
            "{template}"
        );
        assert_eq!(
            pa,
            m.predict(&a, Some("sugar tax"), &mut HeadScratch::default())
        );
        assert_ne!(
            pa,
            m.predict(&a, Some("harbour bridge"), &mut s),
            "{template}"
        );
    }
    let against = m.labels.iter().position(|l| l == "against").unwrap();
    let why = m.explain(
        "Scrap the sugar tax now.",
        Some("sugar tax"),
        against,
        3,
        &mut s,
    );
    assert!(!why.is_empty());
    assert!(why.iter().all(|r| !r.ngram.contains("xxtarget")), "{why:?}");
}

//! Criterion benches of the scoring hot path, on committed data only:
//! `data/ceasefire/comments_train.csv` (texts) and `models/stance.model`.
//!
//! Stages: normalize + tokenize, featurize (tokens → TF-IDF vector), predict (whole row:
//! text → calibrated probabilities), and score_row with the default explain = 0.
//! Run with `cargo bench --bench hot_stages`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use comment_stance::features::{FeatureScratch, SparseVec};
use comment_stance::head::HeadScratch;
use comment_stance::io::Row;
use comment_stance::Head;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn texts() -> Vec<String> {
    let mut r = csv::Reader::from_path(root().join("data/ceasefire/comments_train.csv"))
        .expect("committed bench data");
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "text")
        .expect("text column");
    r.records()
        .map(|rec| rec.unwrap()[col].to_string())
        .collect()
}

fn model() -> Head {
    Head::load(&root().join("models/stance.model")).expect("committed model")
}

fn benches(c: &mut Criterion) {
    let texts = texts();
    let m = model();
    let mut g = c.benchmark_group("hot_stages");
    g.throughput(Throughput::Elements(texts.len() as u64));

    g.bench_function("normalize_tokenize", |b| {
        let mut toks = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                toks.clear();
                let norm = m.text().normalize(t);
                m.text().tokenize_normalized(&norm, &mut toks);
                n += toks.len();
            }
            n
        })
    });

    let tokenized: Vec<Vec<String>> = texts.iter().map(|t| m.text().tokens(t)).collect();
    g.bench_function("featurize", |b| {
        let mut s = FeatureScratch::default();
        let mut v = SparseVec::default();
        b.iter(|| {
            let mut n = 0;
            for toks in &tokenized {
                m.vectorize(toks, Some("ceasefire"), &mut s, &mut v);
                n += v.idx.len();
            }
            n
        })
    });

    g.bench_function("predict_row", |b| {
        let mut s = HeadScratch::default();
        b.iter(|| {
            let mut acc = 0.0f32;
            for t in &texts {
                acc += m.predict(t, Some("ceasefire"), &mut s)[0];
            }
            acc
        })
    });

    let rows: Vec<Row> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Row {
            id: i.to_string(),
            text: t.clone(),
            target: Some("ceasefire".into()),
            ..Row::default()
        })
        .collect();
    let models = [m];
    g.bench_function("score_batch", |b| {
        let opts = comment_stance::score::ScoreOptions::default();
        b.iter_batched(
            || rows.clone(),
            |rows| {
                let mut cache = comment_stance::thread::ThreadCache::new(1024);
                comment_stance::score::score_batch(&models, rows, &opts, &mut cache).len()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = hot;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(hot);

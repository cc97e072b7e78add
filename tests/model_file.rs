//! Damaged model files are rejected with a clear one-line message, never a panic or a
//! huge allocation.

mod common;

use comment_stance::head::{Head, FORMAT_VERSION, MAGIC};
use common::*;
use sha2::{Digest, Sha256};

const PREAMBLE: usize = 8 + 4 + 8 + 32;

fn good() -> Vec<u8> {
    std::fs::read(fixture_model()).unwrap()
}

fn load_err(bytes: &[u8]) -> String {
    Head::from_bytes(bytes, "m.model").unwrap_err().to_string()
}

/// Runs `stance-score` with the damaged model: exit 2, one line, no panic.
#[track_caller]
fn cli_rejects(bytes: &[u8], msg: &str) {
    let dir = tempdir();
    std::fs::write(dir.path().join("m.model"), bytes).unwrap();
    let input = fixture("stance_valid.csv");
    let r = run_in(
        dir.path(),
        "stance-score",
        &["--model", "m.model", s(&input)],
    );
    assert_fails(&r, "stance-score", msg);
    assert_eq!(r.stdout, "");
}

/// Splits a model file into (header JSON, tables after it).
fn split(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let payload = &bytes[PREAMBLE..];
    let n = u64::from_le_bytes(payload[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&payload[8..8 + n]).unwrap();
    (header, payload[8 + n..].to_vec())
}

/// Builds a well-formed file (right length, right checksum) around any header/tables.
fn assemble(header: &serde_json::Value, tables: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap();
    let mut payload = (json.len() as u64).to_le_bytes().to_vec();
    payload.extend_from_slice(&json);
    payload.extend_from_slice(tables);
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

#[test]
fn the_round_trip_helpers_rebuild_the_file_byte_for_byte() {
    let b = good();
    let (h, t) = split(&b);
    assert_eq!(assemble(&h, &t), b);
    Head::from_bytes(&b, "m.model").unwrap();
}

#[test]
fn truncated_file_is_rejected() {
    let b = good();
    let cut = &b[..b.len() - 100];
    let msg = format!(
        "model m.model: truncated or padded: header says {} payload bytes, file has {}",
        b.len() - PREAMBLE,
        b.len() - PREAMBLE - 100
    );
    assert_eq!(load_err(cut), msg);
    cli_rejects(cut, &msg);
    // Cut inside the preamble.
    assert_eq!(
        load_err(&b[..30]),
        "model m.model: truncated: 30 bytes, the header alone is 52"
    );
    assert_eq!(
        load_err(&b[..4]),
        "model m.model: not a comment-stance model file (wrong magic bytes)"
    );
    assert_eq!(
        load_err(&[]),
        "model m.model: not a comment-stance model file (wrong magic bytes)"
    );
}

#[test]
fn bit_flip_fails_the_checksum() {
    let mut b = good();
    for pos in [PREAMBLE + 3, PREAMBLE + 100, b.len() / 2, b.len() - 1] {
        let mut c = b.clone();
        c[pos] ^= 0x10;
        assert_eq!(
            load_err(&c),
            "model m.model: checksum mismatch: the file is corrupt",
            "flip at {pos}"
        );
    }
    // A flip in the stored checksum itself.
    b[30] ^= 1;
    assert_eq!(
        load_err(&b),
        "model m.model: checksum mismatch: the file is corrupt"
    );
    cli_rejects(&b, "model m.model: checksum mismatch: the file is corrupt");
}

#[test]
fn wrong_magic_is_rejected() {
    let mut b = good();
    b[..8].copy_from_slice(b"PK\x03\x04zipf");
    let msg = "model m.model: not a comment-stance model file (wrong magic bytes)";
    assert_eq!(load_err(&b), msg);
    cli_rejects(&b, msg);
    cli_rejects(b"id,text\n1,a csv file\n", msg);
}

#[test]
fn future_version_asks_for_an_upgrade_and_an_old_one_for_retraining() {
    let mut b = good();
    b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let msg = format!(
        "model m.model: format version {}, but this build of comment-stance reads version {FORMAT_VERSION} (the file is from a newer release; upgrade comment-stance)",
        FORMAT_VERSION + 1
    );
    assert_eq!(load_err(&b), msg);
    cli_rejects(&b, &msg);
    // Version 1 files weighted char n-grams over the whole row: their weights do not
    // fit this build's features, so they must be retrained, not read.
    b[8..12].copy_from_slice(&1u32.to_le_bytes());
    let msg = format!(
        "model m.model: format version 1, but this build of comment-stance reads version {FORMAT_VERSION} (the file is from an older release, whose features differ; retrain it with stance-train)"
    );
    assert_eq!(load_err(&b), msg);
    cli_rejects(&b, &msg);
}

#[test]
fn header_claiming_huge_tables_fails_before_allocating() {
    let (mut h, tables) = split(&good());
    for (n_idf, n_rows) in [
        (1u64 << 40, 0u64),
        (0, 1 << 40),
        (u64::MAX / 2, u64::MAX / 2),
        (u64::MAX, 1),
    ] {
        h["n_idf"] = n_idf.into();
        h["n_weight_rows"] = n_rows.into();
        let b = assemble(&h, &tables);
        assert_eq!(
            load_err(&b),
            "model m.model: table sizes do not match the file length",
            "n_idf {n_idf}, n_weight_rows {n_rows}"
        );
    }
}

#[test]
fn header_claiming_many_labels_fails_before_allocating() {
    // 100,000 labels with their bias values present: the tables add up to the file
    // length, but the dense weight matrix would be buckets x labels floats (terabytes
    // at 2^24 buckets). The loader must refuse instead of aborting on allocation.
    let (mut h, _) = split(&good());
    let n = 100_000usize;
    h["labels"] = (0..n).map(|i| format!("l{i}")).collect::<Vec<_>>().into();
    h["features"]["buckets_log2"] = 24.into();
    h["n_idf"] = 0.into();
    h["n_weight_rows"] = 0.into();
    let b = assemble(&h, &vec![0u8; 4 * n]);
    let e = load_err(&b);
    assert!(e.starts_with("model m.model: too many labels"), "{e}");
}

#[test]
fn header_that_is_not_json_is_rejected() {
    let b = good();
    let (_, tables) = split(&b);
    let json = b"{not json";
    let mut payload = (json.len() as u64).to_le_bytes().to_vec();
    payload.extend_from_slice(json);
    payload.extend_from_slice(&tables);
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    assert_eq!(
        load_err(&out),
        "model m.model: bad header: key must be a string at line 1 column 2"
    );
}

#[test]
fn header_length_past_the_end_is_rejected() {
    let b = good();
    let (h, tables) = split(&b);
    let mut b = assemble(&h, &tables);
    // Claim a JSON header longer than the payload, then fix the checksum.
    b[PREAMBLE..PREAMBLE + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let sum = Sha256::digest(&b[PREAMBLE..]);
    b[20..52].copy_from_slice(&sum);
    assert_eq!(
        load_err(&b),
        "model m.model: truncated: a table runs past the end of the file"
    );
}

#[test]
fn a_model_named_like_a_compressed_file_is_saved_as_it_is_and_loads() {
    let dir = tempdir();
    let model = Head::from_bytes(&good(), "m.model").unwrap();
    for name in ["m.model.gz", "m.model.zst"] {
        let path = dir.path().join(name);
        model.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), good(), "{name}");
        assert_eq!(Head::load(&path).unwrap().to_bytes(), good());
    }
}

#[test]
fn a_compressed_model_file_is_refused_with_a_reason() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &good()).unwrap();
    let gz = gz.finish().unwrap();
    let e = load_err(&gz);
    assert!(
        e.contains("gzip-compressed") && e.contains("decompress it first"),
        "{e}"
    );
    let zst = zstd::encode_all(&good()[..], 3).unwrap();
    assert!(load_err(&zst).contains("Zstandard-compressed"));
    cli_rejects(
        &gz,
        "model m.model: a gzip-compressed file: model files are read as written; decompress it first",
    );
}

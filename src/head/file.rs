//! The self-contained model file: magic, format version, payload length, SHA-256 of the
//! payload, then the payload: a JSON header with every parameter and the model card,
//! the sparse IDF and weight tables, the biases. Loading checks every size field
//! against the bytes actually present before allocating, so a damaged file is a clear
//! error, never a crash or a huge allocation.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Head, ModelCard, MAX_LABELS};
use crate::error::{Error, Result};
use crate::features::bucket_table::BucketTable;
use crate::features::{FeatureParams, Featurizer};
use crate::model::calibrate::Calibration;
use crate::model::linear::SparseSoftmax;
use crate::model::stack::Stacker;
use crate::text::TextParams;

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"CMSTANCE";

/// Model file format version this build reads and writes. Version 2: char n-grams are
/// read word by word (see [`Featurizer::transform`]); version 1 files weighted them over
/// the whole row, so their weights do not fit this build's features.
pub const FORMAT_VERSION: u32 = 2;

const PREAMBLE: usize = 8 + 4 + 8 + 32;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    task: String,
    labels: Vec<String>,
    targets: Vec<String>,
    text: TextParams,
    features: FeatureParams,
    calibration: Calibration,
    card: ModelCard,
    n_idf: u64,
    n_weight_rows: u64,
    /// Reply-relation heads: the learned combination of a reply's own stance with its
    /// parent's (absent: the fixed mixture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thread_stacker: Option<Stacker>,
    /// Rows of the crossed weights of targets adapted on frozen weights (the card's
    /// `lineage.frozen_fits`), written after the biases.
    #[serde(default, skip_serializing_if = "is_zero")]
    n_adapted_rows: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Head {
    /// Serializes the model to bytes (deterministic: same model, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let nc = self.labels.len();
        // Rows that are all zeros are not written (nor stored once loaded).
        let nonzero = |(_, r): &(u32, &[f32])| r.iter().any(|&x| x != 0.0);
        let idf: Vec<(u32, &[f32])> = self.featurizer.idf().iter().filter(nonzero).collect();
        let w: Vec<(u32, &[f32])> = self.linear.weights.iter().filter(nonzero).collect();
        let adapted: Vec<(u32, &[f32])> = self
            .adapted_weights()
            .map(|t| t.iter().filter(nonzero).collect())
            .unwrap_or_default();
        let header = Header {
            task: self.task.clone(),
            labels: self.labels.clone(),
            targets: self.targets.clone(),
            text: self.text.params().clone(),
            features: self.featurizer.params().clone(),
            calibration: self.calibration,
            card: self.card.clone(),
            n_idf: idf.len() as u64,
            n_weight_rows: w.len() as u64,
            thread_stacker: self.thread_stacker.clone(),
            n_adapted_rows: adapted.len() as u64,
        };
        let json = serde_json::to_vec(&header).expect("header serializes");
        let mut payload = Vec::with_capacity(json.len() + idf.len() * 8 + w.len() * (4 + 4 * nc));
        payload.extend_from_slice(&(json.len() as u64).to_le_bytes());
        payload.extend_from_slice(&json);
        for table in [&idf, &w] {
            for (b, _) in table {
                payload.extend_from_slice(&b.to_le_bytes());
            }
            for x in table.iter().flat_map(|(_, r)| *r) {
                payload.extend_from_slice(&x.to_le_bytes());
            }
        }
        for x in &self.linear.bias {
            payload.extend_from_slice(&x.to_le_bytes());
        }
        for (b, _) in &adapted {
            payload.extend_from_slice(&b.to_le_bytes());
        }
        for x in adapted.iter().flat_map(|(_, r)| *r) {
            payload.extend_from_slice(&x.to_le_bytes());
        }
        let mut out = Vec::with_capacity(PREAMBLE + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        out
    }

    /// Writes the model file atomically, as it is (a `.gz` name does not compress it).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, &self.to_bytes())
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Head> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Head::from_bytes(&bytes, &path.display().to_string())
    }

    /// Parses a model from bytes; `name` is used in error messages.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Head> {
        let bad = |m: String| Error::model(name, m);
        let payload = checked_payload(bytes, name)?;
        let mut cur = Cursor {
            b: payload,
            pos: 0,
            name,
        };
        let json_len = cur.u64()?;
        let json = cur.take(json_len)?;
        let h: Header =
            serde_json::from_slice(json).map_err(|e| bad(format!("bad header: {e}")))?;
        h.check(cur.remaining()).map_err(bad)?;
        let nc = h.labels.len();
        let buckets = h.features.buckets();
        // Each table is its bucket ids, then their rows, in ascending bucket order.
        let table = |cur: &mut Cursor, n: u64, width: usize, what: &str| -> Result<BucketTable> {
            let ids = cur.take(n * 4)?;
            let vals = f32s(cur.take(n * 4 * width as u64)?);
            let ids = ids
                .chunks_exact(4)
                .map(|i| u32::from_le_bytes(i.try_into().expect("4")));
            BucketTable::from_rows(buckets, width, ids.zip(vals.chunks_exact(width)))
                .map_err(|e| bad(format!("{what} table: {e}")))
        };
        let idf = table(&mut cur, h.n_idf, 1, "idf")?;
        let weights = table(&mut cur, h.n_weight_rows, nc, "weight")?;
        let bias = f32s(cur.take(4 * nc as u64)?);
        let adapted = match h.n_adapted_rows {
            0 => None,
            n => Some(table(&mut cur, n, nc, "adapted weight")?),
        };
        let featurizer = Featurizer::from_parts(h.features, idf).map_err(|e| bad(e.to_string()))?;
        let linear = SparseSoftmax {
            weights,
            bias,
            n_classes: nc,
            converged: h.card.converged,
            iterations: h.card.iterations,
        };
        let mut model = Head::new(
            h.task,
            h.labels,
            h.targets,
            h.text,
            featurizer,
            linear,
            h.calibration,
            h.card,
        );
        model.thread_stacker = h.thread_stacker;
        if let Some(t) = adapted {
            model.set_adapted_weights(t);
        }
        Ok(model)
    }
}

impl Header {
    /// Checks the parameters and that the tables' sizes fit the `remaining` bytes of the
    /// payload exactly (every size is checked before anything is allocated for it).
    fn check(&self, remaining: usize) -> std::result::Result<(), String> {
        self.features.check().map_err(|e| e.to_string())?;
        if let Some(st) = &self.thread_stacker {
            st.check().map_err(|e| e.to_string())?;
        }
        let nc = self.labels.len();
        if nc < 2 {
            return Err("fewer than two labels".into());
        }
        let buckets = self.features.buckets();
        if nc > MAX_LABELS {
            return Err(format!("too many labels: {nc} (at most {MAX_LABELS})"));
        }
        let need = self
            .n_idf
            .checked_mul(8)
            .and_then(|a| {
                self.n_weight_rows
                    .checked_mul(4 + 4 * nc as u64)
                    .and_then(|b| a.checked_add(b))
            })
            .and_then(|a| a.checked_add(4 * nc as u64))
            .and_then(|a| {
                self.n_adapted_rows
                    .checked_mul(4 + 4 * nc as u64)
                    .and_then(|b| a.checked_add(b))
            });
        if need != Some(remaining as u64)
            || self.n_idf > buckets as u64
            || self.n_weight_rows > buckets as u64
            || self.n_adapted_rows > buckets as u64
        {
            return Err("table sizes do not match the file length".into());
        }
        Ok(())
    }
}

/// Little-endian `f32`s.
fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|v| f32::from_le_bytes(v.try_into().expect("4")))
        .collect()
}

/// The payload of a model file, after checking what comes before it: not compressed,
/// the magic bytes, this build's format version, the payload's length and SHA-256.
fn checked_payload<'a>(bytes: &'a [u8], name: &str) -> Result<&'a [u8]> {
    let bad = |m: String| Err(Error::model(name, m));
    if let Some(kind) = compressed_kind(bytes) {
        return bad(format!(
            "a {kind}-compressed file: model files are read as written; decompress it first"
        ));
    }
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return bad("not a comment-stance model file (wrong magic bytes)".into());
    }
    if bytes.len() < PREAMBLE {
        return bad(format!(
            "truncated: {} bytes, the header alone is {PREAMBLE}",
            bytes.len()
        ));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return bad(format!(
            "format version {version}, but this build of comment-stance reads version {FORMAT_VERSION}{}",
            if version > FORMAT_VERSION {
                " (the file is from a newer release; upgrade comment-stance)"
            } else {
                " (the file is from an older release, whose features differ; retrain it with stance-train)"
            }
        ));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let payload = &bytes[PREAMBLE..];
    if len != payload.len() as u64 {
        return bad(format!(
            "truncated or padded: header says {len} payload bytes, file has {}",
            payload.len()
        ));
    }
    if Sha256::digest(payload).as_slice() != &bytes[20..52] {
        return bad("checksum mismatch: the file is corrupt".into());
    }
    Ok(payload)
}

/// The compression a file's first bytes announce (gzip or Zstandard), if any.
fn compressed_kind(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("Zstandard"),
        _ => None,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    name: &'a str,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(Error::model(
                self.name,
                "truncated: a table runs past the end of the file",
            ));
        }
        let s = &self.b[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

//! Compressed streams (`.gz`, `.zst`) and atomic file output.
//!
//! Owns the (de)compressors and the temporary-file-then-rename discipline for every file
//! the tool writes. Reading decompresses by the file's extension; writing compresses only
//! when the caller asks for it ([`Compression::by_extension`] is that request for data
//! outputs such as `stance-score --out x.csv.gz`), so a model file is always written as
//! it is.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Wraps `input` in a decompressor when `path` ends in `.gz` or `.zst`.
pub fn decode(path: &str, input: Box<dyn Read + Send>) -> Result<Box<dyn Read + Send>> {
    let lower = path.to_lowercase();
    if lower.ends_with(".gz") {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(input)))
    } else if lower.ends_with(".zst") {
        let d = zstd::stream::read::Decoder::new(input).map_err(|e| Error::io(path, e))?;
        Ok(Box::new(d))
    } else {
        Ok(input)
    }
}

/// How an output file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Written as it is.
    None,
    /// gzip (default level).
    Gzip,
    /// Zstandard (level 3).
    Zstd,
}

impl Compression {
    /// gzip for a path ending in `.gz`, Zstandard for `.zst` (any case), else none.
    pub fn by_extension(path: &Path) -> Compression {
        let lower = path.to_string_lossy().to_lowercase();
        if lower.ends_with(".gz") {
            Compression::Gzip
        } else if lower.ends_with(".zst") {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// A writer that must be finished explicitly; dropping it unfinished discards the output.
pub trait FinishWrite: Write + Send {
    /// Flushes everything and moves the file into place.
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

enum Enc {
    Plain(BufWriter<tempfile::NamedTempFile>),
    Gz(flate2::write::GzEncoder<BufWriter<tempfile::NamedTempFile>>),
    Zst(zstd::stream::write::Encoder<'static, BufWriter<tempfile::NamedTempFile>>),
}

struct AtomicWriter {
    enc: Enc,
    path: PathBuf,
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.enc {
            Enc::Plain(w) => w.write(buf),
            Enc::Gz(w) => w.write(buf),
            Enc::Zst(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.enc {
            Enc::Plain(w) => w.flush(),
            Enc::Gz(w) => w.flush(),
            Enc::Zst(w) => w.flush(),
        }
    }
}

impl FinishWrite for AtomicWriter {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        let buf = match self.enc {
            Enc::Plain(w) => w,
            Enc::Gz(w) => w.finish()?,
            Enc::Zst(w) => w.finish()?,
        };
        let tmp = buf.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        // Temporary files are created 0600; a finished output gets ordinary permissions.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Opens an atomic writer for `path`, compressing as asked.
pub fn encode_atomic(path: &Path, compression: Compression) -> Result<Box<dyn FinishWrite>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".comment-stance-")
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(path, e))?;
    let buf = BufWriter::with_capacity(1 << 16, tmp);
    let enc = match compression {
        Compression::Gzip => Enc::Gz(flate2::write::GzEncoder::new(
            buf,
            flate2::Compression::default(),
        )),
        Compression::Zstd => {
            Enc::Zst(zstd::stream::write::Encoder::new(buf, 3).map_err(|e| Error::io(path, e))?)
        }
        Compression::None => Enc::Plain(buf),
    };
    Ok(Box::new(AtomicWriter {
        enc,
        path: path.to_path_buf(),
    }))
}

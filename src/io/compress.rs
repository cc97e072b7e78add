//! Compressed streams by file extension (`.gz`, `.zst`) and atomic file output.
//!
//! Owns the choice of (de)compressor for a path and the temporary-file-then-rename
//! discipline for every file the tool writes.

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

/// Opens an atomic writer for `path`, compressing by its extension.
pub fn encode_atomic(path: &Path) -> Result<Box<dyn FinishWrite>> {
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
    let lower = path.to_string_lossy().to_lowercase();
    let enc = if lower.ends_with(".gz") {
        Enc::Gz(flate2::write::GzEncoder::new(
            buf,
            flate2::Compression::default(),
        ))
    } else if lower.ends_with(".zst") {
        Enc::Zst(zstd::stream::write::Encoder::new(buf, 3).map_err(|e| Error::io(path, e))?)
    } else {
        Enc::Plain(buf)
    };
    Ok(Box::new(AtomicWriter {
        enc,
        path: path.to_path_buf(),
    }))
}

//! Writing results: stdout, or a file written to a temporary name in its folder and
//! renamed into place only when complete, so a failed run never leaves a partial file
//! or clobbers a good one.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::compress::{self, Compression};
use crate::error::{Error, Result};

/// A destination for output: stdout, or a file written atomically.
pub struct Output {
    inner: OutputInner,
}

enum OutputInner {
    Stdout(BufWriter<std::io::Stdout>),
    File {
        w: Box<dyn compress::FinishWrite>,
        path: PathBuf,
    },
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

/// Checks that `path` can be written (folder exists, file not read-only) before work starts.
pub fn check_writable(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("output folder {} does not exist", dir.display()),
            ),
        ));
    }
    if let Ok(m) = std::fs::metadata(path) {
        if m.permissions().readonly() {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "output file is read-only; not overwriting it",
                ),
            ));
        }
    }
    if std::fs::metadata(&dir)
        .map(|m| m.permissions().readonly())
        .unwrap_or(false)
    {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "output folder is read-only",
            ),
        ));
    }
    Ok(())
}

impl Output {
    /// Stdout (`None` or `-`), or an atomic file written as it is.
    pub fn create(path: Option<&Path>) -> Result<Output> {
        Output::create_compressed(path, Compression::None)
    }

    /// Stdout (`None` or `-`), or an atomic file compressed by its extension (`.gz`,
    /// `.zst`): the binaries' data outputs (`--out`).
    pub fn create_by_extension(path: Option<&Path>) -> Result<Output> {
        let compression = path.map_or(Compression::None, Compression::by_extension);
        Output::create_compressed(path, compression)
    }

    /// Stdout (`None` or `-`, never compressed), or an atomic file compressed as asked.
    pub fn create_compressed(path: Option<&Path>, compression: Compression) -> Result<Output> {
        let inner = match path {
            None => OutputInner::Stdout(BufWriter::with_capacity(1 << 16, std::io::stdout())),
            Some(p) if p == Path::new("-") => {
                OutputInner::Stdout(BufWriter::with_capacity(1 << 16, std::io::stdout()))
            }
            Some(p) => {
                check_writable(p)?;
                OutputInner::File {
                    w: compress::encode_atomic(p, compression)?,
                    path: p.to_path_buf(),
                }
            }
        };
        Ok(Output { inner })
    }

    /// Whether this writes to a terminal.
    pub fn is_terminal(&self) -> bool {
        use std::io::IsTerminal;
        matches!(self.inner, OutputInner::Stdout(_)) && std::io::stdout().is_terminal()
    }

    /// Flushes and, for files, moves the finished file into place.
    pub fn finish(self) -> Result<()> {
        match self.inner {
            OutputInner::Stdout(mut w) => w.flush().map_err(|e| Error::io("<stdout>", e)),
            OutputInner::File { w, path } => w.finish().map_err(|e| Error::io(&path, e)),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.inner {
            OutputInner::Stdout(w) => w.write(buf),
            OutputInner::File { w, .. } => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match &mut self.inner {
            OutputInner::Stdout(w) => w.write_all(buf),
            OutputInner::File { w, .. } => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.inner {
            OutputInner::Stdout(w) => w.flush(),
            OutputInner::File { w, .. } => w.flush(),
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file + rename), as they are: never
/// compressed, whatever the extension.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut out = Output::create(Some(path))?;
    out.write_all(bytes).map_err(|e| Error::io(path, e))?;
    out.finish()
}

/// Writes a CSV table, `header` then `records`, to `path` atomically (compressed by its
/// extension), or to stdout when `path` is `None`.
pub fn write_csv<R>(
    path: Option<&Path>,
    header: &[&str],
    records: impl IntoIterator<Item = R>,
) -> Result<()>
where
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let name = path.map_or("<stdout>".to_string(), |p| p.display().to_string());
    let csv_error = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(&name, io),
        k => Error::io(&name, std::io::Error::other(format!("{k:?}"))),
    };
    let mut out = Output::create_by_extension(path)?;
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header).map_err(csv_error)?;
        for record in records {
            w.write_record(record).map_err(csv_error)?;
        }
        w.flush().map_err(|x| Error::io(&name, x))?;
    }
    out.flush().map_err(|x| Error::io(&name, x))?;
    out.finish()
}

//! The library's error type: every failure says what was wrong and where.

use std::path::PathBuf;

/// Where in an input file something went wrong. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File name as given (or `<stdin>`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column (CSV: field number; JSONL: character column), when known.
    pub column: Option<u64>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input data (a row, a column, an encoding problem).
    #[error("{loc}: {msg}")]
    Input {
        /// Where.
        loc: Location,
        /// What.
        msg: String,
    },
    /// A model file that cannot be used.
    #[error("model {path}: {msg}")]
    Model {
        /// Model file.
        path: String,
        /// What is wrong with it.
        msg: String,
    },
    /// Invalid hyperparameters or options.
    #[error("invalid parameters: {0}")]
    Params(String),
    /// Training could not proceed (e.g. a single class).
    #[error("training: {0}")]
    Train(String),
    /// A file system or stream error, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Writing to a closed pipe (e.g. `| head -1`): not an error for a CLI.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    /// An input error at a location.
    pub fn input(
        file: &str,
        line: Option<u64>,
        column: Option<u64>,
        msg: impl Into<String>,
    ) -> Self {
        Error::Input {
            loc: Location {
                file: file.to_string(),
                line,
                column,
            },
            msg: msg.into(),
        }
    }

    /// An I/O error on a path; broken pipes become [`Error::BrokenPipe`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Io {
                path: path.into(),
                source,
            }
        }
    }

    /// A model-file error.
    pub fn model(path: impl AsRef<std::path::Path>, msg: impl Into<String>) -> Self {
        Error::Model {
            path: path.as_ref().display().to_string(),
            msg: msg.into(),
        }
    }
}

impl From<linfa::Error> for Error {
    fn from(e: linfa::Error) -> Self {
        Error::Train(e.to_string())
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

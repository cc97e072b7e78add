//! Input and output: labelled or unlabelled comments in, scored rows out.
//!
//! Owns the CSV and JSONL readers (by extension, `-` = stdin), the column mapping
//! (`--text-col`, `--label-col`, ...), error positions (file, line, column), the
//! opt-in skipping of malformed rows with a report, and atomic output files: results
//! go to a temporary file in the destination folder that is renamed into place only
//! when complete, so a failed run never leaves a partial file or clobbers a good one.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub mod compress;
mod csv_records;
mod file_record;
mod progress;

use compress::Compression;
use csv_records::CsvRecords;
pub use csv_records::LineCount;
pub use file_record::{sha256_hex, FileRecord};
pub use progress::{Progress, Silent};

/// Input / output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// Guesses the format from a file name (`.jsonl`, `.ndjson`, `.json` → JSONL).
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_lowercase();
        let stem = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".zst"))
            .unwrap_or(&lower);
        if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") || stem.ends_with(".json") {
            Format::Jsonl
        } else {
            Format::Csv
        }
    }
}

/// The gold label's column when none is named (`--label-col`).
pub const LABEL_COLUMN: &str = "label";

/// Which columns (CSV) or fields (JSONL) hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Comment text.
    pub text: String,
    /// Gold label; required when `Some`.
    pub label: Option<String>,
    /// Stance target column.
    pub target: String,
    /// Whether a missing target column is an error (the user named it explicitly).
    pub target_required: bool,
    /// Row id column (optional in the data; the 1-based row number otherwise).
    pub id: String,
    /// Parent comment id column (optional).
    pub parent: String,
    /// Parent text column (optional).
    pub parent_text: String,
    /// Pass other columns through to the output.
    pub keep_others: bool,
    /// Slice column for evaluation reports (`--group-col`); required when `Some`.
    pub group: Option<String>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            text: "text".into(),
            label: None,
            target: "target".into(),
            target_required: false,
            id: "id".into(),
            parent: "parent_id".into(),
            parent_text: "parent_text".into(),
            keep_others: false,
            group: None,
        }
    }
}

/// One input comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based line where the row starts.
    pub line: u64,
    /// The id column, or the 1-based row number.
    pub id: String,
    /// Comment text.
    pub text: String,
    /// Gold label (lowercased, trimmed), when the label column was asked for.
    pub label: Option<String>,
    /// Stance target, when the data has a target column.
    pub target: Option<String>,
    /// Parent comment id (empty = top level), when present.
    pub parent_id: Option<String>,
    /// Parent comment text, when present.
    pub parent_text: Option<String>,
    /// Other columns, when passing them through.
    pub extra: Vec<(String, String)>,
    /// Value of the slice column, when one was asked for.
    pub group: Option<String>,
}

/// Rows that were skipped under `--skip-bad-rows`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadRows {
    /// How many rows were skipped.
    pub count: u64,
    /// The first few messages.
    pub first: Vec<String>,
}

impl BadRows {
    /// Records one skipped row.
    pub fn add(&mut self, e: &Error) {
        self.count += 1;
        if self.first.len() < 5 {
            self.first.push(e.to_string());
        }
    }

    /// The report of what was skipped from `what`, one line each (none when nothing was):
    /// a count, the first few messages, and how many more there were.
    pub fn report_lines(&self, what: &str) -> Vec<String> {
        if self.count == 0 {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "warning: skipped {} bad row(s) of {what}:",
            self.count
        )];
        lines.extend(self.first.iter().map(|m| format!("  {m}")));
        if self.count as usize > self.first.len() {
            lines.push(format!(
                "  ... and {} more",
                self.count as usize - self.first.len()
            ));
        }
        lines
    }
}

/// Opens a file (or stdin for `-`) for reading.
pub fn open_input(path: &str) -> Result<Box<dyn Read + Send>> {
    if path == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(Box::new(f))
}

struct CsvCols {
    text: usize,
    label: Option<usize>,
    target: Option<usize>,
    id: Option<usize>,
    parent: Option<usize>,
    parent_text: Option<usize>,
    others: Vec<(usize, String)>,
    group: Option<usize>,
}

enum Inner {
    Csv {
        records: Box<CsvRecords>,
        cols: CsvCols,
        header_len: usize,
    },
    Jsonl {
        rdr: BufReader<Box<dyn Read + Send>>,
        buf: Vec<u8>,
        line: u64,
    },
}

/// A streaming reader of [`Row`]s from CSV or JSONL.
pub struct RowReader {
    name: String,
    spec: Columns,
    inner: Inner,
    rows: u64,
    skip_bad: bool,
    bad: BadRows,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("name", &self.name)
            .finish()
    }
}

fn display_name(path: &str) -> String {
    if path == "-" {
        "<stdin>".into()
    } else {
        path.to_string()
    }
}

impl RowReader {
    /// Opens `path` (`-` = stdin) in `format` with the column mapping `spec`.
    pub fn open(path: &str, format: Format, spec: &Columns, skip_bad: bool) -> Result<Self> {
        let input = compress::decode(path, open_input(path)?)?;
        Self::from_reader(&display_name(path), input, format, spec, skip_bad)
    }

    /// Reads from any byte stream; `name` is used in error messages.
    pub fn from_reader(
        name: &str,
        input: Box<dyn Read + Send>,
        format: Format,
        spec: &Columns,
        skip_bad: bool,
    ) -> Result<Self> {
        let inner = match format {
            Format::Jsonl => Inner::Jsonl {
                rdr: BufReader::with_capacity(1 << 16, input),
                buf: Vec::new(),
                line: 0,
            },
            Format::Csv => {
                let mut records = Box::new(CsvRecords::new(input));
                let header = records.next_record().map_err(|e| Error::io(name, e))?;
                if let Some(fault) = header.as_ref().and_then(|h| h.fault.as_ref()) {
                    return Err(quote_error(name, fault));
                }
                let headers: Vec<&[u8]> = (0..records.len()).map(|i| records.field(i)).collect();
                if header.is_none() || (headers.len() == 1 && headers[0].is_empty()) {
                    return Err(Error::input(
                        name,
                        Some(1),
                        None,
                        "empty file: no header row",
                    ));
                }
                let names: Vec<String> = headers
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let h = String::from_utf8_lossy(h).into_owned();
                        let h = if i == 0 {
                            h.trim_start_matches('\u{feff}').to_string()
                        } else {
                            h
                        };
                        h.trim().to_string()
                    })
                    .collect();
                let find = |c: &str| names.iter().position(|n| n == c);
                let missing = |what: &str, c: &str| {
                    Error::input(
                        name,
                        Some(1),
                        None,
                        format!(
                            "no {what} column '{c}' in the header (columns: {}); name it with --{what}-col",
                            names.join(", ")
                        ),
                    )
                };
                let text = find(&spec.text).ok_or_else(|| missing("text", &spec.text))?;
                let label = match &spec.label {
                    Some(l) => Some(find(l).ok_or_else(|| missing("label", l))?),
                    None => None,
                };
                let target = find(&spec.target);
                if target.is_none() && spec.target_required {
                    return Err(missing("target", &spec.target));
                }
                let id = find(&spec.id);
                let parent = find(&spec.parent);
                let parent_text = find(&spec.parent_text);
                let group = match &spec.group {
                    Some(g) => Some(find(g).ok_or_else(|| missing("group", g))?),
                    None => None,
                };
                let used = [Some(text), label, target, id, parent, parent_text, group];
                let others = if spec.keep_others {
                    names
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !used.contains(&Some(*i)))
                        .map(|(i, n)| (i, n.clone()))
                        .collect()
                } else {
                    Vec::new()
                };
                let header_len = names.len();
                Inner::Csv {
                    records,
                    header_len,
                    cols: CsvCols {
                        text,
                        label,
                        target,
                        id,
                        parent,
                        parent_text,
                        others,
                        group,
                    },
                }
            }
        };
        Ok(RowReader {
            name: name.to_string(),
            spec: spec.clone(),
            inner,
            rows: 0,
            skip_bad,
            bad: BadRows::default(),
        })
    }

    /// The input's name as used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 1-based CSV field number of the label column (for error messages).
    pub fn label_column(&self) -> Option<u64> {
        match &self.inner {
            Inner::Csv { cols, .. } => cols.label.map(|c| c as u64 + 1),
            Inner::Jsonl { .. } => None,
        }
    }

    /// How the CSV input's lines are accounted for by what was read so far (`None` for
    /// JSONL, where every non-blank line is a row).
    pub fn line_count(&self) -> Option<LineCount> {
        match &self.inner {
            Inner::Csv { records, .. } => Some(records.line_count()),
            Inner::Jsonl { .. } => None,
        }
    }

    /// Rows skipped so far under `skip_bad`.
    pub fn bad_rows(&self) -> &BadRows {
        &self.bad
    }

    fn next_csv(&mut self) -> Option<Result<Row>> {
        let Inner::Csv {
            records,
            cols,
            header_len,
        } = &mut self.inner
        else {
            unreachable!()
        };
        let name = &self.name;
        let raw = match records.next_record() {
            Ok(None) => return None,
            Ok(Some(raw)) => raw,
            Err(e) => return Some(Err(Error::io(name, e))),
        };
        if let Some(fault) = &raw.fault {
            return Some(Err(quote_error(name, fault)));
        }
        let line = raw.line;
        if records.len() != *header_len {
            let (len, expected) = (records.len(), *header_len);
            return Some(Err(Error::input(
                name,
                Some(line),
                Some(len.min(expected) as u64 + 1),
                format!(
                    "malformed CSV row: {len} fields where the header has {expected} (unbalanced quotes or a stray comma?)"
                ),
            )));
        }
        self.rows += 1;
        let records = &*records;
        let field = |i: usize| -> Result<String> {
            std::str::from_utf8(records.field(i))
                .map(|s| s.to_string())
                .map_err(|e| {
                    Error::input(
                        name,
                        Some(line),
                        Some(i as u64 + 1),
                        format!("invalid UTF-8 at byte {} of the field", e.valid_up_to() + 1),
                    )
                })
        };
        let opt = |i: Option<usize>| -> Result<Option<String>> { i.map(field).transpose() };
        let build = || -> Result<Row> {
            let label = match cols.label {
                Some(c) => {
                    let l = field(c)?.trim().to_lowercase();
                    if l.is_empty() {
                        return Err(Error::input(
                            name,
                            Some(line),
                            Some(c as u64 + 1),
                            "empty label",
                        ));
                    }
                    Some(l)
                }
                None => None,
            };
            Ok(Row {
                line,
                id: opt(cols.id)?.unwrap_or_else(|| self.rows.to_string()),
                text: field(cols.text)?,
                label,
                target: opt(cols.target)?,
                parent_id: opt(cols.parent)?,
                parent_text: opt(cols.parent_text)?,
                extra: cols
                    .others
                    .iter()
                    .map(|(i, n)| Ok((n.clone(), field(*i)?)))
                    .collect::<Result<_>>()?,
                group: opt(cols.group)?,
            })
        };
        Some(build())
    }

    fn next_jsonl(&mut self) -> Option<Result<Row>> {
        let Inner::Jsonl { rdr, buf, line } = &mut self.inner else {
            unreachable!()
        };
        loop {
            buf.clear();
            match rdr.read_until(b'\n', buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(Error::io(&self.name, e))),
            }
            *line += 1;
            let bytes = trim_ascii(buf);
            if bytes.is_empty() {
                continue;
            }
            self.rows += 1;
            let (name, l, rows) = (&self.name, *line, self.rows);
            return Some(parse_json_row(name, l, rows, bytes, &self.spec));
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn json_scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn parse_json_row(name: &str, line: u64, rows: u64, bytes: &[u8], spec: &Columns) -> Result<Row> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(Error::input(
            name,
            Some(line),
            Some(e.valid_up_to() as u64 + 1),
            "invalid UTF-8",
        ));
    }
    let obj: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| {
            Error::input(
                name,
                Some(line),
                Some(e.column() as u64),
                format!("invalid JSON: {e}"),
            )
        })?;
    let get = |k: &str| obj.get(k).and_then(json_scalar);
    let text = match obj.get(&spec.text) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) => String::new(),
        Some(_) => {
            return Err(Error::input(
                name,
                Some(line),
                None,
                format!("field '{}' is not a string", spec.text),
            ))
        }
        None => {
            return Err(Error::input(
                name,
                Some(line),
                None,
                format!("no text field '{}'; name it with --text-col", spec.text),
            ))
        }
    };
    let label = match &spec.label {
        Some(l) => match get(l).map(|s| s.trim().to_lowercase()) {
            Some(s) if !s.is_empty() => Some(s),
            _ => {
                return Err(Error::input(
                    name,
                    Some(line),
                    None,
                    format!("no label field '{l}'; name it with --label-col"),
                ))
            }
        },
        None => None,
    };
    let target = get(&spec.target);
    if target.is_none() && spec.target_required {
        return Err(Error::input(
            name,
            Some(line),
            None,
            format!("no target field '{}'", spec.target),
        ));
    }
    let used = [
        &spec.text,
        &spec.target,
        &spec.id,
        &spec.parent,
        &spec.parent_text,
    ];
    let extra = if spec.keep_others {
        obj.iter()
            .filter(|(k, _)| {
                !used.contains(k)
                    && Some(*k) != spec.label.as_ref()
                    && Some(*k) != spec.group.as_ref()
            })
            .map(|(k, v)| (k.clone(), json_scalar(v).unwrap_or_default()))
            .collect()
    } else {
        Vec::new()
    };
    let group = match &spec.group {
        Some(g) => Some(get(g).ok_or_else(|| {
            Error::input(
                name,
                Some(line),
                None,
                format!("no group field '{g}'; name it with --group-col"),
            )
        })?),
        None => None,
    };
    Ok(Row {
        group,
        line,
        id: get(&spec.id).unwrap_or_else(|| rows.to_string()),
        text,
        label,
        target,
        parent_id: get(&spec.parent),
        parent_text: get(&spec.parent_text),
        extra,
    })
}

fn quote_error(name: &str, fault: &csv_records::QuoteFault) -> Error {
    Error::input(
        name,
        Some(fault.open_line),
        Some(fault.field),
        fault.message(),
    )
}

impl Iterator for RowReader {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        loop {
            let item = match self.inner {
                Inner::Csv { .. } => self.next_csv(),
                Inner::Jsonl { .. } => self.next_jsonl(),
            }?;
            match item {
                Err(e @ Error::Input { .. }) if self.skip_bad => self.bad.add(&e),
                other => return Some(other),
            }
        }
    }
}

/// Every row of a file, read at once by [`read_all`].
#[derive(Debug, Clone, Default)]
pub struct ReadRows {
    /// The rows, in file order.
    pub rows: Vec<Row>,
    /// The rows skipped as malformed (reading with `skip_bad`), for the caller to report.
    pub bad: BadRows,
    /// 1-based CSV field number of the label column (for error messages about labels).
    pub label_column: Option<u64>,
}

/// Reads every row of a file (for training and evaluation, which need them all).
pub fn read_all(path: &str, spec: &Columns, skip_bad: bool) -> Result<ReadRows> {
    let mut rdr = RowReader::open(path, Format::from_path(path), spec, skip_bad)?;
    let mut rows = Vec::new();
    for r in rdr.by_ref() {
        rows.push(r?);
    }
    let label_column = rdr.label_column();
    Ok(ReadRows {
        rows,
        bad: rdr.bad,
        label_column,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &str, format: Format, spec: &Columns) -> Vec<Result<Row>> {
        RowReader::from_reader(
            "t.csv",
            Box::new(std::io::Cursor::new(data.as_bytes().to_vec())),
            format,
            spec,
            false,
        )
        .unwrap()
        .collect()
    }

    #[test]
    fn csv_with_bom_crlf_and_quotes() {
        let data = "\u{feff}id,text\r\n1,\"a, \"\"quoted\"\" text\"\r\n2,plain\r\n";
        let r: Vec<Row> = rows(data, Format::Csv, &Columns::default())
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text, "a, \"quoted\" text");
        assert_eq!(r[1].id, "2");
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn ids_default_to_row_numbers() {
        let r: Vec<Row> = rows("text\nx\ny\n", Format::Csv, &Columns::default())
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(r[1].id, "2");
    }

    #[test]
    fn ragged_row_names_line_and_column() {
        let r = rows("id,text\n1,a\n2,b,c\n", Format::Csv, &Columns::default());
        let e = r[1].as_ref().unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3:3: malformed CSV row"), "{e}");
    }

    #[test]
    fn missing_column_is_named() {
        let e = RowReader::from_reader(
            "t.csv",
            Box::new(std::io::Cursor::new(b"id,body\n1,x\n".to_vec())),
            Format::Csv,
            &Columns::default(),
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no text column 'text'") && e.contains("id, body"),
            "{e}"
        );
    }

    #[test]
    fn jsonl_rows_and_errors() {
        let data = "{\"id\": 7, \"text\": \"hi\", \"target\": \"ceasefire\"}\n\n{\"text\": \"x\"\n";
        let r = rows(data, Format::Jsonl, &Columns::default());
        let first = r[0].as_ref().unwrap();
        assert_eq!(
            (first.id.as_str(), first.target.as_deref()),
            ("7", Some("ceasefire"))
        );
        let e = r[1].as_ref().unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3:"), "{e}");
    }

    #[test]
    fn skip_bad_rows_counts_them() {
        let data = "id,text\n1,a\n2,b,c\n3,d\n";
        let mut rdr = RowReader::from_reader(
            "t.csv",
            Box::new(std::io::Cursor::new(data.as_bytes().to_vec())),
            Format::Csv,
            &Columns::default(),
            true,
        )
        .unwrap();
        let ok: Vec<Row> = rdr.by_ref().map(|r| r.unwrap()).collect();
        assert_eq!(ok.len(), 2);
        assert_eq!(rdr.bad_rows().count, 1);
    }
}

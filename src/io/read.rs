//! Reading comments: CSV and JSONL rows, mapped by the column names, with every error
//! at its file, line and column, and malformed rows skipped and counted on request.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use super::compress;
use super::csv_records::{self, CsvRecords, LineCount};
use super::{BadRows, Columns, Format, Row};
use crate::error::{Error, Result};

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

/// The column names of a CSV input's header row (trimmed, a leading BOM dropped).
fn header_names(name: &str, records: &mut CsvRecords) -> Result<Vec<String>> {
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
    Ok(headers
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
        .collect())
}

impl CsvCols {
    /// Where `spec`'s columns are among the header's `names`; a required one that is
    /// missing is an error naming the columns there are.
    fn find(name: &str, names: &[String], spec: &Columns) -> Result<CsvCols> {
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
        Ok(CsvCols {
            text,
            label,
            target,
            id,
            parent,
            parent_text,
            others,
            group,
        })
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
                let names = header_names(name, &mut records)?;
                let cols = CsvCols::find(name, &names, spec)?;
                Inner::Csv {
                    records,
                    header_len: names.len(),
                    cols,
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
    let err = |msg: String| Error::input(name, Some(line), None, msg);
    let get = |k: &str| obj.get(k).and_then(json_scalar);
    let text = match obj.get(&spec.text) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) => String::new(),
        Some(_) => return Err(err(format!("field '{}' is not a string", spec.text))),
        None => {
            return Err(err(format!(
                "no text field '{}'; name it with --text-col",
                spec.text
            )))
        }
    };
    let label = match &spec.label {
        Some(l) => match get(l).map(|s| s.trim().to_lowercase()) {
            Some(s) if !s.is_empty() => Some(s),
            _ => {
                return Err(err(format!(
                    "no label field '{l}'; name it with --label-col"
                )))
            }
        },
        None => None,
    };
    let target = get(&spec.target);
    if target.is_none() && spec.target_required {
        return Err(err(format!("no target field '{}'", spec.target)));
    }
    let extra = if spec.keep_others {
        json_other_fields(&obj, spec)
    } else {
        Vec::new()
    };
    let group = match &spec.group {
        Some(g) => Some(
            get(g).ok_or_else(|| err(format!("no group field '{g}'; name it with --group-col")))?,
        ),
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

/// The fields of a JSONL row that `spec` does not map, in the row's order, as text.
fn json_other_fields(
    obj: &serde_json::Map<String, serde_json::Value>,
    spec: &Columns,
) -> Vec<(String, String)> {
    let used = [
        &spec.text,
        &spec.target,
        &spec.id,
        &spec.parent,
        &spec.parent_text,
    ];
    obj.iter()
        .filter(|(k, _)| {
            !used.contains(k) && Some(*k) != spec.label.as_ref() && Some(*k) != spec.group.as_ref()
        })
        .map(|(k, v)| (k.clone(), json_scalar(v).unwrap_or_default()))
        .collect()
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

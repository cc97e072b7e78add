//! CSV records with their raw bytes in view, so that a quote that swallows rows is caught.
//!
//! csv-core parses the records (RFC 4180 with the usual leniency: text after a closing
//! quote is kept as part of the field, and a quoted field still open at the end of the
//! input ends there). That leniency is what lets an unbalanced quote swallow the rows
//! after it without a word: `1,"hello` followed by three rows and a `4,"fourth"` reads as
//! one comment. So every record's raw bytes stay in this reader's buffer until the
//! record is done, and a record holding a quote is walked once more by [`scan`]:
//!
//! - a quoted field still open at the end of the input is a fault;
//! - a quoted field that spans lines and whose closing quote is followed by anything
//!   other than a delimiter, a line end or the end of input is a fault (a correct CSV
//!   writer never writes text after a closing quote; the quote that "closed" it was
//!   meant to open a field further down);
//! - a one-line field with text after its closing quote (`"Peace" is not the word`)
//!   swallows nothing and stays readable.
//!
//! After a fault, reading resumes at the line after the one where the quote opened, so
//! under `--skip-bad-rows` only that row is lost (and reported). The reader also counts
//! the input's lines, blank lines and line breaks inside accepted quoted fields, for the
//! check that the rows read account for every line ([`LineCount`]).

use std::io::Read;

/// How much input is read at a time.
const CHUNK: usize = 1 << 16;

/// A quoted field that swallowed what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuoteFault {
    /// 1-based line where the quote opened.
    pub open_line: u64,
    /// 1-based field number of the quoted field.
    pub field: u64,
    /// What went wrong.
    pub kind: FaultKind,
}

/// The two ways a quote goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// Still open at the end of the input.
    NeverClosed,
    /// Closed on `close_line` (after the opening line) and followed there by `after`.
    TextAfterClose {
        /// 1-based line of the closing quote.
        close_line: u64,
        /// The first character after it.
        after: char,
    },
}

impl QuoteFault {
    /// The error message (without the location).
    pub fn message(&self) -> String {
        match &self.kind {
            FaultKind::NeverClosed => format!(
                "unbalanced quote: the quoted field opened on line {} is never closed, so \
                 it would swallow the rest of the input",
                self.open_line
            ),
            FaultKind::TextAfterClose { close_line, after } => format!(
                "unbalanced quote: the quoted field opened on line {} runs to line {} and \
                 its closing quote there is followed by {after:?}, not by a comma or a \
                 line end; it would swallow lines {}-{} (a quote missing on line {}?)",
                self.open_line,
                close_line,
                self.open_line + 1,
                close_line,
                self.open_line
            ),
        }
    }
}

/// What one record looked like in the raw input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRecord {
    /// 1-based line where the record starts.
    pub line: u64,
    /// The unbalanced quote in it, if any (reading has already resumed after it).
    pub fault: Option<QuoteFault>,
}

/// The input's lines and what accounts for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCount {
    /// Lines in the input (a last line without a line end counts).
    pub lines: u64,
    /// Records read, the header and malformed ones included.
    pub records: u64,
    /// Line breaks inside quoted fields of the records read.
    pub quoted_breaks: u64,
    /// Empty lines (csv-core skips them).
    pub blank: u64,
    /// Lines given up with a faulty quoted field (the lines it opened on).
    pub faulty: u64,
}

impl LineCount {
    /// Whether the records account for every line: each record is one line plus the
    /// line breaks inside its quoted fields, and the rest are blank or faulty lines.
    pub fn balanced(&self) -> bool {
        self.records + self.quoted_breaks + self.blank + self.faulty == self.lines
    }
}

/// CSV records read by csv-core over a buffer that keeps the current record's bytes.
pub(crate) struct CsvRecords {
    input: Box<dyn Read + Send>,
    core: csv_core::Reader,
    buf: Vec<u8>,
    /// Start of the current record in `buf` (what lies before is done).
    start: usize,
    /// How far csv-core has read in `buf`.
    pos: usize,
    eof: bool,
    /// 1-based line of `buf[start]`.
    line: u64,
    /// Whether the last byte read was not a line end (the line is still open).
    line_open: bool,
    /// Whether the open line holds part of a record (not only line ends).
    line_has_record: bool,
    fields: Vec<u8>,
    ends: Vec<usize>,
    nfields: usize,
    count: LineCount,
    /// Whether csv-core will strip a UTF-8 BOM before the next record (it does at the
    /// start of the input, and again after a reset).
    bom_stripped: bool,
}

impl CsvRecords {
    /// Reads records from `input`.
    pub fn new(input: Box<dyn Read + Send>) -> Self {
        CsvRecords {
            input,
            core: csv_core::Reader::new(),
            buf: Vec::with_capacity(CHUNK),
            start: 0,
            pos: 0,
            eof: false,
            line: 1,
            line_open: false,
            line_has_record: false,
            fields: vec![0; 1024],
            ends: vec![0; 64],
            nfields: 0,
            count: LineCount::default(),
            bom_stripped: true,
        }
    }

    /// Number of fields of the last record read.
    pub fn len(&self) -> usize {
        self.nfields
    }

    /// Field `i` of the last record read.
    pub fn field(&self, i: usize) -> &[u8] {
        let a = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fields[a..self.ends[i]]
    }

    /// The line accounting so far (complete once [`next_record`](Self::next_record) has
    /// returned `None`).
    pub fn line_count(&self) -> LineCount {
        self.count
    }

    /// Reads the next record; `None` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<Option<RawRecord>> {
        use csv_core::ReadRecordResult as R;
        let (mut nout, mut nend) = (0, 0);
        loop {
            if self.pos == self.buf.len() && !self.eof {
                self.fill()?;
            }
            let (res, nin, o, e) = self.core.read_record(
                &self.buf[self.pos..],
                &mut self.fields[nout..],
                &mut self.ends[nend..],
            );
            self.pos += nin;
            nout += o;
            nend += e;
            match res {
                R::InputEmpty => {}
                R::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => break,
                R::End => {
                    // Only line ends and blank lines are left (and a BOM csv-core dropped).
                    self.consume(self.pos, self.pos - self.start);
                    if self.line_open {
                        self.count.lines += 1;
                        self.count.blank += u64::from(!self.line_has_record);
                    }
                    return Ok(None);
                }
            }
        }
        self.nfields = nend;
        self.count.records += 1;
        let raw = &self.buf[self.start..self.pos];
        let scanned = scan(
            raw,
            self.line,
            self.bom_stripped,
            self.eof && self.pos == self.buf.len(),
        );
        self.bom_stripped = false;
        match scanned.fault {
            None => {
                self.count.quoted_breaks += scanned.quoted_breaks;
                self.consume(self.pos, scanned.lead);
                Ok(Some(RawRecord {
                    line: scanned.line,
                    fault: None,
                }))
            }
            Some((fault, resume)) => {
                // Give up the record and read again from the line after the opening one.
                self.count.records -= 1;
                let given_up = &self.buf[self.start + scanned.lead..self.start + resume];
                self.count.faulty += memchr::memchr_iter(b'\n', given_up).count() as u64
                    // A last line without a line end, counted as a line at the end.
                    + u64::from(given_up.last().is_some_and(|&b| b != b'\n'));
                let resume = self.start + resume;
                self.consume(resume, scanned.lead);
                self.pos = resume;
                self.core.reset();
                self.bom_stripped = true;
                Ok(Some(RawRecord {
                    line: fault.open_line,
                    fault: Some(fault),
                }))
            }
        }
    }

    /// Marks `buf[start..end]` as read, whose first `lead` bytes are line ends between
    /// records: counts its lines, and its blank lines (the line ends in the lead, except
    /// one that closes a line still open, as the `\n` of a CRLF after a record does).
    fn consume(&mut self, end: usize, lead: usize) {
        let bytes = &self.buf[self.start..end];
        let lead_breaks = memchr::memchr_iter(b'\n', &bytes[..lead]).count() as u64;
        if lead_breaks > 0 {
            self.count.blank += lead_breaks - u64::from(self.line_open);
        }
        let breaks = lead_breaks + memchr::memchr_iter(b'\n', &bytes[lead..]).count() as u64;
        self.count.lines += breaks;
        self.line += breaks;
        if let Some(&last) = bytes.last() {
            self.line_open = last != b'\n';
            let after_break = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
            let record_bytes = bytes.len() > after_break.max(lead);
            self.line_has_record = record_bytes || (after_break == 0 && self.line_has_record);
        }
        self.start = end;
    }

    /// Reads more input after dropping what is done.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.pos -= self.start;
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let n = loop {
            match self.input.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(old + n);
        self.eof = n == 0;
        Ok(())
    }
}

/// What [`scan`] found in one record's raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// 1-based line of the record's first byte after leading line ends.
    pub line: u64,
    /// How many leading line-end bytes (blank lines, or the `\n` of a CRLF) come first.
    pub lead: usize,
    /// Line breaks inside its quoted fields.
    pub quoted_breaks: u64,
    /// A faulty quote, with the offset in `raw` of the line after its opening line.
    pub fault: Option<(QuoteFault, usize)>,
}

/// Walks one record's raw bytes (as csv-core consumed them, starting on line `line`)
/// with csv-core's own field and quote states, and finds a quote that swallows lines.
/// `bom_stripped`: csv-core drops a UTF-8 BOM at the start of these bytes.
/// `at_eof`: the record ends at the end of the input.
pub(crate) fn scan(raw: &[u8], line: u64, bom_stripped: bool, at_eof: bool) -> Scanned {
    let bom = if bom_stripped && raw.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let lead = bom
        + raw[bom..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
    let mut line = line + memchr::memchr_iter(b'\n', &raw[..lead]).count() as u64;
    let first = line;
    let body = &raw[lead..];
    let mut out = Scanned {
        line: first,
        lead,
        quoted_breaks: 0,
        fault: None,
    };
    if memchr::memchr(b'"', body).is_none() {
        return out;
    }
    let mut state = State::FieldStart;
    let (mut field, mut open_line, mut open_field) = (1u64, 0u64, 0u64);
    let mut resume = None;
    for (i, &b) in body.iter().enumerate() {
        // A delimiter or a line end outside a quoted field starts the next field.
        if state != State::Quoted && matches!(b, b',' | b'\n' | b'\r') {
            field += u64::from(b == b',');
            line += u64::from(b == b'\n');
            state = State::FieldStart;
            continue;
        }
        state = match state {
            State::FieldStart | State::Unquoted => match b {
                b'"' if state == State::FieldStart => {
                    open_line = line;
                    open_field = field;
                    resume = None;
                    State::Quoted
                }
                _ => State::Unquoted,
            },
            State::Quoted => {
                if b == b'\n' {
                    line += 1;
                    out.quoted_breaks += 1;
                    resume.get_or_insert(lead + i + 1);
                }
                if b == b'"' {
                    State::QuoteInQuoted
                } else {
                    State::Quoted
                }
            }
            State::QuoteInQuoted => match b {
                b'"' => State::Quoted,
                _ if line > open_line => {
                    let kind = FaultKind::TextAfterClose {
                        close_line: line,
                        after: char_at(&body[i..]),
                    };
                    let fault = QuoteFault {
                        open_line,
                        field: open_field,
                        kind,
                    };
                    out.fault = Some((fault, resume.unwrap_or(raw.len())));
                    return out;
                }
                _ => State::Unquoted,
            },
        };
    }
    if state == State::Quoted && at_eof {
        let fault = QuoteFault {
            open_line,
            field: open_field,
            kind: FaultKind::NeverClosed,
        };
        out.fault = Some((fault, resume.unwrap_or(raw.len())));
    }
    out
}

/// Where [`scan`] is in a record: csv-core's field and quote states.
#[derive(PartialEq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// The character `bytes` starts with (U+FFFD when they do not start with one).
fn char_at(bytes: &[u8]) -> char {
    std::str::from_utf8(&bytes[..bytes.len().min(4)])
        .ok()
        .or_else(|| std::str::from_utf8(&bytes[..1]).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as read: its line, its fields and its fault.
    type Read = (u64, Vec<String>, Option<QuoteFault>);

    fn records(data: &str) -> (Vec<Read>, LineCount) {
        let mut r = CsvRecords::new(Box::new(std::io::Cursor::new(data.as_bytes().to_vec())));
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            let fields = (0..r.len())
                .map(|i| String::from_utf8(r.field(i).to_vec()).unwrap())
                .collect();
            out.push((rec.line, fields, rec.fault));
        }
        (out, r.line_count())
    }

    #[test]
    fn a_quote_closed_lines_later_and_followed_by_text_is_a_fault() {
        let (recs, count) =
            records("id,text\n1,\"hello there\n2,second comment\n3,third comment\n4,\"fourth\"\n");
        let fault = recs[1].2.as_ref().expect("a fault");
        assert_eq!((fault.open_line, fault.field), (2, 2));
        assert_eq!(
            fault.kind,
            FaultKind::TextAfterClose {
                close_line: 5,
                after: 'f'
            }
        );
        // Reading resumed on line 3.
        let rest: Vec<_> = recs[2..].iter().map(|r| (r.0, r.1[0].as_str())).collect();
        assert_eq!(rest, [(3, "2"), (4, "3"), (5, "4")]);
        assert_eq!(recs[4].1[1], "fourth");
        assert!(count.balanced(), "{count:?}");
        assert_eq!((count.lines, count.faulty), (5, 1));
    }

    #[test]
    fn a_quote_open_at_the_end_is_a_fault() {
        let (recs, count) = records("id,text\n1,ok\n2,\"never closed\n3,x\n4,y");
        let fault = recs[2].2.as_ref().expect("a fault");
        assert_eq!(
            (fault.open_line, fault.kind.clone()),
            (3, FaultKind::NeverClosed)
        );
        let rest: Vec<_> = recs[3..].iter().map(|r| (r.0, r.1.clone())).collect();
        assert_eq!(
            rest,
            [
                (4, vec!["3".to_string(), "x".into()]),
                (5, vec!["4".into(), "y".into()])
            ]
        );
        assert!(count.balanced(), "{count:?}");
    }

    #[test]
    fn a_one_line_field_with_text_after_its_quote_stays_readable() {
        let (recs, count) = records("id,text\n1,\"Peace\" is not the word\n2,b\n");
        assert_eq!(recs.len(), 3);
        assert!(recs.iter().all(|r| r.2.is_none()));
        assert_eq!(recs[1].1[1], "Peace is not the word");
        assert!(count.balanced(), "{count:?}");
    }

    #[test]
    fn legitimate_multiline_fields_blank_lines_and_crlf_balance() {
        let data =
            "id,text\r\n\r\n1,\"line one\r\n2,looks like a row\r\n\"\"quoted\"\"\"\r\n\n2,x\r\n";
        let (recs, count) = records(data);
        assert!(recs.iter().all(|r| r.2.is_none()), "{recs:?}");
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].0, 3);
        assert_eq!(recs[1].1[1], "line one\r\n2,looks like a row\r\n\"quoted\"");
        assert_eq!(recs[2].0, 7);
        assert_eq!((count.lines, count.blank, count.quoted_breaks), (7, 2, 2));
        assert!(count.balanced(), "{count:?}");
    }

    /// Found by fuzzing: csv-core drops a BOM at the start of the input, so a line
    /// holding only a BOM is a blank line.
    #[test]
    fn a_line_holding_only_a_bom_is_blank() {
        let (recs, count) = records("\u{feff}\nid,text\n1,x\n");
        assert_eq!(recs.len(), 2);
        assert_eq!((recs[0].0, recs[1].0), (2, 3));
        assert_eq!(count.blank, 1);
        assert!(count.balanced(), "{count:?}");
    }

    #[test]
    fn records_spanning_many_buffer_fills_read_back() {
        let long = "word ".repeat(40_000);
        let data = format!("id,text\n1,\"{long}\nsecond line\"\n2,\"{long}\"\n");
        let (recs, count) = records(&data);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].1[1], format!("{long}\nsecond line"));
        assert_eq!(recs[2].0, 4);
        assert!(count.balanced(), "{count:?}");
    }
}

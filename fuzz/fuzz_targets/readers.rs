//! CSV and JSONL readers: any bytes give rows or errors, never a panic.
#![no_main]

use comment_stance::io::{Columns, Format, RowReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte picks the format, skip mode and whether a label column is required.
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let format = if mode & 1 == 0 { Format::Csv } else { Format::Jsonl };
    let skip_bad = mode & 2 != 0;
    let spec = Columns {
        label: (mode & 4 != 0).then(|| "label".to_string()),
        target_required: mode & 8 != 0,
        keep_others: mode & 16 != 0,
        ..Columns::default()
    };
    let input: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(body.to_vec()));
    if let Ok(mut rdr) = RowReader::from_reader("fuzz", input, format, &spec, skip_bad) {
        let mut last = 0;
        let mut read = 0;
        let mut io_error = false;
        let lone_cr = body.contains(&b'\r');
        for row in rdr.by_ref().take(10_000) {
            read += 1;
            match row {
                Ok(r) => {
                    assert!(r.line >= 1);
                    // Rows come in file order (a lone `\r` ends a record within a line).
                    assert!(r.line > last || (r.line == last && lone_cr), "line {} after {last}", r.line);
                    last = r.line;
                }
                Err(comment_stance::Error::Io { .. }) => io_error = true,
                // Input errors are skipped under skip_bad; otherwise reading may go on.
                Err(_) => assert!(!skip_bad),
            }
        }
        // Every line of a CSV input read to its end is a record, a line break inside an
        // accepted quoted field, a blank line or a line given up with a faulty quote
        // (lines as `\n` ends them; a lone `\r` also ends a record, so not counted here).
        if read < 10_000 && !io_error && !lone_cr {
            if let Some(lines) = rdr.line_count() {
                assert!(lines.balanced(), "{lines:?}");
            }
        }
    }
});

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
    if let Ok(rdr) = RowReader::from_reader("fuzz", input, format, &spec, skip_bad) {
        for row in rdr.take(10_000) {
            if let Ok(r) = row {
                assert!(r.line >= 1);
            } else if skip_bad {
                // Input errors are skipped; only I/O errors can surface.
            }
        }
    }
});

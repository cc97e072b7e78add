//! Reads CSV or JSONL files with the reader every command uses and prints, per file,
//! the rows read, the rows reported as malformed and whether the rows account for
//! every line. `scripts/check-readers.sh` runs it over the shipped and shared data.
//!
//!     cargo run --release --example read_check -- FILE...

use comment_stance::io::{Columns, Format, RowReader};

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        // Any column will do as the text: the reader checks the whole row either way.
        let first = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| {
                s.lines()
                    .next()
                    .map(|l| l.trim_start_matches('\u{feff}').to_string())
            })
            .unwrap_or_default();
        let format = Format::from_path(&path);
        let text = match format {
            Format::Csv if !first.split(',').any(|c| c.trim() == "text") => {
                first.split(',').next().unwrap_or("text").trim().to_string()
            }
            _ => "text".to_string(),
        };
        let spec = Columns {
            text,
            ..Columns::default()
        };
        let mut rdr = match RowReader::open(&path, format, &spec, true) {
            Ok(r) => r,
            Err(e) => {
                println!("{path}\terror: {e}");
                failed = true;
                continue;
            }
        };
        let rows = rdr.by_ref().filter(|r| r.is_ok()).count();
        let bad = rdr.bad_rows().count;
        let lines = rdr.line_count();
        let balanced = lines.is_none_or(|l| l.balanced());
        if std::env::var_os("READ_CHECK_DEBUG").is_some() {
            eprintln!("{lines:?}");
        }
        failed |= bad > 0 || !balanced;
        println!(
            "{path}\trows {rows}\treported {bad}\tlines {}\t{}",
            lines.map_or("-".to_string(), |l| l.lines.to_string()),
            if balanced { "balanced" } else { "UNBALANCED" }
        );
        for m in &rdr.bad_rows().first {
            println!("  {m}");
        }
    }
    std::process::exit(i32::from(failed));
}

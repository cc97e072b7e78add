//! The import rule of `docs/architecture.md`: a module of the library imports only from
//! the layers listed before it there. This test reads that list (the one place the order
//! is stated), every `crate::` path in `src/` outside `src/bin/`, and fails on an edge that
//! points up the list, or on a module of `src/lib.rs` the list does not name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The layers of `docs/architecture.md`'s ```layers block, lowest first.
fn layers() -> Vec<String> {
    let doc = std::fs::read_to_string(repo("docs/architecture.md")).unwrap();
    let block = doc
        .split("```layers\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/architecture.md has a ```layers block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The code of a Rust file without comments and string or char literals (so that a doc
/// link or a message naming a module is not an import).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                // A raw string: r"..." or r#"..."#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let rest = &src[j + 1..];
                i = j + 1 + rest.find(&close).map_or(rest.len(), |k| k + close.len());
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                // A char literal ('a', '\n', '\u{..}'); a lifetime has no closing quote.
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            c => {
                let n = src[i..].chars().next().map_or(1, char::len_utf8);
                if c.is_ascii() {
                    out.push(c as char);
                } else {
                    out.push_str(&src[i..i + n]);
                }
                i += n;
            }
        }
    }
    out
}

/// The first path segment of every `crate::` path in `code`, including each item of a
/// `crate::{a, b::c}` group.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(k) = rest.find("crate::") {
        let before = rest[..k].chars().next_back();
        rest = &rest[k + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `comment_stance::` is not this crate's path
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(first_segment(&item));
        } else {
            out.push(first_segment(rest));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules `src/lib.rs` declares, and its root re-exports (name → module).
fn lib_modules() -> (Vec<String>, BTreeMap<String, String>) {
    let lib = code_only(&std::fs::read_to_string(repo("src/lib.rs")).unwrap());
    let mut modules = Vec::new();
    let mut reexports = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        if let Some(m) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
        {
            modules.push(m.trim_end_matches(';').to_string());
        } else if let Some(u) = line.strip_prefix("pub use ") {
            let module = first_segment(u);
            let names = u[module.len()..]
                .trim_start_matches("::")
                .trim_matches(|c| "{};".contains(c));
            for name in names.split(',') {
                reexports.insert(first_segment(name), module.clone());
            }
        }
    }
    (modules, reexports)
}

#[test]
fn every_module_is_in_the_layer_list_and_no_import_points_up() {
    let layers = layers();
    let level = |m: &str| layers.iter().position(|l| l == m);
    let (modules, reexports) = lib_modules();
    for m in &modules {
        assert!(
            level(m).is_some(),
            "src/lib.rs declares `{m}`, which the ```layers list of docs/architecture.md \
             does not name: add it there, at its place in the pipeline"
        );
    }
    let mut files = Vec::new();
    rust_files(&repo("src"), &mut files);
    let mut upward = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(repo("src")).unwrap();
        let top = rel.iter().next().unwrap().to_string_lossy();
        let module = top.trim_end_matches(".rs");
        if module == "bin" || module == "lib" {
            continue;
        }
        let from = level(module)
            .unwrap_or_else(|| panic!("src/{} is in no module of the layer list", rel.display()));
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        for target in crate_paths(&code) {
            let target = reexports.get(&target).cloned().unwrap_or(target);
            checked += 1;
            match level(&target) {
                Some(to) if to <= from => {}
                Some(_) => upward.push(format!("src/{}: {module} -> {target}", rel.display())),
                None => upward.push(format!(
                    "src/{}: crate::{target} is no module of the layer list",
                    rel.display()
                )),
            }
        }
    }
    assert!(checked > 100, "the scan found only {checked} crate:: paths");
    assert!(
        upward.is_empty(),
        "imports that point up the layer list of docs/architecture.md:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_scanner_reads_groups_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{io::Row, head::{Head, Reason}};\n\
         // crate::cli in a comment\n\
         let s = \"crate::report\"; let c = '\"'; let r = r#\"crate::train\"#;\n\
         x = crate::metrics::argmax(&p); fn f<'a>(x: &'a str) {}\n\
         /* crate::score */ comment_stance::eval::render_text(r);",
    );
    assert_eq!(crate_paths(&code), ["io", "head", "metrics"]);
}

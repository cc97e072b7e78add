//! Helpers shared by the CLI tests: run a binary, a temporary folder, a trained
//! fixture model (trained once per test binary).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Path of a fixture file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The outcome of running a binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub raw_stdout: Vec<u8>,
}

fn finish(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        raw_stdout: o.stdout,
    }
}

pub fn bin(name: &str) -> PathBuf {
    match name {
        "stance-train" => PathBuf::from(env!("CARGO_BIN_EXE_stance-train")),
        "stance-score" => PathBuf::from(env!("CARGO_BIN_EXE_stance-score")),
        "stance-eval" => PathBuf::from(env!("CARGO_BIN_EXE_stance-eval")),
        "stance-suggest" => PathBuf::from(env!("CARGO_BIN_EXE_stance-suggest")),
        "stance-audit" => PathBuf::from(env!("CARGO_BIN_EXE_stance-audit")),
        other => panic!("unknown binary {other}"),
    }
}

/// Runs a binary with arguments (no stdin).
pub fn run(name: &str, args: &[&str]) -> Run {
    finish(
        Command::new(bin(name))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("binary runs"),
    )
}

/// Runs a binary feeding `input` on stdin.
pub fn run_stdin(name: &str, args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new(bin(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    finish(child.wait_with_output().unwrap())
}

/// A fresh temporary folder (removed when dropped).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A stance model trained on the fixture data, shared by the tests of one binary.
pub fn fixture_model() -> &'static Path {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, p) = MODEL.get_or_init(|| {
        let dir = tempdir();
        let out = dir.path().join("stance.model");
        let r = run(
            "stance-train",
            &[
                "--data",
                fixture("stance_train.csv").to_str().unwrap(),
                "--valid",
                fixture("stance_valid.csv").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--buckets-log2",
                "18",
                "--quiet",
            ],
        );
        assert_eq!(r.code, 0, "training the fixture model failed: {}", r.stderr);
        (dir, out)
    });
    p
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs a binary in folder `dir` (so relative file names in messages are stable).
pub fn run_in(dir: &Path, name: &str, args: &[&str]) -> Run {
    finish(
        Command::new(bin(name))
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("binary runs"),
    )
}

/// Asserts a failed run: exit code 2 and exactly `<bin>: error: <msg>` on stderr.
#[track_caller]
pub fn assert_fails(r: &Run, bin: &str, msg: &str) {
    assert_eq!(r.code, 2, "exit code; stderr: {}", r.stderr);
    assert_eq!(r.stderr, format!("{bin}: error: {msg}\n"));
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

//! Starting `stance-serve` on a loopback port for the HTTP tests, and talking to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The test API key every server started here accepts.
pub const KEY: &str = "test-key-1";

/// A running `stance-serve`, stopped (by its pid) when dropped.
pub struct Serve {
    pub child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Serve {
    /// Starts the server with a keys file holding [`KEY`] and `args`.
    pub fn start(args: &[&str]) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::write(&keys, format!("# test keys\n{KEY}\n")).unwrap();
        let mut all = vec!["--listen", "127.0.0.1:0", "--keys", keys.to_str().unwrap()];
        all.extend_from_slice(args);
        Self::start_raw(dir, &all)
    }

    /// Starts the server with exactly `args` (plus nothing), in `dir`.
    pub fn start_raw(dir: tempfile::TempDir, args: &[&str]) -> Serve {
        let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_stance-serve"))
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
                panic!("no 'listening on' line, got {first:?}; stderr: {log}")
            })
            .to_string();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Serve {
            child,
            addr,
            dir,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// POSTs `body` and returns (status, body text).
    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Waits for the process to exit (at most `secs`), returning its exit code.
    pub fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The example comments as (id, parent_id, text).
pub fn example_rows() -> Vec<(String, String, String)> {
    let mut r =
        csv::Reader::from_path(root().join("data/examples/ceasefire_comments.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

pub fn stance_score(args: &[&str], input: &Path) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_stance-score"))
        .args(args)
        .arg(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

//! Helpers shared by the integration tests: temp dirs, running the binary, finding
//! the real data in `$SHARDWISE_SHARED` and the Python reference tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `shardwise` binary built for these tests.
pub fn shardwise() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shardwise"));
    c.env("SHARDWISE_LOG", "warn");
    c
}

/// Runs the binary with `args` in `dir` and returns its output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    shardwise()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the shardwise binary runs")
}

/// Runs `pipelines/quickstart.toml` from the repository root into `out`, with
/// no progress lines, plus `extra` arguments.
pub fn quickstart(out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().expect("a UTF-8 path");
    let mut args = vec![
        "run",
        "pipelines/quickstart.toml",
        "--out",
        out,
        "--progress-secs",
        "0",
    ];
    args.extend_from_slice(extra);
    run_in(&repo(), &args)
}

/// A count from the run's stats table: row `step` (`read`, a stage, `write`),
/// column 1 for documents in, 2 for documents out.
pub fn step_docs(stdout: &str, step: &str, column: usize) -> u64 {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(step))
        .and_then(|l| l.split_whitespace().nth(column))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{step}` row in the stats table: {stdout}"))
}

/// `shardwise run <pipeline> --out <out>` in the repository, quietly.
pub fn run_pipeline(pipeline: &Path, out: &Path) -> Output {
    run_in(
        &repo(),
        &[
            "run",
            pipeline.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--progress-secs",
            "0",
        ],
    )
}

/// Stdout and stderr as one readable string, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the shared real data (`$SHARDWISE_SHARED/<rel>`).
///
/// `None` when `SHARDWISE_SHARED` is unset (a fresh clone): the caller skips.
/// When it is set, a missing file fails the test loudly.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SHARDWISE_SHARED")?;
    let root = if Path::new(&root).is_absolute() {
        PathBuf::from(root)
    } else {
        repo().join(root)
    };
    let p = root.join(rel);
    assert!(
        p.exists(),
        "SHARDWISE_SHARED is set but {} is missing",
        p.display()
    );
    Some(p)
}

/// Whether the real-data tests are expected to run (CI sets `SHARDWISE_SHARED`).
pub fn shared_required() -> bool {
    std::env::var_os("SHARDWISE_SHARED").is_some()
}

/// A Python interpreter that can import `modules`. When `SHARDWISE_SHARED` is set
/// (CI), a missing interpreter or module fails the test; otherwise `None` skips it.
pub fn python_with(modules: &[&str]) -> Option<String> {
    let py = std::env::var("SHARDWISE_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = format!(
        "import {}",
        if modules.is_empty() {
            "sys".to_string()
        } else {
            modules.join(", ")
        }
    );
    let ok = Command::new(&py)
        .args(["-c", &probe])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some(py)
    } else {
        assert!(
            !shared_required(),
            "{py} cannot import {modules:?}; .ci/run installs them (pip install -r tests/requirements.txt)"
        );
        eprintln!("skipped: {py} cannot import {modules:?}");
        None
    }
}

/// Every file under `dir`, relative, sorted, with its bytes.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// The binary, pointed at the S3-compatible endpoint `endpoint` (the test server
/// or a fault proxy in front of it) with test credentials and no AWS config files.
pub fn shardwise_s3(endpoint: &str) -> Command {
    let mut c = shardwise();
    crate::s3_harness::apply_s3_env(&mut c, endpoint);
    c
}

/// Like [`run_in`], against the S3-compatible endpoint `endpoint`.
pub fn run_in_s3(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    shardwise_s3(endpoint)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the shardwise binary runs")
}

//! Kill-and-resume: a run killed with SIGKILL at any point, then run again,
//! gives output byte-identical to an uninterrupted run, with stats counted once.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use crate::util;

/// Eight shards: the four sample shards and a renamed copy of each.
fn inputs(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let data = util::repo().join("examples/data");
    for e in std::fs::read_dir(&data).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".gz") || name.ends_with(".zst") {
            std::fs::copy(&p, input.join(&name)).unwrap();
            std::fs::copy(&p, input.join(format!("copy-{name}"))).unwrap();
        }
    }
    input
}

fn pipeline(dir: &Path, input: &Path) -> PathBuf {
    let tok = util::repo().join("examples/data/tokenizer.json");
    let text = format!(
        r#"version = 1
name = "resume-test"
[input]
paths = ["{}/"]
batch_docs = 16
[[stage]]
kind = "length"
min_chars = 150
[[stage]]
kind = "tokenize"
tokenizer = "{}"
eos = true
[output]
uri = "unused"
documents = true
"#,
        input.display(),
        tok.display()
    );
    let p = dir.join("pipeline.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn run(pipeline: &Path, out: &Path, failpoint: Option<&str>) -> std::process::Output {
    let mut c = util::shardwise();
    c.args([
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "2",
        "--progress-secs",
        "0",
    ]);
    if let Some(f) = failpoint {
        c.env("SHARDWISE_FAILPOINT", f);
    }
    c.output().unwrap()
}

/// The output tree without the work directory (markers hold timings), with the
/// output directory's own path normalised out of the data-paths file.
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let needle = out.display().to_string();
    util::tree(out)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("_work/"))
        .map(|(k, v)| {
            if k == "megatron-data-paths.txt" {
                let s = String::from_utf8(v).unwrap().replace(&needle, "OUT");
                (k, s.into_bytes())
            } else {
                (k, v)
            }
        })
        .collect()
}

/// The `read` row of the stats table: documents counted over the whole run.
fn read_row(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .find(|l| l.starts_with("read "))
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[test]
fn killed_runs_resume_to_byte_identical_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path());
    let p = pipeline(dir.path(), &input);

    let base = dir.path().join("base");
    let first = run(&p, &base, None);
    assert!(first.status.success(), "{}", util::text(&first));
    let expected = outputs(&base);
    assert!(expected.iter().any(|(k, _)| k == "_SUCCESS"));
    assert_eq!(
        expected.iter().filter(|(k, _)| k.ends_with(".bin")).count(),
        8
    );

    // Before the first marker: outputs committed, marker missing (the nasty case);
    // after some shards; after most shards.
    for failpoint in [
        "before_marker:1",
        "after_marker:3",
        "before_marker:6",
        "after_marker:7",
    ] {
        let out = dir.path().join(failpoint.replace(':', "-"));
        let killed = run(&p, &out, Some(failpoint));
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "{failpoint}: {}",
            util::text(&killed)
        );
        assert!(
            !out.join("_SUCCESS").exists(),
            "{failpoint}: finished despite the kill"
        );

        let again = run(&p, &out, None);
        assert!(
            again.status.success(),
            "{failpoint}: {}",
            util::text(&again)
        );
        let got = outputs(&out);
        let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&got),
            names(&expected),
            "{failpoint}: different files"
        );
        for ((k, a), (_, b)) in got.iter().zip(&expected) {
            assert!(
                a == b,
                "{failpoint}: {k} differs from the uninterrupted run"
            );
        }
        assert_eq!(
            read_row(&again.stdout),
            read_row(&first.stdout),
            "{failpoint}: stats counted twice or lost"
        );
        assert!(String::from_utf8_lossy(&again.stdout).contains("already committed, skipped"));
    }
}

#[test]
fn a_different_pipeline_over_the_same_work_prefix_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path());
    let p = pipeline(dir.path(), &input);
    let out = dir.path().join("out");
    let first = run(&p, &out, Some("after_marker:1"));
    assert_eq!(first.status.signal(), Some(9), "{}", util::text(&first));
    let changed = util::shardwise()
        .args([
            "run",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--set",
            "stage[0].min_chars=10",
        ])
        .output()
        .unwrap();
    assert_eq!(changed.status.code(), Some(2), "{}", util::text(&changed));
    let err = String::from_utf8_lossy(&changed.stderr);
    assert!(
        err.contains("holds run") && err.contains("the pipeline or its input changed"),
        "{err}"
    );
}

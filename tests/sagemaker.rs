//! The SageMaker contract, on a fake `/opt/ml` tree (`SHARDWISE_OPT_ML`): rank from
//! the resource config, failure files for Processing and Training, progress lines
//! for CloudWatch, and the files of `examples/sagemaker/`.

use std::path::Path;
use std::process::{Command, Output};

use crate::util;

const PROCESSING_RC: &str = "config/resourceconfig.json";
const TRAINING_RC: &str = "input/config/resourceconfig.json";

/// Launcher variables that would win over the SageMaker files.
const LAUNCHER_VARS: &[&str] = &[
    "SHARDWISE_RANK",
    "SHARDWISE_WORLD_SIZE",
    "RANK",
    "WORLD_SIZE",
    "SLURM_PROCID",
    "SLURM_NTASKS",
    "SLURM_NPROCS",
    "SLURM_ARRAY_TASK_ID",
    "OMPI_COMM_WORLD_RANK",
    "OMPI_COMM_WORLD_SIZE",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "JOB_COMPLETION_INDEX",
];

/// A fake `/opt/ml` with a resource config at `rel` (none when `rel` is `None`).
fn opt_ml(rel: Option<&str>, json: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(rel) = rel {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, json).unwrap();
    }
    dir
}

fn processing() -> tempfile::TempDir {
    opt_ml(
        Some(PROCESSING_RC),
        r#"{"current_host": "algo-2", "hosts": ["algo-1","algo-2","algo-3"]}"#,
    )
}

fn training() -> tempfile::TempDir {
    opt_ml(
        Some(TRAINING_RC),
        r#"{"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}"#,
    )
}

/// The binary in the repository root, with `opt_ml` standing in for `/opt/ml`.
fn under(opt_ml: &Path) -> Command {
    let mut c = util::shardwise();
    c.current_dir(util::repo()).env("SHARDWISE_OPT_ML", opt_ml);
    for v in LAUNCHER_VARS {
        c.env_remove(v);
    }
    c
}

/// `run` of the quickstart into `out`, with a tokenizer that does not exist, so it
/// fails after the rank is known.
fn failing_run(cmd: &mut Command, out: &Path, tokenizer: &str) -> Output {
    cmd.args([
        "run",
        "pipelines/quickstart.toml",
        "--out",
        out.to_str().unwrap(),
        "--progress-secs",
        "0",
        "--set",
        &format!("stage[2].tokenizer={tokenizer}"),
    ])
    .output()
    .unwrap()
}

/// The message after `error: ` on stderr (it may span lines).
fn error_message(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    let at = err
        .find("error: ")
        .unwrap_or_else(|| panic!("no error on stderr: {}", util::text(o)));
    err[at + "error: ".len()..].trim_end().to_string()
}

#[test]
fn processing_rank_and_world_size_come_from_the_resource_config() {
    let ml = processing();
    let out = tempfile::tempdir().unwrap();
    let o = under(ml.path())
        .env("SHARDWISE_LOG", "info")
        .args([
            "run",
            "pipelines/quickstart.toml",
            "--out",
            out.path().to_str().unwrap(),
            "--progress-secs",
            "0",
        ])
        .output()
        .unwrap();
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    assert!(all.contains("rank 1 of 3"), "{all}");
    assert!(all.contains("source=sagemaker processing ("), "{all}");
    assert!(
        !ml.path().join("output").exists(),
        "a good run writes no message"
    );
}

#[test]
fn a_failed_processing_job_writes_its_error_to_output_message() {
    let ml = processing();
    let out = tempfile::tempdir().unwrap();
    let missing = out.path().join("no-such/tokenizer.json");
    let missing = missing.to_str().unwrap();
    let o = failing_run(&mut under(ml.path()), out.path(), missing);
    assert!(!o.status.success(), "{}", util::text(&o));
    let message = std::fs::read_to_string(ml.path().join("output/message"))
        .unwrap_or_else(|e| panic!("output/message: {e}\n{}", util::text(&o)));
    assert_eq!(message, error_message(&o));
    assert!(message.contains(missing), "{message}");
    assert!(!ml.path().join("output/failure").exists());

    // The exit code is the one the same failure has outside SageMaker.
    let elsewhere = opt_ml(None, "");
    let plain = failing_run(&mut under(elsewhere.path()), out.path(), missing);
    assert_eq!(
        o.status.code(),
        plain.status.code(),
        "{}",
        util::text(&plain)
    );
    assert!(
        !elsewhere.path().join("output").exists(),
        "no resource config, no failure file"
    );
}

#[test]
fn a_failed_training_job_writes_output_failure_and_accepts_train() {
    let ml = training();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = under(ml.path());
    cmd.arg("train");
    let o = failing_run(&mut cmd, out.path(), "/no-such/tokenizer.json");
    assert!(!o.status.success(), "{}", util::text(&o));
    let failure = std::fs::read_to_string(ml.path().join("output/failure"))
        .unwrap_or_else(|e| panic!("output/failure: {e}\n{}", util::text(&o)));
    assert_eq!(failure, error_message(&o));
    assert!(failure.contains("/no-such/tokenizer.json"), "{failure}");
    assert!(!ml.path().join("output/message").exists());
}

#[test]
fn a_failure_message_longer_than_one_kib_is_cut_at_a_char_boundary() {
    let ml = processing();
    let out = tempfile::tempdir().unwrap();
    // Three-byte characters, so byte 1024 falls inside one.
    let long = format!("/{}/tokenizer.json", "€".repeat(500));
    let o = failing_run(&mut under(ml.path()), out.path(), &long);
    assert!(!o.status.success(), "{}", util::text(&o));
    let full = error_message(&o);
    assert!(full.len() > 1024, "{full}");
    let bytes = std::fs::read(ml.path().join("output/message")).unwrap();
    let message = String::from_utf8(bytes).expect("the message file is UTF-8");
    assert!(
        message.len() <= 1024 && message.len() > 1021,
        "{}",
        message.len()
    );
    assert!(full.starts_with(&message));
}

#[test]
fn a_failure_file_that_cannot_be_written_does_not_hide_the_error() {
    let ml = processing();
    // `output` is a file, so `output/message` cannot be created.
    std::fs::write(ml.path().join("output"), "").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = failing_run(&mut under(ml.path()), out.path(), "/no-such/tokenizer.json");
    let all = util::text(&o);
    let plain = failing_run(
        &mut under(opt_ml(None, "").path()),
        out.path(),
        "/no-such/tokenizer.json",
    );
    assert_eq!(o.status.code(), plain.status.code(), "{all}");
    assert_eq!(
        error_message(&o).lines().next(),
        error_message(&plain).lines().next()
    );
    assert!(
        all.contains("cannot write the sagemaker failure file"),
        "{all}"
    );
}

#[test]
fn a_wrong_command_line_is_reported_to_sagemaker_too() {
    let ml = processing();
    let o = under(ml.path())
        .args(["run", "pipelines/quickstart.toml", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", util::text(&o));
    let message = std::fs::read_to_string(ml.path().join("output/message")).unwrap();
    assert!(message.contains("--no-such-flag"), "{message}");

    // Help is not a failure.
    let ml = processing();
    let o = under(ml.path()).args(["run", "--help"]).output().unwrap();
    assert!(o.status.success(), "{}", util::text(&o));
    assert!(!ml.path().join("output").exists());
}

#[test]
fn progress_lines_go_to_stderr_when_it_is_not_a_terminal() {
    let run = |secs: &str| {
        let out = tempfile::tempdir().unwrap();
        let o = under(opt_ml(None, "").path())
            .env("SHARDWISE_PROGRESS_SECS", secs)
            .args([
                "run",
                "pipelines/quickstart.toml",
                "--out",
                out.path().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", util::text(&o));
        let stderr = String::from_utf8(o.stderr).unwrap();
        stderr
            .lines()
            .filter(|l| l.starts_with("shardwise_progress "))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // However short the run, the last line reports the final numbers.
    let lines = run("1");
    let last = lines.last().expect("a progress line");
    let (head, rate) = last
        .split_once(" mb=")
        .and_then(|(head, rest)| Some((head, rest.split_once(" mb_per_s=")?.1)))
        .unwrap_or_else(|| panic!("{last}"));
    assert!(
        head.starts_with("shardwise_progress rank=0 phase=emit shards=4/4 docs="),
        "{last}"
    );
    assert!(rate.parse::<f64>().is_ok_and(|r| r > 0.0), "{last}");
    assert!(
        run("0").is_empty(),
        "SHARDWISE_PROGRESS_SECS=0 prints no lines"
    );
}

#[test]
fn the_example_pipeline_validates_and_dry_runs_on_the_sample_shards() {
    let file = "examples/sagemaker/cc.toml";
    let o = util::run_in(&util::repo(), &["validate", "--no-env", file]);
    assert!(o.status.success(), "{}", util::text(&o));

    // The same file, pointed at the sample shards as a relative manifest.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("wet.paths");
    std::fs::write(
        &manifest,
        "examples/data/CC-SAMPLE-2024-22-00000.warc.wet.gz\n\
         examples/data/CC-SAMPLE-2024-22-00001.warc.wet.gz\n",
    )
    .unwrap();
    let base = format!("{}/", util::repo().display());
    let out = dir.path().join("out");
    let o = under(opt_ml(None, "").path())
        .args([
            "run",
            file,
            "--sample",
            "50",
            "--out",
            out.to_str().unwrap(),
            "--progress-secs",
            "0",
            "--set",
            &format!("input.manifest={}", manifest.display()),
            "--set",
            &format!("input.base={base}"),
            "--set",
            "stage[2].tokenizer=examples/data/tokenizer.json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", util::text(&o));
    assert!(out.join("_SUCCESS").exists(), "{}", util::text(&o));
}

#[test]
fn the_sagemaker_example_files_are_consistent() {
    let dir = util::repo().join("examples/sagemaker");
    let docker = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(docker.contains("cargo build --profile dist"), "{docker}");
    assert!(
        docker.contains(r#"ENTRYPOINT ["/usr/local/bin/shardwise"]"#),
        "exec form, so SageMaker's arguments reach shardwise: {docker}"
    );
    // Every file the image copies exists in the build context (the repository).
    for line in docker
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        for src in &words[1..words.len() - 1] {
            assert!(util::repo().join(src).exists(), "{line}: {src} is missing");
        }
    }
    let launcher = std::fs::read_to_string(dir.join("launch_processing.py")).unwrap();
    for needle in [
        "/opt/pipelines/cc.toml",
        "FullyReplicated",
        "ShardedByS3Key",
        "SHARDWISE_S3_PATH_STYLE",
    ] {
        assert!(launcher.contains(needle), "launcher lacks {needle}");
    }
    if let Some(py) = util::python_with(&[]) {
        let o = Command::new(py)
            .args(["-m", "py_compile"])
            .arg(dir.join("launch_processing.py"))
            .env("PYTHONPYCACHEPREFIX", tempfile::tempdir().unwrap().path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", util::text(&o));
    }
}

//! S3 as a first-class store, against a real S3-compatible server (moto) on
//! 127.0.0.1 and a fault-injecting proxy: outputs equal the local-disk run,
//! 503 SlowDown and broken GET bodies are survived, errors are clear and quick,
//! credentials never leak.

use std::path::Path;

use crate::s3_harness::{FaultProxy, Faults, S3Server};
use crate::util;

const BUCKET: &str = "shardwise-test";

/// The quickstart with inputs and tokenizer in the bucket and output there too.
fn quickstart_args(out_prefix: &str) -> Vec<String> {
    vec![
        "run".into(),
        "pipelines/quickstart.toml".into(),
        "--set".into(),
        format!(
            "input.paths=[\"s3://{BUCKET}/input/*.warc.wet.gz\", \"s3://{BUCKET}/input/*.jsonl.zst\"]"
        ),
        "--set".into(),
        format!("stage[2].tokenizer=s3://{BUCKET}/input/tokenizer.json"),
        "--set".into(),
        format!("output.uri=s3://{BUCKET}/{out_prefix}/"),
        "--progress-secs".into(),
        "0".into(),
    ]
}

/// A bucket holding the sample shards and the tokenizer under `input/`.
fn seeded() -> Option<S3Server> {
    let server = S3Server::start()?;
    let client = server.client();
    client.create_bucket(BUCKET);
    let n = client.upload_dir(&util::repo().join("examples/data"), BUCKET, "input");
    assert!(n >= 5, "uploaded {n} files");
    Some(server)
}

/// The local-disk quickstart's token files and index, keyed relative to the output.
fn local_run(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let out = dir.join("local");
    let o = util::quickstart(&out, &[]);
    assert!(o.status.success(), "{}", util::text(&o));
    tokens(util::tree(&out))
}

fn tokens(tree: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    tree.into_iter()
        .filter(|(k, _)| k.starts_with("tokens/") || k.starts_with("documents/"))
        .collect()
}

fn bucket_tokens(server: &S3Server, prefix: &str) -> Vec<(String, Vec<u8>)> {
    tokens(server.client().tree(BUCKET, &format!("{prefix}/")))
}

fn assert_same(got: &[(String, Vec<u8>)], want: &[(String, Vec<u8>)], what: &str) {
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(want), "{what}: different files");
    for ((k, a), (_, b)) in got.iter().zip(want) {
        assert!(a == b, "{what}: {k} differs from the local-disk run");
    }
}

#[test]
fn quickstart_on_a_bucket_equals_the_local_disk_run() {
    let Some(server) = seeded() else { return };
    let dir = tempfile::tempdir().unwrap();
    let want = local_run(dir.path());

    let args = quickstart_args("run");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = util::run_in_s3(&util::repo(), &server.endpoint, &args);
    let all = util::text(&o);
    assert!(o.status.success(), "{all}\n{}", server.log_text());
    assert!(
        all.contains("object store: ") && all.contains(" requests, 0 retries"),
        "{all}"
    );
    assert_same(&bucket_tokens(&server, "run"), &want, "bucket run");
    let keys = server.client().list(BUCKET, "run/");
    for k in [
        "run/_dataset.json",
        "run/megatron-data-paths.txt",
        "run/_SUCCESS",
        "run/_work/_run.json",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k} missing: {keys:?}");
    }

    // A re-run skips every committed shard and changes nothing.
    let again = util::run_in_s3(&util::repo(), &server.endpoint, &args);
    assert!(again.status.success(), "{}", util::text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("(4 already committed, skipped)"));
    assert_same(&bucket_tokens(&server, "run"), &want, "re-run");
}

#[test]
fn slow_down_and_broken_bodies_are_survived_with_identical_output() {
    let Some(server) = seeded() else { return };
    let dir = tempfile::tempdir().unwrap();
    let want = local_run(dir.path());
    let proxy = FaultProxy::start(
        &server.endpoint,
        Faults {
            slow_down_every: Some(4),
            cut_get_bodies_every: Some(1),
            ..Default::default()
        },
    );
    let args = quickstart_args("faulty");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = util::run_in_s3(&util::repo(), &proxy.endpoint, &args);
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    assert!(
        proxy.stats.slow_downs() > 0 && proxy.stats.cut_bodies() > 0,
        "faults were injected"
    );
    // The report shows the retries and the resumed reads.
    let line = all
        .lines()
        .find(|l| l.starts_with("object store: "))
        .unwrap_or_else(|| panic!("no object-store line: {all}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(numbers[1] > 0, "retries reported: {line}");
    assert!(numbers[2] > 0, "resumed reads reported: {line}");
    assert_same(
        &bucket_tokens(&server, "faulty"),
        &want,
        "run through faults",
    );
}

#[test]
fn missing_objects_buckets_and_wrong_credentials_fail_at_once_naming_the_uri() {
    let Some(server) = seeded() else { return };
    let run = |endpoint: &str, sets: &[String]| {
        let mut args = vec![
            "run".to_string(),
            "pipelines/quickstart.toml".into(),
            "--progress-secs".into(),
            "0".into(),
        ];
        for s in sets {
            args.push("--set".into());
            args.push(s.clone());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        util::run_in_s3(&util::repo(), endpoint, &args)
    };
    let out = format!("output.uri=s3://{BUCKET}/errors/");
    // Through a counting proxy: a missing object or bucket is final at once,
    // never a stack of retries.
    let counting = FaultProxy::start(&server.endpoint, Faults::default());

    let o = run(
        &counting.endpoint,
        &[
            format!("input.paths=[\"s3://{BUCKET}/input/missing.jsonl\"]"),
            out.clone(),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{}", util::text(&o));
    assert!(
        err.contains(&format!("s3://{BUCKET}/input/missing.jsonl")),
        "{err}"
    );

    let o = run(
        &counting.endpoint,
        &[
            "input.paths=[\"s3://no-such-bucket/x/\"]".into(),
            out.clone(),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{}", util::text(&o));
    assert!(
        err.contains("s3://no-such-bucket/x/") && err.contains("NoSuchBucket"),
        "{err}"
    );
    // HEAD + LIST for the missing object, LIST for the missing bucket: no retries.
    assert!(
        counting.stats.requests() <= 4,
        "{} requests for two failures",
        counting.stats.requests()
    );

    let o = run(
        &server.endpoint,
        &[
            format!("stage[2].tokenizer=s3://{BUCKET}/input/nope.json"),
            out.clone(),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        err.contains(&format!("s3://{BUCKET}/input/nope.json: not found")),
        "{err}"
    );

    // Wrong credentials: a proxy that only lets one access key through, like S3.
    let proxy = FaultProxy::start(
        &server.endpoint,
        Faults {
            only_access_key: Some("not-the-one-in-use".into()),
            ..Default::default()
        },
    );
    let o = run(
        &proxy.endpoint,
        &[format!("input.paths=[\"s3://{BUCKET}/input/\"]"), out],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{}", util::text(&o));
    assert!(
        err.contains(&format!("s3://{BUCKET}/input/")) && err.contains("InvalidAccessKeyId"),
        "{err}"
    );
    assert!(err.contains("check the AWS credentials"), "{err}");
    // One request, not a stack of retries: a 403 is final.
    assert_eq!(
        proxy.stats.denied(),
        1,
        "denied requests: {}",
        proxy.stats.denied()
    );
}

#[test]
fn secret_values_never_appear_in_logs_errors_markers_or_reports() {
    let Some(server) = seeded() else { return };
    const KEY_ID: &str = "AKIASENTINELKEYID0001";
    const SECRET: &str = "sentinel/Secret+Value/DoNotLeak0123456789";
    const TOKEN: &str = "SentinelSessionToken/DoNotLeak/0123456789abcdef";
    let check = |what: &str, text: &str| {
        assert!(
            !text.contains(SECRET) && !text.contains(KEY_ID) && !text.contains(TOKEN),
            "{what} leaks a credential:\n{text}"
        );
    };
    let mut args = quickstart_args("secret");
    args.extend([
        "--set".into(),
        format!("output.work=s3://{BUCKET}/secret-work/"),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = util::shardwise_s3(&server.endpoint)
        .current_dir(util::repo())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("SHARDWISE_LOG", "trace")
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", util::text(&o));
    check("the run's output and logs", &util::text(&o));
    for (key, bytes) in server.client().tree(BUCKET, "secret") {
        check(&key, &String::from_utf8_lossy(&bytes));
    }
    // An error with the same credentials.
    let o = util::shardwise_s3(&server.endpoint)
        .current_dir(util::repo())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("SHARDWISE_LOG", "trace")
        .args([
            "run",
            "pipelines/quickstart.toml",
            "--set",
            "input.paths=[\"s3://no-such-bucket/x/\"]",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    check("the error", &util::text(&o));
}

/// A fake `/opt/ml` of one SageMaker Processing instance of `hosts`.
fn opt_ml(dir: &Path, host: &str, hosts: &[&str]) -> std::path::PathBuf {
    let root = dir.join(format!("opt-ml-{host}"));
    std::fs::create_dir_all(root.join("config")).unwrap();
    let config = serde_json::json!({"current_host": host, "hosts": hosts});
    std::fs::write(root.join("config/resourceconfig.json"), config.to_string()).unwrap();
    root
}

/// Eight shards in the bucket: the samples and a renamed copy of each.
fn seeded_eight() -> Option<(S3Server, tempfile::TempDir)> {
    let server = S3Server::start()?;
    let client = server.client();
    client.create_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for e in std::fs::read_dir(util::repo().join("examples/data")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(&p, input.join(&name)).unwrap();
        if name.ends_with(".gz") || name.ends_with(".zst") {
            std::fs::copy(&p, input.join(format!("copy-{name}"))).unwrap();
        }
    }
    client.upload_dir(&input, BUCKET, "input");
    Some((server, dir))
}

fn processing_command(server: &S3Server, root: &Path, out: &str) -> std::process::Command {
    let mut c = util::shardwise_s3(&server.endpoint);
    let args = quickstart_args(out);
    c.current_dir(util::repo())
        .env("SHARDWISE_OPT_ML", root)
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

#[test]
fn a_three_instance_processing_job_equals_the_single_process_run() {
    let Some((server, dir)) = seeded_eight() else {
        return;
    };
    let single = util::run_in_s3(
        &util::repo(),
        &server.endpoint,
        &quickstart_args("single")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(single.status.success(), "{}", util::text(&single));
    let want = bucket_tokens(&server, "single");
    assert_eq!(want.iter().filter(|(k, _)| k.ends_with(".bin")).count(), 8);

    let hosts = ["algo-1", "algo-2", "algo-3"];
    let children: Vec<_> = hosts
        .iter()
        .map(|h| {
            processing_command(&server, &opt_ml(dir.path(), h, &hosts), "job")
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut taken = 0;
    for (h, o) in hosts.iter().zip(&outputs) {
        let all = util::text(o);
        assert!(o.status.success(), "{h}: {all}");
        let rank = hosts.iter().position(|x| x == h).unwrap();
        let line = all
            .lines()
            .find(|l| l.starts_with(&format!("rank {rank} of 3: ")))
            .unwrap_or_else(|| panic!("{h}: {all}"));
        taken += line
            .split_whitespace()
            .nth(4)
            .unwrap()
            .parse::<usize>()
            .unwrap();
    }
    assert_eq!(taken, 8, "every shard taken exactly once");
    assert_same(&bucket_tokens(&server, "job"), &want, "3-instance job");
    let index: serde_json::Value =
        serde_json::from_slice(&server.client().get(BUCKET, "job/_dataset.json").unwrap()).unwrap();
    assert_eq!(index["outputs"].as_array().unwrap().len(), 8, "{index:#}");
    let single_index = server.client().get(BUCKET, "single/_dataset.json").unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&single_index).unwrap()["outputs"],
        index["outputs"]
    );
}

#[test]
fn an_instance_killed_mid_run_and_rerun_alone_completes_the_job() {
    let Some((server, dir)) = seeded_eight() else {
        return;
    };
    let single = util::run_in_s3(
        &util::repo(),
        &server.endpoint,
        &quickstart_args("single")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(single.status.success(), "{}", util::text(&single));
    let want = bucket_tokens(&server, "single");

    let hosts = ["algo-1", "algo-2", "algo-3"];
    let roots: Vec<_> = hosts
        .iter()
        .map(|h| opt_ml(dir.path(), h, &hosts))
        .collect();
    // algo-1 (rank 0 takes three shards) dies after its first commit marker.
    let mut killed = processing_command(&server, &roots[0], "job");
    killed.env("SHARDWISE_FAILPOINT", "after_marker:1");
    let others: Vec<_> = roots[1..]
        .iter()
        .map(|r| processing_command(&server, r, "job").spawn().unwrap())
        .collect();
    let k = killed.output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(k.status.signal(), Some(9), "{}", util::text(&k));
    for o in others {
        let o = o.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", util::text(&o));
    }
    assert!(
        server.client().get(BUCKET, "job/_SUCCESS").is_none(),
        "not complete while algo-1 is down"
    );

    let again = processing_command(&server, &roots[0], "job")
        .output()
        .unwrap();
    let all = util::text(&again);
    assert!(again.status.success(), "{all}");
    assert!(all.contains("(1 already committed, skipped)"), "{all}");
    assert!(
        all.contains("dataset complete"),
        "the last instance writes the index: {all}"
    );
    assert_same(
        &bucket_tokens(&server, "job"),
        &want,
        "job after the re-run",
    );
    assert!(server.client().get(BUCKET, "job/_SUCCESS").is_some());
}

#[test]
fn large_outputs_go_up_in_multipart_uploads_that_leave_nothing_pending() {
    let Some(server) = S3Server::start() else {
        return;
    };
    server.client().create_bucket(BUCKET);
    // ~20 MB of text that compresses poorly, so the Parquet output spans parts.
    let dir = tempfile::tempdir().unwrap();
    let input = big_jsonl(dir.path(), 0x1234_5678_9abc_def0_u64);
    let pipeline = dir.path().join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "version = 1\n[input]\npaths = [{:?}]\n[[stage]]\nkind = \"length\"\nmin_chars = 10\n[output]\nuri = \"s3://{BUCKET}/big/\"\ndocuments = true\n",
            input.display().to_string()
        ),
    )
    .unwrap();
    let o = util::run_in_s3(
        dir.path(),
        &server.endpoint,
        &["run", pipeline.to_str().unwrap(), "--progress-secs", "0"],
    );
    assert!(o.status.success(), "{}", util::text(&o));
    let local = dir.path().join("local");
    let o = util::run_in(
        dir.path(),
        &[
            "run",
            pipeline.to_str().unwrap(),
            "--out",
            local.to_str().unwrap(),
            "--progress-secs",
            "0",
        ],
    );
    assert!(o.status.success(), "{}", util::text(&o));

    let want = tokens(util::tree(&local));
    let got = bucket_tokens(&server, "big");
    assert_eq!(want.len(), 1);
    assert!(
        want[0].1.len() > 10 << 20,
        "the output must span parts: {} bytes",
        want[0].1.len()
    );
    assert_same(&got, &want, "multipart output");
    assert!(
        server.log_text().contains("uploadId="),
        "a multipart upload was used"
    );
    assert!(
        server.client().pending_uploads(BUCKET).is_empty(),
        "no upload left pending"
    );
}

#[test]
fn a_multipart_upload_that_fails_midway_is_aborted_and_the_error_names_the_object() {
    let Some(server) = S3Server::start() else {
        return;
    };
    server.client().create_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let input = big_jsonl(dir.path(), 0x0fed_cba9_8765_4321_u64);
    let pipeline = dir.path().join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "version = 1\n[input]\npaths = [{:?}]\n[output]\nuri = \"s3://{BUCKET}/fails/\"\ndocuments = true\n",
            input.display().to_string()
        ),
    )
    .unwrap();
    let proxy = FaultProxy::start(
        &server.endpoint,
        Faults {
            deny_matching: Some("partNumber=2".into()),
            ..Default::default()
        },
    );
    let o = util::run_in_s3(
        dir.path(),
        &proxy.endpoint,
        &["run", pipeline.to_str().unwrap(), "--progress-secs", "0"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{}", util::text(&o));
    assert!(
        err.contains(&format!("s3://{BUCKET}/fails/documents/")) && err.contains("AccessDenied"),
        "{err}"
    );
    assert!(proxy.stats.denied() >= 1);
    assert!(
        server.client().pending_uploads(BUCKET).is_empty(),
        "the failed upload was aborted"
    );
    let keys = server.client().list(BUCKET, "fails/");
    assert!(
        !keys.iter().any(|k| k.contains("/documents/")),
        "no half object: {keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.contains("/markers/")),
        "no marker for a failed shard: {keys:?}"
    );
}

#[test]
fn the_sdk_checksum_variables_are_honoured() {
    let Some(server) = seeded() else { return };
    let put_checksums = |env: &[(&str, &str)], out: &str| {
        let proxy = FaultProxy::start(&server.endpoint, Faults::default());
        let args = quickstart_args(out);
        let mut c = util::shardwise_s3(&proxy.endpoint);
        c.current_dir(util::repo()).args(&args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", util::text(&o));
        let puts: Vec<bool> = proxy
            .stats
            .seen()
            .into_iter()
            .filter(|s| s.method == "PUT")
            .map(|s| s.checksum)
            .collect();
        assert!(!puts.is_empty());
        puts
    };
    // By default the SDK adds a CRC to every upload ...
    assert!(put_checksums(&[], "sums-default").iter().all(|&c| c));
    // ... and `WHEN_REQUIRED`, which some S3-compatible servers need, turns it off.
    let when_required = [
        ("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED"),
        ("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED"),
    ];
    assert!(
        put_checksums(&when_required, "sums-required")
            .iter()
            .all(|&c| !c)
    );
}

/// About 20 MB of JSONL whose text compresses poorly (xorshift hex), so its
/// Parquet output spans several multipart parts.
fn big_jsonl(dir: &Path, seed: u64) -> std::path::PathBuf {
    let mut state = seed;
    let mut lines = String::new();
    for i in 0..2000 {
        let mut text = String::with_capacity(10_000);
        while text.len() < 10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(&format!("{state:016x} "));
        }
        lines.push_str(&serde_json::json!({"id": format!("d{i}"), "text": text}).to_string());
        lines.push('\n');
    }
    let input = dir.join("big.jsonl");
    std::fs::write(&input, lines).unwrap();
    input
}

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
    let o = util::run_in(
        &util::repo(),
        &[
            "run",
            "pipelines/quickstart.toml",
            "--out",
            out.to_str().unwrap(),
            "--progress-secs",
            "0",
        ],
    );
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
            cut_get_bodies_every: Some(2),
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

    let o = run(
        &server.endpoint,
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
        &server.endpoint,
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
    let check = |what: &str, text: &str| {
        assert!(
            !text.contains(SECRET) && !text.contains(KEY_ID),
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

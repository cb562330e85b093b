//! Every pipeline in `pipelines/` is validated and dry-run on the sample data,
//! and the quickstart produces what the README promises.

use crate::util;

fn pipeline_files() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(util::repo().join("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| format!("pipelines/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    assert!(v.iter().any(|p| p.ends_with("quickstart.toml")));
    v
}

/// `--set` overrides that point a pipeline's external files (models, block
/// lists: never in the repository) at test copies; `None` skips the pipeline
/// when those are unavailable (a fresh clone without `SHARDWISE_SHARED`).
fn external_files(p: &str, tmp: &std::path::Path) -> Option<Vec<String>> {
    if !p.ends_with("fineweb.toml") {
        return Some(Vec::new());
    }
    let Some(model) = util::shared("models/lid.176.ftz") else {
        eprintln!("{p}: SHARDWISE_SHARED unset, so no language model: skipped");
        return None;
    };
    // Small stand-ins for datatrove's lists, in their formats.
    let lists = [
        ("domains", "example-adult-site.com\n"),
        ("urls", "example.org/banned/page.html\n"),
        ("banned_words.txt", "pornhub\n"),
        ("soft_banned_words.txt", "sex\nxxx\n"),
        ("banned_subwords.txt", "porn\n"),
    ];
    let mut sets = vec![format!("stage[1].model={}", model.display())];
    for (i, (name, body)) in lists.iter().enumerate() {
        let path = tmp.join(name);
        std::fs::write(&path, body).unwrap();
        let field = [
            "banned_domains_files",
            "banned_urls_files",
            "banned_words_files",
            "soft_banned_words_files",
            "banned_subwords_files",
        ][i];
        sets.push(format!(
            "stage[0].{field}=[{:?}]",
            path.display().to_string()
        ));
    }
    Some(
        sets.into_iter()
            .flat_map(|s| ["--set".to_string(), s])
            .collect(),
    )
}

#[test]
fn every_pipeline_validates() {
    for p in pipeline_files() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(sets) = external_files(&p, tmp.path()) else {
            continue;
        };
        let mut args = vec!["validate", p.as_str()];
        args.extend(sets.iter().map(String::as_str));
        let o = util::run_in(&util::repo(), &args);
        assert!(o.status.success(), "{p}: {}", util::text(&o));
    }
}

#[test]
fn fineweb_pipeline_names_every_missing_external_file() {
    // On a fresh clone the model and block lists are absent: validation must
    // name each of them rather than fail on the first.
    let tmp = tempfile::tempdir().unwrap();
    let o = util::run_in(
        tmp.path(),
        &[
            "validate",
            util::repo()
                .join("pipelines/fineweb.toml")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", util::text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for missing in ["lists/domains", "models/lid.176.bin"] {
        assert!(err.contains(&format!("{missing}: not found")), "{err}");
    }
}

#[test]
fn every_pipeline_dry_runs_and_shows_removed_examples() {
    for p in pipeline_files() {
        let dir = tempfile::tempdir().unwrap();
        let Some(sets) = external_files(&p, dir.path()) else {
            continue;
        };
        let out = dir.path().join("dry");
        let mut args = vec![
            "run",
            &p,
            "--sample",
            "40",
            "--out",
            out.to_str().unwrap(),
            "--progress-secs",
            "0",
        ];
        args.extend(sets.iter().map(String::as_str));
        let o = util::run_in(&util::repo(), &args);
        let all = util::text(&o);
        assert!(o.status.success(), "{p}: {all}");
        assert!(out.join("_SUCCESS").exists(), "{p}: {all}");
        let stdout = String::from_utf8_lossy(&o.stdout);
        // At most 40 documents per shard were read.
        let read = util::step_docs(&stdout, "read", 1);
        let shards: u64 = std::fs::read_to_string(out.join("_dataset.json"))
            .map(|s| {
                serde_json::from_str::<serde_json::Value>(&s).unwrap()["shards"]
                    .as_u64()
                    .unwrap()
            })
            .unwrap();
        assert!(
            read <= 40 * shards,
            "{p}: read {read} documents from {shards} shards with --sample 40"
        );
        if p.ends_with("quickstart.toml") {
            assert!(stdout.contains("examples of removed documents:"), "{all}");
            assert!(stdout.contains("length / too_short]"), "{all}");
            assert!(
                stdout.contains("sql / sql]") && stdout.contains("/tag/"),
                "{all}"
            );
        }
    }
}

#[test]
fn quickstart_writes_megatron_files_an_index_and_documents() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = util::quickstart(&out, &[]);
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    for step in ["read", "length", "sql", "tokenize", "write"] {
        assert!(
            all.contains(&format!("\n{step} ")),
            "per-stage table lacks {step}: {all}"
        );
    }
    assert!(
        all.contains("MB/s/core") && all.contains("too_short="),
        "{all}"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_dataset.json")).unwrap()).unwrap();
    assert_eq!(index["shards"], 4);
    assert_eq!(index["dtype"], "uint16");
    assert_eq!(index["outputs"].as_array().unwrap().len(), 4);
    let paths = std::fs::read_to_string(out.join("megatron-data-paths.txt")).unwrap();
    assert_eq!(paths.lines().count(), 4);
    for o in index["outputs"].as_array().unwrap() {
        let prefix = o["prefix"].as_str().unwrap();
        assert!(
            prefix.starts_with("tokens/") && prefix.split('/').nth(1).unwrap().len() == 2,
            "{prefix}"
        );
        assert!(
            out.join(format!("{prefix}.bin")).exists()
                && out.join(format!("{prefix}.idx")).exists()
        );
        let docs = out.join(format!(
            "documents/{}.parquet",
            prefix.strip_prefix("tokens/").unwrap()
        ));
        assert!(docs.exists(), "{}", docs.display());
    }
    assert!(out.join("_SUCCESS").exists());

    // inspect decodes it back to text with the tokenizer named in the index.
    let first = index["outputs"][0]["prefix"].as_str().unwrap();
    let o = util::run_in(
        &util::repo(),
        &[
            "inspect",
            out.join(first).to_str().unwrap(),
            "--docs",
            "1",
            "--max-chars",
            "100000",
        ],
    );
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains("uint16") && all.contains("<|endoftext|>"),
        "{all}"
    );
}

#[test]
fn output_is_identical_for_any_thread_count_and_world_size() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["--set", "input.batch_docs=7"];
        args.extend_from_slice(extra);
        let o = util::quickstart(&out, &args);
        assert!(o.status.success(), "{name}: {}", util::text(&o));
        out
    };
    let tokens = |out: &std::path::Path| {
        util::tree(out)
            .into_iter()
            .filter(|(k, _)| {
                k.starts_with("tokens/") || k.starts_with("documents/") || k == "_dataset.json"
            })
            .collect::<Vec<_>>()
    };
    let one = tokens(&run("t1", &["--threads", "1"]));
    let two = tokens(&run("t2", &["--threads", "2", "--open-shards", "1"]));
    assert!(one == two, "thread count changed the output");
    // Three ranks one after the other into one directory: the last writes the index.
    let out = dir.path().join("w3");
    for rank in ["0", "1", "2"] {
        let o = util::quickstart(
            &out,
            &[
                "--set",
                "input.batch_docs=7",
                "--rank",
                rank,
                "--world-size",
                "3",
            ],
        );
        assert!(o.status.success(), "rank {rank}: {}", util::text(&o));
    }
    assert!(tokens(&out) == one, "world size changed the output");
}

#[test]
fn sagemaker_training_train_argument_is_ignored_and_the_rank_source_is_logged() {
    let o = util::run_in(
        &util::repo(),
        &["train", "validate", "pipelines/quickstart.toml"],
    );
    assert!(o.status.success(), "{}", util::text(&o));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = util::shardwise()
        .current_dir(util::repo())
        .env("SHARDWISE_LOG", "info")
        .env("SHARDWISE_RANK", "1")
        .env("SHARDWISE_WORLD_SIZE", "2")
        .args([
            "run",
            "pipelines/quickstart.toml",
            "--out",
            out.to_str().unwrap(),
            "--progress-secs",
            "0",
        ])
        .output()
        .unwrap();
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains("rank=1 world_size=2 source=env SHARDWISE_RANK"),
        "{all}"
    );
    assert!(all.contains("rank 1 of 2: 2 of 4 shards"), "{all}");
    assert!(!out.join("_SUCCESS").exists(), "rank 0 has not run yet");
}

#[test]
fn presharded_input_is_read_whole_by_each_rank_and_indexed_once_all_ranks_finish() {
    // Like SageMaker ShardedByS3Key: each instance sees only its own files.
    let dir = tempfile::tempdir().unwrap();
    let data = util::repo().join("examples/data");
    let mut names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".gz") || n.ends_with(".zst"))
        .collect();
    names.sort();
    for (i, n) in names.iter().enumerate() {
        let node = dir.path().join(format!("node-{}", i % 2));
        std::fs::create_dir_all(&node).unwrap();
        std::fs::copy(data.join(n), node.join(n)).unwrap();
    }
    let single = dir.path().join("single");
    let o = util::quickstart(&single, &[]);
    assert!(o.status.success(), "{}", util::text(&o));

    let out = dir.path().join("job");
    for rank in 0..2 {
        let paths = format!(
            "input.paths=[\"{}/\"]",
            dir.path().join(format!("node-{rank}")).display()
        );
        let o = util::shardwise()
            .current_dir(util::repo())
            .env("SHARDWISE_RANK", rank.to_string())
            .env("SHARDWISE_WORLD_SIZE", "2")
            .args([
                "run",
                "pipelines/quickstart.toml",
                "--out",
                out.to_str().unwrap(),
                "--progress-secs",
                "0",
            ])
            .args(["--set", &paths, "--set", "input.presharded=true"])
            .output()
            .unwrap();
        let all = util::text(&o);
        assert!(o.status.success(), "rank {rank}: {all}");
        assert!(
            all.contains(&format!("rank {rank} of 2: 2 of 2 shards")),
            "each rank reads all it sees: {all}"
        );
        assert_eq!(
            out.join("_SUCCESS").exists(),
            rank == 1,
            "the index waits for every rank: {all}"
        );
    }
    let files = |root: &std::path::Path| {
        util::tree(root)
            .into_iter()
            .filter(|(k, _)| k.starts_with("tokens/"))
            .collect::<Vec<_>>()
    };
    assert!(
        files(&out) == files(&single),
        "presharded ranks together equal the single run"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_dataset.json")).unwrap()).unwrap();
    assert_eq!(index["outputs"].as_array().unwrap().len(), 4, "{index:#}");
}

#[test]
fn a_presharded_rank_given_nothing_finishes_and_the_job_completes() {
    // More instances than objects: SageMaker gives one instance an empty directory.
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("node-0");
    let empty = dir.path().join("node-1");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    let data = util::repo().join("examples/data");
    std::fs::copy(
        data.join("pile-sample-00.jsonl.zst"),
        full.join("pile-sample-00.jsonl.zst"),
    )
    .unwrap();
    let out = dir.path().join("job");
    for (rank, input) in [(1, &empty), (0, &full)] {
        let paths = format!("input.paths=[\"{}/\"]", input.display());
        let o = util::shardwise()
            .current_dir(util::repo())
            .args([
                "run",
                "pipelines/quickstart.toml",
                "--out",
                out.to_str().unwrap(),
                "--progress-secs",
                "0",
            ])
            .args(["--rank", &rank.to_string(), "--world-size", "2"])
            .args(["--set", &paths, "--set", "input.presharded=true"])
            .output()
            .unwrap();
        assert!(o.status.success(), "rank {rank}: {}", util::text(&o));
    }
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_dataset.json")).unwrap()).unwrap();
    assert_eq!(index["outputs"].as_array().unwrap().len(), 1, "{index:#}");
    // Without presharded, a path that matches nothing is still an error.
    let o = util::quickstart(
        &out,
        &["--set", &format!("input.paths=[\"{}/\"]", empty.display())],
    );
    assert_eq!(o.status.code(), Some(2), "{}", util::text(&o));
}

#[test]
fn sql_filters_on_the_language_score() {
    let Some(model) = util::shared("models/lid.176.ftz") else {
        eprintln!("SHARDWISE_SHARED unset, so no language model: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let wet = util::repo().join("examples/data/CC-SAMPLE-2024-22-00000.warc.wet.gz");
    // `language` keeps every language above its default threshold; `sql`
    // then keeps the surer ones.
    let p = dir.path().join("p.toml");
    std::fs::write(
        &p,
        format!(
            "version = 1\n[input]\npaths = [{wet:?}]\n\
             [[stage]]\nkind = \"language\"\nmodel = {model:?}\n\
             [[stage]]\nkind = \"sql\"\nwhere = \"language_score > 0.9\"\n\
             [output]\nuri = \"unused\"\n"
        ),
    )
    .unwrap();
    let o = util::run_pipeline(&p, &dir.path().join("out"));
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    let stdout = all.split("--- stderr").next().unwrap();
    let (docs_in, docs_out) = (
        util::step_docs(stdout, "sql", 1),
        util::step_docs(stdout, "sql", 2),
    );
    // Some documents are identified with less confidence than that, most are not.
    assert!(0 < docs_out && docs_out < docs_in, "{all}");
    assert!(all.contains("sql=") && docs_in > 50, "{all}");
}

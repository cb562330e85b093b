//! `shardwise validate` and `shardwise list`.
//!
//! Every file in `tests/data/broken/` has a golden test below asserting its exact
//! messages (`line:col: field.path: message`); files in `tests/data/valid/` must
//! pass. `--set` overrides are checked both when they fix a file and when they are
//! themselves wrong.

use std::process::Output;

use crate::util;

/// Runs `shardwise validate ARGS` from the repository root, so fixture paths in
/// messages are the relative paths given here.
fn validate(args: &[&str]) -> Output {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    util::run_in(&util::repo(), &all)
}

/// The message lines of a failed run (stderr without the closing summary).
fn messages(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("error: "))
        .map(str::to_string)
        .collect()
}

/// Asserts that lines equal `expected`, with a readable diff otherwise.
fn assert_lines(got: &[String], expected: &[String], out: &Output) {
    if got != expected {
        let mut diff = String::new();
        for l in expected.iter().filter(|l| !got.contains(l)) {
            diff.push_str(&format!("- {l}\n"));
        }
        for l in got.iter().filter(|l| !expected.contains(l)) {
            diff.push_str(&format!("+ {l}\n"));
        }
        panic!(
            "messages differ (- expected, + got):\n{diff}\nexpected:\n{}\n\n{}",
            expected.join("\n"),
            util::text(out)
        );
    }
}

/// Validates the broken fixture `file` (structure only) and asserts it fails with
/// exactly `expected`, each line given without the leading `path:`.
fn assert_broken(file: &str, expected: &[&str]) {
    let path = format!("tests/data/broken/{file}");
    let out = validate(&["--no-env", &path]);
    assert_eq!(out.status.code(), Some(2), "{}", util::text(&out));
    assert!(out.stdout.is_empty(), "{}", util::text(&out));
    let expected: Vec<String> = expected.iter().map(|l| format!("{path}:{l}")).collect();
    assert_lines(&messages(&out), &expected, &out);
}

/// Declares one golden test per broken fixture, and the list of fixtures covered.
macro_rules! broken {
    ($($test:ident: $file:literal => [$($line:literal),* $(,)?];)*) => {
        const BROKEN: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                assert_broken($file, &[$($line),*]);
            }
        )*
    };
}

broken! {
    unknown_kind_lists_the_valid_kinds: "unknown_kind.toml" => [
        "7:8: stage[0].kind: unknown stage kind `lenght`; valid kinds: c4_badwords, c4_quality, fineweb_quality, gopher_quality, gopher_repetition, language, length, regex, sql, tokenize, url_filter",
    ];
    wrong_field_type_names_the_expected_type: "wrong_type.toml" => [
        "8:13: stage[0].min_chars: invalid type: string \"ten\", expected usize",
    ];
    unknown_field_lists_the_valid_fields: "unknown_field.toml" => [
        "9:1: stage[0].min_wrds: unknown field `min_wrds`, expected one of `min_chars`, `max_chars`, `min_words`",
    ];
    missing_tokenizer_points_at_the_stage_table: "missing_tokenizer.toml" => [
        "10:1: stage[1].tokenizer: missing field `tokenizer`",
    ];
    missing_output_uri_points_at_the_output_table: "missing_output_uri.toml" => [
        "6:1: output.uri: missing field `uri`",
    ];
    unsupported_uri_scheme_is_rejected: "bad_uri_scheme.toml" => [
        "7:7: output.uri: gs://x: unsupported URI scheme `gs://` (use a local path, file:// or s3://)",
    ];
    wrong_version_says_which_one_is_read: "wrong_version.toml" => [
        "1:11: version: unsupported version 2; this build reads version 1",
    ];
    syntax_error_has_line_and_column: "syntax_error.toml" => [
        "7:7: string values must be quoted, expected literal string",
    ];
    unknown_top_level_key_lists_the_valid_keys: "unknown_top_level_key.toml" => [
        "6:3: stages: unknown key `stages`; valid keys: version, name, input, stage, output, storage",
    ];
    every_error_of_a_file_is_reported_in_one_run: "many_errors.toml" => [
        "3:1: nmae: unknown key `nmae`; valid keys: version, name, input, stage, output, storage",
        "6:26: input.paths[1]: gs://bucket/x.jsonl: unsupported URI scheme `gs://` (use a local path, file:// or s3://)",
        "7:10: input.format: unknown variant `csv`, expected one of `auto`, `wet`, `warc`, `jsonl`, `parquet`",
        "11:13: stage[0].min_chars: invalid value: integer `-5`, expected usize",
        "12:1: stage[0].min_wrds: unknown field `min_wrds`, expected one of `min_chars`, `max_chars`, `min_words`",
        "15:8: stage[1].kind: unknown stage kind `dedup`; valid kinds: c4_badwords, c4_quality, fineweb_quality, gopher_quality, gopher_repetition, language, length, regex, sql, tokenize, url_filter",
        "19:13: stage[2].tokenizer: invalid type: integer `7`, expected a string",
        "21:1: output.uri: missing field `uri`",
    ];
    tokenize_must_be_the_last_stage: "tokenize_not_last.toml" => [
        "7:8: stage[0].kind: tokenize must be the last stage, but stage[1] (length) follows it",
    ];
    only_one_tokenize_stage_is_allowed: "two_tokenizers.toml" => [
        "11:8: stage[1].kind: only one tokenize stage is allowed; stage[0] already tokenizes",
    ];
    invalid_sql_predicate_is_caught_before_running: "bad_sql.toml" => [
        "8:1: stage[0].where: invalid predicate: Error during planning: Invalid function 'lenght'.",
    ];
    input_needs_paths_or_manifest: "no_input.toml" => [
        "3:1: input: no input: set input.paths or input.manifest",
    ];
    input_takes_paths_or_manifest_not_both: "paths_and_manifest.toml" => [
        "5:1: input.manifest: input.paths and input.manifest are both set; use one of them",
    ];
    stage_checks_point_at_the_field: "max_below_min.toml" => [
        "9:1: stage[0].max_chars: is 100, below min_chars (200)",
    ];
    missing_version_and_kind_are_both_reported: "missing_version_and_kind.toml" => [
        "1:1: version: missing field `version`; add `version = 1` at the top",
        "4:1: stage[0].kind: missing field `kind`; valid kinds: c4_badwords, c4_quality, fineweb_quality, gopher_quality, gopher_repetition, language, length, regex, sql, tokenize, url_filter",
    ];
}

#[test]
fn every_broken_fixture_has_a_golden_test() {
    let dir = util::repo().join("tests/data/broken");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut covered: Vec<String> = BROKEN.iter().map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(
        files,
        covered,
        "add a golden test for each file in {}",
        dir.display()
    );
}

#[test]
fn valid_files_print_ok_and_exit_0() {
    let out = validate(&[
        "--no-env",
        "tests/data/valid/minimal.toml",
        "tests/data/valid/tokenize.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", util::text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok: tests/data/valid/minimal.toml\nok: tests/data/valid/tokenize.toml\n"
    );
    assert!(out.stderr.is_empty(), "{}", util::text(&out));
}

#[test]
fn environment_pass_loads_the_tokenizer() {
    let out = validate(&["tests/data/valid/tokenize.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", util::text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok: tests/data/valid/tokenize.toml\n"
    );
}

#[test]
fn environment_pass_reports_a_missing_tokenizer_and_no_env_skips_it() {
    let file = "tests/data/valid/tokenizer_not_found.toml";
    let out = validate(&[file]);
    assert_eq!(out.status.code(), Some(2), "{}", util::text(&out));
    assert_lines(
        &messages(&out),
        &[format!(
            "{file}: stage[0].tokenizer: tests/data/valid/no-such-tokenizer.json: not found"
        )],
        &out,
    );
    let out = validate(&["--no-env", file]);
    assert_eq!(out.status.code(), Some(0), "{}", util::text(&out));
}

#[test]
fn every_file_is_checked_and_one_failure_exits_2() {
    let out = validate(&[
        "--no-env",
        "tests/data/valid/minimal.toml",
        "tests/data/broken/wrong_version.toml",
        "tests/data/broken/no-such-file.toml",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", util::text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok: tests/data/valid/minimal.toml\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("tests/data/broken/wrong_version.toml:1:11: version: unsupported version 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tests/data/broken/no-such-file.toml: cannot read pipeline file"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: 2 of 3 pipeline files failed validation\n"),
        "{stderr}"
    );
}

#[test]
fn set_overrides_apply_before_validation() {
    let out = validate(&[
        "--no-env",
        "tests/data/broken/wrong_type.toml",
        "tests/data/broken/bad_uri_scheme.toml",
        "tests/data/broken/missing_output_uri.toml",
        "--set",
        "stage[0].min_chars=50",
        "--set",
        "output.uri=s3://b/x/",
    ]);
    // wrong_type.toml has a stage[0]; the other two have none, so for them the
    // index is out of range: overrides apply to every file given.
    assert_eq!(out.status.code(), Some(2), "{}", util::text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok: tests/data/broken/wrong_type.toml\n"
    );
    let expected: Vec<String> = ["bad_uri_scheme", "missing_output_uri"]
        .iter()
        .map(|f| {
            format!("tests/data/broken/{f}.toml: --set stage[0].min_chars=50: stage[0]: index out of range; `stage` is not set")
        })
        .collect();
    assert_lines(&messages(&out), &expected, &out);

    let out = validate(&[
        "--no-env",
        "tests/data/broken/missing_output_uri.toml",
        "--set",
        "output.uri=out/",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", util::text(&out));
}

#[test]
fn wrong_set_overrides_are_reported_at_the_flag() {
    let file = "tests/data/valid/minimal.toml";
    let out = validate(&[
        "--no-env",
        file,
        "--set",
        "stage[0].min_chars=ten",
        "--set",
        "stage[9].min_chars=1",
        "--set",
        "output.uri=gs://x",
        "--set",
        "input.paths=[\"a\", 3]",
        "--set",
        "stage[1].kind=lenght",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", util::text(&out));
    let expected: Vec<String> = [
        "--set stage[0].min_chars=ten: stage[0].min_chars: invalid type: string \"ten\", expected usize",
        "--set stage[9].min_chars=1: stage[9]: index out of range; `stage` has 2 entries",
        "--set output.uri=gs://x: output.uri: gs://x: unsupported URI scheme `gs://` (use a local path, file:// or s3://)",
        "--set input.paths=[\"a\", 3]: input.paths[1]: invalid type: integer `3`, expected a string",
        "--set stage[1].kind=lenght: stage[1].kind: unknown stage kind `lenght`; valid kinds: c4_badwords, c4_quality, fineweb_quality, gopher_quality, gopher_repetition, language, length, regex, sql, tokenize, url_filter",
    ]
    .iter()
    .map(|l| format!("{file}: {l}"))
    .collect();
    assert_lines(&messages(&out), &expected, &out);
}

#[test]
fn list_shows_every_kind_with_fields_and_defaults() {
    let out = util::run_in(&util::repo(), &["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", util::text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for kind in ["length", "sql", "tokenize"] {
        assert!(
            stdout.contains(&format!("kind = \"{kind}\"")),
            "{kind} missing:\n{stdout}"
        );
    }
    let row = |field: &str| -> Vec<String> {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(field))
            .unwrap_or_else(|| panic!("no row for {field}:\n{stdout}"));
        line.split_whitespace()
            .take(3)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(row("min_chars"), ["min_chars", "usize", "0"]);
    assert_eq!(row("tokenizer"), ["tokenizer", "String", "required"]);
    assert_eq!(row("uri"), ["uri", "String", "required"]);
    assert!(
        stdout.contains("\n[input]\n") && stdout.contains("\n[output]\n"),
        "{stdout}"
    );
}

//! `shardwise validate`: checks pipeline files and reports every problem at once.
//!
//! Two passes per file: structure (the whole file, every error with
//! `file:line:col` and the field path), then, unless `--no-env`, the environment
//! (tokenizer files load, stores are reachable). Prints `ok: FILE` for a good file;
//! exits 2 when any file has a problem. It never runs a pipeline.

use shardwise::config;
use shardwise::error::ConfigError;

/// Arguments of `shardwise validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Pipeline files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Override a field by its dotted path before checking
    /// (`output.uri=s3://b/x/`, `stage[1].min_chars=50`); repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Skip the environment pass (loading tokenizers, reaching stores).
    #[arg(long)]
    pub no_env: bool,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut invalid = 0;
    for file in &args.files {
        let problems = match config::load_file(file, &args.set) {
            Err(ConfigError::Invalid(lines)) => lines,
            Err(e @ ConfigError::Message(_)) => vec![e.to_string()],
            Ok(_) if args.no_env => Vec::new(),
            Ok(pipeline) => config::check_environment(&pipeline, &pipeline.stores())
                .into_iter()
                .map(|m| format!("{file}: {m}"))
                .collect(),
        };
        if problems.is_empty() {
            println!("ok: {file}");
        } else {
            invalid += 1;
            for p in problems {
                eprintln!("{p}");
            }
        }
    }
    if invalid > 0 {
        let total = args.files.len();
        eprintln!("error: {invalid} of {total} pipeline files failed validation");
        return Ok(2);
    }
    Ok(0)
}

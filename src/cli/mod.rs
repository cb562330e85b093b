//! Command-line interface: one module per subcommand.

pub mod bench;
pub mod inspect;
pub mod list;
pub mod plan;
pub mod report;
pub mod run;
pub mod tokenizer;
pub mod validate;

use clap::{Parser, Subcommand};

/// shardwise: raw web and book corpora in, training-ready token files out.
#[derive(Debug, Parser)]
#[command(name = "shardwise", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline (this rank's share of it).
    Run(run::Args),
    /// Check pipeline files and report every problem at once.
    Validate(validate::Args),
    /// Print every stage kind with its documented fields and defaults.
    List(list::Args),
    /// Show which shards each rank takes.
    Plan(plan::Args),
    /// Decode a token file back to text.
    Inspect(inspect::Args),
    /// Count what a finished run removed, per stage and reason.
    Report(report::Args),
    /// Tokenizer tools.
    Tokenizer(tokenizer::Args),
    /// Measure throughput and memory against the peer baselines.
    Bench(bench::Args),
}

/// Runs a parsed command line; returns the process exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Validate(a) => validate::run(a),
        Command::List(a) => list::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Report(a) => report::run(a),
        Command::Tokenizer(a) => tokenizer::run(a),
        Command::Bench(a) => bench::run(a),
    }
}

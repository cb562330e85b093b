//! The `shardwise` binary: parse the command line, run, map errors to exit codes.

mod cli;

use clap::Parser;

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHARDWISE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();

    // SageMaker Training starts the container as `image train`.
    let args = std::env::args_os()
        .enumerate()
        .filter(|(i, a)| !(*i == 1 && a == "train"))
        .map(|(_, a)| a);
    let cli = cli::Cli::parse_from(args);
    let code = match cli::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            err.downcast_ref::<shardwise::error::Error>()
                .map_or(1, |e| e.exit_code())
        }
    };
    std::process::exit(code);
}

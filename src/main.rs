//! The `shardwise` binary: parse the command line, run, map errors to exit codes.
//!
//! Under SageMaker, a fatal error's message also goes to the job's failure file
//! (see [`shardwise::sagemaker`]), so the console says why the job failed.

mod cli;

use std::panic::AssertUnwindSafe;

use clap::Parser;
use shardwise::cluster;
use shardwise::exec::progress;
use shardwise::sagemaker;

fn main() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("SHARDWISE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The AWS SDK prints resolved credentials (the access key id) and signed
    // requests at debug and trace: keep its crates at warn whatever the level.
    for target in [
        "aws_config",
        "aws_sdk_s3",
        "aws_sigv4",
        "aws_smithy_runtime",
        "aws_smithy_runtime_api",
        "aws_smithy_http_client",
        "aws_credential_types",
        "hyper",
        "hyper_util",
        "rustls",
    ] {
        if let Ok(d) = format!("{target}=warn").parse() {
            filter = filter.add_directive(d);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress::log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();

    // SageMaker Training starts the container as `image train`.
    let args = std::env::args_os()
        .enumerate()
        .filter(|(i, a)| !(*i == 1 && a == "train"))
        .map(|(_, a)| a);
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are not failures.
            if e.use_stderr() {
                let message = e.to_string();
                record_failure(message.strip_prefix("error: ").unwrap_or(&message));
            }
            e.exit()
        }
    };
    let code = match std::panic::catch_unwind(AssertUnwindSafe(|| cli::dispatch(cli))) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            let message = format!("{err:#}");
            eprintln!("error: {message}");
            record_failure(&message);
            err.downcast_ref::<shardwise::error::Error>()
                .map_or(1, |e| e.exit_code())
        }
        Err(panic) => {
            // The panic hook has printed it; exit as an unhandled panic would.
            let what = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("panic");
            record_failure(&format!(
                "internal error (this is a bug in shardwise): {what}"
            ));
            std::panic::resume_unwind(panic)
        }
    };
    std::process::exit(code);
}

/// Writes a fatal error to the SageMaker failure file when running as a
/// SageMaker job. A failure to write it is logged; the error itself still wins.
fn record_failure(message: &str) {
    let env = |k: &str| std::env::var(k).ok();
    let opt_ml = cluster::opt_ml_root(&env);
    match sagemaker::write_failure(&opt_ml, message) {
        Ok(Some(path)) => tracing::debug!(path = %path.display(), "failure reason written"),
        Ok(None) => {}
        Err(e) => tracing::warn!(
            dir = %opt_ml.display(),
            "cannot write the sagemaker failure file: {e}"
        ),
    }
}

//! `shardwise tokenizer`. TODO.

/// Arguments of `shardwise tokenizer`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}

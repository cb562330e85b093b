//! `shardwise tokenizer train`: a byte-level BPE tokenizer from your own shards.
//!
//! Reads the shards with the same readers as `run` (any format, any compression)
//! and trains with the `tokenizers` crate's BPE trainer. The project's quickstart
//! tokenizer (`examples/data/tokenizer.json`) was made this way.

use anyhow::Context;
use clap::Subcommand;

use shardwise::formats::{self, Format, ReadOptions};
use shardwise::store::Stores;
use shardwise::tokenizer::train;

/// Arguments of `shardwise tokenizer`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokenizerCommand,
}

#[derive(Debug, Subcommand)]
enum TokenizerCommand {
    /// Train a byte-level BPE tokenizer (GPT-2 style) on shards.
    Train(TrainArgs),
}

#[derive(Debug, clap::Args)]
struct TrainArgs {
    /// Shards to learn from (WET, JSONL, Parquet; any compression).
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Where to write the tokenizer.json.
    #[arg(long)]
    out: String,
    /// Vocabulary size, including the 256 byte tokens and `<|endoftext|>`.
    #[arg(long, default_value_t = 4096)]
    vocab_size: usize,
    /// Merges seen fewer times than this are not learned.
    #[arg(long, default_value_t = 2)]
    min_frequency: u64,
    /// JSONL/Parquet text field.
    #[arg(long, default_value = "text")]
    text_field: String,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    match args.command {
        TokenizerCommand::Train(a) => train_cmd(a),
    }
}

fn train_cmd(a: TrainArgs) -> anyhow::Result<i32> {
    let stores = Stores::new();
    let options = ReadOptions {
        format: Format::Auto,
        text_field: a.text_field.clone(),
        ..Default::default()
    };
    // Read every document up front: training needs several passes' worth of
    // counts anyway, and sample corpora for tokenizers are small.
    let mut texts = Vec::new();
    for (i, uri) in a.inputs.iter().enumerate() {
        let store = stores.for_uri(uri)?;
        let mut reader = formats::open(store.as_ref(), uri, i as u32, &options)?;
        while let Some(batch) = reader.next_batch()? {
            let cols = shardwise::document::Columns::of(&batch);
            texts.extend(cols.text.iter().flatten().map(str::to_string));
        }
        for issue in reader.take_issues() {
            eprintln!("warning: {issue}; skipped");
        }
    }
    anyhow::ensure!(!texts.is_empty(), "no documents found in the inputs");
    let docs = texts.len();
    let json = train::train_bpe(texts.into_iter(), a.vocab_size, a.min_frequency)?;
    let store = stores.for_uri(&a.out)?;
    store
        .put(&a.out, json.as_bytes())
        .with_context(|| format!("writing {}", a.out))?;
    eprintln!("trained on {docs} documents; wrote {}", a.out);
    Ok(0)
}

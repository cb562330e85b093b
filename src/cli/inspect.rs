//! `shardwise inspect`: summarize a Megatron token file pair and decode its first
//! documents back to text.
//!
//! The tokenizer comes from `--tokenizer`, else from the `_dataset.json` found by
//! walking up from the prefix to the output root. Reading goes through the store
//! and streams `.bin` only as far as the documents shown.

use std::io::Write;

use anyhow::Context;
use shardwise::error::{ConfigError, Error, StoreError};
use shardwise::store::{self, Store, Stores};
use shardwise::tokenizer::{Encoder, HfTokenizer};
use shardwise::writers::megatron::{self, MegatronIndex};

/// Arguments of `shardwise inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Token file prefix, e.g. `out/tokens/3f/stem` (the `.idx` or `.bin` path works too), or a URI.
    pub prefix: String,
    /// The `tokenizer.json` to decode with (default: the one named in the output's `_dataset.json`).
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<String>,
    /// How many documents to decode.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub docs: usize,
    /// Show at most this many characters of each document.
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub max_chars: usize,
    /// Print token ids instead of decoding (no tokenizer needed).
    #[arg(long)]
    pub ids: bool,
}

/// The dataset index written at finalize, as far as `inspect` needs it.
const DATASET_INDEX: &str = "_dataset.json";

pub fn run(args: Args) -> anyhow::Result<i32> {
    let prefix = megatron::prefix_of(&args.prefix).to_string();
    let stores = Stores::new();
    let store = stores.for_uri(&prefix).map_err(Error::from)?;
    let index = MegatronIndex::load(store.as_ref(), &prefix)?;

    let encoder = if args.ids || args.docs == 0 {
        None
    } else {
        Some(load_tokenizer(
            &stores,
            store.as_ref(),
            &prefix,
            args.tokenizer.as_deref(),
        )?)
    };

    let mut out = std::io::stdout().lock();
    match summarize(&mut out, &prefix, &index) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        r => r.map_err(|e| Error::from(StoreError::io("stdout", "write", e)))?,
    }
    // `inspect ... | head` closes stdout early; that is not an error.
    let mut closed = false;
    megatron::for_each_document(
        store.as_ref(),
        &prefix,
        &index,
        Some(args.docs),
        |doc, tokens| {
            if closed {
                return Ok(());
            }
            let shown = match &encoder {
                Some(enc) => {
                    let text = enc.decode(tokens).map_err(|e| {
                        config(format!(
                            "document {doc}: the tokenizer cannot decode its ids ({e}); \
                         is it the tokenizer the file was made with?"
                        ))
                    })?;
                    truncate(&text, args.max_chars)
                }
                None => truncate(&format!("{tokens:?}"), args.max_chars),
            };
            match writeln!(out, "--- document {doc} ({} tokens)\n{shown}", tokens.len()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => closed = true,
                r => r.map_err(|e| StoreError::io("stdout", "write", e))?,
            }
            Ok(())
        },
    )?;
    Ok(0)
}

fn summarize(out: &mut impl Write, prefix: &str, index: &MegatronIndex) -> std::io::Result<()> {
    let docs = index.num_docs();
    let tokens = index.num_tokens();
    writeln!(out, "{prefix}")?;
    writeln!(out, "documents: {docs}")?;
    writeln!(out, "tokens:    {tokens}")?;
    writeln!(out, "dtype:     {}", index.dtype)?;
    if docs > 0 {
        let (min, max) = (0..docs)
            .map(|d| index.doc_len(d))
            .fold((u64::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
        let mean = tokens as f64 / docs as f64;
        writeln!(
            out,
            "tokens per document: min {min}, mean {mean:.1}, max {max}"
        )?;
    }
    Ok(())
}

/// At most `max` characters, with a note of how many were cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}… [{rest} more characters]", &text[..cut])
        }
    }
}

/// `--tokenizer`, else the `tokenizer` of the nearest `_dataset.json` above `prefix`.
fn load_tokenizer(
    stores: &Stores,
    store: &dyn Store,
    prefix: &str,
    flag: Option<&str>,
) -> anyhow::Result<HfTokenizer> {
    let (path, origin) = match flag {
        Some(p) => (p.to_string(), "--tokenizer".to_string()),
        None => tokenizer_from_dataset(stores, store, prefix)?.ok_or_else(|| {
            config(format!(
                "no {DATASET_INDEX} found above {prefix} to name the tokenizer; \
                 pass --tokenizer PATH (or --ids to print token ids)"
            ))
        })?,
    };
    let bytes = stores
        .for_uri(&path)
        .and_then(|s| s.get(&path))
        .map_err(Error::from)
        .with_context(|| format!("loading the tokenizer named by {origin}"))?;
    Ok(HfTokenizer::from_bytes(&path, &bytes)?)
}

/// Walks up from the prefix; the first `_dataset.json` found names the tokenizer.
/// A relative tokenizer path that does not exist as given is tried next to the
/// dataset index. Returns the tokenizer and the dataset index naming it.
fn tokenizer_from_dataset(
    stores: &Stores,
    store: &dyn Store,
    prefix: &str,
) -> Result<Option<(String, String)>, Error> {
    let mut dir = parent(prefix);
    while let Some(d) = dir {
        let uri = store::join(d, DATASET_INDEX);
        if store.exists(&uri)? {
            let bytes = store.get(&uri)?;
            let json: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| config(format!("{uri}: not valid JSON ({e})")))?;
            let Some(tok) = json.get("tokenizer") else {
                return Err(config(format!(
                    "{uri} has no `tokenizer` field; pass --tokenizer PATH"
                )));
            };
            let Some(tok) = tok.as_str() else {
                return Err(config(format!(
                    "{uri}: `tokenizer` is {tok}, expected a path or URI string"
                )));
            };
            let relative = !tok.contains("://") && !std::path::Path::new(tok).is_absolute();
            if relative && !d.is_empty() && !stores.for_uri(tok)?.exists(tok)? {
                let beside = store::join(d, tok);
                if store.exists(&beside)? {
                    return Ok(Some((beside, uri)));
                }
            }
            return Ok(Some((tok.to_string(), uri)));
        }
        dir = parent(d);
    }
    Ok(None)
}

fn config(msg: String) -> Error {
    ConfigError::msg(msg).into()
}

/// The URI one level up (`out/tokens/3f/stem` → `out/tokens/3f`), `""` for the
/// current directory, `None` above the root or the bucket.
fn parent(uri: &str) -> Option<&str> {
    let (scheme, path) = match uri.find("://") {
        Some(i) => uri.split_at(i + 3),
        None => ("", uri),
    };
    let path = path.trim_end_matches('/');
    // The bucket of `s3://bucket/...` is as high as we go.
    let floor = if scheme == "s3://" {
        path.find('/').map_or(path.len(), |i| i)
    } else {
        0
    };
    match path.rfind('/') {
        Some(0) if floor == 0 && path.len() > 1 => Some(&uri[..scheme.len() + 1]),
        Some(i) if i >= floor && i > 0 => Some(&uri[..scheme.len() + i]),
        None if scheme.is_empty() && !path.is_empty() && path != "." && path != ".." => Some(""),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_walk_up_to_the_root_or_bucket() {
        let chain = |mut u: &str| {
            let mut v = Vec::new();
            while let Some(p) = parent(u) {
                v.push(p.to_string());
                u = p;
            }
            v
        };
        assert_eq!(
            chain("out/tokens/3f/stem"),
            ["out/tokens/3f", "out/tokens", "out", ""]
        );
        assert_eq!(chain("/data/out/t"), ["/data/out", "/data", "/"]);
        assert_eq!(
            chain("s3://b/run/tokens/3f/s"),
            [
                "s3://b/run/tokens/3f",
                "s3://b/run/tokens",
                "s3://b/run",
                "s3://b"
            ]
        );
        assert_eq!(chain("file:///o/t"), ["file:///o", "file:///"]);
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo", 2), "hé… [3 more characters]");
    }
}

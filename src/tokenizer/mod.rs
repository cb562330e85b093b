//! The tokenizer behind a small trait, so a faster exact backend can replace it.
//!
//! [`Encoder`] is all the `tokenize` stage and `inspect` need: encode with the
//! tokenizer's own post-processing (special tokens), decode, vocabulary size and
//! special-token lookup. [`HfTokenizer`] implements it with the `tokenizers` crate
//! from a `tokenizer.json`; [`train`] builds a small byte-level BPE tokenizer.
//! Tokenization dominates end-to-end time, so keep this boundary narrow.

pub mod train;

use crate::error::{ConfigError, Error};

/// Exact text → ids encoding, as the Python `tokenizers` package does it.
pub trait Encoder: Send + Sync {
    /// Appends the ids of `text` to `out`. With `special`, the tokenizer's own
    /// post-processor adds its special tokens (e.g. Llama's BOS), as
    /// `Tokenizer.encode(text)` does by default in Python.
    fn encode(&self, text: &str, special: bool, out: &mut Vec<u32>) -> Result<(), String>;

    /// Ids back to text (special tokens kept, so documents stay visible).
    fn decode(&self, ids: &[u32]) -> Result<String, String>;

    /// Vocabulary size including added tokens.
    fn vocab_size(&self) -> usize;

    /// The id of a token, e.g. `<|endoftext|>`.
    fn token_to_id(&self, token: &str) -> Option<u32>;
}

/// A `tokenizer.json` loaded with the Hugging Face `tokenizers` crate.
pub struct HfTokenizer {
    inner: tokenizers::Tokenizer,
}

impl HfTokenizer {
    /// Parses a `tokenizer.json`; `origin` names it in errors.
    pub fn from_bytes(origin: &str, bytes: &[u8]) -> Result<Self, Error> {
        let inner = tokenizers::Tokenizer::from_bytes(bytes)
            .map_err(|e| ConfigError::msg(format!("{origin}: not a valid tokenizer.json ({e})")))?;
        Ok(Self { inner })
    }
}

impl Encoder for HfTokenizer {
    fn encode(&self, text: &str, special: bool, out: &mut Vec<u32>) -> Result<(), String> {
        let enc = self
            .inner
            .encode_fast(text, special)
            .map_err(|e| e.to_string())?;
        out.extend_from_slice(enc.get_ids());
        Ok(())
    }

    fn decode(&self, ids: &[u32]) -> Result<String, String> {
        self.inner.decode(ids, false).map_err(|e| e.to_string())
    }

    fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }
}

/// End-of-text token names tried, in order, when a pipeline does not name one.
pub const EOS_CANDIDATES: &[&str] = &["<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>", "[SEP]"];
/// Beginning-of-text token names tried, in order.
pub const BOS_CANDIDATES: &[&str] = &[
    "<s>",
    "<|begin_of_text|>",
    "<bos>",
    "<|endoftext|>",
    "[CLS]",
];

/// Resolves a special token: the configured name, or the first known candidate.
pub fn special_id(
    enc: &dyn Encoder,
    configured: Option<&str>,
    candidates: &[&str],
) -> Result<u32, String> {
    match configured {
        Some(name) => enc
            .token_to_id(name)
            .ok_or_else(|| format!("token `{name}` is not in the tokenizer's vocabulary")),
        None => candidates
            .iter()
            .find_map(|c| enc.token_to_id(c))
            .ok_or_else(|| {
                format!(
                    "the tokenizer has none of {}; name the token explicitly",
                    candidates.join(", ")
                )
            }),
    }
}

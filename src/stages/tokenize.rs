//! `tokenize`: adds a `tokens` column (list of u32 ids) to every batch.
//!
//! The tokenizer's own post-processor runs by default (`add_special_tokens`), so
//! the ids equal Python's `Tokenizer.encode(text).ids`; `bos` and `eos` add
//! tokens explicitly on top and never remove the tokenizer's own.

use std::sync::Arc;

use arrow::array::{ArrayRef, ListBuilder, RecordBatch, UInt32Builder};
use arrow::datatypes::{DataType, Field};

use super::{Output, Stage, StageConfigure, StageContext};
use crate::document::{self, Columns};
use crate::error::Error;
use crate::tokenizer::{self, Encoder, HfTokenizer};

crate::config_struct! {
    /// Tokenizes `text` with a Hugging Face `tokenizer.json`.
    pub struct TokenizeConfig {
        /// Path or URI of a `tokenizer.json`.
        pub tokenizer: String,
        /// Run the tokenizer's own post-processor (e.g. Llama's BOS), as
        /// Python's `encode` does by default.
        pub add_special_tokens: bool = true,
        /// Prepend a BOS token unless the document already starts with it.
        pub bos: bool = false,
        /// Append an EOS token to every document (Megatron's `--append-eod`).
        pub eos: bool = false,
        /// BOS token name; default: the first of `<s>`, `<|begin_of_text|>`, `<bos>`, `<|endoftext|>`.
        pub bos_token: Option<String> = None,
        /// EOS token name; default: the first of `<|endoftext|>`, `</s>`, `<|end_of_text|>`, `<eos>`.
        pub eos_token: Option<String> = None,
    }
}

/// What the output writers need to know about the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// As configured, for the dataset index.
    pub tokenizer: String,
    pub vocab_size: usize,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
}

impl TokenizeConfig {
    /// Loads the tokenizer and resolves the special tokens.
    pub fn load(&self, ctx: &StageContext) -> Result<Tokenize, Error> {
        let bytes = ctx.read("tokenizer", &self.tokenizer)?;
        let encoder = HfTokenizer::from_bytes(&self.tokenizer, &bytes)
            .map_err(|e| ctx.invalid("tokenizer", e))?;
        let bos = if self.bos {
            let id = tokenizer::special_id(
                &encoder,
                self.bos_token.as_deref(),
                tokenizer::BOS_CANDIDATES,
            )
            .map_err(|e| ctx.invalid("bos_token", e))?;
            Some(id)
        } else {
            None
        };
        let eos = if self.eos {
            let id = tokenizer::special_id(
                &encoder,
                self.eos_token.as_deref(),
                tokenizer::EOS_CANDIDATES,
            )
            .map_err(|e| ctx.invalid("eos_token", e))?;
            Some(id)
        } else {
            None
        };
        Ok(Tokenize {
            info: TokenInfo {
                tokenizer: self.tokenizer.clone(),
                vocab_size: encoder.vocab_size(),
                bos,
                eos,
            },
            special: self.add_special_tokens,
            encoder: Arc::new(encoder),
        })
    }
}

impl StageConfigure for TokenizeConfig {
    const KIND: &'static str = "tokenize";

    fn check(&self) -> Vec<(String, String)> {
        if self.tokenizer.trim().is_empty() {
            return vec![("tokenizer".into(), "must name a tokenizer.json".into())];
        }
        Vec::new()
    }

    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(self.load(ctx)?))
    }
}

/// The runtime of `tokenize`.
pub struct Tokenize {
    encoder: Arc<dyn Encoder>,
    special: bool,
    info: TokenInfo,
}

impl Tokenize {
    /// Ids of one document, with the configured BOS/EOS.
    pub fn encode_doc(&self, text: &str, out: &mut Vec<u32>) -> Result<(), String> {
        let start = out.len();
        self.encoder.encode(text, self.special, out)?;
        if let Some(bos) = self.info.bos
            && out.get(start) != Some(&bos)
        {
            out.insert(start, bos);
        }
        if let Some(eos) = self.info.eos {
            out.push(eos);
        }
        Ok(())
    }
}

/// The Arrow field of the `tokens` column.
pub fn tokens_field() -> Field {
    Field::new(
        document::TOKENS,
        DataType::List(Arc::new(Field::new_list_field(DataType::UInt32, false))),
        false,
    )
}

impl Stage for Tokenize {
    fn apply(&self, batch: &RecordBatch) -> Result<Output, Error> {
        let cols = Columns::of(batch);
        let mut builder = ListBuilder::new(UInt32Builder::with_capacity(
            document::text_bytes(batch) / 3,
        ))
        .with_field(Arc::new(Field::new_list_field(DataType::UInt32, false)));
        let mut ids = Vec::new();
        for (row, text) in cols.text.iter().enumerate() {
            ids.clear();
            self.encode_doc(text.unwrap_or(""), &mut ids).map_err(|e| {
                Error::internal(format!(
                    "tokenizer failed on document {}: {e}",
                    cols.id.value(row)
                ))
            })?;
            builder.values().append_slice(&ids);
            builder.append(true);
        }
        let tokens: ArrayRef = Arc::new(builder.finish());
        let out = document::with_columns(batch, [(tokens_field(), tokens)])?;
        Ok(Output::Batch(out))
    }

    fn token_info(&self) -> Option<TokenInfo> {
        Some(self.info.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Stores;

    fn load(bos: bool, eos: bool) -> Tokenize {
        let cfg = TokenizeConfig {
            tokenizer: concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/tokenizer.json").into(),
            add_special_tokens: true,
            bos,
            eos,
            bos_token: None,
            eos_token: None,
        };
        cfg.load(&StageContext {
            index: 2,
            stores: &Stores::new(),
        })
        .unwrap()
    }

    #[test]
    fn bos_and_eos_are_added_explicitly_and_never_doubled() {
        let plain = load(false, false);
        let both = load(true, true);
        let eot = both.info.eos.unwrap();
        assert_eq!(
            both.info.bos,
            Some(eot),
            "the sample tokenizer's only special token"
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        plain.encode_doc("The river garden.", &mut a).unwrap();
        both.encode_doc("The river garden.", &mut b).unwrap();
        assert_eq!(b.len(), a.len() + 2);
        assert_eq!((b[0], b[b.len() - 1]), (eot, eot));
        assert_eq!(&b[1..b.len() - 1], &a[..]);
        // A document that already starts with BOS does not get a second one.
        let mut c = Vec::new();
        both.encode_doc("<|endoftext|>The river garden.", &mut c)
            .unwrap();
        assert_eq!(c.iter().take_while(|&&t| t == eot).count(), 1, "{c:?}");
    }

    #[test]
    fn a_missing_special_token_is_a_config_error_naming_the_field() {
        let cfg = TokenizeConfig {
            tokenizer: concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/tokenizer.json").into(),
            add_special_tokens: true,
            bos: false,
            eos: true,
            bos_token: None,
            eos_token: Some("</s>".into()),
        };
        let err = cfg
            .load(&StageContext {
                index: 2,
                stores: &Stores::new(),
            })
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "stage[2].eos_token: token `</s>` is not in the tokenizer's vocabulary"
        );
    }
}

//! Trains a small byte-level BPE tokenizer (GPT-2 style) from documents.
//!
//! Used for `shardwise tokenizer train` and to make the project's own quickstart
//! tokenizer, so nothing needs to be downloaded.

use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{
    AddedToken, DecoderWrapper, PreTokenizerWrapper, TokenizerBuilder, TokenizerImpl,
};

use crate::error::Error;

/// The special token the trained tokenizer uses as end of text.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// Trains on `texts` and returns the `tokenizer.json` text.
pub fn train_bpe<I>(texts: I, vocab_size: usize, min_frequency: u64) -> Result<String, Error>
where
    I: Iterator<Item = String> + Send,
{
    let mut trainer = BpeTrainerBuilder::new()
        .vocab_size(vocab_size)
        .min_frequency(min_frequency)
        .show_progress(false)
        .special_tokens(vec![AddedToken::from(END_OF_TEXT, true)])
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build();
    let mut tokenizer: TokenizerImpl<
        BPE,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    > = TokenizerBuilder::new()
        .with_model(BPE::default())
        .with_normalizer(None)
        .with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false).into()))
        .with_post_processor(Some(ByteLevel::default().trim_offsets(false).into()))
        .with_decoder(Some(ByteLevel::default().into()))
        .build()
        .map_err(|e| Error::internal(format!("tokenizer builder: {e}")))?;
    tokenizer
        .train(&mut trainer, texts)
        .map_err(|e| Error::internal(format!("tokenizer training failed: {e}")))?;
    tokenizer
        .to_string(true)
        .map_err(|e| Error::internal(format!("tokenizer serialisation: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::{Encoder, HfTokenizer};

    #[test]
    fn trained_tokenizer_round_trips_text() {
        let texts = (0..200).map(|i| format!("the quick brown fox {i} jumps over the lazy dog"));
        let json = train_bpe(texts, 300, 2).unwrap();
        let tok = HfTokenizer::from_bytes("trained", json.as_bytes()).unwrap();
        assert!(tok.vocab_size() <= 300 && tok.vocab_size() > 256);
        let mut ids = Vec::new();
        tok.encode("the lazy fox, café", true, &mut ids).unwrap();
        assert_eq!(tok.decode(&ids).unwrap(), "the lazy fox, café");
        assert!(tok.token_to_id(END_OF_TEXT).is_some());
    }
}

//! `length`: drops documents that are too short or too long.
//!
//! Counts characters (Unicode scalar values) and whitespace-separated words. Cheap
//! enough to run first, before any stage that analyses text.

use arrow::array::RecordBatch;

use super::{Output, Stage, StageConfigure, StageContext};
use crate::document::Columns;
use crate::error::Error;

crate::config_struct! {
    /// Drops documents by character and word counts.
    pub struct LengthConfig {
        /// Drop documents with fewer characters than this.
        pub min_chars: usize = 0,
        /// Drop documents with more characters than this (unset: no limit).
        pub max_chars: Option<usize> = None,
        /// Drop documents with fewer whitespace-separated words than this.
        pub min_words: usize = 0,
    }
}

impl StageConfigure for LengthConfig {
    const KIND: &'static str = "length";

    fn check(&self) -> Vec<(String, String)> {
        match self.max_chars {
            Some(max) if max < self.min_chars => vec![(
                "max_chars".into(),
                format!("is {max}, below min_chars ({})", self.min_chars),
            )],
            _ => Vec::new(),
        }
    }

    fn build(&self, _ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(Length {
            config: self.clone(),
        }))
    }
}

/// The runtime of `length`.
pub struct Length {
    config: LengthConfig,
}

const TOO_SHORT: u8 = 1;
const TOO_LONG: u8 = 2;
const TOO_FEW_WORDS: u8 = 3;

impl Stage for Length {
    fn reasons(&self) -> &'static [&'static str] {
        &["too_short", "too_long", "too_few_words"]
    }

    fn apply(&self, batch: &RecordBatch) -> Result<Output, Error> {
        let text = Columns::of(batch).text;
        let c = &self.config;
        let verdicts = text
            .iter()
            .map(|t| {
                let t = t.unwrap_or("");
                // A character takes 1 to 4 bytes, so the byte length often settles
                // the question without counting characters.
                let chars = || t.chars().count();
                let too_short =
                    t.len() < c.min_chars || (t.len() < 4 * c.min_chars && chars() < c.min_chars);
                let too_long = c.max_chars.is_some_and(|m| t.len() > m && chars() > m);
                if too_short {
                    TOO_SHORT
                } else if too_long {
                    TOO_LONG
                } else if c.min_words > 0
                    && t.split_whitespace().take(c.min_words).count() < c.min_words
                {
                    TOO_FEW_WORDS
                } else {
                    0
                }
            })
            .collect();
        Ok(Output::Verdicts(verdicts))
    }
}

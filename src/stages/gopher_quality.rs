//! `gopher_quality`: Gopher's quality heuristics (Rae et al. 2021, appendix A),
//! with the rules, order and defaults of datatrove 0.10.1's `GopherQualityFilter`.
//!
//! Words come from the shared [`text`](super::text) analysis; a word is a
//! "symbol" when every character is punctuation. A threshold of `0` turns its
//! rule off, as `None` or `0` does in datatrove.

use super::doc::{Doc, DocFilter};
use super::text;
use super::{Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Drops documents failing Gopher's quality rules (length, word length,
    /// symbols, bullets, ellipses, alphabetic words, stop words).
    pub struct GopherQualityConfig {
        /// Drop documents with fewer non-symbol words than this (`gopher_short_doc`).
        pub min_doc_words: usize = 50,
        /// Drop documents with more non-symbol words than this (`gopher_long_doc`).
        pub max_doc_words: usize = 100_000,
        /// Drop documents whose mean non-symbol word length, in characters, is below
        /// this (`gopher_below_avg_threshold`).
        pub min_avg_word_length: f64 = 3.0,
        /// Drop documents whose mean non-symbol word length is above this
        /// (`gopher_above_avg_threshold`).
        pub max_avg_word_length: f64 = 10.0,
        /// Drop documents with more `#`, or more ellipses (`...`, `…`), per word than
        /// this (`gopher_too_many_hashes`, `gopher_too_many_ellipsis`).
        pub max_symbol_word_ratio: f64 = 0.1,
        /// Drop documents with a larger fraction of lines starting with `•` or `-`
        /// (`gopher_too_many_bullets`).
        pub max_bullet_lines_ratio: f64 = 0.9,
        /// Drop documents with a larger fraction of lines ending with `...` or `…`
        /// (`gopher_too_many_end_ellipsis`).
        pub max_ellipsis_lines_ratio: f64 = 0.3,
        /// Drop documents where fewer than this fraction of words hold an alphabetic
        /// character (`gopher_below_alpha_threshold`; datatrove's name kept).
        pub max_non_alpha_words_ratio: f64 = 0.8,
        /// Drop documents holding fewer distinct stop words than this
        /// (`gopher_enough_stop_words`).
        pub min_stop_words: usize = 2,
        /// The stop words, matched case-sensitively against whole words.
        pub stop_words: Vec<String> = ["the", "be", "to", "of", "and", "that", "have", "with"]
            .map(String::from)
            .to_vec(),
    }
}

impl StageConfigure for GopherQualityConfig {
    const KIND: &'static str = "gopher_quality";

    fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let (min, max) = (self.min_doc_words, self.max_doc_words);
        if max > 0 && max < min {
            problems.push((
                "max_doc_words".into(),
                format!("is {max}, below min_doc_words ({min})"),
            ));
        }
        let (min, max) = (self.min_avg_word_length, self.max_avg_word_length);
        if max > 0.0 && max < min {
            problems.push((
                "max_avg_word_length".into(),
                format!("is {max}, below min_avg_word_length ({min})"),
            ));
        }
        if self.stop_words.len() > 64 {
            problems.push(("stop_words".into(), "holds more than 64 words".into()));
        }
        problems
    }

    fn build(&self, _ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(GopherQuality {
            config: self.clone(),
        }))
    }
}

/// The runtime of `gopher_quality`.
pub struct GopherQuality {
    config: GopherQualityConfig,
}

const REASONS: &[&str] = &[
    "gopher_short_doc",
    "gopher_long_doc",
    "gopher_below_avg_threshold",
    "gopher_above_avg_threshold",
    "gopher_too_many_hashes",
    "gopher_too_many_ellipsis",
    "gopher_too_many_bullets",
    "gopher_too_many_end_ellipsis",
    "gopher_below_alpha_threshold",
    "gopher_enough_stop_words",
];

impl Stage for GopherQuality {
    fn reasons(&self) -> &'static [&'static str] {
        REASONS
    }

    fn doc_filter(&self) -> Option<&dyn DocFilter> {
        Some(self)
    }
}

impl DocFilter for GopherQuality {
    /// `0` to keep, else the 1-based index of the reason in [`REASONS`].
    fn judge(&self, doc: &mut Doc<'_>) -> u8 {
        let t = doc.text();
        let a = doc.analysis();
        let c = &self.config;
        let n_words = a.words.len();
        let (mut content, mut content_chars) = (0usize, 0usize);
        let mut alpha_words = 0usize;
        let mut stop_seen: u64 = 0;
        for w in &a.words {
            let s = w.of(t);
            let mut symbol = true;
            let mut alpha = false;
            for ch in s.chars() {
                symbol &= text::is_punctuation(ch);
                alpha |= ch.is_alphabetic();
            }
            if !symbol {
                content += 1;
                content_chars += w.chars as usize;
            }
            alpha_words += usize::from(alpha);
            if let Some(k) = c.stop_words.iter().position(|sw| sw == s) {
                stop_seen |= 1 << (k & 63);
            }
        }
        if c.min_doc_words > 0 && content < c.min_doc_words {
            return 1;
        }
        if c.max_doc_words > 0 && content > c.max_doc_words {
            return 2;
        }
        // numpy's mean of nothing is NaN, which fails no comparison.
        let avg = if content == 0 {
            f64::NAN
        } else {
            content_chars as f64 / content as f64
        };
        if positive(c.min_avg_word_length).is_some_and(|m| avg < m) {
            return 3;
        }
        if positive(c.max_avg_word_length).is_some_and(|m| avg > m) {
            return 4;
        }
        let per_word = |count: usize| ratio(count, n_words);
        if let Some(m) = positive(c.max_symbol_word_ratio) {
            if per_word(t.matches('#').count()) > m {
                return 5;
            }
            if per_word(t.matches("...").count() + t.matches('…').count()) > m {
                return 6;
            }
        }
        let bullets = positive(c.max_bullet_lines_ratio);
        let ellipses = positive(c.max_ellipsis_lines_ratio);
        if bullets.is_some() || ellipses.is_some() {
            let (mut lines, mut bullet, mut ellipsis) = (0, 0, 0);
            for line in text::splitlines(t) {
                lines += 1;
                let l = line.trim_start();
                bullet += usize::from(l.starts_with('•') || l.starts_with('-'));
                let r = line.trim_end();
                ellipsis += usize::from(r.ends_with("...") || r.ends_with('…'));
            }
            if bullets.is_some_and(|m| ratio(bullet, lines) > m) {
                return 7;
            }
            if ellipses.is_some_and(|m| ratio(ellipsis, lines) > m) {
                return 8;
            }
        }
        if positive(c.max_non_alpha_words_ratio).is_some_and(|m| per_word(alpha_words) < m) {
            return 9;
        }
        if c.min_stop_words > 0 && (stop_seen.count_ones() as usize) < c.min_stop_words {
            return 10;
        }
        0
    }
}

/// datatrove tests thresholds for truthiness, so `0` turns a rule off.
fn positive(x: f64) -> Option<f64> {
    (x != 0.0).then_some(x)
}

/// A ratio that is 0 for an empty denominator (where datatrove would divide by zero).
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::doc;

    fn stage() -> GopherQuality {
        GopherQuality {
            config: crate::fields::defaults(),
        }
    }

    fn judge(t: &str) -> &'static str {
        match doc::judge_text(&stage(), t, None).0 {
            0 => "keep",
            k => REASONS[k as usize - 1],
        }
    }

    #[test]
    fn matches_datatrove_on_real_documents() {
        // 200/200 agree (and 697/697 on the whole file when last measured).
        text::parity::assert_agrees("gopher_quality", judge);
    }

    #[test]
    fn edge_cases_match_datatrove() {
        for case in text::parity::edge_cases() {
            let (name, t, want) = (case.0, case.1, case.2);
            assert_eq!(judge(&t), want, "{name}: {t:?}");
        }
    }
}

//! `gopher_repetition`: Gopher's repetition heuristics (Rae et al. 2021, table A1),
//! with the rules, order and defaults of datatrove 0.10.1's `GopherRepetitionFilter`.
//!
//! Paragraphs are split at runs of two or more `\n` (after trimming the text),
//! lines at runs of `\n`; n-grams use the words of the shared
//! [`text`](super::text) analysis. Fractions are of the document's characters.
//! A line or paragraph threshold of `0` turns its rule off, as in datatrove; an
//! empty n-gram list turns those rules off.

use super::doc::{Doc, DocFilter};
use super::{Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Drops documents with too many repeated lines, paragraphs or word n-grams.
    pub struct GopherRepetitionConfig {
        /// Drop documents where a larger fraction of lines are repeats of an
        /// earlier line (`dup_line_frac`).
        pub dup_line_frac: f64 = 0.3,
        /// Drop documents where a larger fraction of paragraphs are repeats
        /// (`dup_para_frac`).
        pub dup_para_frac: f64 = 0.3,
        /// Drop documents where repeated lines hold a larger fraction of the
        /// characters (`dup_line_char_frac`).
        pub dup_line_char_frac: f64 = 0.2,
        /// Drop documents where repeated paragraphs hold a larger fraction of the
        /// characters (`dup_para_char_frac`).
        pub dup_para_char_frac: f64 = 0.2,
        /// `[n, fraction]` pairs: drop documents where the most frequent word n-gram
        /// (joined with spaces, times its count) covers a larger fraction of the
        /// characters (`top_{n}_gram`).
        pub top_n_grams: Vec<(usize, f64)> = vec![(2, 0.2), (3, 0.18), (4, 0.16)],
        /// `[n, fraction]` pairs: drop documents where repeated word n-grams cover
        /// a larger fraction of the characters (`duplicated_{n}_n_grams`).
        pub dup_n_grams: Vec<(usize, f64)> =
            vec![(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)],
    }
}

impl StageConfigure for GopherRepetitionConfig {
    const KIND: &'static str = "gopher_repetition";

    fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (field, list) in [
            ("top_n_grams", &self.top_n_grams),
            ("dup_n_grams", &self.dup_n_grams),
        ] {
            for (i, &(n, _)) in list.iter().enumerate() {
                if n == 0 {
                    problems.push((format!("{field}[{i}]"), "n must be at least 1".into()));
                }
            }
        }
        if 5 + self.top_n_grams.len() + self.dup_n_grams.len() > 255 {
            problems.push(("dup_n_grams".into(), "too many n-gram rules".into()));
        }
        problems
    }

    fn build(&self, _ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(self.runtime()))
    }
}

impl GopherRepetitionConfig {
    /// The runtime, with reason names for the configured n-gram sizes.
    fn runtime(&self) -> GopherRepetition {
        let mut reasons: Vec<&'static str> = FIXED_REASONS.to_vec();
        // The reason names depend on the configured n; a stage is built once per
        // run, so leaking these few strings is bounded.
        let name = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        reasons.extend(
            self.top_n_grams
                .iter()
                .map(|(n, _)| name(format!("top_{n}_gram"))),
        );
        reasons.extend(
            self.dup_n_grams
                .iter()
                .map(|(n, _)| name(format!("duplicated_{n}_n_grams"))),
        );
        GopherRepetition {
            config: self.clone(),
            reasons: Box::leak(reasons.into_boxed_slice()),
        }
    }
}

const FIXED_REASONS: &[&str] = &[
    "empty",
    "dup_para_frac",
    "dup_para_char_frac",
    "dup_line_frac",
    "dup_line_char_frac",
];

/// The runtime of `gopher_repetition`.
pub struct GopherRepetition {
    config: GopherRepetitionConfig,
    reasons: &'static [&'static str],
}

impl Stage for GopherRepetition {
    fn reasons(&self) -> &'static [&'static str] {
        self.reasons
    }

    fn doc_filter(&self) -> Option<&dyn DocFilter> {
        Some(self)
    }
}

impl DocFilter for GopherRepetition {
    fn judge(&self, doc: &mut Doc<'_>) -> u8 {
        let t = doc.text();
        let c = &self.config;
        if t.is_empty() {
            return 1;
        }
        let chars = t.chars().count() as f64;
        // datatrove tests thresholds for truthiness, so `0` turns a rule off.
        let over = |m: f64, v: f64| m != 0.0 && v > m;

        let a = doc.scratch();
        let (n, dup, dup_chars) = a.newline_duplicates(t.trim(), 2);
        if over(c.dup_para_frac, dup as f64 / n as f64) {
            return 2;
        }
        if over(c.dup_para_char_frac, dup_chars as f64 / chars) {
            return 3;
        }
        let (n, dup, dup_chars) = a.newline_duplicates(t, 1);
        if over(c.dup_line_frac, dup as f64 / n as f64) {
            return 4;
        }
        if over(c.dup_line_char_frac, dup_chars as f64 / chars) {
            return 5;
        }
        let g = doc.analysis().ngrams(t);
        let mut code = FIXED_REASONS.len() as u8;
        let limits = c
            .top_n_grams
            .iter()
            .map(|&(n, frac)| (n, max_within(chars, frac)));
        if let Some(i) = g.first_top_ngram_over(limits) {
            return code + 1 + i as u8;
        }
        code += c.top_n_grams.len() as u8;
        for &(n, frac) in &c.dup_n_grams {
            code += 1;
            if g.duplicated_ngram_chars(n) as f64 / chars > frac {
                return code;
            }
        }
        0
    }
}

/// The largest value `v` for which datatrove's `v / len(text) > frac` does not
/// hold, so that test becomes `v > max`; `None` when it holds for every value.
/// The test is monotone in `v`, also in floating point.
fn max_within(chars: f64, frac: f64) -> Option<u64> {
    let over = |v: u64| v as f64 / chars > frac;
    if over(0) {
        return None;
    }
    // Start at the real-valued answer and bracket it; float rounding moves it
    // by a few units at most.
    let guess = (frac * chars) as u64;
    let (mut lo, mut step) = (guess, 1u64);
    while over(lo) {
        lo = lo.saturating_sub(step);
        step = step.saturating_mul(2);
    }
    let (mut hi, mut step) = (lo.saturating_add(1), 1u64);
    while !over(hi) {
        if hi == u64::MAX {
            return Some(u64::MAX);
        }
        lo = hi;
        hi = hi.saturating_add(step);
        step = step.saturating_mul(2);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if over(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::{doc, text};

    fn judge(t: &str) -> &'static str {
        let config: GopherRepetitionConfig = crate::fields::defaults();
        let stage = config.runtime();
        match doc::judge_text(&stage, t, None).0 {
            0 => "keep",
            k => stage.reasons[k as usize - 1],
        }
    }

    #[test]
    fn matches_datatrove_on_real_documents() {
        // 200/200 agree (and 697/697 on the whole file when last measured).
        text::parity::assert_agrees("gopher_repetition", judge);
    }

    #[test]
    fn edge_cases_match_datatrove() {
        for case in text::parity::edge_cases() {
            let (name, t, want) = (case.0, case.1, case.3);
            assert_eq!(judge(&t), want, "{name}: {t:?}");
        }
    }

    #[test]
    fn max_within_is_the_last_value_not_over() {
        for chars in [1.0, 3.0, 7.0, 10.0, 999.0, 123_457.0, 3e9] {
            for frac in [0.0, 0.1, 0.16, 0.18, 0.2, 1.0 / 3.0, 0.5, 1.0, 2.5] {
                let over = |v: u64| v as f64 / chars > frac;
                let max = max_within(chars, frac).unwrap();
                assert!(!over(max) && over(max + 1), "{chars} {frac}: {max}");
            }
        }
        assert_eq!(max_within(10.0, -0.1), None);
        assert_eq!(max_within(10.0, f64::NAN), Some(u64::MAX));
        assert_eq!(max_within(10.0, f64::INFINITY), Some(u64::MAX));
    }
}

//! `gopher_quality`: Gopher's quality heuristics (Rae et al. 2021, appendix A),
//! with the rules, order and defaults of datatrove 0.10.1's `GopherQualityFilter`.
//!
//! Words come from the shared [`text`](super::text) analysis; a word is a
//! "symbol" when every character is punctuation. A threshold of `0` turns its
//! rule off, as `None` or `0` does in datatrove.

use super::doc::{Doc, DocFilter};
use super::text::{self, Shape};
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
        Ok(Box::new(GopherQuality::new(self.clone())))
    }
}

/// The runtime of `gopher_quality`.
pub struct GopherQuality {
    config: GopherQualityConfig,
    stop_words: StopWords,
}

impl GopherQuality {
    fn new(config: GopherQualityConfig) -> Self {
        let stop_words = StopWords::new(&config.stop_words);
        GopherQuality { config, stop_words }
    }
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
        // A table and sums, not branches: words alternate unpredictably.
        for w in &a.words {
            let (symbol, alpha) = if w.shape == Shape::Unknown {
                word_kind(w.of(t))
            } else {
                KNOWN_KIND[w.shape as usize]
            };
            let counted = usize::from(!symbol);
            content += counted;
            content_chars += counted * w.chars as usize;
            alpha_words += usize::from(alpha);
            let len = (w.end - w.start) as usize;
            stop_seen |= self.stop_words.bit(t.as_bytes(), w.start as usize, len);
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
            let ellipses = memchr::memmem::find_iter(t.as_bytes(), b"...").count()
                + memchr::memmem::find_iter(t.as_bytes(), "…".as_bytes()).count();
            if per_word(ellipses) > m {
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

/// Whether every character of `word` is punctuation (a "symbol" word), and
/// whether any is alphabetic (a letter, as Python's `isalpha` has it); ASCII
/// words are decided by a byte table.
fn word_kind(word: &str) -> (bool, bool) {
    let (mut all, mut any) = (PUNCT | ALPHA, 0);
    for &b in word.as_bytes() {
        let class = ASCII_KIND[usize::from(b)];
        all &= class;
        any |= class;
    }
    if any & NON_ASCII == 0 {
        return (all & PUNCT != 0, any & ALPHA != 0);
    }
    // No punctuation character is alphabetic, so the first letter decides both.
    let mut symbol = true;
    for ch in word.chars() {
        if text::is_letter(ch) {
            return (false, true);
        }
        symbol &= text::is_punctuation(ch);
    }
    (symbol, false)
}

/// `(symbol, alpha)` of words of each known [`Shape`], by discriminant.
const KNOWN_KIND: [(bool, bool); 4] = {
    let mut t = [(false, false); 4];
    t[Shape::Letters as usize] = (false, true);
    t[Shape::Digits as usize] = (false, false);
    t[Shape::Punct as usize] = (true, false);
    t
};

const PUNCT: u8 = 1;
const ALPHA: u8 = 2;
const NON_ASCII: u8 = 4;

/// [`PUNCT`] and [`ALPHA`] of each ASCII byte; [`NON_ASCII`] for the rest.
static ASCII_KIND: [u8; 256] = {
    let mut t = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            ALPHA
        } else if text::is_ascii_punctuation(c) {
            PUNCT
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The stop words: those of up to 8 bytes packed into integers in a small
/// open-addressed table, longer ones kept as strings. A word's index in the
/// configured list is its bit in the seen set.
struct StopWords {
    /// Packed word, its length plus one (0 for an empty slot), index.
    table: [(u64, u8, u8); STOP_SLOTS],
    long: Vec<(Vec<u8>, u8)>,
}

/// Slots of [`StopWords::table`], twice the 64 words `check` allows.
const STOP_SLOTS: usize = 128;

impl StopWords {
    fn new(words: &[String]) -> Self {
        let mut sw = StopWords {
            table: [(0, 0, 0); STOP_SLOTS],
            long: Vec::new(),
        };
        // `check` caps the list at 64 words, one bit each; the first of
        // repeated words keeps its index.
        for (k, w) in words.iter().enumerate().take(64) {
            let (b, k) = (w.as_bytes(), k as u8);
            if b.len() > 8 {
                if !sw.long.iter().any(|(l, _)| l == b) {
                    sw.long.push((b.to_vec(), k));
                }
                continue;
            }
            let key = pack(b, 0, b.len());
            let slot = sw.probe(key, b.len());
            if sw.table[slot].1 == 0 {
                sw.table[slot] = (key, b.len() as u8 + 1, k);
            }
        }
        sw
    }

    fn slot(key: u64, len: usize) -> usize {
        ((key ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 57) as usize
    }

    /// The slot holding the packed word `key` of `len` bytes, or the empty
    /// slot where it would go.
    fn probe(&self, key: u64, len: usize) -> usize {
        let mut slot = Self::slot(key, len);
        loop {
            let (p, n, _) = self.table[slot];
            if n == 0 || (p == key && usize::from(n) == len + 1) {
                return slot;
            }
            slot = (slot + 1) % STOP_SLOTS;
        }
    }

    /// The bit of the first stop word equal to the `len` bytes of `text` at
    /// `start`, or 0. Most words decide by one slot without a branch: a
    /// word's first slot holds it, or is empty, unless words collide there.
    #[inline]
    fn bit(&self, text: &[u8], start: usize, len: usize) -> u64 {
        let key = pack(text, start, len);
        // Longer words than 8 bytes never match a slot (lengths there are at
        // most 9 with the one added).
        let (p, n, k) = self.table[Self::slot(key, len)];
        let hit = p == key && usize::from(n) == len + 1;
        let mut found = u64::from(hit) << k;
        if !hit && n != 0 {
            // Another word holds the first slot: probe on.
            let (_, n, k) = self.table[self.probe(key, len)];
            found = u64::from(n != 0) << k;
        }
        if !self.long.is_empty() && len > 8 {
            let word = &text[start..start + len];
            if let Some(&(_, k)) = self.long.iter().find(|(w, _)| w == word) {
                found = 1 << k;
            }
        }
        found
    }

    /// The index of the first stop word equal to the `len` bytes of `text`
    /// at `start`.
    #[cfg(test)]
    fn index(&self, text: &[u8], start: usize, len: usize) -> Option<u32> {
        let bit = self.bit(text, start, len);
        (bit != 0).then(|| bit.trailing_zeros())
    }
}

/// The first `len` bytes (at most 8) at `start` in `text` as one integer,
/// zero-padded: one load where the text goes on for 8 bytes, else a loop.
#[inline]
fn pack(text: &[u8], start: usize, len: usize) -> u64 {
    let len = len.min(8);
    let mask = if len == 8 {
        u64::MAX
    } else {
        (1 << (8 * len)) - 1
    };
    match text.get(start..start + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().expect("eight bytes")) & mask,
        None => text[start..start + len]
            .iter()
            .enumerate()
            .fold(0, |v, (i, &x)| v | u64::from(x) << (8 * i)),
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
        GopherQuality::new(crate::fields::defaults())
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
    fn no_punctuation_is_alphabetic() {
        let punctuation = (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|&c| text::is_punctuation(c));
        assert_eq!(
            punctuation.clone().filter(|&c| text::is_letter(c)).count(),
            0
        );
        assert!(punctuation.count() > 250);
    }

    #[test]
    fn ascii_punctuation_is_datatrove_punctuation() {
        for b in (0..128u8).filter(u8::is_ascii_punctuation) {
            assert!(text::is_punctuation(char::from(b)), "{b}");
        }
    }

    #[test]
    fn word_kinds_match_the_character_rules() {
        // Python's `isalpha`: letters only, not letter numbers or marks.
        for (w, alpha) in [
            ("word", true),
            ("...", false),
            ("#", false),
            ("a.", true),
            ("", false),
            ("—", false),
            ("«»", false),
            ("naïve", true),
            ("٣", false),
            ("x1", true),
            ("1", false),
            ("\u{7f}", false),
            ("жук", true),
            ("中", true),
            ("ǅ", true),
            ("ʰ", true),
            ("Ⓐ", false),
            ("Ⅻ", false),
            ("\u{93e}", false),
            ("𝐀", true),
        ] {
            let symbol = w.chars().all(text::is_punctuation);
            assert_eq!(word_kind(w), (symbol, alpha), "{w:?}");
        }
    }

    #[test]
    fn stop_words_match_whole_words_of_any_length() {
        let words: Vec<String> = ["the", "", "a", "understanding", "the", "ab\0"]
            .map(String::from)
            .to_vec();
        let sw = StopWords::new(&words);
        // Each word alone, and inside a longer text (where it is packed by
        // one load).
        let find = |w: &[u8]| {
            let alone = sw.index(w, 0, w.len());
            let inside = [b"xx", w, b"yyyyyyyyy"].concat();
            assert_eq!(sw.index(&inside, 2, w.len()), alone, "{w:?}");
            alone
        };
        assert_eq!(find(b"the"), Some(0));
        assert_eq!(find(b""), Some(1));
        assert_eq!(find(b"understanding"), Some(3));
        assert_eq!(find(b"ab\0"), Some(5));
        for miss in [&b"The"[..], b"th", b"ab", b"understandings", b"a\0"] {
            assert_eq!(find(miss), None, "{miss:?}");
        }
        let many: Vec<String> = (0..64).map(|i| format!("w{i}")).collect();
        let sw = StopWords::new(&many);
        for (i, w) in many.iter().enumerate() {
            assert_eq!(sw.index(w.as_bytes(), 0, w.len()), Some(i as u32));
        }
    }

    #[test]
    fn edge_cases_match_datatrove() {
        for case in text::parity::edge_cases() {
            let (name, t, want) = (case.0, case.1, case.2);
            assert_eq!(judge(&t), want, "{name}: {t:?}");
        }
    }
}

//! `fineweb_quality`: FineWeb's own quality rules (Penedo et al. 2024), with the
//! rules, order, defaults and reasons of datatrove 0.10.1's `FineWebQualityFilter`.
//!
//! Lines are the text split on `\n` (not Python's `splitlines`), keeping only
//! lines that are not all whitespace (Python's `str.isspace` set); a line "ends
//! in punctuation" with no trimming, so a line ending in `.\r` does not. Lengths
//! are in characters. Words, for the newline-per-word rule, come from the shared
//! [`text`](super::text) analysis.

use super::doc::{Doc, DocFilter};
use super::text;
use super::{Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Drops documents failing FineWeb's line-level quality rules: too few lines
    /// ending in punctuation, too many short lines, too many duplicated line
    /// characters, too many newlines per word.
    pub struct FineWebQualityConfig {
        /// Drop documents where fewer than this fraction of non-blank lines end
        /// with a stop character (`line_punct_ratio`).
        pub line_punct_thr: f64 = 0.12,
        /// Exempt documents where no line at all ends with a stop character from
        /// the rule above.
        pub line_punct_exclude_zero: bool = false,
        /// Strings a line may end with to count as punctuated; empty means
        /// datatrove's 159 terminal punctuation marks of all scripts.
        pub stop_chars: Vec<String> = Vec::new(),
        /// Drop documents where more than this fraction of non-blank lines are
        /// at most `short_line_length` characters long (`short_line_ratio`).
        pub short_line_thr: f64 = 0.67,
        /// The length, in characters, of a short line.
        pub short_line_length: usize = 30,
        /// Drop documents where repeated non-blank lines (after their first
        /// occurrence) hold more than this fraction of the non-newline
        /// characters (`char_dup_ratio`).
        pub char_duplicates_ratio: f64 = 0.01,
        /// Drop documents with more newlines per word than this (`list_ratio`).
        pub new_line_ratio: f64 = 0.3,
    }
}

impl StageConfigure for FineWebQualityConfig {
    const KIND: &'static str = "fineweb_quality";

    fn check(&self) -> Vec<(String, String)> {
        self.stop_chars
            .iter()
            .any(String::is_empty)
            .then(|| {
                (
                    "stop_chars".to_string(),
                    "holds an empty string".to_string(),
                )
            })
            .into_iter()
            .collect()
    }

    fn build(&self, _ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(FineWebQuality {
            config: self.clone(),
        }))
    }
}

/// The runtime of `fineweb_quality`.
pub struct FineWebQuality {
    config: FineWebQualityConfig,
}

const REASONS: &[&str] = &[
    "empty",
    "line_punct_ratio",
    "short_line_ratio",
    "char_dup_ratio",
    "list_ratio",
];

impl Stage for FineWebQuality {
    fn reasons(&self) -> &'static [&'static str] {
        REASONS
    }

    fn doc_filter(&self) -> Option<&dyn DocFilter> {
        Some(self)
    }
}

impl DocFilter for FineWebQuality {
    fn judge(&self, doc: &mut Doc<'_>) -> u8 {
        let c = &self.config;
        let t = doc.text();
        let lines = || t.split('\n').filter(|l| !l.chars().all(text::is_py_space));
        let (mut n, mut punct, mut short) = (0usize, 0usize, 0usize);
        for line in lines() {
            n += 1;
            punct += usize::from(self.ends_with_stop(line));
            short += usize::from(
                line.len() <= c.short_line_length || line.chars().count() <= c.short_line_length,
            );
        }
        if n == 0 {
            return 1;
        }
        let ratio = punct as f64 / n as f64;
        if ratio < c.line_punct_thr && !(ratio == 0.0 && c.line_punct_exclude_zero) {
            return 2;
        }
        if short as f64 / n as f64 > c.short_line_thr {
            return 3;
        }
        let newlines = t.bytes().filter(|&b| b == b'\n').count();
        let (_, _, dup_chars) = doc.scratch().duplicates(lines());
        let chars = t.chars().count() - newlines;
        if dup_chars as f64 / chars as f64 > c.char_duplicates_ratio {
            return 4;
        }
        // spaCy makes at least one token of every run of non-whitespace, so
        // when the runs alone are enough words the split is not needed. A
        // non-blank line always yields a word, so neither divides by zero.
        let runs = non_space_runs(t);
        if newlines as f64 / runs as f64 <= c.new_line_ratio {
            return 0;
        }
        let words = doc.analysis().words.len();
        if newlines as f64 / words as f64 > c.new_line_ratio {
            return 5;
        }
        0
    }
}

impl FineWebQuality {
    fn ends_with_stop(&self, line: &str) -> bool {
        if self.config.stop_chars.is_empty() {
            line.chars()
                .next_back()
                .is_some_and(|ch| TERMINAL_PUNCTUATION.contains(ch))
        } else {
            self.config
                .stop_chars
                .iter()
                .any(|s| line.ends_with(s.as_str()))
        }
    }
}

/// datatrove's `TERMINAL_PUNCTUATION`: sentence-ending marks of many scripts.
const TERMINAL_PUNCTUATION: &str = "!.?\u{589}\u{61d}\u{61e}\u{61f}\u{6d4}\u{700}\u{701}\u{702}\u{7f9}\u{837}\u{839}\u{83d}\u{83e}\u{964}\u{965}\u{104a}\u{104b}\u{1362}\u{1367}\u{1368}\u{166e}\u{1735}\u{1736}\u{17d4}\u{17d5}\u{17d6}\u{17d9}\u{17da}\u{1803}\u{1809}\u{1944}\u{1945}\u{1aa8}\u{1aa9}\u{1aaa}\u{1aab}\u{1b5a}\u{1b5b}\u{1b5e}\u{1b5f}\u{1b7d}\u{1b7e}\u{1c3b}\u{1c3c}\u{1c7e}\u{1c7f}\u{203c}\u{203d}\u{2047}\u{2048}\u{2049}\u{2e2e}\u{2e3c}\u{2e53}\u{2e54}\u{3002}\u{a4ff}\u{a60e}\u{a60f}\u{a6f3}\u{a6f7}\u{a876}\u{a877}\u{a8ce}\u{a8cf}\u{a92f}\u{a9c8}\u{a9c9}\u{aa5d}\u{aa5e}\u{aa5f}\u{aaf0}\u{aaf1}\u{abeb}\u{fe52}\u{fe56}\u{fe57}\u{ff01}\u{ff0e}\u{ff1f}\u{ff61}\u{10a56}\u{10a57}\u{10f55}\u{10f56}\u{10f57}\u{10f58}\u{10f59}\u{10f86}\u{10f87}\u{10f88}\u{10f89}\u{11047}\u{11048}\u{110be}\u{110bf}\u{110c0}\u{110c1}\u{11141}\u{11142}\u{11143}\u{111c5}\u{111c6}\u{111cd}\u{111de}\u{111df}\u{11238}\u{11239}\u{1123b}\u{1123c}\u{112a9}\u{1144b}\u{1144c}\u{115c2}\u{115c3}\u{115c9}\u{115ca}\u{115cb}\u{115cc}\u{115cd}\u{115ce}\u{115cf}\u{115d0}\u{115d1}\u{115d2}\u{115d3}\u{115d4}\u{115d5}\u{115d6}\u{115d7}\u{11641}\u{11642}\u{1173c}\u{1173d}\u{1173e}\u{11944}\u{11946}\u{11a42}\u{11a43}\u{11a9b}\u{11a9c}\u{11c41}\u{11c42}\u{11ef7}\u{11ef8}\u{11f43}\u{11f44}\u{16a6e}\u{16a6f}\u{16af5}\u{16b37}\u{16b38}\u{16b44}\u{16e98}\u{1bc9f}\u{1da88}";

/// Maximal runs of characters that are not Python whitespace.
fn non_space_runs(t: &str) -> usize {
    let (mut runs, mut in_run) = (0, false);
    for &b in t.as_bytes() {
        // Only what the word split also splits on (Rust's ASCII whitespace);
        // multi-byte whitespace (U+0085, U+00A0, U+2000…) only joins runs,
        // which can only undercount: still a bound.
        let space = matches!(b, b' ' | b'\t'..=b'\r');
        runs += usize::from(!space && !in_run);
        in_run = !space;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::doc;

    fn judge(t: &str) -> &'static str {
        let stage = FineWebQuality {
            config: crate::fields::defaults(),
        };
        match doc::judge_text(&stage, t, None).0 {
            0 => "keep",
            k => REASONS[k as usize - 1],
        }
    }

    /// Cases and answers from datatrove 0.10.1's `FineWebQualityFilter()`.
    #[test]
    fn edge_cases_match_datatrove() {
        let long =
            "This is a sentence that is long enough to count as a proper line of text. ".repeat(3);
        let giant = vec!["word"; 20_000].join(" ");
        let crlf = format!(
            "{}\r\nAnother proper sentence in this text, it is long enough.\r\n",
            long.trim()
        );
        let crlf_dup = [
            "This line ends with a period but carries CR.",
            "Second line here that also ends in a full stop.",
        ]
        .repeat(3)
        .join("\r\n");
        let dup_lines = [
            long.clone(),
            "Subscribe to our newsletter for more news today.".into(),
            "Subscribe to our newsletter for more news today.".into(),
            format!("{long} extra."),
        ]
        .join("\n");
        let list: Vec<String> = (0..10)
            .map(|i| format!("Item number {i} in this list, it is long enough."))
            .collect();
        let trailing = std::iter::once(format!("{long} "))
            .chain(std::iter::repeat_n(
                "Another line without punctuation that is long enough".to_string(),
                8,
            ))
            .collect::<Vec<_>>()
            .join("\n");
        let cases: Vec<(&str, String, &str)> = vec![
            ("empty", "".into(), "empty"),
            ("whitespace", " \n\t \n  ".into(), "empty"),
            ("py_space_only", "\u{1c}\u{1d} \n\u{1f}".into(), "empty"),
            ("one_giant_line", format!("{giant}."), "keep"),
            ("giant_line_no_punct", giant.clone(), "line_punct_ratio"),
            ("crlf_lines", crlf, "line_punct_ratio"),
            ("crlf_no_punct_counted", crlf_dup, "char_dup_ratio"),
            (
                "cjk",
                "今天天气很好。我们去公园散步吧，那里有很多花。\n他说他明天会来。这是一个很长的句子，用来测试过滤器的行为。".into(),
                "short_line_ratio",
            ),
            (
                "devanagari",
                "यह एक परीक्षण वाक्य है जो पर्याप्त लंबा होना चाहिए।\nयह दूसरा वाक्य है जो भी पर्याप्त लंबा होना चाहिए।".into(),
                "keep",
            ),
            (
                "short_lines",
                "Home.\nAbout us.\nContact.\nA longer line of text that definitely exceeds thirty characters.".into(),
                "short_line_ratio",
            ),
            ("dup_lines", dup_lines, "char_dup_ratio"),
            ("list_ratio", list.join("\n"), "keep"),
            ("trailing_space_after_period", trailing, "line_punct_ratio"),
            (
                "exactly_30_chars",
                format!("{}.\n{}.\n{}.", "a".repeat(29), "b".repeat(30), "c".repeat(31)),
                "list_ratio",
            ),
            (
                "terminal_unicode",
                "これは十分に長い日本語の文章です、テストのために書きました。\nЭто достаточно длинная строка на русском языке!\nهل هذه جملة طويلة بما فيه الكفاية للاختبار؟".into(),
                "keep",
            ),
            (
                "blank_lines_between",
                format!("{long}\n\n\n   \n{}", long.replace("sentence", "phrase")),
                "line_punct_ratio",
            ),
        ];
        for (name, t, want) in cases {
            assert_eq!(judge(&t), want, "{name}");
        }
    }

    #[test]
    fn custom_stop_chars_replace_the_default_set() {
        let config = FineWebQualityConfig {
            stop_chars: vec![";".into()],
            ..crate::fields::defaults()
        };
        let stage = FineWebQuality { config };
        let t = "A line that is long enough to count here.\nAnother line long enough, ending in a period.";
        assert_eq!(doc::judge_text(&stage, t, None).0, 2);
    }

    #[test]
    fn terminal_punctuation_is_datatroves_set() {
        assert_eq!(TERMINAL_PUNCTUATION.chars().count(), 159);
        assert!(TERMINAL_PUNCTUATION.contains('।') && TERMINAL_PUNCTUATION.contains('。'));
    }
}

//! `c4_quality`: C4's line and page heuristics (Raffel et al. 2020, section 2.2),
//! with the rules, order, defaults and reason strings of datatrove 0.10.1's
//! `C4QualityFilter` (paragraph mode, English).
//!
//! Each line of the text (Python's `str.splitlines`, then `strip`) is dropped
//! when a word (whitespace-separated) is too long, when it does not end in
//! terminal punctuation (after removing citations like `[1]`), when it has too
//! few words, or when it mentions `javascript` or a cookie or terms-of-use
//! phrase. A line with `lorem ipsum` or `{` drops the whole document, as does
//! having fewer sentences than `min_num_sentences` in the kept lines. Kept
//! documents get the kept lines joined with `\n`, stripped: the text is always
//! rewritten, as datatrove always assigns `doc.text`.
//!
//! Sentences are counted as datatrove's `split_into_sentences` does for
//! English: spaCy's blank English tokenizer (the shared word splitter of
//! [`text`](super::text), plus spaCy's whitespace tokens) and spaCy's
//! `sentencizer`. datatrove's sentence mode (`split_paragraph=False`) and other
//! languages' sentence splitters are not implemented. Where the shared word
//! splitter differs from spaCy, a sentence count can differ: `you."...Next`
//! keeps `you."` whole where spaCy splits `you` `.` `"`, losing a boundary
//! (1 of 7,129 reference documents).
//!
//! Thresholds of `0` turn a rule off (datatrove uses `-1`, and `0` there
//! behaves the same except for `max_word_length`, where it would drop every
//! line). This module must not allocate per document beyond the rewrite buffer.

use std::cell::RefCell;

use aho_corasick::AhoCorasick;

use super::doc::{Doc, DocFilter};
use super::text::{self, Span};
use super::{Stage, StageConfigure, StageContext};
use crate::error::Error;

crate::config_struct! {
    /// Removes lines and drops documents by C4's heuristics (terminal
    /// punctuation, short lines, javascript, cookie notices, lorem ipsum, curly
    /// brackets, too few sentences), rewriting the text to the kept lines.
    pub struct C4QualityConfig {
        /// Remove Wikipedia-style citations (`[1]`, `[]`, `[edit]`,
        /// `[citation needed]`) from every line before the other line rules.
        pub remove_citations: bool = true,
        /// Remove lines not ending in `.`, `?`, `!`, `"` or `'`, or ending in
        /// `...` (FineWeb turns this off).
        pub filter_no_terminal_punct: bool = true,
        /// Drop documents whose kept lines hold fewer sentences than this
        /// (`too_few_sentences`); 0 turns the rule off.
        pub min_num_sentences: usize = 5,
        /// Remove lines with fewer whitespace-separated words than this
        /// (counted before citations are removed); 0 turns the rule off.
        pub min_words_per_line: usize = 3,
        /// Remove lines holding a word longer than this many characters; 0
        /// turns the rule off.
        pub max_word_length: usize = 1000,
        /// Drop documents with a kept line containing `lorem ipsum`, in any case
        /// (`lorem_ipsum`).
        pub filter_lorem_ipsum: bool = true,
        /// Remove lines containing `javascript`, in any case.
        pub filter_javascript: bool = true,
        /// Drop documents with a kept line containing `{` (`curly_bracket`).
        pub filter_curly_bracket: bool = true,
        /// Remove lines containing, in any case, `terms of use`, `privacy
        /// policy`, `cookie policy`, `uses cookies`, `use of cookies` or `use cookies`.
        pub filter_policy: bool = true,
    }
}

impl StageConfigure for C4QualityConfig {
    const KIND: &'static str = "c4_quality";

    fn build(&self, _ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(C4Quality {
            config: self.clone(),
        }))
    }
}

/// The runtime of `c4_quality`.
pub struct C4Quality {
    config: C4QualityConfig,
}

/// datatrove's reason strings.
const REASONS: &[&str] = &["lorem_ipsum", "curly_bracket", "too_few_sentences"];
const LOREM_IPSUM: u8 = 1;
const CURLY_BRACKET: u8 = 2;
const TOO_FEW_SENTENCES: u8 = 3;

const END_PUNCTUATION: &[char] = &['.', '?', '!', '"', '\''];

const POLICY_SUBSTRINGS: &[&str] = &[
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

impl Stage for C4Quality {
    fn reasons(&self) -> &'static [&'static str] {
        REASONS
    }

    fn doc_filter(&self) -> Option<&dyn DocFilter> {
        Some(self)
    }
}

impl DocFilter for C4Quality {
    /// `0` to keep (with the text rewritten), else the 1-based index of the
    /// reason in [`REASONS`].
    fn judge(&self, doc: &mut Doc<'_>) -> u8 {
        let c = &self.config;
        let text = doc.text();
        // Kept lines are written straight into the rewrite buffer; a line that
        // fails a rule after citation removal is truncated away again.
        let out = doc.rewrite();
        let mut sentences = 0usize;
        let mut kept = 0usize;
        for line in text::splitlines(text) {
            let line = text::py_strip(line);
            let (words, too_long) = count_words(line, c.max_word_length);
            if too_long {
                continue;
            }
            let mark = out.len();
            if kept > 0 {
                out.push('\n');
            }
            let start = out.len();
            if c.remove_citations {
                push_without_citations(line, out);
            } else {
                out.push_str(line);
            }
            let l = &out[start..];
            let drop_line = (c.filter_no_terminal_punct
                && (!l.ends_with(END_PUNCTUATION) || l.ends_with("...")))
                || words < c.min_words_per_line;
            if drop_line {
                out.truncate(mark);
                continue;
            }
            let found = phrases(l);
            if c.filter_lorem_ipsum && found & LOREM != 0 {
                return LOREM_IPSUM;
            }
            if c.filter_javascript && found & JAVASCRIPT != 0 {
                out.truncate(mark);
                continue;
            }
            if c.filter_curly_bracket && l.contains('{') {
                return CURLY_BRACKET;
            }
            if c.filter_policy && found & POLICY != 0 {
                out.truncate(mark);
                continue;
            }
            // Only the comparison with the minimum matters, so stop counting
            // once it is reached.
            if sentences < c.min_num_sentences {
                sentences += count_sentences(l);
            }
            kept += 1;
        }
        if sentences < c.min_num_sentences {
            return TOO_FEW_SENTENCES;
        }
        // datatrove strips the joined text (citations can leave edge spaces).
        let end = text::py_strip(out.trim_start_matches(text::is_py_space)).len();
        let lead = out.len() - out.trim_start_matches(text::is_py_space).len();
        out.truncate(lead + end);
        out.drain(..lead);
        0
    }
}

/// Words of `line` split at Python white space (`str.split()`), and whether
/// one has more than `max` characters (`0`: no limit). ASCII is decided by
/// byte; other characters are decoded.
fn count_words(line: &str, max: usize) -> (usize, bool) {
    let bytes = line.as_bytes();
    let (mut words, mut too_long) = (0, false);
    let mut word_start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let (space, len) = match bytes[i] {
            b if b.is_ascii() => (PY_SPACE[usize::from(b)], 1),
            _ => {
                let c = line[i..].chars().next().unwrap_or(' ');
                (text::is_py_space(c), c.len_utf8())
            }
        };
        match (space, word_start) {
            (true, Some(s)) => {
                too_long |= max > 0 && exceeds_chars(&line[s..i], max);
                word_start = None;
            }
            (false, None) => {
                words += 1;
                word_start = Some(i);
            }
            _ => {}
        }
        i += len;
    }
    if let Some(s) = word_start {
        too_long |= max > 0 && exceeds_chars(&line[s..], max);
    }
    (words, too_long)
}

/// [`text::is_py_space`] of each ASCII byte.
static PY_SPACE: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = text::is_py_space(b as u8 as char);
        b += 1;
    }
    t
};

/// Whether `s` has more than `max` characters, without counting past it.
fn exceeds_chars(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().nth(max).is_some()
}

/// Appends `line` without the matches of datatrove's `CITATION_REGEX`,
/// `\[\d*]|\[edit]|\[citation needed]` (`\d`: any Unicode decimal digit).
fn push_without_citations(line: &str, out: &mut String) {
    let mut rest = line;
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        let len = citation_len(after);
        if len == 0 {
            out.push_str(&rest[..=i]);
            rest = after;
        } else {
            out.push_str(&rest[..i]);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
}

/// Bytes after a `[` that complete a citation (closing `]` included), or 0.
fn citation_len(after: &str) -> usize {
    let digits: usize = after
        .chars()
        .take_while(|&c| is_decimal(c))
        .map(char::len_utf8)
        .sum();
    if after[digits..].starts_with(']') {
        return digits + 1;
    }
    for word in ["edit]", "citation needed]"] {
        if after.starts_with(word) {
            return word.len();
        }
    }
    0
}

/// Unicode category Nd, which Python's `\d` matches in `str` patterns.
fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    static ND: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let mut buf = [0u8; 4];
    ND.get_or_init(|| regex::Regex::new(r"^\p{Nd}$").expect("valid regex"))
        .is_match(c.encode_utf8(&mut buf))
}

/// [`phrases`] bits: `lorem ipsum`, `javascript`, a policy phrase.
const LOREM: u8 = 1;
const JAVASCRIPT: u8 = 2;
const POLICY: u8 = 4;

/// Which of C4's phrases Python's `line.lower()` contains, as [`LOREM`] |
/// [`JAVASCRIPT`] | [`POLICY`] bits, in one pass over the line.
fn phrases(line: &str) -> u8 {
    static AUTOMATON: std::sync::OnceLock<AhoCorasick> = std::sync::OnceLock::new();
    // `K` (Kelvin) and `İ` lower-case to ASCII: those rare lines take the
    // character-by-character path.
    if line.contains(['\u{212a}', '\u{130}']) {
        let mut found = 0;
        if contains_lower(line, "lorem ipsum") {
            found |= LOREM;
        }
        if contains_lower(line, "javascript") {
            found |= JAVASCRIPT;
        }
        if POLICY_SUBSTRINGS.iter().any(|p| contains_lower(line, p)) {
            found |= POLICY;
        }
        return found;
    }
    let automaton = AUTOMATON.get_or_init(|| {
        let needles = ["lorem ipsum", "javascript"]
            .iter()
            .chain(POLICY_SUBSTRINGS)
            .copied();
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(needles)
            .expect("C4's phrases build an automaton")
    });
    // Most lines hold no phrase, which the automaton's prefilter tells fast.
    if !automaton.is_match(line) {
        return 0;
    }
    // Overlapping, so a phrase inside another's match is still seen.
    automaton.find_overlapping_iter(line).fold(0, |found, m| {
        found
            | match m.pattern().as_usize() {
                0 => LOREM,
                1 => JAVASCRIPT,
                _ => POLICY,
            }
    })
}

/// Whether Python's `s.lower()` contains `needle` (lower-case ASCII). Only two
/// non-ASCII characters lower-case to ASCII: `K` (Kelvin, U+212A) to `k` and
/// `İ` to `i` plus a combining dot, which no needle follows with.
fn contains_lower(s: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    if s.is_ascii() {
        return s
            .as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n));
    }
    let lower = |c: char| -> Option<u8> {
        match c {
            _ if c.is_ascii() => Some(c.to_ascii_lowercase() as u8),
            '\u{212a}' => Some(b'k'),
            '\u{130}' => Some(b'i'),
            _ => None,
        }
    };
    s.char_indices().any(|(i, _)| {
        let mut chars = s[i..].chars();
        n.iter().enumerate().all(|(k, &b)| {
            let c = chars.next();
            // `İ` is `i` then U+0307: it can only end a match.
            c.and_then(lower) == Some(b) && (c != Some('\u{130}') || k + 1 == n.len())
        })
    })
}

/// spaCy's `Sentencizer.default_punct_chars`.
const SENTENCE_PUNCT: &str = "!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？𐩖𐩗𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑩂𑩃𑪛𑪜𑱁𑱂𖩮𖩯𖫵𖬷𖬸𖭄𛲟𝪈｡。";

thread_local! {
    /// Word spans of one whitespace-separated chunk, reused across lines.
    static CHUNK_WORDS: RefCell<Vec<Span>> = const { RefCell::new(Vec::new()) };
}

/// Sentences in `line` as datatrove's `split_into_sentences` counts them for
/// English: spaCy's sentencizer starts a sentence at the first token that is
/// neither punctuation nor a sentence mark after a token that is a sentence
/// mark. spaCy also makes a token of every whitespace run other than a single
/// space following a word (minus that space), which can start a sentence. An
/// empty text still gives one (empty) part.
pub fn count_sentences(line: &str) -> usize {
    let mut sentences = 1;
    let mut seen_mark = false;
    let mut visit = |token: &str| {
        let mut chars = token.chars();
        let mark = match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii() => matches!(c, '!' | '.' | '?'),
            (Some(c), None) => SENTENCE_PUNCT.contains(c),
            _ => false,
        };
        if seen_mark && !mark && !is_spacy_punct(token) {
            sentences += 1;
            seen_mark = false;
        } else if mark {
            seen_mark = true;
        }
    };
    CHUNK_WORDS.with_borrow_mut(|words| {
        let mut rest = line;
        let mut after_word = false;
        while !rest.is_empty() {
            let ws = rest.len() - rest.trim_start_matches(text::is_py_space).len();
            if ws > 0 {
                let gap = &rest[..ws];
                let token = if after_word {
                    gap.strip_prefix(' ').unwrap_or(gap)
                } else {
                    gap
                };
                if !token.is_empty() {
                    visit(token);
                }
                rest = &rest[ws..];
                continue;
            }
            let end = rest.find(text::is_py_space).unwrap_or(rest.len());
            let chunk = &rest[..end];
            words.clear();
            text::split_words(chunk, words);
            for w in words.iter() {
                visit(w.of(chunk));
            }
            after_word = true;
            rest = &rest[end..];
        }
    });
    sentences
}

/// spaCy's `is_punct`: every character is in a Unicode punctuation category.
fn is_spacy_punct(token: &str) -> bool {
    if token.is_ascii() {
        return token
            .bytes()
            .all(|b| b"!\"#%&'()*,-./:;?@[\\]_{}".contains(&b));
    }
    static P: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    P.get_or_init(|| regex::Regex::new(r"^\p{P}+$").expect("valid regex"))
        .is_match(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::doc;

    fn stage(fineweb: bool) -> C4Quality {
        let mut config: C4QualityConfig = crate::fields::defaults();
        config.filter_no_terminal_punct = !fineweb;
        C4Quality { config }
    }

    /// The decision and, when kept, the rewritten text.
    fn judge(s: &C4Quality, t: &str) -> (&'static str, String) {
        match doc::judge_text(s, t, None) {
            (0, text) => ("keep", text.expect("c4_quality always rewrites")),
            (k, _) => (REASONS[k as usize - 1], String::new()),
        }
    }

    #[test]
    fn words_are_counted_as_python_splits_them() {
        let cases = [
            "",
            "   ",
            "one",
            " two  words ",
            "tab\tand\x1cseparator\u{85}next\u{a0}nbsp\u{3000}ideo",
            "naïve café\u{2028}x",
            "\u{200b}zero-width is not space",
        ];
        for line in cases {
            let words: Vec<&str> = line
                .split(text::is_py_space)
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(count_words(line, 0), (words.len(), false), "{line:?}");
            let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
            if longest > 0 {
                assert!(!count_words(line, longest).1, "{line:?}");
                assert_eq!(count_words(line, longest - 1).1, longest > 1, "{line:?}");
            }
        }
    }

    #[test]
    fn matches_datatrove_on_real_documents() {
        let Some(rows) = parity::golden() else {
            eprintln!("SHARDWISE_SHARED unset: skipping the datatrove parity check");
            return;
        };
        for (key, fineweb) in [("c4_quality", false), ("c4_quality_fineweb", true)] {
            let s = stage(fineweb);
            let (n, agree, kept, same) = parity::compare("golden", key, &rows, |t| {
                let (d, text) = judge(&s, t);
                (d, Some(text))
            });
            assert_eq!(
                (agree, same),
                (n, kept),
                "{key}: disagreements with datatrove"
            );
        }
    }

    /// Agreement over every document of the full reference run (see
    /// `tests/parity/c4_reference.py`), per file.
    #[test]
    #[ignore = "needs SHARDWISE_SHARED and SHARDWISE_C4_REFERENCE"]
    fn c4_all_quality() {
        for (key, fineweb) in [("c4_quality", false), ("c4_quality_fineweb", true)] {
            let s = stage(fineweb);
            let mut total = (0, 0, 0, 0);
            let ran = parity::for_each_file(|file, rows| {
                let r = parity::compare(file, key, &rows, |t| {
                    let (d, text) = judge(&s, t);
                    (d, Some(text))
                });
                total = (total.0 + r.0, total.1 + r.1, total.2 + r.2, total.3 + r.3);
            });
            assert!(ran, "set SHARDWISE_SHARED and SHARDWISE_C4_REFERENCE");
            eprintln!(
                "TOTAL {key}: decisions {}/{} agree, texts {}/{}",
                total.1, total.0, total.3, total.2
            );
        }
    }

    #[test]
    fn sentences_follow_spacy_sentencizer() {
        // Expected: len(datatrove.utils.text.split_into_sentences(text)).
        let cases: &[(&str, usize)] = &[
            ("", 1),
            ("One sentence here.", 1),
            ("One. Two. Three.", 3),
            ("Wait... what? Yes!", 2),
            ("Dr. Smith went home. He slept.", 2),
            ("U.S. policy is here. Then more.", 2),
            ("Hello!! World?! Fine.", 3),
            ("He said \"stop.\" Then left.", 2),
            ("First.  Second.", 2),
            ("End.  .", 2),
            ("これは文です。これも文です。", 1),
            ("Это первое. Это второе.", 2),
            ("a.b c.d e. f", 1),
        ];
        for (t, want) in cases {
            assert_eq!(count_sentences(t), *want, "{t:?}");
        }
    }

    #[test]
    fn citations_are_removed_like_the_regex() {
        let cases: &[(&str, &str)] = &[
            ("a[1] b[23] c[] d[edit] e[citation needed].", "a b c d e."),
            ("[[1]] [x] [edit [1", "[] [x] [edit [1"),
            ("٣[٣] end", "٣ end"),
        ];
        for (t, want) in cases {
            let mut out = String::new();
            push_without_citations(t, &mut out);
            assert_eq!(out, *want, "{t:?}");
        }
    }

    #[test]
    fn lowercase_search_matches_python_lower() {
        for line in [
            "Use of COOKIES here",
            "We use coo\u{212a}ies",
            "é JavaScript and LOREM IPSUM",
            "Terms of Use",
            "privacy-policy",
            "",
        ] {
            let slow = (u8::from(contains_lower(line, "lorem ipsum")) * LOREM)
                | (u8::from(contains_lower(line, "javascript")) * JAVASCRIPT)
                | (u8::from(POLICY_SUBSTRINGS.iter().any(|p| contains_lower(line, p))) * POLICY);
            assert_eq!(phrases(line), slow, "{line:?}");
        }
        assert!(contains_lower("Use of COOKIES here", "use of cookies"));
        assert!(contains_lower("We use coo\u{212a}ies", "use cookies"));
        assert!(!contains_lower("JAVASCİPT", "javascript"));
        assert!(contains_lower("é JavaScript", "javascript"));
        assert!(!contains_lower("Java Script", "javascript"));
    }

    #[test]
    fn rules_match_datatrove() {
        // Expected: datatrove 0.10.1 C4QualityFilter() and
        // C4QualityFilter(filter_no_terminal_punct=False), run on each text
        // with /root/.cache/shardwise-bench-venv/bin/python; "keep" cases give
        // datatrove's rewritten doc.text.
        let s5 = "This is one. This is two. This is three. Four is here. Five is here.";
        // (name, text, datatrove's (decision, text), the same with fineweb's settings)
        type Case = (
            &'static str,
            String,
            (&'static str, String),
            (&'static str, String),
        );
        let cases: Vec<Case> = vec![
            (
                "empty",
                String::new(),
                ("too_few_sentences", String::new()),
                ("too_few_sentences", String::new()),
            ),
            (
                "whitespace",
                " \n\t \r\n ".into(),
                ("too_few_sentences", String::new()),
                ("too_few_sentences", String::new()),
            ),
            ("five", s5.into(), ("keep", s5.to_string()), ("keep", s5.to_string())),
            (
                "crlf",
                format!("{s5}\r\nnav menu item\r\n  Last line is fine.  \r\n"),
                ("keep", format!("{s5}\nLast line is fine.")),
                ("keep", format!("{s5}\nnav menu item\nLast line is fine.")),
            ),
            (
                "citations",
                format!("[1] {s5}[2]\nSee also the notes [edit]\nShort line [3]."),
                ("keep", format!("{s5}\nShort line .")),
                ("keep", format!("{s5}\nSee also the notes \nShort line .")),
            ),
            (
                "citation_space",
                format!("{s5}\nThis ends in a citation. [12]"),
                ("keep", s5.to_string()),
                ("keep", format!("{s5}\nThis ends in a citation.")),
            ),
            (
                "javascript",
                format!("{s5}\nPlease enable JavaScript to view this."),
                ("keep", s5.to_string()),
                ("keep", s5.to_string()),
            ),
            (
                "lorem",
                format!("{s5}\nLorem Ipsum dolor sit amet."),
                ("lorem_ipsum", String::new()),
                ("lorem_ipsum", String::new()),
            ),
            (
                "lorem_short_line",
                format!("{s5}\nLorem ipsum."),
                ("keep", s5.to_string()),
                ("keep", s5.to_string()),
            ),
            (
                "curly",
                format!("{s5}\nfunction f() {{ return 1; }}"),
                ("keep", s5.to_string()),
                ("curly_bracket", String::new()),
            ),
            (
                "curly_punct",
                format!("{s5}\nThe set {{1, 2}} is small."),
                ("curly_bracket", String::new()),
                ("curly_bracket", String::new()),
            ),
            (
                "policy",
                format!("{s5}\nThis site uses cookies to work.\nRead our Privacy Policy now."),
                ("keep", s5.to_string()),
                ("keep", s5.to_string()),
            ),
            (
                "terminal_variants",
                "He said \"yes.\"\nShe said 'no.'\nIs it so?\nIt is!\nWait for it...\n\
                 Wait for it…\nA closing ’quote’\nTrailing colon here:"
                    .into(),
                ("too_few_sentences", String::new()),
                (
                    "keep",
                    "He said \"yes.\"\nShe said 'no.'\nIs it so?\nWait for it...\nWait for it…\n\
                     A closing ’quote’\nTrailing colon here:"
                        .to_string(),
                ),
            ),
            (
                "terminal_variants_enough",
                format!("{s5}\nHe said \"yes.\"\nShe said 'no.'\nWait for it...\nWait for it…"),
                ("keep", format!("{s5}\nHe said \"yes.\"\nShe said 'no.'")),
                ("keep", format!("{s5}\nHe said \"yes.\"\nShe said 'no.'\nWait for it...\nWait for it…")),
            ),
            (
                "giant_line",
                format!("{} end.", "word ".repeat(5000)),
                ("too_few_sentences", String::new()),
                ("too_few_sentences", String::new()),
            ),
            (
                "long_word",
                format!("{s5}\nA {} word here.", "x".repeat(1001)),
                ("keep", s5.to_string()),
                ("keep", s5.to_string()),
            ),
            (
                "word_of_1000",
                format!("{s5}\nA {} word here.", "x".repeat(1000)),
                ("keep", format!("{s5}\nA {} word here.", "x".repeat(1000))),
                ("keep", format!("{s5}\nA {} word here.", "x".repeat(1000))),
            ),
            (
                "cjk",
                "这是第一句话。这是第二句话。这是第三句话。这是第四句话。这是第五句话。".into(),
                ("too_few_sentences", String::new()),
                ("too_few_sentences", String::new()),
            ),
            (
                "cyrillic",
                "Это первое предложение. Это второе предложение. Третье тоже здесь. \
                 Четвёртое есть. Пятое тоже."
                    .into(),
                ("keep", "Это первое предложение. Это второе предложение. Третье тоже здесь. Четвёртое есть. Пятое тоже.".to_string()),
                ("keep", "Это первое предложение. Это второе предложение. Третье тоже здесь. Четвёртое есть. Пятое тоже.".to_string()),
            ),
            (
                "two_words",
                format!("{s5}\nToo short."),
                ("keep", s5.to_string()),
                ("keep", s5.to_string()),
            ),
        ];
        for (name, t, want, want_fw) in &cases {
            for (fineweb, want) in [(false, want), (true, want_fw)] {
                let got = judge(&stage(fineweb), t);
                assert_eq!(
                    (got.0, got.1.as_str()),
                    (want.0, want.1.as_str()),
                    "{name} (fineweb: {fineweb}): {t:?}"
                );
            }
        }
    }
}

/// Reference decisions of datatrove 0.10.1 (`tests/parity/c4_reference.py`)
/// and the texts they were made from, for the C4 stages' parity tests.
#[cfg(test)]
pub(crate) mod parity {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    use crate::formats::{self, ReadOptions};
    use crate::store::LocalStore;

    /// The shared corpus file the golden decisions were made from.
    const CORPUS: &str = "data/jsonl/dolma-cc-main-2019-30-00140.jsonl.gz";

    /// Reference rows with their document texts.
    pub type Rows = Vec<(Value, String)>;

    /// The golden rows (`tests/data/c4_reference.jsonl`) with their texts, or
    /// `None` when `SHARDWISE_SHARED` is unset (the tests then skip).
    pub fn golden() -> Option<Rows> {
        let shared = std::env::var_os("SHARDWISE_SHARED")?;
        let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/c4_reference.jsonl");
        let mut want = reference(Path::new(golden));
        let rows = with_texts(&Path::new(&shared).join(CORPUS), &mut want);
        assert!(want.is_empty(), "golden ids missing from {CORPUS}");
        Some(rows)
    }

    /// Every row of the reference file at `SHARDWISE_C4_REFERENCE`, with its
    /// text from the file of that name under `$SHARDWISE_SHARED/data/*/`, one
    /// file at a time; `false` when either variable is unset.
    pub fn for_each_file(mut f: impl FnMut(&str, Rows)) -> bool {
        let (Some(shared), Some(reference_path)) = (
            std::env::var_os("SHARDWISE_SHARED"),
            std::env::var_os("SHARDWISE_C4_REFERENCE"),
        ) else {
            return false;
        };
        let rows = reference(Path::new(&reference_path));
        let mut by_file: HashMap<String, HashMap<String, Value>> = HashMap::new();
        for (id, row) in rows {
            let file = row["file"].as_str().expect("file").to_string();
            by_file.entry(file).or_default().insert(id, row);
        }
        let mut files: Vec<_> = by_file.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (file, mut want) in files {
            let path = find(Path::new(&shared), &file);
            let rows = with_texts(&path, &mut want);
            assert!(
                want.is_empty(),
                "{} ids missing from {}",
                want.len(),
                path.display()
            );
            f(&file, rows);
        }
        true
    }

    fn find(shared: &Path, file: &str) -> PathBuf {
        ["jsonl", "wet", "corpus", "warc"]
            .iter()
            .map(|d| shared.join("data").join(d).join(file))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{file} not found under {}/data", shared.display()))
    }

    fn reference(path: &Path) -> HashMap<String, Value> {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("reference line");
                (v["id"].as_str().expect("id").to_string(), v)
            })
            .collect()
    }

    /// The rows of `want` found in `path`, in file order, with their texts.
    fn with_texts(path: &Path, want: &mut HashMap<String, Value>) -> Rows {
        let uri = path.to_str().expect("utf-8 path");
        let mut reader = formats::open(&LocalStore, uri, 0, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{uri}: {e:#}"));
        let mut rows = Vec::new();
        while let Some(batch) = reader.next_batch().expect("readable shard") {
            let cols = crate::document::Columns::of(&batch);
            for row in 0..batch.num_rows() {
                if let Some(v) = want.remove(cols.id.value(row)) {
                    rows.push((v, cols.text.value(row).to_string()));
                }
            }
            if want.is_empty() {
                break;
            }
        }
        rows
    }

    /// Hex SHA-1 of a text, as the reference script prints it.
    pub fn sha1(text: &str) -> String {
        use sha1::Digest;
        sha1::Sha1::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Agreement of `judge` (decision, rewritten text when kept) with the
    /// reference field `key` (and `{key}_text_sha1` when present) over `rows`:
    /// `(documents, decisions agreeing, both kept, texts agreeing)`. Prints
    /// the first disagreements.
    pub fn compare(
        label: &str,
        key: &str,
        rows: &Rows,
        judge: impl Fn(&str) -> (&'static str, Option<String>),
    ) -> (usize, usize, usize, usize) {
        let (mut agree, mut kept, mut same_text, mut shown) = (0, 0, 0, 0);
        for (want, text) in rows {
            let (got, rewritten) = judge(text);
            let id = want["id"].as_str().unwrap_or_default();
            let expected = want[key].as_str().expect("reference decision");
            if got == expected {
                agree += 1;
            } else if shown < 20 {
                shown += 1;
                eprintln!("{label} {key} {id}: datatrove {expected}, shardwise {got}");
            }
            let want_sha = want.get(format!("{key}_text_sha1")).and_then(Value::as_str);
            if let (Some(want_sha), Some(t)) = (want_sha, rewritten.filter(|_| got == "keep")) {
                kept += 1;
                if sha1(&t) == want_sha {
                    same_text += 1;
                } else if shown < 20 {
                    shown += 1;
                    eprintln!("{label} {key} {id}: rewritten text differs");
                }
            }
        }
        eprintln!(
            "{label} {key}: decisions {agree}/{} agree, texts {same_text}/{kept}",
            rows.len()
        );
        (rows.len(), agree, kept, same_text)
    }
}

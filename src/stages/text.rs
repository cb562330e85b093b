//! Shared text analysis for heuristic filters: words, lines, paragraphs and the
//! repetition statistics Gopher-style filters need, computed once per document.
//!
//! An [`Analysis`] holds only spans into the document and reusable buffers, so a
//! stage creates one per batch and calls [`Analysis::run`] per document without
//! allocating. Lengths are in characters (Unicode scalar values), as Python's
//! `len` counts them, because the reference thresholds are character fractions.
//! This module must not know about stages, configs or batches.
//!
//! Words follow spaCy's blank English tokenizer, which datatrove 0.10.1 uses
//! for `en` (`split_into_words`), re-implemented without regexes: split on
//! whitespace; peel spaCy's prefix and suffix characters one at a time
//! (ellipses whole; `.` only after a lower-case letter, digit or punctuation, or
//! two capitals; currency, `+` and units only after a digit; `'s`, `n't`, `'ll`
//! and the like); keep URLs and host names whole; split infixes (hyphens and
//! `:<>=/` before a letter, commas between letters, `lower.Upper`, ellipses,
//! arithmetic between digits, symbols); apply spaCy's English exceptions
//! (`U.S.`, `e.g.`, emoticons, `dont`, `10am`), merging split pieces that spell
//! one. Character classes and exception tables are spaCy 3.8's. Known
//! differences: the URL test is simplified (no IP-address rules), contractions
//! are split after any letter rather than only in listed words, `US$`-style
//! multi-character currency prefixes are not split, and `°C.` keeps its period.
//!
//! Speed: most chunks of real text take a shortcut that gives exactly what the
//! general rules give (tests check both ways on generated and real text): plain
//! words and numbers, words of other scripts with no affix trigger, one
//! character, a word between marks (`“word,”`), hyphenated words. A filter of
//! the special cases' shapes rules out almost every chunk before any hash
//! lookup, and each chunk's printable ASCII is scanned eight bytes at a time.
//! Each word records its [`Shape`] (ASCII letters, digits or punctuation), so
//! character rules need not read it again.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use memchr::memmem;

use super::ngrams::{Ngrams, Slots, spread};

/// A byte span of the document, its length in characters, and what the word
/// split learned of its characters.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub chars: u32,
    pub shape: Shape,
}

/// What the word split saw of a word's characters on its way, so that rules
/// about characters need not read most words again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Only ASCII letters.
    Letters,
    /// Only ASCII digits.
    Digits,
    /// Only ASCII punctuation (`,` `--` `.`).
    Punct,
    /// Not known: read the word.
    Unknown,
}

impl Span {
    pub fn of<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start as usize..self.end as usize]
    }
}

/// Per-document analysis with buffers reused across documents.
#[derive(Default)]
pub struct Analysis {
    /// Words as the reference word tokenizer would split them.
    pub words: Vec<Span>,
    /// Characters in the whole document.
    pub chars: usize,
    seen: Slots,
    /// Hashes of the pieces `seen` holds, by value.
    seen_hashes: Vec<u64>,
    ngrams: Ngrams,
    /// Whether `ngrams` indexes the current `words`.
    indexed: bool,
}

impl Analysis {
    /// Analyses `text`: splits words, keeping the buffers for the next document.
    pub fn run(&mut self, text: &str) {
        // Buffers are kept across documents and batches; after a huge
        // document, a much smaller one gives the memory back.
        if self.words.capacity() > 4 * text.len().max(1 << 16) {
            self.words = Vec::new();
        }
        self.words.clear();
        self.indexed = false;
        self.chars = text.chars().count();
        split_words(text, &mut self.words);
    }

    /// Word n-gram statistics of the words of `text`, which must be the text
    /// last given to [`Analysis::run`]; indexed on the first call after it, so
    /// filters that need no n-grams do not pay for them.
    pub fn ngrams(&mut self, text: &str) -> &mut Ngrams {
        if !self.indexed {
            self.ngrams.index(text, &self.words);
            self.indexed = true;
        }
        &mut self.ngrams
    }

    /// Duplicate count and duplicate characters of the pieces, each piece after
    /// its first occurrence counting (datatrove's `find_duplicates`). Pieces are
    /// compared by 64-bit hash.
    pub fn duplicates<'t>(
        &mut self,
        pieces: impl Iterator<Item = &'t str>,
    ) -> (usize, usize, usize) {
        let (mut n, mut dup, mut dup_chars) = (0, 0, 0);
        let mut first = "";
        for p in pieces {
            n += 1;
            if self.seen_before(p, n, &mut first) {
                dup += 1;
                dup_chars += p.chars().count();
            }
        }
        (n, dup, dup_chars)
    }

    /// [`Analysis::duplicates`] of `split_newline_runs(text, min)`, splitting
    /// and hashing in one pass. Breaks of two or more newlines are searched
    /// for directly, so the single newlines inside paragraphs cost nothing.
    pub fn newline_duplicates(&mut self, text: &str, min: usize) -> (usize, usize, usize) {
        static BREAK: LazyLock<memmem::Finder<'static>> =
            LazyLock::new(|| memmem::Finder::new(b"\n\n"));
        let bytes = text.as_bytes();
        let (mut n, mut dup, mut dup_chars) = (0, 0, 0);
        let mut first = "";
        let (mut start, mut from) = (0, 0);
        loop {
            let rest = &bytes[from..];
            let found = if min >= 2 {
                BREAK.find(rest)
            } else {
                memchr::memchr(b'\n', rest)
            };
            let run = found.map_or(bytes.len(), |off| from + off);
            let end = run + bytes[run..].iter().take_while(|&&b| b == b'\n').count();
            if run == bytes.len() || end - run >= min {
                let piece = &text[start..run];
                n += 1;
                if self.seen_before(piece, n, &mut first) {
                    dup += 1;
                    dup_chars += piece.chars().count();
                }
                if run == bytes.len() {
                    return (n, dup, dup_chars);
                }
                start = end;
            }
            from = end;
        }
    }

    /// Whether a piece with the same hash as the `n`th, `piece`, came before
    /// it. Most documents have one line or paragraph, so the first piece is
    /// only kept in `first` and hashed when a second one comes.
    fn seen_before<'t>(&mut self, piece: &'t str, n: usize, first: &mut &'t str) -> bool {
        match n {
            1 => {
                *first = piece;
                return false;
            }
            2 => {
                // Sized for short documents; the table grows for long ones.
                self.seen.reset(32);
                self.seen_hashes.clear();
                self.seen_hash(first);
            }
            _ => {}
        }
        self.seen_hash(piece)
    }

    /// Whether a piece with `piece`'s hash is in `seen`, adding it if not.
    fn seen_hash(&mut self, piece: &str) -> bool {
        let hash = hash_piece(piece.as_bytes());
        let hashes = &self.seen_hashes;
        let next = hashes.len() as u32;
        let found = self
            .seen
            .find_or_insert(spread(hash), next, |i| hashes[i as usize] == hash);
        if found.is_none() {
            self.seen_hashes.push(hash);
        }
        found.is_some()
    }
}

/// A 64-bit hash of a line or paragraph, in the manner of wyhash: one 128-bit
/// multiply per 16 bytes.
fn hash_piece(b: &[u8]) -> u64 {
    const P0: u64 = 0xa076_1d64_78bd_642f;
    const P1: u64 = 0xe703_7ed1_a0b4_28db;
    let mix = |a: u64, b: u64| {
        let p = u128::from(a) * u128::from(b);
        p as u64 ^ (p >> 64) as u64
    };
    let read8 = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
    let read4 = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or([0; 4])));
    let n = b.len();
    let mut seed = P0 ^ n as u64;
    // Below 16 bytes the (overlapping) reads cover every byte.
    let (x, y) = if n > 16 {
        let mut i = 0;
        while i + 16 < n {
            seed = mix(read8(i) ^ P1, read8(i + 8) ^ seed);
            i += 16;
        }
        (read8(n - 16), read8(n - 8))
    } else if n >= 8 {
        (read8(0), read8(n - 8))
    } else if n >= 4 {
        (read4(0), read4(n - 4))
    } else if n > 0 {
        (
            u64::from(b[0]) << 16 | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]),
            0,
        )
    } else {
        (0, 0)
    };
    mix(P1 ^ n as u64, mix(x ^ P1, y ^ seed))
}

/// Lines as Python's `str.splitlines()` gives them: split at `\n`, `\r`,
/// `\r\n`, `\v`, `\f`, `\x1c-\x1e`, `\x85`, U+2028 and U+2029; no trailing
/// empty line.
pub fn splitlines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // Scan bytes for the ASCII breaks and the lead bytes of the others.
        let bytes = rest.as_bytes();
        let mut from = 0;
        while let Some(off) = next_break_candidate(&bytes[from..]) {
            let at = from + off;
            let next = |k: usize| bytes.get(at + k).copied();
            let skip = match bytes[at] {
                b'\r' if next(1) == Some(b'\n') => 2,
                0xc2 if next(1) == Some(0x85) => 2,
                0xe2 if next(1) == Some(0x80) && matches!(next(2), Some(0xa8 | 0xa9)) => 3,
                0xc2 | 0xe2 => 0,
                _ => 1,
            };
            if skip == 0 || !LINE_BREAK_BYTE[usize::from(bytes[at])] {
                from = at + 1;
                continue;
            }
            let line = &rest[..at];
            rest = &rest[at + skip..];
            return Some(line);
        }
        Some(std::mem::take(&mut rest))
    })
}

/// The first byte of `b` that may be a line break (see [`LINE_BREAK_BYTE`]),
/// or some other control character, found eight bytes at a time (SWAR: the
/// lowest flagged byte is exact).
fn next_break_candidate(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
    let mut i = 0;
    while let Some(eight) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(eight.try_into().unwrap_or([0; 8]));
        // Below 0x1f (every ASCII break is), or 0xc2, or 0xe2.
        let m = (x.wrapping_sub(ONES * 0x1f) & !x & HIGH)
            | zero(x ^ (ONES * 0xc2))
            | zero(x ^ (ONES * 0xe2));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| LINE_BREAK_BYTE[usize::from(c)])
        .map(|p| i + p)
}

/// Bytes that are, or may begin, a line break for [`splitlines`]: the ASCII
/// breaks, and the UTF-8 lead bytes of U+0085, U+2028 and U+2029.
static LINE_BREAK_BYTE: [bool; 256] = byte_set(b"\n\r\x0b\x0c\x1c\x1d\x1e\xc2\xe2");

/// A table of `N` flags, set at the given bytes (each below `N`).
const fn byte_set<const N: usize>(bytes: &[u8]) -> [bool; N] {
    let mut t = [false; N];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}

/// Whether `c` ends a line for Python's `str.splitlines()`.
#[cfg(test)]
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Pieces between runs of at least `min` consecutive `\n` (Python
/// `re.split("\n{min,}", text)`), so empty pieces at either end are kept: the
/// plain reference for [`Analysis::newline_duplicates`].
#[cfg(test)]
fn split_newline_runs(text: &str, min: usize) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut search = pos;
        while let Some(off) = memchr::memchr(b'\n', &bytes[search..]) {
            let start = search + off;
            let mut end = start;
            while end < bytes.len() && bytes[end] == b'\n' {
                end += 1;
            }
            if end - start >= min {
                let piece = &text[pos..start];
                pos = end;
                return Some(piece);
            }
            search = end;
        }
        done = true;
        Some(&text[pos..])
    })
}

/// Whether `c` is in datatrove's `PUNCTUATION_SET` (ASCII and CJK punctuation,
/// control characters, and every terminal punctuation mark it lists).
pub fn is_punctuation(c: char) -> bool {
    match u8::try_from(c) {
        Ok(b) if b < 0x80 => ASCII_PUNCTUATION[usize::from(b)],
        _ => PUNCTUATION.binary_search(&c).is_ok(),
    }
}

/// [`is_punctuation`] for an ASCII byte.
pub const fn is_ascii_punctuation(b: u8) -> bool {
    b < 0x80 && ASCII_PUNCTUATION[b as usize]
}

/// [`PUNCTUATION`] for ASCII, by code: most characters are ASCII.
static ASCII_PUNCTUATION: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < PUNCTUATION.len() {
        let c = PUNCTUATION[i] as u32;
        if c < 128 {
            t[c as usize] = true;
        }
        i += 1;
    }
    t
};

/// datatrove 0.10.1's `PUNCTUATION_SET`, sorted.
#[rustfmt::skip]
static PUNCTUATION: &[char] = &[
    '\u{0}', '\u{1}', '\u{2}', '\u{3}', '\u{4}', '\u{5}', '\u{6}', '\u{7}', '\u{8}', '\u{b}',
    '\u{c}', '\u{d}', '\u{e}', '\u{f}', '\u{10}', '\u{11}', '\u{12}', '\u{13}', '\u{14}', '\u{15}',
    '\u{16}', '\u{17}', '\u{18}', '\u{19}', '\u{1a}', '\u{1b}', '\u{1c}', '\u{1d}', '\u{1e}',
    '\u{1f}', '\u{21}', '\u{22}', '\u{23}', '\u{24}', '\u{25}', '\u{26}', '\u{27}', '\u{28}',
    '\u{29}', '\u{2a}', '\u{2b}', '\u{2c}', '\u{2d}', '\u{2e}', '\u{2f}', '\u{3a}', '\u{3b}',
    '\u{3c}', '\u{3d}', '\u{3e}', '\u{3f}', '\u{40}', '\u{5b}', '\u{5c}', '\u{5d}', '\u{5e}',
    '\u{5f}', '\u{60}', '\u{7b}', '\u{7c}', '\u{7d}', '\u{7e}', '\u{7f}', '\u{80}', '\u{81}',
    '\u{82}', '\u{83}', '\u{84}', '\u{85}', '\u{86}', '\u{87}', '\u{88}', '\u{89}', '\u{8a}',
    '\u{8b}', '\u{8c}', '\u{8d}', '\u{8e}', '\u{8f}', '\u{90}', '\u{91}', '\u{92}', '\u{93}',
    '\u{94}', '\u{95}', '\u{96}', '\u{97}', '\u{98}', '\u{99}', '\u{9a}', '\u{9b}', '\u{9c}',
    '\u{9d}', '\u{9e}', '\u{9f}', '\u{ab}', '\u{b4}', '\u{bb}', '\u{589}', '\u{61d}', '\u{61e}',
    '\u{61f}', '\u{6d4}', '\u{700}', '\u{701}', '\u{702}', '\u{7f9}', '\u{837}', '\u{839}',
    '\u{83d}', '\u{83e}', '\u{964}', '\u{965}', '\u{104a}', '\u{104b}', '\u{1362}', '\u{1367}',
    '\u{1368}', '\u{166e}', '\u{1735}', '\u{1736}', '\u{17d4}', '\u{17d5}', '\u{17d6}', '\u{17d9}',
    '\u{17da}', '\u{1803}', '\u{1809}', '\u{1944}', '\u{1945}', '\u{1aa8}', '\u{1aa9}', '\u{1aaa}',
    '\u{1aab}', '\u{1b5a}', '\u{1b5b}', '\u{1b5e}', '\u{1b5f}', '\u{1b7d}', '\u{1b7e}', '\u{1c3b}',
    '\u{1c3c}', '\u{1c7e}', '\u{1c7f}', '\u{2013}', '\u{2014}', '\u{2019}', '\u{201c}', '\u{201d}',
    '\u{201e}', '\u{2026}', '\u{203c}', '\u{203d}', '\u{2047}', '\u{2048}', '\u{2049}', '\u{2236}',
    '\u{2501}', '\u{25ba}', '\u{2e2e}', '\u{2e3c}', '\u{2e53}', '\u{2e54}', '\u{3001}', '\u{3002}',
    '\u{3008}', '\u{3009}', '\u{300a}', '\u{300b}', '\u{300c}', '\u{300d}', '\u{3010}', '\u{3011}',
    '\u{a4ff}', '\u{a60e}', '\u{a60f}', '\u{a6f3}', '\u{a6f7}', '\u{a876}', '\u{a877}', '\u{a8ce}',
    '\u{a8cf}', '\u{a92f}', '\u{a9c8}', '\u{a9c9}', '\u{aa5d}', '\u{aa5e}', '\u{aa5f}', '\u{aaf0}',
    '\u{aaf1}', '\u{abeb}', '\u{fe52}', '\u{fe56}', '\u{fe57}', '\u{ff01}', '\u{ff05}', '\u{ff08}',
    '\u{ff09}', '\u{ff0c}', '\u{ff0e}', '\u{ff11}', '\u{ff1a}', '\u{ff1b}', '\u{ff1f}', '\u{ff5e}',
    '\u{ff61}', '\u{10a56}', '\u{10a57}', '\u{10f55}', '\u{10f56}', '\u{10f57}', '\u{10f58}',
    '\u{10f59}', '\u{10f86}', '\u{10f87}', '\u{10f88}', '\u{10f89}', '\u{11047}', '\u{11048}',
    '\u{110be}', '\u{110bf}', '\u{110c0}', '\u{110c1}', '\u{11141}', '\u{11142}', '\u{11143}',
    '\u{111c5}', '\u{111c6}', '\u{111cd}', '\u{111de}', '\u{111df}', '\u{11238}', '\u{11239}',
    '\u{1123b}', '\u{1123c}', '\u{112a9}', '\u{1144b}', '\u{1144c}', '\u{115c2}', '\u{115c3}',
    '\u{115c9}', '\u{115ca}', '\u{115cb}', '\u{115cc}', '\u{115cd}', '\u{115ce}', '\u{115cf}',
    '\u{115d0}', '\u{115d1}', '\u{115d2}', '\u{115d3}', '\u{115d4}', '\u{115d5}', '\u{115d6}',
    '\u{115d7}', '\u{11641}', '\u{11642}', '\u{1173c}', '\u{1173d}', '\u{1173e}', '\u{11944}',
    '\u{11946}', '\u{11a42}', '\u{11a43}', '\u{11a9b}', '\u{11a9c}', '\u{11c41}', '\u{11c42}',
    '\u{11ef7}', '\u{11ef8}', '\u{11f43}', '\u{11f44}', '\u{16a6e}', '\u{16a6f}', '\u{16af5}',
    '\u{16b37}', '\u{16b38}', '\u{16b44}', '\u{16e98}', '\u{1bc9f}', '\u{1da88}',
];

fn push_span(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    if start < end {
        // Characters are the bytes that do not continue one (not 0b10xxxxxx);
        // counted inline, as most words are a few bytes.
        let chars = text.as_bytes()[start..end]
            .iter()
            .filter(|&&b| (b as i8) >= -0x40)
            .count() as u32;
        out.push(Span {
            start: start as u32,
            end: end as u32,
            chars,
            shape: Shape::Unknown,
        });
    }
}

/// ASCII characters' membership of the affix classes, by code: a table is one
/// load, where the character lists compile to jump tables.
static ASCII_AFFIX: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8 as char;
        t[b] = if punct_char(c) { PUNCT_CLASS } else { 0 }
            | if quote_char(c) { QUOTE_CLASS } else { 0 }
            | if currency_char(c) { CURRENCY_CLASS } else { 0 };
        b += 1;
    }
    t
};

const PUNCT_CLASS: u8 = 1;
const QUOTE_CLASS: u8 = 2;
const CURRENCY_CLASS: u8 = 4;

/// Whether `c` is in the affix classes `class` (bits of [`ASCII_AFFIX`]).
#[inline]
fn in_affix_class(c: char, class: u8, of: fn(char) -> bool) -> bool {
    match ASCII_AFFIX.get(c as usize) {
        Some(&bits) => bits & class != 0,
        None => of(c),
    }
}

/// spaCy's `LIST_PUNCT` characters ([`punct_char`], ASCII by table).
fn is_punct(c: char) -> bool {
    in_affix_class(c, PUNCT_CLASS, punct_char)
}

/// spaCy's `LIST_QUOTES` characters ([`quote_char`], ASCII by table).
fn is_quote(c: char) -> bool {
    in_affix_class(c, QUOTE_CLASS, quote_char)
}

/// Currency symbols that split off after a digit ([`currency_char`], ASCII
/// by table).
fn is_currency(c: char) -> bool {
    in_affix_class(c, CURRENCY_CLASS, currency_char)
}

/// spaCy's `LIST_PUNCT` characters.
const fn punct_char(c: char) -> bool {
    matches!(
        c,
        '…' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
    )
}

/// spaCy's `LIST_QUOTES` characters.
const fn quote_char(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '”'
            | '“'
            | '`'
            | '‘'
            | '´'
            | '’'
            | '‚'
            | '„'
            | '»'
            | '«'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '〔'
            | '〕'
            | '【'
            | '】'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '\u{2329}'
            | '\u{232a}'
            | '⟦'
            | '⟧'
    )
}

/// What spaCy's English prefix rules split off the front of a token (`next`
/// follows `c`).
fn is_prefix(c: char, next: char) -> bool {
    is_punct(c)
        || is_quote(c)
        || is_currency(c)
        || ICONS.contains(c)
        || matches!(c, '§' | '%' | '=' | '—' | '–')
        || (c == '+' && !next.is_ascii_digit())
}

/// What spaCy's English suffix rules split off the end of a token, apart from
/// the period, digit-bound and contraction rules.
fn is_suffix(c: char) -> bool {
    is_punct(c) || is_quote(c) || ICONS.contains(c) || matches!(c, '—' | '–')
}

/// spaCy's `LIST_ICONS` (symbols, other), as sorted inclusive ranges.
#[rustfmt::skip]
static ICON_RANGES: &[(u32, u32)] = &[(0xA6, 0xA6), (0xA9, 0xA9), (0xAE, 0xAE), (0xB0, 0xB0), (0x482, 0x482), (0x58D, 0x58E), (0x60E, 0x60F), (0x6DE, 0x6DE), (0x6E9, 0x6E9), (0x6FD, 0x6FE), (0x7F6, 0x7F6), (0x9FA, 0x9FA), (0xB70, 0xB70), (0xBF3, 0xBF8), (0xBFA, 0xBFA), (0xC7F, 0xC7F), (0xD4F, 0xD4F), (0xD79, 0xD79), (0xF01, 0xF03), (0xF13, 0xF13), (0xF15, 0xF17), (0xF1A, 0xF1F), (0xF34, 0xF34), (0xF36, 0xF36), (0xF38, 0xF38), (0xFBE, 0xFC5), (0xFC7, 0xFCC), (0xFCE, 0xFCF), (0xFD5, 0xFD8), (0x109E, 0x109F), (0x1390, 0x1399), (0x1940, 0x1940), (0x19DE, 0x19FF), (0x1B61, 0x1B6A), (0x1B74, 0x1B7C), (0x2100, 0x2101), (0x2103, 0x2106), (0x2108, 0x2109), (0x2114, 0x2114), (0x2116, 0x2117), (0x211E, 0x2123), (0x2125, 0x2125), (0x2127, 0x2127), (0x2129, 0x2129), (0x212E, 0x212E), (0x213A, 0x213B), (0x214A, 0x214A), (0x214C, 0x214D), (0x214F, 0x214F), (0x218A, 0x218B), (0x2195, 0x2199), (0x219C, 0x219F), (0x21A1, 0x21A2), (0x21A4, 0x21A5), (0x21A7, 0x21AD), (0x21AF, 0x21CD), (0x21D0, 0x21D1), (0x21D3, 0x21D3), (0x21D5, 0x21F3), (0x2300, 0x2307), (0x230C, 0x231F), (0x2322, 0x2328), (0x232B, 0x237B), (0x237D, 0x239A), (0x23B4, 0x23DB), (0x23E2, 0x2426), (0x2440, 0x244A), (0x249C, 0x24E9), (0x2500, 0x25B6), (0x25B8, 0x25C0), (0x25C2, 0x25F7), (0x2600, 0x266E), (0x2670, 0x2767), (0x2794, 0x27BF), (0x2800, 0x28FF), (0x2B00, 0x2B2F), (0x2B45, 0x2B46), (0x2B4D, 0x2B73), (0x2B76, 0x2B95), (0x2B98, 0x2BC8), (0x2BCA, 0x2BFE), (0x2CE5, 0x2CEA), (0x2E80, 0x2E99), (0x2E9B, 0x2EF3), (0x2F00, 0x2FD5), (0x2FF0, 0x2FFB), (0x3004, 0x3004), (0x3012, 0x3013), (0x3020, 0x3020), (0x3036, 0x3037), (0x303E, 0x303F), (0x3190, 0x3191), (0x3196, 0x319F), (0x31C0, 0x31E3), (0x3200, 0x321E), (0x322A, 0x3247), (0x3250, 0x3250), (0x3260, 0x327F), (0x328A, 0x32B0), (0x32C0, 0x32FE), (0x3300, 0x33FF), (0x4DC0, 0x4DFF), (0xA490, 0xA4C6), (0xA828, 0xA82B), (0xA836, 0xA837), (0xA839, 0xA839), (0xAA77, 0xAA79), (0xFDFD, 0xFDFD), (0xFFE4, 0xFFE4), (0xFFE8, 0xFFE8), (0xFFED, 0xFFEE), (0xFFFC, 0xFFFD), (0x10137, 0x1013F), (0x10179, 0x10189), (0x1018C, 0x1018E), (0x10190, 0x1019B), (0x101A0, 0x101A0), (0x101D0, 0x101FC), (0x10877, 0x10878), (0x10AC8, 0x10AC8), (0x1173F, 0x1173F), (0x16B3C, 0x16B3F), (0x16B45, 0x16B45), (0x1BC9C, 0x1BC9C), (0x1D000, 0x1D0F5), (0x1D100, 0x1D126), (0x1D129, 0x1D164), (0x1D16A, 0x1D16C), (0x1D183, 0x1D184), (0x1D18C, 0x1D1A9), (0x1D1AE, 0x1D1E8), (0x1D200, 0x1D241), (0x1D245, 0x1D245), (0x1D300, 0x1D356), (0x1D800, 0x1D9FF), (0x1DA37, 0x1DA3A), (0x1DA6D, 0x1DA74), (0x1DA76, 0x1DA83), (0x1DA85, 0x1DA86), (0x1ECAC, 0x1ECAC), (0x1F000, 0x1F02B), (0x1F030, 0x1F093), (0x1F0A0, 0x1F0AE), (0x1F0B1, 0x1F0BF), (0x1F0C1, 0x1F0CF), (0x1F0D1, 0x1F0F5), (0x1F110, 0x1F16B), (0x1F170, 0x1F1AC), (0x1F1E6, 0x1F202), (0x1F210, 0x1F23B), (0x1F240, 0x1F248), (0x1F250, 0x1F251), (0x1F260, 0x1F265), (0x1F300, 0x1F3FA), (0x1F400, 0x1F6D4), (0x1F6E0, 0x1F6EC), (0x1F6F0, 0x1F6F9), (0x1F700, 0x1F773), (0x1F780, 0x1F7D8), (0x1F800, 0x1F80B), (0x1F810, 0x1F847), (0x1F850, 0x1F859), (0x1F860, 0x1F887), (0x1F890, 0x1F8AD), (0x1F900, 0x1F90B), (0x1F910, 0x1F93E), (0x1F940, 0x1F970), (0x1F973, 0x1F976), (0x1F97A, 0x1F97A), (0x1F97C, 0x1F9A2), (0x1F9B0, 0x1F9B9), (0x1F9C0, 0x1F9C2), (0x1F9D0, 0x1F9FF), (0x1FA60, 0x1FA6D)];

/// Splits `text` into words, appending spans to `out`.
pub fn split_words(text: &str, out: &mut Vec<Span>) {
    split_words_with(text, out, true);
}

/// [`split_words`], optionally without the shortcuts for common chunk shapes
/// (the tests check that both ways give the same words).
fn split_words_with(text: &str, out: &mut Vec<Span>, shortcuts: bool) {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Rust's `char::is_whitespace`, with ASCII decided by the byte table.
    let space_at = |i: usize| {
        let lead = bytes[i];
        if !SPACE_LEAD[usize::from(lead)] {
            // No white space character starts with this byte: skip the
            // character by its length alone.
            return (false, utf8_len(lead));
        }
        let c = next_char(text, i);
        (c.is_whitespace(), c.len_utf8())
    };
    while i < bytes.len() {
        let class = BYTE_CLASS[usize::from(bytes[i])];
        if class == SPACE {
            i += 1;
            continue;
        }
        if class == NON_ASCII {
            let (space, n) = space_at(i);
            if space {
                i += n;
                continue;
            }
        }
        // One chunk up to the next white space, noting which byte classes it
        // holds; printable ASCII eight bytes at a time, the rest one by one.
        let start = i;
        let mut seen = 0u8;
        // Where the first byte of class OTHER is.
        let mut other_at = usize::MAX;
        'chunk: loop {
            let mut first_other = usize::MAX;
            let run = printable_run(&bytes[i..], &mut seen, &mut first_other);
            other_at = other_at.min(i.saturating_add(first_other));
            i += run;
            if i == bytes.len() {
                break;
            }
            match BYTE_CLASS[usize::from(bytes[i])] {
                SPACE => break,
                NON_ASCII => {
                    // A run of non-ASCII characters, one by one.
                    seen |= NON_ASCII;
                    loop {
                        let (space, n) = space_at(i);
                        if space {
                            break 'chunk;
                        }
                        i += n;
                        if i == bytes.len() || bytes[i] < 0x80 {
                            break;
                        }
                    }
                }
                // Control characters other than white space.
                class => {
                    other_at = other_at.min(i);
                    seen |= class;
                    i += 1;
                }
            }
        }
        if shortcuts && split_common(text, start, i, seen, other_at, out) {
            continue;
        }
        let first = out.len();
        split_chunk(text, start, i, out);
        merge_exceptions(text, first, out);
    }
}

/// Length of the run of printable ASCII (`!` to DEL) that starts `b`, adding
/// the classes of its bytes to `seen`, and lowering `first_other` to the
/// offset of its first byte neither letter nor digit, if any. Eight bytes at
/// a time, without a branch per byte (SWAR: flags in each byte's top bit).
/// The lowest flagged byte is exact, as borrows and carries only move toward
/// higher bytes.
fn printable_run(b: &[u8], seen: &mut u8, first_other: &mut usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut n = 0;
    loop {
        // A plain load while eight bytes remain; a padded copy only at the
        // end of the text (a copy of variable length is a call to memcpy).
        let x = match b.get(n..n + 8) {
            Some(eight) => u64::from_le_bytes(eight.try_into().expect("eight bytes")),
            None => {
                let mut eight = [b' '; 8];
                eight[..b.len() - n].copy_from_slice(&b[n..]);
                u64::from_le_bytes(eight)
            }
        };
        // At or below space (`x - 0x21` borrows), or not ASCII.
        let stop = ((x.wrapping_sub(ONES * 0x21) & !x) | x) & HIGH;
        let k = (stop.trailing_zeros() / 8) as usize;
        let run = if k >= 8 {
            HIGH
        } else {
            HIGH & ((1 << (8 * k)) - 1)
        };
        // Letters: `x | 0x20` in `a..=z`; digits: `x` in `0..=9`.
        let y = x | (ONES * 0x20);
        let letters = y.wrapping_add(ONES * 0x1f) & !y.wrapping_add(ONES * 0x05) & run;
        let digits = x.wrapping_add(ONES * 0x50) & !x.wrapping_add(ONES * 0x46) & run;
        let other = run & !(letters | digits);
        *seen |= if letters != 0 { LETTER } else { 0 }
            | if digits != 0 { DIGIT } else { 0 }
            | if other != 0 { OTHER } else { 0 };
        let at = n + (other.trailing_zeros() / 8) as usize;
        *first_other = if other != 0 {
            at.min(*first_other)
        } else {
            *first_other
        };
        n += k.min(8);
        if k < 8 {
            return n;
        }
    }
}

/// Whether no prefix, suffix or infix rule of spaCy's English can start at the
/// non-ASCII character `c`. (The other triggers are ASCII punctuation, digits
/// and the contraction quotes.)
fn affix_free(c: char) -> bool {
    static TRIGGERS: CharClass = CharClass::of(Members::Test(affix_trigger));
    !TRIGGERS.contains(c)
}

/// The characters [`affix_free`] rules out, by their lists.
fn affix_trigger(c: char) -> bool {
    is_punct(c)
        || is_quote(c)
        || is_currency(c)
        || matches!(c, '§' | '—' | '–')
        || ICONS.contains(c)
}

/// The bytes that start a non-ASCII white space character (U+0085, U+00A0,
/// U+1680, U+2000 to U+205F, U+3000).
static SPACE_LEAD: [bool; 256] = byte_set(&[0xc2, 0xe1, 0xe2, 0xe3]);

/// Bytes of the UTF-8 sequence that starts with `lead` (of valid text).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0..0x80 => 1,
        0x80..0xe0 => 2,
        0xe0..0xf0 => 3,
        _ => 4,
    }
}

/// Byte classes for the word split's scan: ASCII white space, letters, digits,
/// other ASCII, and bytes of non-ASCII characters.
const SPACE: u8 = 1;
const LETTER: u8 = 2;
const DIGIT: u8 = 4;
const OTHER: u8 = 8;
const NON_ASCII: u8 = 16;

static BYTE_CLASS: [u8; 256] = {
    let mut t = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if matches!(c, b' ' | b'\t'..=b'\r') {
            SPACE
        } else if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// Splits the most common chunk shapes of English text without the general
/// affix machinery: ASCII letters or digits alone (`word`, `1999`) or followed
/// by one ASCII mark (`word,` `1999.`, the byte at `other_at`); words of other
/// scripts; one character; and, by the functions named at the end, marked,
/// contracted and hyphenated words. Returns false, pushing nothing, for any
/// other chunk, and for chunks that spaCy's special cases could touch, so the
/// result is always what [`split_chunk`] gives.
fn split_common(
    text: &str,
    start: usize,
    end: usize,
    seen: u8,
    other_at: usize,
    out: &mut Vec<Span>,
) -> bool {
    let b = &text.as_bytes()[start..end];
    let push = |out: &mut Vec<Span>, s: usize, e: usize, shape: Shape| {
        out.push(Span {
            start: s as u32,
            end: e as u32,
            chars: (e - s) as u32,
            shape,
        })
    };
    let shape_of = |class: u8| match class {
        LETTER => Shape::Letters,
        DIGIT => Shape::Digits,
        _ => Shape::Unknown,
    };
    if seen == LETTER || seen == DIGIT {
        // Plain words and numbers: no affix or infix rule applies, only the
        // multi-word exceptions (`dont`, `Cannot`).
        if !special_candidate(b) || !push_special(text, start, end, out) {
            push(out, start, end, shape_of(seen));
        }
        return true;
    }
    if other_at == end - 1 && (seen == LETTER | OTHER || seen == DIGIT | OTHER) {
        // Letters or digits and one ASCII byte after them (`word,` `1999.`),
        // [`split_marked`]'s commonest case, decided here without a scan.
        let (core, mark) = (&b[..b.len() - 1], b[b.len() - 1]);
        let splits = if mark == b'.' {
            let p = char::from(core[core.len() - 1]);
            let pp = core
                .len()
                .checked_sub(2)
                .map_or(' ', |k| char::from(core[k]));
            period_splits(p, pp)
        } else {
            is_mark(char::from(mark))
        };
        if splits && !special_candidate(core) && !special_candidate(b) {
            push(out, start, end - 1, shape_of(seen & !OTHER));
            push(out, end - 1, end, Shape::Punct);
            return true;
        }
    }
    if seen & (OTHER | DIGIT) == 0
        && text[start..end]
            .chars()
            .all(|c| c.is_ascii() || affix_free(c))
    {
        // Words of other scripts, with ASCII letters at most: only the special
        // cases can split them when no character triggers an affix rule.
        if !special_candidate(b) || !push_special(text, start, end, out) {
            push_span(text, start, end, out);
        }
        return true;
    }
    if seen == NON_ASCII && text[start..end].chars().nth(1).is_none() {
        // One character is one word, whatever it is.
        out.push(Span {
            start: start as u32,
            end: end as u32,
            chars: 1,
            shape: Shape::Unknown,
        });
        return true;
    }
    if b.len() == 1 {
        let shape = if b[0].is_ascii_punctuation() {
            Shape::Punct
        } else {
            Shape::Unknown
        };
        push(out, start, end, shape);
        return true;
    }
    split_marked(text, start, end, out)
        || split_contraction(text, start, end, out)
        || split_hyphenated(text, start, end, out)
}

/// Splits ASCII words joined by one apostrophe (`'` or `’`) as the general
/// rules do: a special case as listed (`don't`), an English contraction ending
/// as a word of its own (`John` `'s`, `they` `'re`), anything else whole
/// (`O'Brien`). Returns false, pushing nothing, for any other chunk, or when
/// the word before the ending may be a special case.
fn split_contraction(text: &str, start: usize, end: usize, out: &mut Vec<Span>) -> bool {
    let b = &text.as_bytes()[start..end];
    let x = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let apostrophe = match &b[x..] {
        [b'\'', ..] => 1,
        [0xe2, 0x80, 0x99, ..] => 3,
        _ => return false,
    };
    let y = b[x + apostrophe..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    if x == 0 || y == 0 || x + apostrophe + y != b.len() {
        return false;
    }
    if special_candidate(b) {
        let first = out.len();
        if push_special(text, start, end, out) {
            merge_exceptions(text, first, out);
            return true;
        }
    }
    let Some(ending) = contraction_len(&text[start..end]) else {
        // Nothing splits at an apostrophe between letters.
        out.push(Span {
            start: start as u32,
            end: end as u32,
            chars: (x + 1 + y) as u32,
            shape: Shape::Unknown,
        });
        return true;
    };
    let cut = end - ending;
    if special_candidate(&b[..cut - start]) {
        return false;
    }
    out.push(Span {
        start: start as u32,
        end: cut as u32,
        chars: (cut - start) as u32,
        shape: Shape::Letters,
    });
    push_span(text, cut, end, out);
    true
}

/// Splits `P? core S1? S2?`: digits, or a word (ASCII letters and characters
/// of other scripts that start no affix rule), between at most one opening and
/// two closing marks (`(word`, `word,”`, `“1999.”`, `«слово»,`), each mark one
/// word. A final period (`word.`) splits as [`period_splits`] says, after a
/// lower-case letter, a digit or two capitals. Returns false, pushing nothing,
/// for any other chunk, or when a special case could apply to any string the
/// general rules would look up (every run of pieces, and the core).
fn split_marked(text: &str, start: usize, end: usize, out: &mut Vec<Span>) -> bool {
    let s = &text[start..end];
    let b = s.as_bytes();
    // Piece boundaries, as offsets into `s`.
    let mut cuts = [0usize; 5];
    let mut n = 0;
    let mut pos = 0;
    let mark_at = |pos: usize| s[pos..].chars().next().filter(|&c| is_mark(c));
    if let Some(c) = mark_at(0) {
        pos = c.len_utf8();
        n = 1;
        cuts[1] = pos;
    }
    let core_start = pos;
    let kind = BYTE_CLASS[usize::from(*b.get(pos).unwrap_or(&b' '))];
    // Digits, or a word: ASCII letters and characters of other scripts that
    // start no affix rule.
    let mut other_script = false;
    match kind {
        DIGIT => {
            while pos < b.len() && BYTE_CLASS[usize::from(b[pos])] == DIGIT {
                pos += 1;
            }
        }
        LETTER | NON_ASCII => loop {
            while pos < b.len() && BYTE_CLASS[usize::from(b[pos])] == LETTER {
                pos += 1;
            }
            if pos == b.len() || BYTE_CLASS[usize::from(b[pos])] != NON_ASCII {
                break;
            }
            let c = next_char(s, pos);
            if !affix_free(c) {
                break;
            }
            other_script = true;
            pos += c.len_utf8();
        },
        _ => return false,
    }
    if pos == core_start {
        return false;
    }
    let core = (core_start, pos);
    n += 1;
    cuts[n] = pos;
    for k in 0..2 {
        if pos == b.len() {
            break;
        }
        let len = if b[pos] == b'.' && k == 0 {
            let p = prev_char(s, pos);
            let pp = if pos - core.0 > p.len_utf8() {
                prev_char(s, pos - p.len_utf8())
            } else {
                ' '
            };
            if !period_splits(p, pp) {
                return false;
            }
            1
        } else {
            match mark_at(pos) {
                Some(c) => c.len_utf8(),
                None => return false,
            }
        };
        pos += len;
        n += 1;
        cuts[n] = pos;
    }
    if pos != b.len() || n < 2 {
        return false;
    }
    // Every run of two or more pieces (merged exceptions, the whole chunk, the
    // chunk after each peeled affix) and the core alone.
    if special_candidate(&b[core.0..core.1]) || may_merge(b, &cuts[..=n]) {
        return false;
    }
    for i in 0..n {
        let (a, z) = (cuts[i], cuts[i + 1]);
        let is_core = a == core.0;
        if is_core && other_script {
            push_span(text, start + a, start + z, out);
            continue;
        }
        out.push(Span {
            start: (start + a) as u32,
            end: (start + z) as u32,
            chars: if is_core { (z - a) as u32 } else { 1 },
            shape: match (is_core, kind) {
                (true, DIGIT) => Shape::Digits,
                (true, _) => Shape::Letters,
                (false, _) if b[a].is_ascii() => Shape::Punct,
                (false, _) => Shape::Unknown,
            },
        });
    }
    true
}

/// Whether a special case could apply to the whole of `b` or to a run of two
/// to four of the pieces between `cuts` (the runs [`merge_exceptions`] tries).
#[inline]
fn may_merge(b: &[u8], cuts: &[usize]) -> bool {
    let n = cuts.len() - 1;
    if special_candidate(b) {
        return true;
    }
    for i in 0..n {
        for j in i + 2..=n.min(i + 4) {
            if special_candidate(&b[cuts[i]..cuts[j]]) {
                return true;
            }
        }
    }
    false
}

/// Splits ASCII words joined by runs of one to three hyphens (`well-known`,
/// `state-of-the-art`, `a--b`) at the hyphens, as spaCy's hyphen infix rule
/// does between letters. Returns false, pushing nothing, for any other chunk
/// or where a special case could apply.
fn split_hyphenated(text: &str, start: usize, end: usize, out: &mut Vec<Span>) -> bool {
    let b = &text.as_bytes()[start..end];
    let mut cuts = [0usize; 16];
    let mut n = 0;
    let mut pos = 0;
    loop {
        let word = b[pos..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if word == 0 || n + 1 >= cuts.len() {
            return false;
        }
        pos += word;
        n += 1;
        cuts[n] = pos;
        if pos == b.len() {
            break;
        }
        let hyphens = b[pos..].iter().take_while(|&&c| c == b'-').count();
        if !(1..=3).contains(&hyphens) || n + 1 >= cuts.len() {
            return false;
        }
        pos += hyphens;
        n += 1;
        cuts[n] = pos;
    }
    if n < 3 || may_merge(b, &cuts[..=n]) {
        return false;
    }
    for i in 0..n {
        let (a, z) = (cuts[i], cuts[i + 1]);
        out.push(Span {
            start: (start + a) as u32,
            end: (start + z) as u32,
            chars: (z - a) as u32,
            shape: if b[a] == b'-' {
                Shape::Punct
            } else {
                Shape::Letters
            },
        });
    }
    true
}

/// Punctuation and quotes that spaCy's English rules split off either end of a
/// word, one at a time, whatever is next to them.
fn is_mark(c: char) -> bool {
    // The ellipsis has rules of its own.
    c != '…' && (is_punct(c) || is_quote(c))
}

/// Merges runs of the chunk's words that together spell an exception (`)` `:`
/// into `):`), as spaCy's special-case matcher does after splitting affixes.
fn merge_exceptions(text: &str, first: usize, out: &mut Vec<Span>) {
    if out.len() - first < 2 {
        return;
    }
    let (mut read, mut write) = (first, first);
    while read < out.len() {
        let mut take = 1;
        // Longest run first; exceptions are short, so a few words at most.
        for k in (2..=4.min(out.len() - read)).rev() {
            let (a, b) = (out[read].start as usize, out[read + k - 1].end as usize);
            if is_exception(&text[a..b]) {
                take = k;
                break;
            }
        }
        let merged = Span {
            start: out[read].start,
            end: out[read + take - 1].end,
            chars: out[read..read + take].iter().map(|w| w.chars).sum(),
            shape: if take == 1 {
                out[read].shape
            } else {
                Shape::Unknown
            },
        };
        out[write] = merged;
        write += 1;
        read += take;
    }
    out.truncate(write);
}

fn next_char(text: &str, i: usize) -> char {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        b as char
    } else {
        text[i..].chars().next().unwrap_or(' ')
    }
}

fn prev_char(text: &str, end: usize) -> char {
    text[..end].chars().next_back().unwrap_or(' ')
}

fn split_chunk(text: &str, mut start: usize, mut end: usize, out: &mut Vec<Span>) {
    // Prefixes, one at a time (an ellipsis whole).
    while start < end {
        let s = &text[start..end];
        if push_special(text, start, end, out) {
            return;
        }
        if s.starts_with("..") || s.starts_with('…') {
            let n = ellipsis_len(s);
            if n == s.len() {
                break;
            }
            push_span(text, start, start + n, out);
            start += n;
            continue;
        }
        let c = next_char(text, start);
        let next = text[start + c.len_utf8()..end]
            .chars()
            .next()
            .unwrap_or(' ');
        if is_prefix(c, next) && start + c.len_utf8() < end {
            push_span(text, start, start + c.len_utf8(), out);
            start += c.len_utf8();
        } else {
            break;
        }
    }
    // Suffixes, collected back to front.
    let mut suffixes: [(usize, usize); 16] = [(0, 0); 16];
    let mut n_suf = 0;
    let mut exception = false;
    while start < end && n_suf < suffixes.len() {
        let s = &text[start..end];
        if special(s).is_some() {
            exception = true;
            break;
        }
        let cut = if s.ends_with("..") || s.ends_with('…') {
            let n = ellipsis_len_back(s);
            if n == s.len() { 0 } else { n }
        } else if let Some(n) = contraction_len(s).or_else(|| unit_len(s)) {
            n
        } else {
            let c = prev_char(text, end);
            let body = &s[..s.len() - c.len_utf8()];
            if body.is_empty() {
                0
            } else if c == '.' {
                let p = prev_char(text, end - 1);
                let pp = if body.len() > p.len_utf8() {
                    prev_char(text, end - 1 - p.len_utf8())
                } else {
                    ' '
                };
                usize::from(period_splits(p, pp))
            } else if is_currency(c) || c == '+' {
                // Currency and `+` end a token only after a digit (`5$`, `18+`).
                if prev_char(text, end - c.len_utf8()).is_ascii_digit() {
                    c.len_utf8()
                } else {
                    0
                }
            } else if is_suffix(c) {
                c.len_utf8()
            } else {
                0
            }
        };
        if cut == 0 {
            break;
        }
        suffixes[n_suf] = (end - cut, end);
        n_suf += 1;
        end -= cut;
    }
    // Infixes, unless the core looks like a URL.
    let core = &text[start..end];
    if exception {
        push_special(text, start, end, out);
    } else if is_url(core) {
        push_span(text, start, end, out);
    } else {
        split_infixes(text, start, end, out);
    }
    for &(s, e) in suffixes[..n_suf].iter().rev() {
        push_span(text, s, e, out);
    }
}

/// Whether a final period splits off after `p` (and `pp` before it, a space
/// at the start): after a lower-case letter, a digit, punctuation and a few
/// symbols, or after two capitals.
fn period_splits(p: char, pp: char) -> bool {
    let after_lower = p.is_ascii_digit()
        || is_lower(p)
        || p == '…'
        || is_punct(p)
        || is_quote(p)
        || matches!(p, '|' | '\\' | '%' | '²' | '-' | '+');
    after_lower || (ALPHA_UPPER.contains(p) && ALPHA_UPPER.contains(pp))
}

/// Bytes of the ellipsis (`..`+ or a run of `…`) at the start of `s`.
fn ellipsis_len(s: &str) -> usize {
    let n = if s.starts_with('…') {
        s.len() - s.trim_start_matches('…').len()
    } else {
        s.len() - s.trim_start_matches('.').len()
    };
    if n == 1 && s.starts_with('.') { 0 } else { n }
}

/// Bytes of the ellipsis at the end of `s`.
fn ellipsis_len_back(s: &str) -> usize {
    let n = if s.ends_with('…') {
        s.len() - s.trim_end_matches('…').len()
    } else {
        s.len() - s.trim_end_matches('.').len()
    };
    if n == 1 && s.ends_with('.') { 0 } else { n }
}

/// Bytes of an English contraction ending `s` (`'s`, `n't`, `'ll`, ...), split
/// off as its own word.
fn contraction_len(s: &str) -> Option<usize> {
    const ENDINGS: &[&str] = &[
        "n't", "'s", "'m", "'d", "'re", "'ve", "'ll", "n’t", "’s", "’m", "’d", "’re", "’ve", "’ll",
    ];
    // Every ending holds `'` or `’` (whose last UTF-8 byte is 0x99) within the
    // last five bytes; most words hold neither.
    let tail = &s.as_bytes()[s.len().saturating_sub(5)..];
    if !tail.iter().any(|&b| b == b'\'' || b == 0x99) {
        return None;
    }
    ENDINGS.iter().find_map(|e| {
        let n = e.len();
        (s.len() > n
            && s.is_char_boundary(s.len() - n)
            && s[s.len() - n..].eq_ignore_ascii_case(e)
            && s[..s.len() - n]
                .chars()
                .next_back()
                .is_some_and(is_alphabetic))
        .then_some(n)
    })
}

/// Bytes of a unit (`km`, `%`, `oz`, ...) ending `s` right after a digit.
fn unit_len(s: &str) -> Option<usize> {
    // No unit holds an ASCII digit, so the only candidate is what follows the
    // last digit.
    let digit = s.bytes().rposition(|b| b.is_ascii_digit())?;
    let unit = &s[digit + 1..];
    // Most strings after a digit start with no unit's first byte.
    let first = *unit.as_bytes().first()?;
    (UNIT_FIRST_BYTES[usize::from(first)] && UNITS.contains(&unit)).then_some(unit.len())
}

/// The first bytes of [`UNITS`].
static UNIT_FIRST_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < UNITS.len() {
        t[UNITS[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    t
};

/// spaCy's English unit suffixes, longest first.
#[rustfmt::skip]
static UNITS: &[&str] = &[
    "اكواب", "km/h", "mbar", "км/ч", "мбар", "тбكم", "جرام", "غرام", "cm²", "cm³", "dm²", "dm³",
    "hPa", "kmh", "km²", "km³", "m/s", "mm²", "mm³", "mph", "дм²", "дм³", "кПа", "км²", "км³",
    "м/с", "мм²", "мм³", "см²", "см³", "سم²", "سم³", "كم²", "كم³", "كوب", "ملغ", "مم²", "مم³", "GB",
    "KB", "MB", "Pa", "TB", "cm", "dm", "ft", "gb", "ha", "in", "kb", "kg", "km", "lb", "mb", "mg",
    "mm", "m²", "m³", "nm", "oz", "tb", "yd", "µg", "µm", "ГБ", "Гб", "КБ", "Кб", "МБ", "Мб", "Па",
    "ТБ", "Тб", "гб", "дм", "кб", "кг", "км", "м²", "м³", "мб", "мг", "мм", "нм", "см", "جم", "سم",
    "كغ", "كم", "م²", "م³", "مم", "%", "G", "K", "M", "T", "g", "m", "t", "г", "м", "م"
];

/// The currency symbols of spaCy's English suffix rules.
const fn currency_char(c: char) -> bool {
    matches!(
        c,
        '$' | '£' | '€' | '¥' | '₹' | '₽' | '₩' | '¢' | '฿' | '₪' | '₫' | '₴' | '₺' | '₿'
    )
}

/// Whether `s` looks like a URL or host name to spaCy's `url_match` (optional
/// scheme and user, dotted host ending in a lower-case TLD, optional port and
/// path); such tokens get no infix splitting.
fn is_url(s: &str) -> bool {
    // A host name has a dot; most chunks are ruled out by that alone.
    if memchr::memchr(b'.', s.as_bytes()).is_none() {
        return false;
    }
    let mut s = s;
    if let Some(i) = s.find("://")
        && i >= 2
        && s[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b))
    {
        s = &s[i + 3..];
    }
    if let Some(at) = s.rfind('@') {
        s = &s[at + 1..];
    }
    let host_end = s.find(['/', '?', '#', ':']).unwrap_or(s.len());
    let (host, rest) = s.split_at(host_end);
    if let Some(port) = rest.strip_prefix(':') {
        let digits = port.bytes().take_while(u8::is_ascii_digit).count();
        if !(2..=5).contains(&digits)
            || !(port.len() == digits || port[digits..].starts_with(['/', '?', '#']))
        {
            return false;
        }
    }
    let Some((labels, tld)) = host.rsplit_once('.') else {
        return false;
    };
    let tld_len = tld.chars().count();
    if !(2..=63).contains(&tld_len) || !tld.chars().all(is_lower) {
        return false;
    }
    let host_char = |c: char| c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c);
    labels.split('.').all(|label| {
        let (Some(first), Some(last)) = (label.chars().next(), label.chars().next_back()) else {
            return false;
        };
        host_char(first)
            && host_char(last)
            && label.chars().all(|c| host_char(c) || c == '_' || c == '-')
    })
}

/// Pushes `text[start..end]` as spaCy's special case for it (one word or a
/// fixed split); false if it is none.
fn push_special(text: &str, start: usize, end: usize, out: &mut Vec<Span>) -> bool {
    let pieces = match special(&text[start..end]) {
        None => return false,
        Some(Special::Whole) => {
            push_span(text, start, end, out);
            return true;
        }
        Some(Special::Split(pieces)) => pieces,
    };
    let mut at = start;
    for &n in pieces {
        push_span(text, at, at + n as usize, out);
        at += n as usize;
    }
    true
}

/// What spaCy's special cases make of a string.
#[derive(Clone, Copy)]
enum Special {
    /// One word, affixes and all ([`EXCEPTIONS`]).
    Whole,
    /// These byte lengths ([`SPLITS`]).
    Split(&'static [u8]),
}

/// The special case for `s`, if any. [`EXCEPTIONS`] and [`SPLITS`] are looked
/// up for every chunk and every peeled affix, so they are kept in one map
/// keyed by hash, behind a filter that rules out almost every other string
/// without hashing it.
fn special(s: &str) -> Option<Special> {
    if !special_candidate(s.as_bytes()) {
        return None;
    }
    specials()
        .map
        .get(&hash_bytes(s.as_bytes()))
        .filter(|(k, _)| *k == s)
        .map(|(_, v)| *v)
}

/// False when `s` is certainly no special case; true when it may be one.
#[inline]
fn special_candidate(s: &[u8]) -> bool {
    !s.is_empty() && s.len() <= SPECIAL_MAX_LEN && {
        // Both bits tested without a branch between them.
        let [a, b] = special_filter_bits(s);
        (SPECIAL_FILTER[a / 64] >> (a % 64)) & (SPECIAL_FILTER[b / 64] >> (b % 64)) & 1 != 0
    }
}

/// No special case is longer (in bytes).
const SPECIAL_MAX_LEN: usize = 16;

/// Bits set at [`special_filter_bits`] of every special case, computed at build
/// time.
static SPECIAL_FILTER: [u64; 1024] = {
    let mut filter = [0u64; 1024];
    let mut i = 0;
    while i < EXCEPTIONS.len() + SPLITS.len() {
        let s = if i < EXCEPTIONS.len() {
            EXCEPTIONS[i].as_bytes()
        } else {
            SPLITS[i - EXCEPTIONS.len()].0.as_bytes()
        };
        assert!(!s.is_empty() && s.len() <= SPECIAL_MAX_LEN);
        let [a, b] = special_filter_bits(s);
        filter[a / 64] |= 1 << (a % 64);
        filter[b / 64] |= 1 << (b % 64);
        i += 1;
    }
    filter
};

/// Two filter positions (a Bloom filter's two hashes) from the length and the
/// first two and last two bytes, which tell almost every word from the
/// thousand special cases: with one position, one word in fifty passed.
const fn special_filter_bits(s: &[u8]) -> [usize; 2] {
    let n = s.len();
    let second = if n > 1 { s[1] } else { s[0] };
    let before_last = if n > 1 { s[n - 2] } else { s[0] };
    let edges = u32::from_le_bytes([s[0], second, before_last, s[n - 1]]) as u64;
    let h = (edges | (n as u64) << 32).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    [(h >> 48) as usize, (h >> 32) as usize & 0xffff]
}

/// spaCy's special cases, by hash.
struct Specials {
    map: HashMap<u64, (&'static str, Special), FastHash>,
}

fn specials() -> &'static Specials {
    static SPECIALS: std::sync::OnceLock<Specials> = std::sync::OnceLock::new();
    SPECIALS.get_or_init(|| {
        let whole = EXCEPTIONS.iter().map(|&e| (e, Special::Whole));
        let split = SPLITS.iter().map(|&(k, v)| (k, Special::Split(v)));
        let map: HashMap<_, _, FastHash> = whole
            .chain(split)
            .map(|(k, v)| (hash_bytes(k.as_bytes()), (k, v)))
            .collect();
        // A hash shared by two entries would hide one of them.
        assert_eq!(map.len(), EXCEPTIONS.len() + SPLITS.len());
        Specials { map }
    })
}

/// spaCy's English exceptions that split a string into several words, sorted.
#[rustfmt::skip]
static SPLITS: &[(&str, &[u8])] = &[
    ("10a.m.", &[2, 4]), ("10am", &[2, 2]), ("10p.m.", &[2, 4]), ("10pm", &[2, 2]), ("11a.m.", &[2,
    4]), ("11am", &[2, 2]), ("11p.m.", &[2, 4]), ("11pm", &[2, 2]), ("12a.m.", &[2, 4]), ("12am",
    &[2, 2]), ("12p.m.", &[2, 4]), ("12pm", &[2, 2]), ("1a.m.", &[1, 4]), ("1am", &[1, 2]),
    ("1p.m.", &[1, 4]), ("1pm", &[1, 2]), ("2a.m.", &[1, 4]), ("2am", &[1, 2]), ("2p.m.", &[1, 4]),
    ("2pm", &[1, 2]), ("3a.m.", &[1, 4]), ("3am", &[1, 2]), ("3p.m.", &[1, 4]), ("3pm", &[1, 2]),
    ("4a.m.", &[1, 4]), ("4am", &[1, 2]), ("4p.m.", &[1, 4]), ("4pm", &[1, 2]), ("5a.m.", &[1, 4]),
    ("5am", &[1, 2]), ("5p.m.", &[1, 4]), ("5pm", &[1, 2]), ("6a.m.", &[1, 4]), ("6am", &[1, 2]),
    ("6p.m.", &[1, 4]), ("6pm", &[1, 2]), ("7a.m.", &[1, 4]), ("7am", &[1, 2]), ("7p.m.", &[1, 4]),
    ("7pm", &[1, 2]), ("8a.m.", &[1, 4]), ("8am", &[1, 2]), ("8p.m.", &[1, 4]), ("8pm", &[1, 2]),
    ("9a.m.", &[1, 4]), ("9am", &[1, 2]), ("9p.m.", &[1, 4]), ("9pm", &[1, 2]), ("Ain't", &[2, 3]),
    ("Aint", &[2, 2]), ("Ain’t", &[2, 5]), ("Aren't", &[3, 3]), ("Arent", &[3, 2]), ("Aren’t", &[3,
    5]), ("C'mon", &[3, 2]), ("Can't", &[2, 3]), ("Can't've", &[2, 3, 3]), ("Cannot", &[3, 3]),
    ("Cant", &[2, 2]), ("Cantve", &[2, 2, 2]), ("Can’t", &[2, 5]), ("Can’t’ve", &[2, 5, 5]),
    ("Could've", &[5, 3]), ("Couldn't", &[5, 3]), ("Couldn't've", &[5, 3, 3]), ("Couldnt", &[5, 2]),
    ("Couldntve", &[5, 2, 2]), ("Couldn’t", &[5, 5]), ("Couldn’t’ve", &[5, 5, 5]), ("Couldve", &[5,
    2]), ("Could’ve", &[5, 5]), ("C’mon", &[5, 2]), ("Daren't", &[4, 3]), ("Darent", &[4, 2]),
    ("Daren’t", &[4, 5]), ("Didn't", &[3, 3]), ("Didn't've", &[3, 3, 3]), ("Didnt", &[3, 2]),
    ("Didntve", &[3, 2, 2]), ("Didn’t", &[3, 5]), ("Didn’t’ve", &[3, 5, 5]), ("Doesn't", &[4, 3]),
    ("Doesn't've", &[4, 3, 3]), ("Doesnt", &[4, 2]), ("Doesntve", &[4, 2, 2]), ("Doesn’t", &[4, 5]),
    ("Doesn’t’ve", &[4, 5, 5]), ("Don't", &[2, 3]), ("Don't've", &[2, 3, 3]), ("Dont", &[2, 2]),
    ("Dontve", &[2, 2, 2]), ("Don’t", &[2, 5]), ("Don’t’ve", &[2, 5, 5]), ("Gonna", &[3, 2]),
    ("Gotta", &[3, 2]), ("Hadn't", &[3, 3]), ("Hadn't've", &[3, 3, 3]), ("Hadnt", &[3, 2]),
    ("Hadntve", &[3, 2, 2]), ("Hadn’t", &[3, 5]), ("Hadn’t’ve", &[3, 5, 5]), ("Hasn't", &[3, 3]),
    ("Hasnt", &[3, 2]), ("Hasn’t", &[3, 5]), ("Haven't", &[4, 3]), ("Havent", &[4, 2]), ("Haven’t",
    &[4, 5]), ("He'd", &[2, 2]), ("He'd've", &[2, 2, 3]), ("He'll", &[2, 3]), ("He'll've", &[2, 3,
    3]), ("He's", &[2, 2]), ("Hed", &[2, 1]), ("Hedve", &[2, 1, 2]), ("Hellve", &[2, 2, 2]), ("Hes",
    &[2, 1]), ("He’d", &[2, 4]), ("He’d’ve", &[2, 4, 5]), ("He’ll", &[2, 5]), ("He’ll’ve", &[2, 5,
    5]), ("He’s", &[2, 4]), ("How'd", &[3, 2]), ("How'd've", &[3, 2, 3]), ("How'd'y", &[3, 2, 2]),
    ("How'll", &[3, 3]), ("How'll've", &[3, 3, 3]), ("How're", &[3, 3]), ("How's", &[3, 2]),
    ("How've", &[3, 3]), ("Howd", &[3, 1]), ("Howdve", &[3, 1, 2]), ("Howll", &[3, 2]), ("Howllve",
    &[3, 2, 2]), ("Howre", &[3, 2]), ("Hows", &[3, 1]), ("Howve", &[3, 2]), ("How’d", &[3, 4]),
    ("How’d’ve", &[3, 4, 5]), ("How’d’y", &[3, 4, 4]), ("How’ll", &[3, 5]), ("How’ll’ve", &[3, 5,
    5]), ("How’re", &[3, 5]), ("How’s", &[3, 4]), ("How’ve", &[3, 5]), ("I'd", &[1, 2]), ("I'd've",
    &[1, 2, 3]), ("I'll", &[1, 3]), ("I'll've", &[1, 3, 3]), ("I'm", &[1, 2]), ("I'ma", &[1, 2, 1]),
    ("I've", &[1, 3]), ("Id", &[1, 1]), ("Idve", &[1, 1, 2]), ("Illve", &[1, 2, 2]), ("Im", &[1,
    1]), ("Ima", &[1, 1, 1]), ("Isn't", &[2, 3]), ("Isnt", &[2, 2]), ("Isn’t", &[2, 5]), ("It'd",
    &[2, 2]), ("It'd've", &[2, 2, 3]), ("It'll", &[2, 3]), ("It'll've", &[2, 3, 3]), ("It's", &[2,
    2]), ("Itd", &[2, 1]), ("Itdve", &[2, 1, 2]), ("Itll", &[2, 2]), ("Itllve", &[2, 2, 2]),
    ("It’d", &[2, 4]), ("It’d’ve", &[2, 4, 5]), ("It’ll", &[2, 5]), ("It’ll’ve", &[2, 5, 5]),
    ("It’s", &[2, 4]), ("Ive", &[1, 2]), ("I’d", &[1, 4]), ("I’d’ve", &[1, 4, 5]), ("I’ll", &[1,
    5]), ("I’ll’ve", &[1, 5, 5]), ("I’m", &[1, 4]), ("I’ma", &[1, 4, 1]), ("I’ve", &[1, 5]),
    ("Let's", &[3, 2]), ("Let’s", &[3, 4]), ("Mayn't", &[3, 3]), ("Mayn't've", &[3, 3, 3]),
    ("Maynt", &[3, 2]), ("Mayntve", &[3, 2, 2]), ("Mayn’t", &[3, 5]), ("Mayn’t’ve", &[3, 5, 5]),
    ("Might've", &[5, 3]), ("Mightn't", &[5, 3]), ("Mightn't've", &[5, 3, 3]), ("Mightnt", &[5, 2]),
    ("Mightntve", &[5, 2, 2]), ("Mightn’t", &[5, 5]), ("Mightn’t’ve", &[5, 5, 5]), ("Mightve", &[5,
    2]), ("Might’ve", &[5, 5]), ("Must've", &[4, 3]), ("Mustn't", &[4, 3]), ("Mustn't've", &[4, 3,
    3]), ("Mustnt", &[4, 2]), ("Mustntve", &[4, 2, 2]), ("Mustn’t", &[4, 5]), ("Mustn’t’ve", &[4, 5,
    5]), ("Mustve", &[4, 2]), ("Must’ve", &[4, 5]), ("Needn't", &[4, 3]), ("Needn't've", &[4, 3,
    3]), ("Neednt", &[4, 2]), ("Needntve", &[4, 2, 2]), ("Needn’t", &[4, 5]), ("Needn’t’ve", &[4, 5,
    5]), ("Not've", &[3, 3]), ("Notve", &[3, 2]), ("Not’ve", &[3, 5]), ("Oughtn't", &[5, 3]),
    ("Oughtn't've", &[5, 3, 3]), ("Oughtnt", &[5, 2]), ("Oughtntve", &[5, 2, 2]), ("Oughtn’t", &[5,
    5]), ("Oughtn’t’ve", &[5, 5, 5]), ("Shan't", &[3, 3]), ("Shan't've", &[3, 3, 3]), ("Shant", &[3,
    2]), ("Shantve", &[3, 2, 2]), ("Shan’t", &[3, 5]), ("Shan’t’ve", &[3, 5, 5]), ("She'd", &[3,
    2]), ("She'd've", &[3, 2, 3]), ("She'll", &[3, 3]), ("She'll've", &[3, 3, 3]), ("She's", &[3,
    2]), ("Shedve", &[3, 1, 2]), ("Shellve", &[3, 2, 2]), ("Shes", &[3, 1]), ("She’d", &[3, 4]),
    ("She’d’ve", &[3, 4, 5]), ("She’ll", &[3, 5]), ("She’ll’ve", &[3, 5, 5]), ("She’s", &[3, 4]),
    ("Should've", &[6, 3]), ("Shouldn't", &[6, 3]), ("Shouldn't've", &[6, 3, 3]), ("Shouldnt", &[6,
    2]), ("Shouldntve", &[6, 2, 2]), ("Shouldn’t", &[6, 5]), ("Shouldn’t’ve", &[6, 5, 5]),
    ("Shouldve", &[6, 2]), ("Should’ve", &[6, 5]), ("That'd", &[4, 2]), ("That'd've", &[4, 2, 3]),
    ("That'll", &[4, 3]), ("That'll've", &[4, 3, 3]), ("That's", &[4, 2]), ("Thatd", &[4, 1]),
    ("Thatdve", &[4, 1, 2]), ("Thatll", &[4, 2]), ("Thatllve", &[4, 2, 2]), ("Thats", &[4, 1]),
    ("That’d", &[4, 4]), ("That’d’ve", &[4, 4, 5]), ("That’ll", &[4, 5]), ("That’ll’ve", &[4, 5,
    5]), ("That’s", &[4, 4]), ("There'd", &[5, 2]), ("There'd've", &[5, 2, 3]), ("There'll", &[5,
    3]), ("There'll've", &[5, 3, 3]), ("There're", &[5, 3]), ("There's", &[5, 2]), ("There've", &[5,
    3]), ("Thered", &[5, 1]), ("Theredve", &[5, 1, 2]), ("Therell", &[5, 2]), ("Therellve", &[5, 2,
    2]), ("Therere", &[5, 2]), ("Theres", &[5, 1]), ("Thereve", &[5, 2]), ("There’d", &[5, 4]),
    ("There’d’ve", &[5, 4, 5]), ("There’ll", &[5, 5]), ("There’ll’ve", &[5, 5, 5]), ("There’re",
    &[5, 5]), ("There’s", &[5, 4]), ("There’ve", &[5, 5]), ("These'd", &[5, 2]), ("These'd've", &[5,
    2, 3]), ("These'll", &[5, 3]), ("These'll've", &[5, 3, 3]), ("These're", &[5, 3]), ("These've",
    &[5, 3]), ("Thesed", &[5, 1]), ("Thesedve", &[5, 1, 2]), ("Thesell", &[5, 2]), ("Thesellve",
    &[5, 2, 2]), ("Thesere", &[5, 2]), ("Theseve", &[5, 2]), ("These’d", &[5, 4]), ("These’d’ve",
    &[5, 4, 5]), ("These’ll", &[5, 5]), ("These’ll’ve", &[5, 5, 5]), ("These’re", &[5, 5]),
    ("These’ve", &[5, 5]), ("They'd", &[4, 2]), ("They'd've", &[4, 2, 3]), ("They'll", &[4, 3]),
    ("They'll've", &[4, 3, 3]), ("They're", &[4, 3]), ("They've", &[4, 3]), ("Theyd", &[4, 1]),
    ("Theydve", &[4, 1, 2]), ("Theyll", &[4, 2]), ("Theyllve", &[4, 2, 2]), ("Theyre", &[4, 2]),
    ("Theyve", &[4, 2]), ("They’d", &[4, 4]), ("They’d’ve", &[4, 4, 5]), ("They’ll", &[4, 5]),
    ("They’ll’ve", &[4, 5, 5]), ("They’re", &[4, 5]), ("They’ve", &[4, 5]), ("This'd", &[4, 2]),
    ("This'd've", &[4, 2, 3]), ("This'll", &[4, 3]), ("This'll've", &[4, 3, 3]), ("This's", &[4,
    2]), ("Thisd", &[4, 1]), ("Thisdve", &[4, 1, 2]), ("Thisll", &[4, 2]), ("Thisllve", &[4, 2, 2]),
    ("Thiss", &[4, 1]), ("This’d", &[4, 4]), ("This’d’ve", &[4, 4, 5]), ("This’ll", &[4, 5]),
    ("This’ll’ve", &[4, 5, 5]), ("This’s", &[4, 4]), ("Those'd", &[5, 2]), ("Those'd've", &[5, 2,
    3]), ("Those'll", &[5, 3]), ("Those'll've", &[5, 3, 3]), ("Those're", &[5, 3]), ("Those've",
    &[5, 3]), ("Thosed", &[5, 1]), ("Thosedve", &[5, 1, 2]), ("Thosell", &[5, 2]), ("Thosellve",
    &[5, 2, 2]), ("Thosere", &[5, 2]), ("Thoseve", &[5, 2]), ("Those’d", &[5, 4]), ("Those’d’ve",
    &[5, 4, 5]), ("Those’ll", &[5, 5]), ("Those’ll’ve", &[5, 5, 5]), ("Those’re", &[5, 5]),
    ("Those’ve", &[5, 5]), ("Wasn't", &[3, 3]), ("Wasnt", &[3, 2]), ("Wasn’t", &[3, 5]), ("We'd",
    &[2, 2]), ("We'd've", &[2, 2, 3]), ("We'll", &[2, 3]), ("We'll've", &[2, 3, 3]), ("We're", &[2,
    3]), ("We've", &[2, 3]), ("Wed", &[2, 1]), ("Wedve", &[2, 1, 2]), ("Wellve", &[2, 2, 2]),
    ("Weren't", &[4, 3]), ("Werent", &[4, 2]), ("Weren’t", &[4, 5]), ("Weve", &[2, 2]), ("We’d",
    &[2, 4]), ("We’d’ve", &[2, 4, 5]), ("We’ll", &[2, 5]), ("We’ll’ve", &[2, 5, 5]), ("We’re", &[2,
    5]), ("We’ve", &[2, 5]), ("What'd", &[4, 2]), ("What'd've", &[4, 2, 3]), ("What'll", &[4, 3]),
    ("What'll've", &[4, 3, 3]), ("What're", &[4, 3]), ("What's", &[4, 2]), ("What've", &[4, 3]),
    ("Whatd", &[4, 1]), ("Whatdve", &[4, 1, 2]), ("Whatll", &[4, 2]), ("Whatllve", &[4, 2, 2]),
    ("Whatre", &[4, 2]), ("Whats", &[4, 1]), ("Whatve", &[4, 2]), ("What’d", &[4, 4]), ("What’d’ve",
    &[4, 4, 5]), ("What’ll", &[4, 5]), ("What’ll’ve", &[4, 5, 5]), ("What’re", &[4, 5]), ("What’s",
    &[4, 4]), ("What’ve", &[4, 5]), ("When'd", &[4, 2]), ("When'd've", &[4, 2, 3]), ("When'll", &[4,
    3]), ("When'll've", &[4, 3, 3]), ("When're", &[4, 3]), ("When's", &[4, 2]), ("When've", &[4,
    3]), ("Whend", &[4, 1]), ("Whendve", &[4, 1, 2]), ("Whenll", &[4, 2]), ("Whenllve", &[4, 2, 2]),
    ("Whenre", &[4, 2]), ("Whens", &[4, 1]), ("Whenve", &[4, 2]), ("When’d", &[4, 4]), ("When’d’ve",
    &[4, 4, 5]), ("When’ll", &[4, 5]), ("When’ll’ve", &[4, 5, 5]), ("When’re", &[4, 5]), ("When’s",
    &[4, 4]), ("When’ve", &[4, 5]), ("Where'd", &[5, 2]), ("Where'd've", &[5, 2, 3]), ("Where'll",
    &[5, 3]), ("Where'll've", &[5, 3, 3]), ("Where're", &[5, 3]), ("Where's", &[5, 2]), ("Where've",
    &[5, 3]), ("Whered", &[5, 1]), ("Wheredve", &[5, 1, 2]), ("Wherell", &[5, 2]), ("Wherellve",
    &[5, 2, 2]), ("Wherere", &[5, 2]), ("Wheres", &[5, 1]), ("Whereve", &[5, 2]), ("Where’d", &[5,
    4]), ("Where’d’ve", &[5, 4, 5]), ("Where’ll", &[5, 5]), ("Where’ll’ve", &[5, 5, 5]),
    ("Where’re", &[5, 5]), ("Where’s", &[5, 4]), ("Where’ve", &[5, 5]), ("Who'd", &[3, 2]),
    ("Who'd've", &[3, 2, 3]), ("Who'll", &[3, 3]), ("Who'll've", &[3, 3, 3]), ("Who're", &[3, 3]),
    ("Who's", &[3, 2]), ("Who've", &[3, 3]), ("Whod", &[3, 1]), ("Whodve", &[3, 1, 2]), ("Wholl",
    &[3, 2]), ("Whollve", &[3, 2, 2]), ("Whos", &[3, 1]), ("Whove", &[3, 2]), ("Who’d", &[3, 4]),
    ("Who’d’ve", &[3, 4, 5]), ("Who’ll", &[3, 5]), ("Who’ll’ve", &[3, 5, 5]), ("Who’re", &[3, 5]),
    ("Who’s", &[3, 4]), ("Who’ve", &[3, 5]), ("Why'd", &[3, 2]), ("Why'd've", &[3, 2, 3]),
    ("Why'll", &[3, 3]), ("Why'll've", &[3, 3, 3]), ("Why're", &[3, 3]), ("Why's", &[3, 2]),
    ("Why've", &[3, 3]), ("Whyd", &[3, 1]), ("Whydve", &[3, 1, 2]), ("Whyll", &[3, 2]), ("Whyllve",
    &[3, 2, 2]), ("Whyre", &[3, 2]), ("Whys", &[3, 1]), ("Whyve", &[3, 2]), ("Why’d", &[3, 4]),
    ("Why’d’ve", &[3, 4, 5]), ("Why’ll", &[3, 5]), ("Why’ll’ve", &[3, 5, 5]), ("Why’re", &[3, 5]),
    ("Why’s", &[3, 4]), ("Why’ve", &[3, 5]), ("Won't", &[2, 3]), ("Won't've", &[2, 3, 3]), ("Wont",
    &[2, 2]), ("Wontve", &[2, 2, 2]), ("Won’t", &[2, 5]), ("Won’t’ve", &[2, 5, 5]), ("Would've",
    &[5, 3]), ("Wouldn't", &[5, 3]), ("Wouldn't've", &[5, 3, 3]), ("Wouldnt", &[5, 2]),
    ("Wouldntve", &[5, 2, 2]), ("Wouldn’t", &[5, 5]), ("Wouldn’t’ve", &[5, 5, 5]), ("Wouldve", &[5,
    2]), ("Would’ve", &[5, 5]), ("You'd", &[3, 2]), ("You'd've", &[3, 2, 3]), ("You'll", &[3, 3]),
    ("You'll've", &[3, 3, 3]), ("You're", &[3, 3]), ("You've", &[3, 3]), ("Youd", &[3, 1]),
    ("Youdve", &[3, 1, 2]), ("Youll", &[3, 2]), ("Youllve", &[3, 2, 2]), ("Youre", &[3, 2]),
    ("Youve", &[3, 2]), ("You’d", &[3, 4]), ("You’d’ve", &[3, 4, 5]), ("You’ll", &[3, 5]),
    ("You’ll’ve", &[3, 5, 5]), ("You’re", &[3, 5]), ("You’ve", &[3, 5]), ("ain't", &[2, 3]),
    ("aint", &[2, 2]), ("ain’t", &[2, 5]), ("aren't", &[3, 3]), ("arent", &[3, 2]), ("aren’t", &[3,
    5]), ("c'mon", &[3, 2]), ("can't", &[2, 3]), ("can't've", &[2, 3, 3]), ("cannot", &[3, 3]),
    ("cant", &[2, 2]), ("cantve", &[2, 2, 2]), ("can’t", &[2, 5]), ("can’t’ve", &[2, 5, 5]),
    ("could've", &[5, 3]), ("couldn't", &[5, 3]), ("couldn't've", &[5, 3, 3]), ("couldnt", &[5, 2]),
    ("couldntve", &[5, 2, 2]), ("couldn’t", &[5, 5]), ("couldn’t’ve", &[5, 5, 5]), ("couldve", &[5,
    2]), ("could’ve", &[5, 5]), ("c’mon", &[5, 2]), ("daren't", &[4, 3]), ("darent", &[4, 2]),
    ("daren’t", &[4, 5]), ("didn't", &[3, 3]), ("didn't've", &[3, 3, 3]), ("didnt", &[3, 2]),
    ("didntve", &[3, 2, 2]), ("didn’t", &[3, 5]), ("didn’t’ve", &[3, 5, 5]), ("doesn't", &[4, 3]),
    ("doesn't've", &[4, 3, 3]), ("doesnt", &[4, 2]), ("doesntve", &[4, 2, 2]), ("doesn’t", &[4, 5]),
    ("doesn’t’ve", &[4, 5, 5]), ("don't", &[2, 3]), ("don't've", &[2, 3, 3]), ("dont", &[2, 2]),
    ("dontve", &[2, 2, 2]), ("don’t", &[2, 5]), ("don’t’ve", &[2, 5, 5]), ("gonna", &[3, 2]),
    ("gotta", &[3, 2]), ("hadn't", &[3, 3]), ("hadn't've", &[3, 3, 3]), ("hadnt", &[3, 2]),
    ("hadntve", &[3, 2, 2]), ("hadn’t", &[3, 5]), ("hadn’t’ve", &[3, 5, 5]), ("hasn't", &[3, 3]),
    ("hasnt", &[3, 2]), ("hasn’t", &[3, 5]), ("haven't", &[4, 3]), ("havent", &[4, 2]), ("haven’t",
    &[4, 5]), ("he'd", &[2, 2]), ("he'd've", &[2, 2, 3]), ("he'll", &[2, 3]), ("he'll've", &[2, 3,
    3]), ("he's", &[2, 2]), ("hed", &[2, 1]), ("hedve", &[2, 1, 2]), ("hellve", &[2, 2, 2]), ("hes",
    &[2, 1]), ("he’d", &[2, 4]), ("he’d’ve", &[2, 4, 5]), ("he’ll", &[2, 5]), ("he’ll’ve", &[2, 5,
    5]), ("he’s", &[2, 4]), ("how'd", &[3, 2]), ("how'd've", &[3, 2, 3]), ("how'd'y", &[3, 2, 2]),
    ("how'll", &[3, 3]), ("how'll've", &[3, 3, 3]), ("how're", &[3, 3]), ("how's", &[3, 2]),
    ("how've", &[3, 3]), ("howd", &[3, 1]), ("howdve", &[3, 1, 2]), ("howll", &[3, 2]), ("howllve",
    &[3, 2, 2]), ("howre", &[3, 2]), ("hows", &[3, 1]), ("howve", &[3, 2]), ("how’d", &[3, 4]),
    ("how’d’ve", &[3, 4, 5]), ("how’d’y", &[3, 4, 4]), ("how’ll", &[3, 5]), ("how’ll’ve", &[3, 5,
    5]), ("how’re", &[3, 5]), ("how’s", &[3, 4]), ("how’ve", &[3, 5]), ("i'd", &[1, 2]), ("i'd've",
    &[1, 2, 3]), ("i'll", &[1, 3]), ("i'll've", &[1, 3, 3]), ("i'm", &[1, 2]), ("i'ma", &[1, 2, 1]),
    ("i've", &[1, 3]), ("id", &[1, 1]), ("idve", &[1, 1, 2]), ("illve", &[1, 2, 2]), ("im", &[1,
    1]), ("ima", &[1, 1, 1]), ("isn't", &[2, 3]), ("isnt", &[2, 2]), ("isn’t", &[2, 5]), ("it'd",
    &[2, 2]), ("it'd've", &[2, 2, 3]), ("it'll", &[2, 3]), ("it'll've", &[2, 3, 3]), ("it's", &[2,
    2]), ("itd", &[2, 1]), ("itdve", &[2, 1, 2]), ("itll", &[2, 2]), ("itllve", &[2, 2, 2]),
    ("it’d", &[2, 4]), ("it’d’ve", &[2, 4, 5]), ("it’ll", &[2, 5]), ("it’ll’ve", &[2, 5, 5]),
    ("it’s", &[2, 4]), ("ive", &[1, 2]), ("i’d", &[1, 4]), ("i’d’ve", &[1, 4, 5]), ("i’ll", &[1,
    5]), ("i’ll’ve", &[1, 5, 5]), ("i’m", &[1, 4]), ("i’ma", &[1, 4, 1]), ("i’ve", &[1, 5]),
    ("let's", &[3, 2]), ("let’s", &[3, 4]), ("mayn't", &[3, 3]), ("mayn't've", &[3, 3, 3]),
    ("maynt", &[3, 2]), ("mayntve", &[3, 2, 2]), ("mayn’t", &[3, 5]), ("mayn’t’ve", &[3, 5, 5]),
    ("might've", &[5, 3]), ("mightn't", &[5, 3]), ("mightn't've", &[5, 3, 3]), ("mightnt", &[5, 2]),
    ("mightntve", &[5, 2, 2]), ("mightn’t", &[5, 5]), ("mightn’t’ve", &[5, 5, 5]), ("mightve", &[5,
    2]), ("might’ve", &[5, 5]), ("must've", &[4, 3]), ("mustn't", &[4, 3]), ("mustn't've", &[4, 3,
    3]), ("mustnt", &[4, 2]), ("mustntve", &[4, 2, 2]), ("mustn’t", &[4, 5]), ("mustn’t’ve", &[4, 5,
    5]), ("mustve", &[4, 2]), ("must’ve", &[4, 5]), ("needn't", &[4, 3]), ("needn't've", &[4, 3,
    3]), ("neednt", &[4, 2]), ("needntve", &[4, 2, 2]), ("needn’t", &[4, 5]), ("needn’t’ve", &[4, 5,
    5]), ("not've", &[3, 3]), ("notve", &[3, 2]), ("not’ve", &[3, 5]), ("oughtn't", &[5, 3]),
    ("oughtn't've", &[5, 3, 3]), ("oughtnt", &[5, 2]), ("oughtntve", &[5, 2, 2]), ("oughtn’t", &[5,
    5]), ("oughtn’t’ve", &[5, 5, 5]), ("shan't", &[3, 3]), ("shan't've", &[3, 3, 3]), ("shant", &[3,
    2]), ("shantve", &[3, 2, 2]), ("shan’t", &[3, 5]), ("shan’t’ve", &[3, 5, 5]), ("she'd", &[3,
    2]), ("she'd've", &[3, 2, 3]), ("she'll", &[3, 3]), ("she'll've", &[3, 3, 3]), ("she's", &[3,
    2]), ("shedve", &[3, 1, 2]), ("shellve", &[3, 2, 2]), ("shes", &[3, 1]), ("she’d", &[3, 4]),
    ("she’d’ve", &[3, 4, 5]), ("she’ll", &[3, 5]), ("she’ll’ve", &[3, 5, 5]), ("she’s", &[3, 4]),
    ("should've", &[6, 3]), ("shouldn't", &[6, 3]), ("shouldn't've", &[6, 3, 3]), ("shouldnt", &[6,
    2]), ("shouldntve", &[6, 2, 2]), ("shouldn’t", &[6, 5]), ("shouldn’t’ve", &[6, 5, 5]),
    ("shouldve", &[6, 2]), ("should’ve", &[6, 5]), ("that'd", &[4, 2]), ("that'd've", &[4, 2, 3]),
    ("that'll", &[4, 3]), ("that'll've", &[4, 3, 3]), ("that's", &[4, 2]), ("thatd", &[4, 1]),
    ("thatdve", &[4, 1, 2]), ("thatll", &[4, 2]), ("thatllve", &[4, 2, 2]), ("thats", &[4, 1]),
    ("that’d", &[4, 4]), ("that’d’ve", &[4, 4, 5]), ("that’ll", &[4, 5]), ("that’ll’ve", &[4, 5,
    5]), ("that’s", &[4, 4]), ("there'd", &[5, 2]), ("there'd've", &[5, 2, 3]), ("there'll", &[5,
    3]), ("there'll've", &[5, 3, 3]), ("there're", &[5, 3]), ("there's", &[5, 2]), ("there've", &[5,
    3]), ("thered", &[5, 1]), ("theredve", &[5, 1, 2]), ("therell", &[5, 2]), ("therellve", &[5, 2,
    2]), ("therere", &[5, 2]), ("theres", &[5, 1]), ("thereve", &[5, 2]), ("there’d", &[5, 4]),
    ("there’d’ve", &[5, 4, 5]), ("there’ll", &[5, 5]), ("there’ll’ve", &[5, 5, 5]), ("there’re",
    &[5, 5]), ("there’s", &[5, 4]), ("there’ve", &[5, 5]), ("these'd", &[5, 2]), ("these'd've", &[5,
    2, 3]), ("these'll", &[5, 3]), ("these'll've", &[5, 3, 3]), ("these're", &[5, 3]), ("these've",
    &[5, 3]), ("thesed", &[5, 1]), ("thesedve", &[5, 1, 2]), ("thesell", &[5, 2]), ("thesellve",
    &[5, 2, 2]), ("thesere", &[5, 2]), ("theseve", &[5, 2]), ("these’d", &[5, 4]), ("these’d’ve",
    &[5, 4, 5]), ("these’ll", &[5, 5]), ("these’ll’ve", &[5, 5, 5]), ("these’re", &[5, 5]),
    ("these’ve", &[5, 5]), ("they'd", &[4, 2]), ("they'd've", &[4, 2, 3]), ("they'll", &[4, 3]),
    ("they'll've", &[4, 3, 3]), ("they're", &[4, 3]), ("they've", &[4, 3]), ("theyd", &[4, 1]),
    ("theydve", &[4, 1, 2]), ("theyll", &[4, 2]), ("theyllve", &[4, 2, 2]), ("theyre", &[4, 2]),
    ("theyve", &[4, 2]), ("they’d", &[4, 4]), ("they’d’ve", &[4, 4, 5]), ("they’ll", &[4, 5]),
    ("they’ll’ve", &[4, 5, 5]), ("they’re", &[4, 5]), ("they’ve", &[4, 5]), ("this'd", &[4, 2]),
    ("this'd've", &[4, 2, 3]), ("this'll", &[4, 3]), ("this'll've", &[4, 3, 3]), ("this's", &[4,
    2]), ("thisd", &[4, 1]), ("thisdve", &[4, 1, 2]), ("thisll", &[4, 2]), ("thisllve", &[4, 2, 2]),
    ("thiss", &[4, 1]), ("this’d", &[4, 4]), ("this’d’ve", &[4, 4, 5]), ("this’ll", &[4, 5]),
    ("this’ll’ve", &[4, 5, 5]), ("this’s", &[4, 4]), ("those'd", &[5, 2]), ("those'd've", &[5, 2,
    3]), ("those'll", &[5, 3]), ("those'll've", &[5, 3, 3]), ("those're", &[5, 3]), ("those've",
    &[5, 3]), ("thosed", &[5, 1]), ("thosedve", &[5, 1, 2]), ("thosell", &[5, 2]), ("thosellve",
    &[5, 2, 2]), ("thosere", &[5, 2]), ("thoseve", &[5, 2]), ("those’d", &[5, 4]), ("those’d’ve",
    &[5, 4, 5]), ("those’ll", &[5, 5]), ("those’ll’ve", &[5, 5, 5]), ("those’re", &[5, 5]),
    ("those’ve", &[5, 5]), ("wasn't", &[3, 3]), ("wasnt", &[3, 2]), ("wasn’t", &[3, 5]), ("we'd",
    &[2, 2]), ("we'd've", &[2, 2, 3]), ("we'll", &[2, 3]), ("we'll've", &[2, 3, 3]), ("we're", &[2,
    3]), ("we've", &[2, 3]), ("wed", &[2, 1]), ("wedve", &[2, 1, 2]), ("wellve", &[2, 2, 2]),
    ("weren't", &[4, 3]), ("werent", &[4, 2]), ("weren’t", &[4, 5]), ("weve", &[2, 2]), ("we’d",
    &[2, 4]), ("we’d’ve", &[2, 4, 5]), ("we’ll", &[2, 5]), ("we’ll’ve", &[2, 5, 5]), ("we’re", &[2,
    5]), ("we’ve", &[2, 5]), ("what'd", &[4, 2]), ("what'd've", &[4, 2, 3]), ("what'll", &[4, 3]),
    ("what'll've", &[4, 3, 3]), ("what're", &[4, 3]), ("what's", &[4, 2]), ("what've", &[4, 3]),
    ("whatd", &[4, 1]), ("whatdve", &[4, 1, 2]), ("whatll", &[4, 2]), ("whatllve", &[4, 2, 2]),
    ("whatre", &[4, 2]), ("whats", &[4, 1]), ("whatve", &[4, 2]), ("what’d", &[4, 4]), ("what’d’ve",
    &[4, 4, 5]), ("what’ll", &[4, 5]), ("what’ll’ve", &[4, 5, 5]), ("what’re", &[4, 5]), ("what’s",
    &[4, 4]), ("what’ve", &[4, 5]), ("when'd", &[4, 2]), ("when'd've", &[4, 2, 3]), ("when'll", &[4,
    3]), ("when'll've", &[4, 3, 3]), ("when're", &[4, 3]), ("when's", &[4, 2]), ("when've", &[4,
    3]), ("whend", &[4, 1]), ("whendve", &[4, 1, 2]), ("whenll", &[4, 2]), ("whenllve", &[4, 2, 2]),
    ("whenre", &[4, 2]), ("whens", &[4, 1]), ("whenve", &[4, 2]), ("when’d", &[4, 4]), ("when’d’ve",
    &[4, 4, 5]), ("when’ll", &[4, 5]), ("when’ll’ve", &[4, 5, 5]), ("when’re", &[4, 5]), ("when’s",
    &[4, 4]), ("when’ve", &[4, 5]), ("where'd", &[5, 2]), ("where'd've", &[5, 2, 3]), ("where'll",
    &[5, 3]), ("where'll've", &[5, 3, 3]), ("where're", &[5, 3]), ("where's", &[5, 2]), ("where've",
    &[5, 3]), ("whered", &[5, 1]), ("wheredve", &[5, 1, 2]), ("wherell", &[5, 2]), ("wherellve",
    &[5, 2, 2]), ("wherere", &[5, 2]), ("wheres", &[5, 1]), ("whereve", &[5, 2]), ("where’d", &[5,
    4]), ("where’d’ve", &[5, 4, 5]), ("where’ll", &[5, 5]), ("where’ll’ve", &[5, 5, 5]),
    ("where’re", &[5, 5]), ("where’s", &[5, 4]), ("where’ve", &[5, 5]), ("who'd", &[3, 2]),
    ("who'd've", &[3, 2, 3]), ("who'll", &[3, 3]), ("who'll've", &[3, 3, 3]), ("who're", &[3, 3]),
    ("who's", &[3, 2]), ("who've", &[3, 3]), ("whod", &[3, 1]), ("whodve", &[3, 1, 2]), ("wholl",
    &[3, 2]), ("whollve", &[3, 2, 2]), ("whos", &[3, 1]), ("whove", &[3, 2]), ("who’d", &[3, 4]),
    ("who’d’ve", &[3, 4, 5]), ("who’ll", &[3, 5]), ("who’ll’ve", &[3, 5, 5]), ("who’re", &[3, 5]),
    ("who’s", &[3, 4]), ("who’ve", &[3, 5]), ("why'd", &[3, 2]), ("why'd've", &[3, 2, 3]),
    ("why'll", &[3, 3]), ("why'll've", &[3, 3, 3]), ("why're", &[3, 3]), ("why's", &[3, 2]),
    ("why've", &[3, 3]), ("whyd", &[3, 1]), ("whydve", &[3, 1, 2]), ("whyll", &[3, 2]), ("whyllve",
    &[3, 2, 2]), ("whyre", &[3, 2]), ("whys", &[3, 1]), ("whyve", &[3, 2]), ("why’d", &[3, 4]),
    ("why’d’ve", &[3, 4, 5]), ("why’ll", &[3, 5]), ("why’ll’ve", &[3, 5, 5]), ("why’re", &[3, 5]),
    ("why’s", &[3, 4]), ("why’ve", &[3, 5]), ("won't", &[2, 3]), ("won't've", &[2, 3, 3]), ("wont",
    &[2, 2]), ("wontve", &[2, 2, 2]), ("won’t", &[2, 5]), ("won’t’ve", &[2, 5, 5]), ("would've",
    &[5, 3]), ("wouldn't", &[5, 3]), ("wouldn't've", &[5, 3, 3]), ("wouldnt", &[5, 2]),
    ("wouldntve", &[5, 2, 2]), ("wouldn’t", &[5, 5]), ("wouldn’t’ve", &[5, 5, 5]), ("wouldve", &[5,
    2]), ("would’ve", &[5, 5]), ("y'all", &[2, 3]), ("yall", &[1, 3]), ("you'd", &[3, 2]),
    ("you'd've", &[3, 2, 3]), ("you'll", &[3, 3]), ("you'll've", &[3, 3, 3]), ("you're", &[3, 3]),
    ("you've", &[3, 3]), ("youd", &[3, 1]), ("youdve", &[3, 1, 2]), ("youll", &[3, 2]), ("youllve",
    &[3, 2, 2]), ("youre", &[3, 2]), ("youve", &[3, 2]), ("you’d", &[3, 4]), ("you’d’ve", &[3, 4,
    5]), ("you’ll", &[3, 5]), ("you’ll’ve", &[3, 5, 5]), ("you’re", &[3, 5]), ("you’ve", &[3, 5]),
    ("y’all", &[4, 3]), ("°C.", &[2, 1, 1]), ("°F.", &[2, 1, 1]), ("°K.", &[2, 1, 1]), ("°c.", &[2,
    1, 1]), ("°f.", &[2, 1, 1]), ("°k.", &[2, 1, 1])
];

/// Abbreviations and emoticons spaCy's English tokenizer keeps whole.
fn is_exception(s: &str) -> bool {
    matches!(special(s), Some(Special::Whole))
}

/// spaCy's English single-token exceptions holding punctuation
/// (abbreviations, emoticons), sorted.
#[rustfmt::skip]
static EXCEPTIONS: &[&str] = &[
    "'", "''", "'Cause", "'Cos", "'Coz", "'Cuz", "'S", "'bout", "'cause", "'cos", "'coz", "'cuz",
    "'d", "'em", "'ll", "'nuff", "'re", "'s", "(*_*)", "(-8", "(-:", "(-;", "(-_-)", "(._.)", "(:",
    "(;", "(=", "(>_<)", "(^_^)", "(o:", "(¬_¬)", "(ಠ_ಠ)", ")-:", "):", "-_-", "-__-", "._.", "0.0",
    "0.o", "0_0", "0_o", "8)", "8-)", "8-D", ":'(", ":')", ":'-(", ":'-)", ":(", ":((", ":(((",
    ":()", ":)", ":))", ":)))", ":*", ":-(", ":-((", ":-(((", ":-)", ":-))", ":-)))", ":-*", ":-/",
    ":-0", ":-3", ":->", ":-D", ":-O", ":-P", ":-X", ":-]", ":-o", ":-p", ":-x", ":-|", ":-}", ":/",
    ":0", ":1", ":3", ":>", ":D", ":O", ":P", ":X", ":]", ":o", ":o)", ":p", ":x", ":|", ":}",
    ":’(", ":’)", ":’-(", ":’-)", ";)", ";-)", ";-D", ";D", ";_;", "<.<", "</3", "<3", "<33",
    "<333", "<space>", "=(", "=)", "=/", "=3", "=D", "=[", "=]", "=|", ">.<", ">.>", ">:(", ">:o",
    "><(((*>", "@_@", "Adm.", "Ak.", "Ala.", "Apr.", "Ariz.", "Ark.", "Aug.", "Bros.", "C++",
    "Calif.", "Co.", "Colo.", "Conn.", "Corp.", "D.C.", "Dec.", "Del.", "Doin'", "Doin’", "Dr.",
    "E.G.", "E.g.", "Feb.", "Fla.", "Ga.", "Gen.", "Goin'", "Goin’", "Gov.", "Havin'", "Havin’",
    "I.E.", "I.e.", "Ia.", "Id.", "Ill.", "Inc.", "Ind.", "Jan.", "Jr.", "Jul.", "Jun.", "Kan.",
    "Kans.", "Ky.", "La.", "Lovin'", "Lovin’", "Ltd.", "Ma'am", "Mar.", "Mass.", "Ma’am", "Md.",
    "Messrs.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.", "Mr.", "Mrs.", "Ms.", "Mt.", "N.C.",
    "N.D.", "N.H.", "N.J.", "N.M.", "N.Y.", "Neb.", "Nebr.", "Nev.", "Nothin'", "Nothin’", "Nov.",
    "Nuthin'", "Nuthin’", "O'clock", "O.O", "O.o", "O_O", "O_o", "Oct.", "Okla.", "Ol'", "Ol’",
    "Ore.", "O’clock", "Pa.", "Ph.D.", "Prof.", "Rep.", "Rev.", "S.C.", "Sen.", "Sep.", "Sept.",
    "Somethin'", "Somethin’", "St.", "Tenn.", "V.V", "V_V", "Va.", "Wash.", "Wis.", "[-:", "[:",
    "[=", "\\\")", "\\n", "\\t", "]=", "^_^", "^__^", "^___^", "a.", "a.m.", "and/or", "b.", "c.",
    "co.", "d.", "doin'", "doin’", "e.", "e.g.", "f.", "g.", "goin'", "goin’", "h.", "havin'",
    "havin’", "i.", "i.e.", "j.", "k.", "l.", "lovin'", "lovin’", "m.", "ma'am", "ma’am", "n.",
    "nothin'", "nothin’", "nuthin'", "nuthin’", "o'clock", "o.", "o.0", "o.O", "o.o", "o_0", "o_O",
    "o_o", "ol'", "ol’", "o’clock", "p.", "p.m.", "q.", "r.", "s.", "somethin'", "somethin’", "t.",
    "u.", "v.", "v.s.", "v.v", "v_v", "vs.", "w.", "w/o", "x.", "y.", "z.", "¯\\(ツ)/¯", "ä.", "ö.",
    "ü.", "ಠ_ಠ", "ಠ︵ಠ", "—", "‘S", "‘s", "’", "’Cause", "’Cos", "’Coz", "’Cuz", "’S", "’bout",
    "’cause", "’cos", "’coz", "’cuz", "’d", "’em", "’ll", "’nuff", "’re", "’s", "’’",
];

/// spaCy's lower-case letters (including scripts without case).
fn is_lower(c: char) -> bool {
    ALPHA_LOWER.contains(c)
}

/// A character class of spaCy's: sorted inclusive ranges, with a bitmap of the
/// Basic Multilingual Plane built on first use, because a binary search per
/// character cost more than the rest of the word split on non-Latin text.
struct CharClass {
    members: Members,
    bmp: std::sync::OnceLock<Box<[u64; 1024]>>,
}

/// What a [`CharClass`] holds: sorted inclusive ranges, or the characters a
/// function accepts.
enum Members {
    Ranges(&'static [(u32, u32)]),
    Test(fn(char) -> bool),
}

impl Members {
    fn contains(&self, c: u32) -> bool {
        match self {
            Members::Ranges(r) => in_ranges(r, c),
            Members::Test(f) => char::from_u32(c).is_some_and(f),
        }
    }
}

impl CharClass {
    const fn new(ranges: &'static [(u32, u32)]) -> Self {
        Self::of(Members::Ranges(ranges))
    }

    const fn of(members: Members) -> Self {
        CharClass {
            members,
            bmp: std::sync::OnceLock::new(),
        }
    }

    fn contains(&self, c: char) -> bool {
        let c = c as u32;
        if c > 0xffff {
            return self.members.contains(c);
        }
        let bmp = self.bmp.get_or_init(|| {
            let mut bits = Box::new([0u64; 1024]);
            for x in (0..=0xffff).filter(|&x| self.members.contains(x)) {
                bits[(x >> 6) as usize] |= 1 << (x & 63);
            }
            bits
        });
        bmp[(c >> 6) as usize] & (1 << (c & 63)) != 0
    }
}

/// Python's `str.isalpha` for one character: a letter (Unicode general
/// category `L`), by a bitmap in the BMP. Rust's `char::is_alphabetic` also
/// takes letter numbers and marks (`Ⅻ`, `Ⓐ`, Devanagari vowel signs).
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    static LETTERS: LazyLock<CharClass> = LazyLock::new(|| CharClass::new(letter_ranges().leak()));
    LETTERS.contains(c)
}

/// The ranges of general category `L`, from the Unicode tables of
/// `regex-syntax` (the version `regex` uses).
fn letter_ranges() -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::parse(r"\p{L}").expect("a valid class");
    let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
        unreachable!("\\p{{L}} is a Unicode class")
    };
    class
        .iter()
        .map(|r| (u32::from(r.start()), u32::from(r.end())))
        .collect()
}

/// `char::is_alphabetic` (Unicode's Alphabetic property), by a bitmap in the
/// BMP: the standard library's lookup is a search of a few hundred steps.
pub fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    static ALPHABETIC: CharClass = CharClass::of(Members::Test(char::is_alphabetic));
    ALPHABETIC.contains(c)
}

static ICONS: CharClass = CharClass::new(ICON_RANGES);
static ALPHA: CharClass = CharClass::new(ALPHA_RANGES);
static ALPHA_LOWER: CharClass = CharClass::new(ALPHA_LOWER_RANGES);
static ALPHA_UPPER: CharClass = CharClass::new(ALPHA_UPPER_RANGES);

fn in_ranges(class: &[(u32, u32)], c: u32) -> bool {
    class
        .binary_search_by(|&(a, b)| {
            if b < c {
                std::cmp::Ordering::Less
            } else if a > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// spaCy's `ALPHA` character class, as sorted inclusive ranges.
#[rustfmt::skip]
static ALPHA_RANGES: &[(u32, u32)] = &[
    (0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BF), (0x1C4, 0x2AF), (0x386,
    0x386), (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x38F), (0x391, 0x3A9), (0x3AC, 0x3AF), (0x3B1,
    0x3C9), (0x3CC, 0x3CE), (0x400, 0x401), (0x403, 0x40A), (0x40C, 0x40D), (0x410, 0x451), (0x453,
    0x45A), (0x45C, 0x45D), (0x490, 0x491), (0x496, 0x497), (0x4A2, 0x4A3), (0x4AE, 0x4AF), (0x4BA,
    0x4BB), (0x4D8, 0x4D9), (0x4E8, 0x4E9), (0x591, 0x5F4), (0x620, 0x64A), (0x66E, 0x6D5), (0x6E5,
    0x6FF), (0x750, 0x77F), (0x8A0, 0x8BD), (0x900, 0x9FF), (0xB80, 0xCFF), (0xD80, 0xDFF), (0x1100,
    0x137F), (0x1D00, 0x1D25), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E00, 0x1EFF), (0x2C60,
    0x2C7B), (0x2C7E, 0x2C7F), (0x2E80, 0x2FDF), (0x2FF0, 0x30FF), (0x31C0, 0x31EF), (0x3200,
    0x4DBF), (0x4E00, 0x9FFF), (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E), (0xA790,
    0xA7B9), (0xA7FA, 0xA7FA), (0xAB30, 0xAB5A), (0xAB60, 0xAB64), (0xAC00, 0xD7AF), (0xF900,
    0xFAFF), (0xFB1D, 0xFBB1), (0xFBD3, 0xFD3D), (0xFD50, 0xFDC7), (0xFDF0, 0xFDFB), (0xFE30,
    0xFE4F), (0xFE70, 0xFEFC), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0x1EE00, 0x1EEBB), (0x1F200,
    0x1F2FF), (0x20000, 0x2A6DF), (0x2A700, 0x2EBEF), (0x2F800, 0x2FA1F),
];
/// spaCy's `ALPHA_LOWER` character class, as sorted inclusive ranges.
#[rustfmt::skip]
static ALPHA_LOWER_RANGES: &[(u32, u32)] = &[
    (0x61, 0x7A), (0xDF, 0xF6), (0xF8, 0xFF), (0x101, 0x101), (0x103, 0x103), (0x105, 0x105),
    (0x107, 0x107), (0x109, 0x109), (0x10B, 0x10B), (0x10D, 0x10D), (0x10F, 0x10F), (0x111, 0x111),
    (0x113, 0x113), (0x115, 0x115), (0x117, 0x117), (0x119, 0x119), (0x11B, 0x11B), (0x11D, 0x11D),
    (0x11F, 0x11F), (0x121, 0x121), (0x123, 0x123), (0x125, 0x125), (0x127, 0x127), (0x129, 0x129),
    (0x12B, 0x12B), (0x12D, 0x12D), (0x12F, 0x12F), (0x131, 0x131), (0x133, 0x133), (0x135, 0x135),
    (0x137, 0x138), (0x13A, 0x13A), (0x13C, 0x13C), (0x13E, 0x13E), (0x140, 0x140), (0x142, 0x142),
    (0x144, 0x144), (0x146, 0x146), (0x148, 0x149), (0x14B, 0x14B), (0x14D, 0x14D), (0x14F, 0x14F),
    (0x151, 0x151), (0x153, 0x153), (0x155, 0x155), (0x157, 0x157), (0x159, 0x159), (0x15B, 0x15B),
    (0x15D, 0x15D), (0x15F, 0x15F), (0x161, 0x161), (0x163, 0x163), (0x165, 0x165), (0x167, 0x167),
    (0x169, 0x169), (0x16B, 0x16B), (0x16D, 0x16D), (0x16F, 0x16F), (0x171, 0x171), (0x173, 0x173),
    (0x175, 0x175), (0x177, 0x177), (0x17A, 0x17A), (0x17C, 0x17C), (0x17E, 0x180), (0x183, 0x183),
    (0x185, 0x185), (0x188, 0x188), (0x18C, 0x18D), (0x192, 0x192), (0x195, 0x195), (0x199, 0x19B),
    (0x19E, 0x19E), (0x1A1, 0x1A1), (0x1A3, 0x1A3), (0x1A5, 0x1A5), (0x1A8, 0x1A8), (0x1AA, 0x1AB),
    (0x1AD, 0x1AD), (0x1B0, 0x1B0), (0x1B4, 0x1B4), (0x1B6, 0x1B6), (0x1B9, 0x1BA), (0x1BD, 0x1BF),
    (0x1C6, 0x1C6), (0x1C9, 0x1C9), (0x1CC, 0x1CC), (0x1CE, 0x1CE), (0x1D0, 0x1D0), (0x1D2, 0x1D2),
    (0x1D4, 0x1D4), (0x1D6, 0x1D6), (0x1D8, 0x1D8), (0x1DA, 0x1DA), (0x1DC, 0x1DD), (0x1DF, 0x1DF),
    (0x1E1, 0x1E1), (0x1E3, 0x1E3), (0x1E5, 0x1E5), (0x1E7, 0x1E7), (0x1E9, 0x1E9), (0x1EB, 0x1EB),
    (0x1ED, 0x1ED), (0x1EF, 0x1F0), (0x1F3, 0x1F3), (0x1F5, 0x1F5), (0x1F9, 0x1F9), (0x1FB, 0x1FB),
    (0x1FD, 0x1FD), (0x1FF, 0x1FF), (0x201, 0x201), (0x203, 0x203), (0x205, 0x205), (0x207, 0x207),
    (0x209, 0x209), (0x20B, 0x20B), (0x20D, 0x20D), (0x20F, 0x20F), (0x211, 0x211), (0x213, 0x213),
    (0x215, 0x215), (0x217, 0x217), (0x219, 0x219), (0x21B, 0x21B), (0x21D, 0x21D), (0x21F, 0x21F),
    (0x221, 0x221), (0x223, 0x223), (0x225, 0x225), (0x227, 0x227), (0x229, 0x229), (0x22B, 0x22B),
    (0x22D, 0x22D), (0x22F, 0x22F), (0x231, 0x231), (0x233, 0x239), (0x23C, 0x23C), (0x23F, 0x240),
    (0x242, 0x242), (0x247, 0x247), (0x249, 0x249), (0x24B, 0x24B), (0x24D, 0x24D), (0x24F, 0x2AF),
    (0x3AC, 0x3AF), (0x3B1, 0x3C9), (0x3CC, 0x3CE), (0x430, 0x451), (0x453, 0x45A), (0x45C, 0x45D),
    (0x491, 0x491), (0x497, 0x497), (0x4A3, 0x4A3), (0x4AF, 0x4AF), (0x4BB, 0x4BB), (0x4D9, 0x4D9),
    (0x4E9, 0x4E9), (0x591, 0x5F4), (0x620, 0x64A), (0x66E, 0x6D5), (0x6E5, 0x6FF), (0x750, 0x77F),
    (0x8A0, 0x8BD), (0x900, 0x9FF), (0xB80, 0xCFF), (0xD80, 0xDFF), (0x1100, 0x137F), (0x1D00,
    0x1D25), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E01, 0x1E01), (0x1E03, 0x1E03), (0x1E05,
    0x1E05), (0x1E07, 0x1E07), (0x1E09, 0x1E09), (0x1E0B, 0x1E0B), (0x1E0D, 0x1E0D), (0x1E0F,
    0x1E0F), (0x1E11, 0x1E11), (0x1E13, 0x1E13), (0x1E15, 0x1E15), (0x1E17, 0x1E17), (0x1E19,
    0x1E19), (0x1E1B, 0x1E1B), (0x1E1D, 0x1E1D), (0x1E1F, 0x1E1F), (0x1E21, 0x1E21), (0x1E23,
    0x1E23), (0x1E25, 0x1E25), (0x1E27, 0x1E27), (0x1E29, 0x1E29), (0x1E2B, 0x1E2B), (0x1E2D,
    0x1E2D), (0x1E2F, 0x1E2F), (0x1E31, 0x1E31), (0x1E33, 0x1E33), (0x1E35, 0x1E35), (0x1E37,
    0x1E37), (0x1E39, 0x1E39), (0x1E3B, 0x1E3B), (0x1E3D, 0x1E3D), (0x1E3F, 0x1E3F), (0x1E41,
    0x1E41), (0x1E43, 0x1E43), (0x1E45, 0x1E45), (0x1E47, 0x1E47), (0x1E49, 0x1E49), (0x1E4B,
    0x1E4B), (0x1E4D, 0x1E4D), (0x1E4F, 0x1E4F), (0x1E51, 0x1E51), (0x1E53, 0x1E53), (0x1E55,
    0x1E55), (0x1E57, 0x1E57), (0x1E59, 0x1E59), (0x1E5B, 0x1E5B), (0x1E5D, 0x1E5D), (0x1E5F,
    0x1E5F), (0x1E61, 0x1E61), (0x1E63, 0x1E63), (0x1E65, 0x1E65), (0x1E67, 0x1E67), (0x1E69,
    0x1E69), (0x1E6B, 0x1E6B), (0x1E6D, 0x1E6D), (0x1E6F, 0x1E6F), (0x1E71, 0x1E71), (0x1E73,
    0x1E73), (0x1E75, 0x1E75), (0x1E77, 0x1E77), (0x1E79, 0x1E79), (0x1E7B, 0x1E7B), (0x1E7D,
    0x1E7D), (0x1E7F, 0x1E7F), (0x1E81, 0x1E81), (0x1E83, 0x1E83), (0x1E85, 0x1E85), (0x1E87,
    0x1E87), (0x1E89, 0x1E89), (0x1E8B, 0x1E8B), (0x1E8D, 0x1E8D), (0x1E8F, 0x1E8F), (0x1E91,
    0x1E91), (0x1E93, 0x1E93), (0x1E95, 0x1E9D), (0x1E9F, 0x1E9F), (0x1EA1, 0x1EA1), (0x1EA3,
    0x1EA3), (0x1EA5, 0x1EA5), (0x1EA7, 0x1EA7), (0x1EA9, 0x1EA9), (0x1EAB, 0x1EAB), (0x1EAD,
    0x1EAD), (0x1EAF, 0x1EAF), (0x1EB1, 0x1EB1), (0x1EB3, 0x1EB3), (0x1EB5, 0x1EB5), (0x1EB7,
    0x1EB7), (0x1EB9, 0x1EB9), (0x1EBB, 0x1EBB), (0x1EBD, 0x1EBD), (0x1EBF, 0x1EBF), (0x1EC1,
    0x1EC1), (0x1EC3, 0x1EC3), (0x1EC5, 0x1EC5), (0x1EC7, 0x1EC7), (0x1EC9, 0x1EC9), (0x1ECB,
    0x1ECB), (0x1ECD, 0x1ECD), (0x1ECF, 0x1ECF), (0x1ED1, 0x1ED1), (0x1ED3, 0x1ED3), (0x1ED5,
    0x1ED5), (0x1ED7, 0x1ED7), (0x1ED9, 0x1ED9), (0x1EDB, 0x1EDB), (0x1EDD, 0x1EDD), (0x1EDF,
    0x1EDF), (0x1EE1, 0x1EE1), (0x1EE3, 0x1EE3), (0x1EE5, 0x1EE5), (0x1EE7, 0x1EE7), (0x1EE9,
    0x1EE9), (0x1EEB, 0x1EEB), (0x1EED, 0x1EED), (0x1EEF, 0x1EEF), (0x1EF1, 0x1EF1), (0x1EF3,
    0x1EF3), (0x1EF5, 0x1EF5), (0x1EF7, 0x1EF7), (0x1EF9, 0x1EF9), (0x1EFB, 0x1EFB), (0x1EFD,
    0x1EFD), (0x1EFF, 0x1EFF), (0x2C61, 0x2C61), (0x2C65, 0x2C66), (0x2C68, 0x2C68), (0x2C6A,
    0x2C6A), (0x2C6C, 0x2C6C), (0x2C71, 0x2C71), (0x2C73, 0x2C74), (0x2C76, 0x2C7B), (0x2E80,
    0x2FDF), (0x2FF0, 0x30FF), (0x31C0, 0x31EF), (0x3200, 0x4DBF), (0x4E00, 0x9FFF), (0xA723,
    0xA723), (0xA725, 0xA725), (0xA727, 0xA727), (0xA729, 0xA729), (0xA72B, 0xA72B), (0xA72D,
    0xA72D), (0xA72F, 0xA731), (0xA733, 0xA733), (0xA735, 0xA735), (0xA737, 0xA737), (0xA739,
    0xA739), (0xA73B, 0xA73B), (0xA73D, 0xA73D), (0xA73F, 0xA73F), (0xA741, 0xA741), (0xA743,
    0xA743), (0xA745, 0xA745), (0xA747, 0xA747), (0xA749, 0xA749), (0xA74B, 0xA74B), (0xA74D,
    0xA74D), (0xA74F, 0xA74F), (0xA751, 0xA751), (0xA753, 0xA753), (0xA755, 0xA755), (0xA757,
    0xA757), (0xA759, 0xA759), (0xA75B, 0xA75B), (0xA75D, 0xA75D), (0xA75F, 0xA75F), (0xA761,
    0xA761), (0xA763, 0xA763), (0xA765, 0xA765), (0xA767, 0xA767), (0xA769, 0xA769), (0xA76B,
    0xA76B), (0xA76D, 0xA76D), (0xA76F, 0xA76F), (0xA771, 0xA778), (0xA77A, 0xA77A), (0xA77C,
    0xA77C), (0xA77F, 0xA77F), (0xA781, 0xA781), (0xA783, 0xA783), (0xA785, 0xA785), (0xA787,
    0xA787), (0xA78C, 0xA78C), (0xA78E, 0xA78E), (0xA791, 0xA791), (0xA793, 0xA795), (0xA797,
    0xA797), (0xA799, 0xA799), (0xA79B, 0xA79B), (0xA79D, 0xA79D), (0xA79F, 0xA79F), (0xA7A1,
    0xA7A1), (0xA7A3, 0xA7A3), (0xA7A5, 0xA7A5), (0xA7A7, 0xA7A7), (0xA7A9, 0xA7A9), (0xA7AF,
    0xA7AF), (0xA7B5, 0xA7B5), (0xA7B7, 0xA7B7), (0xA7B9, 0xA7B9), (0xA7FA, 0xA7FA), (0xAB30,
    0xAB5A), (0xAB60, 0xAB64), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFB1D, 0xFBB1), (0xFBD3,
    0xFD3D), (0xFD50, 0xFDC7), (0xFDF0, 0xFDFB), (0xFE30, 0xFE4F), (0xFE70, 0xFEFC), (0xFF41,
    0xFF5A), (0x1EE00, 0x1EEBB), (0x1F200, 0x1F2FF), (0x20000, 0x2A6DF), (0x2A700, 0x2EBEF),
    (0x2F800, 0x2FA1F),
];
/// spaCy's `ALPHA_UPPER` character class, as sorted inclusive ranges.
#[rustfmt::skip]
static ALPHA_UPPER_RANGES: &[(u32, u32)] = &[
    (0x41, 0x5A), (0xC0, 0xD6), (0xD8, 0xDE), (0x100, 0x100), (0x102, 0x102), (0x104, 0x104),
    (0x106, 0x106), (0x108, 0x108), (0x10A, 0x10A), (0x10C, 0x10C), (0x10E, 0x10E), (0x110, 0x110),
    (0x112, 0x112), (0x114, 0x114), (0x116, 0x116), (0x118, 0x118), (0x11A, 0x11A), (0x11C, 0x11C),
    (0x11E, 0x11E), (0x120, 0x120), (0x122, 0x122), (0x124, 0x124), (0x126, 0x126), (0x128, 0x128),
    (0x12A, 0x12A), (0x12C, 0x12C), (0x12E, 0x12E), (0x130, 0x130), (0x132, 0x132), (0x134, 0x134),
    (0x136, 0x136), (0x139, 0x139), (0x13B, 0x13B), (0x13D, 0x13D), (0x13F, 0x13F), (0x141, 0x141),
    (0x143, 0x143), (0x145, 0x145), (0x147, 0x147), (0x14A, 0x14A), (0x14C, 0x14C), (0x14E, 0x14E),
    (0x150, 0x150), (0x152, 0x152), (0x154, 0x154), (0x156, 0x156), (0x158, 0x158), (0x15A, 0x15A),
    (0x15C, 0x15C), (0x15E, 0x15E), (0x160, 0x160), (0x162, 0x162), (0x164, 0x164), (0x166, 0x166),
    (0x168, 0x168), (0x16A, 0x16A), (0x16C, 0x16C), (0x16E, 0x16E), (0x170, 0x170), (0x172, 0x172),
    (0x174, 0x174), (0x176, 0x176), (0x178, 0x179), (0x17B, 0x17B), (0x17D, 0x17D), (0x181, 0x182),
    (0x184, 0x184), (0x186, 0x187), (0x189, 0x18B), (0x18E, 0x191), (0x193, 0x194), (0x196, 0x198),
    (0x19C, 0x19D), (0x19F, 0x1A0), (0x1A2, 0x1A2), (0x1A4, 0x1A4), (0x1A6, 0x1A7), (0x1A9, 0x1A9),
    (0x1AC, 0x1AC), (0x1AE, 0x1AF), (0x1B1, 0x1B3), (0x1B5, 0x1B5), (0x1B7, 0x1B8), (0x1BC, 0x1BC),
    (0x1C4, 0x1C4), (0x1C7, 0x1C7), (0x1CA, 0x1CA), (0x1CD, 0x1CD), (0x1CF, 0x1CF), (0x1D1, 0x1D1),
    (0x1D3, 0x1D3), (0x1D5, 0x1D5), (0x1D7, 0x1D7), (0x1D9, 0x1D9), (0x1DB, 0x1DB), (0x1DE, 0x1DE),
    (0x1E0, 0x1E0), (0x1E2, 0x1E2), (0x1E4, 0x1E4), (0x1E6, 0x1E6), (0x1E8, 0x1E8), (0x1EA, 0x1EA),
    (0x1EC, 0x1EC), (0x1EE, 0x1EE), (0x1F1, 0x1F1), (0x1F4, 0x1F4), (0x1F6, 0x1F8), (0x1FA, 0x1FA),
    (0x1FC, 0x1FC), (0x1FE, 0x1FE), (0x200, 0x200), (0x202, 0x202), (0x204, 0x204), (0x206, 0x206),
    (0x208, 0x208), (0x20A, 0x20A), (0x20C, 0x20C), (0x20E, 0x20E), (0x210, 0x210), (0x212, 0x212),
    (0x214, 0x214), (0x216, 0x216), (0x218, 0x218), (0x21A, 0x21A), (0x21C, 0x21C), (0x21E, 0x21E),
    (0x220, 0x220), (0x222, 0x222), (0x224, 0x224), (0x226, 0x226), (0x228, 0x228), (0x22A, 0x22A),
    (0x22C, 0x22C), (0x22E, 0x22E), (0x230, 0x230), (0x232, 0x232), (0x23A, 0x23B), (0x23D, 0x23E),
    (0x241, 0x241), (0x243, 0x246), (0x248, 0x248), (0x24A, 0x24A), (0x24C, 0x24C), (0x24E, 0x24E),
    (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x38F), (0x391, 0x3A9), (0x400, 0x401),
    (0x403, 0x40A), (0x40C, 0x40D), (0x410, 0x42F), (0x490, 0x490), (0x496, 0x496), (0x4A2, 0x4A2),
    (0x4AE, 0x4AE), (0x4BA, 0x4BA), (0x4D8, 0x4D8), (0x4E8, 0x4E8), (0x591, 0x5F4), (0x620, 0x64A),
    (0x66E, 0x6D5), (0x6E5, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8BD), (0x900, 0x9FF), (0xB80, 0xCFF),
    (0xD80, 0xDFF), (0x1100, 0x137F), (0x1E00, 0x1E00), (0x1E02, 0x1E02), (0x1E04, 0x1E04), (0x1E06,
    0x1E06), (0x1E08, 0x1E08), (0x1E0A, 0x1E0A), (0x1E0C, 0x1E0C), (0x1E0E, 0x1E0E), (0x1E10,
    0x1E10), (0x1E12, 0x1E12), (0x1E14, 0x1E14), (0x1E16, 0x1E16), (0x1E18, 0x1E18), (0x1E1A,
    0x1E1A), (0x1E1C, 0x1E1C), (0x1E1E, 0x1E1E), (0x1E20, 0x1E20), (0x1E22, 0x1E22), (0x1E24,
    0x1E24), (0x1E26, 0x1E26), (0x1E28, 0x1E28), (0x1E2A, 0x1E2A), (0x1E2C, 0x1E2C), (0x1E2E,
    0x1E2E), (0x1E30, 0x1E30), (0x1E32, 0x1E32), (0x1E34, 0x1E34), (0x1E36, 0x1E36), (0x1E38,
    0x1E38), (0x1E3A, 0x1E3A), (0x1E3C, 0x1E3C), (0x1E3E, 0x1E3E), (0x1E40, 0x1E40), (0x1E42,
    0x1E42), (0x1E44, 0x1E44), (0x1E46, 0x1E46), (0x1E48, 0x1E48), (0x1E4A, 0x1E4A), (0x1E4C,
    0x1E4C), (0x1E4E, 0x1E4E), (0x1E50, 0x1E50), (0x1E52, 0x1E52), (0x1E54, 0x1E54), (0x1E56,
    0x1E56), (0x1E58, 0x1E58), (0x1E5A, 0x1E5A), (0x1E5C, 0x1E5C), (0x1E5E, 0x1E5E), (0x1E60,
    0x1E60), (0x1E62, 0x1E62), (0x1E64, 0x1E64), (0x1E66, 0x1E66), (0x1E68, 0x1E68), (0x1E6A,
    0x1E6A), (0x1E6C, 0x1E6C), (0x1E6E, 0x1E6E), (0x1E70, 0x1E70), (0x1E72, 0x1E72), (0x1E74,
    0x1E74), (0x1E76, 0x1E76), (0x1E78, 0x1E78), (0x1E7A, 0x1E7A), (0x1E7C, 0x1E7C), (0x1E7E,
    0x1E7E), (0x1E80, 0x1E80), (0x1E82, 0x1E82), (0x1E84, 0x1E84), (0x1E86, 0x1E86), (0x1E88,
    0x1E88), (0x1E8A, 0x1E8A), (0x1E8C, 0x1E8C), (0x1E8E, 0x1E8E), (0x1E90, 0x1E90), (0x1E92,
    0x1E92), (0x1E94, 0x1E94), (0x1E9E, 0x1E9E), (0x1EA0, 0x1EA0), (0x1EA2, 0x1EA2), (0x1EA4,
    0x1EA4), (0x1EA6, 0x1EA6), (0x1EA8, 0x1EA8), (0x1EAA, 0x1EAA), (0x1EAC, 0x1EAC), (0x1EAE,
    0x1EAE), (0x1EB0, 0x1EB0), (0x1EB2, 0x1EB2), (0x1EB4, 0x1EB4), (0x1EB6, 0x1EB6), (0x1EB8,
    0x1EB8), (0x1EBA, 0x1EBA), (0x1EBC, 0x1EBC), (0x1EBE, 0x1EBE), (0x1EC0, 0x1EC0), (0x1EC2,
    0x1EC2), (0x1EC4, 0x1EC4), (0x1EC6, 0x1EC6), (0x1EC8, 0x1EC8), (0x1ECA, 0x1ECA), (0x1ECC,
    0x1ECC), (0x1ECE, 0x1ECE), (0x1ED0, 0x1ED0), (0x1ED2, 0x1ED2), (0x1ED4, 0x1ED4), (0x1ED6,
    0x1ED6), (0x1ED8, 0x1ED8), (0x1EDA, 0x1EDA), (0x1EDC, 0x1EDC), (0x1EDE, 0x1EDE), (0x1EE0,
    0x1EE0), (0x1EE2, 0x1EE2), (0x1EE4, 0x1EE4), (0x1EE6, 0x1EE6), (0x1EE8, 0x1EE8), (0x1EEA,
    0x1EEA), (0x1EEC, 0x1EEC), (0x1EEE, 0x1EEE), (0x1EF0, 0x1EF0), (0x1EF2, 0x1EF2), (0x1EF4,
    0x1EF4), (0x1EF6, 0x1EF6), (0x1EF8, 0x1EF8), (0x1EFA, 0x1EFA), (0x1EFC, 0x1EFC), (0x1EFE,
    0x1EFE), (0x2C60, 0x2C60), (0x2C62, 0x2C64), (0x2C67, 0x2C67), (0x2C69, 0x2C69), (0x2C6B,
    0x2C6B), (0x2C6D, 0x2C70), (0x2C72, 0x2C72), (0x2C75, 0x2C75), (0x2C7E, 0x2C7F), (0x2E80,
    0x2FDF), (0x2FF0, 0x30FF), (0x31C0, 0x31EF), (0x3200, 0x4DBF), (0x4E00, 0x9FFF), (0xA722,
    0xA722), (0xA724, 0xA724), (0xA726, 0xA726), (0xA728, 0xA728), (0xA72A, 0xA72A), (0xA72C,
    0xA72C), (0xA72E, 0xA72E), (0xA732, 0xA732), (0xA734, 0xA734), (0xA736, 0xA736), (0xA738,
    0xA738), (0xA73A, 0xA73A), (0xA73C, 0xA73C), (0xA73E, 0xA73E), (0xA740, 0xA740), (0xA742,
    0xA742), (0xA744, 0xA744), (0xA746, 0xA746), (0xA748, 0xA748), (0xA74A, 0xA74A), (0xA74C,
    0xA74C), (0xA74E, 0xA74E), (0xA750, 0xA750), (0xA752, 0xA752), (0xA754, 0xA754), (0xA756,
    0xA756), (0xA758, 0xA758), (0xA75A, 0xA75A), (0xA75C, 0xA75C), (0xA75E, 0xA75E), (0xA760,
    0xA760), (0xA762, 0xA762), (0xA764, 0xA764), (0xA766, 0xA766), (0xA768, 0xA768), (0xA76A,
    0xA76A), (0xA76C, 0xA76C), (0xA76E, 0xA76E), (0xA779, 0xA779), (0xA77B, 0xA77B), (0xA77D,
    0xA77E), (0xA780, 0xA780), (0xA782, 0xA782), (0xA784, 0xA784), (0xA786, 0xA786), (0xA78B,
    0xA78B), (0xA78D, 0xA78D), (0xA790, 0xA790), (0xA792, 0xA792), (0xA796, 0xA796), (0xA798,
    0xA798), (0xA79A, 0xA79A), (0xA79C, 0xA79C), (0xA79E, 0xA79E), (0xA7A0, 0xA7A0), (0xA7A2,
    0xA7A2), (0xA7A4, 0xA7A4), (0xA7A6, 0xA7A6), (0xA7A8, 0xA7A8), (0xA7AA, 0xA7AE), (0xA7B0,
    0xA7B4), (0xA7B6, 0xA7B6), (0xA7B8, 0xA7B8), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFB1D,
    0xFBB1), (0xFBD3, 0xFD3D), (0xFD50, 0xFDC7), (0xFDF0, 0xFDFB), (0xFE30, 0xFE4F), (0xFE70,
    0xFEFC), (0xFF21, 0xFF3A), (0x1EE00, 0x1EEBB), (0x1F200, 0x1F2FF), (0x20000, 0x2A6DF), (0x2A700,
    0x2EBEF), (0x2F800, 0x2FA1F),
];

fn split_infixes(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let mut piece = start;
    let mut i = start;
    let mut prev = ' ';
    let bytes = text.as_bytes();
    while i < end {
        let b = bytes[i];
        if b.is_ascii() && !INFIX_START[usize::from(b)] {
            prev = char::from(b);
            i += 1;
            continue;
        }
        let c = next_char(text, i);
        let clen = c.len_utf8();
        let infix_len = if i > start {
            infix_at(&text[i..end], prev)
        } else {
            0
        };
        if infix_len > 0 && i + infix_len < end {
            push_span(text, piece, i, out);
            push_span(text, i, i + infix_len, out);
            i += infix_len;
            piece = i;
            prev = prev_char(text, i);
        } else {
            prev = c;
            i += clen;
        }
    }
    push_span(text, piece, end, out);
}

/// The ASCII characters that can start an infix (see [`infix_at`]).
static INFIX_START: [bool; 128] = byte_set(b".+-*^,~:<>=/");

/// Bytes of the infix starting `rest` (after the character `prev`), 0 for none:
/// spaCy English's ellipsis, arithmetic, `lower.Upper`, comma, hyphen and
/// `:<>=/` rules.
fn infix_at(rest: &str, prev: char) -> usize {
    let mut chars = rest.chars();
    let c = chars.next().unwrap_or(' ');
    // Only these characters (and icons, none ASCII) start an infix.
    let starts_infix = match c {
        '…' | '—' | '–' => true,
        c if c.is_ascii() => INFIX_START[c as usize],
        c => ICONS.contains(c),
    };
    if !starts_infix {
        return 0;
    }
    let next = chars.next().unwrap_or(' ');
    let alpha = |c: char| ALPHA.contains(c);
    if rest.starts_with("..") || c == '…' {
        return ellipsis_len(rest);
    }
    if ICONS.contains(c) {
        return c.len_utf8();
    }
    if matches!(c, '+' | '-' | '*' | '^')
        && prev.is_ascii_digit()
        && (next.is_ascii_digit() || next == '-')
    {
        return 1;
    }
    if c == '.' && is_lower(prev) && ALPHA_UPPER.contains(next) {
        return 1;
    }
    if c == ',' && alpha(prev) && alpha(next) {
        return 1;
    }
    if !(alpha(prev) || prev.is_ascii_digit()) {
        return 0;
    }
    // Hyphens (`-`, `--`, `---`, `–`, `—`, `——`, `~`) and `:<>=/` before a letter.
    let max_run = match c {
        '-' => 3,
        '—' => 2,
        '–' | '~' | ':' | '<' | '>' | '=' | '/' => 1,
        _ => return 0,
    };
    let run = rest.chars().take_while(|&x| x == c).count().min(max_run);
    (1..=run)
        .find(|&k| rest.chars().nth(k).is_some_and(alpha))
        .map_or(0, |k| k * c.len_utf8())
}

/// A fast hasher for keys that are already hashes.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(bytes);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type FastHash = BuildHasherDefault<IdHasher>;

/// 64-bit FNV-1a-style hash with a final mix; collisions are negligible for the
/// counts a document holds.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        h = (h ^ v).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= bytes.len() as u64;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// Whether Python's `str.isspace` holds for `c`: Unicode white space plus the
/// information separators `\x1c`-`\x1f`, which Rust does not count.
pub const fn is_py_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

/// Python's `str.strip()` with no arguments.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Reference decisions of datatrove 0.10.1 (`tests/parity/gopher_parity.py`) for
/// the first documents of a shared real-data file, compared by the stages' tests.
#[cfg(test)]
pub(crate) mod parity {
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader};

    /// The shared corpus file the golden decisions were made from.
    const CORPUS: &str = "data/jsonl/dolma-cc-main-2019-30-00140.jsonl.gz";

    /// `(id, text, reference decision)` for `filter` (`"keep"` or a reason), or
    /// `None` when `SHARDWISE_SHARED` is unset (the test then skips).
    pub fn documents(filter: &str) -> Option<Vec<(String, String, String)>> {
        let shared = std::env::var_os("SHARDWISE_SHARED")?;
        let golden = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/gopher_reference.jsonl"
        ))
        .expect("golden file");
        let mut want: HashMap<String, String> = HashMap::new();
        for line in golden.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("golden line");
            want.insert(
                v["id"].as_str().unwrap().into(),
                v[filter].as_str().unwrap().into(),
            );
        }
        let path = std::path::Path::new(&shared).join(CORPUS);
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
        let mut docs = Vec::new();
        for line in reader.lines() {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            let id = v["id"].as_str().unwrap().to_string();
            if let Some(d) = want.remove(&id) {
                docs.push((id, v["text"].as_str().unwrap().to_string(), d));
            }
            if want.is_empty() {
                break;
            }
        }
        assert!(
            want.is_empty(),
            "golden ids missing from {}",
            path.display()
        );
        Some(docs)
    }

    /// Hand-written edge cases shared by the stages' tests, with datatrove
    /// 0.10.1's decisions `(quality, repetition)` checked by hand.
    pub fn edge_cases() -> Vec<(&'static str, String, &'static str, &'static str)> {
        let join = |n: usize, sep: &str, f: &dyn Fn(usize) -> String| {
            (0..n).map(f).collect::<Vec<_>>().join(sep)
        };
        vec![
            ("empty", String::new(), "gopher_short_doc", "empty"),
            (
                "whitespace",
                "  \n\t \r\n  ".into(),
                "gopher_short_doc",
                "dup_line_frac",
            ),
            (
                "giant_line",
                join(40, " ", &|i| format!("token{i} with the quiet of")),
                "keep",
                "top_2_gram",
            ),
            (
                "crlf_dups",
                "first line here\r\nsecond line\r\nsecond line\r\nsecond line\r\n".into(),
                "gopher_short_doc",
                "dup_line_frac",
            ),
            (
                "bullets",
                join(12, "\n", &|i| format!("- item number {i} with the and of")),
                "gopher_too_many_bullets",
                "top_3_gram",
            ),
            (
                "bullets_crlf",
                join(12, "\r\n", &|i| {
                    format!("• item number {i} with the and of")
                }),
                "gopher_too_many_bullets",
                "top_3_gram",
            ),
            (
                "ellipsis_lines",
                join(12, "\n", &|i| {
                    format!("and then the story of line {i} goes on...")
                }),
                "gopher_too_many_end_ellipsis",
                "top_3_gram",
            ),
            (
                "hashes",
                join(20, " ", &|i| format!("#tag{i} the of and")),
                "gopher_too_many_hashes",
                "top_2_gram",
            ),
            (
                "cjk",
                "这是一个没有空格的中文句子。".repeat(30),
                "gopher_short_doc",
                "top_2_gram",
            ),
            (
                "cyrillic",
                join(20, " ", &|i| format!("это слово номер {i} в тексте")),
                "gopher_enough_stop_words",
                "top_2_gram",
            ),
            (
                "top2",
                "hello world ".repeat(60),
                "gopher_enough_stop_words",
                "top_2_gram",
            ),
            (
                "numbers",
                join(200, " ", &|i| i.to_string()) + " the and",
                "gopher_below_avg_threshold",
                "keep",
            ),
            (
                "long_words",
                "extraordinarilylongword ".repeat(60) + "the and",
                "gopher_above_avg_threshold",
                "top_2_gram",
            ),
            (
                "dup_paras",
                "para one is here with words\n\npara two\n\npara two\n\npara two".into(),
                "gopher_short_doc",
                "dup_para_frac",
            ),
            (
                "no_stop",
                join(20, " ", &|i| format!("alpha{i} beta gamma delta")),
                "gopher_enough_stop_words",
                "top_2_gram",
            ),
            (
                // `Ⅻ` is no letter to Python's `isalpha` (Rust's
                // `is_alphabetic` says it is): 80 of 120 words hold a letter.
                "letter_numbers",
                join(20, " ", &|i| format!("Ⅻ Ⅻ the story{i} continues and")),
                "gopher_below_alpha_threshold",
                "top_3_gram",
            ),
        ]
    }

    /// Checks `judge` against the reference decisions of `filter` (skipped
    /// without `SHARDWISE_SHARED`); every document must agree.
    pub fn assert_agrees(filter: &str, judge: impl Fn(&str) -> &'static str) {
        let Some(docs) = documents(filter) else {
            eprintln!("SHARDWISE_SHARED unset: skipping the datatrove parity check");
            return;
        };
        let results: Vec<_> = docs
            .into_iter()
            .map(|(id, t, want)| (id, want, judge(&t).to_string()))
            .collect();
        let rate = agreement(filter, &results);
        assert!(
            rate >= 1.0,
            "{filter}: agreement with datatrove fell to {rate}"
        );
    }

    /// Prints disagreements and returns the agreement rate.
    pub fn agreement(filter: &str, results: &[(String, String, String)]) -> f64 {
        let mut agree = 0;
        for (id, want, got) in results {
            if want == got {
                agree += 1;
            } else {
                eprintln!("{filter} {id}: datatrove {want}, shardwise {got}");
            }
        }
        let rate = agree as f64 / results.len() as f64;
        eprintln!(
            "{filter}: {agree}/{} agree ({:.1}%)",
            results.len(),
            100.0 * rate
        );
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &str) -> Vec<&str> {
        let mut a = Analysis::default();
        a.run(t);
        a.words.iter().map(|w| w.of(t)).collect()
    }

    fn split(t: &str, shortcuts: bool) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        split_words_with(t, &mut out, shortcuts);
        out.iter().map(|w| (w.start, w.end, w.chars)).collect()
    }

    /// A xorshift generator from `seed`: each call gives a number below its
    /// argument.
    fn rng(mut state: u64) -> impl FnMut(usize) -> usize {
        move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        }
    }

    /// Chunks made of pieces that exercise every shortcut and its limits.
    fn generated_chunks(n: usize) -> Vec<String> {
        const PIECES: &[&str] = &[
            "a",
            "I",
            "word",
            "The",
            "US",
            "dont",
            "Mr",
            "e",
            "g",
            "m",
            "vs",
            "id",
            "Cannot",
            "10",
            "1999",
            "7",
            "am",
            "pm",
            ".",
            ",",
            ";",
            ":",
            "!",
            "?",
            ")",
            "(",
            "]",
            "\"",
            "'",
            "`",
            "%",
            "$",
            "+",
            "-",
            "/",
            "&",
            "#",
            "_",
            "*",
            "<",
            ">",
            "=",
            "…",
            "—",
            "é",
            "’",
            "中",
            "s",
            "t",
            "n't",
            "...",
            "@",
            "x",
            "слово",
            "Ⓐ",
            "ü",
            "हिन्दी",
            "°",
            "·",
            "ಠ",
            "-",
            "--",
            "----",
            "and",
            "or",
            "-_",
            "«",
            "„",
            "。",
            "¿",
            "（",
            "」",
            "ООН",
            "Ü",
            "ß",
            "²",
            "ვაჟი",
        ];
        let mut next = rng(0x2545_f491_4f6c_dd1d);
        (0..n)
            .map(|_| {
                let k = 1 + next(4);
                (0..k).map(|_| PIECES[next(PIECES.len())]).collect()
            })
            .collect()
    }

    /// Checks that every word's shape, where known, is true of its bytes.
    fn assert_shapes_hold(t: &str) {
        let mut out = Vec::new();
        split_words(t, &mut out);
        for w in out {
            let b = w.of(t).as_bytes();
            match w.shape {
                Shape::Letters => assert!(b.iter().all(u8::is_ascii_alphabetic), "{t:?}"),
                Shape::Digits => assert!(b.iter().all(u8::is_ascii_digit), "{t:?}"),
                Shape::Punct => assert!(b.iter().all(u8::is_ascii_punctuation), "{t:?}"),
                Shape::Unknown => {}
            }
        }
    }

    #[test]
    fn printable_runs_and_their_classes_match_the_byte_table() {
        let mut next = rng(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"aZm09 \t\n!~\x7f\x01\x1f@[`{\xc3\xa9";
        for len in 0..40 {
            for _ in 0..200 {
                let b: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
                let want = b.iter().take_while(|&&c| c > b' ' && c.is_ascii()).count();
                let classes = b[..want]
                    .iter()
                    .fold(0, |s, &c| s | BYTE_CLASS[usize::from(c)]);
                let other = b[..want]
                    .iter()
                    .position(|&c| BYTE_CLASS[usize::from(c)] == OTHER)
                    .unwrap_or(usize::MAX);
                let (mut seen, mut first_other) = (0, usize::MAX);
                assert_eq!(
                    printable_run(&b, &mut seen, &mut first_other),
                    want,
                    "{b:?}"
                );
                assert_eq!(seen, classes, "{b:?}");
                assert_eq!(first_other, other, "{b:?}");
            }
        }
    }

    #[test]
    fn chunks_end_at_every_kind_of_white_space() {
        // The split of a text is the split of each of its white-space
        // separated chunks alone, whatever the white space is.
        let spaces: Vec<char> = (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        assert!(spaces.len() > 20);
        let others = [
            "a", "word", "1999", "é", "жук", "中文", ",", "\"", "’", "don't", "x.", "\u{85}x",
            "\u{80}", "\u{1c}",
        ];
        let mut next = rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let mut t = String::new();
            for _ in 0..next(12) {
                if next(3) == 0 {
                    t.push(spaces[next(spaces.len())]);
                } else {
                    t.push_str(others[next(others.len())]);
                }
            }
            let mut want = Vec::new();
            let mut at = 0;
            for chunk in t.split(char::is_whitespace) {
                let mut words = Vec::new();
                split_words(chunk, &mut words);
                want.extend(
                    words
                        .iter()
                        .map(|w| (w.start as usize + at, w.end as usize + at)),
                );
                at += chunk.len()
                    + t[at + chunk.len()..]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8);
            }
            let mut got = Vec::new();
            split_words(&t, &mut got);
            let got: Vec<_> = got
                .iter()
                .map(|w| (w.start as usize, w.end as usize))
                .collect();
            assert_eq!(got, want, "{t:?}");
        }
    }

    #[test]
    fn white_space_starts_with_its_lead_bytes() {
        for c in (0x80..=0x10ffff).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let lead = c.encode_utf8(&mut buf).as_bytes()[0];
            assert_eq!(utf8_len(lead), c.len_utf8(), "{c:?}");
            if c.is_whitespace() {
                assert!(SPACE_LEAD[usize::from(lead)], "{c:?}");
            }
        }
    }

    #[test]
    fn character_class_bitmaps_match_their_definitions() {
        let letters = letter_ranges();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_letter(c), in_ranges(&letters, c as u32), "{c:?}");
            assert_eq!(
                ALPHA.contains(c),
                in_ranges(ALPHA_RANGES, c as u32),
                "{c:?}"
            );
            assert_eq!(is_punct(c), punct_char(c), "{c:?}");
            assert_eq!(affix_free(c), !affix_trigger(c), "{c:?}");
            assert_eq!(is_quote(c), quote_char(c), "{c:?}");
            assert_eq!(is_currency(c), currency_char(c), "{c:?}");
        }
    }

    #[test]
    fn shortcuts_split_as_the_general_rules_do() {
        for chunk in generated_chunks(50_000) {
            for t in [chunk.clone(), format!("x {chunk} y")] {
                assert_eq!(split(&t, true), split(&t, false), "{t:?}");
                assert_shapes_hold(&t);
            }
        }
    }

    #[test]
    fn contractions_split_as_the_general_rules_do() {
        // Special cases (`don't`, `y'all`), endings (`'s` `n't` `'ll`, any
        // case), words before them that are special cases (`Cannot's`), and
        // apostrophes that split nothing (`O'Brien`).
        let before = [
            "John", "it", "do", "don", "ca", "I", "we", "they", "O", "rock", "n", "DON", "Is",
            "you", "ai", "wo", "sha", "y", "shouldn", "Cannot", "dont", "Mr", "a", "US",
        ];
        let after = [
            "s", "S", "t", "T", "re", "RE", "ll", "Ll", "ve", "d", "D", "m", "M", "Brien", "n",
            "clock", "all", "em", "cause", "nuff", "bout", "ts", "st",
        ];
        for x in before {
            for apostrophe in ["'", "’"] {
                for y in after {
                    for (open, close) in [("", ""), ("(", ""), ("", ","), ("“", "”.")] {
                        let t = format!("{open}{x}{apostrophe}{y}{close}");
                        assert_eq!(split(&t, true), split(&t, false), "{t:?}");
                        assert_shapes_hold(&t);
                    }
                }
            }
        }
    }

    #[test]
    fn shortcuts_split_real_text_as_the_general_rules_do() {
        let Some(shared) = std::env::var_os("SHARDWISE_SHARED") else {
            eprintln!("SHARDWISE_SHARED unset: skipping the real-text check");
            return;
        };
        let dir = std::path::Path::new(&shared).join("data/corpus");
        let mut checked = 0;
        for name in [
            "books_gutenberg.jsonl.gz",
            "code_github.jsonl.gz",
            "edge_cases_blns.jsonl.gz",
            "multilingual_sentences_lingua.jsonl.gz",
            "multilingual_udhr.jsonl.gz",
            "web_from_warc_html.jsonl.gz",
            "wikipedia_wikitext.jsonl.gz",
        ] {
            let path = dir.join(name);
            let file =
                std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
            let mut bytes = 0;
            for line in std::io::BufRead::lines(reader) {
                let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
                let t = v["text"].as_str().unwrap();
                assert_eq!(split(t, true), split(t, false), "{name}: {}", v["id"]);
                assert_shapes_hold(t);
                bytes += t.len();
                checked += 1;
                // A few MB of each kind of text keeps the test quick.
                if bytes > 3_000_000 {
                    break;
                }
            }
        }
        assert!(checked > 1000, "{checked} documents");
    }

    // Expected splits are spaCy 3.8's blank English tokenizer, as datatrove uses.
    #[test]
    fn words_follow_spacy_english() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (" \n\t ", &[]),
            (
                "Hello, world! It's a test.",
                &["Hello", ",", "world", "!", "It", "'s", "a", "test", "."],
            ),
            (
                "Well-known 1950-talet e.g. U.S. don't",
                &[
                    "Well", "-", "known", "1950", "-", "talet", "e.g.", "U.S.", "do", "n't",
                ],
            ),
            (
                "Price: $5 or 5$... (yes)",
                &[
                    "Price", ":", "$", "5", "or", "5", "$", "...", "(", "yes", ")",
                ],
            ),
            (
                "see www.example.com/page and http://x.org.",
                &["see", "www.example.com/page", "and", "http://x.org", "."],
            ),
            ("합니다.김일 있다.", &["합니다.김일", "있다", "."]),
            ("word.Word :) <3", &["word", ".", "Word", ":)", "<3"]),
            ("naïve café’s", &["naïve", "café", "’s"]),
            ("a\r\nb", &["a", "b"]),
            (
                "id dont Can't 10am",
                &["i", "d", "do", "nt", "Ca", "n't", "10", "am"],
            ),
            (
                "foo(): a:) 50% 6oz 10km/h x):b",
                &[
                    "foo", "(", "):", "a", ":)", "50", "%", "6", "oz", "10", "km/h", "x):b",
                ],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&words(text), want, "{text:?}");
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let mut a = Analysis::default();
        a.run("héllo wörld");
        assert_eq!(a.chars, 11);
        assert_eq!(a.words.iter().map(|w| w.chars).collect::<Vec<_>>(), [5, 5]);
    }

    #[test]
    fn splitlines_is_pythons() {
        let lines: Vec<&str> = splitlines("a\r\nb\rc\n\nd\u{2028}e\n").collect();
        assert_eq!(lines, ["a", "b", "c", "", "d", "e"]);
        assert_eq!(splitlines("").count(), 0);
        // Every character that shares a lead byte with a break, around breaks.
        let text = "é\u{85}€\u{2027}\u{2029}x\u{80}\r\r\n\u{1c}\u{1f}\u{2028}\u{202f}—\x0b\x0c\u{1e}\u{1d}é";
        assert_eq!(splitlines(text).collect::<Vec<_>>(), lines_by_char(text));
        assert_eq!(lines_by_char(text).len(), 11);
        // Random texts of those characters, so breaks fall at every offset of
        // the eight-byte scan.
        let pieces = [
            "a",
            "bc",
            " ",
            "\t",
            "é",
            "\u{85}",
            "€",
            "\u{2027}",
            "\u{2028}",
            "\u{2029}",
            "\r",
            "\n",
            "\r\n",
            "\u{1c}",
            "\u{1f}",
            "’",
            "\x0b",
            "\x0c",
            "\u{1e}",
            "xyzxyzxyz",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for k in 0..(state % 24) {
                text.push_str(
                    pieces[((state >> (k % 50)) as usize + k as usize * 7) % pieces.len()],
                );
            }
            assert_eq!(
                splitlines(&text).collect::<Vec<_>>(),
                lines_by_char(&text),
                "{text:?}"
            );
        }
    }

    /// `str.splitlines()` one character at a time.
    fn lines_by_char(text: &str) -> Vec<&str> {
        let mut lines = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.char_indices().find(|&(_, c)| is_line_break(c)) {
                None => {
                    lines.push(rest);
                    rest = "";
                }
                Some((i, c)) => {
                    lines.push(&rest[..i]);
                    let crlf = c == '\r' && rest[i + 1..].starts_with('\n');
                    rest = &rest[i + c.len_utf8() + usize::from(crlf)..];
                }
            }
        }
        lines
    }

    #[test]
    fn newline_runs_split_like_re_split() {
        let v: Vec<&str> = split_newline_runs("\na\n\nb\nc\n", 1).collect();
        assert_eq!(v, ["", "a", "b", "c", ""]);
        let v: Vec<&str> = split_newline_runs("a\n\n\nb\nc", 2).collect();
        assert_eq!(v, ["a", "b\nc"]);
        assert_eq!(split_newline_runs("", 2).collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn newline_duplicates_match_split_newline_runs() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 20) as usize % below
        };
        let mut a = Analysis::default();
        for round in 0..3000 {
            let len = next(if round % 10 == 0 { 400 } else { 30 });
            let t: String = (0..len)
                .map(|_| ["a", "b", "\n", "\n", "\r", "é", " ", "ab"][next(8)])
                .collect();
            for min in 0..4 {
                // datatrove's find_duplicates over re.split's pieces.
                let mut unique = std::collections::HashSet::new();
                let (mut n, mut dup, mut dup_chars) = (0, 0, 0);
                for p in split_newline_runs(&t, min) {
                    n += 1;
                    if !unique.insert(p) {
                        dup += 1;
                        dup_chars += p.chars().count();
                    }
                }
                let want = (n, dup, dup_chars);
                assert_eq!(a.newline_duplicates(&t, min), want, "{min} {t:?}");
                assert_eq!(
                    a.duplicates(split_newline_runs(&t, min)),
                    want,
                    "{min} {t:?}"
                );
            }
        }
    }

    #[test]
    fn duplicates_count_repeats_after_the_first() {
        let mut a = Analysis::default();
        assert_eq!(a.duplicates(["ab", "c", "ab", "ab"].into_iter()), (4, 2, 4));
    }
}

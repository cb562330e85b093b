//! Word n-gram statistics for Gopher's repetition rules, exactly as datatrove
//! 0.10.1 computes them (`find_top_duplicate` over `get_n_grams`, and
//! `find_all_duplicate`), over the words of a [`text::Analysis`](super::text).
//!
//! [`Ngrams::index`] gives every word a dense id (words compared byte for byte)
//! and counts each word's occurrences; all later work is on ids. The answers are
//! exact; the speed comes from skipping work that cannot change them:
//! - An n-gram occurs at most as often as its rarest word, so
//!   [`Ngrams::top_ngram_exceeds`] counts only the n-grams whose bound could
//!   exceed the threshold, and counts more only when a bounded n-gram could
//!   still outrank the best counted one.
//! - A repeated n-gram holds no word seen once, and a repeated `(n+1)`-gram
//!   starts with a repeated n-gram followed by one, so
//!   [`Ngrams::duplicated_ngram_chars`] hashes the windows of the smallest
//!   size asked for once (a two-bit-per-bucket sieve drops most windows seen
//!   once before the exact table), then refines only the repeated ones, one
//!   word at a time, for the larger sizes.
//!
//! Buffers are kept across documents (large ones are dropped after a much
//! smaller document follows), so analysing a document allocates nothing once
//! the buffers have grown. This module must not know about stages or configs.

use super::text::Span;

/// No class: the n-gram at this position occurs once.
const NONE: u32 = u32::MAX;

/// Buffers this many times larger than a document needs are dropped, so one
/// huge document does not pin its memory for the rest of the batch.
const SHRINK_FACTOR: usize = 4;

/// Buffers below this many elements are never dropped.
const SHRINK_FLOOR: usize = 1 << 16;

/// Word n-gram statistics of one document, with buffers reused across documents.
#[derive(Default)]
pub struct Ngrams {
    /// Word id per position; ids are dense, in order of first occurrence.
    ids: Vec<u32>,
    /// Occurrences in the document of the word at each position.
    word_count: Vec<u32>,
    /// `cum[i]`: characters of the words before position `i`.
    cum: Vec<u32>,
    /// Byte span of each id's first occurrence, to compare words exactly.
    vocab_span: Vec<(u32, u32)>,
    /// Occurrences of each id.
    vocab_count: Vec<u32>,
    vocab: Slots,
    /// Exact n-gram counts for the top n-gram rule.
    top: Classes,
    /// Positions to count for the top n-gram rule.
    positions: Vec<u32>,
    /// N-gram size of `class` and `repeated`; `0` when not computed yet.
    level: usize,
    /// Class (a slot of `classes`) of the `level`-gram at each position that
    /// starts a repeated one, else [`NONE`].
    class: Vec<u32>,
    /// The positions with a class, ascending.
    repeated: Vec<u32>,
    classes: Classes,
    /// Window hashes of `repeated`'s candidates while a level is built.
    hashes: Vec<u32>,
    /// Sieve for windows: bucket seen once, bucket seen twice or more.
    once: Vec<u64>,
    twice: Vec<u64>,
    /// Per class: already in datatrove's `unique` set.
    seen: Vec<bool>,
}

/// Exact counts of n-grams: a table from n-gram to slot, and per slot its first
/// position (or its key, when refining) and count.
#[derive(Default)]
struct Classes {
    table: Slots,
    first: Vec<u32>,
    key: Vec<u64>,
    count: Vec<u32>,
}

impl Classes {
    fn reset(&mut self, expected: usize) {
        self.table.reset(expected);
        fit(&mut self.first, expected);
        fit(&mut self.key, expected);
        fit(&mut self.count, expected);
    }
}

impl Ngrams {
    /// Indexes the `words` of `text` for the other methods.
    pub fn index(&mut self, text: &str, words: &[Span]) {
        let len = words.len();
        let bytes = text.as_bytes();
        self.level = 0;
        fit(&mut self.ids, len);
        fit(&mut self.cum, len + 1);
        fit(&mut self.word_count, len);
        // Vocabularies grow much slower than texts; the table grows as needed.
        let expected = len.min(1 << 12);
        self.vocab.reset(expected);
        fit(&mut self.vocab_span, expected);
        fit(&mut self.vocab_count, expected);
        let mut total = 0u32;
        self.cum.push(0);
        for w in words {
            let word = &bytes[w.start as usize..w.end as usize];
            let spans = &self.vocab_span;
            let (id, new) = self.vocab.find_or_insert(hash_word(word), |id| {
                let (s, e) = spans[id as usize];
                &bytes[s as usize..e as usize] == word
            });
            if new {
                self.vocab_span.push((w.start, w.end));
                self.vocab_count.push(0);
            }
            self.vocab_count[id as usize] += 1;
            self.ids.push(id);
            total += w.chars;
            self.cum.push(total);
        }
        let counts = &self.vocab_count;
        self.word_count
            .extend(self.ids.iter().map(|&id| counts[id as usize]));
    }

    /// Words indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no words were indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Characters of the most frequent word `n`-gram, joined with single spaces,
    /// times its count (ties go to the first seen, as `Counter.most_common(1)`);
    /// `None` when there are fewer than `n` words.
    pub fn top_ngram_chars(&mut self, n: usize) -> Option<u64> {
        let grams = self.grams(n)?;
        self.positions.clear();
        self.positions.extend(0..grams as u32);
        Some(self.count_top(n).1)
    }

    /// Whether [`Ngrams::top_ngram_chars`] is more than `max_chars`; `false`
    /// when there are fewer than `n` words.
    pub fn top_ngram_exceeds(&mut self, n: usize, max_chars: u64) -> bool {
        let Some(grams) = self.grams(n) else {
            return false;
        };
        // An n-gram's value is at most its rarest word's count times its
        // length, the same at every occurrence. Only n-grams whose bound
        // exceeds `max_chars` (candidates) can exceed it themselves.
        self.positions.clear();
        let mut other = 0; // highest bound count among the other n-grams
        let sep = n as u64 - 1;
        for i in 0..grams {
            let rarest = self.rarest(i, n);
            if u64::from(rarest) * (self.chars(i, n) + sep) > max_chars {
                self.positions.push(i as u32);
            } else {
                other = other.max(rarest);
            }
        }
        if self.positions.is_empty() {
            return false;
        }
        // If the best candidate is within the limit, so is the true top: it is
        // either that candidate or not a candidate.
        let (count, value) = self.count_top(n);
        if value <= max_chars {
            return false;
        }
        if other < count {
            return true;
        }
        // Another n-gram may occur as often; every n-gram occurring at least
        // `count` times has a rarest word that frequent, so count all of those.
        self.positions.clear();
        for i in 0..grams {
            if self.rarest(i, n) >= count {
                self.positions.push(i as u32);
            }
        }
        self.count_top(n).1 > max_chars
    }

    /// Characters of repeated word `n`-grams, skipping past each repeat
    /// (datatrove's `find_all_duplicate`). N-grams are compared word by word;
    /// datatrove compares them joined without a separator, so it also counts
    /// `ab c` as a repeat of `a bc`, which is rare in real text.
    pub fn duplicated_ngram_chars(&mut self, n: usize) -> u64 {
        if self.grams(n).is_none() {
            return 0;
        }
        if self.level == 0 || n < self.level {
            self.build_level(n);
        }
        while self.level < n {
            self.refine_level();
        }
        // Positions without a class hold n-grams seen once: never repeats, and
        // adding them to `unique` changes nothing.
        self.seen.clear();
        self.seen.resize(self.classes.count.len(), false);
        let (mut repeated, mut next) = (0, 0);
        for &p in &self.repeated {
            if p < next {
                continue;
            }
            let seen = &mut self.seen[self.class[p as usize] as usize];
            if *seen {
                repeated += self.chars(p as usize, n);
                next = p + n as u32;
            } else {
                *seen = true;
                next = p + 1;
            }
        }
        repeated
    }

    /// Number of `n`-grams, `None` when there are none.
    fn grams(&self, n: usize) -> Option<usize> {
        (n > 0 && self.ids.len() >= n).then(|| self.ids.len() + 1 - n)
    }

    fn chars(&self, i: usize, n: usize) -> u64 {
        u64::from(self.cum[i + n] - self.cum[i])
    }

    /// Occurrences of the rarest word of the `n`-gram at `i`.
    #[inline]
    fn rarest(&self, i: usize, n: usize) -> u32 {
        self.word_count[i..i + n].iter().copied().min().unwrap_or(0)
    }

    /// Counts the `n`-grams at `positions`: the count and value of the most
    /// frequent (first seen among ties).
    fn count_top(&mut self, n: usize) -> (u32, u64) {
        let ids = &self.ids;
        let top = &mut self.top;
        top.reset(self.positions.len());
        let (mut best, mut first) = (0u32, 0u32);
        for &p in &self.positions {
            let window = &ids[p as usize..p as usize + n];
            let firsts = &top.first;
            let (slot, new) = top.table.find_or_insert(hash_ids(window), |s| {
                let f = firsts[s as usize] as usize;
                &ids[f..f + n] == window
            });
            if new {
                top.first.push(p);
                top.count.push(0);
            }
            let count = &mut top.count[slot as usize];
            *count += 1;
            let f = top.first[slot as usize];
            if *count > best || (*count == best && f < first) {
                (best, first) = (*count, f);
            }
        }
        let value = u64::from(best) * (self.chars(first as usize, n) + n as u64 - 1);
        (best, value)
    }

    /// Classes of the repeated `n`-grams, hashing every window that holds no
    /// word seen once.
    fn build_level(&mut self, n: usize) {
        let grams = self.ids.len() + 1 - n;
        fit(&mut self.class, grams);
        self.class.resize(grams, NONE);
        fit(&mut self.repeated, grams);
        fit(&mut self.hashes, grams);
        // The last position at or before the window's end holding a word seen once.
        let mut single = None;
        for (i, &c) in self.word_count[..n - 1].iter().enumerate() {
            if c == 1 {
                single = Some(i);
            }
        }
        for i in 0..grams {
            if self.word_count[i + n - 1] == 1 {
                single = Some(i + n - 1);
            }
            if single.is_none_or(|s| s < i) {
                self.repeated.push(i as u32);
                self.hashes.push(hash_ids(&self.ids[i..i + n]));
            }
        }
        self.sieve();
        let ids = &self.ids;
        let classes = &mut self.classes;
        classes.reset(self.repeated.len());
        for (&p, &h) in self.repeated.iter().zip(&self.hashes) {
            let window = &ids[p as usize..p as usize + n];
            let firsts = &classes.first;
            let (slot, new) = classes.table.find_or_insert(h, |s| {
                let f = firsts[s as usize] as usize;
                &ids[f..f + n] == window
            });
            if new {
                classes.first.push(p);
                classes.count.push(0);
            }
            classes.count[slot as usize] += 1;
            self.class[p as usize] = slot;
        }
        self.level = n;
        self.keep_repeated();
    }

    /// Drops from `repeated` (with `hashes`) the windows whose hash bucket was
    /// hit once: their n-gram occurs once. Cheaper than the exact table, which
    /// then holds only the few windows left.
    fn sieve(&mut self) {
        let buckets = (self.hashes.len() * 8).next_power_of_two().max(64);
        let mask = buckets as u32 - 1;
        for bits in [&mut self.once, &mut self.twice] {
            fit(bits, buckets / 64);
            bits.resize(buckets / 64, 0);
        }
        for &h in &self.hashes {
            let b = (h & mask) as usize;
            let bit = 1u64 << (b % 64);
            if self.once[b / 64] & bit != 0 {
                self.twice[b / 64] |= bit;
            } else {
                self.once[b / 64] |= bit;
            }
        }
        let mut kept = 0;
        for i in 0..self.hashes.len() {
            let h = self.hashes[i];
            let b = (h & mask) as usize;
            if self.twice[b / 64] & (1u64 << (b % 64)) != 0 {
                self.repeated[kept] = self.repeated[i];
                self.hashes[kept] = h;
                kept += 1;
            }
        }
        self.repeated.truncate(kept);
        self.hashes.truncate(kept);
    }

    /// Classes of the repeated `(level+1)`-grams from those of the `level`-grams:
    /// such an n-gram is a repeated `level`-gram followed by one.
    fn refine_level(&mut self) {
        let k = self.level;
        let grams = self.class.len() - 1;
        let classes = &mut self.classes;
        classes.reset(self.repeated.len());
        for &p in &self.repeated {
            let p = p as usize;
            // `class[p + 1]` still holds its `level` class: positions go up.
            if p == grams || self.class[p + 1] == NONE {
                self.class[p] = NONE;
                continue;
            }
            let key = u64::from(self.class[p]) << 32 | u64::from(self.ids[p + k]);
            let keys = &classes.key;
            let (slot, new) = classes
                .table
                .find_or_insert(hash_u64(key), |s| keys[s as usize] == key);
            if new {
                classes.key.push(key);
                classes.count.push(0);
            }
            classes.count[slot as usize] += 1;
            self.class[p] = slot;
        }
        self.level = k + 1;
        self.keep_repeated();
        self.class.truncate(grams);
    }

    /// Keeps in `repeated` the positions whose class occurs twice or more.
    fn keep_repeated(&mut self) {
        let mut kept = 0;
        for i in 0..self.repeated.len() {
            let p = self.repeated[i] as usize;
            let c = self.class[p];
            if c != NONE && self.classes.count[c as usize] >= 2 {
                self.repeated[kept] = p as u32;
                kept += 1;
            } else {
                self.class[p] = NONE;
            }
        }
        self.repeated.truncate(kept);
    }
}

/// Open-addressing table from 32-bit hashes to dense slot numbers `0..len`;
/// the caller keeps the keys and decides equality.
#[derive(Default)]
struct Slots {
    /// `hash | (slot + 1) << 32`; `0` is empty.
    entries: Vec<u64>,
    /// The previous entries while growing, kept for reuse.
    spare: Vec<u64>,
    len: usize,
}

impl Slots {
    /// Empties the table, with room for `expected` slots before it grows.
    fn reset(&mut self, expected: usize) {
        let cap = (expected * 2).next_power_of_two().max(16);
        fit(&mut self.entries, cap);
        self.entries.resize(cap, 0);
        self.len = 0;
    }

    /// The slot of the key with hash `h` for which `eq` holds, else a new slot
    /// (and `true`).
    #[inline]
    fn find_or_insert(&mut self, h: u32, mut eq: impl FnMut(u32) -> bool) -> (u32, bool) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let e = self.entries[i];
            if e == 0 {
                let slot = self.len as u32;
                self.entries[i] = u64::from(h) | (u64::from(slot) + 1) << 32;
                self.len += 1;
                return (slot, true);
            }
            if e as u32 == h {
                let slot = (e >> 32) as u32 - 1;
                if eq(slot) {
                    return (slot, false);
                }
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let cap = self.entries.len() * 2;
        self.spare.clear();
        self.spare.resize(cap, 0);
        let mask = cap - 1;
        for &e in &self.entries {
            if e != 0 {
                let mut i = e as u32 as usize & mask;
                while self.spare[i] != 0 {
                    i = (i + 1) & mask;
                }
                self.spare[i] = e;
            }
        }
        std::mem::swap(&mut self.entries, &mut self.spare);
    }
}

/// Empties `v`, dropping it first when it is far larger than `n` elements need.
fn fit<T>(v: &mut Vec<T>, n: usize) {
    if v.capacity() > SHRINK_FACTOR * n.max(SHRINK_FLOOR) {
        *v = Vec::new();
    }
    v.clear();
}

/// Hash of a word's bytes, fast for the short inputs words are.
#[inline]
fn hash_word(b: &[u8]) -> u32 {
    let n = b.len();
    let read4 = |i: usize| u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    let read8 = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(a)
    };
    // Below 8 bytes the (overlapping) reads cover every byte, so equal values
    // mean equal words of that length.
    let v = if n >= 8 {
        let mut h = read8(n - 8);
        let mut i = 0;
        while i + 8 < n {
            h = (h ^ read8(i))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(31);
            i += 8;
        }
        h
    } else if n >= 4 {
        read4(0) << 32 | read4(n - 4)
    } else if n > 0 {
        u64::from(b[0]) << 16 | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1])
    } else {
        0
    };
    hash_u64(v ^ (n as u64).rotate_right(8))
}

/// Hash of a run of word ids.
#[inline]
fn hash_ids(ids: &[u32]) -> u32 {
    // Multiplying each id by its own odd constant keeps the products
    // independent, so a window hashes without a serial chain.
    const K: [u64; 8] = [
        0x9e37_79b9_7f4a_7c15,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0xd6e8_feb8_6659_fd93,
        0xa076_1d64_78bd_642f,
        0xe703_7ed1_a0b4_28db,
        0x8ebc_6af0_9c88_c6e3,
        0x5899_65cc_7537_4cc3,
    ];
    let mut h = ids.len() as u64;
    for (j, &id) in ids.iter().enumerate() {
        h = h.wrapping_add((u64::from(id) + 1).wrapping_mul(K[j % 8]));
        if j % 8 == 7 {
            h = h.rotate_left(29);
        }
    }
    hash_u64(h)
}

/// A 32-bit hash of a 64-bit value (a murmur3-style finalizer).
#[inline]
fn hash_u64(v: u64) -> u32 {
    let mut h = v.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 32;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    (h >> 32) as u32
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    /// `words` joined with spaces, indexed.
    fn indexed(words: &[&str]) -> Ngrams {
        let text = words.join(" ");
        let mut spans = Vec::new();
        let mut start = 0;
        for w in words {
            let end = start + w.len();
            spans.push(Span {
                start: start as u32,
                end: end as u32,
                chars: w.chars().count() as u32,
            });
            start = end + 1;
        }
        let mut g = Ngrams::default();
        g.index(&text, &spans);
        g
    }

    /// datatrove's `find_top_duplicate(get_n_grams(words, n))`, `None` when
    /// there are no n-grams.
    fn reference_top(words: &[&str], n: usize) -> Option<u64> {
        if n == 0 || words.len() < n {
            return None;
        }
        let mut order: Vec<String> = Vec::new();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for g in words.windows(n) {
            let g = g.join(" ");
            let c = counts.entry(g.clone()).or_insert(0);
            if *c == 0 {
                order.push(g);
            }
            *c += 1;
        }
        // Counter.most_common(1): the first inserted among the most frequent.
        let mut best: Option<&String> = None;
        for g in &order {
            if best.is_none_or(|b| counts[g] > counts[b]) {
                best = Some(g);
            }
        }
        best.map(|g| g.chars().count() as u64 * counts[g])
    }

    /// datatrove's `find_all_duplicate`, comparing n-grams word by word.
    fn reference_dup(words: &[&str], n: usize) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut unique: HashSet<&[&str]> = HashSet::new();
        let (mut repeated, mut i) = (0, 0);
        while i + n <= words.len() {
            let g = &words[i..i + n];
            if unique.contains(g) {
                repeated += g.iter().map(|w| w.chars().count() as u64).sum::<u64>();
                i += n;
            } else {
                unique.insert(g);
                i += 1;
            }
        }
        repeated
    }

    /// Checks every statistic for n = 1..=10 against the references, sizes in
    /// `order` so levels are both built and refined.
    fn check(words: &[&str], order: &[usize]) {
        let mut g = indexed(words);
        for &n in order {
            let want = reference_top(words, n);
            assert_eq!(g.top_ngram_chars(n), want, "top {n} of {words:?}");
            let v = want.unwrap_or(0);
            for max in [0, v / 2, v.saturating_sub(1), v, v + 1, 3 * v] {
                assert_eq!(
                    g.top_ngram_exceeds(n, max),
                    want.is_some_and(|v| v > max),
                    "top {n} over {max} of {words:?}"
                );
            }
        }
        for &n in order {
            let want = reference_dup(words, n);
            assert_eq!(g.duplicated_ngram_chars(n), want, "dup {n} of {words:?}");
        }
    }

    const ASCENDING: [usize; 11] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const MIXED: [usize; 11] = [5, 6, 7, 8, 9, 10, 3, 4, 1, 10, 2];

    #[test]
    fn top_ngram_ties_go_to_the_first_seen() {
        // "aa b" and "b c" both occur twice; Counter.most_common picks "aa b".
        let mut g = indexed(&["aa", "b", "c", "aa", "b", "c"]);
        assert_eq!(g.top_ngram_chars(2), Some(2 * 4));
        assert_eq!(g.top_ngram_chars(7), None);
        assert!(g.top_ngram_exceeds(2, 7));
        assert!(!g.top_ngram_exceeds(2, 8));
        assert!(!g.top_ngram_exceeds(7, 0));
    }

    #[test]
    fn top_ngram_counts_a_tying_bounded_ngram() {
        // "a b" (value 6, bound 2 * 3) is within 10 and ties the long candidate,
        // which exceeds 10; being first, "a b" is the top, so nothing exceeds.
        let words = [
            "a", "b", "long-one", "long-two", "a", "b", "long-one", "long-two",
        ];
        let mut g = indexed(&words);
        assert!(!g.top_ngram_exceeds(2, 10));
        assert_eq!(g.top_ngram_chars(2), Some(6));
        // With the long n-gram first, it is the top.
        let mut g = indexed(
            &words[2..]
                .iter()
                .chain(&words[..2])
                .copied()
                .collect::<Vec<_>>(),
        );
        assert!(g.top_ngram_exceeds(2, 10));
        // A bounded n-gram that occurs less often cannot be the top.
        let mut g = indexed(&[
            "a", "b", "x", "a", "long-one", "long-two", "long-one", "long-two",
        ]);
        assert!(g.top_ngram_exceeds(2, 10));
    }

    #[test]
    fn duplicated_ngrams_skip_past_each_repeat() {
        // "xy" seen at 0, "yx" at 1, "xy" repeats at 2 (+2 chars, skip to 4), "xy" at 4 (+2).
        let mut g = indexed(&["x", "y", "x", "y", "x", "y"]);
        assert_eq!(g.duplicated_ngram_chars(2), 4);
    }

    #[test]
    fn words_are_compared_exactly() {
        let mut g = indexed(&["naïve", "naive", "naïve", "naïve!", "Naïve", "naïve"]);
        assert_eq!(g.top_ngram_chars(1), Some(3 * 5));
    }

    #[test]
    fn short_documents_have_no_ngrams() {
        for words in [&[][..], &["a"], &["a", "b"]] {
            check(words, &ASCENDING);
        }
    }

    #[test]
    fn pathological_repetition_matches_the_reference() {
        let a = vec!["a"; 301];
        let ab: Vec<&str> = (0..301).map(|i| ["a", "bb"][i % 2]).collect();
        let abc: Vec<&str> = (0..300).map(|i| ["a", "b", "a", "c"][i % 4]).collect();
        for words in [&a, &ab, &abc] {
            check(words, &ASCENDING);
            check(words, &MIXED);
        }
    }

    #[test]
    fn random_documents_match_the_reference() {
        const WORDS: [&str; 12] = [
            "a",
            "b",
            "cc",
            "dd",
            "the",
            "of",
            "é",
            "ünï",
            "x-y",
            "long-word",
            "z",
            "1",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        let mut g = Ngrams::default();
        for round in 0..600 {
            let vocab = 1 + next(WORDS.len());
            let len = next(if round % 50 == 0 { 3000 } else { 80 });
            let words: Vec<&str> = (0..len).map(|_| WORDS[next(vocab)]).collect();
            check(&words, if round % 2 == 0 { &ASCENDING } else { &MIXED });
            // Reusing one index across documents of every size.
            let text = words.join(" ");
            let spans: Vec<Span> = words
                .iter()
                .scan(0, |start, w| {
                    let s = *start;
                    *start += w.len() + 1;
                    Some(Span {
                        start: s as u32,
                        end: (s + w.len()) as u32,
                        chars: w.chars().count() as u32,
                    })
                })
                .collect();
            g.index(&text, &spans);
            let n = 1 + next(10);
            let max = next(200) as u64;
            let want = reference_top(&words, n).is_some_and(|v| v > max);
            assert_eq!(
                g.top_ngram_exceeds(n, max),
                want,
                "{n} over {max}: {words:?}"
            );
            assert_eq!(g.duplicated_ngram_chars(n), reference_dup(&words, n));
        }
    }
}

//! Word n-gram statistics for Gopher's repetition rules, exactly as datatrove
//! 0.10.1 computes them (`find_top_duplicate` over `get_n_grams`, and
//! `find_all_duplicate`), over the words of a [`text::Analysis`](super::text).
//!
//! [`Ngrams::index`] gives every word a dense id (words compared byte for byte)
//! and counts each word's occurrences; all later work is on ids. The answers are
//! exact; the speed comes from skipping work that cannot change them:
//! - An n-gram occurs at most as often as its rarest word, so
//!   [`Ngrams::first_top_ngram_over`] counts only the n-grams whose bound could
//!   exceed the threshold (found for sizes up to 4 in one pass), and counts
//!   more only when a bounded n-gram could still outrank the best counted one.
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

/// No class, or no first extension yet.
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
    /// Bits that hold any id.
    id_bits: u32,
    vocab: Vocab,
    /// Exact n-gram counts for the top n-gram rule.
    top: Classes,
    /// Positions to count for the top n-gram rule.
    positions: Vec<u32>,
    /// The top n-gram rules being checked, and candidates for sizes 1 to 4.
    rules: Vec<(usize, Option<u64>)>,
    short: [Vec<u32>; 4],
    /// N-gram size of `repeated` and `class`; `0` when not computed yet.
    level: usize,
    /// The positions that start a repeated `level`-gram, ascending, and the
    /// class (a slot of `classes`) of each: lists, not per-position arrays,
    /// as they hold a small part of the positions.
    repeated: Vec<u32>,
    class: Vec<u32>,
    classes: Classes,
    /// While refining, per class of the previous level: the word after its
    /// first occurrence and the class of that longer n-gram.
    first_ext: Vec<(u32, u32)>,
    /// The windows that may repeat while a level is built, then those the
    /// sieve keeps.
    buckets: Vec<u32>,
    /// Sieve bucket of each window in `buckets`.
    hashes: Vec<u32>,
    /// Two bits per sieve bucket: hit once, hit twice or more.
    sieve: Vec<u64>,
    /// Per class: already in datatrove's `unique` set.
    seen: Vec<bool>,
}

/// Words to dense ids.
#[derive(Default)]
struct Vocab {
    table: Slots,
    /// Per id, in one record: a lookup compares and counts in one place.
    words: Vec<Word>,
}

/// A vocabulary entry: the word's [`word_key`], its occurrences, and where its
/// first occurrence starts (to compare long words).
#[derive(Clone, Copy)]
struct Word {
    key: [u64; 2],
    count: u32,
    start: u32,
}

impl Vocab {
    fn reset(&mut self, expected: usize) {
        self.table.reset(expected);
        fit(&mut self.words, expected);
    }

    /// The id of the word at `text[start..end]`, counting this occurrence.
    #[inline]
    fn add(&mut self, text: &[u8], start: usize, end: usize) -> u32 {
        let (key, exact) = word_key(text, start, end);
        let words = &self.words;
        let next = words.len() as u32;
        let hash = fold(u128::from(key[0]) | u128::from(key[1]) << 64);
        let found = self.table.find_or_insert(hash, next, |id| {
            let w = &words[id as usize];
            let first = w.start as usize;
            w.key == key && (exact || text[first..first + end - start] == text[start..end])
        });
        match found {
            Some(id) => {
                self.words[id as usize].count += 1;
                id
            }
            None => {
                self.words.push(Word {
                    key,
                    count: 1,
                    start: start as u32,
                });
                next
            }
        }
    }
}

/// Exact counts of n-grams: a table from n-gram to slot, and per slot the
/// n-gram's key, first position and count. Keys are exact (the ids packed, or
/// a class and the next id) unless added with [`Classes::add_window`].
#[derive(Default)]
struct Classes {
    table: Slots,
    key: Vec<u128>,
    first: Vec<u32>,
    count: Vec<u32>,
}

impl Classes {
    fn reset(&mut self, expected: usize) {
        self.table.reset(expected);
        fit(&mut self.key, expected);
        fit(&mut self.first, expected);
        fit(&mut self.count, expected);
    }

    /// The slot of the n-gram with exact `key`, first seen at `p`, counting
    /// this occurrence.
    #[inline]
    fn add(&mut self, key: u128, p: usize) -> u32 {
        let keys = &self.key;
        let next = keys.len() as u32;
        match self
            .table
            .find_or_insert(fold(key), next, |s| keys[s as usize] == key)
        {
            Some(slot) => {
                self.count[slot as usize] += 1;
                slot
            }
            None => {
                self.key.push(key);
                self.first.push(p as u32);
                self.count.push(1);
                next
            }
        }
    }

    /// [`Classes::add`] for an `n`-gram whose ids do not fit a key: hashed,
    /// and compared id by id with the first occurrence.
    fn add_window(&mut self, ids: &[u32], p: usize, n: usize) -> u32 {
        let window = &ids[p..p + n];
        let first = &self.first;
        let next = first.len() as u32;
        let found = self.table.find_or_insert(window_hash(window), next, |s| {
            let f = first[s as usize] as usize;
            ids[f..f + n] == *window
        });
        match found {
            Some(slot) => {
                self.count[slot as usize] += 1;
                slot
            }
            None => {
                self.key.push(0);
                self.first.push(p as u32);
                self.count.push(1);
                next
            }
        }
    }

    /// The slot of `key` as [`Classes::add`] gives it, for refining, where
    /// the first position is not needed.
    fn push(&mut self, key: u128) -> u32 {
        self.key.push(key);
        self.first.push(0);
        self.count.push(1);
        self.key.len() as u32 - 1
    }
}

impl Ngrams {
    /// Indexes the `words` of `text` for the other methods.
    pub fn index(&mut self, text: &str, words: &[Span]) {
        let len = words.len();
        let bytes = text.as_bytes();
        self.level = 0;
        // Vocabularies grow about as the square root of the text; the table
        // grows when this guess is short.
        self.vocab.reset(len.min(32 * len.isqrt() + 64));
        fit(&mut self.ids, len);
        self.ids.resize(len, 0);
        fit(&mut self.cum, len + 1);
        self.cum.resize(len + 1, 0);
        let mut total = 0u32;
        let vocab = &mut self.vocab;
        for ((w, id), cum) in words.iter().zip(&mut self.ids).zip(&mut self.cum[1..]) {
            *id = vocab.add(bytes, w.start as usize, w.end as usize);
            total += w.chars;
            *cum = total;
        }
        self.id_bits = (u32::BITS - (self.vocab.words.len() as u32).leading_zeros()).max(1);
        fit(&mut self.word_count, len);
        let words = &self.vocab.words;
        self.word_count
            .extend(self.ids.iter().map(|&id| words[id as usize].count));
    }

    /// Characters of the most frequent word `n`-gram, joined with single spaces,
    /// times its count (ties go to the first seen, as `Counter.most_common(1)`);
    /// `None` when there are fewer than `n` words.
    #[cfg(test)]
    fn top_ngram_chars(&mut self, n: usize) -> Option<u64> {
        let grams = self.grams(n)?;
        self.positions.clear();
        self.positions.extend(0..grams as u32);
        Some(self.count_top(n).1)
    }

    /// Whether [`Ngrams::top_ngram_chars`] is more than `max_chars`; `false`
    /// when there are fewer than `n` words.
    #[cfg(test)]
    fn top_ngram_exceeds(&mut self, n: usize, max_chars: u64) -> bool {
        self.first_top_ngram_over([(n, Some(max_chars))]).is_some()
    }

    /// The first of `rules` `(n, max_chars)` whose most frequent word `n`-gram
    /// (its characters joined with single spaces, times its count; ties to the
    /// first seen) is more than `max_chars` (than any value when `None`),
    /// checked in order; a rule with fewer than `n` words passes.
    pub fn first_top_ngram_over(
        &mut self,
        rules: impl IntoIterator<Item = (usize, Option<u64>)>,
    ) -> Option<usize> {
        let mut all = std::mem::take(&mut self.rules);
        all.clear();
        all.extend(rules);
        // The first rule of each size up to 4 gets its candidates from one
        // shared pass; the others scan on their own.
        let mut owner = [None; 4];
        let mut limits = [u64::MAX; 4];
        for (i, &(n, max)) in all.iter().enumerate() {
            if let (1..=4, Some(max)) = (n, max)
                && owner[n - 1].is_none()
            {
                owner[n - 1] = Some(i);
                limits[n - 1] = max;
            }
        }
        if owner.iter().any(Option::is_some) {
            self.select_short(limits);
        }
        let mut over = None;
        for (i, &(n, max)) in all.iter().enumerate() {
            let exceeds = match max {
                _ if self.grams(n).is_none() => false,
                None => true,
                Some(max) => {
                    if n <= 4 && owner[n - 1] == Some(i) {
                        std::mem::swap(&mut self.positions, &mut self.short[n - 1]);
                    } else {
                        self.positions.clear();
                        self.select_any(n, max, 0);
                    }
                    self.candidates_exceed(n, max)
                }
            };
            if exceeds {
                over = Some(i);
                break;
            }
        }
        self.rules = all;
        over
    }

    /// Whether the top `n`-gram exceeds `max_chars`, given its candidates in
    /// `positions`: the n-grams whose bound (rarest word's count times length,
    /// the same at every occurrence) exceeds it. No other n-gram can.
    fn candidates_exceed(&mut self, n: usize, max_chars: u64) -> bool {
        if self.positions.is_empty() {
            return false;
        }
        // If the best candidate is within the limit, so is the true top: it is
        // either that candidate or not a candidate.
        let (count, value) = self.count_top(n);
        if value <= max_chars {
            return false;
        }
        // The best candidate is the top unless another n-gram occurs as often;
        // every n-gram occurring at least `count` times has a rarest word that
        // frequent, so counting those finds the top.
        self.positions.clear();
        let others = self.select_any(n, max_chars, count);
        !others || self.count_top(n).1 > max_chars
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
        for (&p, &class) in self.repeated.iter().zip(&self.class) {
            if p < next {
                continue;
            }
            let seen = &mut self.seen[class as usize];
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

    /// Puts in `short[k - 1]` the `k`-grams, for `k` up to 4, whose bound
    /// (rarest word's count times length) exceeds `limits[k - 1]`. One pass
    /// serves all four sizes: their rarest words and lengths build on each
    /// other, and candidates are rare, so one test covers the four.
    fn select_short(&mut self, limits: [u64; 4]) {
        let (counts, cum) = (&self.word_count[..], &self.cum[..]);
        let lists = &mut self.short;
        for list in lists.iter_mut() {
            fit(list, counts.len());
        }
        let len = counts.len();
        let full = len.saturating_sub(3);
        for i in 0..full {
            let (w, c) = (&counts[i..i + 4], &cum[i..i + 5]);
            let r2 = w[0].min(w[1]);
            let r3 = r2.min(w[2]);
            let r4 = r3.min(w[3]);
            let bound =
                |rarest: u32, k: usize| u64::from(rarest) * (u64::from(c[k] - c[0]) + k as u64 - 1);
            let over = [
                bound(w[0], 1) > limits[0],
                bound(r2, 2) > limits[1],
                bound(r3, 3) > limits[2],
                bound(r4, 4) > limits[3],
            ];
            if over.contains(&true) {
                for k in 0..4 {
                    if over[k] {
                        lists[k].push(i as u32);
                    }
                }
            }
        }
        for i in full..len {
            let mut rarest = u32::MAX;
            for k in 1..=len - i {
                rarest = rarest.min(counts[i + k - 1]);
                if u64::from(rarest) * (u64::from(cum[i + k] - cum[i]) + k as u64 - 1)
                    > limits[k - 1]
                {
                    lists[k - 1].push(i as u32);
                }
            }
        }
    }

    /// Adds to `positions` the `n`-grams whose rarest word occurs at least
    /// `min_count` times and, when `min_count` is `0`, whose bound exceeds
    /// `max_chars`. Whether any n-gram added is not a candidate.
    fn select_any(&mut self, n: usize, max_chars: u64, min_count: u32) -> bool {
        let sep = n as u64 - 1;
        let starts = self.cum.iter().zip(&self.cum[n..]);
        let mut others = false;
        for (i, (w, (a, b))) in self.word_count.windows(n).zip(starts).enumerate() {
            let rarest = w.iter().fold(u32::MAX, |m, &c| m.min(c));
            let candidate = u64::from(rarest) * (u64::from(b - a) + sep) > max_chars;
            if min_count == 0 && candidate || min_count > 0 && rarest >= min_count {
                self.positions.push(i as u32);
                others |= !candidate;
            }
        }
        others
    }

    /// Counts the `n`-grams at `positions`: the count and value of the most
    /// frequent (first seen among ties).
    fn count_top(&mut self, n: usize) -> (u32, u64) {
        self.top.reset(self.positions.len());
        let (mut best, mut first) = (0u32, 0u32);
        let lane = self.lane(n);
        for &p in &self.positions {
            let p = p as usize;
            let slot = if let Some(lane) = lane {
                self.top.add(pack(&self.ids[p..p + n], lane), p)
            } else {
                self.top.add_window(&self.ids, p, n)
            } as usize;
            let count = self.top.count[slot];
            if count > best || (count == best && self.top.first[slot] < first) {
                (best, first) = (count, self.top.first[slot]);
            }
        }
        let value = u64::from(best) * (self.chars(first as usize, n) + n as u64 - 1);
        (best, value)
    }

    /// Bits per id when `n`-grams pack into exact keys (see [`pack`]).
    fn lane(&self, n: usize) -> Option<u32> {
        [16, 21]
            .into_iter()
            .find(|&lane| self.id_bits <= lane && n as u32 * lane <= 128)
    }

    /// Classes of the repeated `n`-grams: the windows that hold no word seen
    /// once (the only ones that can repeat; in natural text a small part) go
    /// through the sieve, and those it keeps through the exact table.
    fn build_level(&mut self, n: usize) {
        let grams = self.ids.len() + 1 - n;
        fit_for(&mut self.buckets, grams);
        // One past the last position holding a word seen once.
        let mut after_single = 0;
        for (i, &c) in self.word_count[..n - 1].iter().enumerate() {
            if c == 1 {
                after_single = i + 1;
            }
        }
        for i in 0..grams {
            if self.word_count[i + n - 1] == 1 {
                after_single = i + n;
            }
            if after_single <= i {
                self.buckets.push(i as u32);
            }
        }
        // About 8 buckets per window: few windows seen once share a bucket.
        let windows = self.buckets.len();
        let mask = (windows * 8).next_power_of_two().max(64) - 1;
        fit(&mut self.sieve, mask / 32 + 1);
        self.sieve.resize(mask / 32 + 1, 0);
        fit_for(&mut self.hashes, windows);
        for &i in &self.buckets {
            let i = i as usize;
            let b = window_hash(&self.ids[i..i + n]) as usize & mask;
            let (w, s) = (b / 32, b % 32 * 2);
            let x = self.sieve[w];
            self.sieve[w] = x | 1 << s | (x >> s & 1) << (s + 1);
            self.hashes.push(b as u32);
        }
        // The windows whose bucket was hit twice.
        let mut kept = 0;
        for k in 0..windows {
            let b = self.hashes[k] as usize;
            self.buckets[kept] = self.buckets[k];
            kept += (self.sieve[b / 32] >> (b % 32 * 2 + 1) & 1) as usize;
        }
        self.buckets.truncate(kept);
        std::mem::swap(&mut self.repeated, &mut self.buckets);
        self.classes.reset(kept);
        fit_for(&mut self.class, kept);
        let lane = self.lane(n);
        for &p in &self.repeated {
            let p = p as usize;
            self.class.push(if let Some(lane) = lane {
                self.classes.add(pack(&self.ids[p..p + n], lane), p)
            } else {
                self.classes.add_window(&self.ids, p, n)
            });
        }
        self.level = n;
        self.keep_repeated();
    }

    /// Classes of the repeated `(level+1)`-grams from those of the `level`-grams:
    /// such an n-gram is a repeated `level`-gram followed by one. Most classes
    /// extend one way, so the first extension is kept per class and only the
    /// others go through the table.
    fn refine_level(&mut self) {
        let k = self.level;
        fit(&mut self.first_ext, self.classes.count.len());
        self.first_ext
            .resize(self.classes.count.len(), (NONE, NONE));
        let classes = &mut self.classes;
        classes.reset(self.repeated.len());
        for i in 0..self.repeated.len() {
            let p = self.repeated[i] as usize;
            if self.repeated.get(i + 1) != Some(&(p as u32 + 1)) {
                self.class[i] = NONE;
                continue;
            }
            let (c, w) = (self.class[i], self.ids[p + k]);
            let first = &mut self.first_ext[c as usize];
            self.class[i] = if first.0 == w {
                classes.count[first.1 as usize] += 1;
                first.1
            } else if first.0 == NONE {
                // The class and the next word are the n-gram, so keys are exact.
                *first = (w, classes.push(u128::from(c) << 32 | u128::from(w)));
                first.1
            } else {
                classes.add(u128::from(c) << 32 | u128::from(w), p)
            };
        }
        self.level = k + 1;
        self.keep_repeated();
    }

    /// Keeps in `repeated` (and `class`) the positions whose class occurs
    /// twice or more.
    fn keep_repeated(&mut self) {
        let mut kept = 0;
        for i in 0..self.repeated.len() {
            let c = self.class[i];
            if c != NONE && self.classes.count[c as usize] >= 2 {
                self.repeated[kept] = self.repeated[i];
                self.class[kept] = c;
                kept += 1;
            }
        }
        self.repeated.truncate(kept);
        self.class.truncate(kept);
    }
}

/// Open-addressing table from 32-bit hashes to values (dense ids the caller
/// hands out); the caller keeps the keys and decides equality. Entries are 8
/// bytes, so the tables of long documents stay in cache.
#[derive(Default)]
pub(super) struct Slots {
    /// `hash | (value + 1) << 32`; `0` is empty.
    entries: Vec<u64>,
    /// The previous entries while growing, kept for reuse.
    spare: Vec<u64>,
    len: usize,
}

impl Slots {
    /// Empties the table, with room for `expected` entries before it grows.
    pub(super) fn reset(&mut self, expected: usize) {
        let cap = (expected * 2).next_power_of_two().max(16);
        fit(&mut self.entries, cap);
        fit(&mut self.spare, cap);
        self.entries.resize(cap, 0);
        self.len = 0;
    }

    /// The value of the entry with `hash` for which `eq` holds, else `None`
    /// after adding `value` with that hash.
    #[inline]
    pub(super) fn find_or_insert(
        &mut self,
        hash: u32,
        value: u32,
        mut eq: impl FnMut(u32) -> bool,
    ) -> Option<u32> {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let e = self.entries[i];
            if e == 0 {
                self.entries[i] = u64::from(hash) | (u64::from(value) + 1) << 32;
                self.len += 1;
                return None;
            }
            if e as u32 == hash && eq((e >> 32) as u32 - 1) {
                return Some((e >> 32) as u32 - 1);
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

/// [`fit`] for a buffer that will hold up to `n` elements, with room for them:
/// growing by doubling while filling would copy into fresh pages each time.
fn fit_for<T>(v: &mut Vec<T>, n: usize) {
    fit(v, n);
    v.reserve(n);
}

/// The ids of a window packed into `lane` bits each, which must hold them all
/// and fit 128 bits: equal keys mean equal windows (of one size). A few fixed
/// lane widths make the shifts constant.
#[inline]
fn pack(ids: &[u32], lane: u32) -> u128 {
    fn with<const LANE: u32>(ids: &[u32]) -> u128 {
        ids.iter().fold(0, |k, &id| k << LANE | u128::from(id))
    }
    if lane == 16 {
        with::<16>(ids)
    } else {
        with::<21>(ids)
    }
}

/// A well-spread 32-bit hash of a 128-bit key, with one multiply.
#[inline]
fn fold(key: u128) -> u32 {
    let (lo, hi) = (key as u64, (key >> 64) as u64);
    ((lo ^ hi.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32
}

/// The key of the word at `text[start..end]`, and whether equal keys mean
/// equal words: words of 1 to 15 bytes are keyed by their bytes and length (in
/// the top byte), longer ones by a hash and their length (top byte `0xff`).
#[inline]
fn word_key(text: &[u8], start: usize, end: usize) -> ([u64; 2], bool) {
    let len = end - start;
    if len.wrapping_sub(1) >= 15 {
        return (
            [hash_long(&text[start..end]), 0xff << 56 | len as u64],
            false,
        );
    }
    let (lo, hi) = match text.get(start..start + 16) {
        Some(b) => (read8(&b[..8]), read8(&b[8..])),
        None => word_tail(&text[start..end]),
    };
    // Bytes past the word are masked off: 8 * len bits in all.
    let bits = 8 * len as u32;
    let lo = lo & u64::MAX >> (64 - bits.min(64));
    let hi = hi & ((1u64 << bits.saturating_sub(64)) - 1);
    ([lo, hi | (len as u64) << 56], true)
}

/// The 16 bytes from `b` on, for a word that ends less than 16 bytes before
/// the text does.
#[cold]
fn word_tail(b: &[u8]) -> (u64, u64) {
    let mut a = [0u8; 16];
    a[..b.len()].copy_from_slice(b);
    (read8(&a[..8]), read8(&a[8..]))
}

#[inline]
fn read8(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Hash of a word of any length.
fn hash_long(b: &[u8]) -> u64 {
    let mut h = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h = (h ^ read8(c))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31);
    }
    for &c in chunks.remainder() {
        h = (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Hash of a window of ids too long to pack: multilinear, so the products are
/// independent and the high 32 bits near-universal without a finalizer.
#[inline]
fn window_hash(ids: &[u32]) -> u32 {
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
    let mut h = 0x2d35_8dcc_aa6c_78a5_u64;
    for (j, &id) in ids.iter().enumerate() {
        h = h.wrapping_add(u64::from(id).wrapping_mul(K[j % 8] ^ (j / 8) as u64));
    }
    (h >> 32) as u32
}

/// A well-spread 32-bit hash of a 64-bit key (a murmur3-style finalizer).
#[inline]
pub(super) fn spread(key: u64) -> u32 {
    let mut h = key.wrapping_mul(0xff51_afd7_ed55_8ccd);
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
                shape: crate::stages::text::Shape::Unknown,
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
        // Several rules at once, in order, with repeated sizes and rules that
        // any value exceeds.
        let tops: Vec<Option<u64>> = order.iter().map(|&n| reference_top(words, n)).collect();
        for shift in 0..4 {
            let rules: Vec<(usize, Option<u64>)> = order
                .iter()
                .zip(&tops)
                .enumerate()
                .map(|(j, (&n, &top))| {
                    let v = top.unwrap_or(0);
                    let max = match (j + shift) % 5 {
                        0 => Some(v),
                        1 => Some(v.saturating_sub(1)),
                        2 => Some(v + 1),
                        3 => None,
                        _ => Some(2 * v),
                    };
                    (n, max)
                })
                .collect();
            let want = rules
                .iter()
                .zip(&tops)
                .position(|(&(_, max), &top)| top.is_some_and(|v| max.is_none_or(|max| v > max)));
            assert_eq!(
                g.first_top_ngram_over(rules.iter().copied()),
                want,
                "{rules:?} of {words:?}"
            );
        }
        // A later rule of a size checked before, the only one over.
        for n in 1..=4 {
            let Some(v) = reference_top(words, n).filter(|&v| v > 0) else {
                continue;
            };
            let other = 5 - n;
            let w = reference_top(words, other).unwrap_or(0);
            let rules = [(n, Some(v)), (other, Some(w)), (n, Some(v - 1))];
            assert_eq!(
                g.first_top_ngram_over(rules),
                Some(2),
                "{rules:?} of {words:?}"
            );
        }
        for &n in order {
            let want = reference_dup(words, n);
            assert_eq!(g.duplicated_ngram_chars(n), want, "dup {n} of {words:?}");
        }
    }

    const ASCENDING: [usize; 11] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const MIXED: [usize; 11] = [5, 6, 7, 8, 9, 10, 3, 4, 1, 10, 2];
    /// Sizes whose n-grams do not pack into keys with a vocabulary of 4 to 16
    /// words, so they are hashed and compared id by id.
    const LONG: [usize; 5] = [33, 34, 40, 5, 64];
    /// Sizes up to 4 twice, so rules of one size are checked separately.
    const TWICE: [usize; 7] = [2, 3, 2, 4, 1, 3, 4];

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
            check(words, &LONG);
            check(words, &TWICE);
        }
    }

    #[test]
    fn windows_differing_in_their_first_word_differ() {
        // "w c c ... c" for distinct w: equal but for the first word, which a
        // key too narrow for the window would drop.
        const W: [&str; 17] = [
            "a", "b", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        ];
        let mut words = Vec::new();
        for w in W.iter().chain(&W) {
            words.push(*w);
            words.extend(["c"; 40]);
        }
        check(&words, &LONG);
        check(&words, &[26, 30, 32, 33, 41, 12, 2]);
    }

    #[test]
    fn large_vocabularies_match_the_reference() {
        // Over 2^16 words, so ids take 17 bits and n-grams pack wider.
        let vocab: Vec<String> = (0..70_000).map(|i| format!("w{i}")).collect();
        let mut words: Vec<&str> = vocab.iter().map(String::as_str).collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Ids that differ only in bit 16, and neighbours: 16 bits per id
            // would mix them up.
            words.push(&vocab[[1000, 1001, 66_536, 66_537, 5, 69_999][state as usize % 6]]);
        }
        check(&words, &[5, 6, 2, 3, 4, 7, 8]);
    }

    #[test]
    fn hash_collisions_are_told_apart() {
        // Two different windows too long to pack (16 ids need 4 bits, 40 of
        // them 160) with the same 32-bit hash, found by a seeded search.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut seen: HashMap<u32, Vec<u32>> = HashMap::new();
        let (a, b) = loop {
            let w: Vec<u32> = (0..40)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 16) as u32
                })
                .collect();
            match seen.insert(window_hash(&w), w.clone()) {
                Some(other) if other != w => break (other, w),
                _ => {}
            }
        };
        const W: [&str; 16] = [
            "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
        ];
        // The ids are given in order of first occurrence, so name them through
        // a first window holding all 16 words.
        let mut words: Vec<&str> = W.to_vec();
        for w in [&a, &b, &a, &b, &b] {
            words.extend(w.iter().map(|&id| W[id as usize]));
        }
        let mut g = indexed(&words);
        assert_eq!(g.top_ngram_chars(40), reference_top(&words, 40));
        assert_eq!(g.duplicated_ngram_chars(40), reference_dup(&words, 40));
        check(&words, &LONG);
    }

    #[test]
    fn slots_tell_equal_hashes_apart() {
        let mut slots = Slots::default();
        slots.reset(4);
        let keys: Vec<u32> = (0..1000).map(|i| i * 7).collect();
        for round in 0..2 {
            for (i, &k) in keys.iter().enumerate() {
                // Every key has the same hash; a third of them another one.
                let hash = if k % 3 == 0 { 5 } else { 7 };
                let found = slots.find_or_insert(hash, i as u32, |v| keys[v as usize] == k);
                assert_eq!(found, (round == 1).then_some(i as u32), "{round} {k}");
            }
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
            check(&words, [&ASCENDING[..], &MIXED, &LONG, &TWICE][round % 4]);
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
                        shape: crate::stages::text::Shape::Unknown,
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

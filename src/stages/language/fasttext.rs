//! fastText 0.9.2 supervised models, for prediction only: reads a `.bin` or
//! `.ftz` file and scores a line as the C++ library (and so the Python
//! `fasttext` package) does, with the same `f32` arithmetic in the same order.
//!
//! Owns the file format (header, dictionary and its pruned n-gram index, dense
//! or product-quantized matrices), tokenization (`Dictionary::getLine`: words
//! split on ASCII whitespace and NUL only, never on other Unicode spaces;
//! character n-grams of `<word>`; the end-of-line word `</s>`), the hidden
//! vector (`Model::computeHidden`) and the output layer (`std_log`, the exact
//! sigmoid, hierarchical softmax or softmax). It must not know about
//! documents or batches, and never trains or downloads anything.

/// fastText's file magic number.
const MAGIC: i32 = 793_712_314;
/// The newest file version fastText 0.9.2 reads.
const VERSION: i32 = 12;
const MODEL_SUPERVISED: i32 = 3;
const LOSS_HS: i32 = 1;
const LOSS_SOFTMAX: i32 = 3;
/// The end-of-line word.
const EOS: &[u8] = b"</s>";
/// Tokens starting with this are labels, never input words.
pub const LABEL_PREFIX: &str = "__label__";
/// Centroids per product-quantizer sub-space (8-bit codes).
const KSUB: usize = 256;

/// A supervised fastText model.
pub struct Model {
    dict: Dictionary,
    input: Matrix,
    output: Output,
    dim: usize,
}

/// Buffers one caller reuses across lines (one per batch), so scoring a line
/// allocates nothing once they have grown.
#[derive(Default)]
pub struct Scratch {
    /// Input rows of the line.
    ids: Vec<i32>,
    /// Word hashes, for word n-grams.
    hashes: Vec<i32>,
    /// `<word>` of an out-of-vocabulary word.
    word: Vec<u8>,
    hidden: Vec<f32>,
}

impl Model {
    /// Reads a whole model file.
    pub fn read(bytes: &[u8]) -> Result<Self, String> {
        let mut f = Fields { bytes, at: 0 };
        if f.i32()? != MAGIC {
            return Err("no fastText magic number".into());
        }
        let version = f.i32()?;
        if version > VERSION {
            return Err(format!(
                "file version {version} is newer than fastText 0.9.2's ({VERSION})"
            ));
        }
        // Args::save: dim, ws, epoch, minCount, neg, wordNgrams, loss, model,
        // bucket, minn, maxn, lrUpdateRate, then t.
        let mut args = [0i32; 12];
        for a in &mut args {
            *a = f.i32()?;
        }
        f.take::<8>()?;
        let [
            dim,
            _,
            _,
            _,
            _,
            word_ngrams,
            loss,
            model,
            bucket,
            minn,
            mut maxn,
            _,
        ] = args;
        if model != MODEL_SUPERVISED {
            return Err(format!(
                "model type {model} is not supervised (3): only classifiers predict labels"
            ));
        }
        if loss != LOSS_HS && loss != LOSS_SOFTMAX {
            return Err(format!(
                "loss {loss} is not supported: language-ID models use hierarchical softmax (1) or softmax (3)"
            ));
        }
        if !(1..=1 << 16).contains(&dim) {
            return Err(format!("dimension {dim} is out of range"));
        }
        if version == 11 {
            // fastText: old supervised models have no character n-grams.
            maxn = 0;
        }
        let dim = dim as usize;
        let (dict, counts) = Dictionary::read(&mut f, word_ngrams, bucket, minn, maxn)?;
        let quant = f.bool()?;
        let input = Matrix::read(&mut f, quant)?;
        if input.cols() != dim {
            return Err(format!(
                "input matrix has {} columns, the model's dimension is {dim}",
                input.cols()
            ));
        }
        if input.rows() < dict.rows_needed {
            return Err(format!(
                "input matrix has {} rows, the dictionary needs {}",
                input.rows(),
                dict.rows_needed
            ));
        }
        let qout = f.bool()?;
        let matrix = Matrix::read(&mut f, quant && qout)?;
        let osz = dict.labels.len();
        if matrix.rows() != osz || matrix.cols() != dim {
            return Err(format!(
                "output matrix is {} x {}, expected {osz} x {dim}",
                matrix.rows(),
                matrix.cols()
            ));
        }
        if f.at != bytes.len() {
            return Err(format!(
                "{} bytes after the output matrix",
                bytes.len() - f.at
            ));
        }
        let tree = (loss == LOSS_HS).then(|| huffman(&counts));
        Ok(Self {
            dict,
            input,
            output: Output { matrix, osz, tree },
            dim,
        })
    }

    /// The labels in the model's order, as written in the file (with their
    /// prefix).
    pub fn labels(&self) -> &[String] {
        &self.dict.labels
    }

    /// The best `(probability, label)` pairs of one line, best first, in `top`
    /// (its length is k); fastText's `predict` with threshold 0. Newlines in
    /// `line` separate words like spaces (datatrove replaces them by spaces
    /// before the Python binding ends the line). Empty when the line has no
    /// input row at all, as in fastText.
    pub fn predict<'t>(
        &self,
        line: &str,
        scratch: &mut Scratch,
        top: &'t mut [(f32, usize)],
    ) -> &'t [(f32, usize)] {
        self.dict.line(line.as_bytes(), scratch);
        if scratch.ids.is_empty() {
            return &[];
        }
        self.hidden(scratch);
        self.output.predict(&scratch.hidden, top)
    }

    /// `Model::computeHidden`: the mean of the input rows, summed in order and
    /// multiplied by `real(1.0 / n)`.
    fn hidden(&self, scratch: &mut Scratch) {
        let hidden = &mut scratch.hidden;
        hidden.clear();
        hidden.resize(self.dim, 0.0);
        for &id in &scratch.ids {
            self.input.add_row(hidden, id as usize);
        }
        let inv = (1.0 / scratch.ids.len() as f64) as f32;
        for x in hidden.iter_mut() {
            *x *= inv;
        }
    }
}

/// Whether fastText's `readWord` ends a word at byte `b`.
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c | 0)
}

/// The words fastText reads from `line` followed by its end of line: words
/// split on ASCII whitespace and NUL, then `</s>`. A word `</s>` in the line
/// ends it there, as in `Dictionary::getLine`.
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = line;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let Some(start) = rest.iter().position(|&b| !is_separator(b)) else {
            done = true;
            return Some(EOS);
        };
        let word = &rest[start..];
        let end = word.iter().position(|&b| is_separator(b));
        let word = &word[..end.unwrap_or(word.len())];
        rest = &rest[start + word.len()..];
        done = word == EOS;
        Some(word)
    })
}

/// fastText's `hash`: FNV-1a over the bytes, each sign-extended first
/// (`uint32_t(int8_t(c))`).
fn hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(2_166_136_261u32, |h, &b| fnv(h, b))
}

fn fnv(h: u32, b: u8) -> u32 {
    (h ^ b as i8 as u32).wrapping_mul(16_777_619)
}

/// The dictionary: words and labels, their input rows, and how n-gram hashes
/// map to rows.
struct Dictionary {
    nwords: i32,
    word_ngrams: i32,
    bucket: i32,
    minn: i32,
    maxn: i32,
    /// Entry `i`'s word is `text[starts[i]..starts[i + 1]]`.
    text: Vec<u8>,
    starts: Vec<usize>,
    is_label: Vec<bool>,
    /// Entry `i`'s input rows (itself, then its n-grams) are
    /// `subwords[sub_starts[i]..sub_starts[i + 1]]`.
    subwords: Vec<i32>,
    sub_starts: Vec<usize>,
    /// Open addressing by word hash: entry ids, `u32::MAX` for empty.
    table: Vec<u32>,
    ngrams: Ngrams,
    /// Label names in order (label `l` is entry `nwords + l`).
    labels: Vec<String>,
    /// Rows of the input matrix the dictionary can refer to.
    rows_needed: usize,
}

/// `pruneidx`: which n-gram buckets have input rows.
enum Ngrams {
    /// `pruneidx_size < 0`: every bucket, row `nwords + bucket`.
    All,
    /// `pruneidx_size == 0`: none.
    None,
    /// Only the kept buckets, each at row `nwords + pruneidx[bucket]`.
    Pruned(IdMap),
}

impl Dictionary {
    /// Reads the dictionary; returns it and the label counts.
    fn read(
        f: &mut Fields,
        word_ngrams: i32,
        bucket: i32,
        minn: i32,
        maxn: i32,
    ) -> Result<(Self, Vec<i64>), String> {
        let size = f.i32()?;
        let nwords = f.i32()?;
        let nlabels = f.i32()?;
        f.i64()?; // ntokens
        let prune_size = f.i64()?;
        if size < 0 || !(0..=size).contains(&nwords) || nlabels != size - nwords {
            return Err(format!(
                "dictionary sizes are inconsistent ({size} entries, {nwords} words, {nlabels} labels)"
            ));
        }
        let size = size as usize;
        let mut text = Vec::new();
        let mut starts = Vec::with_capacity(size + 1);
        let mut is_label = Vec::with_capacity(size);
        let mut labels = Vec::with_capacity(nlabels as usize);
        let mut counts = Vec::with_capacity(nlabels as usize);
        starts.push(0);
        for i in 0..size {
            let word = f.word()?;
            let count = f.i64()?;
            let label = match f.take::<1>()? {
                [0] => false,
                [1] => true,
                [t] => return Err(format!("dictionary entry {i} has unknown type {t}")),
            };
            // fastText sorts words before labels; a model that does not is
            // not one it wrote.
            if label != (i >= nwords as usize) {
                return Err(format!("dictionary entry {i} is out of order"));
            }
            if label {
                labels.push(String::from_utf8_lossy(word).into_owned());
                counts.push(count);
            }
            text.extend_from_slice(word);
            starts.push(text.len());
            is_label.push(label);
        }
        if labels.is_empty() {
            return Err("the dictionary has no labels".into());
        }
        let ngrams = match prune_size {
            ..0 => Ngrams::All,
            0 => Ngrams::None,
            n => {
                let n = usize::try_from(n)
                    .ok()
                    .filter(|&n| n <= f.bytes.len() / 8)
                    .ok_or("truncated n-gram index")?;
                let mut map = IdMap::with_capacity(n);
                for _ in 0..n {
                    let (from, to) = (f.i32()?, f.i32()?);
                    if to < 0 {
                        return Err(format!("n-gram index maps {from} to {to}"));
                    }
                    map.insert(from, to);
                }
                Ngrams::Pruned(map)
            }
        };
        let ngram_rows = match &ngrams {
            Ngrams::All => bucket.max(0) as usize,
            Ngrams::None => 0,
            Ngrams::Pruned(map) => map.max_value().map_or(0, |m| m as usize + 1),
        };
        let rows_needed = nwords as usize + ngram_rows;
        if rows_needed > i32::MAX as usize {
            return Err(format!(
                "{rows_needed} input rows do not fit fastText's ids"
            ));
        }
        let mut dict = Self {
            nwords,
            word_ngrams,
            bucket,
            minn,
            maxn,
            text,
            starts,
            is_label,
            subwords: Vec::new(),
            sub_starts: Vec::with_capacity(size + 1),
            table: vec![u32::MAX; (2 * size).next_power_of_two()],
            ngrams,
            labels,
            rows_needed,
        };
        dict.index();
        Ok((dict, counts))
    }

    fn entry(&self, i: usize) -> &[u8] {
        &self.text[self.starts[i]..self.starts[i + 1]]
    }

    /// Fills the hash table and `initNgrams`' subwords.
    fn index(&mut self) {
        let mut subwords = std::mem::take(&mut self.subwords);
        let mut marked = Vec::new();
        self.sub_starts.push(0);
        for i in 0..self.is_label.len() {
            let word = self.entry(i);
            let slot = self.slot(word, hash(word));
            // A repeated word refers to its last entry, as in fastText.
            self.table[slot] = i as u32;
            subwords.push(i as i32);
            let word = self.entry(i);
            if word != EOS {
                marked.clear();
                marked.push(b'<');
                marked.extend_from_slice(word);
                marked.push(b'>');
                self.char_ngrams(&marked, &mut subwords);
            }
            self.sub_starts.push(subwords.len());
        }
        self.subwords = subwords;
    }

    /// The slot of `word` in the table, or the empty slot where it would go.
    fn slot(&self, word: &[u8], h: u32) -> usize {
        let mask = self.table.len() - 1;
        let mut slot = h as usize & mask;
        loop {
            match self.table[slot] {
                u32::MAX => return slot,
                id if self.entry(id as usize) == word => return slot,
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    fn find(&self, word: &[u8], h: u32) -> Option<usize> {
        match self.table[self.slot(word, h)] {
            u32::MAX => None,
            id => Some(id as usize),
        }
    }

    /// `getLine`: the input rows of `line` into `s.ids`.
    fn line(&self, line: &[u8], s: &mut Scratch) {
        s.ids.clear();
        s.hashes.clear();
        for token in words(line) {
            let h = hash(token);
            let id = self.find(token, h);
            let is_word = match id {
                Some(id) => !self.is_label[id],
                None => !token.starts_with(LABEL_PREFIX.as_bytes()),
            };
            if !is_word {
                continue;
            }
            match id {
                Some(id) => s.ids.extend_from_slice(
                    &self.subwords[self.sub_starts[id]..self.sub_starts[id + 1]],
                ),
                None if token != EOS => {
                    s.word.clear();
                    s.word.push(b'<');
                    s.word.extend_from_slice(token);
                    s.word.push(b'>');
                    self.char_ngrams(&s.word, &mut s.ids);
                }
                None => {}
            }
            s.hashes.push(h as i32);
        }
        self.word_ngrams(&s.hashes, &mut s.ids);
    }

    /// `computeSubwords`: the n-grams of `minn..=maxn` characters (UTF-8
    /// sequences) of `word` (already `<word>`), except `<` and `>` alone.
    fn char_ngrams(&self, word: &[u8], out: &mut Vec<i32>) {
        if self.bucket == 0 {
            return;
        }
        let continues = |b: u8| b & 0xc0 == 0x80;
        for i in 0..word.len() {
            if continues(word[i]) {
                continue;
            }
            let mut h = 2_166_136_261u32;
            let (mut j, mut n) = (i, 1);
            while j < word.len() && n <= self.maxn {
                h = fnv(h, word[j]);
                j += 1;
                while j < word.len() && continues(word[j]) {
                    h = fnv(h, word[j]);
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == word.len())) {
                    self.push_hash(out, (h % self.bucket as u32) as i32);
                }
                n += 1;
            }
        }
    }

    /// `addWordNgrams` (nothing for `wordNgrams` 1), with fastText's
    /// sign-extension of the signed word hashes.
    fn word_ngrams(&self, hashes: &[i32], out: &mut Vec<i32>) {
        if self.bucket == 0 || self.word_ngrams <= 1 {
            return;
        }
        let bucket = self.bucket as i64 as u64;
        let n = self.word_ngrams as usize;
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64;
            for &next in &hashes[(i + 1).min(hashes.len())..hashes.len().min(i + n)] {
                h = h.wrapping_mul(116_049_371).wrapping_add(next as i64 as u64);
                self.push_hash(out, (h % bucket) as i32);
            }
        }
    }

    /// `pushHash`: the row of n-gram bucket `id`, if it has one.
    fn push_hash(&self, out: &mut Vec<i32>, id: i32) {
        if id < 0 {
            return;
        }
        let row = match &self.ngrams {
            Ngrams::All => id,
            Ngrams::None => return,
            Ngrams::Pruned(map) => match map.get(id) {
                Some(row) => row,
                None => return,
            },
        };
        out.push(self.nwords + row);
    }
}

/// An `i32 -> i32` map by open addressing, for the pruned n-gram index.
struct IdMap {
    keys: Vec<i32>,
    values: Vec<i32>,
    shift: u32,
}

impl IdMap {
    const EMPTY: i32 = -1;

    fn with_capacity(n: usize) -> Self {
        let len = (2 * n).next_power_of_two().max(2);
        Self {
            keys: vec![Self::EMPTY; len],
            values: vec![0; len],
            shift: 64 - len.trailing_zeros(),
        }
    }

    fn slot(&self, key: i32) -> usize {
        let mask = self.keys.len() - 1;
        let mut slot =
            ((key as u32 as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize & mask;
        while self.keys[slot] != Self::EMPTY && self.keys[slot] != key {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// Keys are buckets (never negative, so never `EMPTY`); a repeated key
    /// keeps its last value, as `pruneidx_[first] = second` does.
    fn insert(&mut self, key: i32, value: i32) {
        if key < 0 {
            return;
        }
        let slot = self.slot(key);
        self.keys[slot] = key;
        self.values[slot] = value;
    }

    fn get(&self, key: i32) -> Option<i32> {
        let slot = self.slot(key);
        (self.keys[slot] == key).then(|| self.values[slot])
    }

    fn max_value(&self) -> Option<i32> {
        self.keys
            .iter()
            .zip(&self.values)
            .filter(|(k, _)| **k != Self::EMPTY)
            .map(|(_, v)| *v)
            .max()
    }
}

/// A dense or product-quantized matrix (`DenseMatrix`, `QuantMatrix`).
enum Matrix {
    Dense {
        rows: usize,
        cols: usize,
        data: Vec<f32>,
    },
    Quantized {
        rows: usize,
        cols: usize,
        codes: Vec<u8>,
        pq: ProductQuantizer,
        /// With `qnorm`: each row's norm code and the norms' quantizer.
        norms: Option<(Vec<u8>, ProductQuantizer)>,
    },
}

impl Matrix {
    fn read(f: &mut Fields, quantized: bool) -> Result<Self, String> {
        if !quantized {
            let (rows, cols) = (f.len()?, f.len()?);
            let n = rows
                .checked_mul(cols)
                .filter(|&n| n <= f.remaining() / 4)
                .ok_or("truncated matrix")?;
            let data = f.f32s(n)?;
            return Ok(Self::Dense { rows, cols, data });
        }
        let qnorm = f.bool()?;
        let (rows, cols) = (f.len()?, f.len()?);
        let codesize = usize::try_from(f.i32()?).map_err(|_| "negative code size")?;
        let codes = f.bytes(codesize)?.to_vec();
        let pq = ProductQuantizer::read(f)?;
        if pq.dim != cols || rows.checked_mul(pq.nsubq) != Some(codesize) {
            return Err(format!(
                "quantized {rows} x {cols} matrix has {codesize} codes for {} sub-quantizers of {} dimensions",
                pq.nsubq, pq.dim
            ));
        }
        let norms = if qnorm {
            let norm_codes = f.bytes(rows)?.to_vec();
            let npq = ProductQuantizer::read(f)?;
            if npq.dim != 1 {
                return Err(format!("norm quantizer has {} dimensions", npq.dim));
            }
            Some((norm_codes, npq))
        } else {
            None
        };
        Ok(Self::Quantized {
            rows,
            cols,
            codes,
            pq,
            norms,
        })
    }

    fn rows(&self) -> usize {
        match self {
            Self::Dense { rows, .. } | Self::Quantized { rows, .. } => *rows,
        }
    }

    fn cols(&self) -> usize {
        match self {
            Self::Dense { cols, .. } | Self::Quantized { cols, .. } => *cols,
        }
    }

    /// The norm of quantized row `i` (1 without `qnorm`).
    fn norm(norms: &Option<(Vec<u8>, ProductQuantizer)>, i: usize) -> f32 {
        norms
            .as_ref()
            .map_or(1.0, |(codes, npq)| npq.centroids(0, codes[i])[0])
    }

    /// `x += row i` (`addRowToVector`).
    fn add_row(&self, x: &mut [f32], i: usize) {
        match self {
            Self::Dense { cols, data, .. } => {
                for (x, w) in x.iter_mut().zip(&data[i * cols..(i + 1) * cols]) {
                    *x += w;
                }
            }
            Self::Quantized {
                codes, pq, norms, ..
            } => {
                let alpha = Self::norm(norms, i);
                let code = &codes[i * pq.nsubq..(i + 1) * pq.nsubq];
                for (m, &c) in code.iter().enumerate() {
                    let at = m * pq.dsub;
                    for (x, c) in x[at..].iter_mut().zip(pq.centroids(m, c)) {
                        *x += alpha * c;
                    }
                }
            }
        }
    }

    /// `row i · x` (`dotRow`).
    fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Self::Dense { cols, data, .. } => {
                let mut d = 0f32;
                for (w, x) in data[i * cols..(i + 1) * cols].iter().zip(x) {
                    d += w * x;
                }
                d
            }
            Self::Quantized {
                codes, pq, norms, ..
            } => {
                let alpha = Self::norm(norms, i);
                let code = &codes[i * pq.nsubq..(i + 1) * pq.nsubq];
                let mut d = 0f32;
                for (m, &c) in code.iter().enumerate() {
                    for (x, c) in x[m * pq.dsub..].iter().zip(pq.centroids(m, c)) {
                        d += x * c;
                    }
                }
                d * alpha
            }
        }
    }
}

/// fastText's `ProductQuantizer` with 8-bit codes: `nsubq` sub-spaces of
/// `dsub` dimensions, the last of `lastdsub`.
struct ProductQuantizer {
    dim: usize,
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

impl ProductQuantizer {
    fn read(f: &mut Fields) -> Result<Self, String> {
        let mut dims = [0usize; 4];
        for d in &mut dims {
            *d = usize::try_from(f.i32()?).map_err(|_| "negative quantizer size")?;
        }
        let [dim, nsubq, dsub, lastdsub] = dims;
        if nsubq == 0 || dsub == 0 || lastdsub == 0 || (nsubq - 1) * dsub + lastdsub != dim {
            return Err(format!(
                "product quantizer of {dim} dimensions has {nsubq} sub-spaces of {dsub} (last {lastdsub})"
            ));
        }
        let centroids = f.f32s(dim.checked_mul(KSUB).ok_or("quantizer too large")?)?;
        Ok(Self {
            dim,
            nsubq,
            dsub,
            lastdsub,
            centroids,
        })
    }

    /// `get_centroids(m, i)`, `dsub` (or `lastdsub`) long.
    fn centroids(&self, m: usize, i: u8) -> &[f32] {
        let i = usize::from(i);
        let (at, len) = if m == self.nsubq - 1 {
            (m * KSUB * self.dsub + i * self.lastdsub, self.lastdsub)
        } else {
            ((m * KSUB + i) * self.dsub, self.dsub)
        };
        &self.centroids[at..at + len]
    }
}

/// The output layer: prediction as fastText 0.9.2 computes it (`std_log`, the
/// exact sigmoid, `real` = f32 with the C++ promotions to double where it has
/// them).
struct Output {
    matrix: Matrix,
    osz: usize,
    /// The Huffman tree for hierarchical softmax; `None` for softmax.
    tree: Option<Vec<Node>>,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    left: usize,
    right: usize,
    count: i64,
}

const LEAF: usize = usize::MAX;

impl Output {
    /// The best `(score, label)` pairs, best first, in `top` (its length is k).
    fn predict<'t>(&self, hidden: &[f32], top: &'t mut [(f32, usize)]) -> &'t [(f32, usize)] {
        let mut n = 0;
        match &self.tree {
            Some(tree) => self.dfs(tree, tree.len() - 1, 0.0, hidden, top, &mut n),
            None => {
                let dot = |i| self.matrix.dot_row(hidden, i);
                let mut max = f32::NEG_INFINITY;
                for i in 0..self.osz {
                    max = max.max(dot(i));
                }
                let mut z = 0f32;
                for i in 0..self.osz {
                    z += (dot(i) - max).exp();
                }
                for i in 0..self.osz {
                    let p = (dot(i) - max).exp() / z;
                    insert(top, &mut n, std_log(p), i);
                }
            }
        }
        for s in &mut top[..n] {
            s.0 = s.0.exp();
        }
        &top[..n]
    }

    /// fastText's `HierarchicalSoftmaxLoss::dfs` with threshold 0, as Python
    /// calls it.
    fn dfs(
        &self,
        tree: &[Node],
        node: usize,
        score: f32,
        hidden: &[f32],
        top: &mut [(f32, usize)],
        n: &mut usize,
    ) {
        if score < std_log(0.0) || (*n == top.len() && score < top[*n - 1].0) {
            return;
        }
        let t = tree[node];
        if t.left == LEAF {
            insert(top, n, score, node);
            return;
        }
        let f = self.matrix.dot_row(hidden, node - self.osz);
        let f = (1.0f64 / f64::from(1.0 + (-f).exp())) as f32;
        self.dfs(
            tree,
            t.left,
            score + std_log((1.0 - f64::from(f)) as f32),
            hidden,
            top,
            n,
        );
        self.dfs(tree, t.right, score + std_log(f), hidden, top, n);
    }
}

/// fastText's `std_log`: `log(x + 1e-5)` in double, returned as `real`.
fn std_log(x: f32) -> f32 {
    (f64::from(x) + 1e-5).ln() as f32
}

/// Inserts into the first `n` of `top` (sorted best first), keeping at most
/// `top.len()`.
fn insert(top: &mut [(f32, usize)], n: &mut usize, score: f32, label: usize) {
    let k = top.len();
    if *n == k && score <= top[k - 1].0 {
        return;
    }
    let mut i = (*n).min(k - 1);
    while i > 0 && top[i - 1].0 < score {
        top[i] = top[i - 1];
        i -= 1;
    }
    top[i] = (score, label);
    *n = (*n + 1).min(k);
}

/// fastText's `buildTree`: leaves are labels `0..osz` (counts descending),
/// internal nodes follow, the root is last.
fn huffman(counts: &[i64]) -> Vec<Node> {
    let osz = counts.len();
    let mut tree = vec![
        Node {
            left: LEAF,
            right: LEAF,
            count: 1_000_000_000_000_000,
        };
        2 * osz - 1
    ];
    for (t, &c) in tree.iter_mut().zip(counts) {
        t.count = c;
    }
    let mut leaf = osz as isize - 1;
    let mut node = osz;
    for i in osz..2 * osz - 1 {
        let mut mini = [0usize; 2];
        for m in &mut mini {
            if leaf >= 0 && tree[leaf as usize].count < tree[node].count {
                *m = leaf as usize;
                leaf -= 1;
            } else {
                *m = node;
                node += 1;
            }
        }
        tree[i].left = mini[0];
        tree[i].right = mini[1];
        tree[i].count = tree[mini[0]].count + tree[mini[1]].count;
    }
    tree
}

/// Little-endian fields of a model file.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let bytes: &'a [u8] = self.bytes;
        let b = self
            .at
            .checked_add(n)
            .and_then(|end| bytes.get(self.at..end))
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        self.at += n;
        Ok(b)
    }
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        self.bytes(N).map(|b| b.try_into().expect("N bytes"))
    }
    fn bool(&mut self) -> Result<bool, String> {
        self.take::<1>().map(|[b]| b != 0)
    }
    fn i32(&mut self) -> Result<i32, String> {
        self.take().map(i32::from_le_bytes)
    }
    fn i64(&mut self) -> Result<i64, String> {
        self.take().map(i64::from_le_bytes)
    }
    /// A matrix dimension (`int64_t`).
    fn len(&mut self) -> Result<usize, String> {
        let at = self.at;
        usize::try_from(self.i64()?).map_err(|_| format!("negative size at byte {at}"))
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, String> {
        let b = self.bytes(n.checked_mul(4).ok_or("matrix too large")?)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    /// A NUL-terminated word.
    fn word(&mut self) -> Result<&'a [u8], String> {
        let bytes: &'a [u8] = self.bytes;
        let rest = &bytes[self.at.min(self.bytes.len())..];
        let n = memchr::memchr(0, rest).ok_or("truncated dictionary")?;
        self.at += n + 1;
        Ok(&rest[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<&str> {
        words(line.as_bytes())
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn words_split_on_ascii_whitespace_and_nul_only_then_end_the_line() {
        assert_eq!(split(""), ["</s>"]);
        assert_eq!(split(" \t\r\n\u{b}\u{c}\0 "), ["</s>"]);
        // No-break, ideographic and other Unicode spaces stay inside words.
        assert_eq!(
            split("a\u{a0}b c\u{3000}d\u{2028}\u{85}e"),
            ["a\u{a0}b", "c\u{3000}d\u{2028}\u{85}e", "</s>"]
        );
        assert_eq!(split("a\tb\t\tc\t"), ["a", "b", "c", "</s>"]);
        assert_eq!(split("a\0b\0"), ["a", "b", "</s>"]);
        assert_eq!(
            split("line one\r\nline two\r\n"),
            ["line", "one", "line", "two", "</s>"]
        );
        // A word `</s>` ends the line; `</s>` inside a word does not.
        assert_eq!(split("a</s> </s>\0b </s>"), ["a</s>", "</s>"]);
        assert_eq!(split("</s>"), ["</s>"]);
    }

    #[test]
    fn hash_is_fnv1a_over_sign_extended_bytes() {
        assert_eq!(hash(b""), 2_166_136_261);
        assert_eq!(hash(b"hello"), 1_335_831_723);
        assert_eq!(hash(b"world"), 933_488_787);
        let h = (2_166_136_261u32 ^ 0xffff_ffc3).wrapping_mul(16_777_619);
        assert_eq!(hash("Ã".as_bytes()), fnv(h, 0x83));
    }

    /// A dense softmax model of dimension 2: words `</s>` and `a`, labels `x`
    /// and `y`, 10 n-gram buckets of 1 and 2 characters, word bigrams; input
    /// row `r` is `[r, 1]`, the output matrix the identity.
    fn tiny_model() -> Vec<u8> {
        let mut b = Vec::new();
        let i32s = |b: &mut Vec<u8>, v: &[i32]| v.iter().for_each(|x| b.extend(x.to_le_bytes()));
        i32s(&mut b, &[MAGIC, VERSION]);
        // dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket,
        // minn, maxn, lrUpdateRate
        i32s(&mut b, &[2, 5, 5, 1, 5, 2, LOSS_SOFTMAX, 3, 10, 1, 2, 100]);
        b.extend(1e-4f64.to_le_bytes());
        i32s(&mut b, &[4, 2, 2]);
        b.extend(10i64.to_le_bytes());
        b.extend((-1i64).to_le_bytes());
        for (word, kind) in [
            ("</s>", 0u8),
            ("a", 0),
            ("__label__x", 1),
            ("__label__y", 1),
        ] {
            b.extend(word.as_bytes());
            b.push(0);
            b.extend(3i64.to_le_bytes());
            b.push(kind);
        }
        b.push(0); // not quantized
        b.extend(12i64.to_le_bytes());
        b.extend(2i64.to_le_bytes());
        for r in 0..12 {
            b.extend((r as f32).to_le_bytes());
            b.extend(1f32.to_le_bytes());
        }
        b.push(0); // qout
        b.extend(2i64.to_le_bytes());
        b.extend(2i64.to_le_bytes());
        for w in [1f32, 0., 0., 1.] {
            b.extend(w.to_le_bytes());
        }
        b
    }

    #[test]
    fn a_dense_model_averages_word_ngram_and_word_bigram_rows() {
        let bytes = tiny_model();
        let model = Model::read(&bytes).unwrap();
        assert_eq!(model.labels(), ["__label__x", "__label__y"]);
        let mut s = Scratch::default();
        model.dict.line(b"a", &mut s);
        // `a`, its n-grams `<a`, `a`, `a>`, then `</s>`, then the bigram
        // `a </s>`.
        assert_eq!(s.ids.len(), 6);
        assert_eq!(&s.ids[..1], [1]);
        assert_eq!(s.ids[4], 0);
        assert!(
            s.ids
                .iter()
                .skip(1)
                .all(|&id| id == 0 || (2..12).contains(&id))
        );
        model.hidden(&mut s);
        let sum: i32 = s.ids.iter().sum();
        let inv = (1.0 / 6.0f64) as f32;
        assert_eq!(s.hidden, [sum as f32 * inv, 6.0 * inv]);
        // An unknown word has its n-grams only; a label token is dropped.
        model.dict.line(b"b __label__x", &mut s);
        assert_eq!(s.ids.len(), 3 + 1 + 1);
        let mut top = [(0f32, 0usize); 2];
        let got = model.predict("a", &mut s, &mut top);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, 0, "x scores hidden[0] > hidden[1]");
        assert!((got[0].0 + got[1].0 - 1.0).abs() < 1e-4);
    }

    #[test]
    fn truncated_or_padded_files_are_errors() {
        let bytes = tiny_model();
        for n in [0, 4, 60, 100, bytes.len() - 1] {
            assert!(Model::read(&bytes[..n]).is_err(), "{n} bytes");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        let err = Model::read(&padded).err().unwrap();
        assert_eq!(err, "1 bytes after the output matrix");
    }
}

//! Megatron-LM `MMIDIDX` token files: `<prefix>.bin` plus `<prefix>.idx`.
//!
//! Written from the published layout of megatron-core's `IndexedDataset`, which
//! must read these files unchanged. `.bin` is the tokens of every document,
//! little-endian, concatenated. `.idx` is, all little-endian and unpadded:
//!
//! | field            | type                         |
//! |------------------|------------------------------|
//! | magic            | `MMIDIDX\0\0` (9 bytes)      |
//! | version          | u64 = 1                      |
//! | dtype code       | u8 (8 = uint16, 4 = int32)   |
//! | sequence count   | u64 = n                      |
//! | doc index count  | u64 = documents + 1          |
//! | sequence lengths | n × i32 (tokens)             |
//! | sequence pointers| n × i64 (byte offset in .bin)|
//! | document indices | (documents + 1) × i64        |
//!
//! shardwise writes one sequence per document, so the document indices are
//! `0, 1, …, n`. The reader here accepts any valid index (a document may span
//! several sequences) and is what `inspect` and the tests use. This module owns
//! the byte layout only; it must not know about stages, markers or the dataset index.

use std::fmt;
use std::io::{BufReader, Read, Write};
use std::sync::Arc;

use arrow::array::{Array, ListArray, RecordBatch, UInt32Array};
use serde::{Deserialize, Serialize};

use super::{Hashing, OutputFile, ShardWriter, WriterSummary};
use crate::document;
use crate::error::{Error, InputError, StoreError};
use crate::store::{self, ObjectWriter, Store};

/// The first 9 bytes of every `.idx`.
pub const MAGIC: &[u8; 9] = b"MMIDIDX\x00\x00";
/// The only index version megatron-core writes.
pub const VERSION: u64 = 1;
/// Bytes before the sequence lengths: magic, version, dtype, two counts.
pub const HEADER_LEN: usize = 9 + 8 + 1 + 8 + 8;

/// Megatron picks uint16 below this vocabulary size (`DType.optimal_dtype`).
const U16_VOCAB_LIMIT: usize = 65_500;

/// Token storage type of a `.bin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DType {
    #[serde(rename = "uint16")]
    U16,
    #[serde(rename = "int32")]
    I32,
}

impl DType {
    /// The type megatron-core chooses: uint16 when the vocabulary has fewer than
    /// 65,500 entries, int32 otherwise.
    pub fn for_vocab(vocab_size: usize) -> DType {
        if vocab_size < U16_VOCAB_LIMIT {
            DType::U16
        } else {
            DType::I32
        }
    }

    /// The code stored in `.idx` (megatron-core `DType`).
    pub fn code(self) -> u8 {
        match self {
            DType::U16 => 8,
            DType::I32 => 4,
        }
    }

    /// The type of an `.idx` dtype code, if shardwise reads it.
    pub fn from_code(code: u8) -> Option<DType> {
        match code {
            8 => Some(DType::U16),
            4 => Some(DType::I32),
            _ => None,
        }
    }

    /// Bytes per token.
    pub fn size(self) -> usize {
        match self {
            DType::U16 => 2,
            DType::I32 => 4,
        }
    }

    /// The numpy name, as written in the dataset index (`uint16`, `int32`).
    pub fn name(self) -> &'static str {
        match self {
            DType::U16 => "uint16",
            DType::I32 => "int32",
        }
    }

    /// The type of a numpy name (`uint16`, `int32`).
    pub fn from_name(name: &str) -> Option<DType> {
        match name {
            "uint16" => Some(DType::U16),
            "int32" => Some(DType::I32),
            _ => None,
        }
    }

    /// The largest token id the type holds.
    pub fn max_id(self) -> u32 {
        match self {
            DType::U16 => u32::from(u16::MAX),
            DType::I32 => i32::MAX as u32,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names megatron-core gives the other dtype codes, for error messages.
fn code_name(code: u8) -> &'static str {
    match code {
        1 => "uint8",
        2 => "int8",
        3 => "int16",
        4 => "int32",
        5 => "int64",
        6 => "float64",
        7 => "float32",
        8 => "uint16",
        _ => "unknown",
    }
}

/// Strips a trailing `.idx` or `.bin`, so either file or the bare prefix names the pair.
pub fn prefix_of(uri: &str) -> &str {
    uri.strip_suffix(".idx")
        .or_else(|| uri.strip_suffix(".bin"))
        .unwrap_or(uri)
}

/// Writes one shard's tokens as `<prefix>.bin` and `<prefix>.idx`.
///
/// Tokens stream into `.bin` as batches arrive; only one `i32` length per
/// document stays in memory. `finish` commits `.bin` first and `.idx` last, so a
/// visible `.idx` always describes a complete `.bin`.
pub struct MegatronWriter {
    store: Arc<dyn Store>,
    output_uri: String,
    prefix: String,
    dtype: DType,
    bin: Hashing<Box<dyn ObjectWriter>>,
    sizes: Vec<i32>,
    tokens: u64,
    /// Reused for every batch's encoded tokens.
    buf: Vec<u8>,
}

impl MegatronWriter {
    /// Opens `<output_uri>/<prefix>.bin` for writing. `prefix` is relative to
    /// `output_uri`, e.g. `tokens/3f/stem`.
    pub fn create(
        store: Arc<dyn Store>,
        output_uri: &str,
        prefix: &str,
        dtype: DType,
    ) -> Result<Self, Error> {
        let bin = store.create(&store::join(output_uri, &format!("{prefix}.bin")))?;
        Ok(Self {
            store,
            output_uri: output_uri.to_string(),
            prefix: prefix.to_string(),
            dtype,
            bin: Hashing::new(bin),
            sizes: Vec::new(),
            tokens: 0,
            buf: Vec::new(),
        })
    }

    fn key(&self, ext: &str) -> String {
        format!("{}.{ext}", self.prefix)
    }

    fn uri(&self, ext: &str) -> String {
        store::join(&self.output_uri, &self.key(ext))
    }

    /// Encodes `values` (the tokens of the rows `offsets` delimit, starting at
    /// `offsets[0]`) into `self.buf`, failing on the first id the dtype cannot hold.
    fn encode(&mut self, values: &[u32], first_doc: usize, offsets: &[i32]) -> Result<(), Error> {
        self.buf.clear();
        self.buf.reserve(values.len() * self.dtype.size());
        let max = self.dtype.max_id();
        if let Some(pos) = values.iter().position(|&id| id > max) {
            // The last row starting at or before `pos` holds it (empty rows start there too).
            let base = offsets[0];
            let row = offsets.partition_point(|&o| ((o - base) as usize) <= pos) - 1;
            return Err(Error::internal(format!(
                "{}: token id {} of document {} does not fit dtype {} (max {max}); \
                 the tokenizer's vocabulary is larger than the dtype chosen for it",
                self.key("bin"),
                values[pos],
                first_doc + row,
                self.dtype,
            )));
        }
        match self.dtype {
            DType::U16 => {
                for &id in values {
                    self.buf.extend_from_slice(&(id as u16).to_le_bytes());
                }
            }
            DType::I32 => {
                for &id in values {
                    self.buf.extend_from_slice(&(id as i32).to_le_bytes());
                }
            }
        }
        Ok(())
    }
}

/// The `tokens` column of a batch as a list array of `u32` values.
fn tokens_column(batch: &RecordBatch) -> Result<(&ListArray, &UInt32Array), Error> {
    let col = batch.column_by_name(document::TOKENS).ok_or_else(|| {
        Error::internal(
            "the megatron writer got a batch without a `tokens` column (no tokenize stage ran)",
        )
    })?;
    let list = col.as_any().downcast_ref::<ListArray>().ok_or_else(|| {
        Error::internal(format!(
            "the `tokens` column is {}, expected List<UInt32>",
            col.data_type()
        ))
    })?;
    let values = list
        .values()
        .as_any()
        .downcast_ref::<UInt32Array>()
        .ok_or_else(|| {
            Error::internal(format!(
                "the `tokens` column holds {}, expected UInt32",
                list.values().data_type()
            ))
        })?;
    if list.null_count() > 0 || values.null_count() > 0 {
        return Err(Error::internal("the `tokens` column has nulls"));
    }
    Ok((list, values))
}

impl ShardWriter for MegatronWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let (list, values) = tokens_column(batch)?;
        let offsets = list.value_offsets();
        let (start, end) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
        let first_doc = self.sizes.len();
        // Offsets are i32, so every document length fits the index's i32 lengths.
        self.sizes.extend(offsets.windows(2).map(|w| w[1] - w[0]));
        self.encode(&values.values()[start..end], first_doc, offsets)?;
        let uri = self.uri("bin");
        self.bin
            .write_all(&self.buf)
            .map_err(|e| StoreError::io(uri, "write", e))?;
        self.tokens += (end - start) as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<WriterSummary, Error> {
        let this = *self;
        let (bin_key, idx_key, idx_uri) = (this.key("bin"), this.key("idx"), this.uri("idx"));
        let (bin, bin_bytes, bin_sum) = this.bin.into_parts();
        bin.commit()?;

        let mut idx = Hashing::new(this.store.create(&idx_uri)?);
        write_index(&mut idx, this.dtype, &this.sizes)
            .map_err(|e| StoreError::io(idx_uri.clone(), "write", e))?;
        let (idx, idx_bytes, idx_sum) = idx.into_parts();
        idx.commit()?;

        Ok(WriterSummary {
            files: vec![
                OutputFile {
                    key: bin_key,
                    bytes: bin_bytes,
                    xxh64: bin_sum,
                },
                OutputFile {
                    key: idx_key,
                    bytes: idx_bytes,
                    xxh64: idx_sum,
                },
            ],
            docs: this.sizes.len() as u64,
            tokens: this.tokens,
        })
    }
}

/// Writes a whole `.idx` for one sequence per document, in chunks.
pub fn write_index(out: &mut impl Write, dtype: DType, sizes: &[i32]) -> std::io::Result<()> {
    let n = sizes.len() as u64;
    let mut head = Vec::with_capacity(HEADER_LEN);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.push(dtype.code());
    head.extend_from_slice(&n.to_le_bytes());
    head.extend_from_slice(&(n + 1).to_le_bytes());
    out.write_all(&head)?;

    const CHUNK: usize = 8192;
    let mut buf = Vec::with_capacity(CHUNK * 8);
    for chunk in sizes.chunks(CHUNK) {
        buf.clear();
        for s in chunk {
            buf.extend_from_slice(&s.to_le_bytes());
        }
        out.write_all(&buf)?;
    }
    let mut pointer: i64 = 0;
    let width = dtype.size() as i64;
    for chunk in sizes.chunks(CHUNK) {
        buf.clear();
        for &s in chunk {
            buf.extend_from_slice(&pointer.to_le_bytes());
            pointer += i64::from(s) * width;
        }
        out.write_all(&buf)?;
    }
    let mut doc: i64 = 0;
    while doc <= n as i64 {
        buf.clear();
        let end = (doc + CHUNK as i64).min(n as i64 + 1);
        for d in doc..end {
            buf.extend_from_slice(&d.to_le_bytes());
        }
        out.write_all(&buf)?;
        doc = end;
    }
    out.flush()
}

/// A parsed `.idx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MegatronIndex {
    pub dtype: DType,
    /// Tokens per sequence.
    pub sizes: Vec<i32>,
    /// Byte offset of each sequence in `.bin`.
    pub pointers: Vec<i64>,
    /// Sequence index where each document starts, then the sequence count.
    pub doc_idx: Vec<i64>,
}

/// Little-endian cursor over the index bytes; errors name the byte offset.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let rest = self.bytes.len() - self.pos;
        if rest < n {
            return Err(format!(
                "truncated: {what} needs {n} bytes at byte {}, but the index is {} bytes long",
                self.pos,
                self.bytes.len()
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }

    /// `count` little-endian values of `N` bytes each.
    fn array<const N: usize, T>(
        &mut self,
        count: u64,
        what: &str,
        f: fn([u8; N]) -> T,
    ) -> Result<Vec<T>, String> {
        let len = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(N))
            .ok_or_else(|| format!("{what}: count {count} is impossibly large"))?;
        let raw = self.take(len, what)?;
        Ok(raw
            .chunks_exact(N)
            .map(|c| f(c.try_into().unwrap()))
            .collect())
    }
}

impl MegatronIndex {
    /// Parses and checks an `.idx`: magic, version, dtype, counts, that the
    /// pointers follow the lengths contiguously from byte 0, and that the
    /// document indices run from 0 to the sequence count without going back.
    pub fn parse(bytes: &[u8]) -> Result<MegatronIndex, String> {
        let mut c = Cursor { bytes, pos: 0 };
        let magic = c.take(MAGIC.len(), "the magic")?;
        if magic != MAGIC {
            return Err(format!(
                "not a Megatron MMIDIDX index: the file starts with {:?}, expected \"MMIDIDX\\0\\0\"",
                String::from_utf8_lossy(magic)
            ));
        }
        let version = c.u64("the version")?;
        if version != VERSION {
            return Err(format!(
                "unsupported index version {version} at byte 9 (only version 1 exists)"
            ));
        }
        let code = c.take(1, "the dtype code")?[0];
        let dtype = DType::from_code(code).ok_or_else(|| {
            format!(
                "dtype code {code} ({}) at byte 17 is not a token type shardwise reads (8 = uint16, 4 = int32)",
                code_name(code)
            )
        })?;
        let n = c.u64("the sequence count")?;
        let m = c.u64("the document index count")?;
        if m == 0 {
            return Err(
                "the document index count is 0; it must be at least 1 (documents + 1)".into(),
            );
        }
        let sizes = c.array(n, "the sequence lengths", i32::from_le_bytes)?;
        let pointers = c.array(n, "the sequence pointers", i64::from_le_bytes)?;
        let doc_idx = c.array(m, "the document indices", i64::from_le_bytes)?;
        if c.pos != bytes.len() {
            return Err(format!(
                "{} unexpected bytes after the document indices at byte {} \
                 (multimodal sequence modes are not supported)",
                bytes.len() - c.pos,
                c.pos
            ));
        }

        let width = dtype.size() as i64;
        let mut expected: i64 = 0;
        for (i, (&size, &ptr)) in sizes.iter().zip(&pointers).enumerate() {
            if size < 0 {
                return Err(format!("sequence {i} has negative length {size}"));
            }
            if ptr != expected {
                return Err(format!(
                    "sequence {i} starts at byte {ptr} of .bin, expected {expected} \
                     (where the sequences before it end)"
                ));
            }
            expected += i64::from(size) * width;
        }
        if doc_idx[0] != 0 {
            return Err(format!(
                "the document indices start at {}, expected 0",
                doc_idx[0]
            ));
        }
        if let Some(i) = doc_idx.windows(2).position(|w| w[1] < w[0]) {
            return Err(format!(
                "the document indices go back from {} to {} at entry {}",
                doc_idx[i],
                doc_idx[i + 1],
                i + 1
            ));
        }
        let last = doc_idx[doc_idx.len() - 1];
        if last != n as i64 {
            return Err(format!(
                "the last document index is {last}, expected the sequence count {n}"
            ));
        }
        Ok(MegatronIndex {
            dtype,
            sizes,
            pointers,
            doc_idx,
        })
    }

    /// Number of documents.
    pub fn num_docs(&self) -> usize {
        self.doc_idx.len() - 1
    }

    /// Tokens in the whole `.bin`.
    pub fn num_tokens(&self) -> u64 {
        self.sizes.iter().map(|&s| s as u64).sum()
    }

    /// Tokens of document `doc` (all its sequences).
    pub fn doc_len(&self, doc: usize) -> u64 {
        let (a, b) = (self.doc_idx[doc] as usize, self.doc_idx[doc + 1] as usize);
        self.sizes[a..b].iter().map(|&s| s as u64).sum()
    }

    /// The byte size `.bin` must have.
    pub fn bin_bytes(&self) -> u64 {
        self.num_tokens() * self.dtype.size() as u64
    }

    /// Reads and parses `<prefix>.idx`; `prefix` may also name the `.idx` or `.bin`.
    pub fn load(store: &dyn Store, prefix: &str) -> Result<MegatronIndex, Error> {
        let uri = format!("{}.idx", prefix_of(prefix));
        let bytes = store.get(&uri)?;
        MegatronIndex::parse(&bytes).map_err(|cause| {
            InputError {
                shard: uri,
                location: "megatron index".into(),
                cause,
            }
            .into()
        })
    }
}

/// Streams the first `limit` documents (all with `None`) of `<prefix>.bin`, in
/// order, to `f(document number, tokens)`. Reads `.bin` sequentially, only as
/// far as needed, and checks first that its size matches the index.
pub fn for_each_document(
    store: &dyn Store,
    prefix: &str,
    index: &MegatronIndex,
    limit: Option<usize>,
    mut f: impl FnMut(usize, &[u32]) -> Result<(), Error>,
) -> Result<(), Error> {
    let uri = format!("{}.bin", prefix_of(prefix));
    let bad = |location: String, cause: String| -> Error {
        InputError {
            shard: uri.clone(),
            location,
            cause,
        }
        .into()
    };
    let size = store.size(&uri)?;
    if size != index.bin_bytes() {
        return Err(bad(
            "size".into(),
            format!(
                "is {size} bytes, but the index describes {} tokens of {} ({} bytes)",
                index.num_tokens(),
                index.dtype,
                index.bin_bytes()
            ),
        ));
    }
    let mut reader = BufReader::with_capacity(1 << 20, store.open(&uri)?);
    let width = index.dtype.size();
    let mut raw = Vec::new();
    let mut tokens = Vec::new();
    let docs = limit.map_or(index.num_docs(), |l| l.min(index.num_docs()));
    let mut at: u64 = 0;
    for doc in 0..docs {
        let len = index.doc_len(doc) as usize;
        raw.resize(len * width, 0);
        reader
            .read_exact(&mut raw)
            .map_err(|e| StoreError::io(uri.clone(), "read", e))?;
        tokens.clear();
        match index.dtype {
            DType::U16 => tokens.extend(
                raw.chunks_exact(2)
                    .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]]))),
            ),
            DType::I32 => {
                for (k, c) in raw.chunks_exact(4).enumerate() {
                    let v = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                    if v < 0 {
                        return Err(bad(
                            format!("byte {}", at + (k * 4) as u64),
                            format!("token id {v} of document {doc} is negative"),
                        ));
                    }
                    tokens.push(v as u32);
                }
            }
        }
        at += raw.len() as u64;
        f(doc, &tokens)?;
    }
    Ok(())
}

/// Reads a whole token file pair into memory: the index and every document's
/// tokens. For tests and small files; `inspect` streams with [`for_each_document`].
pub fn read_all(store: &dyn Store, prefix: &str) -> Result<(MegatronIndex, Vec<Vec<u32>>), Error> {
    let index = MegatronIndex::load(store, prefix)?;
    let mut docs = Vec::with_capacity(index.num_docs());
    for_each_document(store, prefix, &index, None, |_, t| {
        docs.push(t.to_vec());
        Ok(())
    })?;
    Ok((index, docs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LocalStore;
    use arrow::array::{ListBuilder, UInt32Builder};
    use arrow::datatypes::{DataType, Field, Schema};

    /// A batch with only a `tokens` column, shaped as the tokenize stage makes it.
    pub(crate) fn batch(docs: &[Vec<u32>]) -> RecordBatch {
        let item = Arc::new(Field::new_list_field(DataType::UInt32, false));
        let mut b = ListBuilder::new(UInt32Builder::new()).with_field(item.clone());
        for d in docs {
            b.values().append_slice(d);
            b.append(true);
        }
        let schema = Schema::new(vec![Field::new(
            document::TOKENS,
            DataType::List(item),
            false,
        )]);
        RecordBatch::try_new(Arc::new(schema), vec![Arc::new(b.finish())]).unwrap()
    }

    fn write(
        dir: &std::path::Path,
        dtype: DType,
        batches: &[Vec<Vec<u32>>],
    ) -> (String, WriterSummary) {
        let out = dir.display().to_string();
        let mut w = Box::new(
            MegatronWriter::create(Arc::new(LocalStore), &out, "tokens/3f/stem", dtype).unwrap(),
        );
        for b in batches {
            w.write(&batch(b)).unwrap();
        }
        let summary = w.finish().unwrap();
        (store::join(&out, "tokens/3f/stem"), summary)
    }

    #[test]
    fn dtype_follows_megatron_vocab_rule() {
        assert_eq!(DType::for_vocab(50_257), DType::U16);
        assert_eq!(DType::for_vocab(65_499), DType::U16);
        assert_eq!(DType::for_vocab(65_500), DType::I32);
        assert_eq!(DType::for_vocab(128_256), DType::I32);
        assert_eq!(
            (DType::U16.code(), DType::U16.size(), DType::U16.name()),
            (8, 2, "uint16")
        );
        assert_eq!(
            (DType::I32.code(), DType::I32.size(), DType::I32.name()),
            (4, 4, "int32")
        );
        assert_eq!(serde_json::to_string(&DType::I32).unwrap(), "\"int32\"");
        assert_eq!(DType::from_name("uint16"), Some(DType::U16));
    }

    #[test]
    fn round_trip_both_dtypes_with_empty_documents() {
        for (dtype, max) in [(DType::U16, 65_535), (DType::I32, i32::MAX as u32)] {
            let dir = tempfile::tempdir().unwrap();
            let batches = vec![
                vec![vec![], vec![1, 2, 3], vec![max]],
                vec![],
                vec![vec![], vec![]],
                vec![vec![0, max, 7, 65_499]],
            ];
            let (prefix, summary) = write(dir.path(), dtype, &batches);
            let want: Vec<Vec<u32>> = batches.concat();
            let (index, docs) = read_all(&LocalStore, &prefix).unwrap();
            assert_eq!(docs, want, "{dtype}");
            assert_eq!(index.dtype, dtype);
            assert_eq!(index.sizes, [0, 3, 1, 0, 0, 4]);
            assert_eq!(index.doc_idx, [0, 1, 2, 3, 4, 5, 6]);
            let w = dtype.size() as i64;
            assert_eq!(index.pointers, [0, 0, 3 * w, 4 * w, 4 * w, 4 * w]);
            assert_eq!((summary.docs, summary.tokens), (6, 8));
            let keys: Vec<_> = summary.files.iter().map(|f| f.key.as_str()).collect();
            assert_eq!(keys, ["tokens/3f/stem.bin", "tokens/3f/stem.idx"]);
            assert_eq!(summary.files[0].bytes, 8 * dtype.size() as u64);
            let idx = std::fs::read(format!("{prefix}.idx")).unwrap();
            assert_eq!(summary.files[1].bytes, idx.len() as u64);
            assert_eq!(idx.len(), HEADER_LEN + 6 * 12 + 7 * 8);
            // Either file of the pair names it too.
            assert_eq!(
                read_all(&LocalStore, &format!("{prefix}.bin")).unwrap().1,
                want
            );
        }
    }

    #[test]
    fn header_bytes_follow_the_published_layout() {
        let dir = tempfile::tempdir().unwrap();
        let (prefix, _) = write(dir.path(), DType::U16, &[vec![vec![5, 6]]]);
        let idx = std::fs::read(format!("{prefix}.idx")).unwrap();
        let mut want = b"MMIDIDX\x00\x00".to_vec();
        want.extend(1u64.to_le_bytes());
        want.push(8);
        want.extend(1u64.to_le_bytes());
        want.extend(2u64.to_le_bytes());
        want.extend(2i32.to_le_bytes());
        want.extend(0i64.to_le_bytes());
        want.extend(0i64.to_le_bytes());
        want.extend(1i64.to_le_bytes());
        assert_eq!(idx, want);
        assert_eq!(
            std::fs::read(format!("{prefix}.bin")).unwrap(),
            [5, 0, 6, 0]
        );
    }

    #[test]
    fn an_empty_shard_has_an_empty_bin_and_one_document_index() {
        let dir = tempfile::tempdir().unwrap();
        let (prefix, summary) = write(dir.path(), DType::I32, &[]);
        let (index, docs) = read_all(&LocalStore, &prefix).unwrap();
        assert!(docs.is_empty());
        assert_eq!(index.doc_idx, [0]);
        assert_eq!(
            (summary.docs, summary.tokens, summary.files[0].bytes),
            (0, 0, 0)
        );
    }

    #[test]
    fn ids_too_large_for_the_dtype_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let mut w =
            MegatronWriter::create(Arc::new(LocalStore), &out, "tokens/00/s", DType::U16).unwrap();
        w.write(&batch(&[vec![1]])).unwrap();
        let err = w.write(&batch(&[vec![2], vec![3, 65_536]])).unwrap_err();
        assert!(matches!(err, Error::Internal(_)));
        let msg = err.to_string();
        assert!(
            msg.contains("token id 65536 of document 2 does not fit dtype uint16"),
            "{msg}"
        );
        drop(w);
        // Nothing was committed.
        assert!(LocalStore.list(&out).unwrap().is_empty());
    }

    #[test]
    fn sliced_batches_write_only_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let full = batch(&[vec![1], vec![2, 3], vec![70_000], vec![4]]);
        let mut w = Box::new(
            MegatronWriter::create(Arc::new(LocalStore), &out, "t/s", DType::U16).unwrap(),
        );
        w.write(&full.slice(1, 1)).unwrap();
        w.write(&full.slice(3, 1)).unwrap();
        let err = MegatronWriter::create(Arc::new(LocalStore), &out, "t/x", DType::U16)
            .unwrap()
            .write(&full.slice(1, 2))
            .unwrap_err()
            .to_string();
        assert!(err.contains("token id 70000 of document 1"), "{err}");
        w.finish().unwrap();
        assert_eq!(
            read_all(&LocalStore, &store::join(&out, "t/s")).unwrap().1,
            [vec![2, 3], vec![4]]
        );
    }

    #[test]
    fn a_batch_without_tokens_is_an_internal_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MegatronWriter::create(
            Arc::new(LocalStore),
            &dir.path().display().to_string(),
            "t/s",
            DType::U16,
        )
        .unwrap();
        let b = crate::document::BatchBuilder::new(0, "s").flush();
        let mut bb = crate::document::BatchBuilder::new(0, "s");
        bb.push(&crate::document::DocRef {
            text: "x",
            ..Default::default()
        });
        assert!(w.write(&b).is_ok(), "an empty batch is ignored");
        let err = w.write(&bb.flush()).unwrap_err().to_string();
        assert!(err.contains("without a `tokens` column"), "{err}");
    }

    fn valid_index() -> Vec<u8> {
        let mut v = Vec::new();
        write_index(&mut v, DType::U16, &[2, 0, 3]).unwrap();
        v
    }

    fn parse_err(bytes: &[u8]) -> String {
        MegatronIndex::parse(bytes).unwrap_err()
    }

    #[test]
    fn corrupt_indexes_are_named_precisely() {
        let good = valid_index();
        let idx = MegatronIndex::parse(&good).unwrap();
        assert_eq!(idx.pointers, [0, 4, 4]);
        assert_eq!(
            (idx.num_docs(), idx.num_tokens(), idx.bin_bytes()),
            (3, 5, 10)
        );

        let mut b = good.clone();
        b[0] = b'X';
        assert!(
            parse_err(&b).contains("not a Megatron MMIDIDX index"),
            "{}",
            parse_err(&b)
        );

        let mut b = good.clone();
        b[9] = 2;
        assert!(parse_err(&b).contains("unsupported index version 2"));

        let mut b = good.clone();
        b[17] = 5;
        assert!(
            parse_err(&b).contains("dtype code 5 (int64)"),
            "{}",
            parse_err(&b)
        );

        let e = parse_err(&good[..good.len() - 3]);
        assert!(e.contains("truncated: the document indices need"), "{e}");
        let e = parse_err(&good[..5]);
        assert!(e.contains("truncated: the magic"), "{e}");

        let mut b = good.clone();
        b.push(0);
        assert!(parse_err(&b).contains("1 unexpected bytes after the document indices"));

        // Second pointer (sequence 1) moved.
        let mut b = good.clone();
        let p1 = HEADER_LEN + 3 * 4 + 8;
        b[p1] = 6;
        assert!(
            parse_err(&b).contains("sequence 1 starts at byte 6 of .bin, expected 4"),
            "{}",
            parse_err(&b)
        );

        // Last document index no longer equals the sequence count.
        let mut b = good.clone();
        let last = b.len() - 8;
        b[last] = 2;
        assert!(
            parse_err(&b).contains("the last document index is 2, expected the sequence count 3")
        );

        // A negative length.
        let mut b = good.clone();
        b[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&(-1i32).to_le_bytes());
        assert!(parse_err(&b).contains("sequence 0 has negative length -1"));

        // An impossible count does not allocate.
        let mut b = good.clone();
        b[18..26].copy_from_slice(&u64::MAX.to_le_bytes());
        let e = parse_err(&b);
        assert!(
            e.contains("impossibly large") || e.contains("truncated"),
            "{e}"
        );
    }

    #[test]
    fn documents_spanning_several_sequences_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("p").display().to_string();
        // Two documents: sequences {0, 1} and {2}.
        let mut idx = Vec::new();
        write_index(&mut idx, DType::U16, &[1, 2, 1]).unwrap();
        let n = idx.len();
        idx.truncate(n - 4 * 8);
        for d in [0i64, 2, 3] {
            idx.extend(d.to_le_bytes());
        }
        idx[26..34].copy_from_slice(&3u64.to_le_bytes());
        LocalStore.put(&format!("{prefix}.idx"), &idx).unwrap();
        LocalStore
            .put(&format!("{prefix}.bin"), &[1, 0, 2, 0, 3, 0, 4, 0])
            .unwrap();
        let (index, docs) = read_all(&LocalStore, &prefix).unwrap();
        assert_eq!(index.num_docs(), 2);
        assert_eq!(docs, [vec![1, 2, 3], vec![4]]);
    }

    #[test]
    fn a_bin_of_the_wrong_size_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (prefix, _) = write(dir.path(), DType::U16, &[vec![vec![1, 2]]]);
        LocalStore.put(&format!("{prefix}.bin"), &[1, 0]).unwrap();
        let err = read_all(&LocalStore, &prefix).unwrap_err().to_string();
        assert!(
            err.contains("is 2 bytes, but the index describes 2 tokens of uint16 (4 bytes)"),
            "{err}"
        );
    }
}

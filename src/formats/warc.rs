//! WARC and WET records → documents. TODO(helper).

use arrow::array::RecordBatch;

use super::{Decoded, Format, ShardReader, ShardSource};
use crate::error::InputError;

/// Streams `conversion` (and, for `warc`, text `resource`) records as documents.
pub struct WarcReader {
    src: ShardSource,
    input: Decoded,
    format: Format,
}

impl WarcReader {
    pub fn new(src: ShardSource, input: Decoded, format: Format) -> Self {
        Self { src, input, format }
    }
}

impl ShardReader for WarcReader {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, InputError> {
        let _ = (&self.src, self.format);
        todo!()
    }

    fn take_issues(&mut self) -> Vec<InputError> {
        self.input.take_issues()
    }

    fn raw_bytes(&self) -> u64 {
        self.input.raw_position()
    }
}

//! JSONL. TODO.

use arrow::array::RecordBatch;

use super::{Decoded, ShardReader, ShardSource};
use crate::error::InputError;

pub struct JsonlReader {
    src: ShardSource,
    input: Decoded,
}

impl JsonlReader {
    pub fn new(src: ShardSource, input: Decoded) -> Self {
        Self { src, input }
    }
}

impl ShardReader for JsonlReader {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, InputError> {
        let _ = &self.src;
        todo!()
    }
    fn take_issues(&mut self) -> Vec<InputError> {
        self.input.take_issues()
    }
    fn raw_bytes(&self) -> u64 {
        self.input.raw_position()
    }
}

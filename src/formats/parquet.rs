//! Parquet shards: the text column chosen by name. TODO.

use arrow::array::RecordBatch;

use super::{ShardReader, ShardSource};
use crate::error::{Error, InputError};
use crate::store::Store;

pub struct ParquetReader {
    src: ShardSource,
}

impl ParquetReader {
    pub fn open(_store: &dyn Store, src: ShardSource) -> Result<Self, Error> {
        Ok(Self { src })
    }
}

impl ShardReader for ParquetReader {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, InputError> {
        let _ = &self.src;
        todo!()
    }
    fn take_issues(&mut self) -> Vec<InputError> {
        Vec::new()
    }
    fn raw_bytes(&self) -> u64 {
        0
    }
}

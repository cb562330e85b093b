//! The integration tests: one binary, one module per area.

mod util;

mod bad_input;
mod exclusions;
mod fidelity;
mod megatron;
mod pipelines;
mod resume;
mod s3;
mod s3_harness;
mod sagemaker;
mod slicing;
mod tokenizer_parity;
mod validate;
mod wet_parity;

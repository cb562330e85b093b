//! Megatron `MMIDIDX` token files: `.bin` (raw tokens) plus `.idx` (layout below).
//!
//! TODO(helper): writer and reader.

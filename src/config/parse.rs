//! Parsing with spans: TODO(helper).

use super::Pipeline;
use crate::error::ConfigError;

/// Parses and validates pipeline text. `origin` names the file in messages.
pub fn load(origin: &str, text: &str, overrides: &[String]) -> Result<Pipeline, ConfigError> {
    let _ = (origin, text, overrides);
    todo!()
}

/// Reads a local pipeline file, then [`load`]s it.
pub fn load_file(path: &str, overrides: &[String]) -> Result<Pipeline, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::msg(format!("{path}: cannot read pipeline file: {e}")))?;
    load(path, &text, overrides)
}

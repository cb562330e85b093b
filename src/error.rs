//! Library errors, grouped by who is at fault.
//!
//! `Config` is the user's pipeline file or flags, `Input` is bad data in a shard,
//! `Store` is I/O against local disk or an object store, `Internal` is a bug in
//! shardwise. The binary maps each group to its own exit code (see [`Error::exit_code`]).
//! Messages are lowercase and name the thing they are about.

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error (this is a bug in shardwise): {0}")]
    Internal(String),
}

impl Error {
    /// Distinct process exit codes per fault group, so launchers can tell a bad
    /// pipeline file (do not retry) from a flaky store (retry may help).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            Error::Input(_) => 5,
            Error::Store(_) => 4,
            Error::Internal(_) => 70,
        }
    }

    /// Shorthand for a bug report.
    pub fn internal(msg: impl Into<String>) -> Self {
        Error::Internal(msg.into())
    }
}

/// Exit code of a run that completed but skipped bad input (records or whole
/// shards). Distinct from every error code: the output is usable, and listed.
pub const EXIT_PARTIAL: i32 = 3;

/// The user's pipeline file, flags or environment is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// One or more problems found while validating a pipeline file; each line is
    /// already formatted as `file:line:col: field: message`.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error("{0}")]
    Message(String),
}

impl ConfigError {
    pub fn msg(m: impl Into<String>) -> Self {
        ConfigError::Message(m.into())
    }
}

/// A shard's bytes could not be turned into documents.
#[derive(Debug, Clone, thiserror::Error)]
#[error("shard {shard}: {location}: {cause}")]
pub struct InputError {
    /// URI of the shard.
    pub shard: String,
    /// Where in the shard, e.g. `byte 18233` or `line 12`.
    pub location: String,
    /// What is wrong.
    pub cause: String,
}

/// Reading or writing storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{uri}: not found")]
    NotFound { uri: String },
    #[error("{uri}: {op} failed: {source}")]
    Io {
        uri: String,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{uri}: {message}")]
    Other { uri: String, message: String },
}

impl StoreError {
    pub fn io(uri: impl Into<String>, op: &'static str, source: std::io::Error) -> Self {
        let uri = uri.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            StoreError::NotFound { uri }
        } else {
            StoreError::Io { uri, op, source }
        }
    }

    pub fn path_io(path: &std::path::Path, op: &'static str, source: std::io::Error) -> Self {
        Self::io(path.display().to_string(), op, source)
    }
}

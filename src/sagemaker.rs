//! The SageMaker container contract: which kind of job this is, and where the
//! reason for a failure goes.
//!
//! SageMaker shows the first KiB of `/opt/ml/output/message` (Processing, as the
//! job's `ExitMessage`) or `/opt/ml/output/failure` (Training, as its
//! `FailureReason`), so a failed job says why without a trip to CloudWatch. The
//! kind of job is read from which `resourceconfig.json` exists, the same files
//! [`crate::cluster`] takes the rank from, in the same order; with neither file
//! this is not SageMaker and nothing is written. Rank detection is `cluster`'s
//! job, not this module's.

use std::path::{Path, PathBuf};

/// The kinds of SageMaker job whose containers shardwise runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Processing,
    Training,
}

/// SageMaker keeps this many bytes of a failure file.
pub const FAILURE_MESSAGE_MAX: usize = 1024;

impl JobKind {
    /// In the order they are looked for: a container that somehow has both files
    /// is taken for Processing, here and by [`crate::cluster::detect`].
    pub const ALL: [JobKind; 2] = [JobKind::Processing, JobKind::Training];

    /// `processing` or `training`, for log lines.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Processing => "processing",
            JobKind::Training => "training",
        }
    }

    /// The `resourceconfig.json` that names the hosts of the job.
    pub fn resource_config(self, opt_ml: &Path) -> PathBuf {
        match self {
            JobKind::Processing => opt_ml.join("config/resourceconfig.json"),
            JobKind::Training => opt_ml.join("input/config/resourceconfig.json"),
        }
    }

    /// Where the reason for a failure goes.
    pub fn failure_file(self, opt_ml: &Path) -> PathBuf {
        match self {
            JobKind::Processing => opt_ml.join("output/message"),
            JobKind::Training => opt_ml.join("output/failure"),
        }
    }

    /// The kind of job whose resource config exists under `opt_ml`; `None` when
    /// this is not a SageMaker container.
    pub fn detect(opt_ml: &Path) -> Option<JobKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.resource_config(opt_ml).is_file())
    }
}

/// At most the first `max` bytes of `msg`, cut back to a character boundary so the
/// file stays valid UTF-8 (SageMaker fails the job over a file that is not).
pub fn truncate_message(msg: &str, max: usize) -> &str {
    let mut end = max.min(msg.len());
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    &msg[..end]
}

/// Writes the first KiB of `message` to the failure file of the SageMaker job this
/// container runs in, creating `output/` if needed. Returns the file written, or
/// `None` outside SageMaker.
pub fn write_failure(opt_ml: &Path, message: &str) -> std::io::Result<Option<PathBuf>> {
    let Some(kind) = JobKind::detect(opt_ml) else {
        return Ok(None);
    };
    let path = kind.failure_file(opt_ml);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, truncate_message(message, FAILURE_MESSAGE_MAX))?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_rc(root: &Path, kind: JobKind) {
        let p = kind.resource_config(root);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, r#"{"current_host": "algo-1", "hosts": ["algo-1"]}"#).unwrap();
    }

    #[test]
    fn a_long_message_is_cut_to_one_kib_at_a_char_boundary() {
        assert_eq!(truncate_message("short", FAILURE_MESSAGE_MAX), "short");
        let ascii = "x".repeat(3000);
        assert_eq!(truncate_message(&ascii, FAILURE_MESSAGE_MAX).len(), 1024);
        // 'é' is 2 bytes and '€' 3: byte 1024 falls inside a character.
        for (prefix, ch) in [("", 'é'), ("a", 'é'), ("", '€'), ("ab", '€')] {
            let msg = format!("{prefix}{}", ch.to_string().repeat(1000));
            let cut = truncate_message(&msg, FAILURE_MESSAGE_MAX);
            assert!(cut.len() <= 1024 && cut.len() > 1024 - ch.len_utf8());
            assert!(msg.starts_with(cut));
        }
        assert_eq!(truncate_message("€", 2), "");
    }

    #[test]
    fn the_job_kind_comes_from_the_resource_config_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(JobKind::detect(dir.path()), None);
        assert_eq!(write_failure(dir.path(), "boom").unwrap(), None);
        assert!(
            !dir.path().join("output").exists(),
            "nothing outside sagemaker"
        );

        write_rc(dir.path(), JobKind::Training);
        assert_eq!(JobKind::detect(dir.path()), Some(JobKind::Training));
        let written = write_failure(dir.path(), "boom").unwrap().unwrap();
        assert_eq!(written, dir.path().join("output/failure"));
        assert_eq!(std::fs::read_to_string(written).unwrap(), "boom");

        write_rc(dir.path(), JobKind::Processing);
        assert_eq!(JobKind::detect(dir.path()), Some(JobKind::Processing));
        let written = write_failure(dir.path(), &"ü".repeat(600))
            .unwrap()
            .unwrap();
        assert_eq!(written, dir.path().join("output/message"));
        assert_eq!(std::fs::read_to_string(written).unwrap(), "ü".repeat(512));
    }

    #[test]
    fn a_failure_file_that_cannot_be_written_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        write_rc(dir.path(), JobKind::Processing);
        // `output` is a file, so `output/message` cannot be created.
        std::fs::write(dir.path().join("output"), "").unwrap();
        assert!(write_failure(dir.path(), "boom").is_err());
    }
}

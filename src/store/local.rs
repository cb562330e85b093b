//! Local disk and `file://` URIs.
//!
//! Writes go to a sibling temp file named `<final>.<host>-<pid>-<n>.shardwise-tmp`
//! and are renamed into place at commit, so a crash never leaves a half-written
//! object under its final name, and processes writing the same object (ranks
//! finishing together on a shared file system) never share a temp file. Creating
//! a writer removes temp siblings of the same object that a dead process on this
//! host left behind; temps of live processes and of other hosts are left alone.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{ObjectInfo, ObjectWriter, Store};
use crate::error::StoreError;

const TMP_SUFFIX: &str = ".shardwise-tmp";

/// The local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalStore;

fn path_of(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

impl Store for LocalStore {
    fn open(&self, uri: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let f = File::open(path_of(uri)).map_err(|e| StoreError::io(uri, "open", e))?;
        Ok(Box::new(f))
    }

    fn size(&self, uri: &str) -> Result<u64, StoreError> {
        Ok(fs::metadata(path_of(uri))
            .map_err(|e| StoreError::io(uri, "stat", e))?
            .len())
    }

    fn exists(&self, uri: &str) -> Result<bool, StoreError> {
        match fs::metadata(path_of(uri)) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(uri, "stat", e)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let root = path_of(prefix);
        let mut out = Vec::new();
        if root.is_file() {
            out.push(ObjectInfo {
                uri: prefix.to_string(),
                size: self.size(prefix)?,
            });
            return Ok(out);
        }
        if !root.exists() {
            return Ok(out);
        }
        walk(&root, &mut out).map_err(|e| StoreError::io(prefix, "list", e))?;
        // Keep the caller's spelling (e.g. `file://`) in front of every result.
        // Without its trailing `/`, or `dir/` would glue `dir` onto `x` as `dirx`.
        let root_s = root.display().to_string();
        let root_s = root_s.trim_end_matches('/');
        for o in &mut out {
            if let Some(rest) = o.uri.strip_prefix(root_s) {
                o.uri = format!("{}{}", prefix.trim_end_matches('/'), rest);
            }
        }
        out.sort_by(|a, b| a.uri.cmp(&b.uri));
        Ok(out)
    }

    fn create(&self, uri: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let target = path_of(uri);
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| StoreError::path_io(dir, "create directory", e))?;
            remove_stale_temps(dir, &target);
        }
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let tmp = PathBuf::from(format!(
            "{}.{}-{}-{}{}",
            target.display(),
            host(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            TMP_SUFFIX
        ));
        let file = File::create(&tmp).map_err(|e| StoreError::path_io(&tmp, "create", e))?;
        Ok(Box::new(LocalWriter {
            uri: uri.to_string(),
            tmp,
            target,
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            bytes: 0,
        }))
    }

    fn local_path(&self, uri: &str) -> Option<PathBuf> {
        Some(path_of(uri))
    }

    fn delete(&self, uri: &str) -> Result<(), StoreError> {
        match fs::remove_file(path_of(uri)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(uri, "delete", e)),
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<ObjectInfo>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let path = entry.path();
        if ty.is_dir() {
            walk(&path, out)?;
        } else if !path.to_string_lossy().ends_with(TMP_SUFFIX) {
            out.push(ObjectInfo {
                uri: path.display().to_string(),
                size: entry.metadata()?.len(),
            });
        }
    }
    Ok(())
}

/// This host's name, reduced to characters that cannot be confused with the
/// separators of a temp file name.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "localhost".into());
        raw.trim()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    })
}

/// Best effort: a temp file of a killed run is garbage, but failing to remove it
/// must not fail the new write. Only exact temp siblings of `target` written by
/// a process of this host that no longer runs are removed.
fn remove_stale_temps(dir: &Path, target: &Path) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let Some(tag) = n
            .strip_prefix(&name)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|r| r.strip_suffix(TMP_SUFFIX))
        else {
            continue;
        };
        // `<host>-<pid>-<n>`; a dot means the temp belongs to another object.
        let mut parts = tag.rsplitn(3, '-');
        let (Some(_seq), Some(pid), Some(h)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let dead = pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        if !tag.contains('.') && h == host() && dead {
            let _ = fs::remove_file(e.path());
        }
    }
}

struct LocalWriter {
    uri: String,
    tmp: PathBuf,
    target: PathBuf,
    file: Option<BufWriter<File>>,
    bytes: u64,
}

impl Write for LocalWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.as_mut().expect("writer is open").write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("writer is open").flush()
    }
}

impl ObjectWriter for LocalWriter {
    fn commit(mut self: Box<Self>) -> Result<u64, StoreError> {
        let file = self.file.take().expect("writer is open");
        let file = file
            .into_inner()
            .map_err(|e| StoreError::io(&self.uri, "write", e.into_error()))?;
        file.sync_all()
            .map_err(|e| StoreError::io(&self.uri, "sync", e))?;
        // Not `StoreError::io`: a vanished temp file is an I/O failure, not a
        // missing object.
        fs::rename(&self.tmp, &self.target).map_err(|source| StoreError::Io {
            uri: self.uri.clone(),
            op: "rename",
            source,
        })?;
        Ok(self.bytes)
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_writes_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().join("a/b.bin").display().to_string();
        let mut w = LocalStore.create(&uri).unwrap();
        w.write_all(b"half").unwrap();
        drop(w);
        assert!(
            LocalStore
                .list(&dir.path().display().to_string())
                .unwrap()
                .is_empty()
        );

        let mut w = LocalStore.create(&uri).unwrap();
        w.write_all(b"whole").unwrap();
        assert_eq!(w.commit().unwrap(), 5);
        assert_eq!(LocalStore.get(&uri).unwrap(), b"whole");
    }

    #[test]
    fn stale_temps_of_a_killed_run_are_removed_on_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.idx");
        // pid 4194305 is above Linux's pid_max: never a live process.
        let stale = dir
            .path()
            .join(format!("x.idx.{}-4194305-0{TMP_SUFFIX}", host()));
        let live = dir.path().join(format!("x.idx.{}-1-0{TMP_SUFFIX}", host()));
        let other_host = dir
            .path()
            .join(format!("x.idx.elsewhere-4194305-0{TMP_SUFFIX}"));
        let other_object = dir
            .path()
            .join(format!("x.idx.bin.{}-4194305-0{TMP_SUFFIX}", host()));
        for p in [&stale, &live, &other_host, &other_object] {
            fs::write(p, b"temp").unwrap();
        }
        let w = LocalStore.create(&target.display().to_string()).unwrap();
        w.commit().unwrap();
        assert!(!stale.exists());
        assert!(live.exists(), "pid 1 is alive: its temp is in use");
        assert!(other_host.exists() && other_object.exists());
    }

    #[test]
    fn list_is_sorted_and_recursive() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["b/2", "a", "b/1"] {
            let path = dir.path().join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, b"x").unwrap();
        }
        let root = dir.path().display().to_string();
        let names: Vec<_> = LocalStore
            .list(&root)
            .unwrap()
            .into_iter()
            .map(|o| o.uri[root.len()..].to_string())
            .collect();
        assert_eq!(names, ["/a", "/b/1", "/b/2"]);
    }
}

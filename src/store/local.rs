//! Local disk and `file://` URIs.
//!
//! Writes go to a sibling temp file named `<final>.<pid>.shardwise-tmp` and are
//! renamed into place at commit, so a crash never leaves a half-written object
//! under its final name. Creating a writer first removes stale temp siblings of
//! the same object left by a killed earlier run.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

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
        let tmp = PathBuf::from(format!(
            "{}.{}{}",
            target.display(),
            std::process::id(),
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

/// Best effort: a temp file of a killed run is garbage, but failing to remove it
/// must not fail the new write.
fn remove_stale_temps(dir: &Path, target: &Path) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&format!("{name}.")) && n.ends_with(TMP_SUFFIX) {
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
        fs::rename(&self.tmp, &self.target).map_err(|e| StoreError::io(&self.uri, "rename", e))?;
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
        let stale = dir.path().join(format!("x.idx.99999{TMP_SUFFIX}"));
        fs::write(&stale, b"stale").unwrap();
        let w = LocalStore.create(&target.display().to_string()).unwrap();
        w.commit().unwrap();
        assert!(!stale.exists());
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

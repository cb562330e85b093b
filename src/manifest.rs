//! The shard list and its deterministic, size-balanced slicing across ranks.
//!
//! [`expand`] turns `[input]` (paths, globs, prefixes, a manifest file) into one
//! sorted, deduplicated list of [`Shard`]s; every rank computes the same list, so a
//! shard's index is the same everywhere. [`slice`] deals the list out to ranks,
//! by bytes when every size is known, else by count. [`output_prefixes`] names each
//! shard's output so that names never collide. Everything goes through the
//! [`Store`](crate::store::Store), so `s3://` works like a local directory.
//! This module decides *which* shards a rank reads; it must not read them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::Read;

use glob::{MatchOptions, Pattern};
use twox_hash::XxHash64;

use crate::error::{ConfigError, Error};
use crate::formats::shard_stem;
use crate::store::{self, Stores};

/// One input object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Position in the sorted, deduplicated full list (the same on every rank).
    pub index: u32,
    pub uri: String,
    /// Bytes, when known: listed and named objects have it, manifest lines do not.
    pub size: Option<u64>,
}

/// Builds the shard list of a job.
///
/// Each of `paths` is
/// - a glob (it contains `*`, `?` or `[`): the longest directory before the first
///   wildcard is listed through the store and every object is matched with shell
///   rules (`*` stays within one `/` segment, `**` crosses segments, a leading `.`
///   must be spelled out);
/// - an object (a file): taken as is, whatever its name;
/// - otherwise a prefix or directory, listed recursively.
///
/// Listing skips objects with a path segment below the listed directory that
/// starts with `.` or `_` (`_SUCCESS`, `_work/`, `.DS_Store`, Spark's `_temporary/`),
/// as these are markers and scratch, not data. A glob keeps such a segment when the
/// pattern spells out the leading `_` or `.` itself (`_part-*`).
///
/// `manifest` names a file with one URI a line, plain or gzip (Common Crawl's
/// `wet.paths.gz`); blank lines and `#` comments are skipped. Relative lines are
/// joined onto `base`, or used as written when there is no `base`. Lines are not
/// expanded or checked, so a 100k-line manifest costs one read, and their sizes are
/// unknown.
///
/// A path or manifest that yields nothing is an error naming it. The result is
/// sorted by URI and deduplicated (by URI as written).
pub fn expand(
    stores: &Stores,
    paths: &[String],
    manifest: Option<&str>,
    base: Option<&str>,
) -> Result<Vec<Shard>, Error> {
    expand_inner(stores, paths, manifest, base, false)
}

/// [`expand`] for presharded input, where a node may legitimately be given
/// nothing (more instances than objects): paths that match nothing are empty,
/// not errors.
pub fn expand_presharded(
    stores: &Stores,
    paths: &[String],
    manifest: Option<&str>,
    base: Option<&str>,
) -> Result<Vec<Shard>, Error> {
    expand_inner(stores, paths, manifest, base, true)
}

fn expand_inner(
    stores: &Stores,
    paths: &[String],
    manifest: Option<&str>,
    base: Option<&str>,
    allow_empty: bool,
) -> Result<Vec<Shard>, Error> {
    if paths.is_empty() && manifest.is_none() {
        return Err(config(
            "input: no `paths` and no `manifest`: nothing to read",
        ));
    }
    let mut found: Vec<(String, Option<u64>)> = Vec::new();
    for path in paths {
        let before = found.len();
        let skipped = if is_glob(path) {
            expand_glob(stores, path, &mut found)?
        } else {
            expand_path(stores, path, &mut found)?
        };
        if found.len() == before && !allow_empty {
            let why = if is_glob(path) {
                "matches no objects"
            } else {
                "is neither an object nor a non-empty prefix"
            };
            let hidden = match skipped {
                0 => String::new(),
                n => format!(" (skipped {n} names starting with `_` or `.`)"),
            };
            return Err(config(format!("input path `{path}` {why}{hidden}")));
        }
    }
    if let Some(m) = manifest {
        let before = found.len();
        read_manifest(stores, m, base, &mut found)?;
        if found.len() == before && !allow_empty {
            return Err(config(format!("manifest {m} lists no shards")));
        }
    }

    // Same URI twice (a path and a glob, or a manifest line): keep the known size.
    // Local paths are compared in a normal spelling (`./a//b` is `a/b`).
    for (uri, _) in &mut found {
        if !uri.contains("://") {
            *uri = normalize_local(uri);
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.is_some().cmp(&a.1.is_some())));
    found.dedup_by(|later, kept| later.0 == kept.0);
    if u32::try_from(found.len()).is_err() {
        return Err(config(format!(
            "input has {} shards; at most {} are supported",
            found.len(),
            u32::MAX
        )));
    }
    Ok(found
        .into_iter()
        .enumerate()
        .map(|(i, (uri, size))| Shard {
            index: i as u32,
            uri,
            size,
        })
        .collect())
}

/// Drops `.` segments and repeated slashes from a local path, so one file named
/// two ways is one shard.
fn normalize_local(path: &str) -> String {
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// An object, or a prefix listed recursively. Returns how many hidden names it skipped.
fn expand_path(
    stores: &Stores,
    path: &str,
    found: &mut Vec<(String, Option<u64>)>,
) -> Result<usize, Error> {
    let store = stores.for_uri(path)?;
    if !path.ends_with('/') && store.exists(path)? {
        found.push((path.to_string(), Some(store.size(path)?)));
        return Ok(0);
    }
    // The slash keeps `s3://b/cc` from also listing `s3://b/cc-old/`.
    let prefix = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let mut skipped = 0;
    for o in store.list(&prefix)? {
        let rel = o.uri.strip_prefix(path).unwrap_or(&o.uri);
        if segments(rel).any(is_hidden) {
            skipped += 1;
        } else {
            found.push((o.uri, Some(o.size)));
        }
    }
    Ok(skipped)
}

/// A glob: list its literal directory, keep what matches. Returns how many
/// matching-but-hidden names it skipped.
fn expand_glob(
    stores: &Stores,
    pattern: &str,
    found: &mut Vec<(String, Option<u64>)>,
) -> Result<usize, Error> {
    let compiled = Pattern::new(pattern)
        .map_err(|e| config(format!("input path `{pattern}`: invalid glob: {}", e.msg)))?;
    let options = MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let wildcard = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    let dir = pattern[..wildcard]
        .rfind('/')
        .map_or("", |i| &pattern[..=i]);
    // A bare `*.jsonl` is relative to the working directory, which lists as `./x`.
    let (listed, strip) = if dir.is_empty() {
        ("./", "./")
    } else {
        (dir, "")
    };
    let pattern_rel: Vec<&str> = segments(&pattern[dir.len()..]).collect();
    let store = stores.for_uri(listed)?;
    let mut skipped = 0;
    for o in store.list(listed)? {
        let uri = o.uri.strip_prefix(strip).unwrap_or(&o.uri);
        if !compiled.matches_with(uri, options) {
            continue;
        }
        let rel: Vec<&str> = segments(&uri[dir.len().min(uri.len())..]).collect();
        if hidden_in_glob(&pattern_rel, &rel) {
            skipped += 1;
        } else {
            found.push((uri.to_string(), Some(o.size)));
        }
    }
    Ok(skipped)
}

/// Whether a matched path has a `_`/`.` segment the pattern did not ask for.
fn hidden_in_glob(pattern: &[&str], matched: &[&str]) -> bool {
    let spelled = |p: &str, m: &str| p.starts_with(&m[..1]);
    if pattern.len() == matched.len() && !pattern.contains(&"**") {
        pattern
            .iter()
            .zip(matched)
            .any(|(p, m)| is_hidden(m) && !spelled(p, m))
    } else {
        // `**` spans segments: keep a hidden one only if some pattern segment asks.
        matched
            .iter()
            .any(|m| is_hidden(m) && !pattern.iter().any(|p| spelled(p, m)))
    }
}

fn segments(rel: &str) -> impl Iterator<Item = &str> {
    rel.split('/').filter(|s| !s.is_empty())
}

fn is_hidden(segment: &str) -> bool {
    segment.starts_with(['_', '.'])
}

/// One URI a line, gzip sniffed by its magic bytes (`1f 8b`), not its name.
fn read_manifest(
    stores: &Stores,
    manifest: &str,
    base: Option<&str>,
    found: &mut Vec<(String, Option<u64>)>,
) -> Result<(), Error> {
    let raw = stores.for_uri(manifest)?.get(manifest)?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| config(format!("manifest {manifest}: cannot decompress gzip: {e}")))?;
        text
    } else {
        String::from_utf8(raw).map_err(|e| {
            config(format!(
                "manifest {manifest}: not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let absolute = line.contains("://") || line.starts_with('/');
        let uri = match base {
            Some(base) if !absolute => store::join(base, line),
            _ => line.to_string(),
        };
        found.push((uri, None));
    }
    Ok(())
}

/// How [`slice`] balances a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// Every size is known: greedy by bytes.
    Bytes,
    /// Some size is unknown (manifest lines): round-robin by count.
    Count,
}

impl Balance {
    pub fn of(shards: &[Shard]) -> Self {
        if shards.iter().all(|s| s.size.is_some()) {
            Balance::Bytes
        } else {
            Balance::Count
        }
    }
}

/// The shard indices of each rank (`world_size` lists, each sorted by index).
///
/// Deterministic, and every shard is assigned exactly once. With every size known
/// ([`Balance::Bytes`]): largest shard first (equal sizes: smaller index first) onto
/// the rank with the smallest total so far (equal totals: smaller rank). Otherwise
/// round-robin in index order.
///
/// # Panics
/// If `world_size` is 0.
pub fn slice(shards: &[Shard], world_size: u32) -> Vec<Vec<u32>> {
    assert!(world_size >= 1, "world size must be at least 1");
    let world = world_size as usize;
    let mut out = vec![Vec::new(); world];
    match Balance::of(shards) {
        Balance::Count => {
            let mut order: Vec<u32> = shards.iter().map(|s| s.index).collect();
            order.sort_unstable();
            for (pos, index) in order.into_iter().enumerate() {
                out[pos % world].push(index);
            }
        }
        Balance::Bytes => {
            let mut order: Vec<(Reverse<u64>, u32)> = shards
                .iter()
                .map(|s| (Reverse(s.size.unwrap_or(0)), s.index))
                .collect();
            order.sort_unstable();
            let mut totals: BinaryHeap<Reverse<(u64, usize)>> =
                (0..world).map(|r| Reverse((0, r))).collect();
            for (Reverse(size), index) in order {
                let Reverse((total, rank)) = totals.pop().expect("world size is at least 1");
                out[rank].push(index);
                totals.push(Reverse((total.saturating_add(size), rank)));
            }
            for list in &mut out {
                list.sort_unstable();
            }
        }
    }
    out
}

/// The shards of `rank`, in index order.
///
/// # Panics
/// If `rank` is not below `world_size`.
pub fn for_rank(shards: &[Shard], rank: u32, world_size: u32) -> Vec<Shard> {
    assert!(
        rank < world_size,
        "rank {rank} is not below world size {world_size}"
    );
    let mine = slice(shards, world_size).swap_remove(rank as usize);
    shards
        .iter()
        .filter(|s| mine.binary_search(&s.index).is_ok())
        .cloned()
        .collect()
}

/// Bytes per rank of a [`slice`] (unknown sizes count as 0).
pub fn rank_bytes(shards: &[Shard], slices: &[Vec<u32>]) -> Vec<u64> {
    let size: HashMap<u32, u64> = shards
        .iter()
        .map(|s| (s.index, s.size.unwrap_or(0)))
        .collect();
    slices
        .iter()
        .map(|list| list.iter().map(|i| size.get(i).copied().unwrap_or(0)).sum())
        .collect()
}

/// Max over mean of per-rank loads (1.0 is perfect); `None` when all are 0.
pub fn skew(loads: &[u64]) -> Option<f64> {
    let total: u128 = loads.iter().map(|&l| u128::from(l)).sum();
    let max = loads.iter().copied().max()?;
    (total > 0).then(|| max as f64 * loads.len() as f64 / total as f64)
}

/// Each shard's output prefix, `tokens/<2 hex>/<stem>`, in the order of `all`
/// (for the list from [`expand`], by index).
///
/// The 2 hex digits are the top byte of the xxh64 (seed 0) of the shard's file
/// name, so outputs spread over 256 prefixes (S3 request rates are per prefix)
/// and the same shards give the same keys wherever they are read from. The stem is
/// [`shard_stem`]. Shards whose stems are equal, ignoring case (case-insensitive
/// local disks), all get `-<8 hex>` of the hash appended, so two prefixes never
/// collide; the result depends on the whole list, which every rank has.
pub fn output_prefixes(all: &[Shard]) -> Vec<String> {
    // The spreading directory comes from the file name alone, so the same shards
    // read from local disk or from a bucket land under the same keys.
    let dirs: Vec<u64> = all
        .iter()
        .map(|s| XxHash64::oneshot(0, crate::store::file_name(&s.uri).as_bytes()) >> 56)
        .collect();
    let hashes: Vec<u64> = all
        .iter()
        .map(|s| XxHash64::oneshot(0, s.uri.as_bytes()))
        .collect();
    let stems: Vec<String> = all.iter().map(|s| shard_stem(&s.uri)).collect();
    let mut stem_count: HashMap<String, usize> = HashMap::new();
    for stem in &stems {
        *stem_count.entry(stem.to_lowercase()).or_default() += 1;
    }
    let mut out: Vec<String> = stems
        .iter()
        .zip(hashes.iter().zip(&dirs))
        .map(|(stem, (h, dir))| {
            if stem_count[&stem.to_lowercase()] > 1 {
                format!("tokens/{dir:02x}/{stem}-{:08x}", h & 0xffff_ffff)
            } else {
                format!("tokens/{dir:02x}/{stem}")
            }
        })
        .collect();
    // Belt and braces for the astronomically unlikely: a suffixed name equal to
    // another stem, or two URIs with equal hashes. The shard index is unique.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for p in &out {
        *seen.entry(p.to_lowercase()).or_default() += 1;
    }
    for (p, s) in out.iter_mut().zip(all) {
        if seen[&p.to_lowercase()] > 1 {
            p.push_str(&format!("-{}", s.index));
        }
    }
    out
}

/// The output prefix of one shard of `all`; see [`output_prefixes`], which this
/// calls (O(n)): use that one for many shards.
pub fn output_prefix(shard: &Shard, all: &[Shard]) -> String {
    match all.iter().position(|s| s.uri == shard.uri) {
        Some(pos) => output_prefixes(all).swap_remove(pos),
        None => {
            let mut with = all.to_vec();
            with.push(shard.clone());
            output_prefixes(&with).pop().expect("one shard was pushed")
        }
    }
}

fn config(msg: impl Into<String>) -> Error {
    ConfigError::msg(msg).into()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use super::*;

    /// Creates files (with `len` bytes each) under `root`; returns `root` as a string.
    fn files(root: &Path, names: &[(&str, usize)]) -> String {
        for (name, len) in names {
            let p = root.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, vec![b'x'; *len]).unwrap();
        }
        root.display().to_string()
    }

    fn rels(root: &str, shards: &[Shard]) -> Vec<String> {
        shards
            .iter()
            .map(|s| s.uri.strip_prefix(root).unwrap_or(&s.uri).to_string())
            .collect()
    }

    fn expand_paths(paths: &[String]) -> Result<Vec<Shard>, Error> {
        expand(&Stores::new(), paths, None, None)
    }

    fn shard(index: u32, uri: &str, size: Option<u64>) -> Shard {
        Shard {
            index,
            uri: uri.into(),
            size,
        }
    }

    fn sample(dir: &Path) -> String {
        files(
            dir,
            &[
                ("b.jsonl", 2),
                ("a.jsonl", 1),
                ("c.txt", 3),
                ("sub/d.jsonl", 4),
                ("_SUCCESS", 0),
                (".hidden.jsonl", 5),
                ("_work/x.jsonl", 6),
                ("_part-0.jsonl", 7),
                ("markers/_SUCCESS", 0),
            ],
        )
    }

    #[test]
    fn globs_match_one_segment_with_shell_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = sample(dir.path());
        let got = expand_paths(&[format!("{root}/*.jsonl")]).unwrap();
        assert_eq!(rels(&root, &got), ["/a.jsonl", "/b.jsonl"]);
        assert_eq!(got[0].size, Some(1));
        assert_eq!((got[0].index, got[1].index), (0, 1));

        let got = expand_paths(&[format!("{root}/**/*.jsonl")]).unwrap();
        assert_eq!(rels(&root, &got), ["/a.jsonl", "/b.jsonl", "/sub/d.jsonl"]);

        let got = expand_paths(&[format!("{root}/[bc].*")]).unwrap();
        assert_eq!(rels(&root, &got), ["/b.jsonl", "/c.txt"]);

        // Spelling out the `_` asks for it.
        let got = expand_paths(&[format!("{root}/_part-?.jsonl")]).unwrap();
        assert_eq!(rels(&root, &got), ["/_part-0.jsonl"]);
    }

    #[test]
    fn globs_work_on_file_uris() {
        let dir = tempfile::tempdir().unwrap();
        let root = sample(dir.path());
        let got = expand_paths(&[format!("file://{root}/s*/*.jsonl")]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].uri, format!("file://{root}/sub/d.jsonl"));
    }

    #[test]
    fn prefixes_list_recursively_and_skip_markers() {
        let dir = tempfile::tempdir().unwrap();
        let root = sample(dir.path());
        let want = ["/a.jsonl", "/b.jsonl", "/c.txt", "/sub/d.jsonl"];
        let got = expand_paths(std::slice::from_ref(&root)).unwrap();
        assert_eq!(rels(&root, &got), want);
        assert_eq!(got[3].size, Some(4));
        // Regression: a trailing slash once glued the directory onto the names.
        let got = expand_paths(&[format!("{root}/")]).unwrap();
        assert_eq!(rels(&root, &got), want);
        // A named object is taken whatever its name.
        let got = expand_paths(&[format!("{root}/_SUCCESS")]).unwrap();
        assert_eq!(rels(&root, &got), ["/_SUCCESS"]);
        assert_eq!(got[0].size, Some(0));
    }

    #[test]
    fn the_list_is_sorted_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        let root = sample(dir.path());
        let manifest = dir.path().join("m.txt");
        std::fs::write(&manifest, format!("{root}/b.jsonl\n{root}/zz.jsonl\n")).unwrap();
        let got = expand(
            &Stores::new(),
            &[
                format!("{root}/sub"),
                format!("{root}/*.jsonl"),
                format!("{root}/a.jsonl"),
            ],
            Some(&manifest.display().to_string()),
            None,
        )
        .unwrap();
        assert_eq!(
            rels(&root, &got),
            ["/a.jsonl", "/b.jsonl", "/sub/d.jsonl", "/zz.jsonl"]
        );
        let indices: Vec<u32> = got.iter().map(|s| s.index).collect();
        assert_eq!(indices, [0, 1, 2, 3]);
        // Listed with a size and named by the manifest: the size is kept.
        assert_eq!(got[1].size, Some(2));
        assert_eq!(got[3].size, None);
    }

    #[test]
    fn manifests_plain_and_gzip_join_relative_lines_onto_base() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# Common Crawl style\r\n\
                    crawl-data/CC-MAIN-1/a.warc.wet.gz\r\n\
                    \r\n\
                    /crawl-data/CC-MAIN-1/b.warc.wet.gz\n\
                    s3://other/c.warc.wet.gz\n";
        let plain = dir.path().join("wet.paths");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("wet.paths.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        // The name says nothing: a gzip manifest without `.gz` is still sniffed.
        let gz_unnamed = dir.path().join("paths.lst");
        std::fs::copy(&gz, &gz_unnamed).unwrap();

        for m in [&plain, &gz, &gz_unnamed] {
            let got = expand(
                &Stores::new(),
                &[],
                Some(&m.display().to_string()),
                Some("s3://commoncrawl/"),
            )
            .unwrap();
            let uris: Vec<&str> = got.iter().map(|s| s.uri.as_str()).collect();
            assert_eq!(
                uris,
                [
                    "/crawl-data/CC-MAIN-1/b.warc.wet.gz",
                    "s3://commoncrawl/crawl-data/CC-MAIN-1/a.warc.wet.gz",
                    "s3://other/c.warc.wet.gz",
                ],
                "{}",
                m.display()
            );
            assert!(got.iter().all(|s| s.size.is_none()));
        }

        // Without a base, relative lines stay as written.
        let got = expand(
            &Stores::new(),
            &[],
            Some(&plain.display().to_string()),
            None,
        )
        .unwrap();
        assert_eq!(got[0].uri, "/crawl-data/CC-MAIN-1/b.warc.wet.gz");
        assert_eq!(got[1].uri, "crawl-data/CC-MAIN-1/a.warc.wet.gz");
    }

    #[test]
    fn inputs_that_match_nothing_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = sample(dir.path());
        let err = |paths: &[String], manifest: Option<&str>| {
            let e = expand(&Stores::new(), paths, manifest, None).unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{e:?}");
            e.to_string()
        };
        let e = err(&[format!("{root}/*.parquet")], None);
        assert_eq!(
            e,
            format!("input path `{root}/*.parquet` matches no objects")
        );
        let e = err(&[root.clone(), format!("{root}/missing.jsonl")], None);
        assert!(
            e.contains(&format!("`{root}/missing.jsonl` is neither an object")),
            "{e}"
        );
        // Naming a `_` directory asks for what is inside.
        assert_eq!(expand_paths(&[format!("{root}/_work")]).unwrap().len(), 1);
        let e = err(&[format!("{root}/markers")], None);
        assert!(
            e.contains("skipped 1 names starting with `_` or `.`"),
            "{e}"
        );
        let e = err(&[format!("{root}/[.jsonl")], None);
        assert!(e.contains("invalid glob"), "{e}");

        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "# nothing\n\n").unwrap();
        let empty = empty.display().to_string();
        let e = err(&[], Some(&empty));
        assert_eq!(e, format!("manifest {empty} lists no shards"));
        let e = err(&[], None);
        assert!(e.contains("nothing to read"), "{e}");

        let missing = format!("{root}/nope.paths.gz");
        let e = expand(&Stores::new(), &[], Some(&missing), None).unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{e:?}");
        assert!(e.to_string().contains("nope.paths.gz"), "{e}");
    }

    #[test]
    fn one_file_named_two_ways_is_one_shard() {
        assert_eq!(normalize_local("./data//a.jsonl"), "data/a.jsonl");
        assert_eq!(normalize_local("/x/./y"), "/x/y");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jsonl"), "{}").unwrap();
        let root = dir.path().display().to_string();
        let paths = vec![
            format!("{root}/a.jsonl"),
            format!("{root}/./a.jsonl"),
            format!("{root}//*.jsonl"),
        ];
        let shards = expand(&Stores::new(), &paths, None, None).unwrap();
        assert_eq!(shards.len(), 1, "{shards:?}");
    }

    #[test]
    fn slicing_by_bytes_is_greedy_largest_first() {
        let sizes = [10, 1, 7, 7, 3, 2];
        let shards: Vec<Shard> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| shard(i as u32, &format!("s{i}"), Some(s)))
            .collect();
        // 10 → r0; 7 (index 2) → r1; 7 (index 3) → r2; 3 → r1 (tied with r2 at 7,
        // smaller rank wins); 2 → r2 (7 < 10); 1 → r2 (9 < 10).
        assert_eq!(slice(&shards, 3), [vec![0], vec![2, 4], vec![1, 3, 5]]);
        assert_eq!(Balance::of(&shards), Balance::Bytes);
        assert_eq!(rank_bytes(&shards, &slice(&shards, 3)), [10, 10, 10]);
        assert_eq!(skew(&[10, 10, 10]), Some(1.0));
        let mine = for_rank(&shards, 1, 3);
        assert_eq!(mine, [shards[2].clone(), shards[4].clone()]);
    }

    #[test]
    fn slicing_without_all_sizes_is_round_robin() {
        let mut shards: Vec<Shard> = (0..7)
            .map(|i| shard(i, &format!("s{i}"), Some(100 * u64::from(i))))
            .collect();
        shards[3].size = None;
        assert_eq!(Balance::of(&shards), Balance::Count);
        assert_eq!(slice(&shards, 3), [vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
        assert_eq!(
            slice(&shards, 10).iter().filter(|l| l.is_empty()).count(),
            3
        );
        assert_eq!(slice(&[], 4), vec![Vec::<u32>::new(); 4]);
        assert_eq!(skew(&[0, 0]), None);
    }

    #[test]
    fn the_same_shard_read_from_disk_or_a_bucket_gets_the_same_prefix() {
        let local = output_prefixes(&[shard(0, "data/in/CC-MAIN-7.warc.wet.gz", None)]);
        let s3 = output_prefixes(&[shard(0, "s3://b/in/CC-MAIN-7.warc.wet.gz", None)]);
        assert_eq!(local, s3);
    }

    #[test]
    fn output_prefixes_spread_by_hash_and_never_collide() {
        let all = vec![
            shard(0, "s3://b/2024/CC-MAIN-1.warc.wet.gz", None),
            shard(1, "s3://b/2025/CC-MAIN-1.warc.wet.gz", None),
            shard(2, "s3://b/2025/cc-main-1.jsonl", None),
            shard(3, "s3://b/2025/other.parquet", None),
        ];
        let prefixes = output_prefixes(&all);
        let h = |uri: &str| XxHash64::oneshot(0, uri.as_bytes());
        let dir = |uri: &str| h(crate::store::file_name(uri)) >> 56;
        for (p, s) in prefixes.iter().zip(&all) {
            let hash = h(&s.uri);
            assert!(
                p.starts_with(&format!("tokens/{:02x}/", dir(&s.uri))),
                "{p}"
            );
            if s.index < 3 {
                assert!(p.ends_with(&format!("-{:08x}", hash & 0xffff_ffff)), "{p}");
            }
        }
        assert_eq!(
            prefixes[3],
            format!("tokens/{:02x}/other", dir("s3://b/2025/other.parquet"))
        );
        let lower: std::collections::HashSet<String> =
            prefixes.iter().map(|p| p.to_lowercase()).collect();
        assert_eq!(lower.len(), prefixes.len());
        assert_eq!(output_prefix(&all[1], &all), prefixes[1]);
        // Alone, a shard keeps its plain stem.
        let alone = output_prefix(&all[0], &all[..1]);
        assert!(alone.ends_with("/CC-MAIN-1"), "{alone}");
    }
}

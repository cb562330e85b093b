//! WET/WARC reading matches warcio on the shared real files, and damage in real
//! files is contained: no panics, every problem names the file and a byte offset.
//!
//! warcio's side is `tests/warcio_reference.py`. WET must match exactly: the same
//! conversion records in the same order, with the same id, url, date, language
//! and text. WARC files are compared on what shardwise reads from them in `warc`
//! format (`text/plain` resources and responses).

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{Array, StringArray};
use serde_json::Value;
use shardwise::error::InputError;
use shardwise::formats::{self, Format, ReadOptions};
use shardwise::store::LocalStore;

use crate::util;

/// One document as both sides see it.
#[derive(Debug, Clone, PartialEq)]
struct Doc {
    id: Option<String>,
    url: Option<String>,
    date: Option<String>,
    language: Option<String>,
    text: String,
}

/// What warcio read from one file.
#[derive(Debug, Default)]
struct Reference {
    docs: Vec<Doc>,
    /// Ids of records whose body is not UTF-8, with the first bad byte.
    not_utf8: Vec<(String, u64)>,
    /// warcio stopped with this error (records before it are still listed).
    error: Option<String>,
}

/// Files in a shared data directory, sorted; `None` skips the test.
fn shared_files(dir: &str) -> Option<Vec<PathBuf>> {
    let dir = util::shared(dir)?;
    let pattern = format!("{}/*", glob::Pattern::escape(&dir.display().to_string()));
    let mut files: Vec<PathBuf> = glob::glob(&pattern)
        .expect("valid glob")
        .map(|p| p.expect("readable directory entry"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no files", dir.display());
    Some(files)
}

fn warcio(py: &str, files: &[PathBuf], warc: bool) -> BTreeMap<String, Reference> {
    let script = util::repo().join("tests/warcio_reference.py");
    let mut cmd = Command::new(py);
    cmd.arg(&script);
    if warc {
        cmd.arg("--warc");
    }
    let out = cmd.args(files).output().expect("python runs");
    assert!(
        out.status.success(),
        "warcio_reference.py failed:\n{}",
        util::text(&out)
    );
    let mut refs: BTreeMap<String, Reference> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("UTF-8 output").lines() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}"));
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let r = refs.entry(s("file").expect("file")).or_default();
        if let Some(e) = s("error") {
            r.error = Some(e);
        } else if v.get("count").is_some() {
            let n = v["count"].as_u64().unwrap() as usize;
            assert_eq!(n, r.docs.len() + r.not_utf8.len(), "count line of {line}");
        } else if let Some(at) = v["utf8_error_at"].as_u64() {
            r.not_utf8.push((s("id").unwrap_or_default(), at));
        } else {
            r.docs.push(Doc {
                id: s("id"),
                url: s("url"),
                date: s("date"),
                language: s("language"),
                text: s("text").expect("text"),
            });
        }
    }
    refs
}

fn strings(b: &arrow::array::RecordBatch, name: &str) -> Vec<Option<String>> {
    let col = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let col = col
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("string column");
    (0..col.len())
        .map(|i| col.is_valid(i).then(|| col.value(i).to_string()))
        .collect()
}

/// Reads a whole file with shardwise; a panic is re-raised naming the file.
fn read(path: &Path, format: Format) -> (Vec<Doc>, Vec<InputError>) {
    let uri = path.to_str().expect("UTF-8 path");
    let run = || {
        let options = ReadOptions {
            format,
            ..Default::default()
        };
        let mut reader =
            formats::open(&LocalStore, uri, 0, &options).unwrap_or_else(|e| panic!("open: {e}"));
        let mut docs = Vec::new();
        let mut issues = Vec::new();
        loop {
            let batch = reader.next_batch();
            issues.extend(reader.take_issues());
            let Some(b) = batch.unwrap_or_else(|e| panic!("shard ended early: {e}")) else {
                break;
            };
            let ids = strings(&b, "id");
            let urls = strings(&b, "url");
            let dates = strings(&b, "date");
            let langs = strings(&b, "language");
            let texts = strings(&b, "text");
            for i in 0..b.num_rows() {
                docs.push(Doc {
                    id: ids[i].clone(),
                    url: urls[i].clone(),
                    date: dates[i].clone(),
                    language: langs[i].clone(),
                    text: texts[i].clone().expect("text is never null"),
                });
            }
        }
        (docs, issues)
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(r) => r,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("reading {} as {format:?} panicked: {msg}", path.display())
        }
    }
}

/// Every issue names the file and a byte offset.
fn assert_issues_located(path: &Path, issues: &[InputError]) {
    let uri = path.to_str().unwrap();
    for i in issues {
        let msg = i.to_string();
        assert_eq!(i.shard, uri, "issue names another shard: {msg}");
        // `byte N` (plain, or `(decompressed)` in a record) or `compressed byte N`
        // (a gzip member).
        let loc = i
            .location
            .strip_prefix("compressed ")
            .unwrap_or(&i.location);
        let offset = loc
            .strip_prefix("byte ")
            .map(|r| r.split(' ').next().unwrap_or(""));
        assert!(
            offset.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
            "issue has no byte offset: {msg}"
        );
        assert!(
            msg.starts_with(&format!("shard {uri}: byte "))
                || msg.starts_with(&format!("shard {uri}: compressed byte ")),
            "{msg}"
        );
    }
}

/// Where two texts first differ, readably.
fn text_diff(ours: &str, theirs: &str) -> String {
    let at = ours
        .char_indices()
        .zip(theirs.chars())
        .find(|((_, a), b)| a != b)
        .map_or(ours.len().min(theirs.len()), |((i, _), _)| i);
    let show = |s: &str| {
        let mut from = at.saturating_sub(40).min(s.len());
        while !s.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (at + 40).min(s.len());
        while !s.is_char_boundary(to) {
            to += 1;
        }
        format!("{:?}", &s[from..to])
    };
    format!(
        "texts differ at byte {at} (lengths {} vs {}):\n  shardwise: {}\n  warcio:    {}",
        ours.len(),
        theirs.len(),
        show(ours),
        show(theirs)
    )
}

/// Compares one file; returns the number of records compared.
fn compare(path: &Path, reference: &Reference, ours: &[Doc], issues: &[InputError]) -> usize {
    let name = path.display();
    if reference.error.is_none() {
        assert_eq!(
            ours.len(),
            reference.docs.len(),
            "{name}: record count differs\n  shardwise ids: {:?}\n  warcio ids:    {:?}",
            ours.iter().map(|d| &d.id).collect::<Vec<_>>(),
            reference.docs.iter().map(|d| &d.id).collect::<Vec<_>>()
        );
    }
    // When warcio gave up part way, what it did read must come first in ours.
    for (i, (a, b)) in ours.iter().zip(&reference.docs).enumerate() {
        let what = format!("{name}: record {i} ({:?})", b.id);
        assert_eq!(a.id, b.id, "{what}: id");
        assert_eq!(a.url, b.url, "{what}: url");
        assert_eq!(a.date, b.date, "{what}: date");
        assert_eq!(a.language, b.language, "{what}: language");
        assert!(a.text == b.text, "{what}: {}", text_diff(&a.text, &b.text));
    }
    for (id, _) in &reference.not_utf8 {
        assert!(
            issues
                .iter()
                .any(|i| i.cause.contains(id.as_str()) && i.cause.contains("not valid UTF-8")),
            "{name}: record {id} is not UTF-8 but no issue says so: {issues:?}"
        );
    }
    reference.docs.len().min(ours.len())
}

#[test]
fn wet_files_match_warcio() {
    let Some(files) = shared_files("data/wet") else {
        return;
    };
    let Some(py) = util::python_with(&["warcio"]) else {
        return;
    };
    let refs = warcio(&py, &files, false);
    let (mut records, mut conversions) = (0, 0);
    for path in &files {
        let reference = &refs[path.to_str().unwrap()];
        assert!(
            reference.error.is_none(),
            "warcio cannot read {}: {:?}",
            path.display(),
            reference.error
        );
        let (docs, issues) = read(path, Format::Wet);
        assert!(issues.is_empty(), "{}: {issues:#?}", path.display());
        records += compare(path, reference, &docs, &issues);
        conversions += reference.docs.len();
    }
    let wet = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".wet.gz"))
        .count();
    assert!(
        wet > 0 && conversions > 0,
        "no WET conversion records were compared"
    );
    eprintln!(
        "wet parity: {} files, {records} conversion records identical to warcio",
        files.len()
    );
}

#[test]
fn warc_files_match_warcio_on_text_records() {
    let mut files = Vec::new();
    for dir in ["data/warc", "data/warc-edge", "data/warc-more"] {
        let Some(found) = shared_files(dir) else {
            return;
        };
        files.extend(found);
    }
    let Some(py) = util::python_with(&["warcio"]) else {
        return;
    };
    let text_refs = warcio(&py, &files, true);
    let wet_refs = warcio(&py, &files, false);
    let (mut records, mut unreadable) = (0, Vec::new());
    for path in &files {
        let key = path.to_str().unwrap();
        if text_refs[key].error.is_some() {
            unreadable.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
        let (docs, issues) = read(path, Format::Warc);
        records += compare(path, &text_refs[key], &docs, &issues);
        // As WET the same files hold no conversion records: nothing, like warcio.
        let (docs, issues) = read(path, Format::Wet);
        compare(path, &wet_refs[key], &docs, &issues);
    }
    assert!(records > 0, "no WARC text records were compared");
    eprintln!(
        "warc parity: {} files, {records} text/plain resource and response records identical to warcio; \
         warcio cannot read {unreadable:?}",
        files.len()
    );
}

#[test]
fn real_files_never_panic_and_every_issue_names_file_and_byte() {
    let mut files = Vec::new();
    for dir in ["data/wet", "data/warc", "data/warc-edge", "data/warc-more"] {
        let Some(found) = shared_files(dir) else {
            return;
        };
        files.extend(found);
    }
    for path in &files {
        for format in [Format::Wet, Format::Warc] {
            let (_, issues) = read(path, format);
            assert_issues_located(path, &issues);
            for i in &issues {
                eprintln!("{format:?}: {i}");
            }
        }
    }
}

#[test]
fn damaged_copies_of_real_files_are_contained() {
    let mut files = Vec::new();
    for dir in ["data/wet", "data/warc", "data/warc-edge", "data/warc-more"] {
        let Some(found) = shared_files(dir) else {
            return;
        };
        files.extend(found);
    }
    let tmp = tempfile::tempdir().unwrap();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let (whole, _) = read(path, Format::Warc);
        let name = path.file_name().unwrap().to_string_lossy();
        let n = bytes.len();
        let mut copies: Vec<(String, Vec<u8>)> = Vec::new();
        for cut in [n / 3, n / 2, n - n / 10] {
            copies.push((format!("cut{cut}-{name}"), bytes[..cut].to_vec()));
        }
        for at in [n / 4, n / 2, 3 * n / 4] {
            let mut b = bytes.clone();
            for x in &mut b[at..(at + 64).min(n)] {
                *x ^= 0x5a;
            }
            copies.push((format!("flip{at}-{name}"), b));
        }
        for (copy, b) in copies {
            let p = tmp.path().join(copy);
            std::fs::write(&p, b).unwrap();
            for format in [Format::Wet, Format::Warc] {
                let (docs, issues) = read(&p, format);
                assert_issues_located(&p, &issues);
                if format == Format::Warc {
                    // Damage never adds documents beyond what the intact file has
                    // (a flipped byte may, at worst, alter one).
                    assert!(
                        docs.len() <= whole.len(),
                        "{}: {} > {}",
                        p.display(),
                        docs.len(),
                        whole.len()
                    );
                }
            }
        }
    }
}

/// One WET record; `eol` is the header line ending.
fn wet_record(eol: &str, version: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{version}{eol}");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}{eol}"));
    }
    r.push_str(&format!("Content-Length: {}{eol}{eol}", body.len()));
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r.extend_from_slice(format!("{eol}{eol}").as_bytes());
    r
}

fn conversion_headers(n: usize, lang: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("WARC-Type", "conversion".to_string()),
        (
            "WARC-Target-URI",
            format!("https://example.org/page/{n}?q=ü"),
        ),
        ("WARC-Date", format!("2024-05-18T01:{:02}:10Z", n % 60)),
        (
            "WARC-Record-ID",
            format!("<urn:uuid:00000000-0000-0000-0000-{n:012}>"),
        ),
        (
            "WARC-Refers-To",
            format!("<urn:uuid:10000000-0000-0000-0000-{n:012}>"),
        ),
        (
            "WARC-Block-Digest",
            "sha1:RDTSR52RUHWDA7QK4BK7OUHU3EXTXYUL".to_string(),
        ),
        ("Content-Type", "text/plain".to_string()),
    ];
    if let Some(lang) = lang {
        h.push(("WARC-Identified-Content-Language", lang.to_string()));
    }
    h
}

/// Records that exercise the parser's tolerance, built around the real WET text.
fn generated_wet(real: &str) -> Vec<Vec<u8>> {
    let lines: Vec<&str> = real.split_inclusive('\n').collect();
    let chunks: Vec<String> = lines
        .chunks(lines.len().div_ceil(6))
        .map(|c| c.concat())
        .collect();
    let mut records = vec![wet_record(
        "\r\n",
        "WARC/1.0",
        &[
            ("WARC-Type", "warcinfo".into()),
            ("Content-Type", "application/warc-fields".into()),
        ],
        b"software: shardwise tests\r\n",
    )];
    for (i, chunk) in chunks.iter().enumerate() {
        let eol = if i % 2 == 0 { "\r\n" } else { "\n" };
        let version = if i % 3 == 0 { "WARC/1.1" } else { "WARC/1.0" };
        let lang = ["spa", "eng,spa", "zho"].get(i % 4).copied();
        let mut headers = conversion_headers(i, lang);
        if i % 2 == 1 {
            // Header names are case-insensitive.
            headers[0].0 = "warc-type";
            headers[3].0 = "WARC-RECORD-ID";
        }
        records.push(wet_record(eol, version, &headers, chunk.as_bytes()));
    }
    let n = chunks.len();
    let special: [&[u8]; 4] = [
        b"",
        "多言語テキスト 😀 — ñandú\r\nwith CRLF inside\r\n".as_bytes(),
        b"ends without a newline",
        b"valid start \xe2\x82 then a broken sequence",
    ];
    for (j, body) in special.iter().enumerate() {
        records.push(wet_record(
            "\r\n",
            "WARC/1.0",
            &conversion_headers(n + j, Some("jpn")),
            body,
        ));
    }
    records.push(wet_record(
        "\r\n",
        "WARC/1.0",
        &[
            ("WARC-Type", "metadata".into()),
            ("Content-Type", "application/warc-fields".into()),
        ],
        b"languages-cld2: {}\r\n",
    ));
    // Extra blank lines between records.
    records.push(b"\r\n\r\n".to_vec());
    records.push(wet_record(
        "\r\n",
        "WARC/1.0",
        &conversion_headers(n + 9, None),
        b"last record",
    ));
    records
}

#[test]
fn generated_wet_edge_cases_match_warcio() {
    let Some(real) = util::shared("data/wet/cc-main-2024-22-whirlwind.warc.wet.gz") else {
        return;
    };
    let Some(py) = util::python_with(&["warcio"]) else {
        return;
    };
    let (docs, _) = read(&real, Format::Wet);
    let records = generated_wet(&docs[0].text);
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("generated.warc.wet");
    std::fs::write(&plain, records.concat()).unwrap();
    let gzipped = tmp.path().join("generated.warc.wet.gz");
    let members: Vec<u8> = records
        .iter()
        .flat_map(|r| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(r).unwrap();
            e.finish().unwrap()
        })
        .collect();
    std::fs::write(&gzipped, members).unwrap();

    let files = [plain, gzipped];
    let refs = warcio(&py, &files, false);
    let mut compared = 0;
    for path in &files {
        let reference = &refs[path.to_str().unwrap()];
        assert!(reference.error.is_none(), "{reference:?}");
        assert_eq!(
            reference.not_utf8.len(),
            1,
            "the broken record is seen by warcio"
        );
        let (docs, issues) = read(path, Format::Wet);
        assert_issues_located(path, &issues);
        assert_eq!(
            issues.len(),
            1,
            "only the invalid UTF-8 record is reported: {issues:#?}"
        );
        compared += compare(path, reference, &docs, &issues);
    }
    eprintln!("generated wet parity: {compared} conversion records identical to warcio");
}

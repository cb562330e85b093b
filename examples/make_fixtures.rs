//! Writes the project's own sample shards to `examples/data/`: three Common
//! Crawl-style WET files (one gzip member per record) and a Pile-style
//! `.jsonl.zst`, filled with deterministic synthetic English-like text. The
//! quickstart pipeline and the default test suite read these, so a fresh clone
//! needs no downloaded data.
//!
//! Run: `cargo run --example make_fixtures` (then `shardwise tokenizer train`, see
//! examples/README.md). The output is byte-identical on every run.

use std::io::Write;
use std::path::Path;

const WORDS: &str = "the of and to in a is that for it as was with be by on not he i this are or his from at which \
but have an they you were her she there been one all we their has would when if so no will more can out up \
about into them some could time these two may then do first any my now such like our over man me even most \
made after also did many before must through back years where much your way well down should because each \
just those people how too little state good very make world still own see men work long get here between \
both life being under never day same another know while last might us great old year off come since against \
go came right used take three river city garden bridge harvest winter summer market village library museum \
engine signal weather station letter window history science music theatre doctor teacher student farmer \
forest mountain island harbour railway council school church castle valley meadow candle lantern kettle \
copper silver timber granite marble velvet cotton linen wool paper ink pencil chalk slate clay brick stone";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: small, deterministic, good enough for fixtures.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sentence(rng: &mut Rng, words: &[&str]) -> String {
    let n = 5 + rng.below(14) as usize;
    let mut s = String::new();
    for i in 0..n {
        let w = words[rng.below(words.len() as u64) as usize];
        if i == 0 {
            let mut c = w.chars();
            let first = c.next().unwrap().to_uppercase().collect::<String>();
            s.push_str(&first);
            s.push_str(c.as_str());
        } else {
            s.push(' ');
            s.push_str(w);
        }
        if i + 1 < n && rng.below(12) == 0 {
            s.push(',');
        }
    }
    s.push(match rng.below(10) {
        0 => '?',
        1 => '!',
        _ => '.',
    });
    s
}

/// A document: mostly prose; some are too short to keep, some carry non-ASCII text.
fn document(rng: &mut Rng, words: &[&str]) -> String {
    if rng.below(8) == 0 {
        // Short boilerplate that the length filter removes.
        return [
            "Home | About | Contact",
            "Click here to subscribe.",
            "404 not found",
            "Menu",
        ][rng.below(4) as usize]
            .to_string();
    }
    let paragraphs = 1 + rng.below(6);
    let mut out = Vec::new();
    for _ in 0..paragraphs {
        let sentences = 1 + rng.below(6);
        let p: Vec<String> = (0..sentences).map(|_| sentence(rng, words)).collect();
        out.push(p.join(" "));
    }
    if rng.below(10) == 0 {
        out.push("Café crème, naïve façade — 東京の天気は晴れです。 Ελληνικά κείμενα.".to_string());
    }
    out.join("\n")
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "<urn:uuid:{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}>",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

fn gz_member(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(bytes).unwrap();
    out.extend(e.finish().unwrap());
}

fn warc_record(headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut r = b"WARC/1.0\r\n".to_vec();
    for (k, v) in headers {
        r.extend(format!("{k}: {v}\r\n").bytes());
    }
    r.extend(format!("Content-Length: {}\r\n\r\n", body.len()).bytes());
    r.extend(body);
    r.extend(b"\r\n\r\n");
    r
}

fn wet_file(path: &Path, seed: u64, docs: usize, words: &[&str]) {
    let mut rng = Rng(seed);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut out = Vec::new();
    let info = format!(
        "software: shardwise make_fixtures\r\nformat: WARC File Format 1.0\r\ndescription: synthetic sample for {name}\r\n"
    );
    gz_member(
        &mut out,
        &warc_record(
            &[
                ("WARC-Type", "warcinfo".into()),
                ("WARC-Date", "2024-05-20T00:00:00Z".into()),
                ("WARC-Filename", name.clone()),
                ("WARC-Record-ID", uuid(&mut rng)),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
        ),
    );
    let hosts = [
        "example.org",
        "news.example.com",
        "blog.example.net",
        "shop.example.io",
    ];
    for i in 0..docs {
        let text = document(&mut rng, words);
        let host = hosts[rng.below(hosts.len() as u64) as usize];
        let path = if rng.below(9) == 0 {
            format!("tag/topic-{i}")
        } else {
            format!("articles/{seed}-{i}.html")
        };
        let lang = if text.contains('東') {
            "eng,jpn"
        } else {
            "eng"
        };
        gz_member(
            &mut out,
            &warc_record(
                &[
                    ("WARC-Type", "conversion".into()),
                    ("WARC-Target-URI", format!("https://{host}/{path}")),
                    (
                        "WARC-Date",
                        format!(
                            "2024-05-{:02}T{:02}:{:02}:00Z",
                            18 + i % 10,
                            i % 24,
                            (i * 7) % 60
                        ),
                    ),
                    ("WARC-Record-ID", uuid(&mut rng)),
                    ("WARC-Refers-To", uuid(&mut rng)),
                    ("WARC-Identified-Content-Language", lang.into()),
                    ("Content-Type", "text/plain".into()),
                ],
                text.as_bytes(),
            ),
        );
    }
    std::fs::write(path, out).unwrap();
}

fn jsonl_zst(path: &Path, seed: u64, docs: usize, words: &[&str]) {
    let mut rng = Rng(seed);
    let sets = ["Books3", "Wikipedia (en)", "Pile-CC", "StackExchange"];
    let mut lines = String::new();
    for _ in 0..docs {
        let text = document(&mut rng, words);
        let set = sets[rng.below(sets.len() as u64) as usize];
        let line = serde_json::json!({"text": text, "meta": {"pile_set_name": set}});
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let z = zstd::encode_all(lines.as_bytes(), 19).unwrap();
    std::fs::write(path, z).unwrap();
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    std::fs::create_dir_all(&dir).unwrap();
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    for (i, n) in [(0u64, 150usize), (1, 120), (2, 90)] {
        let name = format!("CC-SAMPLE-2024-22-{i:05}.warc.wet.gz");
        wet_file(&dir.join(&name), 0x5eed_0000 + i, n, &words);
        println!("wrote examples/data/{name}");
    }
    jsonl_zst(&dir.join("pile-sample-00.jsonl.zst"), 0x9111e, 200, &words);
    println!("wrote examples/data/pile-sample-00.jsonl.zst");
}

"""Reference C4 decisions from datatrove 0.10.1, for shardwise's c4 parity tests.

Runs, independently on every document:
  - C4QualityFilter() (defaults)                         -> "c4_quality"
  - C4QualityFilter(filter_no_terminal_punct=False)      -> "c4_quality_fineweb"
    (as FineWeb uses it)
  - C4BadWordsFilter() with its list download replaced by a local word file
    (default tests/data/c4_badwords_en.txt; every document is English, as
    datatrove's default_language)                        -> "c4_badwords"
and prints one JSON line per document:
  {"file", "id", "c4_quality", "c4_quality_text_sha1", "c4_quality_fineweb",
   "c4_quality_fineweb_text_sha1", "c4_badwords"}
where a decision is "keep" or datatrove's reason, and *_text_sha1 is the SHA-1
of the rewritten UTF-8 text when kept (null when dropped). Never the text.

Inputs: JSONL(.gz) files with "id" and "text", and WARC/WET(.gz) files
(conversion records, id = WARC-Record-ID, records that are not UTF-8 skipped,
as shardwise skips them). --limit N takes the first N documents of each file,
--sample N an evenly strided sample of at most N.

    PY=/root/.cache/shardwise-bench-venv/bin/python
    # the golden file of the unit tests
    $PY tests/parity/c4_reference.py --limit 300 \
        /work/shared/data/jsonl/dolma-cc-main-2019-30-00140.jsonl.gz \
        > tests/data/c4_reference.jsonl
    # everything, then compare with
    # SHARDWISE_C4_REFERENCE=/tmp/c4_all.jsonl cargo test --lib c4_all -- --ignored --nocapture
    $PY tests/parity/c4_reference.py /work/shared/data/jsonl/*.jsonl.gz \
        /work/shared/data/wet/*.wet.gz > /tmp/c4_all.jsonl
    $PY tests/parity/c4_reference.py --sample 2000 /work/shared/data/corpus/*.jsonl.gz >> /tmp/c4_all.jsonl
"""

import argparse
import gzip
import hashlib
import json
import os
import sys

import datatrove.pipeline.filters.c4_filters as c4
from datatrove.data import Document

from decision import decision

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_WORDS = os.path.join(HERE, "..", "data", "c4_badwords_en.txt")


def documents(path):
    name = os.path.basename(path)
    if ".warc" in name or ".wet" in name:
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type != "conversion":
                    continue
                try:
                    text = record.content_stream().read().decode("utf-8")
                except UnicodeDecodeError:
                    continue
                yield record.rec_headers.get_header("WARC-Record-ID"), text
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                yield str(row["id"]), row["text"]


def sha1(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--words", default=DEFAULT_WORDS)
    args = ap.parse_args()

    # datatrove downloads the LDNOOBW list; read the local one instead.
    c4.cached_asset_path_or_download = lambda *a, **k: args.words
    quality = c4.C4QualityFilter()
    fineweb = c4.C4QualityFilter(filter_no_terminal_punct=False)
    badwords = c4.C4BadWordsFilter()

    for path in args.paths:
        stride = 1
        if args.sample is not None:
            total = sum(1 for _ in documents(path))
            stride = max(1, -(-total // args.sample))
        for i, (doc_id, text) in enumerate(documents(path)):
            if args.limit is not None and i >= args.limit:
                break
            if i % stride:
                continue
            out = {"file": os.path.basename(path), "id": doc_id}
            for key, f in (("c4_quality", quality), ("c4_quality_fineweb", fineweb)):
                doc = Document(text=text, id=doc_id)
                d = decision(f.filter(doc))
                out[key] = d
                out[key + "_text_sha1"] = sha1(doc.text) if d == "keep" else None
            out["c4_badwords"] = decision(badwords.filter(Document(text=text, id=doc_id)))
            sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()

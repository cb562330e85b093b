#!/usr/bin/env python3
"""Reference token ids from the Python `tokenizers` package (the reference implementation).

usage: tokenizer_reference.py TOKENIZER.json FILE...
Reads every document of each file the way shardwise does (JSONL: plain/.gz/.zst,
blank lines skipped, field `text`; WET: `conversion` records via warcio) and prints
one JSON line per file: {"file": path, "ids": [[...], ...]}, ids from
Tokenizer.encode(text).ids (special tokens of the tokenizer's post-processor included).
"""
import gzip
import io
import json
import sys

from tokenizers import Tokenizer


def open_text(path):
    raw = open(path, "rb")
    head = raw.read(4)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8")
    if head == b"\x28\xb5\x2f\xfd":
        import zstandard
        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw), encoding="utf-8")
    return io.TextIOWrapper(raw, encoding="utf-8")


def documents(path):
    if ".warc" in path or ".wet" in path:
        from warcio.archiveiterator import ArchiveIterator
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type == "conversion":
                    yield rec.content_stream().read().decode("utf-8")
        return
    for line in open_text(path):
        if line.strip():
            yield json.loads(line)["text"]


def main():
    tok = Tokenizer.from_file(sys.argv[1])
    for path in sys.argv[2:]:
        ids = [enc.ids for enc in tok.encode_batch(list(documents(path)))]
        print(json.dumps({"file": path, "ids": ids}))


if __name__ == "__main__":
    main()

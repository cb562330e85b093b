#!/usr/bin/env python3
"""Reference reading of WARC/WET files with warcio, for tests/wet_parity.rs.

Usage: warcio_reference.py [--warc] FILE...

Prints one JSON object per line. Per file, every `conversion` record:
  {"file", "id", "url", "date", "language", "type", "text", "utf8_error_at"}
then {"file", "count"}; or {"file", "error"} if warcio cannot read the file
(records already printed stay valid).

`text` is the body decoded as UTF-8, or null with `utf8_error_at` set to the
first invalid byte when it is not UTF-8. With --warc, also the records
shardwise reads in `warc` format: `resource` records of Content-Type
text/plain, and `response` records whose HTTP Content-Type is text/plain
(warcio's content_stream(): HTTP headers stripped, chunking and content
encoding undone).
"""

import json
import sys

from warcio.archiveiterator import ArchiveIterator


def media_type(value):
    return (value or "").split(";")[0].strip().lower()


def wanted(record, warc):
    if record.rec_type == "conversion":
        return True
    if not warc:
        return False
    if record.rec_type == "resource":
        return media_type(record.rec_headers.get_header("Content-Type")) == "text/plain"
    if record.rec_type == "response" and record.http_headers is not None:
        return media_type(record.http_headers.get_header("Content-Type")) == "text/plain"
    return False


def emit(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def read(path, warc):
    count = 0
    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f):
                if not wanted(record, warc):
                    continue
                body = record.content_stream().read()
                try:
                    text, error_at = body.decode("utf-8"), None
                except UnicodeDecodeError as e:
                    text, error_at = None, e.start
                h = record.rec_headers
                emit(
                    {
                        "file": path,
                        "type": record.rec_type,
                        "id": h.get_header("WARC-Record-ID"),
                        "url": h.get_header("WARC-Target-URI"),
                        "date": h.get_header("WARC-Date"),
                        "language": h.get_header("WARC-Identified-Content-Language"),
                        "text": text,
                        "utf8_error_at": error_at,
                    }
                )
                count += 1
        except Exception as e:  # noqa: BLE001 - any failure is reported to the caller
            emit({"file": path, "error": f"{type(e).__name__}: {e}"})
            return
    emit({"file": path, "count": count})


def main(argv):
    warc = "--warc" in argv
    files = [a for a in argv if a != "--warc"]
    if not files:
        sys.exit(__doc__)
    for path in files:
        read(path, warc)


if __name__ == "__main__":
    main(sys.argv[1:])

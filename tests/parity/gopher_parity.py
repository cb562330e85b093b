"""Reference Gopher decisions from datatrove 0.10.1, for shardwise's parity test.

Runs datatrove's GopherRepetitionFilter and GopherQualityFilter (default
settings, English) independently over every document of a JSONL(.gz) file and
prints one JSON line per document: {"id", "gopher_repetition", "gopher_quality"},
each "keep" or the drop reason. Only ids and decisions, never text.

    /root/.cache/shardwise-bench-venv/bin/python tests/parity/gopher_parity.py \
        ../shared/data/jsonl/dolma-cc-main-2019-30-00140.jsonl.gz --limit 200 \
        > tests/data/gopher_reference.jsonl
"""

import argparse
import gzip
import json
import sys

from datatrove.data import Document
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

from decision import decision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    opener = gzip.open if args.path.endswith(".gz") else open
    rep, qual = GopherRepetitionFilter(), GopherQualityFilter()
    with opener(args.path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if args.limit is not None and i >= args.limit:
                break
            row = json.loads(line)
            doc = Document(text=row["text"], id=str(row["id"]))
            out = {
                "id": doc.id,
                "gopher_repetition": decision(rep.filter(doc)),
                "gopher_quality": decision(qual.filter(doc)),
            }
            sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()

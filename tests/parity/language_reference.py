"""Reference language IDs from datatrove 0.10.1, for shardwise's `language` parity test.

Runs datatrove's fastText language ID (`FT176LID.predict`, which `LanguageFilter`
uses: newlines replaced by spaces, the Python `fasttext` package, every label
scored) over JSONL(.gz) files and prints one JSON line per document:
{"id", "label", "score"}, the top label without `__label__` and its score.
Only ids, labels and scores, never text. The model is the local file given with
--model; nothing is downloaded.

The golden file tests/data/language_reference.jsonl was made with (from the
repository root, shared data in ../shared):

    PY=/root/.cache/shardwise-bench-venv/bin/python
    REF="$PY tests/parity/language_reference.py --model ../shared/models/lid.176.ftz"
    D=../shared/data
    { $REF $D/jsonl/dolma-cc-main-2019-30-00140.jsonl.gz $D/jsonl/dolma-ccnet-cc_en_head-0091.jsonl.gz
      $REF $D/corpus/multilingual_udhr.jsonl.gz $D/corpus/pile_format_sample.jsonl.gz
      $REF --every 150 $D/corpus/multilingual_sentences_lingua.jsonl.gz
      $REF --every 5 $D/corpus/edge_cases_blns.jsonl.gz
      $REF --every 50 $D/corpus/code_github.jsonl.gz
      $REF --every 300 $D/corpus/web_misc_nltk.jsonl.gz
      $REF --every 3 $D/corpus/wikipedia_wikitext.jsonl.gz $D/corpus/web_from_warc_html.jsonl.gz
      $REF --every 10 $D/corpus/books_gutenberg.jsonl.gz
    } > tests/data/language_reference.jsonl

`--every N` keeps the first document of every N (1st, N+1th, ...) of each file.
Point the Rust test at any other output with SHARDWISE_LANGUAGE_REFERENCE to
compare more documents (e.g. every document of every file).
"""

import argparse
import gzip
import json
import sys

import numpy as np
from datatrove.data import Document
from datatrove.utils.lid import FT176LID
from fasttext.FastText import _FastText


class FastText(_FastText):
    """fasttext 0.9.2's `predict` for one line, with `np.asarray` instead of
    `np.array(copy=False)`, which NumPy 2 rejects (the fix the
    fasttext-numpy2-wheel that datatrove asks for carries)."""

    def predict(self, text, k=1, threshold=0.0, on_unicode_error="strict"):
        if "\n" in text:
            raise ValueError("predict processes one line at a time (remove '\\n')")
        predictions = self.f.predict(text + "\n", k, threshold, on_unicode_error)
        probs, labels = zip(*predictions) if predictions else ([], ())
        return labels, np.asarray(probs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="lid.176.bin or lid.176.ftz")
    ap.add_argument("--every", type=int, default=1, help="keep one document in N")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    lid = FT176LID()
    # Inject the local model: datatrove would otherwise download it.
    lid._model = FastText(args.model)
    for path in args.paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i % args.every:
                    continue
                row = json.loads(line)
                doc = Document(text=row["text"], id=str(row["id"]))
                try:
                    doc.text.encode("utf-8")
                except UnicodeEncodeError:
                    # Lone surrogates: fastText cannot take them, nor can a Rust &str.
                    print(f"{path}: skipped {doc.id}: not valid UTF-8", file=sys.stderr)
                    continue
                (label, score), _ = lid.predict(doc)
                out = {"id": doc.id, "label": label, "score": round(score, 6)}
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

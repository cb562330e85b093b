"""Filter parity harness: datatrove 0.10.1 and shardwise on the same documents.

Reads real documents (JSONL / JSONL.gz / JSONL.zst with `id`, `text`, `url` or
`metadata.url`; WET/WARC files through warcio), runs every datatrove filter
in-process on each document, runs `shardwise run` once per filter on the same
documents (one stage, `output.exclusions = true`, `output.documents = true`),
and prints per-filter agreement with every disagreement. Each filter is judged
alone on every document, not in a chain. For `c4_quality`, which rewrites text,
the kept text must be identical too (compared by SHA-1).

Needs the bench venv (`../shared/bench/setup.sh`) plus `pip install regex
pyarrow tldextract`. Example, from the repository root:

    /root/.cache/shardwise-bench-venv/bin/python tests/parity/run_parity.py \\
        --shardwise target/release/shardwise --shared ../shared \\
        ../shared/data/jsonl/*.jsonl.gz ../shared/data/wet/*.wet.gz \\
        ../shared/data/corpus/*.jsonl.gz --max-docs-per-file 3000 --max-mb-per-file 8

With `--golden FILE` it also writes the reference decisions of the first
`--golden-docs-per-file` documents of each file (ids and decisions only, never
text) for the CI fidelity test (`tests/fidelity.rs`).
"""

import argparse
import collections
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
import tarfile
import tempfile

from decision import decision

HERE = os.path.dirname(os.path.abspath(__file__))
BADWORDS = os.path.abspath(os.path.join(HERE, "..", "data", "c4_badwords_en.txt"))


def read_docs(path, max_docs, max_bytes):
    """Yields (id, text, url) from one input file, as shardwise reads it."""
    n = size = 0
    name = os.path.basename(path)
    # Documents without an id are named `<shard stem>/<ordinal>`, as shardwise does.
    stem = name
    while stem.rsplit(".", 1)[-1].lower() in ("gz", "zst", "jsonl", "json", "ndjson"):
        stem = stem.rsplit(".", 1)[0]
    if ".warc" in name or name.endswith(".arc"):
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type not in ("conversion", "response", "resource"):
                    continue
                body = rec.content_stream().read()
                if rec.rec_type != "conversion":
                    continue  # only WET text records are plain text
                text = body.decode("utf-8", errors="replace")
                yield (
                    rec.rec_headers.get_header("WARC-Record-ID"),
                    text,
                    rec.rec_headers.get_header("WARC-Target-URI"),
                )
                n, size = n + 1, size + len(text)
                if n >= max_docs or size >= max_bytes:
                    return
        return
    if path.endswith(".zst"):
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"))
        f = io.TextIOWrapper(raw, encoding="utf-8")
    elif path.endswith(".gz"):
        f = gzip.open(path, "rt", encoding="utf-8")
    else:
        f = open(path, encoding="utf-8")
    with f:
        for i, line in enumerate(f):
            row = json.loads(line)
            url = row.get("url") or (row.get("metadata") or {}).get("url")
            doc_id = str(row["id"]) if "id" in row else f"{stem}/{i}"
            yield doc_id, row["text"], url
            n, size = n + 1, size + len(row["text"])
            if n >= max_docs or size >= max_bytes:
                return


# --- datatrove side ----------------------------------------------------------

FILTERS = [
    "url_filter",
    "language",
    "gopher_repetition",
    "gopher_quality",
    "c4_quality",
    "c4_quality_fineweb",
    "c4_badwords",
    "fineweb_quality",
]


def datatrove_filters(names, model):
    """The datatrove filters named, configured as the shardwise stages are."""
    from datatrove.pipeline.filters import (
        C4BadWordsFilter,
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
        URLFilter,
    )
    import datatrove.pipeline.filters.c4_filters as c4

    # No downloads: the model and the word list are local files.
    c4.cached_asset_path_or_download = lambda *a, **k: BADWORDS

    def language():
        sys.path.insert(0, HERE)
        from language_reference import FastText  # fasttext 0.9.2 under NumPy 2

        import datatrove.pipeline.base as base

        # datatrove asks for `fasttext-numpy2-wheel`; the venv has `fasttext`.
        check, base.check_required_dependencies = base.check_required_dependencies, lambda *a: None
        f = LanguageFilter(languages=["en"], language_threshold=0.65)
        base.check_required_dependencies = check
        f.model._model = FastText(model)
        return f

    def url_filter():
        import tldextract

        f = URLFilter()
        f.tldextractor = tldextract.TLDExtract(suffix_list_urls=())
        return f

    make = {
        "url_filter": url_filter,
        "language": language,
        "gopher_repetition": GopherRepetitionFilter,
        "gopher_quality": GopherQualityFilter,
        "c4_quality": C4QualityFilter,
        "c4_quality_fineweb": lambda: C4QualityFilter(filter_no_terminal_punct=False),
        "c4_badwords": lambda: C4BadWordsFilter(keep_fraction=0.0, default_language="en"),
        "fineweb_quality": FineWebQualityFilter,
    }
    return {name: make[name]() for name in names}


_WORKER = {}


def _init(names, model):
    _WORKER["filters"] = datatrove_filters(names, model)


def _judge(item):
    from datatrove.data import Document

    doc_id, text, url = item
    out = {"id": doc_id}
    for name, f in _WORKER["filters"].items():
        doc = Document(text=text, id=doc_id, metadata={"url": url} if url else {})
        try:
            d = decision(f.filter(doc))
        except Exception as e:  # datatrove raises on some inputs
            d = f"error:{type(e).__name__}"
        out[name] = d
        if name.startswith("c4_quality") and d == "keep":
            out[name + "_sha1"] = hashlib.sha1(doc.text.encode()).hexdigest()
    return out


# --- shardwise side ----------------------------------------------------------


def shardwise_stage(name, model, url_assets):
    if name == "url_filter":
        return (
            'kind = "url_filter"\n'
            f'banned_domains_files = ["{url_assets}/domains"]\n'
            f'banned_urls_files = ["{url_assets}/urls"]\n'
            f'banned_words_files = ["{url_assets}/banned_words.txt"]\n'
            f'soft_banned_words_files = ["{url_assets}/soft_banned_words.txt"]\n'
            f'banned_subwords_files = ["{url_assets}/banned_subwords.txt"]\n'
        )
    if name == "language":
        return f'kind = "language"\nmodel = "{model}"\nlanguages = ["en"]\n'
    if name == "c4_quality_fineweb":
        return 'kind = "c4_quality"\nfilter_no_terminal_punct = false\n'
    if name == "c4_badwords":
        return f'kind = "c4_badwords"\nwords = "{BADWORDS}"\n'
    return f'kind = "{name}"\n'


def run_shardwise(binary, name, docs_path, work, model, url_assets):
    out = os.path.join(work, name)
    pipeline = (
        f'version = 1\n[input]\npaths = ["{docs_path}"]\n'
        f"[[stage]]\n{shardwise_stage(name, model, url_assets)}"
        f'[output]\nuri = "{out}"\ndocuments = true\nexclusions = true\n'
    )
    toml = os.path.join(work, name + ".toml")
    with open(toml, "w") as f:
        f.write(pipeline)
    subprocess.run(
        [binary, "run", toml, "--progress-secs", "0"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import pyarrow.parquet as pq

    got = {}
    for root, _, files in os.walk(os.path.join(out, "exclusions")):
        for fn in files:
            t = pq.read_table(os.path.join(root, fn), columns=["id", "reason"])
            for i, r in zip(t["id"].to_pylist(), t["reason"].to_pylist()):
                got[i] = r
    for root, _, files in os.walk(os.path.join(out, "documents")):
        for fn in files:
            t = pq.read_table(os.path.join(root, fn), columns=["id", "text"])
            for i, text in zip(t["id"].to_pylist(), t["text"].to_pylist()):
                got[i] = "keep"
                if name.startswith("c4_quality"):
                    got[i + "\0sha1"] = hashlib.sha1(text.encode()).hexdigest()
    return got


def comparable(name, want, have):
    """shardwise's decision as datatrove would report it, where the two report
    differently by design (docs/FIDELITY.md)."""
    if name == "language" and have != "keep" and want == "drop":
        return "drop"  # LanguageFilter drops without a reason
    if name == "url_filter" and have == "missing_url" and want == "error:AssertionError":
        return want  # datatrove asserts on a document without URL; we drop it
    return have


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--shardwise", default="target/release/shardwise")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--filters", default=",".join(FILTERS))
    ap.add_argument("--max-docs-per-file", type=int, default=10**9)
    ap.add_argument("--max-mb-per-file", type=float, default=1e9)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--golden")
    ap.add_argument("--golden-docs-per-file", type=int, default=100)
    ap.add_argument("--show", type=int, default=5, help="disagreements shown per class")
    args = ap.parse_args()
    filters = args.filters.split(",")
    model = os.path.abspath(os.path.join(args.shared, "models", "lid.176.ftz"))

    work = tempfile.mkdtemp(prefix="shardwise-parity-")
    import datatrove

    assets = os.path.join(os.path.dirname(datatrove.__file__), "assets")
    url_assets = os.path.join(work, "url_assets")
    os.makedirs(url_assets)
    with tarfile.open(os.path.join(assets, "url_filterblacklistsv0_3_0.tar.gz")) as t:
        t.extractall(url_assets, filter="data")
    for fn in ("banned_words.txt", "soft_banned_words.txt", "banned_subwords.txt"):
        os.symlink(os.path.join(assets, fn), os.path.join(url_assets, fn))
    data_root = os.path.join(args.shared, "data")
    docs, source, seen = [], {}, set()
    for path in args.files:
        for i, (doc_id, text, url) in enumerate(
            read_docs(path, args.max_docs_per_file, args.max_mb_per_file * 1e6)
        ):
            if doc_id in seen:
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                continue  # lone surrogates: not text either side can take
            seen.add(doc_id)
            docs.append((doc_id, text, url))
            source[doc_id] = (os.path.relpath(path, data_root), i)
    docs_path = os.path.join(work, "docs.jsonl")
    with open(docs_path, "w", encoding="utf-8") as f:
        for doc_id, text, url in docs:
            f.write(json.dumps({"id": doc_id, "text": text, "url": url}) + "\n")
    mb = sum(len(t.encode()) for _, t, _ in docs) / 1e6
    print(f"{len(docs)} documents, {mb:.1f} MB from {len(args.files)} files", file=sys.stderr)

    # Built once here, so a setup error stops the run; workers inherit them (fork).
    _init(filters, model)
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        ref = pool.map(_judge, docs, chunksize=16)

    report = {}
    for name in filters:
        got = run_shardwise(args.shardwise, name, docs_path, work, model, url_assets)
        agree, classes = 0, collections.defaultdict(list)
        for r in ref:
            want, have = r[name], got.get(r["id"], "missing")
            ok = want == comparable(name, want, have)
            if ok and want == "keep" and name.startswith("c4_quality"):
                ok = r[name + "_sha1"] == got.get(r["id"] + "\0sha1")
                if not ok:
                    have = "keep (other text)"
            if ok:
                agree += 1
            else:
                classes[(want, have)].append(r["id"])
        report[name] = (agree, classes)
        print(f"\n{name}: {agree}/{len(ref)} agree ({100 * agree / len(ref):.2f}%)")
        for (want, have), ids in sorted(classes.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(f"{source[i][0]}#{source[i][1]}" for i in ids[: args.show])
            print(f"  datatrove {want} / shardwise {have}: {len(ids)}  e.g. {shown}")

    if args.golden:
        per_file = collections.Counter()
        with open(args.golden, "w") as f:
            for r in ref:
                file, _ = source[r["id"]]
                if per_file[file] >= args.golden_docs_per_file:
                    continue
                per_file[file] += 1
                row = {"file": file, "id": r["id"]}
                row.update({k: v for k, v in r.items() if k != "id" and k.split("_sha1")[0] in filters})
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"\nwrote {sum(per_file.values())} reference decisions to {args.golden}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference decisions of datatrove 0.10.1's URLFilter, for src/stages/url_filter.rs.

Usage (offline; run from the repository root):

    VENV=/root/.cache/shardwise-bench-venv
    $VENV/bin/pip install tldextract pyahocorasick fasteners warcio   # once, from PyPI
    $VENV/bin/python tests/parity/url_filter_reference.py [--default] \
        [--max-bytes=N] PATH... > tests/data/url_filter_reference.jsonl

The committed golden is `--default --domains --max-bytes=280000 /work/shared/data`.

PATH is a file or a directory (searched recursively) of JSONL (.jsonl, .gz,
.zst; the URL is `url` or `metadata.url`) or WARC/WET/ARC files (every record's
WARC-Target-URI, read with warcio). Each distinct URL is judged once, in the
order first seen; the hand-written SYNTHETIC URLs below follow, because real
crawl URLs are mostly clean and would not exercise the drop rules. With
--max-bytes, kept real URLs are thinned evenly (every synthetic URL and every
real URL that either list set drops stays) until the output fits N bytes.

Output, one JSON object per line:
  first  {"lists": {...}}  the small hand-written lists (SMALL_LISTS, as file
         lines) that the Rust golden test writes to files and loads;
  then   {"id", "url", "url_filter"}  per URL, "keep" or datatrove's reason,
         with the filter built from those small lists; with --default also
         "url_filter_default": the decision with datatrove's own lists (its
         assets dir and the UT1 tarball it ships, extracted to a temporary dir);
         with --domains also tldextract's "registered_domain" and "fqdn".

tldextract never touches the network here: it is built with no suffix-list
URLs and no cache, so it uses the Public Suffix List snapshot it bundles.
"""

import functools
import gzip
import io
import json
import os
import sys
import tempfile

import tldextract

# Offline: tldextract's bundled PSL snapshot, never a download or a cache.
_TLDExtract = tldextract.TLDExtract
tldextract.TLDExtract = functools.partial(_TLDExtract, suffix_list_urls=(), cache_dir=None)

from datatrove.data import Document  # noqa: E402
from datatrove.pipeline.filters.url_filter import URLFilter  # noqa: E402

# Small lists, written as the lines of list files (comments, mixed case, spaces
# and punctuation included on purpose: datatrove normalises word lists and only
# strips domain and URL lines).
SMALL_LISTS = {
    "domains": [
        "# blocked domains",
        "badsite.com",
        "sub.example.org",
        "blogspot.com",
        "bbc.co.uk",
        "xn--80ak6aa92e.com",
        "пример.рф",
        "commoncrawl.org",
        "wikipedia.org",
        "  spaced.net  ",
        "Upper.COM",
    ],
    "urls": [
        "# blocked urls",
        "http://www.example.com/banned-page",
        "https://iana.org/domains/example",
        "www.example.com/no-scheme",
    ],
    "words": [
        "# hard words",
        "porn",
        "Casino",
        "xxx",
        "via-gra",
        "#commented",
    ],
    "soft_words": [
        "# soft words",
        "sex",
        "free",
        "hot",
        "girls",
        "video",
        "news",
        "blog",
    ],
    "subwords": [
        "# subwords",
        "adult content",
        "escort",
        "bet365",
        "pills",
        "ü-nicode",
    ],
}

SYNTHETIC = [
    # domain / subdomain rules
    "http://badsite.com/",
    "https://www.badsite.com/page?x=1",
    "http://BADSITE.com/",
    "http://badsite.com.",
    "http://badsite.com:8080/a",
    "http://user:pass@badsite.com/",
    "http://user@evil.com@badsite.com/",
    "https://sub.example.org/x",
    "https://deeper.sub.example.org/x",
    "https://other.example.org/x",
    "https://example.org/",
    "http://myblog.blogspot.com/2019/01/post.html",
    "http://myblog.blogspot.co.uk/",
    "http://news.bbc.co.uk/sport",
    "http://bbc.co.uk",
    "http://co.uk/",
    "http://xn--80ak6aa92e.com/",
    "http://www.xn--80ak6aa92e.com/",
    "http://пример.рф/",
    "http://www.пример.рф/страница",
    "http://xn--e1afmkfd.xn--p1ai/",
    "http://ПРИМЕР.РФ/",
    "http://badsite\u3002com/",
    "http://badsite\uff0ecom/",
    "http://spaced.net/",
    "http://Upper.COM/",
    "http://upper.com/",
    "http://www.Upper.COM/",
    "http://192.168.0.1/porn",
    "http://[::1]:8080/index",
    "http://localhost/",
    "http://host.invalidtld/",
    "badsite.com/no-scheme",
    "//badsite.com/protocol-relative",
    "ftp://badsite.com/file",
    "h t t p://badsite.com/",
    "http://.badsite.com/",
    "http://badsite.com?q=1",
    "http://badsite.com#frag",
    "http://a.b.c.d.badsite.com/",
    "http://foo.kawasaki.jp/",
    "http://city.kawasaki.jp/",
    "http://www.ck/",
    "http://a.b.ck/",
    "http://s3.amazonaws.com/bucket",
    "http://bucket.s3.amazonaws.com/key",
    "http://en.wikipedia.org/wiki/Main_Page",
    "https://de.m.wikipedia.org/wiki/Haus",
    # url rule (exact string)
    "http://www.example.com/banned-page",
    "http://www.example.com/banned-page/",
    "HTTP://www.example.com/banned-page",
    "https://iana.org/domains/example",
    "www.example.com/no-scheme",
    # hard words (case-sensitive against URL words)
    "http://example.com/porn",
    "http://example.com/PORN",
    "http://example.com/Porn-videos",
    "http://example.com/pornography",
    "http://porn.example.com/",
    "http://example.com/casino",
    "http://example.com/Casino",
    "http://example.com/xxx_123",
    "http://example.com/viagra",
    "http://example.com/via-gra",
    "http://example.com/commented",
    "http://example.com/?q=porn",
    "http://example.com/#xxx",
    "http://example.com/caf\u00e9porn",
    "http://example.com/\u00fcporn\u00fc",
    # soft words: threshold 2, distinct words counted once
    "http://example.com/sex",
    "http://example.com/sex/sex/sex",
    "http://example.com/free-sex",
    "http://example.com/hot/girls/video",
    "http://free.example.com/news",
    "http://example.com/FREE-SEX",
    "http://example.com/freesex",
    "http://blog.example.com/news/2020",
    "http://example.com/free_video",
    # subwords: anywhere in the normalised (alnum-only, lowercased) URL
    "http://example.com/adult-content",
    "http://example.com/ADULT_CONTENT",
    "http://adultcontent.example.com/",
    "http://example.com/escorts",
    "http://example.com/e-s-c-o-r-t",
    "http://bet365.com/",
    "http://example.com/BET-365",
    "http://example.com/spills",
    "http://example.com/u-nicode",
    "http://example.com/\u00fc-nicode",
    "http://example.com/nicode",
    # precedence between rules
    "http://badsite.com/porn/free/sex/escort",
    "http://sub.example.org/porn",
    "http://example.com/porn/free/sex",
    "http://example.com/free/sex/escort",
    # odd shapes
    "http://example.com",
    "http://example.com/",
    "-",
    "?",
    "http://",
    "http:///path",
    "mailto:someone@example.com",
    "javascript:void(0)",
    "http://example.com/\u65e5\u672c\u8a9e/\u30da\u30fc\u30b8",
    "http://例子.中国/",
    "http://xn--fsqu00a.xn--fiqs8s/",
    "http://example.com/%70orn",
    "http://example.com/a\tb",
    " http://badsite.com/",
    "http://badsite.com /",
    "http://user:p@ss@badsite.com:80/",
    # realistic spam-ish URLs for datatrove's full default lists
    "http://0-1sex.com/",
    "https://www.pornhub.com/view_video.php?viewkey=abc",
    "https://xvideos.com/video123/hot_girls",
    "https://www.example.com/best-online-casino-bonus",
    "http://free-hot-teen-videos.example.net/",
    "https://shop.example.com/cheap-viagra-pills",
    "https://news.example.com/2024/05/elections",
    "https://www.sexyhub.com/",
    "https://www.essexcountyschools.org/",
    "https://www.middlesex.gov.uk/",
    "https://www.scunthorpe-united.co.uk/",
    "https://www.analytics-blog.com/analysis",
    "https://www.cocktailbar.com/menu",
    "https://www.therapist.com/find",
    "https://www.grape.com/",
    "https://www.hotmail.com/",
]


def lines_of(text_lines):
    """The lines datatrove reads from a list file (newline kept)."""
    return [line + "\n" for line in text_lines]


def small_filter():
    return URLFilter(
        use_integrated_lists=False,
        extra_domains=lines_of(SMALL_LISTS["domains"]),
        extra_urls=lines_of(SMALL_LISTS["urls"]),
        banned_words=lines_of(SMALL_LISTS["words"]),
        soft_banned_words=lines_of(SMALL_LISTS["soft_words"]),
        banned_subwords=lines_of(SMALL_LISTS["subwords"]),
    )


def default_filter():
    # download_data() extracts the shipped UT1 tarball into the HF assets
    # cache; keep that in a temporary dir.
    os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="url_filter_ref_hf_"))
    import huggingface_hub.constants as hc

    hc.HF_ASSETS_CACHE = os.path.join(os.environ["HF_HOME"], "assets")
    return URLFilter()


def decide(f, url):
    result = f.filter(Document(text="", id="x", metadata={"url": url}))
    if result is True:
        return "keep"
    return result[1]


def open_text(path):
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8")
    if path.endswith(".zst"):
        import zstandard

        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")), encoding="utf-8")
    return open(path, encoding="utf-8")


def urls_of(path):
    name = os.path.basename(path)
    if ".jsonl" in name or name.endswith(".json"):
        with open_text(path) as f:
            for i, line in enumerate(f):
                if not line.strip():
                    continue
                d = json.loads(line)
                meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
                url = d.get("url") or meta.get("url")
                if url:
                    yield f"{name}:{d.get('id', i)}", url
    elif any(x in name for x in (".warc", ".wet", ".wat", ".arc")):
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as f:
            try:
                for i, record in enumerate(ArchiveIterator(f, arc2warc=True)):
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    if url:
                        yield f"{name}:{i}", url
            except Exception as e:  # truncated files: keep what was read
                print(f"{path}: {e}", file=sys.stderr)


def walk(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in sorted(os.walk(p)):
                for fn in sorted(files):
                    yield os.path.join(root, fn)
        else:
            yield p


def main(argv):
    with_default = "--default" in argv
    paths = [a for a in argv if not a.startswith("--")]
    seen = {}
    for path in walk(paths):
        for doc_id, url in urls_of(path):
            seen.setdefault(url, doc_id)
    for i, url in enumerate(SYNTHETIC):
        seen.setdefault(url, f"synthetic:{i}")
    small = small_filter()
    full = default_filter() if with_default else None
    lines = [json.dumps({"lists": SMALL_LISTS}, ensure_ascii=False)]
    thinnable = []
    for url, doc_id in seen.items():
        out = {"id": doc_id, "url": url, "url_filter": decide(small, url)}
        if full is not None:
            out["url_filter_default"] = decide(full, url)
        if "--domains" in argv:
            info = small.tldextractor(url)
            out["registered_domain"] = info.top_domain_under_public_suffix
            out["fqdn"] = info.fqdn
        clean = all(v == "keep" for k, v in out.items() if k.startswith("url_filter"))
        if clean and not doc_id.startswith("synthetic:"):
            thinnable.append(len(lines))
        lines.append(json.dumps(out, ensure_ascii=False))
    budget = next((int(a.split("=")[1]) for a in argv if a.startswith("--max-bytes=")), None)
    size = sum(len(line.encode()) + 1 for line in lines)
    if budget is not None and size > budget and thinnable:
        cut = sum(len(lines[i].encode()) + 1 for i in thinnable)
        keep_share = max(0.0, (budget - (size - cut)) / cut)
        step = 1 / keep_share if keep_share > 0 else len(lines)
        kept = {thinnable[int(k * step)] for k in range(int(len(thinnable) / step))}
        drop = set(thinnable) - kept
        lines = [line for i, line in enumerate(lines) if i not in drop]
    for line in lines:
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""An independent reader of Megatron-LM MMIDIDX token files, standard library only.

Written from the published layout of megatron-core's IndexedDataset, not from
shardwise's code, so the integration tests can check the Rust writer against a
second implementation. Usage:

    megatron_reader.py PREFIX        # PREFIX.idx and PREFIX.bin; a .idx/.bin path works too

Prints one JSON line per document, {"doc": i, "tokens": [...]}, then a summary
line {"docs": n, "tokens": t, "dtype": "uint16"}. Exits 1 with a message on
stderr if the files are not a valid pair.
"""

import array
import json
import struct
import sys

MAGIC = b"MMIDIDX\x00\x00"
# megatron-core DType codes -> (name, array typecode, item size)
DTYPES = {
    1: ("uint8", "B", 1),
    2: ("int8", "b", 1),
    3: ("int16", "h", 2),
    4: ("int32", "i", 4),
    5: ("int64", "q", 8),
    8: ("uint16", "H", 2),
}


class Invalid(Exception):
    pass


def typed(typecode, size, raw):
    """Little-endian bytes as an array of `typecode` (`size` bytes each)."""
    a = array.array(typecode)
    if a.itemsize != size:
        raise Invalid("this platform's array(%r) is %d bytes, need %d" % (typecode, a.itemsize, size))
    a.frombytes(raw)
    if sys.byteorder == "big":
        a.byteswap()
    return a


def parse_index(raw):
    if raw[:9] != MAGIC:
        raise Invalid("bad magic %r" % raw[:9])
    header = struct.calcsize("<9sQBQQ")
    if len(raw) < header:
        raise Invalid("index is %d bytes, shorter than the %d-byte header" % (len(raw), header))
    _, version, code, n_seq, n_doc = struct.unpack_from("<9sQBQQ", raw, 0)
    if version != 1:
        raise Invalid("version %d, expected 1" % version)
    if code not in DTYPES:
        raise Invalid("unknown dtype code %d" % code)
    want = header + 4 * n_seq + 8 * n_seq + 8 * n_doc
    if len(raw) != want:
        raise Invalid("index is %d bytes, the header implies %d" % (len(raw), want))
    off = header
    sizes = typed("i", 4, raw[off : off + 4 * n_seq])
    off += 4 * n_seq
    pointers = typed("q", 8, raw[off : off + 8 * n_seq])
    off += 8 * n_seq
    doc_idx = typed("q", 8, raw[off : off + 8 * n_doc])
    if n_doc < 1 or doc_idx[0] != 0:
        raise Invalid("document indices must start at 0")
    if doc_idx[-1] != n_seq:
        raise Invalid("last document index %d != sequence count %d" % (doc_idx[-1], n_seq))
    for a, b in zip(doc_idx, doc_idx[1:]):
        if b < a:
            raise Invalid("document indices decrease (%d then %d)" % (a, b))
    return code, sizes, pointers, doc_idx


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    prefix = argv[1]
    for ext in (".idx", ".bin"):
        if prefix.endswith(ext):
            prefix = prefix[: -len(ext)]
    try:
        with open(prefix + ".idx", "rb") as f:
            code, sizes, pointers, doc_idx = parse_index(f.read())
        name, typecode, width = DTYPES[code]
        with open(prefix + ".bin", "rb") as f:
            bin_bytes = f.read()
        for i, (size, ptr) in enumerate(zip(sizes, pointers)):
            if size < 0 or ptr < 0 or ptr + size * width > len(bin_bytes):
                raise Invalid("sequence %d (%d tokens at byte %d) is outside the %d-byte .bin" % (i, size, ptr, len(bin_bytes)))
        out = sys.stdout
        total = 0
        for d in range(len(doc_idx) - 1):
            tokens = []
            for s in range(doc_idx[d], doc_idx[d + 1]):
                ptr, size = pointers[s], sizes[s]
                tokens.extend(typed(typecode, width, bin_bytes[ptr : ptr + size * width]))
            total += len(tokens)
            out.write(json.dumps({"doc": d, "tokens": tokens}, separators=(",", ":")))
            out.write("\n")
        out.write(json.dumps({"docs": len(doc_idx) - 1, "tokens": total, "dtype": name}))
        out.write("\n")
    except (Invalid, OSError) as e:
        sys.stderr.write("%s: %s\n" % (prefix, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

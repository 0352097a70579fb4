"""The malformed-input corpus: writes it, and runs a decoder on each file in its own process.

    python3 scripts/malformed_corpus.py generate OUT_DIR
    python3 scripts/malformed_corpus.py run DECODER OUT_DIR [--jobs 2] [--timeout 10]
    python3 scripts/malformed_corpus.py seeds SEED_DIR

`generate` encodes real-looking images at test time (JPEG through Pillow's libjpeg at several
qualities and subsamplings, progressive, restart markers, gray, CMYK, Exif; PNG through a
writer below that covers every colour type and bit depth, Adam7, palettes with tRNS, several
IDATs, and through Pillow's encoder) and damages them, deterministically (fixed seeds): every
truncation point class (inside each marker segment or chunk kind, in the entropy or zlib
data, before EOI / IEND), bit flips in the headers and the data, lying frame / IHDR sizes
(0, 65000x65000, past 2^31, one more or fewer), lying segment and chunk lengths, broken
Huffman and quantization tables, bad scan headers, bad CRCs with and without the CRC fixed
up, damaged zlib streams and a zlib bomb, bad filters, palettes and chunk orders. It writes
OUT_DIR/{jpeg,png}/CLASS/NAME and OUT_DIR/manifest.tsv (file, class, expected outcome).
`seeds` writes the valid originals to SEED_DIR/{decode,png,probe}/: the fuzzers start there.

`run` starts DECODER FILE once per file (`--jobs` at a time), with a timeout per file. A
file passes when the decoder exits 0 and prints one line, `ok WxH` or `error <Kind>:
<message>`, with nothing from a sanitizer on stderr, and that line agrees with the expected
outcome (`ok`: the valid originals; `error`: files no decoder may accept, such as a header
cut short, a zero or over-limit size or a critical chunk with a bad CRC; `any`: the rest).
A non-zero exit (panic, AddressSanitizer report, signal), a timeout (a hang), or a wrong
outcome fails the run; each failure is printed with its file name. The counts of ok / error
per class are printed, and OUT_DIR/results.tsv lists every file's verdict and line.
"""
import argparse
import collections
import concurrent.futures
import io
import math
import os
import pathlib
import random
import re
import struct
import subprocess
import sys
import time
import zlib

SEED = 0x5C1F1C5

# ---------------------------------------------------------------------------------------------
# Real-looking pictures (deterministic): smooth gradients, a few hard edges, mild noise.


def photo_rgb(w, h, seed):
    """Packed RGB8 bytes of a w x h picture that compresses like a photograph."""
    rnd = random.Random(seed)
    fx, fy = rnd.uniform(0.02, 0.2), rnd.uniform(0.02, 0.2)
    phase = [rnd.uniform(0, 6.28) for _ in range(3)]
    discs = [(rnd.uniform(0, w), rnd.uniform(0, h), rnd.uniform(3, 0.4 * max(w, h)),
              [rnd.randrange(256) for _ in range(3)]) for _ in range(3)]
    out = bytearray(w * h * 3)
    i = 0
    for y in range(h):
        for x in range(w):
            rgb = [128 + 90 * math.sin(fx * x + fy * y + phase[c]) * (0.5 + 0.5 * c / 2)
                   for c in range(3)]
            for cx, cy, r, col in discs:
                if (x - cx) ** 2 + (y - cy) ** 2 < r * r:
                    rgb = [0.35 * v + 0.65 * k for v, k in zip(rgb, col)]
            for c in range(3):
                v = int(rgb[c] + rnd.gauss(0, 6))
                out[i] = 0 if v < 0 else 255 if v > 255 else v
                i += 1
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# JPEG originals (Pillow's libjpeg) and their segment structure.


def jpeg_originals():
    from PIL import Image

    def rgb(w, h, seed):
        return Image.frombytes("RGB", (w, h), photo_rgb(w, h, seed))

    def save(img, **kw):
        buf = io.BytesIO()
        img.save(buf, format="JPEG", **kw)
        return buf.getvalue()

    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "scipix"
    cmyk = rgb(40, 32, 9).convert("CMYK")
    return {
        "q95-444": save(rgb(96, 64, 1), quality=95, subsampling="4:4:4"),
        "q75-420-odd": save(rgb(97, 61, 2), quality=75, subsampling="4:2:0"),
        "q50-422": save(rgb(80, 48, 3), quality=50, subsampling="4:2:2"),
        "q85-411": save(rgb(64, 40, 4), quality=85, subsampling="4:1:1"),
        "q10-420": save(rgb(48, 48, 5), quality=10, subsampling="4:2:0"),
        "progressive-420": save(rgb(96, 64, 6), quality=80, progressive=True),
        "progressive-444-opt": save(rgb(72, 40, 7), quality=90, subsampling="4:4:4",
                                    progressive=True, optimize=True),
        "optimized-420": save(rgb(88, 56, 8), quality=80, optimize=True),
        "restart-rows": save(rgb(96, 64, 10), quality=80, restart_marker_rows=1),
        "restart-blocks-444": save(rgb(64, 48, 11), quality=70, subsampling="4:4:4",
                                   restart_marker_blocks=5),
        "gray": save(rgb(72, 56, 12).convert("L"), quality=90),
        "gray-progressive": save(rgb(56, 40, 13).convert("L"), quality=60, progressive=True),
        "cmyk": save(cmyk, quality=90),
        "exif-orient6": save(rgb(64, 32, 14), quality=85, exif=exif.tobytes(),
                             comment=b"scipix test"),
        "large-420": save(rgb(256, 192, 15), quality=85),
    }


class Seg:
    """A JPEG marker segment: [start, end) with its marker code; entropy data after an SOS
    is a segment of its own (code None) with the offsets of its RST markers."""

    def __init__(self, name, code, start, end, rst=()):
        self.name, self.code, self.start, self.end, self.rst = name, code, start, end, list(rst)


def marker_name(code):
    if code == 0xD8:
        return "SOI"
    if code == 0xD9:
        return "EOI"
    if code == 0xC4:
        return "DHT"
    if code == 0xDB:
        return "DQT"
    if code == 0xDA:
        return "SOS"
    if code == 0xDD:
        return "DRI"
    if code == 0xFE:
        return "COM"
    if 0xE0 <= code <= 0xEF:
        return "APP%d" % (code - 0xE0)
    if 0xC0 <= code <= 0xCF:
        return "SOF%d" % (code - 0xC0)
    return "M%02X" % code


def parse_jpeg(b):
    segs = [Seg("SOI", 0xD8, 0, 2)]
    pos = 2
    while pos < len(b):
        assert b[pos] == 0xFF, (pos, b[pos])
        code = b[pos + 1]
        if code == 0xD9:
            segs.append(Seg("EOI", code, pos, pos + 2))
            break
        length = struct.unpack(">H", b[pos + 2:pos + 4])[0]
        segs.append(Seg(marker_name(code), code, pos, pos + 2 + length))
        pos += 2 + length
        if code == 0xDA:
            start, rst = pos, []
            while not (b[pos] == 0xFF and b[pos + 1] != 0 and not 0xD0 <= b[pos + 1] <= 0xD7):
                if b[pos] == 0xFF and 0xD0 <= b[pos + 1] <= 0xD7:
                    rst.append(pos)
                pos += 1
            segs.append(Seg("entropy", None, start, pos, rst))
    assert segs[-1].name == "EOI" and segs[-1].end == len(b)
    return segs


def be16(v):
    return struct.pack(">H", v & 0xFFFF)


def put(b, at, data):
    return b[:at] + data + b[at + len(data):]


def flip_bits(b, rnd, lo, hi, n):
    out = bytearray(b)
    for _ in range(n):
        i = rnd.randrange(lo, hi)
        out[i] ^= 1 << rnd.randrange(8)
    return bytes(out)


def rotate(seq, start, k):
    """`k` items of `seq` from index `start` on, wrapping around: each original gets a few of
    the variants of a kind, and together the originals cover all of them."""
    seq = list(seq)
    return [seq[(start + i) % len(seq)] for i in range(min(k, len(seq)))]


def first(segs, name):
    return next((s for s in segs if s.name == name), None)


def sof(segs):
    return next(s for s in segs if s.name.startswith("SOF"))


def jpeg_mutations(idx, name, b, rnd):
    """Yields (class, detail, bytes, expected) for the `idx`-th original JPEG."""
    segs = parse_jpeg(b)
    header_end = first(segs, "entropy").start  # after the first SOS header
    yield "valid", "original", b, "ok"

    # Truncation inside each kind of segment (the first and last of a kind): before the
    # marker, after FF, after the code, in the length, after it, in the body, one byte short
    # (two of these points per segment, in turn).
    seen = collections.defaultdict(list)
    for s in segs:
        if s.code is not None and s.name not in ("SOI", "EOI"):
            seen[s.name].append(s)
    for j, (kind, group) in enumerate(seen.items()):
        picks = {id(s): s for s in (group[0], group[-1])}
        for k, s in enumerate(picks.values()):
            points = [s.start, s.start + 1, s.start + 2, s.start + 3, s.start + 4,
                      (s.start + 4 + s.end) // 2, s.end - 1]
            for cut in sorted(set(rotate(points, 2 * (idx + j + k), 2))):
                if s.start <= cut < s.end:
                    # A cut before the first scan's data leaves no image at all.
                    expect = "error" if cut <= header_end else "any"
                    yield ("truncate-segment", f"{kind}{k}-at{cut}", b[:cut], expect)
    yield "truncate-segment", "SOI-1", b[:1], "error"
    yield "truncate-segment", "empty", b"", "error"

    # Truncation inside entropy data: the start, fractions, around restart markers, the end.
    scans = [s for s in segs if s.name == "entropy"]
    for si, s in enumerate(scans[:2] + scans[-1:] if len(scans) > 3 else scans):
        n = s.end - s.start
        cuts = {s.start + 1, s.end - 1} | {s.start + n * k // 8 for k in (1, 3, 4, 7)}
        for r in s.rst[:2] + s.rst[-1:]:
            cuts |= {r, r + 1}
        for cut in sorted(c for c in cuts if s.start < c < s.end):
            yield "truncate-entropy", f"scan{si}-at{cut}", b[:cut], "error:InvalidFile"
    # Between scans of a progressive file: complete scans, the rest missing.
    for s in [s for s in segs if s.name == "SOS"][1:]:
        yield "truncate-entropy", f"before-sos-{s.start}", b[:s.start], "error:InvalidFile"
    # Before EOI: the marker missing or cut, and garbage after it (which decoders ignore).
    # Without `accept_truncated`, anything short of the EOI is refused (see codec's docs).
    yield "truncate-eoi", "no-eoi", b[:-2], "error:InvalidFile"
    yield "truncate-eoi", "half-eoi", b[:-1], "error:InvalidFile"
    yield "truncate-eoi", "eoi-last-byte-lost", b[:-3] + b[-2:], "error:InvalidFile"
    yield "truncate-eoi", "garbage-after", b + bytes(rnd.randrange(256) for _ in range(64)), "ok"
    yield "truncate-eoi", "eoi-replaced", b[:-2] + b"\x00\x00", "error:InvalidFile"

    # Bit flips: in the headers (single and several) and in the entropy data.
    for k in range(8):
        yield "bitflip-header", f"one-{k}", flip_bits(b, rnd, 2, header_end, 1), "any"
    for k in range(3):
        yield "bitflip-header", f"many-{k}", flip_bits(b, rnd, 2, header_end, 6), "any"
    s0 = scans[0]
    for k in range(6):
        yield ("bitflip-entropy", f"flip-{k}",
               flip_bits(b, rnd, s0.start, s0.end, 1 + 3 * (k % 3)), "any")

    # Lying frame sizes.
    f = sof(segs)
    h, w = struct.unpack(">HH", b[f.start + 5:f.start + 9])
    sizes = [
        ("zero-width", h, 0, "error:InvalidFile"), ("zero-height", 0, w, "error:InvalidFile"),
        ("zero-both", 0, 0, "error:InvalidFile"),
        ("65000x65000", 65000, 65000, "error:SizeOverflow"),
        ("65535x65535", 65535, 65535, "error:SizeOverflow"),
        ("65501-wide", h, 65501, "error:SizeOverflow"),
        ("65500x65500", 65500, 65500, "error:SizeOverflow"),
        ("1x1", 1, 1, "any"), ("width+1", h, w + 1, "any"), ("height+1", h + 1, w, "any"),
        ("width-1", h, max(1, w - 1), "any"), ("double", 2 * h, 2 * w, "any"),
        ("tall", min(65500, 16 * h), w, "any"), ("12000x12000", 12000, 12000, "any"),
        ("65500x8", 8, 65500, "any"),
    ]
    for label, nh, nw, expect in sizes:
        yield "frame-size", label, put(b, f.start + 5, be16(nh) + be16(nw)), expect

    # Other frame header fields.
    ncomp = b[f.start + 9]
    comp0 = f.start + 10
    for p in (0, 1, 7, 12, 16, 255):
        yield "frame-fields", f"precision-{p}", put(b, f.start + 4, bytes([p])), "error"
    for n in sorted({0, 2, ncomp + 1, 255}):
        if n != ncomp:
            yield "frame-fields", f"ncomp-{n}", put(b, f.start + 9, bytes([n])), "error"
    for c in range(ncomp):
        for hv in rotate((0x00, 0x05, 0x50, 0x55, 0x44, 0xFF), 2 * (idx + c), 2):
            yield ("frame-fields", f"sampling-c{c}-{hv:02x}",
                   put(b, comp0 + 3 * c + 1, bytes([hv])), "any")
        for tq in rotate((3, 4, 255), idx + c, 1):
            yield "frame-fields", f"quant-sel-c{c}-{tq}", put(b, comp0 + 3 * c + 2, bytes([tq])), "any"
    if ncomp > 1:
        yield "frame-fields", "duplicate-id", put(b, comp0 + 3, b[comp0:comp0 + 1]), "any"
    for code in rotate((0xC1, 0xC2, 0xC3, 0xC5, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCF), 3 * idx, 3):
        if code != f.code:
            yield "frame-fields", f"sof-type-{code:02x}", put(b, f.start + 1, bytes([code])), "any"

    # Lying segment lengths, for each segment kind.
    for j, (kind, group) in enumerate(seen.items()):
        s = group[0]
        length = s.end - s.start - 2
        for label, v in rotate((("0", 0), ("1", 1), ("2", 2), ("minus1", length - 1),
                                ("plus1", length + 1), ("plus7", length + 7), ("ffff", 0xFFFF),
                                ("to-end", min(0xFFFF, len(b) - s.start - 2))), 3 * (idx + j), 4):
            if v != length:
                yield "segment-length", f"{kind}-{label}", put(b, s.start + 2, be16(v)), "any"

    # Broken Huffman tables (the first DHT segment's first table).
    d = first(segs, "DHT")
    if d is not None:
        t = d.start + 4  # Tc/Th byte
        counts = t + 1
        nsym = sum(b[counts:counts + 16])
        yield "huffman", "class-2", put(b, t, bytes([0x20 | (b[t] & 0x0F)])), "any"
        yield "huffman", "id-4", put(b, t, bytes([(b[t] & 0xF0) | 4])), "any"
        yield "huffman", "id-15", put(b, t, bytes([(b[t] & 0xF0) | 15])), "any"
        yield "huffman", "counts-255", put(b, counts, bytes([255] * 16)), "any"
        yield "huffman", "counts-zero", put(b, counts, bytes(16)), "any"
        yield "huffman", "overfull-1bit", put(b, counts, bytes([3])), "any"
        yield "huffman", "overfull-8bit", put(b, counts + 7, bytes([255])), "any"
        yield "huffman", "one-code-short", put(b, counts + 15, bytes([b[counts + 15] + 1])), "any"
        yield "huffman", "symbols-ff", put(b, counts + 16, bytes([0xFF] * min(nsym, 12))), "any"
        yield "huffman", "symbols-same", put(b, counts + 16, bytes([b[counts + 16]] * nsym)), "any"
        body = b[d.start + 4:d.end]
        half = body[:len(body) // 2]
        yield "huffman", "body-cut", b[:d.start + 2] + be16(len(half) + 2) + half + b[d.end:], "any"
        yield "huffman", "all-dht-removed", b"".join(
            b[s.start:s.end] for s in segs if s.name != "DHT"), "any"
        zeros = bytes([0x00]) + bytes([1]) + bytes(15) + bytes([0])
        dht = b"\xff\xc4" + be16(2 + len(zeros)) + zeros
        yield "huffman", "dc-one-symbol", b[:d.end] + dht + b[d.end:], "any"
        yield "huffman", "random-table-bytes", flip_bits(b, rnd, d.start + 4, d.end, 8), "any"

    # Broken quantization tables.
    q = first(segs, "DQT")
    t = q.start + 4
    yield "quant", "precision-16bit", put(b, t, bytes([0x10 | (b[t] & 0x0F)])), "any"
    yield "quant", "precision-2", put(b, t, bytes([0x20 | (b[t] & 0x0F)])), "any"
    yield "quant", "id-4", put(b, t, bytes([4])), "any"
    yield "quant", "id-15", put(b, t, bytes([15])), "any"
    yield "quant", "all-zero", put(b, t + 1, bytes(64)), "any"
    yield "quant", "all-255", put(b, t + 1, bytes([255] * 64)), "any"
    yield "quant", "all-dqt-removed", b"".join(b[s.start:s.end] for s in segs if s.name != "DQT"), "any"
    yield "quant", "empty-body", b[:q.start + 2] + be16(2) + b[q.end:], "any"

    # Bad scan headers (the first SOS).
    s = first(segs, "SOS")
    ns = b[s.start + 4]
    tail = s.start + 5 + 2 * ns  # Ss
    for n in (0, 4, 5, 255):
        if n != ns:
            yield "scan-header", f"ns-{n}", put(b, s.start + 4, bytes([n])), "any"
    yield "scan-header", "unknown-component", put(b, s.start + 5, bytes([0xEE])), "any"
    yield "scan-header", "tables-ff", put(b, s.start + 6, bytes([0xFF])), "any"
    yield "scan-header", "tables-44", put(b, s.start + 6, bytes([0x44])), "any"
    yield "scan-header", "ss-64", put(b, tail, bytes([64])), "any"
    yield "scan-header", "se-0", put(b, tail + 1, bytes([0])), "any"
    yield "scan-header", "se-255", put(b, tail + 1, bytes([255])), "any"
    yield "scan-header", "ah-al-ff", put(b, tail + 2, bytes([0xFF])), "any"
    yield "scan-header", "al-13", put(b, tail + 2, bytes([0x0D])), "any"

    # Markers where they do not belong, missing or repeated.
    yield "markers", "second-soi", b[:2] + b"\xff\xd8" + b[2:], "error"
    yield "markers", "fill-bytes", b[:2] + b"\xff\xff\xff" + b[2:], "any"
    yield "markers", "rst-in-header", b[:2] + b"\xff\xd0" + b[2:], "any"
    yield "markers", "tem-in-header", b[:2] + b"\xff\x01" + b[2:], "any"
    yield "markers", "stuffed-zero-in-header", b[:2] + b"\xff\x00" + b[2:], "error"
    yield "markers", "eoi-first", b[:2] + b"\xff\xd9" + b[2:], "error"
    yield "markers", "sos-first", b[:2] + b[s.start:s.end] + b[2:], "error"
    yield "markers", "second-frame", b[:-2] + b[f.start:f.end] + b[s.start:] , "any"
    yield "markers", "dnl", b[:s0.end] + b"\xff\xdc\x00\x04" + be16(h) + b[s0.end:], "any"
    yield "markers", "no-sos", b"".join(
        b[x.start:x.end] for x in segs if x.name not in ("SOS", "entropy")), "error"
    yield "markers", "unknown-ff4f", b[:2] + b"\xff\x4f\x00\x04\x00\x00" + b[2:], "any"
    for v in (0, 1, 2, 0xFFFF):
        dri = b"\xff\xdd\x00\x04" + be16(v)
        yield "markers", f"dri-{v}", b[:f.start] + dri + b[f.start:], "any"
    if s0.rst:
        r = s0.rst[0]
        yield "markers", "rst-wrong-number", put(b, r + 1, bytes([0xD0 + (b[r + 1] - 0xD0 + 3) % 8])), "any"
        yield "markers", "rst-removed", b[:r] + b[r + 2:], "any"
        yield "markers", "rst-all-removed", bytes(
            x for i, x in enumerate(b) if not any(i in (q, q + 1) for q in s0.rst)), "any"
        yield "markers", "rst-doubled", b[:r] + b[r:r + 2] + b[r:], "any"
    yield "markers", "many-app", b[:2] + (b"\xff\xe5\x00\x06abcd" * 3000) + b[2:], "any"

    # Exif blocks that lie (the probe ignores a malformed one; decoding goes on).
    a = next((x for x in segs if x.name == "APP1" and b[x.start + 4:x.start + 10] == b"Exif\0\0"), None)
    if a is not None:
        tiff = a.start + 10
        little = b[tiff:tiff + 2] == b"II"
        u32 = (lambda v: struct.pack("<I" if little else ">I", v))
        u16 = (lambda v: struct.pack("<H" if little else ">H", v))
        ifd = struct.unpack("<I" if little else ">I", b[tiff + 4:tiff + 8])[0]
        yield "exif", "ifd-offset-past-end", put(b, tiff + 4, u32(0xFFFFFF00)), "ok"
        yield "exif", "ifd-offset-self", put(b, tiff + 4, u32(0)), "ok"
        yield "exif", "entry-count-ffff", put(b, tiff + ifd, u16(0xFFFF)), "ok"
        yield "exif", "byte-order-xx", put(b, tiff, b"XX"), "ok"
        # The orientation entry's value, wherever the tag is.
        for i in range(tiff + ifd + 2, a.end - 12):
            if b[i:i + 2] == u16(0x0112):
                for v in (0, 9, 0xFFFF):
                    yield "exif", f"orientation-{v}", put(b, i + 8, u16(v)), "ok"
                yield "exif", "orientation-type-ascii", put(b, i + 2, u16(2)), "ok"
                break
        yield "exif", "tiff-cut", b[:a.start + 2] + be16(12) + b[a.start + 4:a.start + 14] + b[a.end:], "ok"

    # Entropy data overwritten: runs of random bytes, unstuffed FF bytes, zeros.
    for k in range(4):
        i = rnd.randrange(s0.start, s0.end - 1)
        n = rnd.choice((1, 2, 4, 16))
        yield ("entropy-damage", f"random-{k}",
               put(b, i, bytes(rnd.randrange(256) for _ in range(min(n, s0.end - i)))), "any")
    i = (s0.start + s0.end) // 2
    yield "entropy-damage", "unstuffed-ff", put(b, i, b"\xff\x37"), "any"
    yield "entropy-damage", "zeroed", put(b, s0.start, bytes(s0.end - s0.start)), "any"
    yield "entropy-damage", "all-ff00", put(b, s0.start, b"\xff\x00" * ((s0.end - s0.start) // 2)), "any"
    yield "entropy-damage", "doubled", b[:s0.end] + b[s0.start:s0.end] + b[s0.end:], "any"
    yield "entropy-damage", "halved", b[:s0.start] + b[s0.start:(s0.start + s0.end) // 2] + b[s0.end:], "any"


# ---------------------------------------------------------------------------------------------
# PNG originals: a writer for every colour type, bit depth and Adam7, and Pillow's encoder.

PNG_SIG = b"\x89PNG\r\n\x1a\n"
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in samples)
    out, acc, nbits = bytearray(), 0, 0
    for v in samples:
        acc = (acc << depth) | v
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_rows(rows, bpp):
    """Each row filtered with type (row index mod 5): all five filters appear."""
    out, prev = bytearray(), bytes(len(rows[0])) if rows else b""
    for y, row in enumerate(rows):
        ft = y % 5
        f = bytearray(len(row))
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            up = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, up, (a + up) // 2, paeth(a, up, c))[ft]
            f[i] = (x - pred) & 0xFF
        out.append(ft)
        out += f
        prev = row
    return bytes(out)


def png_file(w, h, color, depth, sample, interlace=False, plte=None, trns=None, extra=(),
             idat_size=None):
    """A PNG of `sample(x, y)` -> list of channel values; `extra` chunks go before PLTE."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    bpp = max(1, channels * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        xs = range(x0, w, dx)
        rows = [pack_row([v for x in xs for v in sample(x, y)], depth) for y in range(y0, h, dy)]
        if xs and rows:
            raw += filter_rows(rows, bpp)
    data = zlib.compress(bytes(raw), 9)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, int(interlace))
    out = PNG_SIG + chunk(b"IHDR", ihdr) + b"".join(chunk(k, d) for k, d in extra)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    step = idat_size or len(data)
    for i in range(0, len(data), step):
        out += chunk(b"IDAT", data[i:i + step])
    return out + chunk(b"IEND", b"")


def png_originals():
    from PIL import Image

    ph = {}

    def photo(w, h, seed):
        if (w, h, seed) not in ph:
            ph[w, h, seed] = photo_rgb(w, h, seed)
        p = ph[w, h, seed]
        return lambda x, y: p[3 * (y * w + x):3 * (y * w + x) + 3]

    def gray(w, h, seed, depth):
        p = photo(w, h, seed)
        top = (1 << depth) - 1
        return lambda x, y: [sum(p(x, y)) * top // 765]

    def deep(w, h, seed, alpha):
        p = photo(w, h, seed)
        return lambda x, y: [v * 257 ^ (x * 7 + y) & 0xFF for v in p(x, y)] + (
            [(x * 4099 + y * 977) & 0xFFFF] if alpha else [])

    def rgba(w, h, seed):
        p = photo(w, h, seed)
        return lambda x, y: list(p(x, y)) + [(x * 9 + y * 5) & 0xFF]

    def ga(w, h, seed, depth):
        g = gray(w, h, seed, depth)
        return lambda x, y: g(x, y) + [(x * 13 + y) % (1 << depth)]

    def index(w, h, seed, depth):
        g = gray(w, h, seed, depth)
        return lambda x, y: g(x, y)

    palette = bytes((i * 37 + k * 91) & 0xFF for i in range(256) for k in range(3))
    text = [(b"tEXt", b"Comment\0scipix malformed corpus"), (b"gAMA", struct.pack(">I", 45455))]
    out = {
        "gray1": png_file(37, 23, 0, 1, gray(37, 23, 1, 1)),
        "gray2-adam7": png_file(29, 19, 0, 2, gray(29, 19, 2, 2), interlace=True),
        "gray4": png_file(33, 17, 0, 4, gray(33, 17, 3, 4)),
        "gray8-text": png_file(48, 32, 0, 8, gray(48, 32, 4, 8), extra=text),
        "gray16-adam7": png_file(31, 21, 0, 16, lambda x, y: [(x * 2111 + y * 977) & 0xFFFF],
                                 interlace=True),
        "gray-alpha8": png_file(40, 24, 4, 8, ga(40, 24, 5, 8)),
        "gray-alpha16": png_file(21, 13, 4, 16, lambda x, y: [(x * 911) & 0xFFFF, (y * 3001) & 0xFFFF]),
        "rgb8": png_file(64, 40, 2, 8, photo(64, 40, 6)),
        "rgb8-trns-adam7": png_file(45, 27, 2, 8, photo(45, 27, 7), interlace=True,
                                    trns=struct.pack(">HHH", 12, 200, 7)),
        "rgb16": png_file(24, 20, 2, 16, deep(24, 20, 8, False)),
        "rgba8-idats": png_file(56, 36, 6, 8, rgba(56, 36, 9), idat_size=256),
        "rgba16-adam7": png_file(19, 15, 6, 16, deep(19, 15, 10, True), interlace=True),
        "palette1": png_file(35, 9, 3, 1, index(35, 9, 11, 1), plte=palette[:6]),
        "palette2-trns": png_file(26, 14, 3, 2, index(26, 14, 12, 2), plte=palette[:12],
                                  trns=b"\x00\x80"),
        "palette4-adam7": png_file(30, 22, 3, 4, index(30, 22, 13, 4), plte=palette[:48],
                                   interlace=True, trns=bytes(range(0, 255, 20))),
        "palette8-short-plte": png_file(40, 30, 3, 8, index(40, 30, 14, 8), plte=palette[:300]),
        "gray8-trns-srgb": png_file(20, 20, 0, 8, gray(20, 20, 15, 8), trns=b"\x00\x40",
                                    extra=[(b"sRGB", b"\x00")]),
    }
    img = Image.frombytes("RGB", (128, 96), photo_rgb(128, 96, 16))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    out["pillow-rgb-large"] = buf.getvalue()
    buf = io.BytesIO()
    img.quantize(64).save(buf, format="PNG")
    out["pillow-palette"] = buf.getvalue()
    return out


def parse_png(b):
    """[(start, length, type, data)] of each chunk after the signature."""
    out, pos = [], 8
    while pos < len(b):
        n = struct.unpack(">I", b[pos:pos + 4])[0]
        out.append((pos, n, b[pos + 4:pos + 8], b[pos + 8:pos + 8 + n]))
        pos += 12 + n
    assert pos == len(b)
    return out


def png_rebuild(chunks):
    return PNG_SIG + b"".join(chunk(k, d) for k, d in chunks)


def idat_stream(chunks):
    return b"".join(d for k, d in chunks if k == b"IDAT")


def with_stream(chunks, stream, split=None):
    """`chunks` with the IDATs replaced by `stream` (in one chunk, or `split`-byte chunks)."""
    out, done = [], False
    for k, d in chunks:
        if k == b"IDAT":
            if not done:
                step = split or max(1, len(stream))
                out += [(b"IDAT", stream[i:i + step]) for i in range(0, len(stream), step)] or [
                    (b"IDAT", b"")]
                done = True
        else:
            out.append((k, d))
    return out


def zlib_header(cmf, flags):
    """CMF and FLG bytes with `flags` (FDICT 0x20, FLEVEL) and a valid FCHECK."""
    flg = flags & 0xE0
    return bytes([cmf, flg | (31 - (cmf * 256 + flg) % 31) % 31])


def png_mutations(idx, name, b, rnd):
    chunks_at = parse_png(b)
    chunks = [(k, d) for _, _, k, d in chunks_at]
    ihdr = chunks[0][1]
    w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    first_idat = next(s for s, _, k, _ in chunks_at if k == b"IDAT")
    iend = chunks_at[-1][0]
    yield "valid", "original", b, "ok"

    # Truncation: in the signature, then inside each kind of chunk (first and last of a kind):
    # in the length, the type, the data, the CRC (three of these points per chunk, in turn).
    # A PNG cut anywhere lacks its IEND, and is refused.
    for cut in (0, 1, 4, 7):
        yield "truncate-chunk", f"signature-at{cut}", b[:cut], "error:InvalidFile"
    kinds = collections.defaultdict(list)
    for c in chunks_at:
        kinds[c[2]].append(c)
    for j, (kind, group) in enumerate(kinds.items()):
        picks = {g[0]: g for g in (group[0], group[-1])}
        for k, (s, n, _, _) in enumerate(picks.values()):
            points = [s, s + 2, s + 4, s + 6, s + 8, s + 8 + n // 2, s + 8 + n, s + 10 + n,
                      s + 11 + n]
            for cut in sorted(set(rotate(points, 3 * (idx + j + k), 3))):
                yield "truncate-chunk", f"{kind.decode()}{k}-at{cut}", b[:cut], "error:InvalidFile"
    # Truncation inside the zlib stream, with the chunks around it well formed.
    stream = idat_stream(chunks)
    for frac in (1, 2, 4, 6, 7):
        cut = len(stream) * frac // 8
        yield ("truncate-zlib", f"at-{frac}of8", png_rebuild(with_stream(chunks, stream[:cut])),
               "error" if cut < len(stream) - 8 else "any")
    yield "truncate-zlib", "last-byte", png_rebuild(with_stream(chunks, stream[:-1])), "any"
    yield "truncate-zlib", "no-adler", png_rebuild(with_stream(chunks, stream[:-4])), "any"
    # Before IEND: IEND missing, cut, and garbage after it.
    yield "truncate-iend", "no-iend", b[:iend], "error:InvalidFile"
    yield "truncate-iend", "iend-cut", b[:iend + 6], "error:InvalidFile"
    yield "truncate-iend", "garbage-after", b + bytes(rnd.randrange(256) for _ in range(40)), "ok"
    yield "truncate-iend", "last-idat-missing", png_rebuild(
        [c for i, c in enumerate(chunks) if not (c[0] == b"IDAT" and i == max(
            j for j, x in enumerate(chunks) if x[0] == b"IDAT"))]), "any"

    # Bit flips in the header chunks (before the first IDAT), CRC left bad or fixed up, and
    # in the image data.
    for k in range(6):
        yield "bitflip-header", f"one-{k}", flip_bits(b, rnd, 8, first_idat, 1), "any"
    for k in range(2):
        yield "bitflip-header", f"many-{k}", flip_bits(b, rnd, 8, first_idat, 5), "any"
    for k in range(5):
        i = rnd.randrange(len(chunks) - 1)
        while chunks[i][0] == b"IDAT" or not chunks[i][1]:
            i = rnd.randrange(len(chunks) - 1)
        kind, d = chunks[i]
        fixed = chunks[:i] + [(kind, flip_bits(d, rnd, 0, len(d), 1 + k % 3))] + chunks[i + 1:]
        yield "bitflip-header-crc-fixed", f"{kind.decode()}-{k}", png_rebuild(fixed), "any"
    for k in range(3):
        yield "bitflip-data", f"crc-bad-{k}", flip_bits(b, rnd, first_idat + 8, iend - 4, 1 + k), "any"
    for k in range(3):
        fixed = with_stream(chunks, flip_bits(stream, rnd, 0, len(stream), 1 + 2 * k))
        yield "bitflip-data", f"crc-fixed-{k}", png_rebuild(fixed), "any"

    # Bad CRCs, chunk by chunk kind.
    for kind, group in kinds.items():
        s, n, _, _ = group[0]
        crc_at = s + 8 + n
        bad = put(b, crc_at, bytes([b[crc_at] ^ 0x01]))
        critical = kind in (b"IHDR", b"PLTE", b"IDAT")
        expect = "error:InvalidFile" if critical else "any"
        yield "crc", f"{kind.decode()}-bit", bad, expect
        yield "crc", f"{kind.decode()}-zero", put(b, crc_at, bytes(4)), expect

    # Lying IHDR sizes (CRC fixed).
    def with_ihdr(**f):
        v = dict(w=w, h=h, depth=depth, color=color, comp=0, filt=0, inter=interlace)
        v.update(f)
        data = struct.pack(">IIBBBBB", v["w"], v["h"], v["depth"], v["color"], v["comp"],
                           v["filt"], v["inter"])
        return png_rebuild([(b"IHDR", data)] + chunks[1:])

    for label, nw, nh, expect in (
            ("zero-width", 0, h, "error:InvalidFile"), ("zero-height", w, 0, "error:InvalidFile"),
            ("65000x65000", 65000, 65000, "error:SizeOverflow"),
            ("65501x1", 65501, 1, "error:SizeOverflow"),
            ("65500x65500", 65500, 65500, "error:SizeOverflow"),
            ("2^31-1-wide", 2**31 - 1, h, "error"), ("2^31-wide", 2**31, h, "error:InvalidFile"),
            ("2^32-1-tall", w, 2**32 - 1, "error:InvalidFile"),
            ("width+1", w + 1, h, "error" if depth >= 8 else "any"),
            ("height+1", w, h + 1, "error"),
            ("double", 2 * w, 2 * h, "error"), ("width-1", max(1, w - 1), h, "any"),
            ("1x1", 1, 1, "any"), ("12000x12000", 12000, 12000, "error"),
            ("65500x8", 65500, 8, "error")):
        yield "image-size", label, with_ihdr(w=nw, h=nh), expect

    # Other IHDR fields (CRC fixed).
    for c in (1, 5, 7, 255):
        yield "header-fields", f"color-{c}", with_ihdr(color=c), "error:InvalidFile"
    for c in rotate([c for c in (0, 2, 3, 4, 6) if c != color], idx, 2):
        if c != color:
            yield "header-fields", f"color-{c}-instead", with_ihdr(color=c), "any"
    for d in rotate([d for d in (0, 3, 5, 32, 255, 1, 2, 4, 8, 16) if d != depth], 3 * idx, 4):
        if d != depth:
            yield "header-fields", f"depth-{d}", with_ihdr(depth=d), "any"
    yield "header-fields", "compression-1", with_ihdr(comp=1), "error:InvalidFile"
    yield "header-fields", "filter-method-1", with_ihdr(filt=1), "error:InvalidFile"
    yield "header-fields", "interlace-2", with_ihdr(inter=2), "error:InvalidFile"
    yield "header-fields", "interlace-toggled", with_ihdr(inter=1 - interlace), "any"
    yield "header-fields", "ihdr-long", png_rebuild([(b"IHDR", ihdr + b"\0")] + chunks[1:]), "error"
    yield "header-fields", "ihdr-short", png_rebuild([(b"IHDR", ihdr[:12])] + chunks[1:]), "error"

    # Lying chunk lengths, each chunk kind.
    for j, (kind, group) in enumerate(kinds.items()):
        s, n, _, _ = group[0]
        for label, v in rotate((("0", 0), ("minus1", n - 1), ("plus1", n + 1),
                                ("2^31-1", 2**31 - 1), ("2^31", 2**31), ("ffffffff", 2**32 - 1),
                                ("to-end", len(b) - s - 8)), 3 * (idx + j), 4):
            if 0 <= v != n:
                expect = "error" if kind in (b"IHDR", b"IDAT", b"PLTE") else "any"
                lying = put(b, s, struct.pack(">I", v))
                yield "chunk-length", f"{kind.decode()}-{label}", lying, expect

    # Damaged zlib streams (CRC fixed): header, block types, Huffman code lengths, Adler-32,
    # too little and too much data, a bomb.
    raw = zlib.decompress(stream)

    def z(label, data, expect="any"):
        return "zlib", label, png_rebuild(with_stream(chunks, data)), expect

    yield z("cmf-method-9", bytes([(stream[0] & 0xF0) | 9]) + stream[1:], "error")
    yield z("window-64k", zlib_header(0x88, 0) + stream[2:], "any")
    yield z("fcheck-bad", stream[:1] + bytes([stream[1] ^ 1]) + stream[2:], "any")
    yield z("fdict", zlib_header(stream[0], 0x20) + b"\0\0\0\1" + stream[2:], "any")
    yield z("btype-3", stream[:2] + bytes([stream[2] | 0x06]) + stream[3:], "error")
    yield z("code-lengths-flipped", stream[:2] + flip_bits(stream[2:12], rnd, 0, 10, 3) + stream[12:])
    yield z("adler-bad", stream[:-4] + bytes(4), "any")
    yield z("stored-nlen-bad", b"\x78\x01" + b"\x01" + struct.pack("<HH", len(raw), 0x1234) + raw
            + struct.pack(">I", zlib.adler32(raw)), "error")
    yield z("stored-ok", b"\x78\x01" + b"".join(
        bytes([int(i + 65535 >= len(raw))]) + struct.pack("<HH", len(raw[i:i + 65535]),
                                                        0xFFFF ^ len(raw[i:i + 65535])) + raw[i:i + 65535]
        for i in range(0, len(raw), 65535)) + struct.pack(">I", zlib.adler32(raw)), "ok")
    yield z("too-little-data", zlib.compress(raw[:len(raw) // 2]), "error")
    yield z("too-much-data", zlib.compress(raw + raw), "any")
    yield z("extra-after-stream", stream + b"\x00" * 32, "any")
    yield z("empty-stream", zlib.compress(b""), "error")
    yield z("not-zlib", bytes(rnd.randrange(256) for _ in range(len(stream))), "error")
    yield ("zlib", "one-byte-idats", png_rebuild(with_stream(chunks, stream, split=1)), "ok")
    empty_between = []
    for k, d in with_stream(chunks, stream, split=max(1, len(stream) // 3)):
        empty_between += [(k, d)] + ([(b"IDAT", b"")] if k == b"IDAT" else [])
    yield "zlib", "empty-idats-between", png_rebuild(empty_between), "ok"
    if name == "gray8-text":
        # A zlib bomb: 32 MB of zeros in a ~32 kB stream, for a 48x32 image.
        bomb = zlib.compress(bytes(32 << 20), 9)
        yield "zlib-bomb", "32mb-of-zeros", png_rebuild(with_stream(chunks, bomb)), "any"

    # Bad filter type bytes (stream re-encoded, CRC fixed). Row starts are known only for
    # non-interlaced images.
    if not interlace:
        stride = 1 + (w * {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color] * depth + 7) // 8
        for label, row in (("first", 0), ("middle", h // 2), ("last", h - 1)):
            for ft in (5, 255):
                r = bytearray(raw)
                r[row * stride] = ft
                fixed = png_rebuild(with_stream(chunks, zlib.compress(bytes(r))))
                yield "filter", f"{label}-{ft}", fixed, "error"

    # Palettes and transparency that break the rules.
    plte_i = next((i for i, c in enumerate(chunks) if c[0] == b"PLTE"), None)
    if color == 3 and plte_i is not None:
        p = chunks[plte_i][1]
        yield ("palette", "missing", png_rebuild(chunks[:plte_i] + chunks[plte_i + 1:]),
               "error:InvalidFile")
        for label, np_ in (("empty", b""), ("257-entries", bytes(771)), ("not-x3", p + b"\x01"),
                           ("one-entry", p[:3])):
            expect = "any" if label == "one-entry" else "error"
            yield "palette", label, png_rebuild(chunks[:plte_i] + [(b"PLTE", np_)] + chunks[plte_i + 1:]), expect
        yield "palette", "twice", png_rebuild(chunks[:plte_i + 1] + chunks[plte_i:]), "any"
        yield "palette", "after-idat", png_rebuild(
            chunks[:plte_i] + [c for c in chunks[plte_i + 1:-1]] + [chunks[plte_i], chunks[-1]]), "error"
        trns = (b"tRNS", bytes(range(len(p) // 3 + 5)))
        yield "palette", "trns-longer", png_rebuild(chunks[:plte_i + 1] + [trns] + [
            c for c in chunks[plte_i + 1:] if c[0] != b"tRNS"]), "any"
        yield "palette", "trns-before-plte", png_rebuild(chunks[:plte_i] + [trns] + [
            c for c in chunks[plte_i:] if c[0] != b"tRNS"]), "any"
    elif color in (0, 2, 4, 6):
        small = [(b"PLTE", bytes(range(9)))]
        yield "palette", "plte-in-non-palette", png_rebuild(chunks[:1] + small + chunks[1:]), "any"
        for label, t in (("trns-len-1", b"\x00"), ("trns-len-7", bytes(7)), ("trns-empty", b"")):
            yield "palette", label, png_rebuild(chunks[:1] + [(b"tRNS", t)] + [
                c for c in chunks[1:] if c[0] != b"tRNS"]), "any"

    # Chunk order and kinds.
    idats = [c for c in chunks if c[0] == b"IDAT"]
    others = [c for c in chunks[1:] if c[0] not in (b"IDAT", b"IEND")]
    yield "chunk-order", "idat-first", png_rebuild(idats + chunks[:1] + others + [chunks[-1]]), "error"
    yield "chunk-order", "ihdr-twice", png_rebuild(chunks[:1] + chunks), "error"
    yield ("chunk-order", "no-idat", png_rebuild([c for c in chunks if c[0] != b"IDAT"]),
           "error:InvalidFile")
    yield ("chunk-order", "iend-before-idat",
           png_rebuild(chunks[:1] + others + [chunks[-1]] + idats + [chunks[-1]]), "error")
    yield ("chunk-order", "gama-before-ihdr",
           png_rebuild([(b"gAMA", struct.pack(">I", 45455))] + chunks), "error:InvalidFile")
    if len(idats) > 1:
        i = next(i for i, c in enumerate(chunks) if c[0] == b"IDAT")
        yield "chunk-order", "idat-split-by-text", png_rebuild(
            chunks[:i + 1] + [(b"tEXt", b"a\0b")] + chunks[i + 1:]), "any"

    def after_ihdr(kind, data):
        return png_rebuild(chunks[:1] + [(kind, data)] + chunks[1:])

    yield "chunk-order", "unknown-critical", after_ihdr(b"ABCD", b"1234"), "any"
    yield "chunk-order", "unknown-ancillary", after_ihdr(b"abCd", b"1234"), "ok"
    yield "chunk-order", "type-not-letters", after_ihdr(b"a\x00\xff!", b"12"), "any"
    yield "chunk-order", "huge-ancillary", after_ihdr(b"zzTx", bytes(1 << 18)), "any"


# ---------------------------------------------------------------------------------------------


# Files per original and class (classes not named, such as the truncations inside each
# segment or chunk kind: all of them). Each original takes its own window of a class's
# variants, so that the originals together cover the variants while the corpus stays near
# 1,500 files per format (about 35 s on two cores).
PER_ORIGINAL = {
    "jpeg/truncate-entropy": 10, "jpeg/bitflip-header": 8,
    "jpeg/bitflip-entropy": 4, "jpeg/frame-size": 10, "jpeg/frame-fields": 10,
    "jpeg/segment-length": 8, "jpeg/huffman": 8, "jpeg/quant": 5, "jpeg/scan-header": 6,
    "jpeg/markers": 10, "jpeg/entropy-damage": 6,
    "png/truncate-zlib": 4, "png/bitflip-header": 5,
    "png/bitflip-header-crc-fixed": 3, "png/bitflip-data": 4, "png/image-size": 8,
    "png/header-fields": 7, "png/chunk-length": 6, "png/zlib": 8, "png/filter": 3,
    "png/palette": 5, "png/chunk-order": 6,
}


def generate(out):
    out = pathlib.Path(out)
    manifest = []
    rnd = random.Random(SEED)
    for fmt, originals, mutate, ext in (("jpeg", jpeg_originals(), jpeg_mutations, "jpg"),
                                        ("png", png_originals(), png_mutations, "png")):
        for idx, (name, data) in enumerate(originals.items()):
            names = set()
            by_class = collections.defaultdict(list)
            for m in mutate(idx, name, data, rnd):
                by_class[m[0]].append(m)
            picked = []
            for cls, ms in by_class.items():
                k = PER_ORIGINAL.get(f"{fmt}/{cls}", len(ms))
                picked += rotate(ms, idx * k, k)
            for cls, detail, blob, expect in picked:
                rel = f"{fmt}/{cls}/{name}--{detail}.{ext}"
                assert rel not in names, rel
                names.add(rel)
                path = out / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(blob)
                manifest.append((rel, f"{fmt}/{cls}", expect))
    (out / "manifest.tsv").write_text("".join(f"{r}\t{c}\t{e}\n" for r, c, e in manifest))
    counts = collections.Counter(c.split("/")[0] for _, c, _ in manifest)
    print(f"wrote {len(manifest)} files to {out} ({counts['jpeg']} JPEG, {counts['png']} PNG)")


def seeds(out):
    """Starting points for the fuzz targets: the small originals (the png target reads its
    first byte as options; the probe target gets the first bytes of both formats)."""
    out = pathlib.Path(out)
    for target, fmt, originals in (("decode", "jpg", jpeg_originals()),
                                   ("png", "png", png_originals())):
        for d in (out / target, out / "probe"):
            d.mkdir(parents=True, exist_ok=True)
        for k, (name, data) in enumerate(originals.items()):
            if len(data) <= 16384:
                pick = bytes([k * 37 & 0xFF]) if target == "png" else b""
                (out / target / name).write_bytes(pick + data)
                (out / "probe" / f"{name}.{fmt}").write_bytes(data[:1024])


STATUS = re.compile(r"^(ok (\d+)x(\d+)|error ([A-Za-z]+): .+)$")


def report(err):
    """The telling part of a decoder's stderr: a sanitizer report from its first line (the
    kind of access and the innermost frames) and its SUMMARY, else the panic or the end."""
    lines = err.strip().splitlines()
    start = next((i for i, l in enumerate(lines) if "ERROR: " in l and "Sanitizer" in l), None)
    if start is None:
        return "\n".join(lines[-30:])
    summary = [l for l in lines[start:] if l.startswith("SUMMARY:")]
    return "\n".join(lines[start:start + 24] + ["    ..."] + summary)


def check_one(decoder, root, rel, expect, timeout):
    """(problem or None, status line, seconds)."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    t0 = time.monotonic()
    try:
        p = subprocess.run([decoder, str(root / rel)], capture_output=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired:
        return f"hang: no answer after {timeout} s", "", timeout
    dt = time.monotonic() - t0
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    lines = out.splitlines()
    line = lines[0] if lines else ""
    if p.returncode != 0:
        what = (f"killed by signal {-p.returncode}" if p.returncode < 0
                else f"exit status {p.returncode}")
        return f"{what}\n{report(err)}", line, dt
    if "Sanitizer" in err or "panicked" in err:
        return f"exit status 0 but stderr says:\n{report(err)}", line, dt
    m = STATUS.match(line) if len(lines) == 1 else None
    if not m:
        return f"not one status line: {out!r}", line, dt
    if expect == "ok" and not line.startswith("ok "):
        return "a valid original must decode", line, dt
    if expect.startswith("error") and not line.startswith("error "):
        return "this file must be refused", line, dt
    if expect.startswith("error:") and m.group(4) != expect[6:]:
        return f"expected error kind {expect[6:]}", line, dt
    return None, line, dt


def run(decoder, root, jobs, timeout):
    root = pathlib.Path(root)
    rows = [l.split("\t") for l in (root / "manifest.tsv").read_text().splitlines()]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda r: check_one(decoder, root, r[0], r[2], timeout), rows))
    wall = time.monotonic() - t0
    per_class = collections.defaultdict(collections.Counter)
    failures = []
    with open(root / "results.tsv", "w") as f:
        for (rel, cls, expect), (problem, line, dt) in zip(rows, results):
            verdict = f"FAILED ({problem.splitlines()[0]})" if problem else "passed"
            f.write(f"{rel}\t{expect}\t{dt:.3f}\t{verdict}\t{line}\n")
            c = per_class[cls]
            c["files"] += 1
            for outcome in ("ok", "error"):
                c[outcome] += line.startswith(outcome + " ")
            if problem:
                c["failed"] += 1
                failures.append((rel, expect, line, problem))
    print(f"{'class':34} {'files':>6} {'ok':>6} {'error':>6} {'failed':>6}")
    for cls in sorted(per_class):
        c = per_class[cls]
        print(f"{cls:34} {c['files']:6} {c['ok']:6} {c['error']:6} {c['failed']:6}")
    slowest = max(zip(results, rows), key=lambda x: x[0][2])
    print(f"slowest file: {slowest[1][0]} ({slowest[0][2]:.2f} s); wall {wall:.0f} s, {jobs} jobs")
    for rel, expect, line, problem in failures[:20]:
        print(f"\nFAILED {root / rel} (expected {expect}; printed {line!r}): {problem}")
    if len(failures) > 20:
        print(f"\n... and {len(failures) - 20} more failures (see {root / 'results.tsv'})")
    n = len(rows)
    print(f"\nmalformed corpus: {n - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out")
    sd = sub.add_parser("seeds")
    sd.add_argument("out")
    r = sub.add_parser("run")
    r.add_argument("decoder")
    r.add_argument("out")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    if a.cmd in ("generate", "seeds"):
        (generate if a.cmd == "generate" else seeds)(a.out)
        return 0
    return run(a.decoder, a.out, a.jobs, a.timeout)


if __name__ == "__main__":
    sys.exit(main())

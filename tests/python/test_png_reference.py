"""scipix_decode_png against its two peers, bit for bit.

OpenCV convention vs cv2.imdecode: GRAY8 = IMREAD_GRAYSCALE, BGR8/RGB8 = IMREAD_COLOR,
BGRA8/RGBA8 = IMREAD_UNCHANGED (16-bit results >> 8; alpha 255 added where cv2 returns
no alpha channel). Pillow convention vs Image.open().convert('L' / 'RGB' / 'RGBA').

Inputs: PNGs written by Pillow (modes 1, L, LA, RGB, RGBA, P with and without
transparency, I;16, L and RGB with a transparent colour), by cv2.imencode (8/16-bit gray,
BGR, BGRA), and crafted here with zlib (every colour type x bit depth, Adam7, tRNS keys),
since neither Pillow nor cv2 writes Adam7 or low bit depths of every kind.

Run: cargo build --release &&
     SCIPIX_LIB=$PWD/target/release/libscipix.so python3 -m pytest -q tests/python/test_png_reference.py
"""
import ctypes
import io
import struct
import warnings
import zlib

import numpy as np
import pytest

from conftest import check, Image as ImageMut

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")

GRAY8, RGB8, BGR8, RGBA8, BGRA8 = range(5)
BPP = {GRAY8: 1, RGB8: 3, BGR8: 3, RGBA8: 4, BGRA8: 4}
OPENCV, PILLOW = 0, 1
ERR_NULL, ERR_INVALID_ARGUMENT, ERR_SIZE_OVERFLOW, ERR_UNSUPPORTED, ERR_INVALID_FILE = 1, 2, 3, 4, 8


class PngOptions(ctypes.Structure):
    _fields_ = [("max_pixels", ctypes.c_uint64), ("convention", ctypes.c_uint32)]


class PngInfo(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("bit_depth", ctypes.c_uint8),
        ("color_type", ctypes.c_uint8),
        ("interlaced", ctypes.c_uint8),
        ("has_trns", ctypes.c_uint8),
        ("palette_len", ctypes.c_uint16),
    ]


@pytest.fixture(scope="module")
def png_lib(lib):
    lib.scipix_decode_png.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.POINTER(PngOptions),
        ctypes.POINTER(ImageMut),
    ]
    lib.scipix_png_info.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(PngInfo)]
    lib.scipix_png_options_default.argtypes = [ctypes.POINTER(PngOptions)]
    return lib


def options(lib, convention=OPENCV, max_pixels=None):
    o = PngOptions()
    check(lib, lib.scipix_png_options_default(ctypes.byref(o)))
    o.convention = convention
    if max_pixels is not None:
        o.max_pixels = max_pixels
    return o


def info(lib, data):
    i = PngInfo()
    check(lib, lib.scipix_png_info(data, len(data), ctypes.byref(i)))
    return i


def decode_status(lib, data, buf, w, h, stride, fmt, opts, offset=0):
    desc = ImageMut(buf.ctypes.data + offset, w, h, stride, fmt)
    return lib.scipix_decode_png(data, len(data), ctypes.byref(opts), ctypes.byref(desc))


def decode(lib, data, fmt, convention):
    i = info(lib, data)
    w, h, c = i.width, i.height, BPP[fmt]
    buf = np.full((h, w * c), 0xA5, np.uint8)
    check(lib, decode_status(lib, data, buf, w, h, w * c, fmt, options(lib, convention)))
    return buf.reshape(h, w, c) if c > 1 else buf


# ---------------------------------------------------------------- a minimal PNG writer

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(tag, data):
    body = tag + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_rows(samples, depth):
    rows = []
    for row in samples:
        flat = row.reshape(-1).astype(np.uint32)
        if depth == 16:
            rows.append(flat.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(flat.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            flat = np.concatenate([flat, np.zeros((-len(flat)) % per, np.uint32)]).reshape(-1, per)
            packed = np.zeros(len(flat), np.uint32)
            for i in range(per):
                packed |= flat[:, i] << (8 - depth * (i + 1))
            rows.append(packed.astype(np.uint8).tobytes())
    return rows


def make_png(samples, color_type, depth, palette=None, trns=None, interlace=False):
    """samples: (h, w, channels) integers in the file's sample range."""
    samples = np.asarray(samples)
    if samples.ndim == 2:
        samples = samples[..., None]
    h, w, c = samples.shape
    assert c == CHANNELS[color_type]
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] and sub.shape[1]:
            raw += b"".join(b"\0" + r for r in pack_rows(sub, depth))
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        out += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw))
    return out + chunk(b"IEND", b"")


# ---------------------------------------------------------------- the corpus

def crafted_cases():
    rng = np.random.default_rng(20261206)
    cases = []
    kinds = [(0, [1, 2, 4, 8, 16]), (4, [8, 16]), (2, [8, 16]), (6, [8, 16]), (3, [1, 2, 4, 8])]
    for ct, depths in kinds:
        for d in depths:
            for w, h in [(1, 1), (7, 5), (33, 17)]:
                for interlace in (False, True):
                    c = CHANNELS[ct]
                    top = min(1 << d, 200) if ct == 3 else 1 << d
                    s = rng.integers(0, top, (h, w, c))
                    name = f"ct{ct}-{d}bit-{w}x{h}{'-adam7' if interlace else ''}"
                    if ct == 3:
                        pal = rng.integers(0, 256, (top, 3))
                        cases.append((name, make_png(s, 3, d, palette=pal, interlace=interlace)))
                        trns = bytes(rng.integers(0, 256, max(1, top // 2)).astype(np.uint8))
                        cases.append((name + "-trns", make_png(s, 3, d, palette=pal, trns=trns, interlace=interlace)))
                        continue
                    cases.append((name, make_png(s, ct, d, interlace=interlace)))
                    if ct in (0, 2):
                        key = s[0, 0].copy()
                        s2 = s.copy()
                        s2[::2, ::3] = key
                        trns = b"".join(int(v).to_bytes(2, "big") for v in key)
                        cases.append((name + "-trns", make_png(s2, ct, d, trns=trns, interlace=interlace)))
    # Palette edge cases: indices past PLTE; a tRNS longer than PLTE (libpng drops it).
    pal = rng.integers(0, 256, (5, 3))
    cases.append(("palette-index-past-plte", make_png(rng.integers(0, 9, (4, 6)), 3, 8, palette=pal, trns=b"\x10\x20")))
    cases.append(("palette-trns-longer-than-plte", make_png(rng.integers(0, 5, (4, 6)), 3, 8, palette=pal, trns=bytes(range(8)))))
    # A file gamma (gAMA or sRGB) sends libpng's color-to-gray through linear light.
    for tag, payload in [(b"gAMA", struct.pack(">I", 45455)), (b"gAMA", struct.pack(">I", 80000)),
                         (b"gAMA", struct.pack(">I", 100000)), (b"sRGB", b"\0")]:
        name = f"{tag.decode()}-{int.from_bytes(payload, 'big')}"
        s = rng.integers(0, 256, (13, 11, 4))
        s[::3, ::2, 1:3] = s[::3, ::2, :1]
        for ct, samples, extra in [(2, s[..., :3], {}), (6, s, {}),
                                   (3, s[..., :1] % 7, {"palette": rng.integers(0, 256, (7, 3))})]:
            base = make_png(samples, ct, 8, interlace=ct == 6, **extra)
            i = base.index(b"PLTE" if ct == 3 else b"IDAT") - 4
            cases.append((f"ct{ct}-{name}", base[:i] + chunk(tag, payload) + base[i:]))
        # 16-bit: libpng's 11-bit-indexed tables; every value once (R = G = B path) plus noise.
        v = np.arange(65536).reshape(128, 512)
        for ct, samples in [(2, np.dstack([v, v, v])), (6, rng.integers(0, 65536, (37, 29, 4)))]:
            base = make_png(samples, ct, 16)
            i = base.index(b"IDAT") - 4
            cases.append((f"ct{ct}-16bit-{name}", base[:i] + chunk(tag, payload) + base[i:]))
    # 16-bit keys whose low byte equals converted 8-bit values (Pillow's ImagingConvertTransparent).
    s = rng.integers(0, 65536, (9, 11, 3))
    s[::2, ::2] = [0x34 << 8 | 7, 0x78 << 8 | 9, 0xBC << 8 | 1]
    cases.append(("rgb16-lowbyte-key", make_png(s, 2, 16, trns=struct.pack(">HHH", 0x1234, 0x5678, 0x9ABC))))
    g = rng.integers(0, 400, (9, 11, 1))
    g[::2, ::2] = 80
    g[1::2, ::2] = 0x150
    cases.append(("gray16-lowbyte-key", make_png(g, 0, 16, trns=struct.pack(">H", 0x150))))
    return cases


def pillow_cases():
    rng = np.random.default_rng(7)
    h, w = 19, 23
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    out = []

    def save(name, im, **kw):
        f = io.BytesIO()
        im.save(f, format="PNG", **kw)
        out.append(("pillow-" + name, f.getvalue()))

    save("1", Image.fromarray(rgba[..., 0] > 127))
    save("L", Image.fromarray(rgba[..., 0]))
    save("LA", Image.fromarray(rgba[..., :2], "LA") if hasattr(Image, "fromarray") else None)
    save("RGB", Image.fromarray(rgba[..., :3]))
    save("RGBA", Image.fromarray(rgba))
    p = Image.fromarray(rgba[..., :3]).quantize(37)
    save("P", p)
    save("P-transparency-index", p, transparency=5)
    p2 = p.copy()
    p2.info["transparency"] = bytes(range(0, 250, 7))
    save("P-transparency-bytes", p2, transparency=bytes(range(0, 250, 7)))
    save("I16", Image.fromarray(rng.integers(0, 65536, (h, w)).astype(np.uint16)))
    save("I16-small", Image.fromarray(rng.integers(0, 300, (h, w)).astype(np.uint16)))
    save("L-transparency", Image.fromarray(rgba[..., 0]), transparency=int(rgba[0, 0, 0]))
    save("RGB-transparency", Image.fromarray(rgba[..., :3]), transparency=tuple(int(v) for v in rgba[0, 0, :3]))
    return out


def cv2_cases():
    rng = np.random.default_rng(11)
    h, w = 21, 17
    out = []
    for name, arr in [
        ("gray8", rng.integers(0, 256, (h, w), dtype=np.uint8)),
        ("bgr8", rng.integers(0, 256, (h, w, 3), dtype=np.uint8)),
        ("bgra8", rng.integers(0, 256, (h, w, 4), dtype=np.uint8)),
        ("gray16", rng.integers(0, 65536, (h, w)).astype(np.uint16)),
        ("bgr16", rng.integers(0, 65536, (h, w, 3)).astype(np.uint16)),
        ("bgra16", rng.integers(0, 65536, (h, w, 4)).astype(np.uint16)),
    ]:
        ok, enc = cv2.imencode(".png", arr)
        assert ok
        out.append(("cv2-" + name, enc.tobytes()))
    return out


CASES = crafted_cases() + pillow_cases() + cv2_cases()


# ---------------------------------------------------------------- the expectations

def cv2_expected(data, fmt):
    buf = np.frombuffer(data, np.uint8)
    if fmt == GRAY8:
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if fmt in (BGR8, RGB8):
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        return bgr if fmt == BGR8 else bgr[..., ::-1]
    un = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if un.dtype == np.uint16:
        un = (un >> 8).astype(np.uint8)
    if un.ndim == 2:
        un = np.dstack([un, un, un])
    if un.shape[2] == 3:
        un = np.dstack([un, np.full(un.shape[:2], 255, np.uint8)])
    return un if fmt == BGRA8 else un[..., [2, 1, 0, 3]]


def pillow_expected(data, fmt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = Image.open(io.BytesIO(data))
        mode = {GRAY8: "L", RGB8: "RGB", BGR8: "RGB", RGBA8: "RGBA", BGRA8: "RGBA"}[fmt]
        a = np.array(im.convert(mode))
    if fmt == BGR8:
        return a[..., ::-1]
    if fmt == BGRA8:
        return a[..., [2, 1, 0, 3]]
    return a


def assert_same(name, fmt, got, want):
    """Fails naming the first differing bytes when `got` is not `want`."""
    assert got.shape == want.shape, (name, fmt)
    if not np.array_equal(got, want):
        bad = np.argwhere(got != want)[:3]
        pytest.fail(f"{name} format {fmt}: {len(np.argwhere(got != want))} bytes differ, e.g. at "
                    f"{bad.tolist()}: got {[got[tuple(b)] for b in bad]} want {[want[tuple(b)] for b in bad]}")


@pytest.mark.parametrize("name,data", CASES, ids=[c[0] for c in CASES])
def test_opencv_convention_matches_cv2_imdecode(png_lib, name, data):
    for fmt in (GRAY8, RGB8, BGR8, RGBA8, BGRA8):
        assert_same(name, fmt, decode(png_lib, data, fmt, OPENCV), cv2_expected(data, fmt))


@pytest.mark.parametrize("name,data", CASES, ids=[c[0] for c in CASES])
def test_pillow_convention_matches_pillow_convert(png_lib, name, data):
    for fmt in (GRAY8, RGB8, BGR8, RGBA8, BGRA8):
        assert_same(name, fmt, decode(png_lib, data, fmt, PILLOW), pillow_expected(data, fmt))


def test_png_info_reports_the_header(png_lib):
    data = make_png(np.zeros((5, 7, 1), int), 3, 4, palette=np.zeros((9, 3)), trns=b"\0", interlace=True)
    i = info(png_lib, data)
    assert (i.width, i.height, i.bit_depth, i.color_type, i.interlaced, i.has_trns, i.palette_len) == (
        7, 5, 4, 3, 1, 1, 9)


def test_sub_region_view_writes_only_its_pixels(png_lib):
    rng = np.random.default_rng(3)
    s = rng.integers(0, 256, (17, 33, 4))
    data = make_png(s, 6, 8, interlace=True)
    parent = np.full((40, 60 * 4), 0x5A, np.uint8)
    x, y = 9, 11
    status = decode_status(png_lib, data, parent, 33, 17, parent.shape[1], BGRA8,
                           options(png_lib), offset=y * parent.shape[1] + x * 4)
    check(png_lib, status)
    region = parent[y:y + 17, x * 4:(x + 33) * 4].reshape(17, 33, 4)
    assert np.array_equal(region, s[..., [2, 1, 0, 3]].astype(np.uint8))
    mask = np.ones(parent.shape, bool)
    mask[y:y + 17, x * 4:(x + 33) * 4] = False
    assert np.all(parent[mask] == 0x5A)


def test_malformed_files_fail_with_a_status(png_lib):
    rng = np.random.default_rng(5)
    data = make_png(rng.integers(0, 256, (17, 33, 3)), 2, 8)
    buf = np.zeros((17, 33 * 3), np.uint8)

    def run(d, opts=None, w=33, h=17):
        return decode_status(png_lib, d, buf, w, h, 33 * 3, RGB8, opts or options(png_lib))

    assert run(data) == 0
    for cut in (0, 8, 30, 45, len(data) // 2, len(data) - 12, len(data) - 1):
        assert run(data[:cut]) == ERR_INVALID_FILE, cut
    idat = data.index(b"IDAT")
    n = struct.unpack(">I", data[idat - 4:idat])[0]
    bad_crc = bytearray(data)
    bad_crc[idat + 4 + n] ^= 1
    assert run(bytes(bad_crc)) == ERR_INVALID_FILE
    assert cv2.imdecode(np.frombuffer(bytes(bad_crc), np.uint8), cv2.IMREAD_COLOR) is None
    bad_ihdr = bytearray(data)
    bad_ihdr[29] ^= 1
    assert run(bytes(bad_ihdr)) == ERR_INVALID_FILE
    # A huge declared size is refused from the header (no 12 GB allocation).
    huge = bytearray(data)
    huge[16:24] = struct.pack(">II", 65000, 65000)
    huge[29:33] = struct.pack(">I", zlib.crc32(bytes(huge[12:29])))
    assert run(bytes(huge), w=33, h=17) == ERR_SIZE_OVERFLOW
    assert run(data, options(png_lib, max_pixels=33 * 17 - 1)) == ERR_SIZE_OVERFLOW
    # Wrong destination size, unknown convention.
    assert run(data, w=32) == ERR_INVALID_ARGUMENT
    assert run(data, options(png_lib, convention=9)) == ERR_INVALID_ARGUMENT

    assert "convention" in png_lib.scipix_last_error_message().decode()

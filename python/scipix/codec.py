"""Decoding encoded images (JPEG, PNG) bit-exact with ``cv2.imdecode`` and Pillow, and a
header probe.

    >>> import scipix, cv2, numpy as np
    >>> ok, buf = cv2.imencode(".jpg", np.full((5, 7, 3), 90, np.uint8))
    >>> info = scipix.probe(buf.tobytes())
    >>> (info.format, info.width, info.height)
    ('jpeg', 7, 5)
    >>> img = scipix.decode(buf.tobytes(), "bgr", apply_exif_orientation=True)
    >>> np.array_equal(img, cv2.imdecode(buf, cv2.IMREAD_COLOR))
    True

JPEG pixels come from libjpeg-turbo with its defaults, as in OpenCV and Pillow:
``format="bgr"`` equals ``cv2.imdecode(IMREAD_COLOR)``, "gray" ``IMREAD_GRAYSCALE``, "rgb"
and "rgba" Pillow's ``convert("RGB")`` / ``convert("RGBA")``; ``scale_num`` 4, 2, 1 are
``IMREAD_REDUCED_*_2/4/8`` and what Pillow's ``draft()`` picks. "gray" of a colour JPEG is
libjpeg's luma (Pillow gives it after ``draft("L", ...)``, not ``convert("L")``).
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, NamedTuple, Optional, Tuple, Union

import numpy as np

from ._arrays import image_desc, ptr
from ._ffi import _ffi
from .errors import InvalidArgument

Data = Union[bytes, bytearray, memoryview, np.ndarray]
"""Encoded bytes: any buffer of bytes (a uint8 array such as ``cv2.imencode``'s works)."""

_CONTAINERS = {"SCIPIX_CONTAINER_JPEG": "jpeg", "SCIPIX_CONTAINER_PNG": "png"}
_CHROMA = {"SCIPIX_CHROMA_444": "4:4:4", "SCIPIX_CHROMA_422": "4:2:2",
           "SCIPIX_CHROMA_420": "4:2:0", "SCIPIX_CHROMA_440": "4:4:0",
           "SCIPIX_CHROMA_411": "4:1:1", "SCIPIX_CHROMA_GRAY": "gray",
           "SCIPIX_CHROMA_OTHER": "other"}


class ImageInfo(NamedTuple):
    """What the header says (``scipix_probe``)."""

    format: str
    """"jpeg" or "png"."""
    width: int
    """Stored width (before any Exif orientation)."""
    height: int
    """Stored height."""
    channels: int
    """JPEG components (1, 3, 4 for CMYK); PNG channels after palette expansion."""
    bit_depth: int
    """Bits per sample."""
    progressive_or_interlaced: bool
    """Progressive JPEG or Adam7 PNG."""
    chroma_subsampling: str
    """"4:4:4", "4:2:2", "4:2:0", "4:4:0", "4:1:1", "gray" or "other"."""
    exif_orientation: int
    """1..8 (1 when absent)."""
    sof_type: int
    """n of the JPEG's SOFn marker (0 baseline, 2 progressive); 0 for PNG."""


def _bytes(data: Data) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    return np.frombuffer(memoryview(data).cast("B"), np.uint8)


def _name(table: Dict[str, str], value: int) -> str:
    for const, name in table.items():
        if _ffi.const(const) == value:
            return name
    return str(value)


def probe(data: Data) -> ImageInfo:
    """Reads the header of a JPEG or PNG without decoding it (bounded, allocation-free).
    Raises ``UnsupportedFormat`` for other formats, ``InvalidFile`` for a broken header."""
    buf = _bytes(data)
    i = _ffi.type("ScipixImageInfo")()
    _ffi.scipix_probe(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(i))
    return ImageInfo(_name(_CONTAINERS, i.format), i.width, i.height, i.channels, i.bit_depth,
                     bool(i.progressive_or_interlaced), _name(_CHROMA, i.chroma_subsampling),
                     i.exif_orientation, i.sof_type)


def _options(scale_num: int, apply_exif_orientation: bool, accept_truncated: bool,
             max_pixels: Optional[int]) -> Any:
    o = _ffi.type("ScipixDecodeOptions")()
    _ffi.scipix_decode_options_default(ctypes.byref(o))
    o.scale_num = int(scale_num)
    o.apply_exif_orientation = bool(apply_exif_orientation)
    o.accept_truncated = bool(accept_truncated)
    if max_pixels is not None:
        o.max_pixels = int(max_pixels)
    return o


def jpeg_output_size(data: Data, *, scale_num: int = 8, apply_exif_orientation: bool = False,
                     max_pixels: Optional[int] = None) -> Tuple[int, int]:
    """(width, height) ``decode`` returns for these options (``scipix_jpeg_output_size``)."""
    buf = _bytes(data)
    o = _options(scale_num, apply_exif_orientation, False, max_pixels)
    w, h = ctypes.c_size_t(), ctypes.c_size_t()
    _ffi.scipix_jpeg_output_size(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(o),
                                 ctypes.byref(w), ctypes.byref(h))
    return w.value, h.value


def decode(data: Data, format: str = "rgb", *, scale_num: int = 8,
           apply_exif_orientation: bool = False, accept_truncated: bool = False,
           max_pixels: Optional[int] = None, peer: str = "opencv",
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """Decodes a JPEG or PNG into an HxWxC (HxW for "gray") uint8 array
    (``scipix_decode_jpeg`` / ``scipix_decode_png``, chosen from the header).

    ``format``: "rgb", "bgr", "rgba", "bgra" or "gray". ``max_pixels``: the
    decompression-bomb limit (default 178956970, twice Pillow's ``MAX_IMAGE_PIXELS``).
    ``out``: an array of the right shape to decode into (a strided view such as
    ``big[10:20, 5:9]`` is written in place).

    JPEG only: ``scale_num``: DCT scale over 8 (8 full size, 4 half, 2 quarter, 1 eighth;
    1..16). ``apply_exif_orientation``: rotate as cv2 does (default False, as Pillow).
    ``accept_truncated``: decode truncated data as Pillow's ``LOAD_TRUNCATED_IMAGES`` does
    instead of raising ``InvalidFile``. Both peers decode JPEG alike.

    PNG only: ``peer``: "opencv" (``cv2.imdecode``: ``IMREAD_COLOR`` for "bgr",
    ``IMREAD_GRAYSCALE`` for "gray", ``IMREAD_UNCHANGED`` for "bgra") or "pillow"
    (``Image.open().convert("RGB" / "L" / "RGBA")``); they differ on 16-bit gray, colour to
    gray and transparency keys (``scipix.codec`` docs in the C header).
    """
    buf = _bytes(data)
    key = format.lower()
    if probe(buf).format == "png":
        if peer not in ("opencv", "pillow"):
            raise InvalidArgument(f"peer must be 'opencv' or 'pillow', not {peer!r}")
        if scale_num != 8 or apply_exif_orientation or accept_truncated:
            raise InvalidArgument("scale_num, apply_exif_orientation and accept_truncated "
                                  "apply to JPEG only")
        po = _ffi.type("ScipixPngOptions")()
        _ffi.scipix_png_options_default(ctypes.byref(po))
        po.convention = _ffi.const(f"SCIPIX_PNG_CONVENTION_{peer.upper()}")
        if max_pixels is not None:
            po.max_pixels = int(max_pixels)
        pi = _ffi.type("ScipixPngInfo")()
        _ffi.scipix_png_info(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(pi))
        w, h = int(pi.width), int(pi.height)
    else:
        o = _options(scale_num, apply_exif_orientation, accept_truncated, max_pixels)
        cw, ch = ctypes.c_size_t(), ctypes.c_size_t()
        _ffi.scipix_jpeg_output_size(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(o),
                                     ctypes.byref(cw), ctypes.byref(ch))
        w, h = cw.value, ch.value
    shape = (h, w) if key == "gray" else (h, w, 3 + key.endswith("a"))
    arr = np.empty(shape, np.uint8) if out is None else out
    desc, _ = image_desc(arr, key, writable=True, name="out")
    if arr.shape != shape:
        raise InvalidArgument(f"out must have shape {shape}, got {arr.shape}")
    if probe(buf).format == "png":
        _ffi.scipix_decode_png(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(po),
                               ctypes.byref(desc))
    else:
        _ffi.scipix_decode_jpeg(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(o),
                                ctypes.byref(desc), None)
    return arr

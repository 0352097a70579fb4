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
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

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


class BytesInfo(NamedTuple):
    """What a from-bytes pipeline did with one image (``ScipixBytesInfo``)."""

    format: str
    """"jpeg" or "png"."""
    source_width: int
    """Full-size width (after the Exif orientation when applied)."""
    source_height: int
    """Full-size height."""
    decoded_width: int
    """Width of the decoded image the pipeline ran on (smaller with ``mode="reduced"``)."""
    decoded_height: int
    """Height of the decoded image."""
    scale_num: int
    """DCT scale over 8 that was used (8: full size)."""
    truncated: bool
    """libjpeg filled truncated data (only with ``accept_truncated``)."""
    letterbox: Optional[Any]
    """The ``scipix.resize.LetterboxInfo`` relative to the decoded image (letterbox only)."""

    def to_source(self, boxes: Any) -> np.ndarray:
        """Maps boxes (..., 4) as x1, y1, x2, y2 from a letterbox tensor to the full-size
        image: the letterbox mapping, times ``8 / scale_num``."""
        if self.letterbox is None:
            raise InvalidArgument("to_source needs a letterbox pipeline's info")
        return np.asarray(self.letterbox.to_source(boxes) * (8.0 / self.scale_num))


def _bytes_options(mode: str, format: str, max_pixels: Optional[int],
                   apply_exif_orientation: bool, accept_truncated: bool, peer: str,
                   region_decode: bool) -> Any:
    if mode not in ("exact", "reduced"):
        raise InvalidArgument(f"mode must be 'exact' or 'reduced', not {mode!r}")
    if peer not in ("opencv", "pillow"):
        raise InvalidArgument(f"peer must be 'opencv' or 'pillow', not {peer!r}")
    if format.lower() not in ("rgb", "bgr", "gray"):
        raise InvalidArgument(f"format must be 'rgb', 'bgr' or 'gray', not {format!r}")
    o = _ffi.type("ScipixBytesOptions")()
    _ffi.scipix_bytes_options_default(ctypes.byref(o))
    o.mode = _ffi.const(f"SCIPIX_DECODE_{mode.upper()}")
    o.format = _ffi.const(f"SCIPIX_FORMAT_{format.upper()}8")
    if max_pixels is not None:
        o.max_pixels = int(max_pixels)
    o.apply_exif_orientation = bool(apply_exif_orientation)
    o.accept_truncated = bool(accept_truncated)
    o.png_convention = _ffi.const(f"SCIPIX_PNG_CONVENTION_{peer.upper()}")
    o.region_decode = bool(region_decode)
    return o


def _bytes_info(i: Any, letterbox: bool) -> BytesInfo:
    from .resize import _info
    return BytesInfo(_name(_CONTAINERS, i.container), i.source_width, i.source_height,
                     i.decoded_width, i.decoded_height, i.scale_num, bool(i.truncated),
                     _info(i.letterbox) if letterbox else None)


def _many(items: Sequence[Data]) -> Tuple[Any, Any, List[np.ndarray]]:
    keep = [_bytes(d) for d in items]
    if not keep:
        raise InvalidArgument("the batch has no images")
    ptrs = (ctypes.POINTER(ctypes.c_uint8) * len(keep))(*[ptr(b, ctypes.c_uint8) for b in keep])
    lens = (ctypes.c_size_t * len(keep))(*[b.size for b in keep])
    return ptrs, lens, keep


def decode_letterbox_to_tensor(data: Data, new_shape: Any = 640, *, mode: str = "exact",
                               format: str = "rgb", color: Any = 114, scaleup: bool = True,
                               center: bool = True, layout: Union[str, int] = "nchw",
                               apply_exif_orientation: bool = False,
                               accept_truncated: bool = False, max_pixels: Optional[int] = None,
                               peer: str = "opencv", region_decode: bool = True,
                               ) -> Tuple[np.ndarray, BytesInfo]:
    """Decodes a JPEG or PNG and letterboxes it into an RGB float32 tensor ``/255``
    (``scipix_bytes_letterbox_to_tensor``). ``mode="exact"`` equals ``cv2.imdecode`` +
    Ultralytics ``LetterBox`` + ``cv2.dnn.blobFromImage(img, 1/255, swapRB=True)`` bit for
    bit; ``mode="reduced"`` first decodes at 1/2, 1/4 or 1/8 (the largest that keeps the
    image at least that many times the letterbox's resized size, Pillow's ``draft`` rule),
    equal to the same chain from ``cv2.IMREAD_REDUCED_COLOR_k``. ``format="gray"`` gives
    one channel. Returns (tensor (1, C, H, W) or NHWC, BytesInfo)."""
    from .resize import _letterbox_params, _tensor_shape, _wh
    buf = _bytes(data)
    o = _bytes_options(mode, format, max_pixels, apply_exif_orientation, accept_truncated,
                       peer, region_decode)
    c = 1 if format.lower() == "gray" else 3
    p = _letterbox_params(new_shape, color, scaleup, False, False, center, 32, c)
    w, h = _wh(new_shape, "new_shape")
    res = np.empty(_tensor_shape(1, c, h, w, layout), np.float32)
    from .tensor import _layout_value
    i = _ffi.type("ScipixBytesInfo")()
    _ffi.scipix_bytes_letterbox_to_tensor(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(p),
                                          _layout_value(layout), ctypes.byref(o),
                                          ptr(res, ctypes.c_float), res.size, 0, ctypes.byref(i))
    return res, _bytes_info(i, True)


def decode_letterbox_batch_to_tensor(items: Sequence[Data], new_shape: Any = 640, *,
                                     mode: str = "exact", format: str = "rgb", color: Any = 114,
                                     scaleup: bool = True, center: bool = True,
                                     layout: Union[str, int] = "nchw",
                                     apply_exif_orientation: bool = False,
                                     accept_truncated: bool = False,
                                     max_pixels: Optional[int] = None, peer: str = "opencv",
                                     region_decode: bool = True,
                                     ) -> Tuple[np.ndarray, List[BytesInfo]]:
    """``decode_letterbox_to_tensor`` for N encoded images of any sizes into one
    (N, C, H, W) tensor, decoded in parallel (``scipix_bytes_letterbox_batch_to_tensor``)."""
    from .resize import _letterbox_params, _tensor_shape, _wh
    from .tensor import _layout_value
    ptrs, lens, keep = _many(items)
    o = _bytes_options(mode, format, max_pixels, apply_exif_orientation, accept_truncated,
                       peer, region_decode)
    c = 1 if format.lower() == "gray" else 3
    p = _letterbox_params(new_shape, color, scaleup, False, False, center, 32, c)
    w, h = _wh(new_shape, "new_shape")
    res = np.empty(_tensor_shape(len(keep), c, h, w, layout), np.float32)
    infos = (_ffi.type("ScipixBytesInfo") * len(keep))()
    _ffi.scipix_bytes_letterbox_batch_to_tensor(ptrs, lens, len(keep), ctypes.byref(p),
                                                _layout_value(layout), ctypes.byref(o),
                                                ptr(res, ctypes.c_float), res.size, infos)
    return res, [_bytes_info(i, True) for i in infos]


def decode_classify_to_tensor(data: Data, resize_short: int = 256, crop: Any = 224, *,
                              mode: str = "exact", format: str = "rgb",
                              mean: Any = (0.485, 0.456, 0.406), std: Any = (0.229, 0.224, 0.225),
                              layout: Union[str, int] = "nchw",
                              apply_exif_orientation: bool = False,
                              accept_truncated: bool = False, max_pixels: Optional[int] = None,
                              peer: str = "pillow", region_decode: bool = True,
                              ) -> Tuple[np.ndarray, BytesInfo]:
    """Decodes a JPEG or PNG and runs torchvision's classification input on it
    (``scipix_bytes_classify_to_tensor``). ``mode="exact"`` equals Pillow
    ``Image.open(f).convert("RGB")`` + ``Resize(resize_short)`` + ``CenterCrop(crop)`` +
    ``ToTensor()`` + ``Normalize(mean, std)`` bit for bit; ``mode="reduced"`` equals that
    chain after ``img.draft("RGB", size)`` with ``size`` the full-size ``Resize`` output.
    Only the JPEG columns and rows the crop reads are decoded (``region_decode``).
    Returns (tensor (1, C, H, W) or NHWC, BytesInfo)."""
    from .resize import _classify_args, _tensor_shape
    buf = _bytes(data)
    o = _bytes_options(mode, format, max_pixels, apply_exif_orientation, accept_truncated,
                       peer, region_decode)
    c = 1 if format.lower() == "gray" else 3
    p, m, s, cw, chh = _classify_args(resize_short, crop, layout, mean, std, c)
    res = np.empty(_tensor_shape(1, c, chh, cw, layout), np.float32)
    i = _ffi.type("ScipixBytesInfo")()
    _ffi.scipix_bytes_classify_to_tensor(ptr(buf, ctypes.c_uint8), buf.size, ctypes.byref(p),
                                         ptr(m, ctypes.c_float), m.size, ptr(s, ctypes.c_float),
                                         s.size, ctypes.byref(o), ptr(res, ctypes.c_float),
                                         res.size, 0, ctypes.byref(i))
    return res, _bytes_info(i, False)


def decode_classify_batch_to_tensor(items: Sequence[Data], resize_short: int = 256,
                                    crop: Any = 224, *, mode: str = "exact", format: str = "rgb",
                                    mean: Any = (0.485, 0.456, 0.406),
                                    std: Any = (0.229, 0.224, 0.225),
                                    layout: Union[str, int] = "nchw",
                                    apply_exif_orientation: bool = False,
                                    accept_truncated: bool = False,
                                    max_pixels: Optional[int] = None, peer: str = "pillow",
                                    region_decode: bool = True,
                                    ) -> Tuple[np.ndarray, List[BytesInfo]]:
    """``decode_classify_to_tensor`` for N encoded images of any sizes into one
    (N, C, H, W) tensor, decoded in parallel (``scipix_bytes_classify_batch_to_tensor``)."""
    from .resize import _classify_args, _tensor_shape
    ptrs, lens, keep = _many(items)
    o = _bytes_options(mode, format, max_pixels, apply_exif_orientation, accept_truncated,
                       peer, region_decode)
    c = 1 if format.lower() == "gray" else 3
    p, m, s, cw, chh = _classify_args(resize_short, crop, layout, mean, std, c)
    res = np.empty(_tensor_shape(len(keep), c, chh, cw, layout), np.float32)
    infos = (_ffi.type("ScipixBytesInfo") * len(keep))()
    _ffi.scipix_bytes_classify_batch_to_tensor(ptrs, lens, len(keep), ctypes.byref(p),
                                               ptr(m, ctypes.c_float), m.size,
                                               ptr(s, ctypes.c_float), s.size, ctypes.byref(o),
                                               ptr(res, ctypes.c_float), res.size, infos)
    return res, [_bytes_info(i, False) for i in infos]

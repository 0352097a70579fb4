"""The scipix ONNX Runtime operators Resize, Letterbox, ImageToTensor, Nms, BatchedNms,
DequantizeGGML and DequantizeInt4 in real ONNX Runtime sessions, bit for bit against the
scipix Python package and the reference each one reproduces (cv2 / Pillow, numpy,
cv2.dnn.NMSBoxes, gguf.quants, ONNX Runtime's own DequantizeLinear).

Library path: $SCIPIX_ORT_LIB, else target/release/libscipix_ort.so.
"""
import os
import pathlib
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

import scipix
import scipix.quant

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")
gguf = pytest.importorskip("gguf")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB = os.environ.get("SCIPIX_ORT_LIB", str(ROOT / "target" / "release" / "libscipix_ort.so"))
F, U8, I64 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT64

if not pathlib.Path(LIB).exists():
    pytest.fail(f"{LIB} not found: build it with `cargo build --release -p scipix-ort`",
                pytrace=False)


def _model(op: str, inputs: Sequence[Tuple[str, int]], outputs: Sequence[int],
           **attrs: Any) -> bytes:
    """One scipix node; inputs named as given ("" skips an optional input), outputs y0, y1..."""
    names = [f"y{i}" for i in range(len(outputs))]
    node = helper.make_node(op, [n for n, _ in inputs], names, domain="scipix", **attrs)
    graph = helper.make_graph(
        [node], op, [helper.make_tensor_value_info(n, t, None) for n, t in inputs if n],
        [helper.make_tensor_value_info(n, t, None) for n, t in zip(names, outputs)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                helper.make_opsetid("scipix", 1)])
    m.ir_version = 10
    return bytes(m.SerializeToString())


def _session(model: bytes) -> Any:
    so = ort.SessionOptions()
    so.register_custom_ops_library(LIB)
    so.intra_op_num_threads = 1
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def _op(op: str, inputs: Sequence[Tuple[str, int]], outputs: Sequence[int], **attrs: Any) -> Any:
    return _session(_model(op, inputs, outputs, **attrs))


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a.view(np.uint32), b.view(np.uint32)))


def _photo(w: int, h: int, seed: int, c: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    planes = [128 + 100 * np.sin(x / (17 + seed)) * np.cos(y / 23),
              255 * x / max(w - 1, 1),
              np.where((x // 40 + y // 30) % 2 == 0, 200, 40),
              255 * y / max(h - 1, 1)]
    img = np.stack(planes[:c], -1) + rng.normal(0, 6, (h, w, c))
    return np.clip(img, 0, 255).astype(np.uint8)


def _fmt(img: np.ndarray) -> Optional[str]:
    """The scipix format of an [H, W] / [H, W, C] image (channels kept in memory order)."""
    return None if img.ndim == 2 else {1: None, 3: "rgb", 4: "rgba"}[img.shape[2]]


def _error(sess: Any, feeds: Dict[str, np.ndarray]) -> str:
    with pytest.raises(Exception) as e:
        sess.run(None, feeds)
    return str(e.value)


# -- Resize ------------------------------------------------------------------------------------

CV = {"cv_nearest": cv2.INTER_NEAREST, "cv_nearest_exact": cv2.INTER_NEAREST_EXACT,
      "cv_linear": cv2.INTER_LINEAR, "cv_linear_exact": cv2.INTER_LINEAR_EXACT,
      "cv_area": cv2.INTER_AREA, "cv_cubic": cv2.INTER_CUBIC}
PIL = {"pil_nearest": Image.Resampling.NEAREST, "pil_box": Image.Resampling.BOX,
       "pil_bilinear": Image.Resampling.BILINEAR, "pil_bicubic": Image.Resampling.BICUBIC,
       "pil_lanczos": Image.Resampling.LANCZOS}


def _reference_resize(img: np.ndarray, w: int, h: int, mode: str) -> np.ndarray:
    if mode in CV:
        out: np.ndarray = cv2.resize(img, (w, h), interpolation=CV[mode])
        return out
    pil_mode = {1: "L", 3: "RGB", 4: "RGBA"}[1 if img.ndim == 2 else img.shape[2]]
    pil = Image.fromarray(img if img.ndim == 2 or img.shape[2] > 1 else img[..., 0], pil_mode)
    res = np.asarray(pil.resize((w, h), PIL[mode]))
    return res.reshape(h, w, *img.shape[2:])


@pytest.mark.parametrize("mode", [*CV, *PIL])
def test_resize_equals_scipix_cv2_and_pillow(mode: str) -> None:
    for (sw, sh), (dw, dh), c in [((517, 333), (224, 160), 3), ((97, 61), (300, 211), 3),
                                  ((64, 48), (31, 17), 0)]:
        img = _photo(sw, sh, sw, max(c, 1))
        if c == 0:
            img = np.ascontiguousarray(img[..., 0])
        got, = _op("Resize", [("x", U8)], [U8], width=dw, height=dh, filter=mode).run(
            None, {"x": img})
        assert got.shape == (dh, dw, *img.shape[2:]) and got.dtype == np.uint8
        assert np.array_equal(got, scipix.resize.resize(img, (dw, dh), mode, _fmt(img))), (mode, c)
        ref = _reference_resize(img, dw, dh, mode)
        if mode == "cv_cubic":
            # The guide's documented bound for cv2's IPP cubic path (sources from 4x4 up):
            # at most 1 level, in at most 0.5 % of the values.
            diff = np.abs(got.astype(np.int16) - ref.astype(np.int16))
            assert diff.max() <= 1 and np.count_nonzero(diff) <= 0.005 * diff.size
        else:
            assert np.array_equal(got, ref), (mode, c)


def test_resize_four_channels_and_size_input() -> None:
    rgba = _photo(211, 97, 4, 4)
    sess = _op("Resize", [("x", U8), ("size", I64)], [U8], filter="pil_bicubic")
    got, = sess.run(None, {"x": rgba, "size": np.array([50, 120], np.int64)})
    assert got.shape == (50, 120, 4)
    assert np.array_equal(got, _reference_resize(rgba, 120, 50, "pil_bicubic"))
    # The size input overrides the attributes; without either the run fails.
    sess2 = _op("Resize", [("x", U8), ("size", I64)], [U8], width=7, height=9)
    got2, = sess2.run(None, {"x": rgba, "size": np.array([50, 120], np.int64)})
    assert np.array_equal(got2, cv2.resize(rgba, (120, 50), interpolation=cv2.INTER_LINEAR))
    nosize = _op("Resize", [("x", U8)], [U8])
    assert "no target size" in _error(nosize, {"x": rgba})
    assert "each side must be at most 65536" in _error(
        sess, {"x": rgba, "size": np.array([70000, 5], np.int64)})
    msg = _error(sess, {"x": rgba, "size": np.array([0, 5], np.int64)})
    assert "Resize: input size" in msg and "2 positive values" in msg


# -- Letterbox ---------------------------------------------------------------------------------

def _geometry(info: Any) -> np.ndarray:
    return np.array([info.scale_x, info.scale_y, info.left, info.top, info.right, info.bottom],
                    np.float32)


def _ultralytics(img: np.ndarray, w: int, h: int, color: int) -> np.ndarray:
    """Ultralytics LetterBox (centred, no auto) with cv2."""
    ih, iw = img.shape[:2]
    r = min(h / ih, w / iw)
    nw, nh = int(round(iw * r)), int(round(ih * r))
    dw, dh = (w - nw) / 2, (h - nh) / 2
    if (iw, ih) != (nw, nh):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    out: np.ndarray = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                         value=(color,) * 4)
    return out.reshape(out.shape[0], out.shape[1], *img.shape[2:])


@pytest.mark.parametrize("w,h,c", [(1280, 720, 3), (333, 517, 3), (640, 640, 3), (77, 300, 1),
                                   (120, 90, 4), (1, 1, 3)])
def test_letterbox_equals_scipix_and_ultralytics(w: int, h: int, c: int) -> None:
    img = _photo(w, h, w + c, c)
    if c == 1:
        img = np.ascontiguousarray(img[..., 0])  # [H, W] gray
    got, geo = _op("Letterbox", [("x", U8)], [U8, F], width=640, height=480).run(
        None, {"x": img})
    want, info = scipix.letterbox(img, (640, 480), _fmt(img))
    assert got.shape == want.shape == (480, 640, *img.shape[2:])
    assert np.array_equal(got, want)
    assert np.array_equal(got, _ultralytics(img, 640, 480, 114))
    assert geo.dtype == np.float32 and np.array_equal(geo, _geometry(info))


def test_letterbox_attributes() -> None:
    img = _photo(517, 333, 5)
    for attrs in [dict(width=320, height=320, auto=1, stride=32, color=[1, 2, 3]),
                  dict(width=1024, height=1024, scaleup=0, center=0),
                  dict(width=300, height=200, scale_fill=1, color=[0])]:
        got, geo = _op("Letterbox", [("x", U8)], [U8, F], **attrs).run(None, {"x": img})
        color = attrs.get("color", [114])
        want, info = scipix.letterbox(
            img, (attrs["width"], attrs["height"]), "rgb",
            color=tuple(color) if len(color) == 3 else color[0],
            scaleup=bool(attrs.get("scaleup", 1)), auto=bool(attrs.get("auto", 0)),
            scale_fill=bool(attrs.get("scale_fill", 0)), center=bool(attrs.get("center", 1)),
            stride=int(attrs.get("stride", 32)))
        assert np.array_equal(got, want), attrs
        assert np.array_equal(geo, _geometry(info)), attrs
    got, _ = _op("Letterbox", [("x", U8)], [U8, F], width=320, height=320, auto=1).run(
        None, {"x": img})
    assert got.shape == (224, 320, 3)  # 517x333 -> 320x206, padding 114 mod 32 = 18


# -- ImageToTensor -----------------------------------------------------------------------------

def test_image_to_tensor_equals_scipix_numpy_and_blob_from_image() -> None:
    rgb = _photo(317, 211, 2)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    got, = _op("ImageToTensor", [("x", U8)], [F], divisor=255.0, mean=mean, std=std).run(
        None, {"x": rgb})
    want = scipix.image_to_tensor(rgb, "rgb", divisor=255.0, mean=mean, std=std)
    # torchvision ToTensor + Normalize in float32.
    ref = ((rgb.astype(np.float32) / np.float32(255) - np.asarray(mean, np.float32))
           / np.asarray(std, np.float32)).transpose(2, 0, 1)[None]
    assert got.shape == (1, 3, 211, 317)
    assert _bits_equal(got, want) and _bits_equal(got, np.ascontiguousarray(ref))
    # blobFromImage(bgr, 1/255, mean, swapRB=True) = swap_rb, mean, scale on the BGR bytes.
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    blob_mean = (10.0, 20.0, 30.0)
    got2, = _op("ImageToTensor", [("x", U8)], [F], mean=list(blob_mean), scale=1 / 255.0,
                swap_rb=1).run(None, {"x": bgr})
    blob = cv2.dnn.blobFromImage(bgr, 1 / 255.0, mean=blob_mean, swapRB=True)
    assert _bits_equal(got2, blob)
    # Gray [H, W], NHWC, and a batch [N, H, W, C].
    gray = np.ascontiguousarray(rgb[..., 1])
    got3, = _op("ImageToTensor", [("x", U8)], [F], layout="nhwc", divisor=2.0).run(
        None, {"x": gray})
    assert _bits_equal(got3, (gray.astype(np.float32) / np.float32(2))[None, :, :, None])
    batch = np.stack([rgb, rgb[::-1].copy(), _photo(317, 211, 9)])
    got4, = _op("ImageToTensor", [("x", U8)], [F], mean=[0.5], std=[2.0]).run(
        None, {"x": batch})
    want4 = scipix.images_to_tensor(list(batch), "rgb", mean=[0.5] * 3, std=[2.0] * 3)
    assert got4.shape == (3, 3, 211, 317) and _bits_equal(got4, want4)


# -- NMS ---------------------------------------------------------------------------------------

def _detections(n: int, seed: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 600, (n, 2))
    wh = rng.uniform(5, 120, (n, 2))
    boxes = np.concatenate([xy, wh], 1).astype(np.float32)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    scores[rng.integers(0, n, n // 10)] = 0.5  # ties
    classes = rng.integers(0, 4, n).astype(np.int64)
    return boxes, scores, classes


@pytest.mark.parametrize("n", [0, 1, 50, 600])
def test_nms_equals_scipix_and_cv2(n: int) -> None:
    boxes, scores, _ = _detections(n, n)
    for st, nt, eta, top_k in [(0.25, 0.45, 1.0, 0), (0.1, 0.3, 0.9, 0), (0.0, 0.5, 1.0, 20)]:
        sess = _op("Nms", [("b", F), ("s", F)], [I64], score_threshold=st, nms_threshold=nt,
                   eta=eta, top_k=top_k)
        got, = sess.run(None, {"b": boxes.reshape(n, 4), "s": scores})
        assert got.dtype == np.int64 and got.ndim == 1
        want = scipix.detect.nms_boxes(boxes, scores, st, nt, eta, top_k)
        ref = cv2.dnn.NMSBoxes(boxes.astype(np.float64).tolist(), scores.tolist(), st, nt,
                               eta, top_k)
        assert got.tolist() == list(want) == np.asarray(ref, np.int64).ravel().tolist()


def _torchvision_batched_nms(xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray,
                             thr: float) -> List[int]:
    """torchvision's batched_nms rule in numpy: per class, greedy by score (stable), IoU in
    float32 compared as double, kept indices merged by score descending."""
    keep: List[int] = []
    for c in np.unique(classes):
        idx = np.nonzero(classes == c)[0]
        order = idx[np.argsort(-scores[idx], kind="stable")]
        x1, y1, x2, y2 = (xyxy[:, k] for k in range(4))
        area = (x2 - x1) * (y2 - y1)
        dead = np.zeros(len(xyxy), bool)
        for i in order:
            if dead[i]:
                continue
            keep.append(int(i))
            for j in order:
                if dead[j] or j == i:
                    continue
                w = np.maximum(np.float32(0), np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j]))
                h = np.maximum(np.float32(0), np.minimum(y2[i], y2[j]) - np.maximum(y1[i], y1[j]))
                inter = w * h
                iou = inter / (area[i] + area[j] - inter)
                if float(iou) > thr:
                    dead[j] = True
            dead[i] = True
    return sorted(keep, key=lambda k: (-scores[k], k))


@pytest.mark.parametrize("n", [0, 40, 300])
def test_batched_nms_equals_scipix_and_torchvision_rule(n: int) -> None:
    b, scores, classes = _detections(n, 100 + n)
    xyxy = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1).astype(np.float32)
    sess = _op("BatchedNms", [("b", F), ("s", F), ("c", I64)], [I64], iou_threshold=0.5)
    got, = sess.run(None, {"b": xyxy.reshape(n, 4), "s": scores, "c": classes})
    want = scipix.detect.batched_nms(xyxy, scores, classes, 0.5)
    assert got.tolist() == list(want) == _torchvision_batched_nms(xyxy, scores, classes, 0.5)
    # Without classes: one class, torchvision's nms.
    plain = _op("BatchedNms", [("b", F), ("s", F)], [I64], iou_threshold=0.5)
    got1, = plain.run(None, {"b": xyxy.reshape(n, 4), "s": scores})
    assert got1.tolist() == list(scipix.detect.nms_xyxy(xyxy, scores, 0.5))
    assert got1.tolist() == _torchvision_batched_nms(xyxy, scores, np.zeros(n, np.int64), 0.5)


# -- Dequantize --------------------------------------------------------------------------------

GGML_PLAIN = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]
K_BLOCK = {"Q4_K": 144, "Q5_K": 176, "Q6_K": 210}


def _ggml_blocks(kind: str, rows: int) -> np.ndarray:
    t = gguf.GGMLQuantizationType[kind]
    rng = np.random.default_rng(rows)
    if kind in GGML_PLAIN:
        x = (rng.standard_normal((rows, 256)) * 0.05).astype(np.float32)
        q: np.ndarray = gguf.quants.quantize(x, t)
        return q
    if kind in ("F32", "F16", "BF16"):
        x = rng.standard_normal((rows, 64)).astype(np.float32)
        if kind == "F32":
            return x.view(np.uint8)
        if kind == "F16":
            return x.astype(np.float16).view(np.uint8)
        return (x.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
    block = K_BLOCK[kind]
    q = rng.integers(0, 256, (rows, 2 * block), dtype=np.uint8)
    for r in range(rows):  # finite f16 scales so the comparison is about the formulas
        for b in range(2):
            off = b * block + (208 if kind == "Q6_K" else 0)
            q[r, off:off + 2] = np.frombuffer(np.float16(0.01 * (b + 1)).tobytes(), np.uint8)
            if kind != "Q6_K":
                q[r, off + 2:off + 4] = np.frombuffer(np.float16(0.003).tobytes(), np.uint8)
    return q


@pytest.mark.parametrize("kind", [*GGML_PLAIN, *K_BLOCK, "F32", "F16", "BF16"])
def test_dequantize_ggml_equals_scipix_and_gguf(kind: str) -> None:
    q = _ggml_blocks(kind, 3)
    want = gguf.quants.dequantize(q, gguf.GGMLQuantizationType[kind]).astype(np.float32)
    got, = _op("DequantizeGGML", [("x", U8)], [F], type=kind).run(None, {"x": q})
    assert _bits_equal(got, want.ravel())
    assert _bits_equal(got, scipix.gguf.ggml_dequantize(q, kind).ravel())
    shaped, = _op("DequantizeGGML", [("x", U8)], [F], type=kind.lower(),
                  shape=list(want.shape)).run(None, {"x": q.ravel()})
    assert _bits_equal(shaped, want)


def _ort_dequantize_linear(q: np.ndarray, shape: Tuple[int, ...], scales: np.ndarray,
                           zps: Optional[np.ndarray], qtype: int, **attrs: Any) -> np.ndarray:
    """ONNX Runtime's own DequantizeLinear (opset 21) of packed 4-bit bytes held as an
    initializer of type INT4 / UINT4."""
    inits = [helper.make_tensor("q", qtype, list(shape), q.tobytes(), raw=True),
             numpy_helper.from_array(scales, "s")]
    ins = ["q", "s"]
    if zps is not None:
        inits.append(helper.make_tensor("z", qtype, list(zps.shape), zps.ravel().tolist()))
        ins.append("z")
    node = helper.make_node("DequantizeLinear", ins, ["y"], **attrs)
    graph = helper.make_graph([node], "dq", [], [helper.make_tensor_value_info("y", F, None)],
                              inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    out: np.ndarray = sess.run(None, {})[0]
    return out


def _unpack4(q: np.ndarray, n: int, signed: bool) -> np.ndarray:
    c = np.stack([q & 0xF, q >> 4], 1).ravel()[:n].astype(np.int32)
    return np.where(c > 7, c - 16, c) if signed else c


@pytest.mark.parametrize("dtype", ["int4", "uint4"])
def test_dequantize_int4_equals_scipix_onnxruntime_and_numpy(dtype: str) -> None:
    rng = np.random.default_rng(4)
    signed = dtype == "int4"
    qtype = TensorProto.INT4 if signed else TensorProto.UINT4
    lo, hi = (-8, 7) if signed else (0, 15)
    for shape, gran in [((7, 33), dict(block_size=16)), ((4, 6, 10), dict(axis=1)),
                        ((5, 9), {}), ((3, 64), dict(block_size=32))]:
        n = int(np.prod(shape))
        q = rng.integers(0, 256, (n + 1) // 2, dtype=np.uint8)
        if n % 2:
            q[-1] &= 0x0F
        if "block_size" in gran:
            sshape: Tuple[int, ...] = (*shape[:-1], -(-shape[-1] // gran["block_size"]))
        elif "axis" in gran:
            sshape = (shape[gran["axis"]],)
        else:
            sshape = ()
        scales = rng.uniform(0.01, 2.0, sshape).astype(np.float32)
        zps = rng.integers(lo, hi + 1, sshape).astype(np.int64)
        sess = _op("DequantizeInt4", [("q", U8), ("s", F), ("z", I64)], [F], shape=list(shape),
                   dtype=dtype, **gran)
        got, = sess.run(None, {"q": q, "s": scales.reshape(-1), "z": zps.reshape(-1)})
        want = scipix.quant.dequantize_int4(q, shape, scales, zps, dtype, **gran)
        ref = _ort_dequantize_linear(q, shape, scales, zps, qtype, **gran)
        assert got.shape == shape
        assert _bits_equal(got, want) and _bits_equal(got, ref), (shape, gran)
        # numpy: (q - zero_point) * scale in float32, scales broadcast to the elements.
        codes = _unpack4(q, n, signed).reshape(shape)
        if "block_size" in gran:
            rep = np.repeat(np.arange(sshape[-1]), gran["block_size"])[:shape[-1]]
            s_full, z_full = scales[..., rep], zps[..., rep]
        elif "axis" in gran:
            bshape = [1] * len(shape)
            bshape[gran["axis"]] = shape[gran["axis"]]
            s_full, z_full = scales.reshape(bshape), zps.reshape(bshape)
        else:
            s_full, z_full = scales, zps
        num = ((codes - z_full).astype(np.float32) * s_full).astype(np.float32)
        assert _bits_equal(got, np.ascontiguousarray(np.broadcast_to(num, shape)))
    # Without zero points (0), MatMulNBits-style blocks along the last axis.
    q = rng.integers(0, 256, 64, dtype=np.uint8)
    s = rng.uniform(0.1, 1.0, (4, 1)).astype(np.float32)
    got, = _op("DequantizeInt4", [("q", U8), ("s", F)], [F], shape=[4, 32], dtype=dtype,
               block_size=32).run(None, {"q": q, "s": s.ravel()})
    assert _bits_equal(got, _ort_dequantize_linear(q, (4, 32), s, None, qtype, block_size=32))


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,inputs,outputs,attrs,needle", [
    ("Resize", [("x", U8)], [U8], dict(filter="bicubic"), "must be one of cv_nearest"),
    ("Resize", [("x", U8)], [U8], dict(width=0, height=3), "attribute width is 0"),
    ("Resize", [("x", U8)], [U8], dict(width=3), "give both width and height"),
    ("Letterbox", [("x", U8)], [U8, F], dict(color=[1, 2]), "attribute color has 2 values"),
    ("Letterbox", [("x", U8)], [U8, F], dict(stride=0, auto=1), "attribute stride is 0"),
    ("ImageToTensor", [("x", U8)], [F], dict(std=[1.0, 0.0, 1.0]), "std[1] = 0"),
    ("ImageToTensor", [("x", U8)], [F], dict(layout="chw"), "attribute layout is \"chw\""),
    ("ImageToTensor", [("x", U8)], [F], dict(swap_rb=2), "attribute swap_rb is 2"),
    ("Nms", [("b", F), ("s", F)], [I64], dict(nms_threshold=0.5), "score_threshold is required"),
    ("Nms", [("b", F), ("s", F)], [I64], dict(score_threshold=0.1, nms_threshold=0.5, eta=0.0),
     "Nms: "),
    ("Nms", [("b", F), ("s", F)], [I64], dict(score_threshold=0.1, nms_threshold=0.5, top_k=-1),
     "attribute top_k is -1"),
    ("BatchedNms", [("b", F), ("s", F)], [I64], {}, "iou_threshold is required"),
    ("DequantizeGGML", [("x", U8)], [F], dict(type="IQ2_XXS"), "must be one of Q8_0"),
    ("DequantizeGGML", [("x", U8)], [F], {}, "attribute type is required"),
    ("DequantizeInt4", [("q", U8), ("s", F)], [F], {}, "attribute shape is required"),
    ("DequantizeInt4", [("q", U8), ("s", F)], [F], dict(shape=[4], dtype="int8"),
     "attribute dtype is \"int8\""),
    ("DequantizeInt4", [("q", U8), ("s", F)], [F], dict(shape=[4], axis=0, block_size=2),
     "axis or block_size, not both"),
])
def test_bad_attributes_fail_session_creation(op: str, inputs: List[Tuple[str, int]],
                                              outputs: List[int], attrs: Dict[str, Any],
                                              needle: str) -> None:
    with pytest.raises(Exception) as e:
        _op(op, inputs, outputs, **attrs)
    assert needle in str(e.value)


def test_bad_inputs_fail_the_run_with_a_message() -> None:
    rs = _op("Resize", [("x", U8)], [U8], width=8, height=8)
    assert "Resize: input image has shape [2, 3, 4, 5]: expected rank 2" in _error(
        rs, {"x": np.zeros((2, 3, 4, 5), np.uint8)})
    assert "2 channels: expected 1, 3 or 4" in _error(rs, {"x": np.zeros((4, 4, 2), np.uint8)})
    assert "height and width must be positive" in _error(rs, {"x": np.zeros((0, 4), np.uint8)})
    assert "float" in _error(rs, {"x": np.zeros((4, 4), np.float32)}).lower()
    lb = _op("Letterbox", [("x", U8)], [U8, F], width=64, height=64)
    assert "Letterbox: input image has shape [5, 0, 3]" in _error(
        lb, {"x": np.zeros((5, 0, 3), np.uint8)})
    # A 1x10000 strip fitted into 64x64 scales to a zero-height image: scipix's error.
    assert "each side must be >= 1" in _error(lb, {"x": np.zeros((1, 10000, 3), np.uint8)})
    it = _op("ImageToTensor", [("x", U8)], [F])
    assert "ImageToTensor: input image has shape [0, 4, 4, 3]" in _error(
        it, {"x": np.zeros((0, 4, 4, 3), np.uint8)})
    nms = _op("Nms", [("b", F), ("s", F)], [I64], score_threshold=0.1, nms_threshold=0.5)
    b, s = np.zeros((3, 4), np.float32), np.ones(3, np.float32)
    assert "Nms: input boxes has shape [3, 5]: expected [N, 4]" in _error(
        nms, {"b": np.zeros((3, 5), np.float32), "s": s})
    assert "input scores has shape [2]: expected [3], one score per box" in _error(
        nms, {"b": b, "s": s[:2]})
    bn = _op("BatchedNms", [("b", F), ("s", F), ("c", I64)], [I64], iou_threshold=0.5)
    assert "class ids must be 0..=4294967295" in _error(
        bn, {"b": b, "s": s, "c": np.array([0, -1, 2], np.int64)})
    assert "one class per box" in _error(bn, {"b": b, "s": s, "c": np.zeros(2, np.int64)})
    gg = _op("DequantizeGGML", [("x", U8)], [F], type="Q4_0", shape=[2, 32])
    assert "not a whole number of 18-byte Q4_0 blocks" in _error(
        gg, {"x": np.zeros(20, np.uint8)})
    assert "input holds 32 values but attribute shape [2, 32] has 64" in _error(
        gg, {"x": np.zeros(18, np.uint8)})
    q4 = _op("DequantizeInt4", [("q", U8), ("s", F), ("z", I64)], [F], shape=[4, 8],
             block_size=4)
    feeds = {"q": np.zeros(16, np.uint8), "s": np.ones(8, np.float32),
             "z": np.zeros(8, np.int64)}
    assert q4.run(None, feeds)[0].shape == (4, 8)
    assert "input has 15 bytes; shape [4, 8] needs ceil(32 / 2) = 16" in _error(
        q4, {**feeds, "q": np.zeros(15, np.uint8)})
    assert "input scale has 7 values, the layout needs 8" in _error(
        q4, {**feeds, "s": np.ones(7, np.float32)})
    assert "zero_point[0] 8 is outside the int4 range" in _error(
        q4, {**feeds, "z": np.full(8, 8, np.int64)})
    assert "input zero_point has 3 values: give 1 or 8" in _error(
        q4, {**feeds, "z": np.zeros(3, np.int64)})
    # The session stays usable after failed runs.
    assert q4.run(None, feeds)[0].shape == (4, 8)


def test_new_ops_from_four_threads() -> None:
    """One session of a graph with several of the new operators, run from 4 threads at once;
    every result equals the single-threaded one."""
    nodes = [helper.make_node("Letterbox", ["img"], ["lb", "geo"], domain="scipix",
                              width=320, height=320),
             helper.make_node("Resize", ["lb"], ["small"], domain="scipix", width=96, height=96,
                              filter="pil_lanczos"),
             helper.make_node("ImageToTensor", ["small"], ["t"], domain="scipix",
                              divisor=255.0, mean=[0.5], std=[0.25]),
             helper.make_node("Nms", ["boxes", "scores"], ["keep"], domain="scipix",
                              score_threshold=0.2, nms_threshold=0.4)]
    graph = helper.make_graph(
        nodes, "mix", [helper.make_tensor_value_info("img", U8, None),
                       helper.make_tensor_value_info("boxes", F, None),
                       helper.make_tensor_value_info("scores", F, None)],
        [helper.make_tensor_value_info(n, t, None) for n, t in
         [("t", F), ("geo", F), ("keep", I64)]])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                helper.make_opsetid("scipix", 1)])
    m.ir_version = 10
    sess = _session(m.SerializeToString())
    feeds = []
    for i in range(6):
        b, s, _ = _detections(200, i)
        feeds.append({"img": _photo(300 + 41 * i, 200 + 13 * i, i), "boxes": b, "scores": s})
    want = [sess.run(None, f) for f in feeds]
    lb0, _ = scipix.letterbox(feeds[0]["img"], 320, "rgb")
    assert _bits_equal(want[0][0], scipix.image_to_tensor(
        scipix.resize.resize(lb0, (96, 96), "pil_lanczos", "rgb"), "rgb", divisor=255.0, mean=[0.5] * 3,
        std=[0.25] * 3))
    errors: List[str] = []
    ok = [False] * 4

    def work(t: int) -> None:
        try:
            good = True
            for r in range(5):
                for i in range(len(feeds)):
                    j = (i + t + r) % len(feeds)
                    got = sess.run(None, feeds[j])
                    good &= all(np.array_equal(g, w) for g, w in zip(got, want[j]))
            ok[t] = good
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and ok == [True] * 4

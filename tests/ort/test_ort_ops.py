"""The scipix ONNX Runtime custom operators (ort/, libscipix_ort.so) inside real ONNX Runtime
sessions, bit for bit against the scipix Python package and the peer chains it equals
(cv2.imdecode + Ultralytics LetterBox + cv2.dnn.blobFromImage; Pillow + torchvision).

The library path is $SCIPIX_ORT_LIB, else target/release/libscipix_ort.so
(`cargo build --release -p scipix-ort`). Every error test also checks that the message built
by the library arrives intact, which exercises CreateStatus / GetErrorMessage / ReleaseStatus
and the kernel-info and kernel-context entries through the OrtApi table under the real
runtime (a wrong field order in the declarations would not give these messages).
"""
import io
import os
import pathlib
import shutil
import subprocess
import threading
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pytest

import scipix

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")
from onnx import TensorProto, helper  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB = os.environ.get("SCIPIX_ORT_LIB", str(ROOT / "target" / "release" / "libscipix_ort.so"))
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

if not pathlib.Path(LIB).exists():
    pytest.fail(f"{LIB} not found: build it with `cargo build --release -p scipix-ort`",
                pytrace=False)


def _model(op: str, outputs: Sequence[int], in_type: int = TensorProto.UINT8,
           **attrs: Any) -> bytes:
    """One scipix node reading graph input "x" (any shape) into outputs y0, y1, ..."""
    names = [f"y{i}" for i in range(len(outputs))]
    node = helper.make_node(op, ["x"], names, domain="scipix", **attrs)
    graph = helper.make_graph(
        [node], op, [helper.make_tensor_value_info("x", in_type, None)],
        [helper.make_tensor_value_info(n, t, None) for n, t in zip(names, outputs)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("scipix", 1)])
    m.ir_version = 10
    return bytes(m.SerializeToString())


def _session(model: bytes, threads: int = 1) -> Any:
    so = ort.SessionOptions()
    so.register_custom_ops_library(LIB)
    so.intra_op_num_threads = threads
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


F, U8 = TensorProto.FLOAT, TensorProto.UINT8


def _letterbox_session(**attrs: Any) -> Any:
    return _session(_model("LetterboxToTensor", [F, F], **attrs))


def _run(sess: Any, x: np.ndarray) -> List[np.ndarray]:
    out: List[np.ndarray] = sess.run(None, {"x": x})
    return out


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a.view(np.uint32), b.view(np.uint32))


def _photo(w: int, h: int, seed: int) -> np.ndarray:
    """A photo-like RGB image: smooth shading, edges and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 128 + 100 * np.sin(x / (17 + seed)) * np.cos(y / 23)
    g = 255 * x / max(w - 1, 1)
    b = np.where((x // 40 + y // 30) % 2 == 0, 200, 40)
    img = np.stack([r, g, b], -1) + rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _encode(rgb: np.ndarray, fmt: str) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return np.frombuffer(out.getvalue(), np.uint8)


def _cv2_letterbox_chain(bgr: np.ndarray, size: int) -> np.ndarray:
    """Ultralytics LetterBox (centred, colour 114) then blobFromImage(1/255, swapRB)."""
    h, w = bgr.shape[:2]
    r = min(size / h, size / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (size - nw) / 2, (size - nh) / 2
    if (w, h) != (nw, nh):
        bgr = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(bgr, top, bottom, left, right, cv2.BORDER_CONSTANT,
                             value=(114, 114, 114))
    blob: np.ndarray = cv2.dnn.blobFromImage(img, 1 / 255.0, swapRB=True)
    return blob


def _geometry(info: Any) -> np.ndarray:
    return np.array([info.scale_x, info.scale_y, info.left, info.top, info.right, info.bottom],
                    np.float32)


SIZES = [(640, 480), (517, 333), (300, 900), (640, 640), (1, 1), (7, 1200)]


@pytest.mark.parametrize("w,h", SIZES)
def test_letterbox_equals_scipix_and_cv2(w: int, h: int) -> None:
    rgb = _photo(w, h, w + h)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    got_rgb, geo = _run(_letterbox_session(), rgb)  # defaults: 640x640, colour 114, rgb
    got_bgr, geo_bgr = _run(_letterbox_session(format="bgr"), bgr)
    want, info = scipix.letterbox_to_tensor(rgb, 640, "rgb")
    assert got_rgb.shape == (1, 3, 640, 640)
    assert _bits_equal(got_rgb, want) and _bits_equal(got_bgr, want)
    assert _bits_equal(got_rgb, _cv2_letterbox_chain(bgr, 640))
    assert geo.dtype == np.float32 and np.array_equal(geo, _geometry(info))
    assert np.array_equal(geo_bgr, geo)


def test_letterbox_attributes_follow_letterbox_options() -> None:
    rgb = _photo(517, 333, 3)
    cases: List[Dict[str, Any]] = [
        dict(width=320, height=256, color=[1, 2, 3]),
        dict(width=320, height=320, auto=1, stride=32),
        dict(width=1024, height=1024, scaleup=0, center=0),
        dict(width=300, height=200, scale_fill=1, color=[0]),
    ]
    for attrs in cases:
        got, geo = _run(_letterbox_session(**attrs), rgb)
        color = attrs.get("color", [114])
        want, info = scipix.letterbox_to_tensor(
            rgb, (attrs["width"], attrs["height"]), "rgb",
            color=tuple(color) if len(color) == 3 else color[0],
            scaleup=bool(attrs.get("scaleup", 1)), auto=bool(attrs.get("auto", 0)),
            scale_fill=bool(attrs.get("scale_fill", 0)), center=bool(attrs.get("center", 1)),
            stride=attrs.get("stride", 32))
        assert _bits_equal(got, want), attrs
        assert np.array_equal(geo, _geometry(info)), attrs
    # auto keeps only padding mod stride: 517x333 at 320 scales to 320x206 and pads to 224.
    got, _ = _run(_letterbox_session(width=320, height=320, auto=1), rgb)
    assert got.shape == (1, 3, 224, 320)


@pytest.mark.parametrize("w,h", [(640, 480), (333, 517), (224, 224), (97, 61)])
def test_classify_equals_scipix_and_torchvision(w: int, h: int) -> None:
    rgb = _photo(w, h, 11)
    sess = _session(_model("ClassifyToTensor", [F]))
    got, = _run(sess, rgb)
    want = scipix.classify_to_tensor(rgb, 256, 224, "rgb")
    assert got.shape == (1, 3, 224, 224) and _bits_equal(got, want)
    # torchvision Resize(256) + CenterCrop(224) + ToTensor + Normalize on a PIL image.
    s, long_side = (w, h) if w <= h else (h, w)
    nl = int(256 * long_side / s)
    nw, nh = (256, nl) if w <= h else (nl, 256)
    pil = Image.fromarray(rgb)
    if (nw, nh) != pil.size:
        pil = pil.resize((nw, nh), Image.Resampling.BILINEAR)
    top, left = int(round((nh - 224) / 2.0)), int(round((nw - 224) / 2.0))
    a = np.asarray(pil)[top:top + 224, left:left + 224]
    chain = ((a.astype(np.float32) / np.float32(255) - np.asarray(MEAN, np.float32))
             / np.asarray(STD, np.float32)).transpose(2, 0, 1)[None]
    assert _bits_equal(got, np.ascontiguousarray(chain))
    # Options as attributes; BGR input gives the same RGB tensor.
    opts = dict(resize_short=160, crop_width=128, crop_height=96, mean=[0.5, 0.4, 0.3],
                std=[0.2, 0.25, 0.3])
    got2, = _run(_session(_model("ClassifyToTensor", [F], format="bgr", **opts)),
                 np.ascontiguousarray(rgb[..., ::-1]))
    want2 = scipix.classify_to_tensor(rgb, 160, (128, 96), "rgb", mean=opts["mean"],
                                      std=opts["std"])
    assert got2.shape == (1, 3, 96, 128) and _bits_equal(got2, want2)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_decode_image_equals_scipix_and_cv2(fmt: str) -> None:
    data = _encode(_photo(301, 203, 5), fmt)
    got, = _run(_session(_model("DecodeImage", [U8])), data)
    assert got.shape == (203, 301, 3) and got.dtype == np.uint8
    assert np.array_equal(got, scipix.decode(data.tobytes(), "rgb"))
    assert np.array_equal(got, cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_decode_image_converts_other_pngs_as_cv2(mode: str) -> None:
    pil = Image.fromarray(_photo(67, 45, 2)).convert(mode)
    out = io.BytesIO()
    pil.save(out, "PNG")
    data = np.frombuffer(out.getvalue(), np.uint8)
    got, = _run(_session(_model("DecodeImage", [U8])), data)
    assert got.shape == (45, 67, 3)
    assert np.array_equal(got, scipix.decode(data.tobytes(), "rgb"))
    assert np.array_equal(got, cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


def test_decode_image_applies_exif_orientation_on_request() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = io.BytesIO()
    Image.fromarray(_photo(64, 40, 4)).save(out, "JPEG", quality=90, exif=exif.tobytes())
    data = np.frombuffer(out.getvalue(), np.uint8)
    plain, = _run(_session(_model("DecodeImage", [U8])), data)
    turned, = _run(_session(_model("DecodeImage", [U8], apply_exif_orientation=1)), data)
    assert plain.shape == (40, 64, 3) and turned.shape == (64, 40, 3)
    assert np.array_equal(turned, scipix.decode(data.tobytes(), "rgb",
                                                apply_exif_orientation=True))
    assert np.array_equal(turned, cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])
    assert np.array_equal(turned, np.rot90(plain, -1))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_decode_letterbox_equals_scipix_and_cv2(fmt: str) -> None:
    data = _encode(_photo(517, 333, 9), fmt)
    got, geo = _run(_session(_model("DecodeLetterboxToTensor", [F, F])), data)
    want, info = scipix.decode_letterbox_to_tensor(data.tobytes(), 640)
    assert _bits_equal(got, want)
    assert _bits_equal(got, _cv2_letterbox_chain(cv2.imdecode(data, cv2.IMREAD_COLOR), 640))
    assert np.array_equal(geo, _geometry(info.letterbox))
    got2, _ = _run(_session(_model("DecodeLetterboxToTensor", [F, F], width=320, height=256,
                                   color=[0, 0, 0])), data)
    want2, _ = scipix.decode_letterbox_to_tensor(data.tobytes(), (320, 256), color=0)
    assert got2.shape == (1, 3, 256, 320) and _bits_equal(got2, want2)


def _run_error(sess: Any, x: np.ndarray) -> str:
    with pytest.raises(Exception) as e:
        sess.run(None, {"x": x})
    return str(e.value)


def test_bad_inputs_fail_the_run_with_a_message() -> None:
    lb = _letterbox_session()
    msg = _run_error(lb, np.zeros((4, 5), np.uint8))
    assert "LetterboxToTensor: input image has shape [4, 5]: expected rank 3" in msg
    msg = _run_error(lb, np.zeros((4, 5, 4), np.uint8))
    assert "expected 3 channels" in msg
    msg = _run_error(lb, np.zeros((0, 5, 3), np.uint8))
    assert "height and width must be positive" in msg
    msg = _run_error(_session(_model("ClassifyToTensor", [F])), np.zeros((5, 0, 3), np.uint8))
    assert "ClassifyToTensor: input image has shape [5, 0, 3]" in msg
    # Wrong dtype: the graph input is uint8, ONNX Runtime refuses a float32 feed.
    msg = _run_error(lb, np.zeros((4, 5, 3), np.float32))
    assert "float" in msg.lower()
    dec = _session(_model("DecodeImage", [U8]))
    assert "expected rank 1" in _run_error(dec, np.zeros((2, 8), np.uint8))
    assert "input bytes is empty" in _run_error(dec, np.zeros((0,), np.uint8))
    msg = _run_error(dec, np.frombuffer(b"not an image at all", np.uint8))
    assert msg.count("DecodeImage: ") == 1
    data = _encode(_photo(64, 48, 1), "JPEG")
    msg = _run_error(dec, data[: len(data) // 2])
    assert "DecodeImage: " in msg
    dlb = _session(_model("DecodeLetterboxToTensor", [F, F]))
    assert "DecodeLetterboxToTensor: " in _run_error(dlb, data[:40])
    # The session still works after failed runs.
    assert _run(dec, data)[0].shape == (48, 64, 3)


def test_a_declared_float_input_is_refused_at_session_creation() -> None:
    with pytest.raises(Exception) as e:
        _session(_model("LetterboxToTensor", [F, F], in_type=TensorProto.FLOAT))
    assert "LetterboxToTensor" in str(e.value) or "type" in str(e.value).lower()


@pytest.mark.parametrize("op,outputs,attrs,needle", [
    ("LetterboxToTensor", [F, F], dict(width=-1), "attribute width is -1: it must be positive"),
    ("LetterboxToTensor", [F, F], dict(format="rgba"), "attribute format is \"rgba\""),
    ("LetterboxToTensor", [F, F], dict(color=[1, 2]), "attribute color has 2 values"),
    ("LetterboxToTensor", [F, F], dict(color=[300]), "values must be 0..=255"),
    ("LetterboxToTensor", [F, F], dict(scaleup=2), "attribute scaleup is 2"),
    ("LetterboxToTensor", [F, F], dict(width=1.5), "attribute width:"),
    ("LetterboxToTensor", [F, F], dict(width=100000), "LetterboxToTensor: "),
    ("ClassifyToTensor", [F], dict(std=[0.0]), "ClassifyToTensor: "),
    ("ClassifyToTensor", [F], dict(mean=[1.0, 2.0]), "attribute mean has 2 values"),
    ("DecodeImage", [U8], dict(apply_exif_orientation=5), "attribute apply_exif_orientation"),
])
def test_bad_attributes_fail_session_creation(op: str, outputs: List[int], attrs: Dict[str, Any],
                                              needle: str) -> None:
    with pytest.raises(Exception) as e:
        _session(_model(op, outputs, **attrs))
    assert needle in str(e.value)


def test_one_session_from_four_threads() -> None:
    sess = _session(_model("LetterboxToTensor", [F, F]), threads=1)
    images = [_photo(200 + 37 * i, 150 + 23 * i, i) for i in range(8)]
    want = [scipix.letterbox_to_tensor(im, 640, "rgb")[0] for im in images]
    errors: List[str] = []
    results: List[Optional[bool]] = [None] * 4

    def work(t: int) -> None:
        try:
            ok = True
            for _ in range(3):
                for i in range(t, t + len(images)):
                    j = i % len(images)
                    ok &= _bits_equal(_run(sess, images[j])[0], want[j])
            results[t] = ok
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and results == [True] * 4


@pytest.mark.skipif(shutil.which("nm") is None, reason="needs nm (binutils)")
def test_the_library_does_not_link_onnx_runtime() -> None:
    """Everything goes through the OrtApi table: no ONNX Runtime symbol is imported."""
    undefined = subprocess.run(["nm", "-D", "--undefined-only", LIB], check=True,
                               capture_output=True, text=True).stdout
    assert "Ort" not in undefined and "onnxruntime" not in undefined
    exported = subprocess.run(["nm", "-D", "--defined-only", LIB], check=True,
                              capture_output=True, text=True).stdout
    assert " T RegisterCustomOps\n" in exported
    # ort/build.rs's version script: the entry point is the only dynamic symbol (the scipix
    # C API of the statically linked crate stays inside; Linux only).
    if os.uname().sysname == "Linux":
        names = [line.split()[-1] for line in exported.splitlines() if line.strip()]
        assert names == ["RegisterCustomOps"], names[:10]

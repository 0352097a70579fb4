#!/usr/bin/env python3
"""PP-OCRv4 (RapidOCR 1.4.4's models): scipix.ocr preprocessing speed against RapidOCR's, and
the accuracy change of the text detector with weights quantized by scipix.

    python3 benches/ocr_pp_ocrv4.py [--reps 30] [--only speed|quant]

Speed: RapidOCR's preprocessing (DetPreProcess; TextRecognizer.resize_norm_img per crop,
as its batch loop calls it) and scipix.ocr on the same arrays, calls alternated one by one,
best and median (ms) of --reps each after a warm-up; both sides single-threaded
(cv2.setNumThreads(1), scipix.set_num_threads(1)) and multi-threaded defaults.

Quantization: every Conv / ConvTranspose weight of ch_PP-OCRv4_det_infer.onnx quantized per
output channel with quantize_model's rules (scipix.quant): int8 symmetric ([-absmax, absmax]
-> [-127, 127], zero point 0) and int4 in blocks of 32 along the flattened kernel (scale
absmax / 7). The model keeps opset 12 (no per-axis DequantizeLinear), so each weight is
stored as scipix's dequantization, which is what ONNX Runtime's DequantizeLinear computes,
bit for bit (docs/quantization.md). Reported on rendered text and the repository's photos:
detection map max / mean absolute difference, boxes and recognised strings.
"""
from __future__ import annotations

import argparse
import copy
import pathlib
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    """The model name, family/model numbers and logical CPU count from /proc/cpuinfo."""
    import os
    info: Dict[str, str] = {}
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            k, _, v = line.partition(":")
            info.setdefault(k.strip(), v.strip())
    except OSError:
        import platform
        return platform.processor() or platform.machine()
    return (f"{info.get('model name', '?')} (family {info.get('cpu family', '?')} model "
            f"{info.get('model', '?')}, {os.cpu_count()} logical CPUs)")


def detector_path() -> pathlib.Path:
    import rapidocr_onnxruntime
    return pathlib.Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_det_infer.onnx"


def _quantize_weight(w: np.ndarray, kind: str) -> Tuple[np.ndarray, int]:
    """(dequantized weight, bytes of the quantized form) for one [O, ...] weight."""
    from scipix import quant
    rows = w.reshape(w.shape[0], -1).astype(np.float32)
    if kind == "int8":
        scales, zps = quant.params_axis(rows, axis=0, dtype="int8", mode="symmetric")
        q = quant.quantize(rows, scales, zps, "int8", axis=0)
        deq = quant.dequantize(q, scales, zps, axis=0)
        nbytes = q.nbytes + scales.nbytes
    elif kind == "int4":
        block = 32
        nb = -(-rows.shape[1] // block)
        pad = np.zeros((rows.shape[0], nb * block), np.float32)
        pad[:, :rows.shape[1]] = np.abs(rows)
        s = (pad.reshape(rows.shape[0], nb, block).max(-1) / np.float32(7)).astype(np.float32)
        s[s < np.float32(1.17549435e-38)] = 1.0
        q4 = quant.quantize_int4(rows, s, block_size=block)
        deq = quant.dequantize_int4(q4, rows.shape, s, block_size=block)
        nbytes = q4.nbytes + s.nbytes
    else:
        raise ValueError(kind)
    return np.asarray(deq, np.float32).reshape(w.shape), int(nbytes)


def quantized_detector(kind: str) -> Tuple[bytes, Dict[str, float]]:
    """The detector with its conv weights quantized ("int8" or "int4"), serialized, and
    {"weights": count, "bytes_f32": ..., "bytes_q": ..., "min_sqnr_db": ...}."""
    import onnx
    from onnx import numpy_helper
    from scipix import quant
    m = onnx.load(str(detector_path()))
    producers = {o: n for n in m.graph.node for o in n.output}
    inits = {i.name: i for i in m.graph.initializer}
    stats = {"weights": 0.0, "bytes_f32": 0.0, "bytes_q": 0.0, "min_sqnr_db": float("inf")}
    for node in m.graph.node:
        if node.op_type not in ("Conv", "ConvTranspose"):
            continue
        name = node.input[1]
        if name in inits:
            tensor = inits[name]
        else:
            const = producers[name]
            assert const.op_type == "Constant"
            tensor = next(a.t for a in const.attribute if a.name == "value")
        w = numpy_helper.to_array(tensor)
        # per output channel: axis 0 of Conv weights, axis 1 of ConvTranspose ones
        wt = np.ascontiguousarray(np.swapaxes(w, 0, 1)) if node.op_type == "ConvTranspose" else w
        deq, nbytes = _quantize_weight(wt, kind)
        if node.op_type == "ConvTranspose":
            deq = np.ascontiguousarray(np.swapaxes(deq, 0, 1))
        tensor.CopyFrom(numpy_helper.from_array(deq, tensor.name))
        stats["weights"] += 1
        stats["bytes_f32"] += w.nbytes
        stats["bytes_q"] += nbytes
        stats["min_sqnr_db"] = min(stats["min_sqnr_db"], quant.sqnr_db(w, deq))
    return m.SerializeToString(), stats


def engine_with_detector(model: Any) -> Any:
    """A RapidOCR engine whose detector session runs ``model`` (bytes, or the tuple
    quantized_detector returns)."""
    import onnxruntime as ort
    import rapidocr_onnxruntime
    if isinstance(model, tuple):
        model = model[0]
    eng = rapidocr_onnxruntime.RapidOCR()
    old = eng.text_det.infer.session
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = old.get_session_options().intra_op_num_threads
    eng.text_det.infer.session = ort.InferenceSession(model, opts,
                                                      providers=["CPUExecutionProvider"])
    return eng


def rendered(h: int, w: int, seed: int) -> np.ndarray:
    sys.path.insert(0, str(ROOT / "python" / "tests"))
    try:
        import importlib
        return np.asarray(importlib.import_module("test_ocr").render(h, w, seed))
    finally:
        sys.path.pop(0)


def quant_inputs() -> List[Tuple[str, np.ndarray]]:
    import cv2
    sign = cv2.imread(str(ROOT / "tests/data/ocr/text.png"), cv2.IMREAD_COLOR)
    launch = cv2.imread(str(ROOT / "tests/data/ocr/rocket.jpg"), cv2.IMREAD_COLOR)
    cv2.putText(launch, "DSCOVR 2015", (20, 60), cv2.FONT_HERSHEY_DUPLEX, 1.6, (255, 255, 255),
                3, cv2.LINE_AA)
    return [("rendered 400x560", rendered(400, 560, 1)), ("rendered 777x1283", rendered(777, 1283, 2)),
            ("rendered 120x640", rendered(120, 640, 3)), ("sign photo", sign),
            ("launch photo", launch)]


def report_quant() -> None:
    import rapidocr_onnxruntime
    from scipix import ocr
    fp32 = rapidocr_onnxruntime.RapidOCR()
    print(f"## Quantized detector (ch_PP-OCRv4_det_infer.onnx), CPU: {cpu_model()}\n")
    for kind in ("int8", "int4"):
        model, st = quantized_detector(kind)
        q = engine_with_detector(model)
        print(f"### {kind}: {int(st['weights'])} conv weights, {st['bytes_f32'] / 1e6:.2f} MB f32 -> "
              f"{st['bytes_q'] / 1e6:.2f} MB, min SQNR {st['min_sqnr_db']:.1f} dB\n")
        print("| image | map max abs diff | map mean abs diff | text mask (map > 0.3) pixels "
              "differing | boxes equal | max box shift px | strings equal | strings (fp32 / "
              "quantized, where they differ) |")
        print("|---|---|---|---|---|---|---|---|")
        for name, img in quant_inputs():
            det = fp32.text_det
            limit = ocr.det_limit_side_len(max(img.shape[:2]), det.limit_type, det.limit_side_len)
            x = ocr.det_preprocess(img, limit, det.limit_type)
            a = det.infer(x)[0].astype(np.float64)
            b = q.text_det.infer(x)[0].astype(np.float64)
            d = np.abs(a - b)
            ra, rb = fp32(img)[0] or [], q(img)[0] or []
            ba = [np.array(r[0]) for r in ra]
            bb = [np.array(r[0]) for r in rb]
            same_boxes = len(ba) == len(bb) and all(np.array_equal(u, v) for u, v in zip(ba, bb))
            shift = max((float(np.abs(u - v).max()) for u, v in zip(ba, bb)), default=0.0) \
                if len(ba) == len(bb) else float("nan")
            sa, sb = [r[1] for r in ra], [r[1] for r in rb]
            diff = "" if sa == sb else f"{sa} / {sb}"
            mask = float(np.mean((a > 0.3) != (b > 0.3)))
            print(f"| {name} | {d.max():.4f} | {d.mean():.6f} | {mask * 100:.3f}% | {same_boxes} | "
                  f"{shift:.0f} | "
                  f"{sa == sb} | {diff} |")
        print()


def race(fns: Sequence[Callable[[], object]], reps: int) -> List[Tuple[float, float]]:
    for fn in fns:
        fn()
    times: List[List[float]] = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t)
    return [(min(t), statistics.median(t)) for t in times]


def report_speed(reps: int) -> None:
    import cv2
    import scipix
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
    from rapidocr_onnxruntime.ch_ppocr_rec.text_recognize import TextRecognizer
    from scipix import ocr
    rng = np.random.default_rng(3)
    dets = [("720p", rendered(720, 1280, 4)), ("1080p", rendered(1080, 1920, 5)),
            ("phone photo 4032x3024", rendered(3024, 4032, 6)),
            ("phone photo 3024x4032 (portrait)", rendered(4032, 3024, 7))]
    shape = [3, 48, 320]
    crops = [rng.integers(0, 256, (int(h), int(w), 3), dtype=np.uint8)
             for h, w in zip(rng.integers(24, 80, 6), rng.integers(60, 900, 6))]
    ratio = ocr.rec_max_wh_ratio(crops, shape)
    rec_self = TextRecognizer.__new__(TextRecognizer)
    rec_self.rec_image_shape = shape

    def rapid_rec() -> np.ndarray:
        return np.concatenate([rec_self.resize_norm_img(c, ratio)[np.newaxis] for c in crops]
                              ).astype(np.float32)

    threads0 = scipix.get_num_threads()
    print(f"## Preprocessing speed, CPU: {cpu_model()} (ms, best / median of {reps}, calls "
          "alternated)\n")
    print("| input | threads | RapidOCR | scipix.ocr | speed-up (best / median) |")
    print("|---|---|---|---|---|")
    for threads in (1, 0):
        cv2.setNumThreads(1 if threads == 1 else -1)
        scipix.set_num_threads(1 if threads == 1 else threads0)
        label = "1" if threads == 1 else "default"
        for name, img in dets:
            pre = DetPreProcess(736, "min")
            ref, got = pre(img), ocr.det_preprocess(img, 736, "min")
            assert ref is not None and got is not None and ref.tobytes() == got.tobytes()
            (rb, rm), (sb, sm) = race([lambda: pre(img), lambda: ocr.det_preprocess(img, 736, "min")],
                                      reps)
            print(f"| det {name} -> {ref.shape[3]}x{ref.shape[2]} | {label} | {rb * 1e3:.2f} / "
                  f"{rm * 1e3:.2f} | {sb * 1e3:.2f} / {sm * 1e3:.2f} | {rb / sb:.1f}x / {rm / sm:.1f}x |")
        assert rapid_rec().tobytes() == ocr.rec_preprocess(crops, shape).tobytes()
        (rb, rm), (sb, sm) = race([rapid_rec, lambda: ocr.rec_preprocess(crops, shape)], reps * 10)
        w = int(48 * ratio)
        print(f"| rec batch of 6 crops -> 6x3x48x{w} | {label} | {rb * 1e3:.3f} / {rm * 1e3:.3f} | "
              f"{sb * 1e3:.3f} / {sm * 1e3:.3f} | {rb / sb:.1f}x / {rm / sm:.1f}x |")
    scipix.set_num_threads(threads0)
    print()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--only", choices=["speed", "quant"])
    args = ap.parse_args()
    if args.only != "quant":
        report_speed(args.reps)
    if args.only != "speed":
        report_quant()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs every peer script in one go, each with its own full output: scipix (through the C
ABI, via ctypes) against OpenCV (grayscale, thresholds, Otsu, blobFromImage, resize), numpy
(normalization, f16), Pillow (resize), ml_dtypes (bf16), gguf (GGML blocks) and ONNX Runtime
(int8/int4/FP8 QuantizeLinear, DequantizeLinear), and cv2.imdecode and Pillow (JPEG, PNG
decoding), on the same arrays in the same process per
script, calls alternated (benches/harness.py).

    cargo build --release && python3 benches/peers.py

Each peer script also runs alone; see its --help. `make bench` (benches/table.py) collects
the table's subset of their cases into one table.
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SCRIPTS = ["peers_color.py", "peers_tensor.py", "peers_quant.py", "peers_resize.py",
           "peers_lowprec.py", "peers_yuv.py", "peers_decode.py", "peers_decode_pipeline.py",
           "peers_nms.py"]

failed = 0
for name in SCRIPTS:
    print(f"\n===== {name}", flush=True)
    failed |= subprocess.call([sys.executable, str(HERE / name), *sys.argv[1:]]) != 0
sys.exit(1 if failed else 0)

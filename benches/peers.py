#!/usr/bin/env python3
"""Runs every peer comparison in one go: scipix (through the C ABI, via ctypes) against
OpenCV (grayscale, thresholds, Otsu, blobFromImage), numpy (normalization) and ONNX Runtime
(QuantizeLinear/DequantizeLinear), on the same arrays in the same process per script.

    cargo build --release && python3 benches/peers.py

Each peer script also runs alone; see its --help.
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SCRIPTS = ["peers_color.py", "peers_tensor.py", "peers_quant.py"]

failed = 0
for name in SCRIPTS:
    print(f"\n===== {name}", flush=True)
    failed |= subprocess.call([sys.executable, str(HERE / name), *sys.argv[1:]]) != 0
sys.exit(1 if failed else 0)

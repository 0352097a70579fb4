#!/usr/bin/env python3
"""Checks a tensor written by ocr_det_preprocess against RapidOCR's detector preprocessing of
the same file, bit for bit.

    ocr_det_check.py IMAGE TENSOR [LIMIT [min|max]]

The reference: cv2.imread(IMAGE) (BGR) through rapidocr_onnxruntime's DetPreProcess (pinned
in tests/python/requirements-nodeps.txt, installed by the test command). Exit status 1 and
the first differing positions when the tensors differ."""
import struct
import sys

import cv2
import numpy as np
from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess


def read_tensor(path):
    raw = open(path, "rb").read()
    if raw[:4] != b"SPXT":
        sys.exit(f"{path}: not a tensor file")
    (rank,) = struct.unpack_from("<I", raw, 4)
    dims = struct.unpack_from(f"<{rank}I", raw, 8)
    data = np.frombuffer(raw, "<f4", offset=8 + 4 * rank)
    if data.size != int(np.prod(dims)):
        sys.exit(f"{path}: {data.size} floats for shape {dims}")
    return data.reshape(dims)


def main():
    image, tensor = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 736
    kind = sys.argv[4] if len(sys.argv) > 4 else "min"
    ref = DetPreProcess(limit, kind)(cv2.imread(image, cv2.IMREAD_COLOR))
    got = read_tensor(tensor)
    if got.shape != ref.shape:
        sys.exit(f"shape {got.shape}, RapidOCR {ref.shape}")
    bad = np.argwhere(got.view(np.uint32) != ref.view(np.uint32))
    if len(bad):
        for i in bad[:5]:
            print("differs at", tuple(i), got[tuple(i)], ref[tuple(i)])
        sys.exit(f"{len(bad)} of {ref.size} values differ")
    print(f"equal to RapidOCR bit for bit: shape {list(ref.shape)}, {ref.size} values, "
          f"range [{ref.min():.4f}, {ref.max():.4f}]")


if __name__ == "__main__":
    main()

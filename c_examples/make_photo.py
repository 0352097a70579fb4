#!/usr/bin/env python3
"""Writes a photo-like test image for the C examples: smooth shading, edges and sensor
noise, as JPEG (quality 90, 4:2:0) or PNG by the file extension; `--truncate` keeps only
the first two thirds of the file (a broken download).

    make_photo.py OUT.jpg WIDTH HEIGHT [--truncate]
"""
import sys

import numpy as np
from PIL import Image


def main() -> None:
    path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 128 + 100 * np.sin(x / 37) * np.cos(y / 23)
    g = 255 * x / max(w - 1, 1)
    b = np.where((x // 80 + y // 60) % 2 == 0, 200, 40)
    img = np.clip(np.stack([r, g, b], -1) + rng.normal(0, 6, (h, w, 3)), 0, 255)
    Image.fromarray(img.astype(np.uint8)).save(path, quality=90, subsampling=2)
    if "--truncate" in sys.argv[4:]:
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) * 2 // 3])


if __name__ == "__main__":
    main()

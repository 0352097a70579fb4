"""Reference side of tests/resize_pillow.rs: resizes raw images with Pillow.

Usage: resize_pillow_ref.py CASES IN OUT. Each line of CASES is
"mode src_w src_h dst_w dst_h filter offset"; the source bytes are IN[offset:offset + size].
The results of PIL.Image.resize, tightly packed, are written to OUT in case order.
"""

import sys

from PIL import Image

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
BPP = {"L": 1, "RGB": 3, "RGBA": 4}


def main(cases_path, in_path, out_path):
    data = open(in_path, "rb").read()
    out = []
    for line in open(cases_path):
        mode, sw, sh, dw, dh, filt, off = line.split()
        sw, sh, dw, dh, off = int(sw), int(sh), int(dw), int(dh), int(off)
        n = sw * sh * BPP[mode]
        im = Image.frombytes(mode, (sw, sh), data[off : off + n])
        out.append(im.resize((dw, dh), FILTERS[filt]).tobytes())
    open(out_path, "wb").write(b"".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""Pillow against scipix for the cases of benches/resize_pillow.rs (one thread, 1920x1080
RGB), on the same deterministic photo-like source; calls alternated with a copy of the same
bytes read plus written (benches/harness.py), best of N and median per case. Compare with
the criterion figures of the same run (the machine is shared: only ratios measured
together mean anything).  python3 benches/peers_resize_pillow.py [N]
"""

import ctypes
import sys

import numpy as np
from PIL import Image

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "python"))
from test_resize_reference import MODE_NAMES, RGB, desc  # noqa: E402


def source():
    w, h = 1920, 1080
    y, x = np.mgrid[0:h, 0:w]
    chans = [((x * (c + 1) + y * (3 - c)) // 9 + (x ^ y) % 23) % 256 for c in range(3)]
    rng = np.random.default_rng(1)
    img = np.stack(chans, -1) + rng.integers(-3, 4, (h, w, 3))
    return np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))


def rows(lib, reps=15, full=True):
    lib.scipix_set_num_threads(ctypes.c_size_t(1))
    src = source()
    im = Image.fromarray(src, "RGB")
    R = Image.Resampling
    out = []
    for size, f in [((640, 640), R.BILINEAR), ((224, 224), R.BILINEAR), ((640, 640), R.BICUBIC),
                    ((640, 640), R.LANCZOS)]:
        mode = MODE_NAMES.index(f"pil_{f.name.lower()}")
        dst = np.empty((size[1], size[0], 3), np.uint8)
        s, d = desc(src, RGB), desc(dst, RGB)

        def ours(s=s, d=d, mode=mode):
            lib.scipix_resize(ctypes.byref(s), ctypes.byref(d), mode)

        out.append(harness.measure(f"resize {MODE_NAMES[mode]}", f"1920x1080 RGB8 → {size[0]}x{size[1]}",
                                   ours, "Pillow resize", lambda size=size, f=f: im.resize(size, f),
                                   src.nbytes, dst.nbytes, reps))
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    harness.print_rows(rows(harness.load_lib(), n),
                       f"Pillow {Image.__version__} vs scipix, one thread, best / median of {n}")

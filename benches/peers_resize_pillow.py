"""Pillow's own time for the cases of benches/resize_pillow.rs (one thread, 1920x1080 RGB).

Best of N and median per case, on the same deterministic photo-like source. Compare with
the criterion figures of the same run (the machine is shared: only ratios measured
together mean anything).  python3 benches/peers_resize_pillow.py [N]
"""

import statistics
import sys
import time

import numpy as np
from PIL import Image

N = int(sys.argv[1]) if len(sys.argv) > 1 else 15
w, h = 1920, 1080
y, x = np.mgrid[0:h, 0:w]
chans = [((x * (c + 1) + y * (3 - c)) // 9 + (x ^ y) % 23) % 256 for c in range(3)]
rng = np.random.default_rng(1)
img = np.stack(chans, -1) + rng.integers(-3, 4, (h, w, 3))
im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")

R = Image.Resampling
for size, f in [((640, 640), R.BILINEAR), ((224, 224), R.BILINEAR), ((640, 640), R.BICUBIC),
                ((640, 640), R.LANCZOS)]:
    times = []
    for _ in range(N):
        t = time.perf_counter()
        im.resize(size, f)
        times.append(time.perf_counter() - t)
    print(f"pillow {f.name.lower():9s} -> {size[0]}x{size[1]}: best {min(times) * 1e3:.2f} ms, "
          f"median {statistics.median(times) * 1e3:.2f} ms")

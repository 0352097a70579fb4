#!/usr/bin/env python3
"""A/B of two builds of the library on the from-bytes pipelines: the same letterbox 640 and
classify 224 calls (exact and reduced mode) on the real-photo mosaics of
benches/peers_decode.py (quality 75, 4:2:0), through library A and library B loaded side by
side, alternated call by call (harness.race), one thread, best / median. The two tensors
are checked equal first. Use it to measure a change to the decode or pipeline code:

    git worktree add /tmp/base <rev> && (cd /tmp/base && cargo build --release)
    cargo build --release
    python3 benches/ab_decode_pipeline.py /tmp/base/target/release/libscipix.so \
        target/release/libscipix.so [reps]
"""
import ctypes
import sys

import numpy as np

import harness
import peers_decode_pipeline as P
from peers_decode import jpeg_bytes, mosaic


def load(path):
    lib = ctypes.CDLL(path)
    lib.scipix_last_error_message.restype = ctypes.c_char_p
    lib.scipix_set_opt_level(harness.SCIPIX_OPT_SIMD)
    P.bind(lib)
    return lib


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    a_lib, b_lib = load(sys.argv[1]), load(sys.argv[2])
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    print("| source | pipeline | mode | A ms best / median | B ms best / median | A / B |")
    print("|---|---|---|---|---|---|")
    for w, h in [(1920, 1080), (4032, 3024), (1280, 720)]:
        data = jpeg_bytes(mosaic(w, h), 75, 2)
        for name, fn in [("letterbox 640", P.letterbox_fn), ("classify 224", P.classify_fn)]:
            for mode, mname in [(P.EXACT, "exact"), (P.REDUCED, "reduced")]:
                a, b = fn(a_lib, data, mode), fn(b_lib, data, mode)
                assert np.array_equal(a().view(np.uint32), b().view(np.uint32)), "tensors differ"
                t = harness.race([a, b], reps)
                print(f"| {w}x{h} | {name} | {mname} | {t[0].best * 1e3:.2f} / "
                      f"{t[0].median * 1e3:.2f} | {t[1].best * 1e3:.2f} / "
                      f"{t[1].median * 1e3:.2f} | {t[0].best / t[1].best:.2f}x |", flush=True)


if __name__ == "__main__":
    main()

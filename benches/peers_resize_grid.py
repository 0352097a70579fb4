"""Resize over a grid of real sizes against the peer, one thread, calls alternated.

    cargo build --release && python3 benches/peers_resize_grid.py [--quick] [--reps 5]
        [--modes cv_linear,pil_bicubic] [--formats rgb,gray] [--pillow-simd]
        [--markdown] [--json target/bench/resize_grid.json]

Sources: 4032x3024 (12 MP phone photo), 3840x2160, 2560x1440, 1920x1080, 1280x720, 640x480,
500x375 (a typical dataset image) and two odd sizes (1001x667, 333x251). Destinations: the
model squares 224, 256, 320, 384, 416, 512, 518 and 640; 1/2, 1/3 and 1/4 of the source
(integer factors: OpenCV's area-fast path for AREA, and for LINEAR / LINEAR_EXACT at 2x);
and 2x for sources up to 640 wide. Every mode (OpenCV's six against `cv2.resize` with
`cv2.setNumThreads(1)`, Pillow's five against `Image.resize` on a prepared PIL image), RGB8
and GRAY8. scipix runs `scipix_resize` through its C ABI at `SCIPIX_OPT_SIMD` (one thread).
Each case alternates the two sides call by call (benches/harness.py `race`) and takes the
best of `--reps` calls of each.

Printed per mode and format: the number of cases, the min, geometric mean and max of
peer time / scipix time (above 1 scipix is faster), and the worst case. `--quick` keeps
three sources and three repetitions (a smoke run, about a minute).

`--pillow-simd` also times the Pillow family against Pillow-SIMD: it builds Pillow-SIMD from
its sdist into build/venv-pillow-simd (scripts/pillow_simd_venv.sh) and reruns this script's
Pillow cases inside that environment, where `PIL` is Pillow-SIMD, so scipix and Pillow-SIMD
are alternated in one process there too. That run also counts the cases where Pillow-SIMD's
output differs from scipix's, which is Pillow's (bit-exact: tests/python).
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import math
import os
import pathlib
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "python"))
from test_resize_reference import (  # noqa: E402
    CV_MODES, GRAY, MODE_NAMES, PIL_MODES, RGB, desc, photo)

import cv2  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402

SOURCES = [(4032, 3024), (3840, 2160), (2560, 1440), (1920, 1080), (1280, 720), (640, 480),
           (500, 375), (1001, 667), (333, 251)]
QUICK_SOURCES = [(1920, 1080), (1280, 720), (500, 375)]
SQUARES = [224, 256, 320, 384, 416, 512, 518, 640]


def destinations(w: int, h: int) -> List[Tuple[int, int, str]]:
    out = [(s, s, f"{s}²") for s in SQUARES]
    out += [(w // k, h // k, f"1/{k}") for k in (2, 3, 4)]
    if w <= 640:
        out.append((2 * w, 2 * h, "2x"))
    return out


def cases(sources: List[Tuple[int, int]], modes: List[int], formats: List[str]):
    for fmt in formats:
        for (w, h) in sources:
            for (dw, dh, tag) in destinations(w, h):
                for mode in modes:
                    yield fmt, (w, h), (dw, dh, tag), mode


def run(lib: Any, sources: List[Tuple[int, int]], modes: List[int], formats: List[str],
        reps: int, check_equal: bool = False) -> List[Dict[str, Any]]:
    """Times every case; one dict per case (seconds, best and median of each side)."""
    lib.scipix_set_num_threads(ctypes.c_size_t(1))
    lib.scipix_set_opt_level(1)  # SCIPIX_OPT_SIMD: SIMD kernels, one thread
    cv2.setNumThreads(1)
    frames: Dict[Tuple[str, int, int], np.ndarray] = {}
    pil: Dict[Tuple[str, int, int], Any] = {}
    results = []
    for fmt, (w, h), (dw, dh, tag), mode in cases(sources, modes, formats):
        key = (fmt, w, h)
        if key not in frames:
            ch = 3 if fmt == "rgb" else 1
            frames[key] = photo(h, w, ch, 1)  # HxW for gray, HxWx3 for RGB
            pil[key] = Image.fromarray(frames[key])
        src = frames[key]
        ch = 3 if fmt == "rgb" else 1
        dst = np.empty((dh, dw, ch) if ch == 3 else (dh, dw), np.uint8)
        s, d = desc(src, RGB if ch == 3 else GRAY), desc(dst, RGB if ch == 3 else GRAY)
        sref, dref = ctypes.byref(s), ctypes.byref(d)
        if lib.scipix_resize(sref, dref, mode) != 0:
            print(f"# {MODE_NAMES[mode]} {w}x{h} -> {dw}x{dh}: "
                  f"{lib.scipix_last_error_message().decode()}", file=sys.stderr)
            continue

        def ours(sref=sref, dref=dref, mode=mode):
            lib.scipix_resize(sref, dref, mode)
        if mode in CV_MODES:
            peer_name = "cv2"

            def peer(src=src, dw=dw, dh=dh, mode=mode):
                return cv2.resize(src, (dw, dh), interpolation=CV_MODES[mode])
        else:
            peer_name = "Pillow-SIMD" if "post" in PIL.__version__ else "Pillow"

            def peer(im=pil[key], dw=dw, dh=dh, mode=mode):
                return im.resize((dw, dh), PIL_MODES[mode])
        t = harness.race([ours, peer], reps)
        r = {"format": fmt, "src": [w, h], "dst": [dw, dh], "tag": tag,
             "mode": MODE_NAMES[mode], "peer": peer_name,
             "peer_version": cv2.__version__ if peer_name == "cv2" else PIL.__version__,
             "scipix": [t[0].best, t[0].median], "peer_t": [t[1].best, t[1].median]}
        if check_equal:
            r["equal"] = bool(np.array_equal(np.asarray(peer()), dst))
        results.append(r)
        print(f"# {fmt} {MODE_NAMES[mode]:16s} {w}x{h} -> {dw}x{dh}: "
              f"{t[1].best / t[0].best:.2f}x", file=sys.stderr, flush=True)
    return results


def summary(results: List[Dict[str, Any]]) -> str:
    """Per peer, mode and format: cases, min / geometric mean / max ratio, worst case."""
    groups: Dict[Tuple[str, str, str], List[Dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["peer"], r["mode"], r["format"]), []).append(r)
    lines = ["| mode | format | peer | cases | min | geomean | max | below 1.0x | worst case |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (peer, mode, fmt), rs in groups.items():
        ratios = [r["peer_t"][0] / r["scipix"][0] for r in rs]
        worst = rs[int(np.argmin(ratios))]
        gm = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        below = sum(x < 1.0 for x in ratios)
        note = ""
        if "equal" in rs[0]:
            note = f"; output differs from Pillow's in {sum(not r['equal'] for r in rs)}"
        lines.append(
            f"| {mode} | {fmt} | {peer} | {len(rs)} | {min(ratios):.2f}x | {gm:.2f}x | "
            f"{max(ratios):.2f}x | {below} | {worst['src'][0]}x{worst['src'][1]} → "
            f"{worst['dst'][0]}x{worst['dst'][1]} ({worst['tag']}): scipix "
            f"{worst['scipix'][0] * 1e3:.3g} ms, {peer} {worst['peer_t'][0] * 1e3:.3g} ms{note} |")
    return "\n".join(lines)


def pillow_simd_results(args: argparse.Namespace, modes: List[int]) -> List[Dict[str, Any]]:
    rel = subprocess.run([str(harness.ROOT / "scripts" / "pillow_simd_venv.sh")],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    py = str(harness.ROOT / rel)
    pil_modes = [m for m in modes if m in PIL_MODES]
    if not pil_modes:
        return []
    out = harness.ROOT / "target" / "bench" / "resize_grid_pillow_simd.json"
    cmd = [py, __file__, "--child-pillow-simd", "--json", str(out), "--reps", str(args.reps),
           "--modes", ",".join(MODE_NAMES[m] for m in pil_modes), "--formats", args.formats]
    if args.quick:
        cmd.append("--quick")
    subprocess.run(cmd, check=True)
    data: List[Dict[str, Any]] = json.loads(out.read_text())
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=0, help="calls per side (default 5, quick 3)")
    ap.add_argument("--modes", default=",".join(MODE_NAMES))
    ap.add_argument("--formats", default="rgb,gray")
    ap.add_argument("--pillow-simd", action="store_true")
    ap.add_argument("--child-pillow-simd", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default=str(harness.ROOT / "target" / "bench" / "resize_grid.json"))
    args = ap.parse_args()
    args.reps = args.reps or (3 if args.quick else 5)
    modes = [MODE_NAMES.index(m) for m in args.modes.split(",")]
    formats = args.formats.split(",")
    sources = QUICK_SOURCES if args.quick else SOURCES
    lib = harness.load_lib()
    if args.child_pillow_simd:
        assert "post" in PIL.__version__, f"PIL {PIL.__version__} is not Pillow-SIMD"
        results = run(lib, sources, modes, formats, args.reps, check_equal=True)
        pathlib.Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.json).write_text(json.dumps(results))
        return
    results = run(lib, sources, modes, formats, args.reps)
    if args.pillow_simd:
        results += pillow_simd_results(args, modes)
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results))
    info = {}
    for ln in open("/proc/cpuinfo"):
        k, _, v = ln.partition(":")
        info.setdefault(k.strip(), v.strip())
    cpu = info.get("model name", os.uname().machine)
    if "cpu family" in info and "model" in info:
        cpu += f" (family {info['cpu family']} model {info['model']})"
    simd = sorted({r["peer_version"] for r in results if r["peer"] == "Pillow-SIMD"})
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"scipix resize grid on {cpu}, {when}; one thread, calls alternated, "
          f"best of {args.reps}; "
          f"OpenCV {cv2.__version__}, Pillow {PIL.__version__}"
          + "".join(f", Pillow-SIMD {v}" for v in simd)
          + f"; load average {os.getloadavg()[0]:.2f}")
    print()
    print(summary(results))


if __name__ == "__main__":
    main()

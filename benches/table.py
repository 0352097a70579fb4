#!/usr/bin/env python3
"""`make bench`: one table of scipix vs its peer vs a copy of the same bytes.

    make bench                      # build, run, print the table (markdown) to stdout
    BENCH_WRITE=1 make bench        # ... and regenerate the README and guide tables
    python3 benches/table.py [--write] [--only peers_color,peers_quant] [--no-criterion]
                             [--reps-scale 0.5] [--criterion-time 1.5] [--no-grid]
                             [--no-pillow-simd] [--no-overhead]

What it does, in one process per side:
1. Runs the cases of every peer script in PEERS (`rows(lib, reps, full=False)`, the
   table's subset of each script's cases): scipix through its C ABI (SIMD kernels, one
   thread), the peer (one thread), a copy that moves the same memory traffic, and where the
   script asks for it scipix's scalar path, called in turn call by call; best and median of
   each (benches/harness.py has the rules).
2. Runs the criterion benches in CRITERION in a quick mode (filtered to the ids listed,
   `--warm-up-time 0.5 --measurement-time 1.5 --sample-size 10`), reads
   target/criterion/**/new/{benchmark,estimates}.json and fills "vs scalar" and "copy x"
   where the peer scripts do not time them (marked † in the table: criterion medians).
3. Prints a header (CPU model, scipix's best and active ISA, load average at start and end,
   date, peer versions) and the table. With --write (or BENCH_WRITE=1) it replaces the text
   between `<!-- bench-table:begin -->` and `<!-- bench-table:end -->` in README.md and
   docs/guide.md.
4. Runs the resize grid (benches/peers_resize_grid.py, with Pillow-SIMD unless
   --no-pillow-simd; about 10 minutes) and prints its summary: per mode, format and peer
   the min, geometric mean and max ratio and the worst case. --write puts it between
   `<!-- resize-grid:begin -->` and `<!-- resize-grid:end -->` in README.md.
5. Runs benches/peers_overhead.py (the installed Python package's per-call cost on 4x4
   images against cv2, and the C API's through ctypes) and prints it with the per-call
   targets; --write puts it between `<!-- overhead-table:begin -->` and
   `<!-- overhead-table:end -->` in README.md and docs/guide.md.
   With --only, steps 4 and 5 run only when `peers_resize_grid` / `peers_overhead` are named.

Adding a case (a few lines):
* To a peer script: inside its `rows()`, build the arrays and append
      out.append(harness.measure("op name", "size", lambda: lib.scipix_x(...), "peer name",
                                 lambda: peer_x(...), read=bytes_read, written=bytes_written,
                                 reps=r, scalar=True))
  Rows only for the script's own output go under `if full:`.
* A new peer script: give it `rows(lib, reps=..., full=True) -> list[harness.Row]` and add
  `("module_name", reps)` to PEERS below.
* A criterion figure for an existing row (vs scalar, copy x) or a row of its own: add a
  `Crit(...)` to CRITERION below with the criterion ids (group/function/parameter, as
  criterion prints them) of the SIMD, scalar and copy benches.

Peer modules are imported from benches/; numpy runs single-threaded here. The
OPENBLAS_CORETYPE variable slows numpy on this machine: scripts/bench.sh unsets it for the
bench run only.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import importlib.metadata
import json
import os
import pathlib
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402

ROOT = harness.ROOT
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"

# (module in benches/, reps for its small cases; the scripts use fewer for the 16M ones)
PEERS = [
    ("peers_color", 20),
    ("peers_tensor", 30),
    ("peers_quant", 15),
    ("peers_resize", 11),
    ("peers_lowprec", 11),
    ("peers_yuv", 15),
    ("peers_decode", 15),
    ("peers_decode_pipeline", 15),
    ("peers_nms", 30),
    ("peers_ort_ops", 15),
]


@dataclasses.dataclass
class Crit:
    """Criterion ids (full ids: group/function[/parameter]) feeding one table row."""

    bench: str
    op: str  # the row to fill: same op and size as a peer row, or a row of its own
    size: str
    simd: str
    scalar: Optional[str] = None
    copy: Optional[str] = None
    peer: Optional[str] = None  # a criterion id timing the peer: the case gets a row of its own
    peer_name: str = ""


def _resize_fir(mode: str, w: int) -> Crit:
    """scipix against the Rust crate fast_image_resize on the same Pillow-type filter."""
    g = f"resize_fir/{mode}/{w}x{w}"
    moved = 1920 * 1080 * 3 + w * w * 3
    return Crit("resize_fir", f"resize {mode}", f"1920x1080 RGB8 → {w}x{w}", f"{g}/scipix",
                copy=f"{g}/copy_bytes/{moved}", peer=f"{g}/fast_image_resize",
                peer_name="fast_image_resize")


def _resize_opencv(mode: str, w: int) -> Crit:
    g = f"resize_opencv/1920x1080_rgb8_to_{w}x{w}"
    return Crit("resize_opencv", f"resize {mode}", f"1920x1080 RGB8 → {w}x{w}",
                f"{g}/best/{mode}", f"{g}/scalar/{mode}", f"{g}/copy_same_traffic")


def _resize_pillow(mode: str, w: int, best: str) -> Crit:
    g = f"resize_pillow/{mode}/{w}x{w}"
    return Crit("resize_pillow", f"resize {mode}", f"1920x1080 RGB8 → {w}x{w}",
                f"{g}/scipix/{best}", f"{g}/scipix/scalar", f"{g}/copy_same_traffic")


def criterion_cases(best: str) -> List[Crit]:
    """The criterion figures merged into the table ({best} = scipix's best ISA name)."""
    out = [
        Crit("gray", "gray rgb8", "1024²", "gray/rgb8/simd/1024", "gray/rgb8/scalar/1024",
             "gray/rgb8/copy_same_traffic/1024"),
        Crit("gray", "gray rgb8", "4096²", "gray/rgb8/simd/4096", "gray/rgb8/scalar/4096",
             "gray/rgb8/copy_same_traffic/4096"),
        Crit("threshold", "threshold binary", "4096²", "threshold_binary/simd/16777216",
             "threshold_binary/scalar/16777216", "threshold_binary/memcpy/16777216"),
    ]
    for mode in ("cv_nearest", "cv_linear", "cv_linear_exact", "cv_area", "cv_cubic"):
        out += [_resize_opencv(mode, 640), _resize_opencv(mode, 224)]
    out += [_resize_pillow("pil_bilinear", 640, best), _resize_pillow("pil_bilinear", 224, best),
            _resize_pillow("pil_bicubic", 640, best), _resize_pillow("pil_lanczos", 640, best)]
    for mode in ("pil_nearest", "pil_box", "pil_bilinear", "pil_bicubic", "pil_lanczos"):
        out += [_resize_fir(mode, 640), _resize_fir(mode, 224)]
    for size in ("1M", "16M"):
        g = f"lowbit/{size}"
        out.append(Crit("lowprec", "quantize int4", size, f"{g}/quantize_int4/simd",
                        f"{g}/quantize_int4/scalar", f"{g}/copy_int4_bytes/memcpy"))
        out.append(Crit("lowprec", "quantize fp8 e4m3fn", size, f"{g}/quantize_fp8_e4m3fn/simd",
                        f"{g}/quantize_fp8_e4m3fn/scalar", f"{g}/copy_fp8_bytes/memcpy"))
    return out


def run_criterion(cases: List[Crit], warm: float, measure: float) -> Dict[str, float]:
    """Runs the listed ids (one cargo bench per bench target) and returns full id -> median
    time in seconds, only for results written by this run."""
    start = time.time()
    by_bench: Dict[str, List[str]] = {}
    for c in cases:
        ids = by_bench.setdefault(c.bench, [])
        ids += [i for i in (c.simd, c.scalar, c.copy, c.peer) if i]
    build = ["cargo", "bench", "--no-run"] + [a for b in by_bench for a in ("--bench", b)]
    print("# " + " ".join(build), file=sys.stderr, flush=True)
    if subprocess.run(build, cwd=ROOT).returncode != 0:
        raise SystemExit("building the criterion benches failed")
    for bench, ids in by_bench.items():
        regex = "^(" + "|".join(re.escape(i) for i in sorted(set(ids))) + ")$"
        cmd = ["cargo", "bench", "--quiet", "--bench", bench, "--", "--warm-up-time", str(warm),
               "--measurement-time", str(measure), "--sample-size", "10", "--noplot", regex]
        print(f"# criterion: {bench} ({len(set(ids))} ids)", file=sys.stderr, flush=True)
        r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            print(r.stdout[-3000:], file=sys.stderr)
            raise SystemExit(f"cargo bench --bench {bench} failed")
    found: Dict[str, float] = {}
    for est in (ROOT / "target" / "criterion").glob("**/new/estimates.json"):
        if est.stat().st_mtime < start:
            continue
        meta = json.loads((est.parent / "benchmark.json").read_text())
        found[meta["full_id"]] = json.loads(est.read_text())["median"]["point_estimate"] * 1e-9
    return found


def merge(rows: List[harness.Row], cases: List[Crit], t: Dict[str, float]) -> None:
    """Fills vs scalar / copy x from criterion where the row lacks them; adds rows for
    criterion cases that match no peer row."""
    index = {(r.op, r.size): r for r in rows}
    for c in cases:
        simd = t.get(c.simd)
        if simd is None:
            print(f"# criterion result missing: {c.simd}", file=sys.stderr)
            continue
        scalar = t.get(c.scalar) if c.scalar else None
        copy = t.get(c.copy) if c.copy else None
        row = None if c.peer else index.get((c.op, c.size))
        if c.peer:
            peer = t.get(c.peer)
            row = harness.from_criterion(c.op, c.size, simd, note="criterion median")
            row.peer_name = c.peer_name
            row.peer = harness.Timing(peer, peer) if peer is not None else None
            rows.append(row)
        elif row is None:
            row = harness.from_criterion(c.op, c.size, simd, note="criterion median")
            rows.append(row)
            index[(c.op, c.size)] = row
        if row.scalar is None and scalar is not None:
            row.crit_vs_scalar = scalar / simd
        if row.copy is None and copy is not None:
            row.crit_copy_x = simd / copy


def version(module: str) -> str:
    try:
        return str(importlib.import_module(module).__version__)
    except (ImportError, AttributeError):
        try:
            return importlib.metadata.version(module)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"


def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def header(lib, load_start, load_end, quick: str) -> str:
    """The lines above the table; `quick` = criterion's settings ("" if it did not run)."""
    best = lib.scipix_isa_name(lib.scipix_best_isa()).decode()
    active = lib.scipix_isa_name(lib.scipix_active_isa()).decode()
    peers = ", ".join(f"{name} {version(m)}" for name, m in (
        ("OpenCV", "cv2"), ("Pillow", "PIL"), ("ONNX Runtime", "onnxruntime"), ("numpy", "numpy"),
        ("ml_dtypes", "ml_dtypes"), ("gguf", "gguf")))
    return "\n".join([
        f"scipix {lib.scipix_version().decode()} on {cpu_model()} ({os.cpu_count()} logical "
        f"cores); best ISA {best}, active ISA {active} (SIMD, one thread)",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; load average "
        f"{load_start:.2f} at start, {load_end:.2f} at end"
        + (" (the machine was shared: absolute times are inflated, ratios hold)"
           if max(load_start, load_end) > 1.5 else ""),
        f"peers: {peers}; OPENBLAS_CORETYPE {os.environ.get('OPENBLAS_CORETYPE', 'unset')}",
        "Every side on one thread, calls alternated call by call; best / median of N. "
        "vs peer = peer time / scipix time (best, and median in brackets; above 1 scipix is "
        "faster). copy x = scipix time / time of a memcpy of (bytes read + bytes written) / 2, "
        "i.e. the same memory traffic (1.0 = memory speed). vs scalar = scipix scalar time / "
        "SIMD time." + (f" † = from criterion medians ({quick}) in the same run." if quick else ""),
    ])


def replace_between(path: pathlib.Path, text: str, name: str = "bench-table") -> bool:
    """Replaces the text between `<!-- {name}:begin -->` and `<!-- {name}:end -->`."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    src = path.read_text()
    if begin not in src or end not in src:
        print(f"# {path}: no {begin} ... {end} markers, not written", file=sys.stderr)
        return False
    a = src.index(begin) + len(begin)
    b = src.index(end)
    path.write_text(src[:a] + "\n" + text + "\n" + src[b:])
    return True


def hard_breaks(text: str, lines: int) -> str:
    """Markdown line breaks after the first `lines` lines (the header above a table)."""
    return "\n".join(f"{line}  " if i < lines else line for i, line in enumerate(text.split("\n")))


def resize_grid(pillow_simd: bool) -> str:
    """Runs the resize grid in its own process; returns its header and summary table."""
    cmd = [sys.executable, str(HERE / "peers_resize_grid.py")]
    if pillow_simd:
        cmd.append("--pillow-simd")
    print("# " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("the resize grid failed")
    return r.stdout.strip()


def overhead() -> str:
    """Runs benches/peers_overhead.py in its own process (it imports the installed Python
    package); returns its rows as tables with the per-call targets."""
    out = ROOT / "target" / "bench" / "overhead.json"
    cmd = [sys.executable, str(HERE / "peers_overhead.py"), "--reps", "100", "--json", str(out)]
    print("# " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
    if subprocess.run(cmd, cwd=HERE, stdout=subprocess.DEVNULL).returncode != 0:
        raise SystemExit("benches/peers_overhead.py failed")
    recs = json.loads(out.read_text())

    def pair(v: Optional[List[float]]) -> str:
        return "" if v is None else f"{v[0]:.2f} / {v[1]:.2f}"

    py = [r for r in recs if r["section"] == "python"]
    met = [r for r in py if r["target_us"] is not None]
    ok = sum(r["scipix_us"][0] <= r["target_us"] for r in met)
    lines = [
        f"Python package ({version('scipix')}) per call on 4x4 images (4x6 for letterbox), "
        f"µs, best / median of 100 x 200 calls alternated with the peer; "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {cpu_model()}, "
        f"load average {os.getloadavg()[0]:.2f}; cv2 {version('cv2')}. Targets: 2 µs with "
        f"`out=` given, 3 µs without; {ok} of {len(met)} met.",
        "",
        "| op | scipix µs | target µs | peer | peer µs |",
        "|---|---|---|---|---|",
    ]
    for r in py:
        t = r["target_us"]
        mark = "" if t is None else f"{t:g} ({'met' if r['scipix_us'][0] <= t else 'missed'})"
        lines.append(f"| {r['op']} | {pair(r['scipix_us'])} | {mark} | {r['peer']} "
                     f"| {pair(r['peer_us'])} |")
    lines += ["", "| C call through ctypes, descriptors built once | µs |", "|---|---|"]
    lines += [f"| {r['op']} | {pair(r['scipix_us'])} |" for r in recs if r["section"] == "c"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true",
                    default=os.environ.get("BENCH_WRITE", "") not in ("", "0"),
                    help="regenerate the README and guide tables (also BENCH_WRITE=1)")
    ap.add_argument("--only", default="", help="comma-separated peer modules to run")
    ap.add_argument("--no-criterion", action="store_true")
    ap.add_argument("--reps-scale", type=float, default=1.0)
    ap.add_argument("--criterion-time", type=float, default=1.5,
                    help="criterion --measurement-time (seconds)")
    ap.add_argument("--no-grid", action="store_true", help="skip the resize grid")
    ap.add_argument("--no-pillow-simd", action="store_true",
                    help="run the resize grid without Pillow-SIMD")
    ap.add_argument("--no-overhead", action="store_true",
                    help="skip the Python per-call overhead")
    args = ap.parse_args()

    load_start = os.getloadavg()[0]
    lib = harness.load_lib()
    rows: List[harness.Row] = []
    only = set(filter(None, args.only.split(",")))
    for name, reps in PEERS:
        if only and name not in only:
            continue
        print(f"# {name}", file=sys.stderr, flush=True)
        mod = importlib.import_module(name)
        rows += mod.rows(lib, max(3, round(reps * args.reps_scale)), full=False)
    quick = f"--warm-up-time 0.5 --measurement-time {args.criterion_time} --sample-size 10"
    if not args.no_criterion and rows:
        best = lib.scipix_isa_name(lib.scipix_best_isa()).decode()
        cases = criterion_cases(best)
        if only:
            keys = {(r.op, r.size) for r in rows}
            cases = [c for c in cases if (c.op, c.size) in keys]
        merge(rows, cases, run_criterion(cases, 0.5, args.criterion_time))
    load_end = os.getloadavg()[0]

    out = ROOT / "target" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    if rows:
        text = header(lib, load_start, load_end, "" if args.no_criterion else quick) + "\n\n" \
            + harness.markdown(rows)
        print(text)
        (out / "table.md").write_text(text + "\n")
        if args.write and only:
            print("# --only: the main table is not written (it holds every peer script's "
                  "rows)", file=sys.stderr)
        elif args.write:
            for path in (ROOT / "README.md", ROOT / "docs" / "guide.md"):
                if replace_between(path, hard_breaks(text, 4)):
                    print(f"# wrote {path.relative_to(ROOT)}", file=sys.stderr)
    if not args.no_grid and (not only or "peers_resize_grid" in only):
        grid = resize_grid(not args.no_pillow_simd)
        print("\n" + grid)
        (out / "resize_grid.md").write_text(grid + "\n")
        if args.write and replace_between(ROOT / "README.md", hard_breaks(grid, 1),
                                          "resize-grid"):
            print("# wrote README.md (resize grid)", file=sys.stderr)
    if not args.no_overhead and (not only or "peers_overhead" in only):
        calls = overhead()
        print("\n" + calls)
        (out / "overhead.md").write_text(calls + "\n")
        if args.write:
            for path in (ROOT / "README.md", ROOT / "docs" / "guide.md"):
                if replace_between(path, calls, "overhead-table"):
                    print(f"# wrote {path.relative_to(ROOT)} (overhead)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

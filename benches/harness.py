"""Shared timing harness of the peer scripts (benches/peers_*.py) and of benches/table.py.

The rules every figure follows:

* Every side runs on one thread: scipix at SCIPIX_OPT_SIMD (best SIMD kernels, no pool),
  OpenCV after cv2.setNumThreads(1), ONNX Runtime with intra_op_num_threads=1, numpy and
  Pillow (single-threaded for these operations).
* The sides of one row (scipix, the peer, the copy baseline and, if asked, scipix's scalar
  path) are called in turn, call by call, after one warm-up call each, so a shared machine
  slows them alike. Each side reports the best of N calls and the median.
* "copy x" is scipix's best time over the best time of a numpy copy that moves the same
  memory traffic as the operation: an operation that reads R bytes and writes W bytes is
  compared with a copy of (R + W) / 2 bytes (which reads that many and writes that many).
  1.0 means the operation runs at memory speed; 2.0 means it takes twice a copy's time.
* "vs peer" is the peer's time over scipix's (above 1: scipix is faster), from the best
  times and from the medians.
* "vs scalar" is scipix's scalar time (SCIPIX_ISA_SCALAR cap) over its SIMD time.

A case is a few lines: build the arrays, then

    rows.append(harness.measure("gray rgb8", "1024²", lambda: lib.scipix_gray(s, d),
                                "cv2.cvtColor", lambda: cv2.cvtColor(src, code, dst=dst),
                                read=src.nbytes, written=dst.nbytes, reps=20))

and print them with harness.print_rows(rows). The library is $SCIPIX_LIB, else
target/release/libscipix.so (tests/python/conftest.py's library_path()).
"""
from __future__ import annotations

import ctypes
import dataclasses
import pathlib
import statistics
import sys
import time
from typing import Callable, List, Optional, Sequence

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from conftest import library_path  # noqa: E402

SCIPIX_OPT_SIMD = 1  # SIMD kernels, one thread
ISA_SCALAR = 0

_LIB: Optional[ctypes.CDLL] = None


def load_lib() -> ctypes.CDLL:
    """The release library (once per process), set to SIMD kernels on one thread."""
    global _LIB
    if _LIB is None:
        path = library_path()
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `cargo build --release` first")
        lib = ctypes.CDLL(str(path))
        lib.scipix_last_error_message.restype = ctypes.c_char_p
        lib.scipix_set_max_isa.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
        lib.scipix_best_isa.restype = ctypes.c_uint32
        lib.scipix_get_max_isa.restype = ctypes.c_uint32
        lib.scipix_active_isa.restype = ctypes.c_uint32
        lib.scipix_isa_name.restype = ctypes.c_char_p
        lib.scipix_isa_name.argtypes = [ctypes.c_uint32]
        lib.scipix_version.restype = ctypes.c_char_p
        lib.scipix_set_opt_level(SCIPIX_OPT_SIMD)
        _LIB = lib
    return _LIB


def copy_baseline(read_bytes: int, written_bytes: int) -> Callable[[], None]:
    """A numpy copy of (read + written) / 2 bytes: the same memory traffic as an operation
    that reads `read_bytes` and writes `written_bytes`."""
    src = np.ones(max((read_bytes + written_bytes) // 2, 1), np.uint8)
    dst = np.empty_like(src)
    return lambda: np.copyto(dst, src)


@dataclasses.dataclass
class Timing:
    """Best and median of one side, in seconds."""

    best: float
    median: float


def race(fns: Sequence[Callable[[], object]], reps: int,
         pre: Optional[Sequence[Optional[Callable[[], object]]]] = None) -> List[Timing]:
    """Calls fns in turn, call by call, `reps` times after one warm-up each; `pre[i]` (if
    given) runs untimed before each call of fns[i]. Returns best and median per fn."""
    hooks = list(pre) if pre is not None else [None] * len(fns)
    for hook, fn in zip(hooks, fns):
        if hook:
            hook()
        fn()
    times: List[List[float]] = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            if hooks[i]:
                hooks[i]()
            t = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t)
    return [Timing(min(t), statistics.median(t)) for t in times]


def compare(scipix_fn: Callable[[], object], peer_fn: Callable[[], object],
            n: int) -> tuple:
    """Alternates scipix_fn and peer_fn call by call; (scipix Timing, peer Timing)."""
    a, b = race([scipix_fn, peer_fn], n)
    return a, b


@dataclasses.dataclass
class Row:
    """One line of the table. Times in seconds; None where a side is not measured."""

    op: str
    size: str
    scipix: Timing
    peer_name: str = ""
    peer: Optional[Timing] = None
    copy: Optional[Timing] = None
    scalar: Optional[Timing] = None
    note: str = ""
    crit_vs_scalar: Optional[float] = None  # from criterion (benches/table.py), if not timed here
    crit_copy_x: Optional[float] = None

    @property
    def vs_peer(self) -> Optional[float]:
        return self.peer.best / self.scipix.best if self.peer else None

    @property
    def vs_peer_median(self) -> Optional[float]:
        return self.peer.median / self.scipix.median if self.peer else None

    @property
    def copy_x(self) -> Optional[float]:
        return self.scipix.best / self.copy.best if self.copy else self.crit_copy_x

    @property
    def vs_scalar(self) -> Optional[float]:
        return self.scalar.best / self.scipix.best if self.scalar else self.crit_vs_scalar


def measure(op: str, size: str, scipix_fn: Callable[[], object], peer_name: str,
            peer_fn: Optional[Callable[[], object]], read: int, written: int, reps: int,
            scalar: bool = False, note: str = "") -> Row:
    """Times scipix, the peer (if any), the copy baseline of `read` + `written` bytes and,
    with `scalar`, scipix under the scalar cap, all alternated call by call."""
    lib = load_lib()
    fns: List[Callable[[], object]] = [scipix_fn]
    cap = lib.scipix_get_max_isa()  # the cap in force (a script may have lowered it)
    restore = lambda: lib.scipix_set_max_isa(cap, None)  # noqa: E731
    pre: List[Optional[Callable[[], object]]] = [restore]
    if peer_fn is not None:
        fns.append(peer_fn)
        pre.append(None)
    fns.append(copy_baseline(read, written))
    pre.append(None)
    if scalar:
        fns.append(scipix_fn)
        pre.append(lambda: lib.scipix_set_max_isa(ISA_SCALAR, None))
    t = race(fns, reps, pre)
    restore()
    i = 1
    peer = None
    if peer_fn is not None:
        peer, i = t[1], 2
    return Row(op, size, t[0], peer_name if peer_fn is not None else "", peer, t[i],
               t[i + 1] if scalar else None, note)


def from_criterion(op: str, size: str, simd_s: float, note: str = "") -> Row:
    """A row with only criterion's figure for scipix (median; no peer measured)."""
    return Row(op, size, Timing(simd_s, simd_s), note=note)


def ms(t: Optional[Timing]) -> str:
    """`best / median` in ms, 3 significant figures."""
    if t is None:
        return ""
    return f"{t.best * 1e3:.3g} / {t.median * 1e3:.3g}"


def ratio(x: Optional[float]) -> str:
    if x is None:
        return ""
    return f"{x:.2f}" if x < 10 else f"{x:.3g}"


HEADER = ("| op | size | scipix ms best / median | peer | peer ms best / median "
          "| vs peer best (median) | copy x | vs scalar |\n|---|---|---|---|---|---|---|---|")


def markdown(rows: Sequence[Row]) -> str:
    """The rows as one markdown table (columns as HEADER)."""
    out = [HEADER]
    for r in rows:
        vp = "" if r.vs_peer is None else f"{ratio(r.vs_peer)}x ({ratio(r.vs_peer_median)}x)"
        sc = "" if r.vs_scalar is None else f"{ratio(r.vs_scalar)}x"
        if r.scalar is None and r.crit_vs_scalar is not None:
            sc += " †"
        cx = ratio(r.copy_x) + (" †" if r.copy is None and r.crit_copy_x is not None else "")
        op = r.op + (f" ({r.note})" if r.note else "")
        out.append(f"| {op} | {r.size} | {ms(r.scipix)} | {r.peer_name} | {ms(r.peer)} "
                   f"| {vp} | {cx} | {sc} |")
    return "\n".join(out)


def print_rows(rows: Sequence[Row], title: str = "") -> None:
    """Prints a title line and the rows as markdown."""
    if title:
        print(title)
    print(markdown(rows), flush=True)

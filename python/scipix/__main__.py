"""``python -m scipix``: what this installation of scipix is and what it runs on.

Prints the package and library versions, the ABI, the CPU features the library detected, the
best and the active instruction set, the optimization level, the thread pool size, and
where the library (and the C header shipped with the package) were loaded from. Exits 0;
useful in bug reports.
"""
from __future__ import annotations

import sys
from typing import List, Optional, TextIO

import scipix


def report() -> List[tuple[str, str]]:
    """(label, value) lines of the report."""
    best = scipix.best_isa()
    active = scipix.active_isa()
    cap = scipix.get_max_isa()
    return [
        ("scipix", scipix.__version__),
        ("library version", scipix.version()),
        ("ABI", f"{scipix.abi_version()} (package built for {scipix.HEADER_ABI_VERSION})"),
        ("CPU features", scipix.cpu_features_string() or "(none)"),
        ("best ISA", scipix.isa_name(best)),
        ("active ISA", scipix.isa_name(active)
         + (f" (capped at {scipix.isa_name(cap)})" if cap != best else "")),
        ("optimization level", scipix.get_opt_level().name.lower()),
        ("threads", str(scipix.get_num_threads())),
        ("library", str(scipix.lib_path)),
        ("header", str(scipix.header_path) if scipix.header_path else "(not shipped)"),
        ("python", f"{sys.version.split()[0]} ({sys.executable})"),
    ]


def main(argv: Optional[List[str]] = None, out: TextIO = sys.stdout) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        print("usage: python -m scipix   (prints version, ABI, features, ISA, threads, "
              "library path)", file=sys.stderr)
        return 2
    lines = report()
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label + ':':<{width + 1}} {value}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

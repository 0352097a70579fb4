#!/usr/bin/env python3
"""Checks that include/scipix.hpp wraps every C function declared in include/scipix.h.

The C function list comes from the header text (every `scipix_*(` declaration at the
start of a line, after its return type), so functions added to the C API are picked up
without editing this script. A function counts as wrapped when scipix.hpp uses it in
code (comments and string literals removed): called, `name(`, or handed over as a
function, as each handle's `_free` is to the owner template that calls it from the
destructor (`Owner<ScipixX, scipix_x_free>`). Exits 1 naming every function not used.
"""
import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
C_HEADER = ROOT / "include" / "scipix.h"
CXX_HEADER = ROOT / "include" / "scipix.hpp"

# A declaration: return type words and stars, then the name and "(", at a line start.
DECL = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(scipix_\w+)\s*\(", re.MULTILINE)
CALL = re.compile(r"\b(scipix_\w+)\s*\(")
FREE_ARG = re.compile(r"\b(scipix_\w+_free)\s*>")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--c-header", type=Path, default=C_HEADER)
    ap.add_argument("--cxx-header", type=Path, default=CXX_HEADER)
    args = ap.parse_args()
    declared = sorted(set(DECL.findall(strip_comments(args.c_header.read_text()))))
    if not declared:
        print(f"check_cxx_api: no scipix_* functions found in {args.c_header}", file=sys.stderr)
        return 1
    code = strip_comments(args.cxx_header.read_text())
    called = set(CALL.findall(code)) | set(FREE_ARG.findall(code))
    missing = [name for name in declared if name not in called]
    if missing:
        print(f"check_cxx_api: {len(missing)} of {len(declared)} C functions have no C++ "
              f"counterpart in {args.cxx_header.name}:", file=sys.stderr)
        for name in missing:
            print(f"  {name}", file=sys.stderr)
        return 1
    print(f"check_cxx_api: all {len(declared)} C functions are wrapped in {args.cxx_header.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

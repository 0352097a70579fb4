#!/usr/bin/env bash
# Runs a Windows x86_64 program under Wine: `scripts/wine_run.sh prog.exe [args...]`.
# Used as CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER by scripts/test.sh and to run the C
# examples built with MinGW. Debian installs the 64-bit loader off the PATH
# (/usr/lib/wine/wine64). Wine 8 lacks ProcessPrng, which Rust's std imports, so a stand-in
# bcryptprimitives.dll (scripts/windows/bcryptprimitives.c, test tooling only) is built
# once and placed beside the program. Wine's prefix lives in target/wine (WINEPREFIX).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prog="$1"
dir="$(cd "$(dirname "$prog")" && pwd)"

wine=""
for w in wine64 /usr/lib/wine/wine64 /usr/lib/x86_64-linux-gnu/wine/wine64 wine; do
  if command -v "$w" >/dev/null 2>&1; then wine="$w"; break; fi
done
[ -n "$wine" ] || { echo "wine_run.sh: no wine64 found (apt-get install wine64)" >&2; exit 127; }

shim="$dir/bcryptprimitives.dll"
src="$here/windows/bcryptprimitives.c"
if [ ! -f "$shim" ] || [ "$src" -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$shim.tmp$$" "$src" -ladvapi32
  mv -f "$shim.tmp$$" "$shim"
fi

export WINEPREFIX="${WINEPREFIX:-$here/../target/wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-bcryptprimitives=n,b;mscoree,mshtml=}"
mkdir -p "$WINEPREFIX"
exec "$wine" "$@"

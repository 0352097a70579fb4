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

# A new prefix is built by wineboot before the first program runs, and waited for: a program
# started while wine is still populating the prefix can fail to load kernel32.dll (wine exits
# 53 with no output). The marker file is written only once wineboot and the wineserver it
# started have finished; a half-built prefix is removed and built again (two tries), under a
# lock so that parallel runs build it once.
ready="$WINEPREFIX/.scipix-prefix-ready"
if [ ! -f "$ready" ]; then
  wineserver=""
  for s in wineserver64 wineserver /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver \
           /usr/lib/x86_64-linux-gnu/wine/wineserver64; do
    if command -v "$s" >/dev/null 2>&1; then wineserver="$s"; break; fi
  done
  mkdir -p "$(dirname "$WINEPREFIX")"
  exec 9>"$WINEPREFIX.lock"
  flock 9
  tries=0
  while [ ! -f "$ready" ]; do
    tries=$((tries + 1))
    rm -rf "$WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    "$wine" wineboot --init >/dev/null 2>&1 || true
    [ -z "$wineserver" ] || "$wineserver" -w || true
    if [ -f "$WINEPREFIX/drive_c/windows/system32/kernel32.dll" ] && [ -e "$WINEPREFIX/dosdevices/z:" ]; then
      touch "$ready"
    elif [ "$tries" -ge 2 ]; then
      echo "wine_run.sh: wineboot did not build the prefix $WINEPREFIX" >&2
      exit 1
    fi
  done
  exec 9>&-
fi
exec "$wine" "$@"

#!/usr/bin/env bash
# Windows x86_64 (x86_64-pc-windows-gnu) checks, run under Wine by scripts/test.sh:
#   1. the lib tests (cargo test under scripts/wine_run.sh);
#   2. the release DLL, import library and static library installed into a prefix with
#      scripts/install.sh, the header compiled as C11 and C++17 by MinGW, and the C
#      examples features, quantize and quantize_model and the C++ API test cxx_api built
#      against the DLL (and one against the static library) and run under Wine;
#   3. an outside CMake project finds the installed package with find_package(scipix).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
T=x86_64-pc-windows-gnu
CC=x86_64-w64-mingw32-gcc
CXX=x86_64-w64-mingw32-g++
run="$root/scripts/wine_run.sh"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=$CC
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$run"

if [ "${1:-}" != --skip-lib-tests ]; then
  echo "== lib tests under wine"
  cargo test --target $T --lib
fi

echo "== release DLL, import library, static library; install"
cargo build --release --target $T --lib
work="$root/target/windows-check"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
SCIPIX_TARGET=$T SCIPIX_SKIP_BUILD=1 scripts/install.sh "$prefix" >/dev/null
for f in bin/scipix.dll lib/libscipix.dll.a lib/libscipix.a include/scipix.h \
         include/scipix.hpp lib/pkgconfig/scipix.pc lib/cmake/scipix/scipixConfig.cmake; do
  [ -f "$prefix/$f" ] || { echo "install is missing $f"; exit 1; }
done

echo "== header and C examples with MinGW, run under wine"
flags=(-std=c11 -Wall -Wextra -Werror -pedantic -O2 -I"$prefix/include")
$CXX -std=c++17 -Wall -Wextra -Werror -pedantic -I"$prefix/include" -o "$work/header_cxx.exe" \
  c_examples/header_cxx.cpp -L"$prefix/lib" -lscipix
# The C++ runtime is linked statically: wine's prefix has no libstdc++-6.dll / libgcc_s_seh-1.dll.
$CXX -std=c++17 -Wall -Wextra -Werror -pedantic -O2 -static-libgcc -static-libstdc++ \
  -I"$prefix/include" -o "$work/cxx_api.exe" c_examples/cxx_api.cpp -L"$prefix/lib" -lscipix
for ex in features quantize quantize_model; do
  $CC "${flags[@]}" -o "$work/$ex.exe" "c_examples/$ex.c" -L"$prefix/lib" -lscipix -lm
done
static_libs=$(sed -n 's/^Libs.private: //p' "$prefix/lib/pkgconfig/scipix.pc")
# shellcheck disable=SC2086
$CC "${flags[@]}" -o "$work/quantize_static.exe" c_examples/quantize.c \
  "$prefix/lib/libscipix.a" $static_libs -lm
cp "$prefix/bin/scipix.dll" "$work/"

out=$("$run" "$work/features.exe")
echo "$out"
grep -Eq 'scipix [0-9]+\.[0-9]+\.[0-9]+' <<<"$out"
"$run" "$work/header_cxx.exe"
mkdir -p "$work/cxx_api.d"
out=$("$run" "$work/cxx_api.exe" "$work/cxx_api.d" | tail -n 2)
echo "$out"
grep -q 'C++ API: all checks passed' <<<"$out"
# Print then check (not `tee /dev/stderr`, which reopens a redirected log and truncates it).
out=$("$run" "$work/quantize.exe" | tail -n 3)
echo "$out"
grep -q 'all checks passed' <<<"$out"
"$run" "$work/quantize_static.exe" | grep -q 'all checks passed'
mkdir -p "$work/models"
out=$("$run" "$work/quantize_model.exe" --self-test "$work/models" | tail -n 3)
echo "$out"
grep -q 'self-test passed' <<<"$out"

echo "== CMake find_package with the MinGW toolchain"
cmake -S tests/install -B "$work/cmake" -DCMAKE_SYSTEM_NAME=Windows \
  -DCMAKE_C_COMPILER=$CC -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_ROOT_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
cp "$prefix/bin/scipix.dll" "$work/cmake/"
"$run" "$work/cmake/consumer.exe"
"$run" "$work/cmake/consumer_static.exe"
echo "windows checks passed"

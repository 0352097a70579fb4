#!/usr/bin/env bash
# Installs scipix into a temporary prefix, then builds and runs an outside program through
# pkg-config and through CMake find_package (shared and static).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
SCIPIX_SKIP_BUILD="${SCIPIX_SKIP_BUILD:-0}" "$root/scripts/install.sh" "$prefix" >/dev/null
[ -f "$prefix/include/scipix.hpp" ] || { echo "install is missing include/scipix.hpp"; exit 1; }

echo "== pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --modversion scipix
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc" "$root/tests/install/consumer.c" \
  $(pkg-config --cflags --libs scipix) -Wl,-rpath,"$prefix/lib"
"$work/consumer_pc"
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc_static" "$root/tests/install/consumer.c" \
  $(pkg-config --cflags scipix) "$prefix/lib/libscipix.a" $(pkg-config --libs-only-l --static scipix | sed 's/-lscipix//')
"$work/consumer_pc_static"
readelf -d "$work/consumer_pc" | grep -q 'libscipix.so.0' || { echo "consumer does not record the soname"; exit 1; }

echo "== cmake find_package"
cmake -S "$root/tests/install" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"
"$work/build/consumer_static"
echo "install test passed"

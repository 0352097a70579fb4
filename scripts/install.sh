#!/usr/bin/env bash
# Installs scipix under PREFIX: header, shared library with versioned soname, static
# library, pkg-config file and CMake package config.
#   scripts/install.sh [PREFIX]      (default /usr/local; set LIBDIR=lib64 if your system wants it)
# Builds the release library first unless SCIPIX_SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${1:-${PREFIX:-/usr/local}}"
LIBDIR="${LIBDIR:-lib}"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
MAJOR=${VERSION%%.*}
TARGET_DIR="${CARGO_TARGET_DIR:-target}/release"

if [ "${SCIPIX_SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --quiet
fi

# System libraries the static archive needs, as rustc reports them.
NATIVE_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

dest_lib="$PREFIX/$LIBDIR"
install -d "$PREFIX/include" "$dest_lib/pkgconfig" "$dest_lib/cmake/scipix"
install -m 644 include/scipix.h "$PREFIX/include/scipix.h"
install -m 755 "$TARGET_DIR/libscipix.so" "$dest_lib/libscipix.so.$VERSION"
ln -sf "libscipix.so.$VERSION" "$dest_lib/libscipix.so.$MAJOR"
ln -sf "libscipix.so.$MAJOR" "$dest_lib/libscipix.so"
install -m 644 "$TARGET_DIR/libscipix.a" "$dest_lib/libscipix.a"

subst() {
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@VERSION@|$VERSION|g" \
      -e "s|@MAJOR@|$MAJOR|g" -e "s|@NATIVE_LIBS@|$NATIVE_LIBS|g" "$1"
}
subst packaging/scipix.pc.in > "$dest_lib/pkgconfig/scipix.pc"
subst packaging/scipixConfig.cmake.in > "$dest_lib/cmake/scipix/scipixConfig.cmake"
cat > "$dest_lib/cmake/scipix/scipixConfigVersion.cmake" <<CMAKE
# Compatible when the major version matches and the installed version is not older.
set(PACKAGE_VERSION "$VERSION")
if(PACKAGE_FIND_VERSION_MAJOR STREQUAL "$MAJOR" AND NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
CMAKE
echo "installed scipix $VERSION under $PREFIX"

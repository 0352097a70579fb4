#!/usr/bin/env bash
# Installs scipix under PREFIX: header, shared library, static library, pkg-config file and
# CMake package config.
#   scripts/install.sh [PREFIX]      (default /usr/local; set LIBDIR=lib64 if your system wants it)
# Builds the release library first unless SCIPIX_SKIP_BUILD=1. SCIPIX_TARGET=<rust target>
# installs a cross build (target/<triple>/release) instead of the host one. Layout per OS:
#   Linux:   lib/libscipix.so.X.Y.Z (soname libscipix.so.X, links .so.X and .so), lib/libscipix.a
#   macOS:   lib/libscipix.X.dylib (install name set to that absolute path with
#            install_name_tool; libscipix.dylib links to it), lib/libscipix.a
#   Windows: bin/scipix.dll, lib/libscipix.dll.a (import library), lib/libscipix.a
# plus include/scipix.h (C), include/scipix.hpp (C++17 over it), lib/pkgconfig/scipix.pc and
# lib/cmake/scipix/scipixConfig*.cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${1:-${PREFIX:-/usr/local}}"
LIBDIR="${LIBDIR:-lib}"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
MAJOR=${VERSION%%.*}
TARGET="${SCIPIX_TARGET:-}"
if [ -n "$TARGET" ]; then
  TARGET_DIR="${CARGO_TARGET_DIR:-target}/$TARGET/release"
  target_args=(--target "$TARGET")
else
  TARGET_DIR="${CARGO_TARGET_DIR:-target}/release"
  target_args=()
  TARGET=$(rustc -vV | sed -n 's/^host: //p')
fi

if [ "${SCIPIX_SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --quiet --lib "${target_args[@]}"
fi

dest_lib="$PREFIX/$LIBDIR"
install -d "$PREFIX/include" "$dest_lib/pkgconfig" "$dest_lib/cmake/scipix"
install -m 644 include/scipix.h "$PREFIX/include/scipix.h"
install -m 644 include/scipix.hpp "$PREFIX/include/scipix.hpp"
install -m 644 "$TARGET_DIR/libscipix.a" "$dest_lib/libscipix.a"

# SHARED: the shared library CMake imports (relative to PREFIX); SHARED_PROPS: its other
# imported-target properties; NATIVE_LIBS / CMAKE_LIBS: system libraries the static
# archive needs, as `rustc --print native-static-libs` reports them for the target.
case "$TARGET" in
  *-windows-gnu*)
    install -d "$PREFIX/bin"
    install -m 755 "$TARGET_DIR/scipix.dll" "$PREFIX/bin/scipix.dll"
    install -m 644 "$TARGET_DIR/libscipix.dll.a" "$dest_lib/libscipix.dll.a"
    SHARED="bin/scipix.dll"
    SHARED_PROPS="IMPORTED_IMPLIB \"\${_scipix_prefix}/$LIBDIR/libscipix.dll.a\""
    NATIVE_LIBS="-lkernel32 -ladvapi32 -lntdll -luserenv -lws2_32 -ldbghelp"
    CMAKE_LIBS="kernel32;advapi32;ntdll;userenv;ws2_32;dbghelp"
    ;;
  *-apple-darwin*)
    install -m 755 "$TARGET_DIR/libscipix.dylib" "$dest_lib/libscipix.$MAJOR.dylib"
    ln -sf "libscipix.$MAJOR.dylib" "$dest_lib/libscipix.dylib"
    # build.rs links with install name @rpath/libscipix.MAJOR.dylib (relocatable, for
    # bundles); an installed copy records its absolute path, as system libraries do.
    if command -v install_name_tool >/dev/null; then
      install_name_tool -id "$dest_lib/libscipix.$MAJOR.dylib" "$dest_lib/libscipix.$MAJOR.dylib"
    fi
    SHARED="$LIBDIR/libscipix.$MAJOR.dylib"
    SHARED_PROPS="IMPORTED_SONAME \"\${_scipix_prefix}/$LIBDIR/libscipix.$MAJOR.dylib\""
    NATIVE_LIBS="-lSystem -lc -lm"
    CMAKE_LIBS="Threads::Threads;c;m"
    ;;
  *)
    install -m 755 "$TARGET_DIR/libscipix.so" "$dest_lib/libscipix.so.$VERSION"
    ln -sf "libscipix.so.$VERSION" "$dest_lib/libscipix.so.$MAJOR"
    ln -sf "libscipix.so.$MAJOR" "$dest_lib/libscipix.so"
    SHARED="$LIBDIR/libscipix.so.$VERSION"
    SHARED_PROPS="IMPORTED_SONAME \"libscipix.so.$MAJOR\""
    NATIVE_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
    CMAKE_LIBS="Threads::Threads;dl;m;rt;util"
    ;;
esac

subst() {
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@VERSION@|$VERSION|g" \
      -e "s|@MAJOR@|$MAJOR|g" -e "s|@NATIVE_LIBS@|$NATIVE_LIBS|g" -e "s|@SHARED@|$SHARED|g" \
      -e "s|@SHARED_PROPS@|$SHARED_PROPS|g" -e "s|@CMAKE_LIBS@|$CMAKE_LIBS|g" "$1"
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
echo "installed scipix $VERSION ($TARGET) under $PREFIX"

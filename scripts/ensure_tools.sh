#!/usr/bin/env bash
# Installs what the build, the tests and the demo need, when it is missing. Safe to re-run.
# Sourced by scripts/test.sh and scripts/demo.sh; needs root (or sudo) for apt-get.
#   ensure_base      rustfmt, clippy, cmake, pkg-config, nasm (libjpeg-turbo's x86 SIMD)
#   ensure_python    the reference packages and the Python packaging tools, at the exact
#                    versions pinned in tests/python/requirements*.txt
#   ensure_aarch64   cross linker, qemu-user and the Rust target for the NEON tests
#   ensure_valgrind  valgrind for the memcheck run
#   ensure_wasm      the wasm32-wasip1 Rust target and wasmtime (PyPI) for the WASI tests
#   ensure_windows   the x86_64-pc-windows-gnu target, MinGW-w64 and wine64 for the Windows tests
#   ensure_apple     the two Apple Rust targets (std only) for clippy
#   ensure_fuzz      clang with its sanitizer runtimes (libjpeg-turbo's C under ASan) and
#                    cargo-fuzz at the version pinned below, for the fuzz and corpus stages

apt_updated=0
apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ "$apt_updated" = 0 ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

pip_install() {
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@"
}

ensure_base() {
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  if ! command -v cmake >/dev/null; then
    pip_install cmake || apt_install cmake
    hash -r
  fi
  command -v pkg-config >/dev/null || apt_install pkg-config
  # The vendored libjpeg-turbo (feature `codec`) is built with REQUIRE_SIMD: on x86 its SIMD
  # kernels are assembled by nasm, and the build fails without it.
  command -v nasm >/dev/null || apt_install nasm
  command -v cc >/dev/null || apt_install build-essential
}

ensure_python() {
  # Versions, not imports: a machine that has any reference package at another release (an
  # older OpenCV, say) gets the pinned one, so every machine tests against the same references.
  local here req nodeps pinned
  here="$(dirname "${BASH_SOURCE[0]}")"
  req="$here/../tests/python/requirements.txt"
  nodeps="$here/../tests/python/requirements-nodeps.txt"
  pinned="$here/pinned_versions.py"
  if ! python3 "$pinned" "$req" >/dev/null; then
    echo "installing the pinned Python packages (tests/python/requirements.txt):"
    python3 "$pinned" "$req" | sed 's/^/  /' || true
    pip_install -r "$req"
  fi
  if ! python3 "$pinned" "$nodeps" >/dev/null; then
    pip_install --no-deps -r "$nodeps"
  fi
  # Another OpenCV distribution (opencv-python, the contrib builds) can shadow the pinned
  # headless one: `import cv2` must load the pinned release.
  local shadow
  shadow=$(python3 "$pinned" "$req" | grep -c 'shadows it' || true)
  if [ "$shadow" != 0 ]; then
    local d
    for d in opencv-python opencv-contrib-python opencv-contrib-python-headless; do
      if python3 -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$d" 2>/dev/null; then
        echo "uninstalling $d, which shadows the pinned opencv-python-headless"
        python3 -m pip uninstall --quiet --yes --root-user-action=ignore "$d"
      fi
    done
    pip_install --force-reinstall --no-deps "$(grep -E '^opencv-python-headless==' "$req")"
  fi
  if ! python3 "$pinned" "$req" "$nodeps"; then
    echo "the pinned Python packages above could not be installed" >&2
    return 1
  fi
}

ensure_aarch64() {
  rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' \
    || rustup target add aarch64-unknown-linux-gnu
  if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null \
     || [ ! -d /usr/aarch64-linux-gnu/lib ]; then
    apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  fi
}

ensure_valgrind() {
  command -v valgrind >/dev/null || apt_install valgrind
}

ensure_wasm() {
  rustup target list --installed | grep -q '^wasm32-wasip1$' || rustup target add wasm32-wasip1
  python3 -c 'import wasmtime' 2>/dev/null || pip_install 'wasmtime==50.*'
}

ensure_windows() {
  rustup target list --installed | grep -q '^x86_64-pc-windows-gnu$' \
    || rustup target add x86_64-pc-windows-gnu
  # Debian puts the 64-bit loader in wine's library folder, off the PATH.
  local wine=0
  { [ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null; } && wine=1
  if [ "$wine" = 0 ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null \
     || ! command -v x86_64-w64-mingw32-g++ >/dev/null; then
    apt_install --no-install-recommends gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64
  fi
}

ensure_apple() {
  local t
  for t in aarch64-apple-darwin x86_64-apple-darwin; do
    rustup target list --installed | grep -q "^$t\$" || rustup target add "$t"
  done
}

# cargo-fuzz, exact version (installed with its own Cargo.lock): the fuzz stages build with
# `cargo fuzz build`, whose flags (sanitizer, coverage passes) belong to the version.
CARGO_FUZZ_VERSION=0.13.2

ensure_fuzz() {
  # clang compiles libjpeg-turbo with -fsanitize=address,fuzzer-no-link (scripts/fuzz_build.sh);
  # CMake's test programs link clang's own ASan runtime (libclang-rt-dev).
  if ! command -v clang >/dev/null || ! clang -fsanitize=address -x c -o /dev/null - \
       <<<'int main(void){return 0;}' 2>/dev/null; then
    apt_install clang libclang-rt-dev
  fi
  if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

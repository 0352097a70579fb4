#!/usr/bin/env bash
# The one command that tests everything on a fresh machine (README: `make test`).
# Installs missing tools, then: format and lint, Rust tests (x86_64 debug and optimized,
# aarch64 NEON under qemu-user, wasm32-wasip1 under wasmtime), header drift, C examples
# under CTest (shared and static), install test (pkg-config and CMake), and the Python
# cross-checks against OpenCV, ONNX Runtime and safetensors, and the Python package with
# the user guide's snippets.
# Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_tools.sh

stage() { printf '\n==== %s [%s]\n' "$1" "$(date -u +%H:%M:%S)"; }

stage "tools"
ensure_base
ensure_python
ensure_aarch64
ensure_valgrind
ensure_wasm
ensure_windows
ensure_apple

stage "format and lint"
cargo fmt --all --check
cargo clippy --all-targets -- -D warnings

stage "rust tests (x86_64)"
cargo test

stage "rust lib tests, optimized (what release builds run: no debug assertions, LTO)"
cargo test --release --lib

stage "header drift"
# build.rs refreshes include/scipix.h outside CI; a difference from the committed copy means
# the header was not committed with the code that changed it.
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- include/scipix.h
fi

stage "rust tests (aarch64 NEON under qemu-user)"
cargo clippy --target aarch64-unknown-linux-gnu --all-targets -- -D warnings
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
  cargo test --target aarch64-unknown-linux-gnu --lib

stage "rust lib tests (wasm32-wasip1 under wasmtime)"
# No threads, no mmap, panics abort: tests that need a second thread or unwinding are
# ignored there (cfg threadless, panic = "unwind"); the rest run under wasmtime.
cargo clippy --target wasm32-wasip1 --all-targets -- -D warnings
CARGO_TARGET_WASM32_WASIP1_RUNNER="python3 $PWD/scripts/wasmtime_run.py" \
  cargo test --target wasm32-wasip1 --lib

stage "x86_64 Windows under wine (lib tests, DLL + import library, C examples, CMake package)"
cargo clippy --target x86_64-pc-windows-gnu --all-targets -- -D warnings
scripts/test_windows.sh

stage "macOS targets (clippy only: nothing here can run them)"
cargo clippy --target aarch64-apple-darwin --all-targets -- -D warnings
cargo clippy --target x86_64-apple-darwin --all-targets -- -D warnings

stage "release build and C examples (CTest)"
cargo build --release
cmake -S c_examples -B build/c_examples -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/c_examples --parallel 2
ctest --test-dir build/c_examples --output-on-failure --timeout 900

stage "install (pkg-config and CMake find_package)"
SCIPIX_SKIP_BUILD=1 tests/install/run.sh

stage "python cross-checks"
export SCIPIX_LIB="$PWD/target/release/libscipix.so"
export SCIPIX_EXAMPLES_DIR="$PWD/build/c_examples"
python3 -m pytest -q tests/python

stage "python package (bindings, guide snippets, ONNX Runtime serving example)"
scripts/test_python.sh

stage "all tests passed"

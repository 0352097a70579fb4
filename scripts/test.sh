#!/usr/bin/env bash
# The one command that tests everything on a fresh machine (README: `make test`).
# Installs missing tools, then: format and lint, Rust tests (x86_64 debug and optimized,
# aarch64 NEON under qemu-user, wasm32-wasip1 under wasmtime), header drift, C examples
# under CTest (shared and static), install test (pkg-config and CMake), and the Python
# cross-checks against OpenCV, ONNX Runtime and safetensors; the ONNX Runtime custom-operator
# library (ort/) in real sessions; scipix.ray in Ray Data on a simulated multi-node cluster
# (tests/ray and the ray_pipeline example); the Rust example, docs
# (warnings denied) and doctests; the malformed-input corpus (about 3,200 damaged JPEGs and
# PNGs, each decoded in its own process under AddressSanitizer, Rust and C) and bounded
# fuzzing of the cargo-fuzz targets; the Python package built by pip (with its tests, mypy
# --strict and an sdist install); a smoke run of the resize-grid and per-call bench scripts;
# and `cargo package`.
# Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_tools.sh

# Each stage's wall time is printed at the end (this machine's load varies: compare stages
# of one run, not runs).
stage_names=()
stage_starts=()
stage() {
  stage_names+=("$1")
  stage_starts+=("$SECONDS")
  printf '\n==== %s [%s]\n' "$1" "$(date -u +%H:%M:%S)"
}
stage_times() {
  local i end
  printf '\nstage wall times:\n'
  for i in "${!stage_names[@]}"; do
    end=${stage_starts[$((i + 1))]:-$SECONDS}
    printf '  %5ds  %s\n' "$((end - stage_starts[i]))" "${stage_names[$i]}"
  done
  printf '  %5ds  total\n' "$SECONDS"
}

stage "tools"
ensure_base
ensure_python
ensure_aarch64
ensure_valgrind
ensure_wasm
ensure_windows
ensure_apple
ensure_fuzz

stage "format and lint"
cargo fmt --all --check
# The fuzz crate is a workspace of its own (built by the fuzz stages below; clippy on it,
# `cd fuzz && cargo clippy --all-targets -- -D warnings`, needs a libjpeg-turbo build of its own
# and is left to whoever changes it).
cargo fmt --all --check --manifest-path fuzz/Cargo.toml
cargo clippy --all-targets -- -D warnings
# The ONNX Runtime custom-operator crate (ort/), a workspace member outside the default set.
cargo clippy -p scipix-ort --all-targets -- -D warnings
# The README opening covers every module of the guide; the reference versions the docs name
# are the pinned ones.
python3 scripts/check_docs.py

stage "rust tests (x86_64; lib, integration tests and doctests)"
cargo test

stage "rust example (safe API end to end)"
cargo run --quiet --example pipeline

stage "rust docs (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

stage "rust lib tests, optimized (what release builds run: no debug assertions, LTO)"
cargo test --release --lib

stage "header drift"
# build.rs refreshes include/scipix.h outside CI; a difference from the committed copy means
# the header was not committed with the code that changed it.
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- include/scipix.h
fi

stage "malformed-input corpus (one process per file; AddressSanitizer on Rust and C)"
# Also builds the ASan binaries (target/fuzz-asan) that the next stage fuzzes with.
scripts/malformed_corpus.sh

stage "bounded fuzzing (cargo-fuzz: decode, png, probe, parse, gguf)"
scripts/fuzz_bounded.sh

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

stage "rust lib tests (wasm32-wasip1 with SIMD128 under wasmtime)"
# WebAssembly fixes SIMD128 at build time: this build lists Isa::Simd128, so the kernel
# equivalence tests run the SIMD128 kernels against the scalar ones (the stage above is the
# build without it). Its own target directory keeps the two builds from rebuilding each other.
(
  export RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR=target/wasm32-simd128
  cargo clippy --target wasm32-wasip1 --all-targets -- -D warnings
  CARGO_TARGET_WASM32_WASIP1_RUNNER="python3 $PWD/scripts/wasmtime_run.py" \
    cargo test --target wasm32-wasip1 --lib
)

stage "x86_64 Windows under wine (lib tests, DLL + import library, C examples, CMake package)"
cargo clippy --target x86_64-pc-windows-gnu --all-targets -- -D warnings
scripts/test_windows.sh

stage "macOS targets (clippy only: nothing here can run them)"
(
  # libjpeg-turbo's C build needs a macOS SDK, which this machine lacks. Clippy links
  # nothing, so turbojpeg-sys is pointed at an empty library folder instead of building it
  # (an environment variable overrides the vendor choice in .cargo/config.toml).
  mkdir -p target/no-turbojpeg
  export TURBOJPEG_SOURCE=explicit TURBOJPEG_LIB_DIR="$PWD/target/no-turbojpeg"
  cargo clippy --target aarch64-apple-darwin --all-targets -- -D warnings
  cargo clippy --target x86_64-apple-darwin --all-targets -- -D warnings
)

stage "release build, C and C++ examples (CTest)"
cargo build --release
# Every C function in scipix.h has a C++ counterpart in scipix.hpp; the C++ test is also
# built by clang++ (cxx_api_clang), so the header stays warnings-clean under both compilers.
python3 scripts/check_cxx_api.py
cmake -S c_examples -B build/c_examples -DCMAKE_BUILD_TYPE=Release -DSCIPIX_REQUIRE_CLANGXX=ON >/dev/null
cmake --build build/c_examples --parallel 2
ctest --test-dir build/c_examples --output-on-failure --timeout 900

stage "install (pkg-config and CMake find_package)"
SCIPIX_SKIP_BUILD=1 tests/install/run.sh

stage "python cross-checks"
export SCIPIX_LIB="$PWD/target/release/libscipix.so"
export SCIPIX_EXAMPLES_DIR="$PWD/build/c_examples"
python3 -m pytest -q tests/python

stage "python package (pip build, auditwheel, mypy --strict, tests, sdist)"
unset SCIPIX_LIB SCIPIX_EXAMPLES_DIR
SCIPIX_TEST_SDIST=1 scripts/test_python.sh

stage "bench scripts (smoke run: a few calls per side, figures not kept)"
# make bench is not part of the tests, so its scripts are run here briefly to keep them
# working: a quick resize grid (release library) and the per-call script (the package the
# stage above installed).
mkdir -p target/bench
python3 benches/peers_resize_grid.py --quick --reps 1 --modes cv_nearest,cv_linear,pil_bilinear \
  --json target/bench/smoke_grid.json >target/bench/smoke.log 2>&1 &&
  (cd benches && python3 peers_overhead.py --reps 2 --batch 5) >>target/bench/smoke.log 2>&1 ||
  { tail -n 40 target/bench/smoke.log; exit 1; }

stage "ONNX Runtime custom operators (ort/ library in onnxruntime sessions)"
# The op layer's unit tests (debug build, as `cargo test` above), then the release scipix
# rlib built above linked into libscipix_ort.so (about 1.5 minutes of LTO on 2 cores) and
# its tests in onnxruntime sessions (seconds). After the python package stage: the tests
# compare with the scipix package that stage installs.
cargo test -p scipix-ort
cargo build --release -p scipix-ort
SCIPIX_ORT_LIB="$PWD/target/release/libscipix_ort.so" python3 -m pytest -q tests/ort

stage "Ray (simulated multi-node cluster)"
# scipix.ray in Ray Data on ray.cluster_utils clusters of 1-CPU nodes (about 3 minutes on 2
# loaded cores): bit-for-bit parity with a plain loop, corrupt files as error rows, a killed
# actor, a removed node, pool sizing, pickling refusal; then the example at a small size.
# The pinned Ray (tests/ray/requirements.txt) is installed when an installed version differs
# or when its Data or Serve extra does not import (a Ray installed without them has the
# pinned version). Uses the scipix package the Python package stage installed.
if ! python3 scripts/pinned_versions.py tests/ray/requirements.txt >/dev/null \
   || ! python3 -c "import ray.data, ray.serve, starlette" 2>/dev/null; then
  python3 scripts/pinned_versions.py tests/ray/requirements.txt | sed 's/^/  /' || true
  pip_install -r tests/ray/requirements.txt
  python3 scripts/pinned_versions.py tests/ray/requirements.txt
  python3 -c "import ray.data, ray.serve, starlette"
fi
# Ray Data's usage collection off for the tests and the example (its thread can end the
# driver with exit code 1 during ray.shutdown(); tests/ray/conftest.py).
export RAY_DATA_USAGE_DISABLED=1
python3 -m pytest -q -p no:cacheprovider tests/ray
ray_out=$(mktemp -d)
python3 examples/python/ray_pipeline.py --images 64 --workers 1 --nodes 2 --side 128 \
  --out "$ray_out" --check
rm -rf "$ray_out"

stage "crate package (cargo package: file list and a build from the tarball)"
# A clean clone packages as is; a working tree with local edits to packaged files needs
# --allow-dirty (cargo refuses to package uncommitted changes otherwise).
dirty=()
[ -z "$(git status --porcelain -- src examples build.rs cbindgen.toml include README.md \
        Cargo.toml Cargo.lock 2>/dev/null)" ] || dirty=(--allow-dirty)
files=$(cargo package --list "${dirty[@]}" 2>/dev/null)
if grep -vE '^(src/.*\.(rs|c)|examples/[^/]*\.rs|build\.rs|cbindgen\.toml|include/scipix\.h|README\.md|Cargo\.(toml|toml\.orig|lock)|\.cargo_vcs_info\.json)$' <<<"$files"; then
  echo "cargo package would ship the files above, which a crate user does not need" >&2
  exit 1
fi
cargo package "${dirty[@]}" --quiet

stage "all tests passed"
stage_times

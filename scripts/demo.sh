#!/usr/bin/env bash
# The main job (README: `make demo`): builds the library and the C examples and runs them,
# exercising every module: CPU features and dispatch, image preprocessing, quantization,
# quantizing a real model from safetensors, and the dynamic batch queue.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_tools.sh
ensure_base
ensure_python

cargo build --release
cmake -S c_examples -B build/c_examples -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/c_examples --parallel 2 >/dev/null
bin=build/c_examples
out=build/demo
mkdir -p "$out"

banner() { printf '\n######## %s\n' "$1"; }

banner "features: what scipix sees on this machine"
"$bin/features"

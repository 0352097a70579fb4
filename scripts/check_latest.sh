#!/usr/bin/env bash
# `make check-latest` (not part of `make test`): runs the Python cross-checks twice, each in
# a scratch virtual environment under build/check-latest, once against the pinned reference
# packages (tests/python/requirements.txt) and once against the newest release of each, then
# prints the versions side by side and every check whose outcome changed. Exit status 1 when
# any check changed, so an upstream release becomes a deliberate update (new pin, code and
# guide together), not a red CI run.
#
#   make check-latest
#   CHECK_VERSIONS="opencv-python-headless==5.0.0.93 ml-dtypes==0.6.0" make check-latest
#       (compare the pins with the given releases instead of the newest; the packages not
#       named are taken at their pinned release)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_tools.sh
ensure_base

req=tests/python/requirements.txt
nodeps=tests/python/requirements-nodeps.txt
work=build/check-latest
mkdir -p "$work"

echo "== building the release library and the C examples the cross-checks call"
cargo build --release --quiet
cmake -S c_examples -B build/c_examples -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/c_examples --parallel 2 >/dev/null
# Both sides load this copy, so a rebuild while the script runs cannot make them differ.
cp target/release/libscipix.so "$work/libscipix.so"

# The other side: the newest release of every reference package, or CHECK_VERSIONS.
mapfile -t refs < <(python3 scripts/pinned_versions.py --references "$req")
other=()
if [ -n "${CHECK_VERSIONS:-}" ]; then
  read -r -a named <<<"$CHECK_VERSIONS"
  label="CHECK_VERSIONS"
  for line in $(grep -vE '^\s*(#|$)' "$req"); do
    name=${line%%==*}
    spec=$line
    for n in "${named[@]}"; do
      [ "${n%%==*}" = "$name" ] && spec=$n
    done
    other+=("$spec")
  done
else
  label="newest"
  other=("${refs[@]}")
  for line in $(grep -vE '^\s*(#|$)' "$req"); do
    name=${line%%==*}
    printf '%s\n' "${refs[@]}" | grep -qx "$name" || other+=("$line")  # tools stay pinned
  done
fi

run_side() {  # name, then pip requirement specs
  local side=$1 env="$work/$1"
  shift
  echo "== $side: installing into $env"
  python3 -m venv --clear "$env"
  "$env/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "$@"
  "$env/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$nodeps"
  "$env/bin/python" -m pip list --format=freeze --disable-pip-version-check >"$work/$side.freeze"
  echo "== $side: running the cross-checks"
  SCIPIX_LIB="$PWD/$work/libscipix.so" SCIPIX_EXAMPLES_DIR="$PWD/build/c_examples" \
    "$env/bin/python" -m pytest -q -p no:cacheprovider tests/python \
      --junitxml="$work/$side.xml" -o junit_family=xunit1 >"$work/$side.log" 2>&1 || true
  tail -n 1 "$work/$side.log"
}

run_side pinned -r "$req"
run_side "$label" "${other[@]}"

python3 - "$work" "$label" "${refs[@]}" <<'PY'
import sys
import xml.etree.ElementTree as ET

work, label, refs = sys.argv[1], sys.argv[2], sys.argv[3:]


def freeze(side):
    out = {}
    for line in open(f"{work}/{side}.freeze"):
        if "==" in line:
            n, v = line.strip().split("==", 1)
            out[n.lower().replace("_", "-")] = v
    return out


def outcomes(side):
    res = {}
    for tc in ET.parse(f"{work}/{side}.xml").iter("testcase"):
        key = f"{tc.get('classname')}::{tc.get('name')}"
        state, msg = "passed", ""
        for tag in ("failure", "error", "skipped"):
            el = tc.find(tag)
            if el is not None:
                state = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                msg = (el.get("message") or el.text or "").strip().splitlines()[:1]
                msg = msg[0][:160] if msg else ""
                break
        res[key] = (state, msg)
    return res


a, b = freeze("pinned"), freeze(label)
print(f"\nreference package        pinned        {label}")
for n in refs:
    k = n.lower().replace("_", "-")
    mark = "" if a.get(k) == b.get(k) else "   <- differs"
    print(f"  {n:24} {a.get(k, '-'):13} {b.get(k, '-')}{mark}")
pa, pb = outcomes("pinned"), outcomes(label)
changed = sorted(k for k in set(pa) | set(pb) if pa.get(k, ("absent", ""))[0] != pb.get(k, ("absent", ""))[0])
count = lambda r, s: sum(1 for v in r.values() if v[0] == s)
print(f"\npinned: {count(pa, 'passed')} passed, {count(pa, 'failed') + count(pa, 'error')} failed; "
      f"{label}: {count(pb, 'passed')} passed, {count(pb, 'failed') + count(pb, 'error')} failed")
if not changed:
    print(f"no cross-check changed its outcome between the pinned and the {label} releases")
    sys.exit(0)
print(f"\n{len(changed)} cross-checks changed (pinned -> {label}):")
for k in changed:
    (sa, ma), (sb, mb) = pa.get(k, ("absent", "")), pb.get(k, ("absent", ""))
    print(f"  {k}: {sa} -> {sb}")
    for m in (ma, mb):
        if m:
            print(f"      {m}")
print(f"\nlogs: {work}/pinned.log, {work}/{label}.log")
sys.exit(1)
PY

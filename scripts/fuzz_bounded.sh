#!/usr/bin/env bash
# Bounded fuzzing, a stage of `make test`: each cargo-fuzz target of fuzz/ runs for a fixed
# time under AddressSanitizer (Rust and libjpeg-turbo's C; see scripts/fuzz_build.sh), two
# at a time: decode (probe + JPEG decoder, libjpeg-turbo) and png for FUZZ_SECONDS each
# (default 30), then probe, parse (safetensors) and gguf for a third of that. Each starts
# from real files: the valid originals written by scripts/malformed_corpus.py (encoded at
# test time), plus whatever build/fuzz/corpus/TARGET kept from earlier runs on this machine.
# Any crash, sanitizer report, timeout (10 s for one input), leak or out-of-memory (2 GiB)
# fails the stage; the input that caused it is kept in build/fuzz/artifacts/TARGET/ and its
# log in build/fuzz/TARGET.log. To replay one:
#   target/fuzz-asan/x86_64-unknown-linux-gnu/release/decode build/fuzz/artifacts/decode/crash-...
# Standalone: scripts/fuzz_bounded.sh (installs clang and cargo-fuzz when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_tools.sh
ensure_fuzz
python3 -c 'import PIL' 2>/dev/null || ensure_python

scripts/fuzz_build.sh
bin=target/fuzz-asan/x86_64-unknown-linux-gnu/release
seeds=build/fuzz/seeds
rm -rf "$seeds" build/fuzz/artifacts
python3 scripts/malformed_corpus.py seeds "$seeds"

long=${FUZZ_SECONDS:-30}
short=$(( (long + 2) / 3 ))

fuzz_one() { # TARGET SECONDS
  local t=$1 secs=$2 seed_dirs=()
  mkdir -p "build/fuzz/corpus/$t" "build/fuzz/artifacts/$t"
  [ -d "$seeds/$t" ] && seed_dirs=("$seeds/$t")
  if "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="build/fuzz/artifacts/$t/" -print_final_stats=1 \
       "build/fuzz/corpus/$t" "${seed_dirs[@]}" >"build/fuzz/$t.log" 2>&1 \
     && [ -z "$(ls -A "build/fuzz/artifacts/$t")" ]; then
    final() { awk -v k="stat::$1:" '$1 == k {print $2}' "build/fuzz/$t.log"; }
    printf '%-7s %3d s: %9s runs (%s/s), %4s new inputs, peak RSS %s MB\n' "$t" "$secs" \
      "$(final number_of_executed_units)" "$(final average_exec_per_sec)" \
      "$(final new_units_added)" "$(final peak_rss_mb)"
  else
    local log="build/fuzz/$t.log" first
    echo "FUZZ FAILURE in target $t (log $log, input in build/fuzz/artifacts/$t/):"
    # The report from its first line (panic message or sanitizer error), then where the
    # input went.
    first=$(grep -n -m1 -E 'panicked at|==[0-9]+==ERROR|ERROR: libFuzzer|ALARM: working' "$log" |
              cut -d: -f1)
    sed -n "${first:-1},$(( ${first:-1} + 40 ))p" "$log"
    grep -E '^SUMMARY|Test unit written to' "$log" || tail -20 "$log"
    return 1
  fi
}

# Two at a time (the machine's two cores); every target runs even when one fails.
failed=0
( fuzz_one decode "$long" ) & a=$!
( fuzz_one png "$long" ) & b=$!
wait $a || failed=1
wait $b || failed=1
( rc=0; fuzz_one probe "$short" || rc=1; fuzz_one gguf "$short" || rc=1; exit $rc ) & a=$!
( fuzz_one parse "$short" ) & b=$!
wait $a || failed=1
wait $b || failed=1
if [ "$failed" != 0 ]; then
  echo "bounded fuzzing found a failure (see above)" >&2
  exit 1
fi
echo "bounded fuzzing: 5 targets, no crash, leak, hang or sanitizer report"

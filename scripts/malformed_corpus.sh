#!/usr/bin/env bash
# The malformed-input corpus, a stage of `make test`: about 3,200 damaged JPEGs and PNGs
# (roughly half each, 29 damage classes), made at test time from real-looking images by
# scripts/malformed_corpus.py (every truncation point class, bit flips, lying sizes and
# lengths, bad Huffman and quantization tables, bad CRCs, zlib damage, huge declared
# dimensions, ...; the classes are listed in that script), written to build/malformed/.
# Each file is decoded in its own process by decode_file (fuzz/decode_file.rs), built with
# AddressSanitizer on the Rust side and on libjpeg-turbo's C side (scripts/fuzz_build.sh).
# Every file must give `ok WxH` or `error <Kind>: <message>` (and the expected one where the
# outcome is certain); a crash, a sanitizer report (leaks included), a panic, or no answer
# within 10 s fails the stage, naming the file. The summary counts ok / error per class;
# build/malformed/results.tsv has every file's answer.
# Standalone: scripts/malformed_corpus.sh (installs clang and cargo-fuzz when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure_tools.sh
ensure_fuzz
python3 -c 'import PIL' 2>/dev/null || ensure_python

scripts/fuzz_build.sh
rm -rf build/malformed
python3 scripts/malformed_corpus.py generate build/malformed
# A symbolized stack in any report (clang brings llvm-symbolizer); leaks count as failures.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1} \
  python3 scripts/malformed_corpus.py run \
    target/fuzz-asan/x86_64-unknown-linux-gnu/release/decode_file build/malformed \
    --jobs 2 --timeout 10

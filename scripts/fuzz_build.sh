#!/usr/bin/env bash
# Builds the cargo-fuzz targets of fuzz/ (probe, decode, png, parse, gguf) and decode_file,
# the one-file decoder of the malformed-input corpus, with AddressSanitizer on both sides:
#   - Rust: `cargo fuzz build` (RUSTC_BOOTSTRAP=1 for -Zsanitizer=address on the stable
#     toolchain, with libFuzzer's coverage instrumentation and debug assertions);
#   - C: libjpeg-turbo, which turbojpeg-sys builds with CMake through the cmake and cc crates,
#     is compiled by clang with -fsanitize=address (and -fsanitize=fuzzer-no-link, so the
#     fuzzer also sees coverage inside libjpeg-turbo). The ASan runtime that rustc links into
#     each program serves the C code too. (cc also adds -fsanitize=address by itself when
#     Cargo reports the sanitizer; the flag is spelled out here so the build does not depend
#     on it.) libFuzzer's own C++ is left uninstrumented, as in LLVM's builds of it.
# The build goes to target/fuzz-asan (its own target directory, so it neither rebuilds nor
# is rebuilt by the other builds), and this script fails unless libjpeg-turbo's code in the
# linked decode_file really calls the ASan checks. x86_64 Linux only.
# Binaries: target/fuzz-asan/x86_64-unknown-linux-gnu/release/{probe,decode,png,parse,gguf,decode_file}
# Needs clang and cargo-fuzz (ensure_fuzz in scripts/ensure_tools.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."

triple=x86_64-unknown-linux-gnu
export RUSTC_BOOTSTRAP=1
export CC_x86_64_unknown_linux_gnu=clang
export CFLAGS_x86_64_unknown_linux_gnu="-fsanitize=address -fsanitize=fuzzer-no-link"
export CXXFLAGS_x86_64_unknown_linux_gnu="-fno-sanitize=address"
cargo fuzz build --target-dir target/fuzz-asan

# The C side really is instrumented: libjpeg-turbo's Huffman decoder and scanline reader in
# the linked program call the ASan checks.
for f in jpeg_fill_bit_buffer jpeg_read_scanlines; do
  checks=$(objdump -d --no-show-raw-insn --disassemble="$f" \
             target/fuzz-asan/$triple/release/decode_file | grep -c 'call.*__asan_report_' || true)
  if [ "$checks" = 0 ]; then
    echo "decode_file: libjpeg-turbo's $f has no AddressSanitizer checks" >&2
    exit 1
  fi
  echo "libjpeg-turbo's $f in decode_file: $checks AddressSanitizer checks"
done

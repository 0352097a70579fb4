#!/usr/bin/env python3
"""Runs a WASI program (wasm32-wasip1) under wasmtime: `wasmtime_run.py prog.wasm [args...]`.

Used as CARGO_TARGET_WASM32_WASIP1_RUNNER by scripts/test.sh, so `cargo test --target
wasm32-wasip1` runs the test binaries here. Needs the `wasmtime` package from PyPI.

The guest gets: its argv; the host's RUST_* and SCIPIX_* environment variables; stdout and
stderr inherited; a fresh, writable host temporary directory preopened as /tmp (TMPDIR=/tmp,
removed afterwards); the working directory preopened read-only as ".". The exit status is
the guest's `proc_exit` code; a trap (a Rust panic aborts on this target) exits with 134.
SCIPIX_WASM_SIMD=0 compiles the module with SIMD disabled, which rejects any module that
contains a SIMD128 instruction: a check that a scalar build really is scalar.
"""
import os
import shutil
import sys
import tempfile

import wasmtime


def main(argv):
    if len(argv) < 2:
        print("usage: wasmtime_run.py program.wasm [args...]", file=sys.stderr)
        return 2
    program = argv[1]

    config = wasmtime.Config()
    config.cache = True  # compiled test binaries are reused across runs (~/.cache/wasmtime)
    config.wasm_simd = os.environ.get("SCIPIX_WASM_SIMD", "1") != "0"
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, program)

    linker = wasmtime.Linker(engine)
    linker.define_wasi()

    tmp = tempfile.mkdtemp(prefix="scipix-wasi-")
    try:
        wasi = wasmtime.WasiConfig()
        wasi.argv = [os.path.basename(program)] + argv[2:]
        env = {k: v for k, v in os.environ.items() if k.startswith(("RUST_", "SCIPIX_"))}
        env["TMPDIR"] = "/tmp"
        wasi.env = list(env.items())
        wasi.inherit_stdout()
        wasi.inherit_stderr()
        wasi.preopen_dir(tmp, "/tmp")
        wasi.preopen_dir(os.getcwd(), ".", False)

        store = wasmtime.Store(engine)
        store.set_wasi(wasi)
        instance = linker.instantiate(store, module)
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            return e.code
        except wasmtime.Trap as e:
            print(f"wasmtime: {program} trapped: {e}", file=sys.stderr)
            return 134
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.stdout.flush()
    sys.exit(main(sys.argv))

//! Generates the C header from `src/capi` with cbindgen, in two forms.
//!
//! - `$OUT_DIR/scipix.h`: the header C users include (guard, `#include`s, C++ guards,
//!   version macros). The drift test compares the committed `include/scipix.h` against it.
//!   In a git checkout outside CI (`CI` unset) the committed copy is refreshed too, so
//!   developers commit it together with the code that changed it. Nothing outside `$OUT_DIR`
//!   is touched when building from a crate tarball or an sdist.
//! - `$OUT_DIR/scipix_cffi.h`: the same declarations in the subset of C that cffi's parser
//!   reads (no preprocessor conditionals or includes, only `#define NAME <integer>`). The
//!   Python package is built by maturin in cffi mode, which takes its declarations from
//!   `<cargo target dir>/header.h`; this file is copied there, except when the crate is
//!   built as somebody's dependency (a source unpacked by cargo, marked by `.cargo-ok`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/capi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");

    // `cfg(threadless)`: targets where no thread can be spawned (WebAssembly without the
    // `atomics` feature, e.g. wasm32-wasip1). The pool runs work inline there, and tests
    // that need a second thread are ignored.
    println!("cargo::rustc-check-cfg=cfg(threadless)");
    let family = env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if family.split(',').any(|f| f == "wasm") && !features.split(',').any(|f| f == "atomics") {
        println!("cargo:rustc-cfg=threadless");
    }

    build_jpeg_rows();

    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
    let patch = env::var("CARGO_PKG_VERSION_PATCH").unwrap();
    let version_ints = format!(
        "\n#define SCIPIX_VERSION_MAJOR {major}\n#define SCIPIX_VERSION_MINOR {minor}\n\
         #define SCIPIX_VERSION_PATCH {patch}\n"
    );
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    config.after_includes = Some(format!(
        "{version_ints}#define SCIPIX_VERSION_STRING \"{major}.{minor}.{patch}\"\n"
    ));

    let Some(header) = generate(&crate_dir, config.clone()) else {
        return;
    };
    let generated = out_dir.join("scipix.h");
    write_if_changed(&generated, header.as_bytes());

    let checkout = crate_dir.join(".git").exists();
    if checkout && env::var_os("CI").is_none() {
        write_if_changed(&crate_dir.join("include/scipix.h"), header.as_bytes());
    }

    // The cffi form: what maturin's cffi mode generates the Python declarations from.
    let mut cffi = config;
    cffi.include_guard = None;
    cffi.pragma_once = false;
    cffi.cpp_compat = false;
    cffi.no_includes = true;
    cffi.sys_includes = Vec::new();
    cffi.after_includes = Some(version_ints);
    if let Some(text) = generate(&crate_dir, cffi) {
        let pointer_bits = env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap_or_default();
        let text = cffi_defines(&text, &pointer_bits);
        write_if_changed(&out_dir.join("scipix_cffi.h"), text.as_bytes());
        let dependency = crate_dir.join(".cargo-ok").exists();
        if !dependency {
            if let Some(target_dir) = cargo_target_dir(&out_dir) {
                write_if_changed(&target_dir.join("header.h"), text.as_bytes());
            }
        }
    }

    // Versioned soname for the shared library (libscipix.so.MAJOR).
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libscipix.so.{major}");
    }
    // macOS: the install name a program records; scripts/install.sh installs the dylib as
    // libscipix.MAJOR.dylib and rewrites this to the absolute installed path.
    if target_os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libscipix.{major}.dylib");
    }
}

/// The header text for `config`, or None (with a warning) when cbindgen fails: a parse
/// error also shows up as a compile error with a better message.
fn generate(crate_dir: &Path, config: cbindgen::Config) -> Option<String> {
    // Only the capi module is exported; cbindgen follows its `mod` items from mod.rs.
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/capi/mod.rs"));
    match builder.generate() {
        Ok(bindings) => {
            let mut text = Vec::new();
            bindings.write(&mut text);
            Some(String::from_utf8(text).expect("cbindgen writes UTF-8"))
        }
        Err(e) => {
            println!("cargo:warning=cbindgen failed: {e}");
            None
        }
    }
}

fn write_if_changed(path: &Path, content: &[u8]) {
    if fs::read(path).ok().as_deref() != Some(content) {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(path, content).unwrap();
    }
}

/// The cargo target directory holding `out_dir` (`<target>/[<triple>/]<profile>/build/
/// <pkg>-<hash>/out`): the outermost ancestor that carries cargo's `CACHEDIR.TAG`, or, where
/// cargo has not written that tag (a first build into a fresh `CARGO_TARGET_DIR`), the
/// directory above `<profile>` and the target triple if the layout has one.
fn cargo_target_dir(out_dir: &Path) -> Option<PathBuf> {
    let tagged = out_dir
        .ancestors()
        .skip(3)
        .filter(|d| d.join("CACHEDIR.TAG").is_file())
        .last();
    if let Some(dir) = tagged {
        return Some(dir.to_path_buf());
    }
    let above_profile = out_dir.ancestors().nth(4)?;
    let triple = env::var("TARGET").unwrap_or_default();
    if above_profile
        .file_name()
        .is_some_and(|n| n == triple.as_str())
    {
        above_profile.parent().map(Path::to_path_buf)
    } else {
        Some(above_profile.to_path_buf())
    }
}

/// Rewrites each `#define` into the form cffi's parser accepts (`#define NAME <integer
/// literal>`): integer literals are kept, the `<stdint.h>` limits cbindgen writes for
/// `u32::MAX` and the like become their values for this target, and anything else (strings,
/// floats, expressions) is turned into a comment with a build warning, since the Python
/// package could not see it. The package's tests compare the constants it carries against
/// the C compiler's view of `include/scipix.h`.
fn cffi_defines(header: &str, pointer_bits: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for line in header.lines() {
        let Some(rest) = line.strip_prefix("#define ") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let (name, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let value = value.trim();
        let value = value
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or(value);
        let literal = if is_int_literal(value) {
            Some(value.to_string())
        } else {
            stdint_limit(value, pointer_bits)
        };
        match literal {
            Some(v) => out.push_str(&format!("#define {name} {v}\n")),
            None => {
                println!(
                    "cargo:warning=#define {name} {value} is not an integer constant; \
                     the Python package will not carry it"
                );
                out.push_str(&format!(
                    "/* not representable for cffi: {name} = {value} */\n"
                ));
            }
        }
    }
    out
}

fn is_int_literal(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    let v = v.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
    } else {
        !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
    }
}

fn stdint_limit(name: &str, pointer_bits: &str) -> Option<String> {
    let v: i128 = match name {
        "INT8_MAX" => i8::MAX.into(),
        "INT16_MAX" => i16::MAX.into(),
        "INT32_MAX" => i32::MAX.into(),
        "INT64_MAX" => i64::MAX.into(),
        "INT8_MIN" => i8::MIN.into(),
        "INT16_MIN" => i16::MIN.into(),
        "INT32_MIN" => i32::MIN.into(),
        "INT64_MIN" => i64::MIN.into(),
        "UINT8_MAX" => u8::MAX.into(),
        "UINT16_MAX" => u16::MAX.into(),
        "UINT32_MAX" => u32::MAX.into(),
        "UINT64_MAX" => u64::MAX.into(),
        "SIZE_MAX" | "UINTPTR_MAX" => match pointer_bits {
            "64" => u64::MAX.into(),
            "32" => u32::MAX.into(),
            "16" => u16::MAX.into(),
            _ => return None,
        },
        _ => return None,
    };
    Some(v.to_string())
}

/// Compiles `src/codec/jpeg_rows.c` (scanline JPEG decoding over libjpeg's API) against the
/// headers of the libjpeg-turbo that turbojpeg-sys built, when the `codec` feature builds
/// it (not on wasm32). Without those headers (turbojpeg-sys pointed at a prebuilt library
/// folder for a check-only build) nothing is compiled: nothing will be linked either.
fn build_jpeg_rows() {
    println!("cargo:rerun-if-changed=src/codec/jpeg_rows.c");
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if env::var_os("CARGO_FEATURE_CODEC").is_none() || arch == "wasm32" {
        return;
    }
    let Some(include) = env::var_os("DEP_TURBOJPEG_INCLUDE") else {
        return;
    };
    let mut build = cc::Build::new();
    // turbojpeg-sys joins several folders with commas.
    for dir in include.to_string_lossy().split(',') {
        build.include(dir);
    }
    build
        .file("src/codec/jpeg_rows.c")
        .warnings(true)
        .compile("scipix_jpeg_rows");
}

//! Generates `include/scipix.h` from `src/capi` with cbindgen.
//!
//! The header is always written to `$OUT_DIR/scipix.h` (the drift test compares the
//! committed header against it). Outside CI (`CI` unset) the committed `include/scipix.h`
//! is refreshed too, so developers commit it together with the code that changed it.

use std::env;
use std::path::PathBuf;

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

    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
    let patch = env::var("CARGO_PKG_VERSION_PATCH").unwrap();
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    config.after_includes = Some(format!(
        "\n#define SCIPIX_VERSION_MAJOR {major}\n#define SCIPIX_VERSION_MINOR {minor}\n\
         #define SCIPIX_VERSION_PATCH {patch}\n#define SCIPIX_VERSION_STRING \"{major}.{minor}.{patch}\"\n"
    ));

    let generated = out_dir.join("scipix.h");
    // Only the capi module is exported; cbindgen follows its `mod` items from mod.rs.
    let builder = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/capi/mod.rs"));
    match builder.generate() {
        Ok(bindings) => {
            bindings.write_to_file(&generated);
        }
        Err(e) => {
            // A parse error also shows up as a compile error with a better message.
            println!("cargo:warning=cbindgen failed: {e}");
            return;
        }
    }

    if env::var_os("CI").is_none() {
        let committed = crate_dir.join("include/scipix.h");
        let new = std::fs::read(&generated).unwrap();
        if std::fs::read(&committed).ok().as_deref() != Some(new.as_slice()) {
            std::fs::create_dir_all(crate_dir.join("include")).unwrap();
            std::fs::write(&committed, new).unwrap();
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

//! On Linux, links libscipix_ort.so with a version script that leaves `RegisterCustomOps`
//! the only exported symbol. rustc exports every `#[no_mangle]` function of the linked
//! crates from a cdylib, so without it the library would also export the scipix C API
//! (`scipix_*`, from the statically linked scipix crate) and could be mistaken for, or clash
//! with, a libscipix.so loaded in the same process.
//!
//! rustc passes its own version script listing those functions as global; a second script
//! saying `local: *` loses to exact names, so this one names each `scipix_*` function of
//! `include/scipix.h` (the header cbindgen generates from the exports) as local.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_OS").unwrap_or_default() != "linux" {
        return;
    }
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let header = dir.join("../include/scipix.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = fs::read_to_string(&header).expect("include/scipix.h of the workspace");
    let mut names = c_functions(&text);
    names.sort();
    names.dedup();
    let mut map = String::from("{\n  global:\n    RegisterCustomOps;\n  local:\n");
    for n in &names {
        map.push_str(&format!("    {n};\n"));
    }
    map.push_str("    *;\n};\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it")).join("exports.map");
    fs::write(&out, map).expect("write exports.map");
    println!(
        "cargo:rustc-link-arg-cdylib=-Wl,--version-script={}",
        out.display()
    );
    // A header function not compiled for this target is then no link error (lld refuses
    // version-script names that are not defined by default; GNU ld ignores them).
    println!("cargo:rustc-link-arg-cdylib=-Wl,--undefined-version");
}

/// Identifiers `scipix_*` directly followed by `(` (optionally after spaces): the function
/// declarations and prototypes of the header.
fn c_functions(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if ident(b[i]) && (i == 0 || !ident(b[i - 1])) {
            let start = i;
            while i < b.len() && ident(b[i]) {
                i += 1;
            }
            let word = &text[start..i];
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if word.starts_with("scipix_") && b.get(j) == Some(&b'(') {
                out.push(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

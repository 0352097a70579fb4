//! The committed C header must equal what build.rs generates from the current code.

#[test]
fn committed_header_matches_generated() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/scipix.h"))
        .expect("build.rs writes $OUT_DIR/scipix.h");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/scipix.h"))
            .expect("include/scipix.h is committed");
    assert!(
        generated == committed,
        "include/scipix.h is stale: run `cargo build` outside CI and commit the regenerated header"
    );
}

#[test]
fn header_has_guards_cpp_compat_and_version_macros() {
    let h =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/scipix.h")).unwrap();
    for needle in [
        "#ifndef SCIPIX_H",
        "extern \"C\"",
        "#define SCIPIX_VERSION_MAJOR ",
        "#define SCIPIX_VERSION_STRING \"",
        "#define SCIPIX_ABI_VERSION ",
        "SCIPIX_OK = 0",
    ] {
        assert!(h.contains(needle), "header lacks {needle:?}");
    }
    let version = format!(
        "#define SCIPIX_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(h.contains(&version));
}

#[test]
fn every_exported_function_is_documented() {
    let h =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/scipix.h")).unwrap();
    let lines: Vec<&str> = h.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.contains(" scipix_") && line.trim_end().ends_with(';') && !line.starts_with(' ') {
            let prev = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap();
            assert!(prev.trim() == "*/", "undocumented: {line}");
        }
    }
}

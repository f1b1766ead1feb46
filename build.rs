//! Embeds every file of `intents/` in the binary, so a new language is a new file and nothing
//! else.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time, not baked in at compile time: the same compiled script may serve
    // several checkouts sharing one target directory.
    let manifest = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| panic!("cargo sets CARGO_MANIFEST_DIR"));
    let dir = Path::new(&manifest).join("intents");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut languages: Vec<(String, String)> = Vec::new();
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") && name != "common.toml" {
            languages.push((name, path.display().to_string()));
        }
    }
    languages.sort();
    let mut code = String::new();
    let common = dir.join("common.toml");
    let _ = writeln!(
        code,
        "pub(super) static COMMON: &str = include_str!({:?});",
        common.display().to_string()
    );
    let _ = writeln!(code, "pub(super) static LANGUAGES: &[(&str, &str)] = &[");
    for (name, path) in &languages {
        let _ = writeln!(code, "    ({name:?}, include_str!({path:?})),");
    }
    let _ = writeln!(code, "];");
    let out =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| panic!("OUT_DIR is set by cargo")))
            .join("intents.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

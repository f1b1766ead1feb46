//! Embeds every file of `intents/` in the binary, so a new language is a new file and nothing
//! else; and every migration of `migrations/<engine>/`, so a new migration is a new file in
//! each engine's folder. The build fails when the engines' migration versions differ: the
//! three engines tell one story, and a version one of them lacks would be a schema it lacks.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The engines' migration folders under `migrations/`, and the name of each list in the
/// generated code.
const ENGINES: [(&str, &str); 3] = [
    ("sqlite", "SQLITE"),
    ("postgres", "POSTGRES"),
    ("mysql", "MYSQL"),
];

fn main() {
    // Read at run time, not baked in at compile time: the same compiled script may serve
    // several checkouts sharing one target directory.
    let manifest = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| panic!("cargo sets CARGO_MANIFEST_DIR")),
    );
    let out = PathBuf::from(
        std::env::var("OUT_DIR").unwrap_or_else(|_| panic!("OUT_DIR is set by cargo")),
    );
    write(&out.join("intents.rs"), &intents(&manifest.join("intents")));
    write(
        &out.join("migrations.rs"),
        &migrations(&manifest.join("migrations")),
    );
}

/// `COMMON` and `LANGUAGES` (file name, text) of `intents/`.
fn intents(dir: &Path) -> String {
    let mut languages: Vec<(String, String)> = Vec::new();
    for path in files(dir) {
        let name = file_name(&path);
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
    code
}

/// One migration file: `<version>_<description>.sql`.
struct Migration {
    version: i64,
    description: String,
    path: PathBuf,
}

/// One `(version, description, SQL)` list per engine, in version order; panics with the
/// difference when the engines' versions are not the same.
fn migrations(dir: &Path) -> String {
    let lists: Vec<(&str, &str, Vec<Migration>)> = ENGINES
        .iter()
        .map(|&(engine, name)| (engine, name, engine_migrations(&dir.join(engine))))
        .collect();
    let versions = |list: &[Migration]| list.iter().map(|m| m.version).collect::<Vec<_>>();
    let (first, _, first_list) = &lists[0];
    for (engine, _, list) in &lists[1..] {
        if versions(list) != versions(first_list) {
            panic!(
                "the engines' migrations differ: migrations/{first} has versions {:?} but \
                 migrations/{engine} has {:?}; every engine needs the same version numbers",
                versions(first_list),
                versions(list),
            );
        }
    }
    let mut code = String::new();
    for (engine, name, list) in &lists {
        let _ = writeln!(
            code,
            "/// The migrations of `migrations/{engine}/`: (version, description, SQL).\n\
             pub(super) static {name}: &[(i64, &str, &str)] = &["
        );
        for m in list {
            let path = m.path.display().to_string();
            let _ = writeln!(
                code,
                "    ({}, {:?}, include_str!({path:?})),",
                m.version, m.description
            );
        }
        let _ = writeln!(code, "];");
    }
    code
}

/// The migrations (`.sql` files) in one engine's folder, in version order; panics on one that
/// is not named `<version>_<description>.sql` and on a version given twice.
fn engine_migrations(dir: &Path) -> Vec<Migration> {
    let mut list: Vec<Migration> = Vec::new();
    for path in files(dir) {
        let name = file_name(&path);
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let parsed = stem
            .split_once('_')
            .and_then(|(v, d)| Some((v.parse::<i64>().ok()?, d.replace('_', " "))));
        let Some((version, description)) = parsed else {
            panic!(
                "{}: a migration is named <version>_<description>.sql",
                path.display()
            );
        };
        if let Some(other) = list.iter().find(|m| m.version == version) {
            panic!(
                "{} and {} have the same version {version}",
                other.path.display(),
                path.display()
            );
        }
        list.push(Migration {
            version,
            description,
            path,
        });
    }
    list.sort_by_key(|m| m.version);
    list
}

/// The files of a folder, each also a reason to run this script again.
fn files(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut paths = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_file() {
            paths.push(path);
        }
    }
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn write(path: &Path, code: &str) {
    std::fs::write(path, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

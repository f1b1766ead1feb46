//! Keeps the layer arrows of docs/ARCHITECTURE.md honest: scans `src/` and fails when a layer
//! names a crate or a module it must never use, in a `use` or in a path written inline
//! (`crate::store::Store`, `super::super::store::Store`), when a platform crate is named outside
//! its adapter, and when a file belongs to no layer. Comments are ignored; the check prints
//! every file it classified and what it forbade.
//!
//! A scan rather than a workspace of crates: the compiler would keep only the arrows that cut
//! a crate off (the pure core from the rest), while this one check keeps every arrow of the
//! table, including those inside one crate, at the cost of reading paths as text.

use std::path::{Path, PathBuf};

/// A layer: which files belong to it and which paths it must never name.
struct Layer {
    name: &'static str,
    /// `src/`-relative prefixes: a folder (`domain/`) or a file (`ledger.rs`).
    files: &'static [&'static str],
    forbidden: &'static [&'static str],
}

/// Each platform crate and the only files (by `src/`-relative prefix) that may name it.
const PLATFORM_CRATES: [(&str, &str); 2] = [("teloxide_core", "telegram"), ("serenity", "discord")];

const LAYERS: &[Layer] = &[
    Layer {
        name: "domain",
        files: &["domain/", "domain.rs"],
        forbidden: &[
            "sqlx",
            "axum",
            "tokio",
            "reqwest",
            "teloxide_core",
            "serenity",
            "crate::store",
            "crate::ledger",
            "crate::bot",
            "crate::intent",
            "crate::notify",
            "crate::metrics",
        ],
    },
    Layer {
        name: "intent",
        files: &["intent/", "intent.rs"],
        forbidden: &[
            "sqlx",
            "axum",
            "tokio",
            "reqwest",
            "teloxide_core",
            "serenity",
            "crate::store",
            "crate::ledger",
            "crate::bot",
            "crate::notify",
            "crate::metrics",
        ],
    },
    Layer {
        name: "chart",
        files: &["chart/", "chart.rs"],
        forbidden: &[
            "sqlx",
            "axum",
            "tokio",
            "reqwest",
            "teloxide_core",
            "serenity",
            "crate::store",
            "crate::ledger",
            "crate::bot",
            "crate::intent",
            "crate::notify",
            "crate::metrics",
            "crate::web",
        ],
    },
    Layer {
        name: "store",
        files: &["store/", "store.rs"],
        forbidden: &[
            "axum",
            "reqwest",
            "teloxide_core",
            "serenity",
            "crate::ledger",
            "crate::bot",
            "crate::intent",
            "crate::notify",
            "crate::console",
            "crate::telegram",
            "crate::discord",
            "crate::web",
            "crate::startup",
        ],
    },
    Layer {
        name: "notify",
        files: &["notify/", "notify.rs"],
        forbidden: &[
            "axum",
            "teloxide_core",
            "serenity",
            "crate::ledger",
            "crate::bot",
            "crate::intent",
            "crate::console",
            "crate::telegram",
            "crate::discord",
            "crate::web",
        ],
    },
    Layer {
        name: "ledger",
        files: &["ledger/", "ledger.rs"],
        forbidden: &[
            "axum",
            "teloxide_core",
            "serenity",
            "crate::bot",
            "crate::console",
            "crate::telegram",
            "crate::discord",
            "crate::web",
            "crate::startup",
        ],
    },
    Layer {
        name: "bot",
        files: &["bot/", "bot.rs"],
        forbidden: &[
            "sqlx",
            "axum",
            "reqwest",
            "teloxide_core",
            "serenity",
            "crate::store",
            "crate::console",
            "crate::telegram",
            "crate::discord",
            "crate::web",
            "crate::startup",
        ],
    },
    Layer {
        name: "adapter",
        files: &[
            "adapter.rs",
            "console.rs",
            "console/",
            "telegram.rs",
            "telegram/",
            "discord.rs",
            "discord/",
            "web/",
            "web.rs",
        ],
        forbidden: &["sqlx", "crate::store", "crate::startup"],
    },
    Layer {
        name: "wiring",
        files: &[
            "main.rs",
            "lib.rs",
            "startup.rs",
            "settings.rs",
            "settings/",
            "telemetry.rs",
        ],
        forbidden: &[],
    },
    Layer {
        // Every layer but the pure core records metrics and contains panics with these, so
        // they depend on nothing else of the crate.
        name: "support",
        files: &["metrics.rs", "contain.rs"],
        forbidden: &[
            "sqlx",
            "axum",
            "reqwest",
            "teloxide_core",
            "serenity",
            "crate::domain",
            "crate::intent",
            "crate::chart",
            "crate::store",
            "crate::ledger",
            "crate::bot",
            "crate::notify",
            "crate::console",
            "crate::telegram",
            "crate::discord",
            "crate::web",
            "crate::startup",
            "crate::settings",
        ],
    },
];

/// Known exceptions, each a debt with its reason, printed on every run.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The line without its `//` comment (a `//` inside a string literal is kept).
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes[i + 1] == b'/' => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

/// Whether `code` names `path` as a path: `sqlx::…`, `use sqlx;`, `crate::store::…`,
/// `crate::store;`, `crate::{store, …}` is caught by the `use crate::{` scan below.
fn names(code: &str, path: &str) -> bool {
    let mut start = 0;
    while let Some(found) = code[start..].find(path) {
        let at = start + found;
        let before = code[..at].chars().next_back();
        let after = code[at + path.len()..].chars().next();
        let boundary_before = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        let boundary_after = after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if boundary_before && boundary_after {
            // `sqlx::`, `sqlx;`, `sqlx as`, `sqlx}` or `crate::store` followed by anything
            // that is not part of a longer name.
            return true;
        }
        start = at + path.len();
    }
    false
}

/// `use crate::{store::Store, bot}` → `crate::store::Store`, `crate::bot`: a flat list of the
/// top-level items a grouped `use crate::{…}` names, so `names` can see them.
fn expand_crate_groups(code: &str) -> String {
    let Some(rest) = code.split("crate::{").nth(1) else {
        return code.to_owned();
    };
    let mut expanded = code.to_owned();
    for part in rest.split([',', '}']) {
        let item = part.trim().trim_start_matches('{').trim();
        if !item.is_empty() {
            expanded.push_str(&format!(" crate::{item} "));
        }
    }
    expanded
}

/// `super::x` in `src/bot/recording.rs` is `crate::bot::x`: every `super::` chain of a file
/// written as the `crate::` path it means, so the forbidden paths catch it.
fn resolve_super(code: &str, relative: &str) -> String {
    let mut module: Vec<&str> = relative.trim_end_matches(".rs").split('/').collect();
    if module.last() == Some(&"mod") {
        module.pop();
    }
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let before = rest[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            out.push_str(&rest[..at + 7]);
            rest = &rest[at + 7..];
            continue;
        }
        out.push_str(&rest[..at]);
        let mut depth = 0;
        while rest[at + depth * 7..].starts_with("super::") {
            depth += 1;
        }
        let keep = module.len().saturating_sub(depth);
        out.push_str("crate::");
        for part in &module[..keep] {
            out.push_str(part);
            out.push_str("::");
        }
        rest = &rest[at + depth * 7..];
    }
    out.push_str(rest);
    out
}

/// Everything wrong with one file of `src/` (by its `src/`-relative path): a layer arrow
/// broken, a platform crate named outside its adapter, or no layer at all.
fn violations_in(relative: &str, text: &str) -> Vec<String> {
    let Some(layer) = LAYERS
        .iter()
        .find(|l| l.files.iter().any(|f| relative.starts_with(f)))
    else {
        return vec![format!(
            "{relative} belongs to no layer: add it to one in tests/api/layers.rs"
        )];
    };
    // Statements may span lines (`use crate::{\n a,\n b\n}`), so the check reads whole
    // statements: the file's code joined, comments removed, split at `;`.
    let code: String = text.lines().map(code_of).collect::<Vec<_>>().join(" ");
    let code = resolve_super(&code, relative);
    let mut found = Vec::new();
    for statement in code.split(';') {
        let statement = expand_crate_groups(statement);
        let shown = || statement.split_whitespace().collect::<Vec<_>>().join(" ");
        for forbidden in layer.forbidden {
            if !names(&statement, forbidden) {
                continue;
            }
            let excused = EXCEPTIONS.iter().find(|(l, allowed, _)| {
                *l == layer.name && allowed.starts_with(forbidden) && names(&statement, allowed)
            });
            match excused {
                Some((_, allowed, why)) => {
                    println!("  note: {relative} uses {allowed}, allowed for now: {why}");
                }
                None => found.push(format!(
                    "{relative} ({} layer) uses `{forbidden}`: {}",
                    layer.name,
                    shown()
                )),
            }
        }
        for (crate_name, owner) in PLATFORM_CRATES {
            if names(&statement, crate_name) && !relative.starts_with(owner) {
                found.push(format!(
                    "{relative} names `{crate_name}`, which only src/{owner}* may: {}",
                    shown()
                ));
            }
        }
    }
    found
}

#[test]
fn no_layer_uses_what_design_md_forbids() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no sources found under {}",
        src.display()
    );
    let mut violations = Vec::new();
    println!("layer check over {} files in src/:", files.len());
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap_or_default();
        violations.extend(violations_in(&relative, &text));
        if let Some(layer) = LAYERS
            .iter()
            .find(|l| l.files.iter().any(|f| relative.starts_with(f)))
        {
            println!(
                "  {relative:<28} {:<8} never: {}",
                layer.name,
                layer.forbidden.join(" ")
            );
        }
    }
    assert!(
        violations.is_empty(),
        "the layers are broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn a_misplaced_import_fails_the_layer_check() {
    // The bot reaching into the store, directly and through `super::`.
    assert!(!violations_in("bot/recording.rs", "use crate::store::Store;").is_empty());
    assert!(!violations_in("bot/recording.rs", "use super::super::store::Store;").is_empty());
    assert!(!violations_in("domain/money.rs", "fn f() { let _ = sqlx::query(\"\"); }").is_empty());
    // A platform crate outside its adapter.
    assert!(!violations_in("web/mod.rs", "use teloxide_core::Bot;").is_empty());
    assert!(violations_in("telegram.rs", "use teloxide_core::Bot;").is_empty());
    // A file in no layer.
    assert!(!violations_in("stray.rs", "").is_empty());
    // What is allowed stays allowed: a room using its own layer.
    assert!(violations_in("bot/recording.rs", "use super::Bot;").is_empty());
    assert!(violations_in("intent/parse/amounts.rs", "use super::super::lexer;").is_empty());
}

#[test]
fn the_layer_check_sees_what_it_should() {
    assert!(names("use sqlx::SqlitePool", "sqlx"));
    assert!(names(
        "let x = crate::store::Store::connect(u)",
        "crate::store"
    ));
    assert!(!names("use crate::storefront::X", "crate::store"));
    assert!(!names("use my_sqlx::X", "sqlx"));
    assert!(!names("use tokio_util::X", "tokio"));
    assert!(names(
        &expand_crate_groups("use crate::{domain::X, store::Store}"),
        "crate::store"
    ));
    assert_eq!(code_of("let a = \"//x\"; // sqlx::"), "let a = \"//x\"; ");
    assert_eq!(
        resolve_super("use super::super::store::Store", "bot/recording.rs"),
        "use crate::store::Store"
    );
    assert_eq!(
        resolve_super("use super::Bot", "bot/recording.rs"),
        "use crate::bot::Bot"
    );
    assert_eq!(
        resolve_super("use super::catalogue", "intent/mod.rs"),
        "use crate::catalogue"
    );
}

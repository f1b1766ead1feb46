//! What can be checked about the deployment without Docker or a cluster: the Dockerfile and
//! the `k8s/` manifests, read as text, agree with the contract and with each other (names of
//! variables, the binary, ports, probes, the kustomization's files).
//!
//! There is no YAML crate in the tree, so the manifests are read with a few line-based helpers
//! that understand just enough YAML: comments, keys and their indented blocks, list items.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde_norway::Value as Yaml;

/// The configuration variables of the contract (docs/contract.md, "Configuration"), copied
/// here on purpose: a manifest naming anything else sets a variable the service never reads.
const CONTRACT_VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "SPENDBOT_HTTP_ADDR",
    "SPENDBOT_PUBLIC_URL",
    "SPENDBOT_DEFAULT_CURRENCY",
    "SPENDBOT_DEFAULT_TIMEZONE",
    "SPENDBOT_LOG",
    "SPENDBOT_LOG_FORMAT",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_PUBLIC_KEY",
    "DISCORD_APPLICATION_ID",
    "DISCORD_BOT_TOKEN",
    "DISCORD_API_URL",
    "SENDGRID_API_KEY",
    "SENDGRID_API_URL",
    "SPENDBOT_EMAIL_FROM",
];

/// The variables that hold credentials: they belong in the Secret, never in the ConfigMap.
const SECRET_VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_PUBLIC_KEY",
    "DISCORD_APPLICATION_ID",
    "DISCORD_BOT_TOKEN",
    "SENDGRID_API_KEY",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A manifest of `k8s/`, parsed.
fn manifest(relative: &str) -> Yaml {
    let text = read(relative);
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"))
}

/// The value at a path of keys and list indexes (`["spec", "template", …]`).
fn at<'a>(doc: &'a Yaml, path: &[&str]) -> &'a Yaml {
    path.iter().fold(doc, |v, key| match key.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[*key],
    })
}

/// A scalar as text (numbers too), or a panic naming where it was looked for.
fn text(v: &Yaml, what: &str) -> String {
    match v {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        other => panic!("{what} is not a scalar: {other:?}"),
    }
}

/// The keys of a mapping (`data:` of a ConfigMap, `stringData:` of a Secret).
fn keys(map: &Yaml) -> Vec<String> {
    map.as_mapping()
        .map(|m| m.keys().map(|k| text(k, "a key")).collect())
        .unwrap_or_default()
}

/// The one container of the Deployment's pod, or its one init container.
fn pod_container(kind: &str) -> Yaml {
    let deployment = manifest("k8s/deployment.yaml");
    let list = at(&deployment, &["spec", "template", "spec", kind]);
    assert_eq!(
        list.as_sequence().map(Vec::len),
        Some(1),
        "one entry in {kind}"
    );
    list[0].clone()
}

/// `path` with its `.` and `..` components resolved, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The port of an `ADDRESS:PORT` socket address.
fn port_of(addr: &str) -> u16 {
    addr.trim_matches('"')
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("{addr:?} is not an address with a port"))
}

/// The Dockerfile's logical lines: continuations joined, comments dropped.
fn dockerfile_instructions() -> Vec<String> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_empty()) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(t);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// The arguments of the Dockerfile instructions named `name` (`EXPOSE`, `ENV`, …), in order.
fn dockerfile(name: &str) -> Vec<String> {
    dockerfile_instructions()
        .into_iter()
        .filter_map(|i| {
            let (instruction, rest) = i.split_once(char::is_whitespace)?;
            instruction
                .eq_ignore_ascii_case(name)
                .then(|| rest.trim().to_owned())
        })
        .collect()
}

/// `NAME=value` pairs of the Dockerfile's `ENV` instructions, quotes removed.
fn dockerfile_env() -> Vec<(String, String)> {
    dockerfile("ENV")
        .iter()
        .flat_map(|args| {
            args.split_whitespace()
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn configmap_variables() -> Vec<String> {
    keys(&manifest("k8s/configmap.yaml")["data"])
}

fn secret_example_variables() -> Vec<String> {
    keys(&manifest("k8s/secret.example.yaml")["stringData"])
}

fn kustomization_resources() -> Vec<String> {
    manifest("k8s/kustomization.yaml")["resources"]
        .as_sequence()
        .map(|items| items.iter().map(|i| text(i, "a resource")).collect())
        .unwrap_or_default()
}

#[test]
fn every_variable_of_the_configmap_and_the_secret_example_is_a_contract_variable() {
    let configmap = configmap_variables();
    let secret = secret_example_variables();
    assert!(!configmap.is_empty() && !secret.is_empty());
    for (file, names) in [
        ("configmap.yaml", &configmap),
        ("secret.example.yaml", &secret),
    ] {
        for name in names {
            assert!(
                CONTRACT_VARIABLES.contains(&name.as_str()),
                "k8s/{file} sets {name}, which is not in the contract's configuration table"
            );
        }
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "k8s/{file} repeats a key");
    }
    let both: Vec<_> = configmap.iter().filter(|n| secret.contains(n)).collect();
    assert!(
        both.is_empty(),
        "set in the ConfigMap and the Secret: {both:?}"
    );
}

#[test]
fn credentials_are_in_the_secret_example_and_never_in_the_configmap() {
    let configmap = configmap_variables();
    let secret = secret_example_variables();
    for name in SECRET_VARIABLES {
        assert!(
            !configmap.iter().any(|n| n == name),
            "{name} is a credential: it belongs in the Secret, not in configmap.yaml"
        );
        assert!(
            secret.iter().any(|n| n == name),
            "secret.example.yaml shows how to set {name}"
        );
    }
}

#[test]
fn the_secret_example_points_the_replicas_at_a_shared_database_not_sqlite() {
    let url = text(
        &manifest("k8s/secret.example.yaml")["stringData"]["DATABASE_URL"],
        "DATABASE_URL",
    );
    assert!(
        url.starts_with("postgres://") || url.starts_with("mysql://"),
        "several replicas need PostgreSQL or MySQL, not {url:?}"
    );
}

#[test]
fn the_image_runs_the_spendbot_binary_built_with_release_and_locked() {
    assert_eq!(dockerfile("ENTRYPOINT"), [r#"["spendbot"]"#]);
    assert_eq!(dockerfile("CMD"), [r#"["serve"]"#]);
    let builds: Vec<String> = dockerfile("RUN")
        .iter()
        .flat_map(|run| {
            run.split("&&")
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|command| command.starts_with("cargo build"))
        .collect();
    assert!(!builds.is_empty(), "the Dockerfile runs cargo build");
    for command in &builds {
        let flags: Vec<&str> = command.split_whitespace().collect();
        assert!(
            flags.contains(&"--release") && flags.contains(&"--locked"),
            "{command}"
        );
    }
    let from = dockerfile("FROM");
    assert!(
        from.first()
            .is_some_and(|f| f.starts_with("rust:1-bookworm")),
        "{from:?}"
    );
    assert!(
        from.last()
            .is_some_and(|f| f.starts_with("debian:bookworm-slim")),
        "{from:?}"
    );
    let user = dockerfile("USER");
    assert!(
        user.last()
            .is_some_and(|u| !u.starts_with("root") && !u.starts_with("0")),
        "the image runs as a non-root user: {user:?}"
    );
    for (name, _) in dockerfile_env() {
        assert!(CONTRACT_VARIABLES.contains(&name.as_str()), "ENV {name}");
    }
}

#[test]
fn the_image_build_copies_every_file_the_crate_embeds() {
    // The builder copies only what the build needs; a file that `include_str!` (or the build
    // script) reads from outside src/ must be in a COPY, or the image does not build.
    let copied: Vec<String> = dockerfile("COPY")
        .iter()
        .filter(|args| !args.starts_with("--from"))
        .flat_map(|args| {
            let sources: Vec<&str> = args.split_whitespace().collect();
            let n = sources.len().saturating_sub(1);
            sources[..n]
                .iter()
                .map(|s| s.trim_end_matches('/').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    // The manifest, the lock file, the build script and what it reads, then src/ itself.
    let mut needed: BTreeSet<String> = ["Cargo.toml", "Cargo.lock", "build.rs", "intents", "src"]
        .map(str::to_owned)
        .into();
    let root = root();
    // askama reads its template folders from askama.toml at compile time.
    if root.join("askama.toml").exists() {
        needed.insert("askama.toml".to_owned());
    }
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for macro_call in ["include_str!(\"", "include_bytes!(\""] {
                for (i, _) in text.match_indices(macro_call) {
                    let rest = &text[i + macro_call.len()..];
                    let Some(literal) = rest.split('"').next() else {
                        continue;
                    };
                    let base = path.parent().unwrap_or(&root);
                    let full = normalize(&base.join(literal));
                    let Ok(relative) = full.strip_prefix(&root) else {
                        continue;
                    };
                    if let Some(top) = relative.components().next() {
                        needed.insert(top.as_os_str().to_string_lossy().into_owned());
                    }
                }
            }
        }
    }
    for top in &needed {
        assert!(
            copied.iter().any(|c| c == top),
            "the Dockerfile's builder copies {top} (COPY sources: {copied:?})"
        );
    }
}

#[test]
fn the_probes_point_at_healthz_and_readyz() {
    let container = pod_container("containers");
    let probe = |name: &str| text(at(&container, &[name, "httpGet", "path"]), name);
    assert_eq!(probe("livenessProbe"), "/healthz");
    assert_eq!(probe("readinessProbe"), "/readyz");
    let deployment = manifest("k8s/deployment.yaml");
    let annotations = at(
        &deployment,
        &["spec", "template", "metadata", "annotations"],
    );
    assert_eq!(text(&annotations["prometheus.io/path"], "path"), "/metrics");
}

#[test]
fn the_container_port_is_the_exposed_port_and_the_default_listen_port() {
    let exposed: Vec<u16> = dockerfile("EXPOSE")
        .iter()
        .map(|p| {
            p.trim_end_matches("/tcp")
                .parse()
                .expect("EXPOSE takes a port")
        })
        .collect();
    assert_eq!(exposed.len(), 1, "one exposed port: {exposed:?}");
    let port = exposed[0];

    let env = dockerfile_env();
    let image_addr = env
        .iter()
        .find(|(k, _)| k == "SPENDBOT_HTTP_ADDR")
        .map(|(_, v)| v.as_str())
        .expect("the image sets SPENDBOT_HTTP_ADDR");
    assert_eq!(
        image_addr,
        format!("0.0.0.0:{port}"),
        "listen on every interface"
    );

    let addr = text(
        &manifest("k8s/configmap.yaml")["data"]["SPENDBOT_HTTP_ADDR"],
        "SPENDBOT_HTTP_ADDR",
    );
    assert_eq!(port_of(&addr), port, "configmap.yaml SPENDBOT_HTTP_ADDR");

    let container = pod_container("containers");
    let container_port: u16 = text(at(&container, &["ports", "0", "containerPort"]), "port")
        .parse()
        .expect("containerPort is a number");
    assert_eq!(container_port, port, "deployment.yaml containerPort");
    let deployment = manifest("k8s/deployment.yaml");
    let annotations = at(
        &deployment,
        &["spec", "template", "metadata", "annotations"],
    );
    let scraped: u16 = text(&annotations["prometheus.io/port"], "prometheus.io/port")
        .parse()
        .expect("prometheus.io/port is a number");
    assert_eq!(
        scraped, port,
        "Prometheus scrapes the port serve listens on"
    );
}

#[test]
fn replicas_start_on_a_migrated_schema_from_an_init_container() {
    let init = pod_container("initContainers");
    let server = pod_container("containers");
    let args = |c: &Yaml| {
        c["args"]
            .as_sequence()
            .map(|a| a.iter().map(|x| text(x, "an argument")).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(args(&init), ["migrate"]);
    assert_eq!(args(&server), ["serve"]);
    // The migrations run as the schema's owner, from a secret of their own.
    let owner = init["env"]
        .as_sequence()
        .and_then(|env| {
            env.iter()
                .find(|e| e["name"].as_str() == Some("DATABASE_URL"))
        })
        .map(|e| &e["valueFrom"]["secretKeyRef"]);
    assert_eq!(
        owner.and_then(|r| r["name"].as_str()),
        Some("spendbot-migrate"),
        "{init:?}"
    );
    let example = manifest("k8s/secret-migrate.example.yaml");
    assert_eq!(
        text(&example["metadata"]["name"], "name"),
        "spendbot-migrate"
    );
    assert!(example["stringData"]["DATABASE_URL"].as_str().is_some());
    assert!(
        !kustomization_resources()
            .iter()
            .any(|r| r.contains("secret")),
        "no secret example is a kustomization resource"
    );
    for c in [&init, &server] {
        let sources = c["envFrom"].as_sequence().cloned().unwrap_or_default();
        for name in ["configMapRef", "secretRef"] {
            assert!(
                sources
                    .iter()
                    .any(|s| s[name]["name"].as_str() == Some("spendbot")),
                "{name} spendbot in {sources:?}"
            );
        }
    }
}

#[test]
fn every_file_named_in_the_kustomization_exists() {
    let resources = kustomization_resources();
    assert!(!resources.is_empty());
    let dir = root().join("k8s");
    for file in &resources {
        assert!(
            Path::new(&dir).join(file).is_file(),
            "k8s/kustomization.yaml names {file}, which does not exist"
        );
    }
}

#[test]
fn the_secret_example_is_not_a_kustomization_resource() {
    let resources = kustomization_resources();
    assert!(
        !resources.iter().any(|r| r.contains("secret")),
        "real credentials are applied by hand, never from the repository: {resources:?}"
    );
    assert!(root().join("k8s/secret.example.yaml").is_file());
}

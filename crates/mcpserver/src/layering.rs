//! The lower layers of ARCHITECTURE.md's stack, checked on the source: which top-level
//! modules each may name as `crate::…`. A module not listed here is not checked.

use std::collections::BTreeSet;
use std::path::Path;

/// (module, the crate modules it may use). `domain` and the other leaves use none.
const MAY_USE: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("crypto", &[]),
    ("markdown", &[]),
    ("ratelimit", &[]),
    ("telemetry", &["config"]),
    ("store", &["config", "domain"]),
    ("vault", &["crypto", "domain", "store"]),
    ("providers", &["config", "domain"]),
];

/// (module, crate modules it must not use): the upper layers' known directions.
const MUST_NOT_USE: &[(&str, &[&str])] = &[
    ("config", &["store", "vault", "providers", "tokens", "upstream", "worker"]),
    ("upstream", &["proxy", "mcp", "commands", "connections", "oauth"]),
    ("tokens", &["upstream", "proxy", "mcp", "commands", "worker"]),
    ("mcp/registry.rs", &["commands", "proxy"]),
    ("mcp/context.rs", &["commands", "proxy"]),
];

/// The top-level crate modules a file or folder names with `crate::` (comments left out).
fn uses(path: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let files: Vec<_> = if path.is_dir() { walk(path) } else { vec![path.to_path_buf()] };
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                let name: String =
                    rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn source(module: &str) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let folder = src.join(module);
    if folder.exists() { folder } else { src.join(format!("{module}.rs")) }
}

#[test]
fn the_lower_layers_use_only_the_layers_below_them() {
    let mut problems = Vec::new();
    for (module, allowed) in MAY_USE {
        for used in uses(&source(module)) {
            if used != *module && !allowed.contains(&used.as_str()) {
                problems.push(format!("{module} uses crate::{used}"));
            }
        }
    }
    for (module, forbidden) in MUST_NOT_USE {
        for used in uses(&source(module)) {
            if forbidden.contains(&used.as_str()) {
                problems.push(format!("{module} uses crate::{used}"));
            }
        }
    }
    assert!(problems.is_empty(), "layering broken (ARCHITECTURE.md):\n{}", problems.join("\n"));
}

#[test]
fn the_layering_check_sees_a_use() {
    assert!(uses(&source("vault")).contains("store"));
}

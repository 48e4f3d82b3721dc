//! The crate map in `ARCHITECTURE.md` cannot drift: every workspace crate is listed
//! there with the Truffle crates it may depend on, and this test reads every
//! `Cargo.toml` and fails on a dependency the table does not allow, on a feature that
//! depends on another feature without a stated reason, and on a deterministic crate
//! that pulls in I/O, a clock or the network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// External crates the deterministic core must never depend on: it has no I/O, no
/// clock and no network, so that every node (and an auditor) computes the same thing.
const NOT_IN_THE_CORE: [&str; 8] = [
    "tokio",
    "rocksdb",
    "libp2p",
    "openraft",
    "jsonrpsee",
    "reqwest",
    "axum",
    "hyper",
];

/// A row of the crate map.
#[derive(Debug)]
struct Row {
    layer: String,
    /// Allowed Truffle dependencies, with the reason given (if any).
    allowed: BTreeMap<String, Option<String>>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Reads the table under the heading "## Crate map" of ARCHITECTURE.md:
/// `| crate | layer | job | may depend on |`.
fn crate_map(text: &str) -> BTreeMap<String, Row> {
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Crate map"))
        .expect("ARCHITECTURE.md has a '## Crate map' section");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 4 || cells[0] == "crate" || cells[0].starts_with("---") {
            continue;
        }
        let name = cells[0].trim_matches('`').to_owned();
        let mut allowed = BTreeMap::new();
        for entry in split_top_level(cells[3]) {
            let entry = entry.trim();
            if entry.is_empty() || entry == "none" {
                continue;
            }
            let (dep, reason) = match entry.split_once('(') {
                Some((dep, reason)) => (
                    dep.trim(),
                    Some(reason.trim_end_matches(')').trim().to_owned()),
                ),
                None => (entry, None),
            };
            allowed.insert(dep.trim_matches('`').to_owned(), reason);
        }
        let previous = rows.insert(
            name.clone(),
            Row {
                layer: cells[1].to_owned(),
                allowed,
            },
        );
        assert!(
            previous.is_none(),
            "{name} is listed twice in the crate map"
        );
    }
    rows
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Each workspace member: its package name and its normal (non-dev) dependencies.
fn members() -> BTreeMap<String, BTreeSet<String>> {
    let root = workspace_root();
    let workspace: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .expect("the workspace manifest")
        .parse()
        .expect("the workspace manifest parses");
    let paths = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace members");
    let mut out = BTreeMap::new();
    for path in paths {
        let path = path.as_str().expect("a member path");
        let manifest: toml::Table = std::fs::read_to_string(root.join(path).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{path}/Cargo.toml: {e}"))
            .parse()
            .unwrap_or_else(|e| panic!("{path}/Cargo.toml: {e}"));
        let name = manifest["package"]["name"]
            .as_str()
            .expect("a package name")
            .to_owned();
        let deps = ["dependencies", "build-dependencies"]
            .iter()
            .filter_map(|table| manifest.get(*table).and_then(|t| t.as_table()))
            .flat_map(|t| t.keys().cloned())
            .collect();
        out.insert(name, deps);
    }
    out
}

/// The violations of `map` by `members`, one line each.
fn violations(
    map: &BTreeMap<String, Row>,
    members: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut found = Vec::new();
    for name in members.keys().filter(|n| !map.contains_key(*n)) {
        found.push(format!(
            "{name} is a workspace member missing from the crate map"
        ));
    }
    for name in map.keys().filter(|n| !members.contains_key(*n)) {
        found.push(format!(
            "{name} is in the crate map but not a workspace member"
        ));
    }
    for (name, deps) in members {
        let Some(row) = map.get(name) else { continue };
        for dep in deps.iter().filter(|d| d.starts_with("truffle-")) {
            match row.allowed.get(dep) {
                None => found.push(format!(
                    "{name} depends on {dep}, which the crate map does not allow"
                )),
                Some(reason) => {
                    let dep_layer = map.get(dep).map(|r| r.layer.as_str());
                    if row.layer == "feature" && dep_layer == Some("feature") && reason.is_none() {
                        found.push(format!(
                            "feature {name} depends on feature {dep} without a reason in the crate map"
                        ));
                    }
                    if row.layer == "engine" && dep_layer == Some("feature") {
                        found.push(format!("the engine {name} depends on the feature {dep}"));
                    }
                }
            }
        }
        if row.layer == "core" {
            for dep in deps
                .iter()
                .filter(|d| NOT_IN_THE_CORE.contains(&d.as_str()))
            {
                found.push(format!("the deterministic {name} depends on {dep}"));
            }
        }
    }
    found
}

#[test]
fn every_crate_depends_only_on_what_the_crate_map_allows() {
    let text =
        std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let map = crate_map(&text);
    let found = violations(&map, &members());
    assert!(
        found.is_empty(),
        "ARCHITECTURE.md's crate map is broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_catches_each_kind_of_violation() {
    let map = crate_map(
        "# A\n\n## Crate map\n\n| crate | layer | job | may depend on |\n| --- | --- | --- | --- |\n\
         | `truffle-ledger` | core | rules | none |\n\
         | `truffle-engine` | engine | chain | `truffle-ledger` |\n\
         | `truffle-chat` | feature | chat | `truffle-engine`, `truffle-members` (seals under members' keys), `truffle-market` |\n\
         | `truffle-members` | feature | members | `truffle-engine` |\n\
         | `truffle-market` | feature | market | `truffle-engine` |\n\n## Next\n",
    );
    assert_eq!(
        map["truffle-chat"].allowed["truffle-members"].as_deref(),
        Some("seals under members' keys")
    );
    let members: BTreeMap<String, BTreeSet<String>> = [
        ("truffle-ledger", vec!["tokio", "borsh"]),
        ("truffle-engine", vec!["truffle-ledger", "truffle-chat"]),
        ("truffle-chat", vec!["truffle-members", "truffle-market"]),
        ("truffle-members", vec!["truffle-engine"]),
        ("truffle-market", vec![]),
        ("truffle-extra", vec![]),
    ]
    .into_iter()
    .map(|(n, d)| (n.to_owned(), d.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = violations(&map, &members);
    assert_eq!(
        found,
        vec![
            "truffle-extra is a workspace member missing from the crate map",
            "feature truffle-chat depends on feature truffle-market without a reason in the crate map",
            "truffle-engine depends on truffle-chat, which the crate map does not allow",
            "the deterministic truffle-ledger depends on tokio",
        ]
    );
}

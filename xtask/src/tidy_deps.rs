//! The dependency rule of `cargo xtask tidy`: no core crate depends, through
//! its normal dependencies and theirs, on a crate that does IO, reads the
//! clock or draws OS randomness.
//!
//! The graph is `cargo metadata --format-version 1`'s resolve graph, for
//! every platform (a dependency that only some platform pulls in still
//! counts). Dev- and build-dependencies are not followed: they never reach
//! the core's code at run time.

use crate::tidy::{relative, Finding};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

/// The core crates by name, besides every package whose name ends in `-core`.
const CORE_NAMES: &[&str] = &["rtgt-proto", "rtgt-scsi"];

/// How a forbidden crate is matched.
#[derive(Debug, Clone, Copy)]
enum Match {
    /// This package name, anywhere in the graph.
    Name(&'static str),
    /// Any package whose name starts with this.
    Prefix(&'static str),
    /// This package name, only as a dependency of the core crate itself.
    Direct(&'static str),
    /// This package name, anywhere, when one of these features is on.
    WithFeature(&'static str, &'static [&'static str]),
}

/// Crates a core must not depend on, and why.
///
/// `libc` is matched only as a direct dependency: today `cpufeatures` (under
/// `sha1`, `sha2` and `sha3`, which CHAP needs) depends on it on aarch64
/// (Linux, Android, Apple) and loongarch64 Linux targets to read the CPU's
/// feature bits (`getauxval`, `sysctlbyname`), which is neither IO nor a
/// clock nor randomness. A core that names `libc` itself is caught, and so
/// is any crate above that pulls `libc` in for IO (tokio, mio, rustix, ...).
const FORBIDDEN: &[(Match, &str)] = &[
    (
        Match::Name("tokio"),
        "an async runtime with sockets, files and timers",
    ),
    (Match::Prefix("tokio-"), "part of the tokio runtime"),
    (Match::Name("mio"), "an OS event loop and sockets"),
    (Match::Name("socket2"), "OS sockets"),
    (Match::Name("rustix"), "system calls"),
    (Match::Name("nix"), "system calls"),
    (Match::Direct("libc"), "system calls"),
    (Match::Name("getrandom"), "OS randomness"),
    (
        Match::Name("rand"),
        "a global, OS-seeded random generator (thread_rng, random)",
    ),
    (
        Match::WithFeature("rand_core", &["getrandom", "os_rng", "std"]),
        "OS randomness (OsRng) through the features it is built with",
    ),
    (Match::Name("async-std"), "an async runtime"),
    (Match::Name("smol"), "an async runtime"),
    (Match::Name("chrono"), "the wall clock"),
    (Match::Name("time"), "the wall clock"),
];

/// A core crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreCrate {
    pub name: String,
    /// The folder of its Cargo.toml.
    pub dir: PathBuf,
    pub manifest: PathBuf,
    id: String,
}

/// Whether a workspace package is a core crate.
pub fn is_core(name: &str) -> bool {
    CORE_NAMES.contains(&name) || name.ends_with("-core")
}

fn str_field<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .with_context(|| format!("cargo metadata: `{key}` missing or not a string"))
}

fn array_field<'a>(value: &'a Value, key: &str) -> Result<&'a Vec<Value>> {
    value
        .get(key)
        .and_then(Value::as_array)
        .with_context(|| format!("cargo metadata: `{key}` missing or not an array"))
}

/// The workspace's core crates, in the order cargo lists its members.
pub fn core_crates(metadata: &Value) -> Result<Vec<CoreCrate>> {
    let members: Vec<&str> = array_field(metadata, "workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut cores = Vec::new();
    for package in array_field(metadata, "packages")? {
        let id = str_field(package, "id")?;
        let name = str_field(package, "name")?;
        if !members.contains(&id) || !is_core(name) {
            continue;
        }
        let manifest = PathBuf::from(str_field(package, "manifest_path")?);
        let dir = manifest
            .parent()
            .context("cargo metadata: a manifest path without a folder")?
            .to_path_buf();
        cores.push(CoreCrate {
            name: name.to_string(),
            dir,
            manifest,
            id: id.to_string(),
        });
    }
    Ok(cores)
}

/// One package of the resolve graph: its name, features and normal dependencies.
#[derive(Debug, Default)]
struct Node {
    name: String,
    features: Vec<String>,
    deps: Vec<String>,
}

fn resolve_graph(metadata: &Value) -> Result<BTreeMap<String, Node>> {
    let mut names = BTreeMap::new();
    for package in array_field(metadata, "packages")? {
        names.insert(str_field(package, "id")?, str_field(package, "name")?);
    }
    let resolve = metadata
        .get("resolve")
        .filter(|r| !r.is_null())
        .context("cargo metadata: no resolve graph (was it run with --no-deps?)")?;
    let mut graph = BTreeMap::new();
    for node in array_field(resolve, "nodes")? {
        let id = str_field(node, "id")?;
        let features = node
            .get("features")
            .and_then(Value::as_array)
            .map(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let mut deps = Vec::new();
        for dep in array_field(node, "deps")? {
            // `kind` is null for a normal dependency, "dev" or "build" otherwise.
            let normal = array_field(dep, "dep_kinds")?
                .iter()
                .any(|k| k.get("kind").is_none_or(Value::is_null));
            if normal {
                deps.push(str_field(dep, "pkg")?.to_string());
            }
        }
        let name = names.get(id).copied().unwrap_or(id).to_string();
        graph.insert(
            id.to_string(),
            Node {
                name,
                features,
                deps,
            },
        );
    }
    Ok(graph)
}

/// Why `node` may not be in a core's graph, if it may not; `direct` says
/// whether the core names it itself.
fn forbidden_reason(node: &Node, direct: bool) -> Option<&'static str> {
    FORBIDDEN.iter().find_map(|(rule, reason)| {
        let hit = match rule {
            Match::Name(name) => node.name == *name,
            Match::Prefix(prefix) => node.name.starts_with(prefix),
            Match::Direct(name) => direct && node.name == *name,
            Match::WithFeature(name, features) => {
                node.name == *name && node.features.iter().any(|f| features.contains(&f.as_str()))
            }
        };
        hit.then_some(*reason)
    })
}

/// The line of `manifest` that declares the dependency `name` under
/// `[dependencies]` (or a target's), else that section's header, else 1.
fn dependency_line(manifest: &str, name: &str) -> usize {
    let mut in_normal = false;
    let mut section_line = None;
    for (index, line) in manifest.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            let header = line.trim_matches(|c| c == '[' || c == ']');
            let normal = header == "dependencies" || header.ends_with(".dependencies");
            if header == format!("dependencies.{name}") {
                return index + 1;
            }
            in_normal = normal;
            if normal && section_line.is_none() {
                section_line = Some(index + 1);
            }
            continue;
        }
        if in_normal {
            if let Some(rest) = line.strip_prefix(name) {
                if rest.trim_start().starts_with(['=', '.']) {
                    return index + 1;
                }
            }
        }
    }
    section_line.unwrap_or(1)
}

/// Every forbidden crate in each core crate's graph, with the chain of
/// dependencies that brings it in, at the line of the core's Cargo.toml
/// that starts that chain.
pub fn forbidden_dependencies(metadata: &Value, root: &Path) -> Result<Vec<Finding>> {
    let graph = resolve_graph(metadata)?;
    let mut findings = Vec::new();
    for core in core_crates(metadata)? {
        let manifest = std::fs::read_to_string(&core.manifest).unwrap_or_default();
        // Breadth first, so each forbidden crate is shown by its shortest chain.
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([core.id.as_str()]);
        while let Some(id) = queue.pop_front() {
            let Some(node) = graph.get(id) else { continue };
            for dep in &node.deps {
                if dep == &core.id || parent.contains_key(dep.as_str()) {
                    continue;
                }
                parent.insert(dep, id);
                queue.push_back(dep);
            }
        }
        for (&id, _) in parent.iter() {
            let Some(node) = graph.get(id) else { continue };
            let mut chain = vec![node.name.as_str()];
            let mut at = id;
            while let Some(&up) = parent.get(at) {
                if up == core.id {
                    break;
                }
                chain.push(graph.get(up).map_or(up, |n| n.name.as_str()));
                at = up;
            }
            chain.reverse();
            let Some(reason) = forbidden_reason(node, chain.len() == 1) else {
                continue;
            };
            let first = chain.first().copied().unwrap_or_default();
            findings.push(Finding {
                path: relative(root, &core.manifest),
                line: dependency_line(&manifest, first),
                what: format!(
                    "core crate {} depends on {} ({reason}) through {} -> {}",
                    core.name,
                    node.name,
                    core.name,
                    chain.join(" -> ")
                ),
                fix: if chain.len() == 1 {
                    format!("a core stays sans-IO: drop `{first}` and let the driver crate do it")
                } else {
                    format!(
                        "a core stays sans-IO: drop `{first}` or the feature that pulls {} in, \
                         and let the driver crate do it",
                        node.name
                    )
                },
            });
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written `cargo metadata` of a workspace with two core crates and
    /// a driver: `rtgt-proto` -> `sha2` -> `cpufeatures` -> `libc` (allowed,
    /// not direct), `demo-core` -> `helper` -> `tokio` -> `mio` and a direct
    /// `libc`, a dev-dependency on `rand` (not followed), `rand_core` with
    /// `os_rng`; `demo` (not a core) -> `tokio`.
    fn metadata(root: &str) -> Value {
        let id = |name: &str| format!("{name}-id");
        let package = |name: &str, manifest: &str| serde_json::json!({"id": id(name), "name": name, "manifest_path": manifest});
        let dep = |name: &str, kind: Option<&str>| serde_json::json!({"name": name, "pkg": id(name), "dep_kinds": [{"kind": kind, "target": null}]});
        let node = |name: &str, deps: Vec<Value>| serde_json::json!({"id": id(name), "deps": deps, "features": []});
        let registry = [
            "sha2",
            "cpufeatures",
            "libc",
            "helper",
            "tokio",
            "mio",
            "rand",
            "rand_core",
        ];
        let mut packages = vec![
            package("rtgt-proto", &format!("{root}/proto/Cargo.toml")),
            package("demo-core", &format!("{root}/demo/core/Cargo.toml")),
            package("demo", &format!("{root}/demo/Cargo.toml")),
        ];
        packages.extend(registry.iter().map(|n| package(n, "/registry/Cargo.toml")));
        let mut nodes = vec![
            node("rtgt-proto", vec![dep("sha2", None)]),
            node("sha2", vec![dep("cpufeatures", None)]),
            node("cpufeatures", vec![dep("libc", None)]),
            node("libc", vec![]),
            node(
                "demo-core",
                vec![
                    dep("helper", None),
                    dep("libc", None),
                    dep("rand", Some("dev")),
                    dep("rand_core", None),
                ],
            ),
            node("helper", vec![dep("tokio", None)]),
            node("tokio", vec![dep("mio", None)]),
            node("mio", vec![dep("libc", None)]),
            node("rand", vec![]),
            serde_json::json!({"id": id("rand_core"), "deps": [], "features": ["os_rng"]}),
            node("demo", vec![dep("tokio", None), dep("demo-core", None)]),
        ];
        nodes.push(node("unused", vec![]));
        serde_json::json!({
            "packages": packages,
            "workspace_members": [id("rtgt-proto"), id("demo-core"), id("demo")],
            "resolve": {"nodes": nodes, "root": null},
        })
    }

    #[test]
    fn core_crates_are_named_or_end_in_core() {
        let cores = core_crates(&metadata("/ws")).unwrap();
        let names: Vec<&str> = cores.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["rtgt-proto", "demo-core"]);
        assert_eq!(cores[1].dir, PathBuf::from("/ws/demo/core"));
    }

    #[test]
    fn the_walk_finds_transitive_forbidden_crates_of_cores_only() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path().to_str().unwrap().to_string();
        std::fs::create_dir_all(scratch.path().join("demo/core")).unwrap();
        std::fs::write(
            scratch.path().join("demo/core/Cargo.toml"),
            "[package]\nname = \"demo-core\"\n\n[dependencies]\nhelper = \"1\"\nlibc.workspace = true\n\
             rand_core = { version = \"0.9\" }\n\n[dev-dependencies]\nrand = \"0.9\"\n",
        )
        .unwrap();
        let findings = forbidden_dependencies(&metadata(&root), scratch.path()).unwrap();
        let shown: Vec<String> = findings
            .iter()
            .map(|f| format!("{}:{}: {}", f.path, f.line, f.what))
            .collect();
        assert_eq!(
            findings[0].fix,
            "a core stays sans-IO: drop `libc` and let the driver crate do it"
        );
        assert_eq!(
            findings[1].fix,
            "a core stays sans-IO: drop `helper` or the feature that pulls mio in, \
             and let the driver crate do it"
        );
        assert_eq!(
            shown,
            [
                "demo/core/Cargo.toml:6: core crate demo-core depends on libc (system calls) \
                 through demo-core -> libc",
                "demo/core/Cargo.toml:5: core crate demo-core depends on mio (an OS event loop \
                 and sockets) through demo-core -> helper -> tokio -> mio",
                "demo/core/Cargo.toml:7: core crate demo-core depends on rand_core (OS randomness \
                 (OsRng) through the features it is built with) through demo-core -> rand_core",
                "demo/core/Cargo.toml:5: core crate demo-core depends on tokio (an async runtime \
                 with sockets, files and timers) through demo-core -> helper -> tokio",
            ]
        );
    }

    #[test]
    fn a_clean_graph_gives_no_finding() {
        let mut metadata = metadata("/ws");
        // Only rtgt-proto, whose libc comes through cpufeatures.
        metadata["workspace_members"] = serde_json::json!(["rtgt-proto-id"]);
        assert_eq!(
            forbidden_dependencies(&metadata, Path::new("/ws")).unwrap(),
            []
        );
    }

    #[test]
    fn dependency_lines_are_found_in_each_form() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\nbytes.workspace = true\n\
                        tokio = \"1\"\n[dev-dependencies]\nrand = \"1\"\n[dependencies.mio]\nversion = \"1\"\n";
        assert_eq!(dependency_line(manifest, "bytes"), 4);
        assert_eq!(dependency_line(manifest, "tokio"), 5);
        assert_eq!(dependency_line(manifest, "mio"), 8);
        // Only a dev-dependency: the [dependencies] header.
        assert_eq!(dependency_line(manifest, "rand"), 3);
    }
}

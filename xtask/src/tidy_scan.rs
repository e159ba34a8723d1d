//! The source rules of `cargo xtask tidy`: what a core crate's code may not
//! call, and how long any Rust file may grow.
//!
//! A core crate's non-test source is every `.rs` file under its `src/`,
//! except files under a folder named `tests` and files named `tests.rs` or
//! `*_tests.rs`, and in each file only the lines before the first line that
//! starts with `#[cfg(test)]`: by the house convention a file's unit tests
//! are its last item. A `#[cfg(test)]` on a one-line item (`mod tests;`,
//! after any further attributes such as `#[path = ..]`) skips that item
//! only. Comment lines (trimmed text starting with `//`, doc comments
//! included) and the comment at the end of a line are not read.

use crate::tidy::{relative, Finding};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The most lines a Rust source file may have.
pub const MAX_LINES: usize = 600;

const CLOCK: &str = "take `now` from the caller (handle_*(now, ..)) and answer deadlines \
                     through poll_timeout";
const DRIVER_IO: &str = "leave IO to the driver: take input through handle_* and hand work \
                         out through poll_*";
const ORDER: &str = "iteration order differs between runs; use BTreeMap/BTreeSet, Vec or IndexMap";
const RANDOM: &str = "take randomness from the injected source (the seed in the simulator)";

/// What a core's code may not name, why, and what to do instead.
const FORBIDDEN_CALLS: &[(&str, &str, &str)] = &[
    ("Instant::now", "reads the clock", CLOCK),
    ("SystemTime", "reads the wall clock", CLOCK),
    ("std::net", "uses sockets or name resolution", DRIVER_IO),
    ("std::thread", "uses threads or sleeps", DRIVER_IO),
    ("std::fs", "touches the file system", DRIVER_IO),
    (
        "std::process",
        "runs or ends processes",
        "return an error to the driver",
    ),
    ("HashMap", "uses a HashMap", ORDER),
    ("HashSet", "uses a HashSet", ORDER),
    ("thread_rng", "draws from a global random generator", RANDOM),
    (
        "rand::random",
        "draws from a global random generator",
        RANDOM,
    ),
    ("getrandom", "draws OS randomness", RANDOM),
    ("OsRng", "draws OS randomness", RANDOM),
];

/// The `std::net` items that are plain values (addresses), which a core may
/// carry; every other item of `std::net` does IO.
const NET_VALUES: &[&str] = &[
    "IpAddr",
    "Ipv4Addr",
    "Ipv6Addr",
    "SocketAddr",
    "SocketAddrV4",
    "SocketAddrV6",
    "AddrParseError",
];

/// Folders never scanned, relative to the root: cargo's output and the fuzz corpora.
const SKIPPED: &[&str] = &["build", "fuzz/build", "fuzz/target", "fuzz/corpus"];

/// Every `.rs` file under `dir`, sorted, skipping `.git`, the [`SKIPPED`]
/// folders of `root`, any cargo output folder (it holds `CACHEDIR.TAG`) and
/// the folders `skip` accepts.
fn rust_files(root: &Path, dir: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("could not list {}", dir.display()))?
                .path();
            if path.is_dir() {
                let skipped = path.file_name().is_some_and(|n| n == ".git")
                    || SKIPPED.iter().any(|s| path == root.join(s))
                    || path.join("CACHEDIR.TAG").exists()
                    || skip(&path);
                if !skipped {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `code` names `pattern` as a whole path or identifier (not as a
/// piece of a longer identifier).
fn names(code: &str, pattern: &str) -> bool {
    code.match_indices(pattern).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + pattern.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Whether every use of `std::net` on the line names only address values.
fn only_net_values(code: &str) -> bool {
    code.match_indices("std::net").all(|(at, _)| {
        let rest = &code[at + "std::net".len()..];
        let Some(rest) = rest.strip_prefix("::") else {
            return false;
        };
        let items = match rest.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or_default(),
            None => rest
                .split(|c: char| !is_ident(c))
                .next()
                .unwrap_or_default(),
        };
        items
            .split(',')
            .map(|item| item.split_whitespace().next().unwrap_or_default())
            .filter(|item| !item.is_empty())
            .all(|item| NET_VALUES.contains(&item))
    })
}

/// The findings of one file's non-test code.
fn scan_core_file(path: &str, text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // A one-line test item, after its other attributes, is skipped;
            // a test block ends the scan of the file.
            while lines
                .next_if(|(_, l)| l.trim_start().starts_with("#["))
                .is_some()
            {}
            if lines
                .next_if(|(_, l)| l.trim_end().ends_with(';'))
                .is_some()
            {
                continue;
            }
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let code = line.split("//").next().unwrap_or_default();
        for (pattern, what, fix) in FORBIDDEN_CALLS {
            if !names(code, pattern) || (*pattern == "std::net" && only_net_values(code)) {
                continue;
            }
            findings.push(Finding {
                path: path.to_string(),
                line: index + 1,
                what: format!("core code {what} (`{pattern}`)"),
                fix: (*fix).to_string(),
            });
        }
    }
    findings
}

/// The forbidden calls in the non-test source of the core crate in
/// `crate_dir` (see the module documentation for what counts as test code).
pub fn scan_core_sources(root: &Path, crate_dir: &Path) -> Result<Vec<Finding>> {
    let is_tests = |dir: &Path| dir.file_name().is_some_and(|n| n == "tests");
    let mut findings = Vec::new();
    for file in rust_files(root, &crate_dir.join("src"), &is_tests)? {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("could not read {}", file.display()))?;
        findings.extend(scan_core_file(&relative(root, &file), &text));
    }
    Ok(findings)
}

/// Every Rust source file under `root` longer than [`MAX_LINES`] lines.
pub fn scan_file_lengths(root: &Path) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for file in rust_files(root, root, &|_| false)? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("could not read {}", file.display()))?;
        let lines = text.lines().count();
        if lines > MAX_LINES {
            findings.push(Finding {
                path: relative(root, &file),
                line: MAX_LINES + 1,
                what: format!("{lines} lines, more than {MAX_LINES}"),
                fix: "split the file along its own seams into files of 200-400 lines".into(),
            });
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = include_str!("../../proto/src/lib.rs");

    /// A scratch repository with a copy of `rtgt-proto`'s lib.rs as a core
    /// crate, a unit-test module and a `tests/` folder that may use anything.
    fn scratch() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("demo/core/src");
        std::fs::create_dir_all(src.join("tests")).unwrap();
        std::fs::write(src.join("lib.rs"), LIB).unwrap();
        std::fs::write(
            src.join("tests/mod.rs"),
            "fn now() { let _ = std::time::Instant::now(); }\n",
        )
        .unwrap();
        std::fs::write(
            src.join("addr.rs"),
            "// A HashMap would do, said nobody.\nuse std::net::{IpAddr, SocketAddr};\n\
             pub fn f() {} // std::fs is not used\n#[cfg(test)]\nmod tests { use std::collections::HashMap; }\n",
        )
        .unwrap();
        // Cargo output is never scanned, however long.
        std::fs::create_dir_all(dir.path().join("build/debug")).unwrap();
        std::fs::write(dir.path().join("build/CACHEDIR.TAG"), "").unwrap();
        std::fs::write(dir.path().join("build/debug/gen.rs"), "\n".repeat(700)).unwrap();
        dir
    }

    fn shown(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| format!("{}:{}: {}", f.path, f.line, f.what))
            .collect()
    }

    #[test]
    fn a_clean_scratch_copy_gives_no_finding() {
        let dir = scratch();
        let core = dir.path().join("demo/core");
        assert_eq!(scan_core_sources(dir.path(), &core).unwrap(), []);
        assert_eq!(scan_file_lengths(dir.path()).unwrap(), []);
    }

    #[test]
    fn planted_violations_are_named_by_file_and_line() {
        let dir = scratch();
        let core = dir.path().join("demo/core");
        let lib = LIB.to_string() + "\npub fn t() {\n    let t = std::time::Instant::now();\n}\n";
        let planted = LIB.lines().count() + 3;
        std::fs::write(core.join("src/lib.rs"), lib).unwrap();
        std::fs::write(
            core.join("src/io.rs"),
            "use std::net::TcpStream;\nuse std::collections::HashMap;\n#[cfg(test)]\n\
             #[path = \"io_tests.rs\"]\nmod tests;\nfn f() { let _ = std::fs::read(\"x\"); }\n",
        )
        .unwrap();
        std::fs::write(
            core.join("src/io_tests.rs"),
            "use std::collections::HashSet;\n",
        )
        .unwrap();
        std::fs::write(core.join("src/long.rs"), "\n".repeat(MAX_LINES + 1)).unwrap();
        std::fs::write(dir.path().join("ok.rs"), "\n".repeat(MAX_LINES)).unwrap();

        assert_eq!(
            shown(&scan_core_sources(dir.path(), &core).unwrap()),
            [
                "demo/core/src/io.rs:1: core code uses sockets or name resolution (`std::net`)"
                    .to_string(),
                "demo/core/src/io.rs:2: core code uses a HashMap (`HashMap`)".to_string(),
                "demo/core/src/io.rs:6: core code touches the file system (`std::fs`)".to_string(),
                format!(
                    "demo/core/src/lib.rs:{planted}: core code reads the clock (`Instant::now`)"
                ),
            ]
        );
        assert_eq!(
            shown(&scan_file_lengths(dir.path()).unwrap()),
            ["demo/core/src/long.rs:601: 601 lines, more than 600"]
        );
    }

    #[test]
    fn names_match_whole_identifiers_only() {
        assert!(names("let m: HashMap<u8, u8>;", "HashMap"));
        assert!(!names("let m: MyHashMapLike;", "HashMap"));
        assert!(!names("use std::fsx;", "std::fs"));
        assert!(names("std::fs::read(p)", "std::fs"));
        assert!(only_net_values("use std::net::{Ipv4Addr, Ipv6Addr as V6};"));
        assert!(!only_net_values("use std::net::{SocketAddr, UdpSocket};"));
    }
}

//! Replays every committed fuzz corpus entry and crash artifact through the
//! harness bodies of `rtgt_proto::fuzzing`, on the stable toolchain, so that a
//! crash found once stays fixed. Run by `cargo xtask test`.
#![cfg(feature = "fuzzing")]

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file under fuzz/corpus/<target> and fuzz/artifacts/<target>.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

fn replay(target: &str, harness: Harness) -> usize {
    let files = inputs(target);
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        harness(&data);
    }
    files.len()
}

/// A fuzz harness body.
type Harness = fn(&[u8]);

/// Every fuzz target with its harness body.
const TARGETS: &[(&str, Harness)] = &[
    ("pdu_stream", rtgt_proto::fuzzing::pdu_stream),
    ("text_kv", rtgt_proto::fuzzing::text_kv),
    ("chap", rtgt_proto::fuzzing::chap),
    ("cdb", rtgt_proto::fuzzing::cdb),
    ("scsi_data", rtgt_proto::fuzzing::scsi_data),
    ("isns", |data| {
        rtgt_proto::fuzzing::isns(data, std::time::Instant::now())
    }),
];

#[test]
fn corpora_replay() {
    for &(target, harness) in TARGETS {
        let replayed = replay(target, harness);
        assert!(replayed > 0, "fuzz/corpus/{target} has no seeds");
    }
}

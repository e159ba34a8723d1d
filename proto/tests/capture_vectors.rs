//! Real traffic: every PDU of the sessions recorded between Debian's tgtd and
//! libiscsi's tools (proto/tests/vectors/, made by `cargo xtask capture`)
//! decodes with the stream decoder, decodes as a typed PDU, and re-encodes
//! byte for byte, with the digests the session negotiated. What each
//! connection negotiated and the sequence of its PDUs are snapshotted.

use bytes::Bytes;
use rtgt_proto::pdu::{
    DecoderConfig, Digests, LoginStage, LoginStatus, Pdu, RawPdu, StreamDecoder,
    MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
use rtgt_proto::text::{Pair, TextAccumulator};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// One direction of a connection, walked PDU by PDU.
struct Walk {
    pdus: Vec<Pdu>,
    /// Keys of the login PDUs, in order.
    login_keys: Vec<Pair>,
    /// How many PDUs belong to the login phase.
    login_pdus: usize,
}

/// Decodes `bytes` with the stream decoder in arbitrary 1000-byte chunks,
/// switching to `digests` after `login_pdus` PDUs (or, when `None`, after the
/// final Login Response), and checks that every frame and every typed PDU
/// re-encodes to exactly the bytes it came from. Without `digests`, stops at
/// the end of the login phase.
fn walk(name: &str, bytes: &[u8], login_pdus: Option<usize>, digests: Option<Digests>) -> Walk {
    let login_only = digests.is_none();
    let digests = digests.unwrap_or(Digests::NONE);
    let mut decoder = StreamDecoder::new(DecoderConfig::LOGIN);
    for chunk in bytes.chunks(1000) {
        decoder.feed(chunk);
    }
    let mut keys = TextAccumulator::new(1 << 16);
    let mut walk = Walk {
        pdus: Vec::new(),
        login_keys: Vec::new(),
        login_pdus: 0,
    };
    let mut offset = 0;
    let mut in_login = true;
    while let Some(frame) = decoder.next_frame() {
        let raw = frame.unwrap_or_else(|e| panic!("{name}: PDU at offset {offset}: {e}"));
        let used = if in_login { Digests::NONE } else { digests };
        let original = &bytes[offset..offset + raw.encoded_len(used)];
        assert_eq!(
            raw.encode(used),
            original,
            "{name}: frame at offset {offset}"
        );
        let pdu = Pdu::decode(&raw).unwrap_or_else(|e| panic!("{name}: offset {offset}: {e}"));
        let again = pdu.encode(used);
        assert_eq!(
            again, original,
            "{name}: typed PDU at offset {offset}:\n{pdu}"
        );
        assert_eq!(
            Pdu::decode(&RawPdu::parse(&Bytes::from(again), used).unwrap().0).unwrap(),
            pdu
        );
        offset += original.len();
        if in_login {
            let (data, continues, final_response) = match &pdu {
                Pdu::LoginRequest(p) => (&p.data, p.continue_bit, false),
                Pdu::LoginResponse(p) => (
                    &p.data,
                    p.continue_bit,
                    p.transit
                        && p.nsg == LoginStage::FullFeaturePhase
                        && p.status == LoginStatus::from_parts(0, 0),
                ),
                other => panic!("{name}: {} during login", other.opcode().name()),
            };
            if let Some(pairs) = keys.push(data, continues).expect("login keys") {
                walk.login_keys.extend(pairs);
            }
            walk.login_pdus += 1;
            let done = match login_pdus {
                Some(n) => walk.login_pdus == n,
                None => final_response,
            };
            if done && login_only {
                walk.pdus.push(pdu);
                return walk;
            }
            if done {
                in_login = false;
                decoder.set_config(DecoderConfig {
                    digests,
                    max_data_segment_length: MAX_DATA_SEGMENT_LENGTH_LIMIT,
                });
            }
        }
        walk.pdus.push(pdu);
    }
    assert_eq!(
        offset,
        bytes.len(),
        "{name}: trailing bytes after the last PDU"
    );
    walk
}

fn key<'a>(pairs: &'a [Pair], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|p| p.key == name)
        .map(|p| p.value.as_str())
}

/// PDU names with repeat counts: `Login Request, SCSI Command ×3, ...`.
fn sequence(pdus: &[Pdu]) -> String {
    let mut runs: Vec<(&'static str, usize)> = Vec::new();
    for pdu in pdus {
        let name = pdu.opcode().name();
        match runs.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => runs.push((name, 1)),
        }
    }
    runs.iter()
        .map(|(name, n)| {
            if *n == 1 {
                name.to_string()
            } else {
                format!("{name} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decodes one connection both ways and describes it.
fn connection(scenario: &str, index: usize) -> String {
    let dir = vectors_dir().join(scenario);
    let read = |side: &str| std::fs::read(dir.join(format!("{index}-{side}.bin"))).unwrap();
    let name = format!("{scenario}/{index}");
    // The target's answers decide the digests (RFC 7143 §13.1), which apply to
    // both directions from the first PDU after the login phase.
    let target_login = walk(&format!("{name} target"), &read("target"), None, None);
    let digest = |key_name| key(&target_login.login_keys, key_name) == Some("CRC32C");
    let digests = Digests {
        header: digest("HeaderDigest"),
        data: digest("DataDigest"),
    };
    let target = walk(
        &format!("{name} target"),
        &read("target"),
        None,
        Some(digests),
    );
    let initiator = walk(
        &format!("{name} initiator"),
        &read("initiator"),
        Some(target.login_pdus),
        Some(digests),
    );
    let auth = match key(&target.login_keys, "AuthMethod") {
        Some("CHAP") if key(&target.login_keys, "CHAP_R").is_some() => "CHAP mutual",
        Some("CHAP") => "CHAP one-way",
        Some(other) => other,
        None => "None",
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "connection {index}: {} session, auth {auth}, HeaderDigest {}, DataDigest {}",
        key(&initiator.login_keys, "SessionType").unwrap_or("Normal"),
        key(&target.login_keys, "HeaderDigest").unwrap_or("None"),
        key(&target.login_keys, "DataDigest").unwrap_or("None"),
    );
    let _ = writeln!(text, "  initiator: {}", sequence(&initiator.pdus));
    let _ = writeln!(text, "  target:    {}", sequence(&target.pdus));
    text
}

fn scenario(name: &str) -> String {
    let mut indices: Vec<usize> = std::fs::read_dir(vectors_dir().join(name))
        .unwrap()
        .filter_map(|e| {
            let file = e.ok()?.file_name().into_string().ok()?;
            file.strip_suffix("-initiator.bin")?.parse().ok()
        })
        .collect();
    indices.sort();
    assert!(!indices.is_empty(), "{name}: no connections");
    indices.iter().map(|&i| connection(name, i)).collect()
}

/// Each capture: the snapshot of its summary and lines the summary must hold.
#[rustfmt::skip]
const SCENARIOS: &[(&str, &str, &[&str])] = &[
    ("discovery_without_authentication", "discovery-none", &["Discovery session, auth None"]),
    ("one_way_chap", "chap-oneway", &["Discovery session, auth CHAP one-way"]),
    ("mutual_chap", "chap-mutual", &["Discovery session, auth CHAP mutual", "Normal session, auth CHAP mutual"]),
    ("inquiry_and_read_capacity", "inquiry", &[]),
    ("io_with_header_digests", "io-header-digest", &["HeaderDigest CRC32C", "SCSI Data-Out"]),
    ("task_management", "tmf", &["Task Management Function Request"]),
    ("io_with_header_and_data_digests", "io-data-digest", &["HeaderDigest CRC32C, DataDigest CRC32C", "SCSI Data-In"]),
];

#[test]
fn capture_summaries() {
    for &(snapshot, name, lines) in SCENARIOS {
        let summary = scenario(name);
        for line in lines {
            assert!(summary.contains(line), "{name}: no {line:?} in\n{summary}");
        }
        insta::assert_snapshot!(snapshot, summary);
    }
}

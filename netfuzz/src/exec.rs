//! Running one [`Sequence`] against the target and recording what went each
//! way.

use crate::seq::{self, Numbers, Sequence, Start, Step};
use crate::signature;
use crate::wire::{Conn, Target};
use rtgt_proto::pdu::RawPdu;
use std::fmt::Write as _;
use std::time::Duration;

/// One line of a transcript.
#[derive(Debug, Clone)]
pub enum Line {
    /// Bytes sent for a step: the frame as built (before length lies) and
    /// the exact bytes.
    Sent {
        step: usize,
        frame: RawPdu,
        bytes: Vec<u8>,
    },
    Received(RawPdu),
    Note(String),
}

/// What a sequence produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub signatures: Vec<String>,
    pub transcript: Vec<Line>,
    /// The login through the core failed: nothing was fuzzed.
    pub login_failed: Option<String>,
}

/// How long to wait for answers after each step, and at the end.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    pub step: Duration,
    pub end: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            step: Duration::from_millis(3),
            end: Duration::from_millis(100),
        }
    }
}

/// Sends `s` on a new connection (logging in first for full-feature cases).
pub fn run(t: &Target, s: &Sequence, seed: u64, waits: Waits) -> Outcome {
    let mut out = Outcome::default();
    let (mut conn, mut n) = match s.start {
        Start::FullFeature => match Conn::full_feature(t, seed) {
            Ok(c) => c,
            Err(e) => {
                out.login_failed = Some(format!("{e:#}"));
                return out;
            }
        },
        Start::Login => match Conn::bare(t) {
            Ok(c) => (
                c,
                Numbers {
                    lun: t.lun,
                    next_itt: 0,
                    target_name: t.iqn.clone(),
                    ..Numbers::default()
                },
            ),
            Err(e) => {
                out.login_failed = Some(format!("connect: {e:#}"));
                return out;
            }
        },
    };
    let last = s.steps.len().saturating_sub(1);
    // Answers to PDUs sent before the sync ping's answer came are all in.
    for (i, step) in s.steps.iter().enumerate() {
        let (bytes, frame) = seq::build(step, &mut n, conn.digests);
        conn.send(&bytes, &step.cuts);
        out.transcript.push(Line::Sent {
            step: i,
            frame,
            bytes,
        });
        let sync =
            (i == last && s.start == Start::FullFeature).then(|| sync_ping(&mut conn, &mut n));
        if let Some(itt) = sync {
            out.transcript.push(Line::Note(format!(
                "sync: immediate NOP-Out ping, ITT {itt:#010x}"
            )));
        }
        let wait = if i == last { waits.end } else { waits.step };
        let answers = conn.receive(&mut n, wait, Duration::from_millis(3), sync);
        for raw in answers.pdus {
            out.signatures.push(signature::of(&raw));
            out.transcript.push(Line::Received(raw));
        }
        if let Some(e) = signature::ending(answers.closed, answers.garbled) {
            out.signatures.push(format!("{e}@{}", kind(&step.op)));
            out.transcript.push(Line::Note(format!("the target: {e}")));
            if answers.closed {
                break;
            }
        }
    }
    out
}

/// An immediate NOP-Out ping (RFC 7143 §11.18): the target answers it
/// without waiting for CmdSN order, after what it already read. Returns
/// its ITT.
fn sync_ping(conn: &mut Conn, n: &mut Numbers) -> u32 {
    let ping = Step {
        op: seq::Op::Nop {
            ping: true,
            data_len: 0,
        },
        muts: vec![seq::Mutation::Immediate],
        cuts: Vec::new(),
    };
    let (bytes, frame) = seq::build(&ping, n, conn.digests);
    conn.send(&bytes, &[]);
    frame.itt()
}

fn kind(op: &seq::Op) -> &'static str {
    match op {
        seq::Op::Nop { .. } => "nop",
        seq::Op::Scsi(_) => "scsi",
        seq::Op::DataOut(_) => "data-out",
        seq::Op::Tmf { .. } => "tmf",
        seq::Op::Text(_) => "text",
        seq::Op::Logout { .. } => "logout",
        seq::Op::Snack(_) => "snack",
        seq::Op::Login(_) => "login",
        seq::Op::Other { .. } => "other",
    }
}

/// A one-line decode of a frame: opcode, flags, tags, numbers and lengths.
pub fn one_line(raw: &RawPdu) -> String {
    let op = raw.opcode();
    let b = &raw.bhs;
    let u = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let mut s = format!(
        "{} (0x{:02x}){} flags=0x{:02x} b2-3={:02x}{:02x} ahs={} dsl={} itt=0x{:08x} f20=0x{:08x} f24={} f28={} f32={}",
        if op.is_vendor_specific() { "vendor" } else { op.name() },
        op.raw(),
        if raw.immediate() { " I" } else { "" },
        b[1],
        b[2],
        b[3],
        u32::from(raw.total_ahs_length()) * 4,
        raw.data_segment_length(),
        raw.itt(),
        u(20),
        u(24),
        u(28),
        u(32),
    );
    if op == rtgt_proto::pdu::Opcode::ScsiCommand {
        let _ = write!(s, " cdb={}", hex(&b[32..48]));
    }
    s
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The transcript as text: each PDU sent as a one-line decode and its hex,
/// each PDU received as a one-line decode.
pub fn render(transcript: &[Line]) -> String {
    let mut s = String::new();
    for l in transcript {
        match l {
            Line::Sent { step, frame, bytes } => {
                let _ = writeln!(s, "> step {step}: {}", one_line(frame));
                let _ = writeln!(s, "  hex ({} bytes): {}", bytes.len(), hex(bytes));
            }
            Line::Received(raw) => {
                let _ = writeln!(s, "< {}", one_line(raw));
            }
            Line::Note(n) => {
                let _ = writeln!(s, "# {n}");
            }
        }
    }
    s
}

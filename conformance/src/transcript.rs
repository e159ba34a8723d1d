//! The PDU exchange of a scenario, kept so that a failure can show what led
//! to it.

use rtgt_proto::pdu::{Pdu, RawPdu};
use std::fmt::Write as _;

/// Which way a PDU went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ToTarget,
    FromTarget,
}

/// The exchange, one entry per PDU or event, oldest first; bounded so that a
/// long scenario keeps its end.
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    entries: Vec<String>,
    dropped: usize,
}

/// How many entries a transcript keeps.
const KEEP: usize = 64;

impl Transcript {
    pub fn pdu(&mut self, direction: Direction, raw: &RawPdu) {
        let arrow = match direction {
            Direction::ToTarget => "-> target",
            Direction::FromTarget => "<- target",
        };
        let body = match Pdu::decode(raw) {
            Ok(pdu) => pdu.dump(),
            Err(error) => format!("undecodable PDU ({error}), BHS {:02x?}", raw.bhs),
        };
        self.push(format!("{arrow}\n{body}"));
    }

    pub fn bytes(&mut self, direction: Direction, bytes: &[u8]) {
        let arrow = match direction {
            Direction::ToTarget => "-> target",
            Direction::FromTarget => "<- target",
        };
        let shown = &bytes[..bytes.len().min(64)];
        self.push(format!("{arrow} {} raw bytes: {shown:02x?}", bytes.len()));
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.push(format!("-- {}", text.into()));
    }

    fn push(&mut self, entry: String) {
        if self.entries.len() == KEEP {
            self.entries.remove(0);
            self.dropped += 1;
        }
        self.entries.push(entry);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        if self.dropped > 0 {
            let _ = writeln!(text, "({} earlier entries not shown)", self.dropped);
        }
        for entry in &self.entries {
            text.push_str(entry);
            if !entry.ends_with('\n') {
                text.push('\n');
            }
        }
        text
    }
}

//! Byte-level faults on the pipes: bit flips, dropped frames and bytes, and
//! how reads are split.

use rtgt_proto::pdu::{EncodedParts, Opcode};
use rtgt_proto::random::SeededRandom;

/// Which way bytes travel on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dir {
    /// From the initiator to the target.
    ToTarget,
    /// From the target to the initiator.
    ToInitiator,
}

/// Which frame a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The next frame, whatever it is.
    Any,
    /// The next frame with this opcode.
    Opcode(Opcode),
    /// The next frame with this opcode that carries a data segment.
    OpcodeWithData(Opcode),
}

impl Match {
    fn matches(&self, parts: &EncodedParts) -> bool {
        let op = parts.header.first().map(|b| Opcode::from_byte0(*b));
        match self {
            Match::Any => true,
            Match::Opcode(o) => op == Some(*o),
            Match::OpcodeWithData(o) => op == Some(*o) && !parts.data.is_empty(),
        }
    }
}

/// What a fault does to the frame it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Flips bit `bit` of byte `byte` of the header part (BHS, AHS, header
    /// digest).
    FlipHeader { byte: usize, bit: u8 },
    /// Flips bit `bit` of byte `byte` of the data segment.
    FlipData { byte: usize, bit: u8 },
    /// The frame never arrives.
    Drop,
    /// Only the first `n` bytes of the frame arrive.
    Truncate(usize),
    /// The frame arrives, then the direction stalls (until
    /// [`Pair::stall`](super::Pair::stall) releases it).
    StallAfter,
}

/// A one-shot fault: the first frame that matches gets the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub when: Match,
    pub action: Action,
}

/// How the bytes of a pipe are handed to the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// Everything pending in one call.
    #[default]
    Whole,
    /// Calls of at most this many bytes.
    Every(usize),
    /// Calls of 1..=max bytes, drawn from the pair's seeded generator.
    Random { max: usize },
}

/// Applies `action` to a frame's bytes; `None` when the frame is dropped.
pub fn apply(action: Action, parts: &EncodedParts) -> Option<Vec<u8>> {
    let mut bytes = parts.slices().concat();
    let flip = |bytes: &mut Vec<u8>, at: usize, bit: u8| {
        if let Some(b) = bytes.get_mut(at) {
            *b ^= 1 << (bit % 8);
        }
    };
    match action {
        Action::FlipHeader { byte, bit } => {
            flip(
                &mut bytes,
                byte.min(parts.header.len().saturating_sub(1)),
                bit,
            );
        }
        Action::FlipData { byte, bit } => {
            let at = parts.header.len() + byte.min(parts.data.len().saturating_sub(1));
            flip(&mut bytes, at, bit);
        }
        Action::Drop => return None,
        Action::Truncate(n) => bytes.truncate(n),
        Action::StallAfter => {}
    }
    Some(bytes)
}

/// Takes the fault that matches `parts` out of `faults`.
pub fn take_match(faults: &mut Vec<Fault>, parts: &EncodedParts) -> Option<Action> {
    let i = faults.iter().position(|f| f.when.matches(parts))?;
    Some(faults.remove(i).action)
}

/// Puts the frame `parts` on a pipe, through the first of `faults` it
/// matches; [`Action::StallAfter`] stalls the pipe after it.
pub fn put(
    faults: &mut Vec<Fault>,
    pipe: &mut Vec<u8>,
    stall: &mut Option<usize>,
    parts: &EncodedParts,
) {
    let action = take_match(faults, parts);
    let bytes = match action {
        Some(a) => apply(a, parts),
        None => Some(parts.slices().concat()),
    };
    pipe.extend(bytes.unwrap_or_default());
    if action == Some(Action::StallAfter) {
        *stall = Some(pipe.len());
    }
}

/// SplitMix64, for read splits and workloads.
#[derive(Debug, Clone)]
pub struct Mix(pub SeededRandom);

impl Mix {
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as usize
    }
}

//! The trace of a run: every event folded into one 64-bit hash (time, host,
//! kind, CRC of the bytes), and, when asked for, a readable line per event.

use std::time::Duration;

use rtgt_proto::digest::crc32c;

/// A host of the simulation, as the trace names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HostId {
    /// The target.
    Target,
    /// Initiator number `n`.
    Initiator(usize),
    /// The simulator itself (faults, checks).
    Sim,
}

impl HostId {
    fn code(self) -> u64 {
        match self {
            HostId::Target => 0,
            HostId::Initiator(n) => 1 + n as u64,
            HostId::Sim => u64::MAX,
        }
    }
}

impl std::fmt::Display for HostId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostId::Target => f.write_str("target"),
            HostId::Initiator(n) => write!(f, "ini{n}"),
            HostId::Sim => f.write_str("sim"),
        }
    }
}

/// The running hash and optional transcript.
#[derive(Debug)]
pub struct Trace {
    hash: u64,
    events: u64,
    lines: Option<Vec<String>>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Trace {
    /// A trace; `readable` keeps a line per event.
    pub fn new(readable: bool) -> Self {
        Trace {
            hash: FNV_OFFSET,
            events: 0,
            lines: readable.then(Vec::new),
        }
    }

    fn mix(&mut self, v: u64) {
        for b in v.to_le_bytes() {
            self.hash ^= u64::from(b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
    }

    /// Records one event. `detail` is only built when lines are kept.
    pub fn record(
        &mut self,
        at: Duration,
        host: HostId,
        kind: &'static str,
        bytes: &[u8],
        detail: impl FnOnce() -> String,
    ) {
        self.events += 1;
        self.mix(at.as_nanos() as u64);
        self.mix(host.code());
        for b in kind.bytes() {
            self.mix(u64::from(b));
        }
        self.mix(u64::from(crc32c(bytes)) | ((bytes.len() as u64) << 32));
        if let Some(lines) = &mut self.lines {
            lines.push(format!(
                "{:>12.6} {:<7} {:<14} {}",
                at.as_secs_f64(),
                host.to_string(),
                kind,
                detail()
            ));
        }
    }

    /// The hash so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Events recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The readable lines, if kept.
    pub fn take_lines(&mut self) -> Vec<String> {
        self.lines.take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_field() {
        let h = |t: u64, host: HostId, kind: &'static str, b: &[u8]| {
            let mut tr = Trace::new(false);
            tr.record(Duration::from_nanos(t), host, kind, b, String::new);
            tr.hash()
        };
        let base = h(1, HostId::Target, "tx", b"abc");
        assert_eq!(base, h(1, HostId::Target, "tx", b"abc"));
        assert_ne!(base, h(2, HostId::Target, "tx", b"abc"));
        assert_ne!(base, h(1, HostId::Initiator(0), "tx", b"abc"));
        assert_ne!(base, h(1, HostId::Target, "rx", b"abc"));
        assert_ne!(base, h(1, HostId::Target, "tx", b"abd"));
    }
}

//! The simulated network: one TCP connection per [`Link`], a byte stream
//! each way with latency, jitter, bandwidth, arbitrary segmentation, stalls,
//! bit flips, half-closes and resets. Order is kept within a stream.

use std::collections::VecDeque;
use std::time::Duration;

use crate::rng::Rng;
use crate::swarm::NetFaults;

/// Initiator to target.
pub const UP: usize = 0;
/// Target to initiator.
pub const DOWN: usize = 1;

/// A piece of a stream on its way.
#[derive(Debug, Clone)]
pub struct Piece {
    pub at: Duration,
    /// Stream offset of the first byte (the TCP sequence, from 0).
    pub offset: u64,
    pub data: Vec<u8>,
    /// The sender's FIN follows these bytes.
    pub fin: bool,
}

/// One direction of a connection.
#[derive(Debug, Clone, Default)]
pub struct Pipe {
    pub queue: VecDeque<Piece>,
    pub last_at: Duration,
    /// Bytes written so far.
    pub sent: u64,
    /// Bytes delivered so far.
    pub delivered: u64,
    /// Bytes from here on are in full feature phase (digests apply).
    pub protected_from: Option<u64>,
    /// The sender shut this direction.
    pub fin_sent: bool,
    /// The receiver is gone: what arrives is dropped.
    pub closed: bool,
    /// A delivery event is pending.
    pub scheduled: bool,
    /// The PDUs written and not yet delivered whole, each one write.
    pub pdus: VecDeque<PduSpan>,
    /// PDUs with a flipped bit a digest covers, by their end, with the
    /// stream offset by which the receiver has read enough to check them.
    pub flipped: Vec<(u64, u64)>,
    /// Flipped PDUs the receiver got whole, and digest errors it reported,
    /// since the last check.
    pub owed: u32,
    pub paid: u32,
}

/// Where one PDU lies in a stream.
#[derive(Debug, Clone, Copy)]
pub struct PduSpan {
    pub start: u64,
    /// BHS and AHS, without the header digest.
    pub header: u64,
    pub data_len: u64,
    pub end: u64,
}

impl PduSpan {
    /// Whether a flip of stream byte `at` (inside this PDU) is covered by
    /// the header digest (`hd`) or the data digest (`dd`): RFC 7143 §13.1,
    /// the header digest covers the BHS and AHS, the data digest the data
    /// segment and its padding.
    pub fn covered(&self, at: u64, hd: bool, dd: bool) -> bool {
        let rel = at.saturating_sub(self.start);
        let header_end = self.header + if hd { 4 } else { 0 };
        (hd && rel < header_end) || (dd && self.data_len > 0 && rel >= header_end)
    }

    /// The stream offset by which a receiver has the bytes to check a flip
    /// of byte `at`: the PDU's end, or, when the flip hit TotalAHSLength,
    /// the end of the longest header the corrupted length can announce
    /// (255 words of AHS and a header digest).
    pub fn check_by(&self, at: u64) -> u64 {
        if at == self.start + 4 {
            self.end.max(self.start + 48 + 255 * 4 + 4)
        } else {
            self.end
        }
    }
}

/// One TCP connection between initiator `ini` and the target.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: u64,
    pub ini: usize,
    /// The target incarnation that accepted it.
    pub target_gen: u64,
    pub pipes: [Pipe; 2],
    /// Reset: nothing more moves.
    pub reset: bool,
    pub flips: u32,
}

impl Link {
    /// A new connection.
    pub fn new(id: u64, ini: usize, target_gen: u64, now: Duration) -> Self {
        let pipe = Pipe {
            last_at: now,
            ..Pipe::default()
        };
        Link {
            id,
            ini,
            target_gen,
            pipes: [pipe.clone(), pipe],
            reset: false,
            flips: 0,
        }
    }

    /// Writes `bytes` into direction `dir`, cut into pieces. Returns true
    /// when the pipe needs a delivery event scheduled (at its head's time).
    pub fn write(
        &mut self,
        dir: usize,
        bytes: &[u8],
        now: Duration,
        f: &NetFaults,
        rng: &mut Rng,
    ) -> bool {
        let reset = self.reset;
        let p = &mut self.pipes[dir];
        if reset || p.fin_sent || bytes.is_empty() {
            return false;
        }
        let ahs = u64::from(bytes.get(4).copied().unwrap_or(0)) * 4;
        let data_len = bytes
            .get(5..8)
            .map_or(0, |d| u64::from_be_bytes([0, 0, 0, 0, 0, d[0], d[1], d[2]]));
        p.pdus.push_back(PduSpan {
            start: p.sent,
            header: 48 + ahs,
            data_len,
            end: p.sent + bytes.len() as u64,
        });
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = (rng.range(1, f.max_split.max(1) as u64) as usize).min(rest.len());
            let (piece, tail) = rest.split_at(n);
            rest = tail;
            let wire = Duration::from_nanos(n as u64 * 1_000_000_000 / f.bandwidth.max(1));
            let lat = Duration::from_micros(f.latency_us + rng.below(f.jitter_us + 1));
            let at = (now + lat).max(p.last_at) + wire;
            p.last_at = at;
            p.queue.push_back(Piece {
                at,
                offset: p.sent,
                data: piece.to_vec(),
                fin: false,
            });
            p.sent += n as u64;
        }
        !std::mem::replace(&mut p.scheduled, true)
    }

    /// Shuts direction `dir` after what was written. Returns true when a
    /// delivery event is needed.
    pub fn fin(&mut self, dir: usize, now: Duration, f: &NetFaults) -> bool {
        let reset = self.reset;
        let p = &mut self.pipes[dir];
        if reset || p.fin_sent {
            return false;
        }
        p.fin_sent = true;
        let at = (now + Duration::from_micros(f.latency_us)).max(p.last_at);
        p.last_at = at;
        p.queue.push_back(Piece {
            at,
            offset: p.sent,
            data: Vec::new(),
            fin: true,
        });
        !std::mem::replace(&mut p.scheduled, true)
    }

    /// Delays everything queued in `dir` by at least `until`.
    pub fn stall(&mut self, dir: usize, until: Duration) {
        let p = &mut self.pipes[dir];
        for piece in &mut p.queue {
            piece.at = piece.at.max(until);
        }
        p.last_at = p.last_at.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_keep_order_and_cover_the_bytes() {
        let f = NetFaults {
            latency_us: 100,
            jitter_us: 500,
            bandwidth: 1_000_000,
            max_split: 7,
            p_flip: 0.0,
            p_reset: 0.0,
            p_half_close: 0.0,
            p_stall: 0.0,
            stall_ms: 0,
            partitions: 0,
            partition_s: 0,
        };
        let mut rng = Rng::from_u64(3);
        let mut l = Link::new(1, 0, 0, Duration::ZERO);
        let data: Vec<u8> = (0..200u8).collect();
        assert!(l.write(UP, &data, Duration::ZERO, &f, &mut rng));
        assert!(!l.write(UP, &data, Duration::from_micros(1), &f, &mut rng));
        let mut all = Vec::new();
        let mut last = Duration::ZERO;
        for p in &l.pipes[UP].queue {
            assert!(p.at >= last);
            assert_eq!(p.offset as usize, all.len());
            last = p.at;
            all.extend_from_slice(&p.data);
        }
        assert_eq!(&all[..200], &data[..]);
        assert_eq!(all.len(), 400);
    }
}

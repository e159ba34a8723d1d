//! Moving bytes between the hosts: pumping what the cores want out, and
//! the simulated TCP links (sending, delivering pieces in order, FINs and
//! resets).

use super::{Ev, World};
use std::time::Duration;

use rtgt_proto::pdu::EncodedParts;

use crate::net::{DOWN, UP};
use crate::trace::HostId;

impl World {
    /// A PDU a core wants sent, counted in the stats: its bytes in one piece
    /// and its opcode.
    pub(crate) fn outgoing_pdu(&mut self, parts: &EncodedParts) -> (Vec<u8>, u8) {
        self.stats.pdus += 1;
        let bytes = parts.slices().concat();
        self.stats.bytes += bytes.len() as u64;
        let op = bytes.first().map_or(0, |b| b & 0x3f);
        (bytes, op)
    }

    /// Moves everything the cores want out: bytes, IO, events.
    pub(crate) fn pump(&mut self) {
        loop {
            let mut progress = self.pump_target();
            for i in 0..self.inis.len() {
                progress |= self.pump_ini(i);
            }
            if !progress {
                break;
            }
        }
    }

    /// Sends bytes on a link and schedules their delivery.
    pub(crate) fn send(&mut self, link: u64, dir: usize, bytes: &[u8]) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if l.write(dir, bytes, self.now, &self.p.net, &mut self.net_rng) {
            self.schedule_delivery(link, dir);
        }
    }

    pub(crate) fn send_fin(&mut self, link: u64, dir: usize) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if l.fin(dir, self.now, &self.p.net) {
            self.schedule_delivery(link, dir);
        }
    }

    pub(super) fn schedule_delivery(&mut self, link: u64, dir: usize) {
        let at = self
            .links
            .get(&link)
            .and_then(|l| l.pipes[dir].queue.front())
            .map(|p| p.at);
        if let Some(at) = at {
            self.at(at, Ev::Deliver { link, dir });
        }
    }

    pub(super) fn deliver(&mut self, link: u64, dir: usize) {
        if let Some(end) = self.partitioned() {
            if let Some(l) = self.links.get_mut(&link) {
                l.stall(dir, end);
            }
            self.at(end, Ev::Deliver { link, dir });
            return;
        }
        let faulty = self.faulty();
        let f = self.p.net.clone();
        let (hd, dd) = (self.p.header_digest, self.p.data_digest);
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        l.pipes[dir].scheduled = false;
        if l.reset {
            return;
        }
        let Some(mut piece) = l.pipes[dir].queue.pop_front() else {
            return;
        };
        let rng = &mut self.net_rng;
        let protected = l.pipes[dir]
            .protected_from
            .is_some_and(|o| piece.offset >= o);
        let flip = (faulty && protected && !piece.data.is_empty() && rng.chance(f.p_flip))
            .then(|| rng.below(piece.data.len() as u64 * 8));
        let reset = faulty && rng.chance(f.p_reset);
        let half = faulty && rng.chance(f.p_half_close);
        let stall = (faulty && rng.chance(f.p_stall))
            .then(|| self.now + Duration::from_millis(rng.range(1, f.stall_ms)));
        // Each fault drawn is an event shrinking may remove.
        let off = piece.offset;
        let flip = flip.filter(|bit| {
            self.keeps_fault(|| {
                format!(
                    "bit flip on link {link} dir {dir} at stream byte {}",
                    off + bit / 8
                )
            })
        });
        let reset = reset && self.keeps_fault(|| format!("reset of link {link}"));
        let half = half && self.keeps_fault(|| format!("half-close of link {link} dir {dir}"));
        let stall = stall.filter(|until| {
            self.keeps_fault(|| format!("stall of link {link} dir {dir} until {until:?}"))
        });
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let mut flipped = None;
        let mut covered = false;
        if let Some(bit) = flip {
            if let Some(b) = piece.data.get_mut((bit / 8) as usize) {
                *b ^= 1 << (bit % 8);
            }
            l.flips += 1;
            flipped = Some(bit);
            // The PDU the flipped byte belongs to: the receiver must find
            // the flip once it has that PDU whole, if a digest covers it.
            let at = piece.offset + bit / 8;
            let p = &mut l.pipes[dir];
            while p.pdus.front().is_some_and(|s| s.end <= piece.offset) {
                p.pdus.pop_front();
            }
            if let Some(span) = p.pdus.iter().find(|s| s.start <= at && at < s.end) {
                covered = span.covered(at, hd, dd);
                let by = span.check_by(at);
                // A flip inside the PDU of an earlier flip, or inside the
                // bytes an earlier flipped TotalAHSLength makes the receiver
                // read as one header, is found by the same digest check.
                match p.flipped.iter_mut().find(|f| f.0 == span.end || f.1 > at) {
                    Some(f) => f.1 = f.1.max(by),
                    None if covered => p.flipped.push((span.end, by)),
                    None => {}
                }
            }
        }
        l.pipes[dir].delivered += piece.data.len() as u64;
        let closed = l.pipes[dir].closed;
        let (ini, gen) = (l.ini, l.target_gen);
        if let Some(until) = stall {
            l.stall(dir, until);
        }
        if let Some(bit) = flipped {
            self.stats.flips += 1;
            if !covered {
                self.unprotected = true;
                self.notes.push(format!(
                    "bit flip on link {link} at stream byte {} with digests off",
                    piece.offset + bit / 8
                ));
            }
            self.trace
                .record(self.now, HostId::Sim, "bit-flip", &[], || {
                    format!("link {link} dir {dir} bit {bit}")
                });
        }
        if let Some(p) = self.pcap.as_mut() {
            p.segment(
                self.now,
                link,
                ini,
                dir,
                piece.offset,
                &piece.data,
                piece.fin,
            );
        }
        let host = if dir == UP {
            HostId::Target
        } else {
            HostId::Initiator(ini)
        };
        let len = piece.data.len();
        let fin = piece.fin;
        self.trace.record(self.now, host, "rx", &piece.data, || {
            format!("link {link} {len} bytes{}", if fin { " FIN" } else { "" })
        });
        let mut handed = false;
        if !closed {
            let now = self.instant();
            if dir == UP {
                if self.target.gen == gen {
                    if !piece.data.is_empty() {
                        handed = true;
                        self.target.handle_bytes(link, now, &piece.data);
                    }
                    if piece.fin {
                        // rtgtd ends the session at end of stream and
                        // closes its socket: the initiator gets a FIN too.
                        self.target.handle_closed(link, now);
                        if let Some(l) = self.links.get_mut(&link) {
                            l.pipes[UP].closed = true;
                        }
                        self.send_fin(link, DOWN);
                    }
                }
            } else if self.inis[ini].link == Some(link) {
                if let Some(c) = self.inis[ini].core.as_mut() {
                    if !piece.data.is_empty() {
                        handed = true;
                        c.handle_bytes(now, &piece.data);
                    }
                    if piece.fin {
                        c.close_local();
                    }
                }
            }
        }
        self.account_flips(link, dir, handed);
        if reset {
            self.reset_link(link);
            return;
        }
        if half {
            self.trace
                .record(self.now, HostId::Sim, "half-close", &[], || {
                    format!("link {link} dir {dir}")
                });
            self.send_fin(link, dir);
        }
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if !l.pipes[dir].queue.is_empty() && !l.pipes[dir].scheduled {
            l.pipes[dir].scheduled = true;
            self.schedule_delivery(link, dir);
        }
    }

    /// Resets a link: both ends learn after a latency.
    pub(crate) fn reset_link(&mut self, link: u64) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if l.reset {
            return;
        }
        l.reset = true;
        for p in &mut l.pipes {
            p.queue.clear();
        }
        self.stats.resets += 1;
        self.trace.record(self.now, HostId::Sim, "reset", &[], || {
            format!("link {link}")
        });
        let lat = Duration::from_micros(self.p.net.latency_us);
        self.at(self.now + lat, Ev::RstNotice { link, dir: UP });
        self.at(self.now + lat, Ev::RstNotice { link, dir: DOWN });
    }

    pub(super) fn rst_notice(&mut self, link: u64, dir: usize) {
        let Some(l) = self.links.get(&link) else {
            return;
        };
        let (ini, gen) = (l.ini, l.target_gen);
        let now = self.instant();
        if dir == UP {
            if self.target.gen == gen {
                self.target.handle_closed(link, now);
            }
        } else if self.inis[ini].link == Some(link) {
            if let Some(c) = self.inis[ini].core.as_mut() {
                c.close_local();
            }
        }
    }

    /// After a piece reached (`handed`) or missed its receiver: each
    /// flipped PDU now delivered whole is owed a digest error.
    fn account_flips(&mut self, link: u64, dir: usize, handed: bool) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let p = &mut l.pipes[dir];
        if p.flipped.is_empty() {
            return;
        }
        if !handed {
            p.flipped.clear();
            return;
        }
        let d = p.delivered;
        let before = p.flipped.len();
        p.flipped.retain(|&(_, by)| by > d);
        let whole = (before - p.flipped.len()) as u32;
        if whole > 0 {
            p.owed += whole;
            self.flips_owed = true;
        }
    }

    /// A receiver reported a digest error on `link` (`dir`: what it
    /// received).
    pub(crate) fn digest_error_seen(&mut self, link: u64, dir: usize) {
        if let Some(l) = self.links.get_mut(&link) {
            l.pipes[dir].paid += 1;
        }
    }

    /// Every flip a negotiated digest covers must be reported by its
    /// receiver as a digest error (RFC 7143 §7.8) once it has the PDU
    /// whole, unless it closed the connection first.
    pub(crate) fn check_flips(&mut self) {
        if !std::mem::take(&mut self.flips_owed) {
            return;
        }
        let mut missed = Vec::new();
        for l in self.links.values_mut() {
            for (dir, p) in l.pipes.iter_mut().enumerate() {
                let owed = std::mem::take(&mut p.owed);
                let paid = std::mem::take(&mut p.paid);
                if owed > paid && !p.closed && !l.reset {
                    missed.push((l.id, dir, owed - paid));
                }
            }
        }
        for (link, dir, n) in missed {
            let to = if dir == UP { "target" } else { "initiator" };
            self.fail(format!(
                "digest detection: link {link}: {n} PDU(s) to the {to} with a flipped bit a negotiated digest covers were accepted without a digest error"
            ));
        }
    }
}

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
        let fully = self.p.fully_digested();
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
        let mut flipped = None;
        if faulty && protected && !piece.data.is_empty() && rng.chance(f.p_flip) {
            let bit = rng.below(piece.data.len() as u64 * 8);
            if let Some(b) = piece.data.get_mut((bit / 8) as usize) {
                *b ^= 1 << (bit % 8);
            }
            l.flips += 1;
            flipped = Some(bit);
        }
        let reset = faulty && rng.chance(f.p_reset);
        let half = faulty && rng.chance(f.p_half_close);
        let stall = (faulty && rng.chance(f.p_stall))
            .then(|| self.now + Duration::from_millis(rng.range(1, f.stall_ms)));
        l.pipes[dir].delivered += piece.data.len() as u64;
        let closed = l.pipes[dir].closed;
        let (ini, gen) = (l.ini, l.target_gen);
        if let Some(until) = stall {
            l.stall(dir, until);
        }
        if let Some(bit) = flipped {
            self.stats.flips += 1;
            if !fully {
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
        if !closed {
            let now = self.instant();
            if dir == UP {
                if self.target.gen == gen {
                    if !piece.data.is_empty() {
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
                        c.handle_bytes(now, &piece.data);
                    }
                    if piece.fin {
                        c.close_local();
                    }
                }
            }
        }
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
}

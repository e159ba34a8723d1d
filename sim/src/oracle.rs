//! The data oracle: what each block may hold, given every write the
//! initiators issued, how each ended, every flush and every crash.
//!
//! Each written block carries its own identity: a token naming the write
//! and the LBA it was meant for, followed by a fill derived from both, so a
//! read shows which write left each block there (a block of zeros is token
//! 0: never written, or unmapped).
//!
//! Times here are sequence numbers of the simulation's steps (strictly
//! increasing), so "before" never ties.
//!
//! A write W may be what a read R of block b returns when W was submitted
//! before R completed and W was not certainly overwritten before R was
//! submitted. W is certainly overwritten at time t by a write W2 of b that
//! the target acknowledged with GOOD (a definite write), submitted after W
//! ended and completed before t, unless a target crash came between W2's
//! completion and t while W2 was not yet durable. A write is durable from
//! its GOOD status when it had FUA, or from the GOOD status of a
//! SYNCHRONIZE CACHE submitted after it ended. A write that failed, was
//! aborted, or whose session died is "maybe": it may or may not be on the
//! medium, and it ends (cannot land later) at the earliest of its answer,
//! a target crash, or its initiator's next login (session reinstatement
//! ends the old session's tasks).

use std::collections::BTreeMap;

use crate::trace::HostId;

/// Block size of every simulated LUN.
pub const BLOCK: usize = 512;

/// "Not yet": an end or durability time that has not happened.
pub const NEVER: u64 = u64::MAX;

/// The token of an unmap on a LUN that reports LBPRZ zero: an unmapped
/// block may read as anything (no write's token is this).
pub const ANY: u64 = u64::MAX;

/// The contents of block `lba` as written by the write with `token`.
pub fn block_pattern(token: u64, lba: u64) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    if token == 0 {
        return b;
    }
    b[..8].copy_from_slice(&token.to_be_bytes());
    b[8..16].copy_from_slice(&lba.to_be_bytes());
    let mut x = token ^ lba.rotate_left(29) ^ 0x5bd1_e995;
    for chunk in b[16..].chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = x.to_le_bytes();
        let n = chunk.len();
        chunk.copy_from_slice(&v[..n]);
    }
    b
}

/// Reads the token and intended LBA out of a block; `None` when the block
/// is neither zero nor an intact pattern (torn inside a block, corrupted).
pub fn decode_block(b: &[u8]) -> Option<(u64, u64)> {
    if b.iter().all(|&x| x == 0) {
        return Some((0, 0));
    }
    let token = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
    let lba = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
    (block_pattern(token, lba)[..] == *b).then_some((token, lba))
}

/// Each block of `data`, read from `lba` on: its LBA and what it decodes
/// to ([`decode_block`]).
pub fn blocks_of(lba: u64, data: &[u8]) -> impl Iterator<Item = (u64, Option<(u64, u64)>)> + '_ {
    data.chunks(BLOCK)
        .enumerate()
        .map(move |(k, b)| (lba + k as u64, decode_block(b)))
}

/// What a GOOD read (or the compare of a GOOD COMPARE AND WRITE) found
/// in the blocks from `lba` of `lun`, submitted at `submit` and completed
/// at `end`.
#[derive(Debug, Clone, Copy)]
pub struct ReadBack<'a> {
    pub lun: u16,
    pub lba: u64,
    pub data: &'a [u8],
    pub submit: u64,
    pub end: u64,
}

/// One write (or unmap, token 0) of some blocks.
#[derive(Debug, Clone)]
pub struct WriteRec {
    pub token: u64,
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
    pub who: HostId,
    pub submit: u64,
    pub end: u64,
    pub definite: bool,
    pub durable: u64,
    pub fua: bool,
    /// A block of it went elsewhere: it is not a definite overwrite.
    pub misdirected: bool,
    /// It certainly did not happen (a COMPARE AND WRITE that miscompared).
    pub void: bool,
}

/// A block a misdirected write moved: (token, intended lba, time).
type Moved = (u64, u64, u64);

/// The oracle: every write by block.
#[derive(Debug, Default)]
pub struct Oracle {
    recs: Vec<WriteRec>,
    by_block: BTreeMap<(u16, u64), Vec<usize>>,
    /// Records not yet durable, by LUN, for flushes to promote.
    volatile: BTreeMap<u16, Vec<usize>>,
    crashes: Vec<u64>,
    /// Blocks a misdirected write put somewhere else: (lun, actual lba) ->
    /// (token, intended lba, time).
    misdirected: BTreeMap<(u16, u64), Vec<Moved>>,
    /// LUNs whose READ CAPACITY (16) reports LBPRZ zero.
    lbprz_zero: Vec<u16>,
}

/// A read or compare that returned something no write could have left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub lun: u16,
    pub lba: u64,
    pub found: Option<u64>,
    pub candidates: Vec<u64>,
    /// A candidate was excluded only because a durable write overwrote it
    /// before a crash: the durability promise was broken.
    pub durability: bool,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let found = match self.found {
            Some(t) => format!("{t:#x}"),
            None => "a corrupted block".into(),
        };
        write!(
            f,
            "lun {} lba {}: read {} but only {:x?} could be there{}",
            self.lun,
            self.lba,
            found,
            self.candidates,
            if self.durability {
                " (a durable write was lost at a crash)"
            } else {
                ""
            }
        )
    }
}

impl Oracle {
    /// A write was submitted; returns its record index.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_write(
        &mut self,
        token: u64,
        lun: u16,
        lba: u64,
        blocks: u64,
        fua: bool,
        who: HostId,
        now: u64,
    ) -> usize {
        let i = self.recs.len();
        self.recs.push(WriteRec {
            token,
            lun,
            lba,
            blocks,
            who,
            submit: now,
            end: NEVER,
            definite: false,
            durable: NEVER,
            fua,
            misdirected: false,
            void: false,
        });
        for b in lba..lba + blocks {
            self.by_block.entry((lun, b)).or_default().push(i);
        }
        self.volatile.entry(lun).or_default().push(i);
        i
    }

    /// The write was acknowledged with GOOD.
    pub fn write_good(&mut self, i: usize, now: u64) {
        if let Some(r) = self.recs.get_mut(i) {
            r.end = r.end.min(now);
            r.definite = !r.misdirected;
            if r.fua {
                r.durable = now;
            }
        }
    }

    /// The write ended without GOOD (error, abort, lost session): maybe on
    /// the medium. `now` is NEVER when its end is not known yet.
    pub fn write_maybe(&mut self, i: usize, now: u64) {
        if let Some(r) = self.recs.get_mut(i) {
            r.end = r.end.min(now);
        }
    }

    /// A write that certainly did not happen: a COMPARE AND WRITE answered
    /// MISCOMPARE (SBC-4 §5.3: the write is not performed).
    pub fn void(&mut self, i: usize, now: u64) {
        if let Some(r) = self.recs.get_mut(i) {
            r.end = r.end.min(now);
            r.void = true;
            r.definite = false;
        }
    }

    /// LUN `lun` reports `lbprz` in its READ CAPACITY (16) data.
    pub fn set_lbprz(&mut self, lun: u16, lbprz: bool) {
        self.lbprz_zero.retain(|&l| l != lun);
        if !lbprz {
            self.lbprz_zero.push(lun);
        }
    }

    /// The token an unmap of `lun` leaves: zeros with LBPRZ one, anything
    /// with LBPRZ zero (SBC-4 §4.7.4.5).
    pub fn unmap_token(&self, lun: u16) -> u64 {
        if self.lbprz_zero.contains(&lun) {
            ANY
        } else {
            0
        }
    }

    /// A target crash at or after `from` and before `to`.
    pub fn crash_in(&self, from: u64, to: u64) -> bool {
        self.crashes.iter().any(|&c| c >= from && c < to)
    }

    /// The records of block `lba` that may have happened.
    pub fn records(&self, lun: u16, lba: u64) -> impl Iterator<Item = &WriteRec> {
        self.by_block
            .get(&(lun, lba))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.recs.get(i))
            .filter(|r| !r.void)
    }

    /// The first submission and last end of the writes of `token` at block
    /// `lba` (zeros: the initial contents at time 0 and every unmap).
    pub fn span(&self, lun: u16, lba: u64, token: u64) -> Option<(u64, u64)> {
        let init = (token == 0).then_some((0, 0));
        self.records(lun, lba)
            .filter(|r| r.token == token)
            .map(|r| (r.submit, r.end))
            .chain(init)
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    }

    /// [`Oracle::span`] of every token of block `lba` at once.
    pub fn spans(&self, lun: u16, lba: u64) -> BTreeMap<u64, (u64, u64)> {
        let mut out = BTreeMap::from([(0, (0, 0))]);
        for r in self.records(lun, lba) {
            out.entry(r.token)
                .and_modify(|s: &mut (u64, u64)| *s = (s.0.min(r.submit), s.1.max(r.end)))
                .or_insert((r.submit, r.end));
        }
        out
    }

    /// `token` was written at block `lba` only by writes that did not happen.
    pub fn only_void(&self, lun: u16, lba: u64, token: u64) -> bool {
        token != 0
            && self.span(lun, lba, token).is_none()
            && self
                .by_block
                .get(&(lun, lba))
                .into_iter()
                .flatten()
                .filter_map(|&i| self.recs.get(i))
                .any(|r| r.void && r.token == token)
    }

    /// A misdirected block may have landed on block `lba`.
    pub fn foreign(&self, lun: u16, lba: u64) -> bool {
        self.misdirected.contains_key(&(lun, lba))
    }

    /// An initiator logged in again: its old session's tasks are over.
    pub fn reinstated(&mut self, who: HostId, now: u64) {
        for r in self.recs.iter_mut().filter(|r| r.who == who) {
            r.end = r.end.min(now);
        }
    }

    /// The target crashed: nothing of before can land afterwards. A write
    /// whose end is the crash itself (in flight, or acknowledged in a
    /// response still on the wire) may be lost by it unless durable.
    pub fn crash(&mut self, now: u64) {
        for r in &mut self.recs {
            r.end = r.end.min(now);
        }
        self.crashes.push(now);
    }

    /// A SYNCHRONIZE CACHE submitted at `submit` was acknowledged at `now`.
    pub fn flushed(&mut self, lun: u16, submit: u64, now: u64) {
        let recs = &mut self.recs;
        if let Some(v) = self.volatile.get_mut(&lun) {
            v.retain(|&i| match recs.get_mut(i) {
                Some(r) if r.end < submit => {
                    r.durable = r.durable.min(now);
                    false
                }
                Some(r) => r.durable == NEVER,
                None => false,
            });
        }
    }

    /// The simulated disk put block `intended` of write `token` at `actual`.
    pub fn misdirected(&mut self, lun: u16, token: u64, intended: u64, actual: u64, now: u64) {
        self.misdirected
            .entry((lun, actual))
            .or_default()
            .push((token, intended, now));
        // The intended block may keep its old contents: the write is no
        // longer a definite overwrite of it.
        if let Some(v) = self.by_block.get(&(lun, intended)) {
            for &i in v {
                if let Some(r) = self.recs.get_mut(i) {
                    if r.token == token {
                        r.definite = false;
                        r.misdirected = true;
                    }
                }
            }
        }
    }

    /// The tokens block `lba` may hold for a read submitted at `submit` and
    /// completed at `end` (0: zeros, never written or unmapped).
    pub fn candidates(&self, lun: u16, lba: u64, submit: u64, end: u64) -> Vec<u64> {
        // A value is out when a write that `overwritten` counts was
        // submitted after it ended; whether a write counts does not depend
        // on the value, so the latest submission of those decides for all
        // (one pass instead of one per record).
        let barrier = self
            .records(lun, lba)
            .filter(|w2| {
                w2.definite
                    && w2.end < submit
                    && self
                        .crashes
                        .iter()
                        .all(|&c| c < w2.end || c >= submit || w2.durable < c)
            })
            .map(|w2| w2.submit)
            .max();
        let overwritten = |w_end: u64| barrier.is_some_and(|b| b > w_end);
        let mut out = Vec::new();
        if !overwritten(0) {
            out.push(0);
        }
        for w in self.records(lun, lba) {
            if w.submit < end && !overwritten(w.end) {
                out.push(w.token);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Checks the data of a GOOD read of `blocks` blocks at `lba`.
    pub fn check_read(&self, r: &ReadBack) -> Result<(), Mismatch> {
        let (lun, submit, end) = (r.lun, r.submit, r.end);
        for (at, decoded) in blocks_of(r.lba, r.data) {
            let candidates = self.candidates(lun, at, submit, end);
            let ok = candidates.contains(&ANY)
                || match decoded {
                    Some((0, _)) => candidates.contains(&0),
                    Some((token, intended)) if intended == at => candidates.contains(&token),
                    Some((token, intended)) => self
                        .misdirected
                        .get(&(lun, at))
                        .is_some_and(|v| v.iter().any(|&(t, i, _)| t == token && i == intended)),
                    None => false,
                };
            if !ok {
                let found = decoded.map(|(t, _)| t);
                return Err(Mismatch {
                    lun,
                    lba: at,
                    found,
                    candidates,
                    durability: found.is_some_and(|f| self.lost_by_crash(lun, at, f, submit, end)),
                });
            }
        }
        Ok(())
    }

    /// True when `token` at `lba` is excluded only because some durable
    /// write overwrote it (a crash should not have brought it back).
    fn lost_by_crash(&self, lun: u16, lba: u64, token: u64, submit: u64, end: u64) -> bool {
        if self.crashes.is_empty() {
            return false;
        }
        let ends: Vec<u64> = if token == 0 {
            vec![0]
        } else {
            self.by_block
                .get(&(lun, lba))
                .map(|v| {
                    v.iter()
                        .filter_map(|&i| self.recs.get(i))
                        .filter(|w| w.token == token && w.submit < end)
                        .map(|w| w.end)
                        .collect()
                })
                .unwrap_or_default()
        };
        // Old data came back after a crash: a write that overwrote it was
        // durable before that crash.
        let Some(v) = self.by_block.get(&(lun, lba)) else {
            return false;
        };
        ends.iter().any(|&e| {
            v.iter().filter_map(|&i| self.recs.get(i)).any(|w2| {
                w2.definite
                    && w2.submit > e
                    && w2.end < submit
                    && self
                        .crashes
                        .iter()
                        .any(|&c| c >= w2.end && c < submit && w2.durable < c)
            })
        })
    }

    /// Number of write records.
    pub fn writes(&self) -> usize {
        self.recs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I0: HostId = HostId::Initiator(0);

    fn check(o: &Oracle, lba: u64, data: &[u8], s: u64, e: u64) -> Result<(), Mismatch> {
        let (lun, submit, end) = (0, s, e);
        o.check_read(&ReadBack {
            lun,
            lba,
            data,
            submit,
            end,
        })
    }

    fn read(o: &Oracle, lba: u64, token: u64, submit: u64, end: u64) -> Result<(), Mismatch> {
        check(o, lba, &block_pattern(token, lba), submit, end)
    }

    #[test]
    fn pattern_round_trip() {
        assert_eq!(decode_block(&block_pattern(7, 9)), Some((7, 9)));
        assert_eq!(decode_block(&[0u8; BLOCK]), Some((0, 0)));
        let mut b = block_pattern(7, 9);
        b[100] ^= 1;
        assert_eq!(decode_block(&b), None);
    }

    #[test]
    fn acknowledged_write_hides_older_values() {
        let mut o = Oracle::default();
        let w = o.submit_write(5, 0, 10, 2, false, I0, 1);
        // In flight: old or new.
        assert!(read(&o, 10, 0, 2, 3).is_ok());
        assert!(read(&o, 10, 5, 2, 3).is_ok());
        o.write_good(w, 4);
        assert!(read(&o, 11, 5, 5, 6).is_ok());
        assert!(read(&o, 11, 0, 5, 6).is_err());
        // A crash may lose it (not durable).
        o.crash(7);
        assert!(read(&o, 11, 0, 8, 9).is_ok());
    }

    #[test]
    fn durable_write_survives_a_crash() {
        let mut o = Oracle::default();
        let w = o.submit_write(5, 0, 10, 1, true, I0, 1);
        o.write_good(w, 2);
        o.crash(3);
        let e = read(&o, 10, 0, 4, 5).unwrap_err();
        assert!(e.durability);
        assert!(read(&o, 10, 5, 4, 5).is_ok());
        // Flushed after the fact, too.
        let w2 = o.submit_write(6, 0, 20, 1, false, I0, 6);
        o.write_good(w2, 7);
        o.flushed(0, 8, 9);
        o.crash(10);
        assert!(read(&o, 20, 0, 11, 12).is_err());
        // A flush submitted before the write ended does not cover it.
        let w3 = o.submit_write(7, 0, 30, 1, false, I0, 13);
        o.flushed(0, 14, 16);
        o.write_good(w3, 15);
        o.crash(17);
        assert!(read(&o, 30, 0, 18, 19).is_ok());
    }

    #[test]
    fn write_acknowledged_across_a_crash_may_be_lost() {
        // GOOD left the target before the crash, arrived after it: the
        // write sat in the volatile cache and may be gone.
        let mut o = Oracle::default();
        let w = o.submit_write(5, 0, 1, 1, false, I0, 1);
        o.crash(2);
        o.write_good(w, 3);
        assert!(read(&o, 1, 0, 4, 5).is_ok());
        assert!(read(&o, 1, 5, 4, 5).is_ok());
    }

    #[test]
    fn maybe_writes_stay_possible_until_overwritten() {
        let mut o = Oracle::default();
        let w = o.submit_write(5, 0, 1, 1, false, I0, 1);
        o.write_maybe(w, NEVER);
        assert!(read(&o, 1, 5, 2, 3).is_ok());
        assert!(read(&o, 1, 0, 2, 3).is_ok());
        o.reinstated(I0, 4);
        let w2 = o.submit_write(6, 0, 1, 1, false, I0, 5);
        o.write_good(w2, 6);
        assert!(read(&o, 1, 5, 7, 8).is_err());
        assert!(read(&o, 1, 6, 7, 8).is_ok());
        // Another token, never written here.
        assert!(read(&o, 1, 99, 7, 8).is_err());
    }

    #[test]
    fn misdirected_blocks_are_accounted() {
        let mut o = Oracle::default();
        let w = o.submit_write(5, 0, 1, 1, false, I0, 1);
        o.misdirected(0, 5, 1, 40, 2);
        o.write_good(w, 3);
        assert!(read(&o, 1, 0, 4, 5).is_ok());
        assert!(check(&o, 40, &block_pattern(5, 1), 4, 5).is_ok());
        assert!(check(&o, 41, &block_pattern(5, 1), 4, 5).is_err());
    }
}

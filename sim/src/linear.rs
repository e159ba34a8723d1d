//! The linearizability oracle: per block, the values a read may return
//! given what earlier reads and COMPARE AND WRITEs saw, on top of the
//! write-based [`Oracle`](crate::oracle::Oracle).
//!
//! Each block is a register whose values are unique tokens. The base
//! oracle gives the candidates from the writes alone (a value is out once a
//! write acknowledged with GOOD, submitted after it ended, completed before
//! the read was submitted). Here, every GOOD read and every GOOD compare is
//! an observation that shrinks the set as well, at once rather than at the
//! next login:
//!
//! - **Observation.** A read or compare E saw value X at block b during
//!   `[E.submit, E.end]`. A later read R (submitted after E ended) may
//!   return Y ≠ X only if Y could follow X in some order of the writes:
//!   Y is out when every write of Y ended before E was submitted (Y, failed
//!   or aborted or acknowledged, had its chance and E saw something else)
//!   or before the first write of X was submitted (X overwrote Y). A target
//!   crash between E's submission and R's may roll a volatile X back, so it
//!   lifts the rule.
//! - **COMPARE AND WRITE** (SBC-4 §5.3: the compare and the write are one
//!   uninterrupted operation). A GOOD CAW C that compared E is an
//!   observation of E; a read that sees C fails when a write W acknowledged
//!   with GOOD before the read, concurrent with C, came after E (every write
//!   of E ended before W was submitted): W cannot precede C (C's compare
//!   would have seen W or later) nor follow it (the read would see W or
//!   later). A MISCOMPARE means the write did not happen (its token may
//!   never be read) and that some legal value other than the expected one
//!   was there: it fails when the expected value was the only candidate.
//! - **Unmapped blocks** read as the LBPRZ value the LUN reports (zeros
//!   with LBPRZ one, see [`Oracle::unmap_token`]); a block whose
//!   candidates include an unmap under LBPRZ zero is not judged here.
//!
//! Blocks that a misdirected write may have reached, and blocks that
//! decode to no intact pattern, are left to the base oracle.

use std::collections::BTreeMap;

use crate::oracle::{blocks_of, Oracle, ReadBack, ANY};

/// What a read or compare saw at one block.
#[derive(Debug, Clone, Copy)]
struct Obs {
    token: u64,
    submit: u64,
    end: u64,
}

/// A COMPARE AND WRITE answered GOOD.
#[derive(Debug, Clone, Copy)]
struct Caw {
    token: u64,
    expect: u64,
    submit: u64,
    end: u64,
}

/// The blocks of `r` judged here, with the token each holds: intact
/// patterns of their own LBA, or zeros, where no misdirected block may be.
fn judged<'a>(o: &'a Oracle, r: &'a ReadBack) -> impl Iterator<Item = (u64, u64)> + 'a {
    blocks_of(r.lba, r.data).filter_map(move |(at, decoded)| {
        let (token, intended) = decoded?;
        ((token == 0 || intended == at) && !o.foreign(r.lun, at)).then_some((at, token))
    })
}

/// The observations of every block.
#[derive(Debug, Default)]
pub struct Linear {
    obs: BTreeMap<(u16, u64), Vec<Obs>>,
    caws: BTreeMap<(u16, u64), Vec<Caw>>,
}

impl Linear {
    /// Why `token` cannot be what a read of block `lba` submitted at
    /// `submit` returns, given the observations before it.
    fn excluded(&self, o: &Oracle, lun: u16, lba: u64, token: u64, submit: u64) -> Option<String> {
        let spans = o.spans(lun, lba);
        let &(_, last_end) = spans.get(&token)?;
        let seen = self.obs.get(&(lun, lba)).into_iter().flatten();
        for e in seen.filter(|e| e.end < submit && e.token != token) {
            let x_first = spans.get(&e.token).map_or(0, |s| s.0);
            if last_end < e.submit.max(x_first) && !o.crash_in(e.submit, submit) {
                return Some(format!(
                    "an observation at [{}, {}] saw {:#x}, and every write of {token:#x} ended at {last_end} before it{}",
                    e.submit,
                    e.end,
                    e.token,
                    if last_end < x_first { " or before that value was written" } else { "" }
                ));
            }
        }
        None
    }

    /// A CAW C read back although a write acknowledged before the read
    /// must come after it.
    fn caw_torn(&self, o: &Oracle, lun: u16, lba: u64, token: u64, submit: u64) -> Option<String> {
        let caws = self.caws.get(&(lun, lba)).into_iter().flatten();
        for c in caws.filter(|c| c.token == token) {
            let e_last = o.span(lun, lba, c.expect).map_or(0, |s| s.1);
            let w = o.records(lun, lba).find(|w| {
                w.definite
                    && w.token != c.token
                    && w.token != c.expect
                    && w.end < submit
                    && w.end > c.submit
                    && w.submit < c.end
                    && e_last < w.submit
                    && !o.crash_in(w.submit.min(c.submit), submit)
            });
            if let Some(w) = w {
                return Some(format!(
                    "COMPARE AND WRITE atomicity: lun {lun} lba {lba}: read {token:#x}, written at [{}, {}] by a COMPARE AND WRITE that matched {:#x}, but the write of {:#x} at [{}, {}] came after {:#x} and before this read",
                    c.submit, c.end, c.expect, w.token, w.submit, w.end, c.expect
                ));
            }
        }
        None
    }

    /// Checks the data of a GOOD read (or the compared data of a GOOD
    /// COMPARE AND WRITE) of the blocks from `lba`.
    pub fn check_read(&self, o: &Oracle, r: &ReadBack) -> Result<(), String> {
        let (lun, submit, end) = (r.lun, r.submit, r.end);
        for (at, token) in judged(o, r) {
            if o.only_void(lun, at, token) {
                return Err(format!(
                    "linearizability: lun {lun} lba {at}: read {token:#x}, which only a COMPARE AND WRITE answered MISCOMPARE wrote"
                ));
            }
            let candidates = o.candidates(lun, at, submit, end);
            if candidates.contains(&ANY) || !candidates.contains(&token) {
                continue;
            }
            if let Some(why) = self.excluded(o, lun, at, token, submit) {
                return Err(format!(
                    "linearizability: lun {lun} lba {at}: read {token:#x} at [{submit}, {end}], but {why}"
                ));
            }
            if let Some(why) = self.caw_torn(o, lun, at, token, submit) {
                return Err(why);
            }
        }
        Ok(())
    }

    /// Records what a GOOD read (or compare) saw.
    pub fn observe(&mut self, o: &Oracle, r: &ReadBack) {
        for (at, token) in judged(o, r) {
            if o.unmap_token(r.lun) == ANY
                && o.candidates(r.lun, at, r.submit, r.end).contains(&ANY)
            {
                continue;
            }
            let (submit, end) = (r.submit, r.end);
            self.obs
                .entry((r.lun, at))
                .or_default()
                .push(Obs { token, submit, end });
        }
    }

    /// A COMPARE AND WRITE of block `lba` that expected `expect` and wrote
    /// `token` was answered GOOD. Fails when another GOOD one matched the
    /// same value and no write of that value could have come between
    /// them: one of the two should have seen the other's write.
    #[allow(clippy::too_many_arguments)]
    pub fn caw_good(
        &mut self,
        o: &Oracle,
        lun: u16,
        lba: u64,
        token: u64,
        expect: u64,
        submit: u64,
        end: u64,
    ) -> Result<(), String> {
        let e_last = o.span(lun, lba, expect).map_or(0, |s| s.1);
        let twin = self.caws.get(&(lun, lba)).into_iter().flatten().find(|c| {
            let first = c.submit.min(submit);
            c.expect == expect
                && c.token != token
                && e_last < first
                && !o.crash_in(first, end)
                && !o.foreign(lun, lba)
                && o.records(lun, lba)
                    .any(|r| r.token == c.token && r.definite)
        });
        let out = match twin {
            Some(c) => Err(format!(
                "COMPARE AND WRITE atomicity: lun {lun} lba {lba}: GOOD at [{submit}, {end}] and at [{}, {}] (wrote {:#x}), both matching {expect:#x}, which no write restored between them",
                c.submit, c.end, c.token
            )),
            None => Ok(()),
        };
        self.caws.entry((lun, lba)).or_default().push(Caw {
            token,
            expect,
            submit,
            end,
        });
        out
    }

    /// A COMPARE AND WRITE of block `lba` that expected `expect` was
    /// answered MISCOMPARE (its write already voided in the oracle): fails
    /// when `expect` was the only value the block could hold.
    pub fn check_miscompare(
        &self,
        o: &Oracle,
        lun: u16,
        lba: u64,
        expect: u64,
        submit: u64,
        end: u64,
    ) -> Result<(), String> {
        if o.foreign(lun, lba) {
            return Ok(());
        }
        let legal: Vec<u64> = o
            .candidates(lun, lba, submit, end)
            .into_iter()
            .filter(|&t| t == ANY || self.excluded(o, lun, lba, t, submit).is_none())
            .collect();
        if legal == [expect] {
            return Err(format!(
                "COMPARE AND WRITE miscompare: lun {lun} lba {lba}: MISCOMPARE at [{submit}, {end}] though only {expect:#x}, the expected value, could be there"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::{block_pattern, NEVER};
    use crate::trace::HostId;

    const I0: HostId = HostId::Initiator(0);
    const I1: HostId = HostId::Initiator(1);

    fn at(lun: u16, lba: u64, data: &[u8], submit: u64, end: u64) -> ReadBack<'_> {
        ReadBack {
            lun,
            lba,
            data,
            submit,
            end,
        }
    }

    fn read(l: &mut Linear, o: &Oracle, lba: u64, token: u64, s: u64, e: u64) -> bool {
        let data = block_pattern(token, lba);
        let r = at(0, lba, &data, s, e);
        let ok = o.check_read(&r).is_ok() && l.check_read(o, &r).is_ok();
        if ok {
            l.observe(o, &r);
        }
        ok
    }

    /// A write of `token` at block `lba` of LUN 0 over `[submit, end]`,
    /// acknowledged with GOOD.
    fn acked(o: &mut Oracle, token: u64, lba: u64, who: HostId, span: (u64, u64)) {
        let w = o.submit_write(token, 0, lba, 1, false, who, span.0);
        o.write_good(w, span.1);
    }

    /// A target crash at `t`, then a read of `token` at block 1.
    fn crash_then_read(l: &mut Linear, o: &mut Oracle, token: u64, t: u64) -> bool {
        o.crash(t);
        read(l, o, 1, token, t + 1, t + 2)
    }

    #[test]
    fn a_read_fixes_the_order_of_concurrent_writes() {
        let (mut o, mut l) = (Oracle::default(), Linear::default());
        let w = o.submit_write(5, 0, 1, 1, false, I0, 1);
        o.write_good(w, 2);
        let w2 = o.submit_write(6, 0, 1, 1, false, I1, 3);
        // W2 in flight: a read sees it, a later read may not go back.
        assert!(read(&mut l, &o, 1, 6, 4, 5));
        assert!(!read(&mut l, &o, 1, 5, 6, 7));
        assert!(read(&mut l, &o, 1, 6, 6, 7));
        o.write_maybe(w2, 8);
        // A crash may roll the unflushed W2 back.
        assert!(crash_then_read(&mut l, &mut o, 5, 9));
    }

    #[test]
    fn a_failed_write_not_seen_stays_out() {
        let (mut o, mut l) = (Oracle::default(), Linear::default());
        let w = o.submit_write(5, 0, 1, 1, false, I0, 1);
        o.write_maybe(w, 2);
        assert!(read(&mut l, &o, 1, 0, 3, 4));
        // The failed write had its chance: it may not appear later.
        assert!(!read(&mut l, &o, 1, 5, 5, 6));
        // Its end not known (session lost): it may still land.
        let w2 = o.submit_write(7, 0, 2, 1, false, I0, 7);
        o.write_maybe(w2, NEVER);
        assert!(read(&mut l, &o, 2, 0, 8, 9));
        assert!(read(&mut l, &o, 2, 7, 10, 11));
    }

    #[test]
    fn miscompare_writes_nothing_and_needs_another_value() {
        let (mut o, l) = (Oracle::default(), Linear::default());
        let c = o.submit_write(5, 0, 1, 1, false, I0, 1);
        o.void(c, 2);
        // Only zeros could be there, and zeros were expected.
        assert!(l.check_miscompare(&o, 0, 1, 0, 1, 2).is_err());
        assert!(l.check_miscompare(&o, 0, 1, 9, 1, 2).is_ok());
        let data = block_pattern(5, 1);
        assert!(l.check_read(&o, &at(0, 1, &data, 3, 4)).is_err());
        // A concurrent write makes the miscompare legal.
        let w = o.submit_write(6, 0, 2, 1, false, I1, 5);
        let c2 = o.submit_write(7, 0, 2, 1, false, I0, 6);
        o.void(c2, 7);
        assert!(l.check_miscompare(&o, 0, 2, 0, 6, 7).is_ok());
        o.write_good(w, 8);
    }

    #[test]
    fn a_write_between_compare_and_write_is_caught() {
        let (mut o, mut l) = (Oracle::default(), Linear::default());
        // C compares zeros and writes 5; W (6) runs concurrently and is
        // acknowledged; reading 5 afterwards means W slipped in between.
        acked(&mut o, 6, 1, I1, (2, 3));
        acked(&mut o, 5, 1, I0, (1, 4));
        assert!(l.caw_good(&o, 0, 1, 5, 0, 1, 4).is_ok());
        assert!(!read(&mut l, &o, 1, 5, 5, 6));
        assert!(read(&mut l, &o, 1, 6, 5, 6));
        // After a crash the write may be lost: not judged.
        assert!(crash_then_read(&mut l, &mut o, 5, 7));
    }

    #[test]
    fn two_compare_and_writes_may_not_match_the_same_value() {
        let (mut o, mut l) = (Oracle::default(), Linear::default());
        acked(&mut o, 5, 1, I0, (1, 3));
        assert!(l.caw_good(&o, 0, 1, 5, 0, 1, 3).is_ok());
        acked(&mut o, 6, 1, I0, (2, 4));
        assert!(l.caw_good(&o, 0, 1, 6, 0, 2, 4).is_err());
        // An unmap restoring zeros between them makes it legal.
        let u = o.submit_write(0, 0, 2, 1, false, I1, 5);
        let c3 = o.submit_write(7, 0, 2, 1, false, I0, 6);
        o.write_good(c3, 7);
        assert!(l.caw_good(&o, 0, 2, 7, 0, 6, 7).is_ok());
        o.write_good(u, 8);
        let c4 = o.submit_write(8, 0, 2, 1, false, I0, 9);
        o.write_good(c4, 10);
        assert!(l.caw_good(&o, 0, 2, 8, 0, 9, 10).is_ok());
    }

    #[test]
    fn lbprz_zero_unmapped_blocks_read_as_anything() {
        let (mut o, mut l) = (Oracle::default(), Linear::default());
        o.set_lbprz(1, false);
        let w = o.submit_write(5, 1, 1, 1, false, I0, 1);
        o.write_good(w, 2);
        let u = o.submit_write(o.unmap_token(1), 1, 1, 1, false, I0, 3);
        o.write_good(u, 4);
        let junk = block_pattern(5, 1);
        let r = at(1, 1, &junk, 5, 6);
        assert!(o.check_read(&r).is_ok());
        assert!(l.check_read(&o, &r).is_ok());
        l.observe(&o, &r);
        // LBPRZ one: zeros only.
        o.set_lbprz(0, true);
        let w = o.submit_write(6, 0, 1, 1, false, I0, 7);
        o.write_good(w, 8);
        let u = o.submit_write(o.unmap_token(0), 0, 1, 1, false, I0, 9);
        o.write_good(u, 10);
        assert!(o
            .check_read(&at(0, 1, &block_pattern(6, 1), 11, 12))
            .is_err());
        assert!(read(&mut l, &o, 1, 0, 11, 12));
    }
}

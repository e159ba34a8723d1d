//! The reservation model: who holds the Write Exclusive persistent
//! reservation of LUN 0, when that is certain, and the access rules it
//! implies (SPC-5 §5.14.3: under Write Exclusive only the holder may write;
//! every I_T nexus may read).
//!
//! Each initiator registers its own key ([`key_of`]) and reserves, releases
//! and preempts with type Write Exclusive only, so the holder alone decides
//! what a write may get. The holder is known when no PERSISTENT RESERVE OUT
//! is in flight: each one that ends with a status (GOOD changes the state,
//! any other status leaves it, SPC-5 §5.14.11) moves it on; one that ends
//! without an answer (aborted, session lost) makes it unknown until a
//! READ RESERVATION (SPC-5 §6.16.3) learns it again. Two PERSISTENT RESERVE
//! OUT commands whose lifetimes overlap may run in either order, so they
//! make it unknown too. A target crash clears every registration and
//! reservation (the simulated target keeps no APTPL state).
//!
//! An epoch counts every moment the state may change; a command is judged
//! only when its whole lifetime lies in one epoch with a known holder.

use std::collections::{BTreeMap, BTreeSet};

/// The reservation key of initiator `i` (SPC-5 §5.14.7: any non-zero
/// value; one per initiator, so a key names its I_T nexus).
pub fn key_of(i: usize) -> u64 {
    0x5349_4d00_0000_0000 | (i as u64 + 1)
}

/// The initiator whose key is `k`.
pub fn initiator_of(k: u64) -> Option<usize> {
    (k & !0xffff_ffff == 0x5349_4d00_0000_0000 && k & 0xffff_ffff != 0)
        .then(|| (k & 0xffff_ffff) as usize - 1)
}

/// What a PERSISTENT RESERVE OUT of the workload asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrAction {
    /// REGISTER AND IGNORE EXISTING KEY with the initiator's key.
    Register,
    /// RESERVE, type Write Exclusive.
    Reserve,
    /// RELEASE, type Write Exclusive.
    Release,
    /// PREEMPT the registration (and reservation) of `victim`'s key.
    Preempt { victim: usize },
}

/// How a command that the reservation may refuse ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Good,
    Conflict,
    /// Another status (checked elsewhere or not at all).
    Other,
}

/// The reservation model of LUN 0.
#[derive(Debug, Default)]
pub struct PrModel {
    /// The holder when known: `Some(None)` no reservation.
    holder: Option<Option<usize>>,
    epoch: u64,
    /// PERSISTENT RESERVE OUT in flight, by (initiator, task): whether its
    /// lifetime overlapped another's.
    open: BTreeMap<(usize, u32), bool>,
    /// Initiators with a PERSISTENT RESERVE OUT that ended unanswered: it
    /// may still run until that initiator logs in again (a reinstatement
    /// ends the old session's connections, RFC 7143 §6.3.5).
    limbo: BTreeSet<usize>,
    /// Commands judged against a known holder.
    pub judged: u64,
}

impl PrModel {
    /// A model of a target with no registration and no reservation.
    pub fn new() -> Self {
        PrModel {
            holder: Some(None),
            ..PrModel::default()
        }
    }

    /// The epoch a command submitted now is judged in, if the holder is
    /// known and stays so until something changes.
    pub fn stable(&self) -> Option<u64> {
        (self.open.is_empty() && self.limbo.is_empty() && self.holder.is_some())
            .then_some(self.epoch)
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn out_submitted(&mut self, i: usize, task: u32) {
        let overlaps = !self.open.is_empty();
        for v in self.open.values_mut() {
            *v = true;
        }
        self.open.insert((i, task), overlaps);
        self.epoch += 1;
    }

    /// A PERSISTENT RESERVE OUT ended: `Some(good)` with a status, `None`
    /// without an answer. Gives a failure when a GOOD one contradicts the
    /// known state.
    pub fn out_done(
        &mut self,
        i: usize,
        task: u32,
        action: PrAction,
        answered: Option<bool>,
    ) -> Result<(), String> {
        let overlapped = self.open.remove(&(i, task)).unwrap_or(true);
        self.epoch += 1;
        let Some(good) = answered else {
            self.holder = None;
            self.limbo.insert(i);
            return Ok(());
        };
        if overlapped || !self.limbo.is_empty() {
            self.holder = None;
            return Ok(());
        }
        let Some(h) = self.holder else {
            return Ok(());
        };
        if !good {
            return Ok(());
        }
        self.holder = Some(match action {
            PrAction::Register => h,
            PrAction::Reserve => {
                // SPC-5 §5.14.9: RESERVE while another I_T nexus holds a
                // reservation is a RESERVATION CONFLICT.
                if let Some(j) = h.filter(|&j| j != i) {
                    return Err(format!(
                        "reservation: RESERVE by ini{i} answered GOOD while ini{j} holds the Write Exclusive reservation (SPC-5 §5.14.9)"
                    ));
                }
                Some(i)
            }
            PrAction::Release => h.filter(|&j| j != i),
            // SPC-5 §5.14.11.4.3: preempting the holder's key moves the
            // reservation; another key only loses its registration.
            PrAction::Preempt { victim } if h == Some(victim) => Some(i),
            PrAction::Preempt { .. } => h,
        });
        Ok(())
    }

    /// READ RESERVATION answered GOOD with `holder_key` (None: no
    /// reservation), for a command submitted in epoch `at`.
    pub fn learned(&mut self, at: u64, holder_key: Option<u64>) {
        if at == self.epoch && self.open.is_empty() && self.limbo.is_empty() {
            self.holder = Some(holder_key.and_then(initiator_of));
        }
    }

    /// Initiator `i` logged in: its old session's commands are gone.
    pub fn logged_in(&mut self, i: usize) {
        if self.limbo.remove(&i) {
            self.epoch += 1;
        }
    }

    /// The target crashed: no registration, no reservation.
    pub fn crash(&mut self) {
        self.limbo.clear();
        self.holder = Some(None);
        self.epoch += 1;
    }

    /// Judges a write-class command of initiator `i` to LUN 0 submitted in
    /// epoch `at` (from [`PrModel::stable`]).
    pub fn check_write(&mut self, i: usize, at: Option<u64>, got: Access) -> Result<(), String> {
        let Some(h) = self.holder.filter(|_| at == Some(self.epoch)) else {
            return Ok(());
        };
        self.judged += 1;
        match (h, got) {
            // SPC-5 §5.14.3: under Write Exclusive a write through any
            // I_T nexus but the holder's is a RESERVATION CONFLICT.
            (Some(j), Access::Good) if j != i => Err(format!(
                "reservation: a write by ini{i} answered GOOD while ini{j} holds the Write Exclusive reservation (SPC-5 §5.14.3)"
            )),
            (None, Access::Conflict) => Err(format!(
                "reservation: a write by ini{i} answered RESERVATION CONFLICT with no reservation held (SPC-5 §5.14.3)"
            )),
            (Some(j), Access::Conflict) if j == i => Err(format!(
                "reservation: a write by ini{i}, the holder, answered RESERVATION CONFLICT (SPC-5 §5.14.3)"
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_initiators() {
        assert_eq!(initiator_of(key_of(0)), Some(0));
        assert_eq!(initiator_of(key_of(3)), Some(3));
        assert_eq!(initiator_of(7), None);
    }

    #[test]
    fn a_non_holder_write_must_conflict() {
        let mut m = PrModel::new();
        m.out_submitted(0, 1);
        assert!(m.out_done(0, 1, PrAction::Reserve, Some(true)).is_ok());
        let at = m.stable();
        assert!(at.is_some());
        assert!(m.check_write(1, at, Access::Good).is_err());
        assert!(m.check_write(1, at, Access::Conflict).is_ok());
        assert!(m.check_write(0, at, Access::Conflict).is_err());
        // A preempt by 1 moves it.
        m.out_submitted(1, 2);
        assert!(m
            .out_done(1, 2, PrAction::Preempt { victim: 0 }, Some(true))
            .is_ok());
        let at = m.stable();
        assert!(m.check_write(0, at, Access::Good).is_err());
        assert!(m.check_write(1, at, Access::Good).is_ok());
    }

    #[test]
    fn unanswered_or_overlapping_commands_make_it_unknown() {
        let mut m = PrModel::new();
        m.out_submitted(0, 1);
        assert!(m.out_done(0, 1, PrAction::Reserve, None).is_ok());
        assert_eq!(m.stable(), None);
        m.logged_in(0);
        assert_eq!(m.stable(), None);
        let at = m.epoch;
        m.learned(at, Some(key_of(0)));
        let at = m.stable();
        assert!(at.is_some());
        assert!(m.check_write(1, at, Access::Good).is_err());
        m.out_submitted(0, 2);
        m.out_submitted(1, 3);
        assert!(m.out_done(0, 2, PrAction::Release, Some(true)).is_ok());
        assert!(m.out_done(1, 3, PrAction::Reserve, Some(true)).is_ok());
        assert_eq!(m.stable(), None);
    }
}

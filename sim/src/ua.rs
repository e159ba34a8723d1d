//! The unit attention ledger: a LOGICAL UNIT RESET establishes BUS DEVICE
//! RESET FUNCTION OCCURRED (29h/03h) for every I_T nexus of the logical unit
//! (SAM-5 §6.3.3), and a PREEMPT establishes REGISTRATIONS PREEMPTED
//! (2Ah/05h) for the nexus whose registration it removed (SPC-5
//! §5.14.11.4.3). Reporting a unit attention clears it (SAM-5 §5.14), so:
//!
//! - at most once: each such condition may be reported no more often than
//!   the functions that establish it were sent (a credit per function and
//!   nexus);
//! - at least once: after a reset answered FUNCTION COMPLETE, every other
//!   initiator logged in all along gets a 29h condition on its next command
//!   to that LUN; after a PREEMPT answered GOOD, the preempted initiator gets
//!   2Ah/05h on its next command to LUN 0. A command submitted after that
//!   answer and completed GOOD or RESERVATION CONFLICT (both decided after
//!   the unit attention check) means the condition was lost. Anything that
//!   could have consumed the condition unseen (a task ended without an
//!   answer, a new session, whose nexus loss clears the queue with 29h/07h,
//!   a target crash, another reset clearing a 2Ah/05h) drops the
//!   expectation instead.

use std::collections::BTreeMap;

use rtgt_proto::scsi::asc::AscAscq;

/// The conditions the ledger counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// BUS DEVICE RESET FUNCTION OCCURRED; any 29h condition satisfies the
    /// expectation (a later reset-class condition replaces it).
    Reset,
    /// REGISTRATIONS PREEMPTED.
    Preempted,
}

/// A function sent whose answer will set expectations.
#[derive(Debug, Clone)]
struct Pending {
    lun: u16,
    kind: Kind,
    /// Initiators to expect it from, with their session generation and
    /// their consumption count when it was sent.
    whom: Vec<(usize, u64, u64)>,
    resets: u64,
}

/// The ledger.
#[derive(Debug, Default)]
pub struct UaLedger {
    /// (initiator, lun, kind): reports still allowed.
    credits: BTreeMap<(usize, u16, Kind), u64>,
    /// (initiator, lun, kind): expected on the next command submitted
    /// after the tick, within session generation gen.
    expect: BTreeMap<(usize, u16, Kind), (u64, u64)>,
    /// Per initiator: session generation (bumped at each login and close).
    gen: Vec<u64>,
    /// Per (initiator, lun): unit attentions seen and tasks ended unseen.
    consumed: BTreeMap<(usize, u16), u64>,
    /// Per lun: resets sent.
    resets: BTreeMap<u16, u64>,
    pending: BTreeMap<(usize, u32), Pending>,
    /// Unit attentions checked.
    pub seen: u64,
}

impl UaLedger {
    pub fn new(initiators: usize) -> Self {
        UaLedger {
            gen: vec![0; initiators],
            ..UaLedger::default()
        }
    }

    fn snapshot(&self, i: usize, lun: u16) -> (usize, u64, u64) {
        let g = self.gen.get(i).copied().unwrap_or(0);
        (i, g, self.consumed.get(&(i, lun)).copied().unwrap_or(0))
    }

    /// Initiator `i` logged in or lost its session: its functions still
    /// unanswered never will be (and their task tags may come back).
    pub fn new_session(&mut self, i: usize) {
        if let Some(g) = self.gen.get_mut(i) {
            *g += 1;
        }
        self.expect.retain(|k, _| k.0 != i);
        self.pending.retain(|k, _| k.0 != i);
    }

    /// The target crashed: the functions still unanswered never will be.
    pub fn crash(&mut self) {
        for g in self.gen.iter_mut() {
            *g += 1;
        }
        self.expect.clear();
        self.pending.clear();
    }

    /// Initiator `j` sent LOGICAL UNIT RESET for `lun` as `task`;
    /// `logged_in` lists the initiators with a session now.
    pub fn reset_sent(&mut self, j: usize, task: u32, lun: u16, logged_in: &[usize]) {
        for i in 0..self.gen.len() {
            *self.credits.entry((i, lun, Kind::Reset)).or_default() += 1;
        }
        // Establishing a 29h condition clears the others (SAM-5 §5.14).
        self.expect
            .retain(|k, _| !(k.1 == lun && k.2 == Kind::Preempted));
        let n = self.resets.entry(lun).or_default();
        *n += 1;
        let resets = *n;
        let whom = logged_in
            .iter()
            .filter(|&&i| i != j)
            .map(|&i| self.snapshot(i, lun))
            .collect();
        self.pending.insert(
            (j, task),
            Pending {
                lun,
                kind: Kind::Reset,
                whom,
                resets,
            },
        );
    }

    /// Initiator `j` sent a PREEMPT of `victim`'s key as `task`.
    pub fn preempt_sent(&mut self, j: usize, task: u32, victim: usize, victim_in: bool) {
        *self
            .credits
            .entry((victim, 0, Kind::Preempted))
            .or_default() += 1;
        let whom = if victim_in {
            vec![self.snapshot(victim, 0)]
        } else {
            Vec::new()
        };
        let resets = self.resets.get(&0).copied().unwrap_or(0);
        self.pending.insert(
            (j, task),
            Pending {
                lun: 0,
                kind: Kind::Preempted,
                whom,
                resets,
            },
        );
    }

    /// The function `task` of `j` ended at `tick`: `done` when it did what
    /// it asks (FUNCTION COMPLETE, or GOOD).
    pub fn function_done(&mut self, j: usize, task: u32, done: bool, tick: u64) {
        let Some(p) = self.pending.remove(&(j, task)) else {
            return;
        };
        if !done || self.resets.get(&p.lun).copied().unwrap_or(0) != p.resets {
            return;
        }
        for (i, g, c) in p.whom {
            if self.snapshot(i, p.lun) == (i, g, c) {
                self.expect.insert((i, p.lun, p.kind), (tick, g));
            }
        }
    }

    /// A task of `i` on `lun`, submitted at tick `submit`, ended: with the
    /// unit attention `ua`, or decided after the unit attention check
    /// (`decided`: GOOD or RESERVATION CONFLICT), or `answered` false when
    /// it ended without an answer.
    pub fn task_done(
        &mut self,
        i: usize,
        lun: u16,
        submit: u64,
        ua: Option<AscAscq>,
        decided: bool,
        answered: bool,
    ) -> Result<(), String> {
        if !answered {
            *self.consumed.entry((i, lun)).or_default() += 1;
            self.expect.retain(|k, _| !(k.0 == i && k.1 == lun));
            return Ok(());
        }
        if let Some(code) = ua {
            self.seen += 1;
            *self.consumed.entry((i, lun)).or_default() += 1;
            let kind = match (code.asc, code.ascq) {
                (0x29, _) => Kind::Reset,
                (0x2a, 0x05) => Kind::Preempted,
                _ => return Ok(()),
            };
            self.expect.remove(&(i, lun, kind));
            if kind == Kind::Reset && code != AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED {
                return Ok(());
            }
            let c = self.credits.entry((i, lun, kind)).or_default();
            if *c == 0 {
                return Err(format!(
                    "unit attention: ini{i} lun {lun} got {:02x}h/{:02x}h more often than functions that establish it were sent (reported twice, SAM-5 §5.14)",
                    code.asc, code.ascq
                ));
            }
            *c -= 1;
            return Ok(());
        }
        if !decided {
            return Ok(());
        }
        let g = self.gen.get(i).copied().unwrap_or(0);
        let lost = self
            .expect
            .iter()
            .find(|(k, &(t, eg))| k.0 == i && k.1 == lun && t < submit && eg == g)
            .map(|(k, _)| k.2);
        match lost {
            Some(kind) => Err(format!(
                "unit attention: ini{i} lun {lun}: a command submitted after the {kind:?} condition was established completed without it (lost, SAM-5 §5.14)"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two initiators logged in; ini0 reset `lun` (task 7), answered at
    /// tick 10.
    fn after_reset(lun: u16) -> UaLedger {
        let mut l = UaLedger::new(2);
        l.reset_sent(0, 7, lun, &[0, 1]);
        l.function_done(0, 7, true, 10);
        l
    }

    #[test]
    fn a_reset_is_reported_once_to_each_other_initiator() {
        let mut l = after_reset(0);
        // Lost: a later command of ini1 completes GOOD without it.
        assert!(l.task_done(1, 0, 11, None, true, true).is_err());
        // Seen once: fine; twice: not.
        let ua = Some(AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        assert!(l.task_done(1, 0, 12, ua, false, true).is_ok());
        assert!(l.task_done(1, 0, 13, None, true, true).is_ok());
        assert!(l.task_done(1, 0, 14, ua, false, true).is_err());
    }

    #[test]
    fn an_unanswered_task_or_new_session_drops_the_expectation() {
        let mut l = after_reset(1);
        assert!(l.task_done(1, 1, 11, None, false, false).is_ok());
        assert!(l.task_done(1, 1, 12, None, true, true).is_ok());
        l.reset_sent(0, 8, 1, &[0, 1]);
        l.new_session(1);
        l.function_done(0, 8, true, 20);
        assert!(l.task_done(1, 1, 21, None, true, true).is_ok());
    }
}

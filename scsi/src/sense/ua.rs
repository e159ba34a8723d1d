//! Unit attention conditions, one queue per I_T nexus (SAM-5 §5.14).

use crate::task::Nexus;
use rtgt_proto::scsi::asc::AscAscq;
use std::collections::{BTreeMap, VecDeque};

/// How many I_T nexuses that are gone a logical unit remembers, so that one
/// coming back learns I_T NEXUS LOSS OCCURRED (SAM-5 §6.3.4). Beyond it the
/// nexus lost longest ago is forgotten and, if it ever returns, is told
/// POWER ON, RESET, OR BUS DEVICE RESET OCCURRED like any new nexus. Without
/// the bound an initiator logging in under ever new ISIDs would grow the
/// table without end.
pub(crate) const REMEMBERED_LOST_NEXUSES: usize = 1024;

/// What the logical unit holds for one I_T nexus.
#[derive(Debug)]
struct NexusEntry {
    /// Conditions not yet reported, oldest first.
    pending: VecDeque<AscAscq>,
    /// When the nexus was lost (a count of losses), while it stays gone.
    lost_at: Option<u64>,
}

/// Pending unit attention conditions of every I_T nexus the disk has seen.
///
/// A nexus seen for the first time starts with POWER ON, RESET, OR BUS
/// DEVICE RESET OCCURRED (29h/00h): SAM-5 §5.14 establishes it for every
/// nexus at power on, and a nexus that did not exist then learns it on its
/// first command.
#[derive(Debug, Default)]
pub(crate) struct UnitAttentions {
    queues: BTreeMap<Nexus, NexusEntry>,
    /// The nexuses that are gone, by when they were lost.
    lost: BTreeMap<u64, Nexus>,
    losses: u64,
}

impl UnitAttentions {
    /// The queue of `n`, created if new; a nexus heard from is no longer lost.
    fn queue(&mut self, n: &Nexus) -> &mut VecDeque<AscAscq> {
        let entry = self.queues.entry(n.clone()).or_insert_with(|| NexusEntry {
            pending: VecDeque::from([AscAscq::POWER_ON_RESET]),
            lost_at: None,
        });
        if let Some(at) = entry.lost_at.take() {
            self.lost.remove(&at);
        }
        &mut entry.pending
    }

    /// `n` is gone (SAM-5 §6.3.4): establishes I_T NEXUS LOSS OCCURRED for
    /// it, reported if it comes back, and forgets the nexus lost longest ago
    /// beyond [`REMEMBERED_LOST_NEXUSES`].
    pub(crate) fn nexus_lost(&mut self, n: &Nexus) {
        self.establish_for(n, AscAscq::I_T_NEXUS_LOSS_OCCURRED);
        let at = self.losses;
        self.losses += 1;
        if let Some(entry) = self.queues.get_mut(n) {
            entry.lost_at = Some(at);
            self.lost.insert(at, n.clone());
        }
        while self.lost.len() > REMEMBERED_LOST_NEXUSES {
            if let Some((_, oldest)) = self.lost.pop_first() {
                self.queues.remove(&oldest);
            }
        }
    }

    /// How many nexuses the logical unit holds conditions for.
    #[cfg(test)]
    pub(crate) fn nexuses(&self) -> usize {
        self.queues.len()
    }

    /// The oldest condition of `n`, removed (SAM-5 §5.14: reporting a unit
    /// attention clears it, with UA_INTLCK_CTRL 00b).
    pub(crate) fn take(&mut self, n: &Nexus) -> Option<AscAscq> {
        let q = self.queue(n);
        // Test only: with `broken-ua`, BUS DEVICE RESET FUNCTION OCCURRED
        // is reported and stays pending.
        if cfg!(feature = "broken-ua")
            && rtgt_proto::mutant::on("broken-ua")
            && q.front() == Some(&AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED)
        {
            return q.front().copied();
        }
        q.pop_front()
    }

    /// Registers `n` without reporting anything.
    pub(crate) fn touch(&mut self, n: &Nexus) {
        self.queue(n);
    }

    /// Removes pending conditions with this code from `n` (SPC-5 §6.33:
    /// REPORT LUNS clears REPORTED LUNS DATA HAS CHANGED).
    pub(crate) fn clear(&mut self, n: &Nexus, code: AscAscq) {
        self.queue(n).retain(|c| *c != code);
    }

    /// Establishes `code` for every known nexus but `except`. A reset
    /// condition (29h) replaces whatever was pending, since it says more
    /// (SAM-5 §5.14: a device may report the condition of higher
    /// precedence instead).
    pub(crate) fn establish(&mut self, except: Option<&Nexus>, code: AscAscq) {
        for (n, NexusEntry { pending: q, .. }) in self.queues.iter_mut() {
            if Some(n) == except {
                continue;
            }
            if code.asc == 0x29 {
                q.clear();
            }
            if !q.contains(&code) {
                q.push_back(code);
            }
        }
    }

    /// Establishes `code` for every known nexus `pick` selects but `except`
    /// (reservation changes, SPC-5 §5.14.11).
    pub(crate) fn establish_matching(
        &mut self,
        except: &Nexus,
        pick: impl Fn(&Nexus) -> bool,
        code: AscAscq,
    ) {
        for (n, NexusEntry { pending: q, .. }) in self.queues.iter_mut() {
            if n != except && pick(n) && !q.contains(&code) {
                q.push_back(code);
            }
        }
    }

    /// Establishes `code` for one nexus.
    pub(crate) fn establish_for(&mut self, n: &Nexus, code: AscAscq) {
        let q = self.queue(n);
        if code.asc == 0x29 {
            q.clear();
        }
        if !q.contains(&code) {
            q.push_back(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nexus(i: &str) -> Nexus {
        Nexus {
            initiator_port: i.into(),
            target_name: "t".into(),
            tpgt: 1,
            relative_target_port: 1,
        }
    }

    #[test]
    fn first_access_reports_power_on_once() {
        let mut ua = UnitAttentions::default();
        let a = nexus("a");
        assert_eq!(ua.take(&a), Some(AscAscq::POWER_ON_RESET));
        assert_eq!(ua.take(&a), None);
        let b = nexus("b");
        ua.touch(&b);
        ua.establish(Some(&a), AscAscq::MODE_PARAMETERS_CHANGED);
        assert_eq!(ua.take(&a), None);
        assert_eq!(ua.take(&b), Some(AscAscq::POWER_ON_RESET));
        assert_eq!(ua.take(&b), Some(AscAscq::MODE_PARAMETERS_CHANGED));
        ua.establish(None, AscAscq::MODE_PARAMETERS_CHANGED);
        ua.establish(None, AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        assert_eq!(
            ua.take(&a),
            Some(AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED)
        );
        assert_eq!(ua.take(&a), None);
        ua.establish_for(&a, AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED);
        ua.clear(&a, AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED);
        assert_eq!(ua.take(&a), None);
    }

    #[test]
    fn lost_nexuses_are_remembered_up_to_the_bound() {
        let mut ua = UnitAttentions::default();
        let first = nexus("first");
        ua.touch(&first);
        ua.nexus_lost(&first);
        // A nexus that comes back is no longer counted among the lost ones.
        let back = nexus("back");
        ua.touch(&back);
        ua.nexus_lost(&back);
        // 29h/07h replaces the pending 29h/00h (SAM-5 §5.14 precedence).
        assert_eq!(ua.take(&back), Some(AscAscq::I_T_NEXUS_LOSS_OCCURRED));
        assert_eq!(ua.take(&back), None);
        for i in 0..REMEMBERED_LOST_NEXUSES {
            let n = nexus(&format!("n{i}"));
            ua.touch(&n);
            ua.nexus_lost(&n);
        }
        // `first` was lost longest ago and is forgotten; `back` never was.
        assert_eq!(ua.nexuses(), REMEMBERED_LOST_NEXUSES + 1);
        let recent = nexus(&format!("n{}", REMEMBERED_LOST_NEXUSES - 1));
        assert_eq!(ua.take(&recent), Some(AscAscq::I_T_NEXUS_LOSS_OCCURRED));
        assert_eq!(ua.take(&first), Some(AscAscq::POWER_ON_RESET));
        assert_eq!(ua.take(&first), None);
        // A nexus lost over and over takes one place.
        let again = nexus("again");
        for _ in 0..3 * REMEMBERED_LOST_NEXUSES {
            ua.take(&again);
            ua.nexus_lost(&again);
        }
        // Live: back, recent and first; lost: again and the newest others.
        assert_eq!(ua.lost.len(), REMEMBERED_LOST_NEXUSES);
        assert_eq!(ua.nexuses(), REMEMBERED_LOST_NEXUSES + 3);
    }
}

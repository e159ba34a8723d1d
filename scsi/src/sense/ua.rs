//! Unit attention conditions, one queue per I_T nexus (SAM-5 §5.14).

use crate::task::Nexus;
use rtgt_proto::scsi::asc::AscAscq;
use std::collections::{BTreeMap, VecDeque};

/// Pending unit attention conditions of every I_T nexus the disk has seen.
///
/// A nexus seen for the first time starts with POWER ON, RESET, OR BUS
/// DEVICE RESET OCCURRED (29h/00h): SAM-5 §5.14 establishes it for every
/// nexus at power on, and a nexus that did not exist then learns it on its
/// first command.
#[derive(Debug, Default)]
pub(crate) struct UnitAttentions {
    queues: BTreeMap<Nexus, VecDeque<AscAscq>>,
}

impl UnitAttentions {
    fn queue(&mut self, n: &Nexus) -> &mut VecDeque<AscAscq> {
        self.queues
            .entry(n.clone())
            .or_insert_with(|| VecDeque::from([AscAscq::POWER_ON_RESET]))
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
        for (n, q) in self.queues.iter_mut() {
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
        for (n, q) in self.queues.iter_mut() {
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
}

//! The live registry of a portal group's targets, addressed by stable ids.
//!
//! [`PortalGroupConfig`](crate::PortalGroupConfig) is the plain value a
//! loader fills; [`TargetCore::new`](crate::TargetCore::new) moves its
//! targets here, giving them ids 1, 2, 3... in the configuration's order.
//! Targets added later get the next id; an id is never given twice while
//! the core lives, so a stale id names nothing rather than another target.
//! Each LUN's disk also gets an instance number, carried by
//! [`IoTag`](crate::IoTag), so that the completion of a request of a removed
//! LUN is never given to a disk added later at the same number.

use std::collections::BTreeMap;
use std::fmt;

use rtgt_scsi::LunMap;
use thiserror::Error;

use crate::config::TargetConfig;

/// A target's id, like tgt's `tid`: stable while the target lives and never
/// reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId(pub u32);

impl TargetId {
    /// The id [`TargetCore::new`](crate::TargetCore::new) gives the
    /// configuration's target at `position` (from 0): `position + 1`.
    pub fn from_position(position: usize) -> TargetId {
        TargetId(u32::try_from(position).map_or(u32::MAX, |p| p.saturating_add(1)))
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The highest LUN number rtgt addresses (flat space, SAM-5 §4.7).
pub const MAX_LUN: u16 = 0x3fff;

/// Why a runtime change of the registry was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    #[error("a target named {0} exists already: remove it first or choose another name")]
    DuplicateName(String),
    #[error("no target with id {0}: list the targets to see their ids")]
    NoTarget(TargetId),
    #[error(
        "target {id} has {sessions} session(s): log them out first, or remove it with force \
         to end them"
    )]
    TargetBusy { id: TargetId, sessions: usize },
    #[error("every target id has been given: restart rtgtd to number the targets afresh")]
    IdsExhausted,
    #[error("target {target} has a LUN {lun} already: remove it first or choose another number")]
    DuplicateLun { target: TargetId, lun: u16 },
    #[error("target {target} has no LUN {lun}: list its LUNs to see their numbers")]
    NoLun { target: TargetId, lun: u16 },
    #[error("LUN {0} is beyond {MAX_LUN}, the highest number rtgt addresses: choose a lower one")]
    LunOutOfRange(u16),
    #[error(
        "LUN {lun} of target {target} has {tasks} command(s) in flight: wait for them, or \
         remove it with force to abort them"
    )]
    LunBusy {
        target: TargetId,
        lun: u16,
        tasks: usize,
    },
}

/// The live targets, by id.
#[derive(Debug)]
pub(crate) struct Registry {
    targets: BTreeMap<TargetId, TargetConfig>,
    /// The instance number of each LUN's disk.
    instances: BTreeMap<(TargetId, u16), u64>,
    next_id: u32,
    next_instance: u64,
}

impl Registry {
    /// The configuration's targets, with ids 1, 2, 3... in order.
    pub fn new(targets: Vec<TargetConfig>) -> Registry {
        let mut r = Registry {
            targets: BTreeMap::new(),
            instances: BTreeMap::new(),
            next_id: 1,
            next_instance: 1,
        };
        for t in targets {
            // Ids run out only after 2^32 targets.
            let _ = r.insert(t);
        }
        r
    }

    /// Adds a target under the next id. Names are not checked here.
    pub fn insert(&mut self, t: TargetConfig) -> Result<TargetId, RegistryError> {
        let id = TargetId(self.next_id);
        self.next_id = self
            .next_id
            .checked_add(1)
            .ok_or(RegistryError::IdsExhausted)?;
        let luns: Vec<u16> = t.luns.luns().iter().filter_map(|l| l.index()).collect();
        self.targets.insert(id, t);
        for lun in luns {
            self.stamp(id, lun);
        }
        Ok(id)
    }

    /// Removes a target and forgets its LUNs' instances.
    pub fn remove(&mut self, id: TargetId) -> Option<TargetConfig> {
        self.instances.retain(|&(t, _), _| t != id);
        self.targets.remove(&id)
    }

    /// Gives the disk at `lun` of `id` a new instance number.
    pub fn stamp(&mut self, id: TargetId, lun: u16) {
        self.instances.insert((id, lun), self.next_instance);
        self.next_instance += 1;
    }

    /// Forgets the instance of a removed LUN.
    pub fn unstamp(&mut self, id: TargetId, lun: u16) {
        self.instances.remove(&(id, lun));
    }

    /// The tag of backstore request `io` of the disk at `lun` of `id`.
    pub fn io_tag(&self, id: TargetId, lun: u16, io: rtgt_scsi::IoId) -> crate::IoTag {
        crate::IoTag {
            target: id,
            lun,
            id: io,
            instance: self.instance(id, lun),
        }
    }

    /// Target `id`, its LUNs made to know `nexuses` (those of its
    /// sessions), so that a change of its inventory reaches them all
    /// (SAM-5 §5.14).
    pub fn told(
        &mut self,
        id: TargetId,
        nexuses: &[std::sync::Arc<rtgt_scsi::Nexus>],
    ) -> Result<&mut TargetConfig, RegistryError> {
        let t = self
            .targets
            .get_mut(&id)
            .ok_or(RegistryError::NoTarget(id))?;
        for n in nexuses {
            t.luns.register(n);
        }
        Ok(t)
    }

    /// Aborts the task tagged `tag` of `nexus` at LUN `lun` of target `id`
    /// (SAM-5 §7.2), when both exist.
    pub fn abort_task(
        &mut self,
        id: Option<TargetId>,
        lun: Option<u16>,
        nexus: &rtgt_scsi::Nexus,
        tag: u64,
    ) {
        let disk = id
            .and_then(|i| self.targets.get_mut(&i))
            .and_then(|t| lun.and_then(|n| t.luns.disk_mut(n)));
        if let Some(d) = disk {
            d.abort_task(nexus, tag);
        }
    }

    /// The instance number of the disk at `lun` of `id` (0: none).
    pub fn instance(&self, id: TargetId, lun: u16) -> u64 {
        self.instances.get(&(id, lun)).copied().unwrap_or(0)
    }

    pub fn get(&self, id: TargetId) -> Option<&TargetConfig> {
        self.targets.get(&id)
    }

    pub fn get_mut(&mut self, id: TargetId) -> Option<&mut TargetConfig> {
        self.targets.get_mut(&id)
    }

    /// The id of the target named `name` (iSCSI names compare without
    /// case, RFC 7143 §4.2.7.1).
    pub fn find(&self, name: &str) -> Option<TargetId> {
        self.targets
            .iter()
            .find(|(_, t)| t.name.eq_ignore_ascii_case(name))
            .map(|(&id, _)| id)
    }

    /// Every id, ascending.
    pub fn ids(&self) -> Vec<TargetId> {
        self.targets.keys().copied().collect()
    }

    /// The targets by ascending id.
    pub fn iter(&self) -> impl Iterator<Item = (TargetId, &TargetConfig)> {
        self.targets.iter().map(|(&id, t)| (id, t))
    }

    /// The first thing `poll` gives from the targets' LUN maps, in id
    /// order, with its target.
    pub fn poll_luns<T>(
        &mut self,
        mut poll: impl FnMut(&mut LunMap) -> Option<T>,
    ) -> Option<(TargetId, T)> {
        self.iter_mut()
            .find_map(|(i, t)| poll(&mut t.luns).map(|x| (i, x)))
    }

    /// The targets by ascending id, to poll their disks.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (TargetId, &mut TargetConfig)> {
        self.targets.iter_mut().map(|(&id, t)| (id, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtgt_scsi::LunMap;

    #[test]
    fn ids_follow_the_configuration_then_are_never_reused() {
        let mut r = Registry::new(vec![
            TargetConfig::new("iqn.a", LunMap::new()),
            TargetConfig::new("iqn.b", LunMap::new()),
        ]);
        assert_eq!(r.ids(), vec![TargetId(1), TargetId(2)]);
        assert_eq!(TargetId::from_position(1), TargetId(2));
        assert_eq!(r.find("IQN.B"), Some(TargetId(2)));
        assert!(r.remove(TargetId(2)).is_some());
        let c = r.insert(TargetConfig::new("iqn.b", LunMap::new())).unwrap();
        assert_eq!(c, TargetId(3));
        assert_eq!(r.ids(), vec![TargetId(1), TargetId(3)]);
    }
}

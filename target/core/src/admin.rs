//! Runtime changes of the registry: targets, LUNs, accounts and ACLs added,
//! removed or replaced while the core serves.
//!
//! Every change is checked first and either made whole or refused with a
//! [`RegistryError`] that leaves everything as it was. What a change means
//! for the sessions:
//!
//! - A target removed with sessions is refused unless `force`, which ends
//!   them (as a logout would, their tasks aborted: I_T nexus loss); logins
//!   in progress for it are closed either way. Its id is never given again.
//! - A LUN added or removed establishes REPORTED LUNS DATA HAS CHANGED on
//!   the target's other LUNs for every nexus of its sessions (and every
//!   other nexus those LUNs know, `rtgt_scsi::LunMap`).
//! - A LUN removed while commands of it are at the logical unit is refused
//!   unless `force`, which aborts them as a LOGICAL UNIT RESET would: they
//!   end without a response (SAM-5 §5.6) and the task management functions
//!   waiting for them answer. Commands still collecting their data, or not
//!   yet delivered, reach the LUN map later and are answered LOGICAL UNIT
//!   NOT SUPPORTED. Backstore completions of the removed LUN are dropped
//!   (its [`IoTag::instance`](crate::IoTag) is no longer current).
//! - Accounts and ACLs are read at login: a change applies to the next
//!   login; sessions already in full feature phase keep running.

use std::net::SocketAddr;
use std::time::Instant;

use rtgt_proto::pdu::Isid;
use rtgt_scsi::Disk;

use crate::config::{AuthConfig, Cidr, TargetConfig};
use crate::events::{CloseReason, ConnId};
use crate::registry::{RegistryError, TargetId, MAX_LUN};
use crate::session::Session;
use crate::TargetCore;

/// A session of a target, as [`TargetCore::sessions_of`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The core's number for the session: sessions get increasing serials
    /// in the order their logins complete, never given again.
    pub serial: u64,
    /// RFC 7143 §11.12.6: the TSIH the target gave the session.
    pub tsih: u16,
    /// RFC 7143 §11.12.5: the initiator's part of the session identifier.
    pub isid: Isid,
    /// RFC 7143 §13.4: the InitiatorName of its leading login.
    pub initiator: String,
    /// Its connections, by ascending [`ConnId`] (the driver's numbering,
    /// in the order the driver accepted them).
    pub conns: Vec<ConnInfo>,
}

/// A connection of a session in [`SessionInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    /// The driver's name for the connection.
    pub conn: ConnId,
    /// RFC 7143 §11.12.7: its CID.
    pub cid: u16,
    /// The initiator's address, as given to [`TargetCore::accept`].
    pub peer: SocketAddr,
}

impl TargetCore {
    /// The sessions of target `id`, by ascending serial (login order);
    /// none for an unknown id.
    pub fn sessions_of(&self, id: TargetId) -> Vec<SessionInfo> {
        self.tables
            .sessions
            .iter()
            .filter(|(_, s)| s.target == Some(id))
            .map(|(&serial, s)| {
                let mut conns: Vec<ConnInfo> = s
                    .conns
                    .iter()
                    .map(|(&cid, &conn)| ConnInfo {
                        conn,
                        cid,
                        peer: self.tables.conns.peer_of(conn),
                    })
                    .collect();
                conns.sort_by_key(|c| c.conn);
                SessionInfo {
                    serial,
                    tsih: s.tsih,
                    isid: s.isid,
                    initiator: s.initiator.clone(),
                    conns,
                }
            })
            .collect()
    }

    /// The live targets, by ascending id.
    pub fn targets(&self) -> impl Iterator<Item = (TargetId, &TargetConfig)> {
        self.tables.reg.iter()
    }

    /// The target with id `id`.
    pub fn target(&self, id: TargetId) -> Option<&TargetConfig> {
        self.tables.reg.get(id)
    }

    /// Adds a target under a new id; its name must be free.
    pub fn add_target(&mut self, mut target: TargetConfig) -> Result<TargetId, RegistryError> {
        // RFC 7143 §4.2.7.1: iSCSI names compare without case; one name
        // names one target of the portal group.
        if self.tables.reg.find(&target.name).is_some() {
            return Err(RegistryError::DuplicateName(target.name));
        }
        target.luns.set_alua(self.cfg.alua.clone());
        self.tables.reg.insert(target)
    }

    /// Replaces the target port groups of every LU (an implicit change of
    /// asymmetric access states, SPC-5): each LU whose groups change
    /// state establishes ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h) for
    /// every I_T nexus it knows. Returns whether any state changed.
    pub fn set_alua(&mut self, alua: rtgt_scsi::alua::Alua) -> bool {
        let changed = self.cfg.alua.states_differ(&alua);
        for (_, t) in self.tables.reg.iter_mut() {
            t.luns.set_alua(alua.clone());
        }
        self.cfg.alua = alua;
        changed
    }

    /// Removes a target, giving back its configuration and disks. With
    /// sessions it is refused unless `force`, which ends them.
    pub fn remove_target(
        &mut self,
        id: TargetId,
        force: bool,
        now: Instant,
    ) -> Result<TargetConfig, RegistryError> {
        if self.tables.reg.get(id).is_none() {
            return Err(RegistryError::NoTarget(id));
        }
        let serials = self.tables.sessions.of_target(id);
        if !serials.is_empty() && !force {
            return Err(RegistryError::TargetBusy {
                id,
                sessions: serials.len(),
            });
        }
        for serial in serials {
            self.tables.end_session(serial, "target removed");
        }
        for conn in self.tables.conns.logins_for(id) {
            self.tables.close_conn(conn, CloseReason::TargetRemoved);
        }
        self.pump(now);
        self.tables
            .reg
            .remove(id)
            .ok_or(RegistryError::NoTarget(id))
    }

    /// Adds `disk` as LUN `lun` of target `id`.
    pub fn add_lun(&mut self, id: TargetId, lun: u16, disk: Disk) -> Result<(), RegistryError> {
        // SAM-5 §4.7: the flat space addressing method has 14 bits.
        if lun > MAX_LUN {
            return Err(RegistryError::LunOutOfRange(lun));
        }
        let t = self.tables.reg.get(id).ok_or(RegistryError::NoTarget(id))?;
        if t.luns.disk(lun).is_some() {
            return Err(RegistryError::DuplicateLun { target: id, lun });
        }
        let t = self
            .tables
            .reg
            .told(id, &self.tables.sessions.nexuses_of(id))?;
        // SPC-5 §6.33: the other LUNs' nexuses get REPORTED LUNS DATA HAS
        // CHANGED (LunMap::insert establishes it).
        t.luns.insert(lun, disk);
        self.tables.reg.stamp(id, lun);
        Ok(())
    }

    /// Removes LUN `lun` of target `id`, giving back its disk. With
    /// commands at the logical unit it is refused unless `force`, which
    /// aborts them (see the module docs).
    pub fn remove_lun(
        &mut self,
        id: TargetId,
        lun: u16,
        force: bool,
        now: Instant,
    ) -> Result<Disk, RegistryError> {
        let t = self.tables.reg.get(id).ok_or(RegistryError::NoTarget(id))?;
        if t.luns.disk(lun).is_none() {
            return Err(RegistryError::NoLun { target: id, lun });
        }
        let at_lu = self.tables.sessions.submitted_on(id, Some(lun), None);
        if !at_lu.is_empty() && !force {
            return Err(RegistryError::LunBusy {
                target: id,
                lun,
                tasks: at_lu.len(),
            });
        }
        // Every task of the LUN is aborted (SAM-5 §7.7, as a LOGICAL UNIT
        // RESET) and what ends at once is delivered.
        let nexuses = self.tables.sessions.nexuses_of(id);
        if let Some(d) = self
            .tables
            .reg
            .get_mut(id)
            .and_then(|t| t.luns.disk_mut(lun))
        {
            for n in &nexuses {
                d.abort_task_set(n);
            }
        }
        self.pump(now);
        // Tasks whose aborts wait for backstore requests end here: those
        // requests' completions will find no disk.
        for (serial, itt) in self.tables.sessions.submitted_on(id, Some(lun), None) {
            if let Some(s) = self.tables.sessions.get_mut(&serial) {
                s.tasks.remove(itt);
            }
            self.tables
                .tmf_task_done(id, Some(lun), Session::tag(serial, itt));
        }
        let t = self
            .tables
            .reg
            .told(id, &self.tables.sessions.nexuses_of(id))?;
        // SPC-5 §6.33: REPORTED LUNS DATA HAS CHANGED on the other LUNs
        // (LunMap::remove establishes it).
        let disk = t
            .luns
            .remove(lun)
            .ok_or(RegistryError::NoLun { target: id, lun })?;
        self.tables.reg.unstamp(id, lun);
        Ok(disk)
    }

    /// Replaces the CHAP accounts of target `id`, for its next logins.
    pub fn set_target_auth(&mut self, id: TargetId, auth: AuthConfig) -> Result<(), RegistryError> {
        let t = self
            .tables
            .reg
            .get_mut(id)
            .ok_or(RegistryError::NoTarget(id))?;
        t.auth = auth;
        Ok(())
    }

    /// Replaces the ACL of target `id` (initiator names and networks; an
    /// empty list allows all), for its next logins.
    pub fn set_target_acl(
        &mut self,
        id: TargetId,
        initiators: Vec<String>,
        networks: Vec<Cidr>,
    ) -> Result<(), RegistryError> {
        let t = self
            .tables
            .reg
            .get_mut(id)
            .ok_or(RegistryError::NoTarget(id))?;
        t.allowed_initiators = initiators;
        t.allowed_networks = networks;
        Ok(())
    }

    /// Replaces the CHAP accounts of discovery sessions, for the next
    /// discovery logins.
    pub fn set_discovery_auth(&mut self, auth: AuthConfig) {
        self.cfg.discovery_auth = auth;
    }
}

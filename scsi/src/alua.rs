//! Asymmetric logical unit access (SPC-5, "Asymmetric logical unit
//! access"): the target port groups a logical unit is reached through,
//! their asymmetric access states, the commands each state admits, and
//! REPORT and SET TARGET PORT GROUPS.
//!
//! An [`Alua`] lists every target port group of the SCSI target device,
//! the ones this node serves (`local`) and the ones another node serves
//! for the same logical unit, so every node reports the whole picture.
//! The state of a command's port is the state of the group holding its
//! RELATIVE TARGET PORT IDENTIFIER.

use crate::plan::{cut, Plan};
use crate::sense::{invalid_named, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, Cdb, ReportTargetPortGroups};
use rtgt_proto::scsi::params::tpg;
use rtgt_proto::scsi::params::{TargetPortGroup, TargetPortGroups};
use rtgt_proto::scsi::sense::Sense;

/// ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h).
pub const ACCESS_STATE_CHANGED: AscAscq = AscAscq::new(0x2a, 0x06);

/// MAINTENANCE OUT (A4h) and its SET TARGET PORT GROUPS service action.
pub const MAINTENANCE_OUT: u8 = 0xa4;
/// SET TARGET PORT GROUPS, service action 0Ah of MAINTENANCE OUT.
pub const SA_SET_TARGET_PORT_GROUPS: u8 = 0x0a;

/// A primary target port asymmetric access state (SPC-5, "Target port
/// asymmetric access states"; the offline state is a secondary state
/// and not served).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AccessState {
    #[default]
    ActiveOptimized,
    ActiveNonOptimized,
    Standby,
    Unavailable,
    Transitioning,
}

impl AccessState {
    /// The ASYMMETRIC ACCESS STATE code of REPORT TARGET PORT GROUPS.
    pub fn code(self) -> u8 {
        match self {
            AccessState::ActiveOptimized => tpg::ALUA_ACTIVE_OPTIMIZED,
            AccessState::ActiveNonOptimized => tpg::ALUA_ACTIVE_NON_OPTIMIZED,
            AccessState::Standby => tpg::ALUA_STANDBY,
            AccessState::Unavailable => tpg::ALUA_UNAVAILABLE,
            AccessState::Transitioning => tpg::ALUA_TRANSITIONING,
        }
    }

    /// The state with this code, if rtgt serves it.
    pub fn from_code(code: u8) -> Option<Self> {
        [
            AccessState::ActiveOptimized,
            AccessState::ActiveNonOptimized,
            AccessState::Standby,
            AccessState::Unavailable,
            AccessState::Transitioning,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// How the asymmetric access states change (SPC-5 §6.7.2, TPGS field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessType {
    /// By the target only (TPGS 01b): here, by the configuration.
    #[default]
    Implicit,
    /// By SET TARGET PORT GROUPS only (TPGS 10b).
    Explicit,
    /// Both (TPGS 11b).
    Both,
}

impl AccessType {
    /// The TPGS field of the standard INQUIRY data.
    pub fn tpgs(self) -> u8 {
        match self {
            AccessType::Implicit => 1,
            AccessType::Explicit => 2,
            AccessType::Both => 3,
        }
    }

    /// Whether SET TARGET PORT GROUPS is served.
    pub fn explicit(self) -> bool {
        self != AccessType::Implicit
    }
}

/// One target port group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortGroup {
    /// TARGET PORT GROUP, as in VPD page 83h.
    pub id: u16,
    pub state: AccessState,
    /// PREF: a preferred group.
    pub preferred: bool,
    /// The RELATIVE TARGET PORT IDENTIFIERs of its ports.
    pub ports: Vec<u16>,
    /// Served by this node; a peer group is served by another node and
    /// only reported.
    pub local: bool,
}

/// The target port groups of a logical unit. Without groups, the port
/// of each nexus is its own group, numbered by its portal group tag,
/// active/optimized.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alua {
    pub access: AccessType,
    pub groups: Vec<PortGroup>,
}

/// SUPPORTED states of a configured group: T_SUP, U_SUP, S_SUP, AN_SUP,
/// AO_SUP (SPC-5, target port group descriptor).
const ALL_SUP: u8 = 0x80 | 0x08 | 0x04 | 0x02 | 0x01;
/// AO_SUP alone, for the group of a nexus when none is configured.
const AO_SUP: u8 = 0x01;

impl Alua {
    /// The group holding the port of `nexus`: its id and state.
    pub fn group_of(&self, nexus: &Nexus) -> (u16, AccessState) {
        self.groups
            .iter()
            .find(|g| g.ports.contains(&nexus.relative_target_port))
            .map_or((nexus.tpgt, AccessState::ActiveOptimized), |g| {
                (g.id, g.state)
            })
    }

    /// Whether `other` gives some group another state or PREF bit.
    pub fn states_differ(&self, other: &Alua) -> bool {
        let key = |a: &Alua| {
            a.groups
                .iter()
                .map(|g| (g.id, g.state, g.preferred))
                .collect::<Vec<_>>()
        };
        key(self) != key(other)
    }

    /// The command with this CDB, through `nexus`, is refused as the
    /// state of its port says (SPC-5, "Target port asymmetric access
    /// states": the active states serve every command; the standby,
    /// unavailable and transitioning states list the commands they
    /// serve and answer every other with NOT READY).
    pub(crate) fn check(&self, nexus: &Nexus, cdb: &[u8]) -> CmdResult<()> {
        let state = self.group_of(nexus).1;
        let opcode = cdb.first().copied().unwrap_or(0);
        let sa = cdb.get(1).map_or(0, |b| b & 0x1f);
        let rtpg = opcode == op::MAINTENANCE_IN && sa == tpg_sa::REPORT;
        let stpg = opcode == MAINTENANCE_OUT && sa == SA_SET_TARGET_PORT_GROUPS;
        // Served in every state: INQUIRY, REPORT LUNS (answered by the
        // LUN map), REPORT TARGET PORT GROUPS, REQUEST SENSE, and the
        // echo buffer modes of READ and WRITE BUFFER (rtgt has neither
        // command, which then gets INVALID COMMAND OPERATION CODE).
        let always = rtpg
            || BUFFER.contains(&opcode)
            || matches!(opcode, op::INQUIRY | op::REPORT_LUNS | op::REQUEST_SENSE);
        let (served, ascq) = match state {
            AccessState::ActiveOptimized | AccessState::ActiveNonOptimized => return Ok(()),
            // SPC-5, "Standby state": also LOG SELECT, LOG SENSE, MODE
            // SELECT, MODE SENSE, RECEIVE DIAGNOSTIC RESULTS, SEND
            // DIAGNOSTIC, SET TARGET PORT GROUPS, PERSISTENT RESERVE IN
            // and OUT; others: LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT
            // IN STANDBY STATE (04h/0Bh).
            AccessState::Standby => (
                always
                    || stpg
                    || LOG_AND_DIAGNOSTIC.contains(&opcode)
                    || matches!(
                        opcode,
                        op::MODE_SELECT_6
                            | op::MODE_SELECT_10
                            | op::MODE_SENSE_6
                            | op::MODE_SENSE_10
                            | op::PERSISTENT_RESERVE_IN
                            | op::PERSISTENT_RESERVE_OUT
                    ),
                0x0b,
            ),
            // SPC-5, "Unavailable state": also SET TARGET PORT GROUPS;
            // others: LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN
            // UNAVAILABLE STATE (04h/0Ch).
            AccessState::Unavailable => (always || stpg, 0x0c),
            // SPC-5, "Transitioning between states": others get LOGICAL
            // UNIT NOT ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION
            // (04h/0Ah).
            AccessState::Transitioning => (always, 0x0a),
        };
        if served {
            Ok(())
        } else {
            Err(Sense::new(SenseKey::NOT_READY, AscAscq::new(0x04, ascq)))
        }
    }

    /// REPORT TARGET PORT GROUPS (SPC-5 §6.36): every group, local and
    /// peer, ascending by id; without groups, the group of `nexus`.
    pub(crate) fn report(&self, nexus: &Nexus, c: &ReportTargetPortGroups) -> CmdResult<Plan> {
        let extended = match c.parameter_data_format {
            0 => None,
            // SPC-5 §6.36.2: IMPLICIT TRANSITION TIME zero, no time
            // reported.
            1 => Some(0),
            // SPC-5 §6.36.1: other formats are reserved.
            _ => {
                return Err(invalid_named(
                    &Cdb::ReportTargetPortGroups(*c),
                    "parameter_data_format",
                ))
            }
        };
        let groups = if self.groups.is_empty() {
            vec![TargetPortGroup {
                asymmetric_access_state: tpg::ALUA_ACTIVE_OPTIMIZED,
                supported_states: AO_SUP,
                group: nexus.tpgt,
                ports: vec![nexus.relative_target_port],
                ..TargetPortGroup::default()
            }]
        } else {
            let mut gs: Vec<&PortGroup> = self.groups.iter().collect();
            gs.sort_by_key(|g| g.id);
            gs.into_iter()
                .map(|g| TargetPortGroup {
                    pref: g.preferred,
                    asymmetric_access_state: g.state.code(),
                    supported_states: ALL_SUP,
                    group: g.id,
                    ports: g.ports.clone(),
                    ..TargetPortGroup::default()
                })
                .collect()
        };
        let data = TargetPortGroups { extended, groups }.encode();
        Ok(Plan::data(cut(data, c.allocation_length.into())))
    }
}

/// MAINTENANCE IN service action of REPORT TARGET PORT GROUPS.
mod tpg_sa {
    pub const REPORT: u8 = rtgt_proto::scsi::cdb::sa::REPORT_TARGET_PORT_GROUPS;
}

/// Operation codes rtgt does not serve but the states list: LOG SELECT
/// (4Ch), LOG SENSE (4Dh), RECEIVE DIAGNOSTIC RESULTS (1Ch), SEND
/// DIAGNOSTIC (1Dh); READ BUFFER (3Ch) and WRITE BUFFER (3Bh).
const LOG_AND_DIAGNOSTIC: [u8; 4] = [0x4c, 0x4d, 0x1c, 0x1d];
const BUFFER: [u8; 2] = [0x3c, 0x3b];

mod set;

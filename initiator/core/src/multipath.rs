//! Path selection for one logical unit reached through several iSCSI
//! sessions (multipath with asymmetric logical unit access), sans-IO.
//!
//! A [`Multipath`] knows each path's portal, whether it is up, which
//! logical unit and target port group it reaches (from the Device
//! Identification VPD page, SPC-5 §7.7.6), and the asymmetric access state
//! of every group (from REPORT TARGET PORT GROUPS, SPC-5 §6.36). The
//! driver asks it which path to send a command on ([`Multipath::select`]),
//! tells it how the command ended ([`Multipath::on_answer`],
//! [`Multipath::on_path_lost`]) and does what the [`Verdict`] says: hand
//! the answer back, or send the command again after reading the groups
//! again. When no path is active it names a standby group that SET TARGET
//! PORT GROUPS may activate ([`Multipath::activation`]), as an explicit
//! ALUA initiator does, or says why no path is usable ([`NoUsablePath`]).
//!
//! What may be sent again: a command answered with a state that refuses it
//! (NOT READY 04h/0Ah, 04h/0Bh, 04h/0Ch) or a UNIT ATTENTION was not
//! executed (SAM-5 §5.14, SPC-5 "Target port asymmetric access states");
//! a command whose path was lost before its answer was not acknowledged,
//! so the caller has not been told it happened, and sending a WRITE again
//! writes the same data. A command with an answer is never sent again.

use rtgt_proto::pdu::ScsiStatus;
use rtgt_proto::scsi::asc::SenseKey;
use rtgt_proto::scsi::params::tpg;
use rtgt_proto::scsi::params::TargetPortGroups;
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::scsi::vpd::{Designation, ASSOC_LOGICAL_UNIT, ASSOC_TARGET_PORT};
use rtgt_proto::scsi::vpd::{DESIGNATOR_RELATIVE_TARGET_PORT, DESIGNATOR_TARGET_PORT_GROUP};

/// A path, by its position in the order the paths were added.
pub type PathId = usize;

/// Why a path carries no commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathHealth {
    /// Logged in and identified.
    Up,
    /// The login failed or the session ended (connection closed, command
    /// timeout, protocol violation): the reason, as the driver gave it.
    Down(String),
    /// It reaches another logical unit than the first path: not used.
    OtherUnit,
}

/// One path: a session to one portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The portal, as shown to people.
    pub portal: String,
    pub health: PathHealth,
    /// RELATIVE TARGET PORT IDENTIFIER from VPD page 83h (designator type 4).
    pub relative_port: Option<u16>,
    /// TARGET PORT GROUP from VPD page 83h (designator type 5).
    pub group: Option<u16>,
    /// TPGS of the standard INQUIRY data (SPC-5 §6.7.2): bit 1 set means
    /// SET TARGET PORT GROUPS is served.
    pub tpgs: u8,
    /// Commands answered through this path.
    pub answered: u64,
}

/// A target port group as REPORT TARGET PORT GROUPS gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: u16,
    /// ASYMMETRIC ACCESS STATE (SPC-5 §6.36, table of states).
    pub state: u8,
    /// PREF.
    pub preferred: bool,
    /// RELATIVE TARGET PORT IDENTIFIERs of its ports.
    pub ports: Vec<u16>,
}

/// What to do with a command's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the answer to the caller (whatever its status).
    Done,
    /// Send the command again (on the path [`Multipath::select`] names
    /// then), after reading the target port groups again when `refresh`.
    Retry { refresh: bool },
}

/// No path can carry commands: each path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoUsablePath {
    pub paths: Vec<(String, String)>,
}

impl std::fmt::Display for NoUsablePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no usable path to the logical unit")?;
        if self.paths.is_empty() {
            return write!(f, ": no portal was given");
        }
        for (i, (portal, why)) in self.paths.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{portal} {why}")?;
        }
        write!(
            f,
            " (bring a target port group to an active state on the target, e.g. rtgtadm \
             --reload of an edited [alua] state, or check that the portals are reachable)"
        )
    }
}

impl std::error::Error for NoUsablePath {}

/// A path that reaches another logical unit than the first path did.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{portal} reaches another logical unit (its VPD page 83h logical unit designator differs \
     from the first path's): the target name, LUN, serial or NAA differ between the nodes; \
     the path is not used"
)]
pub struct OtherUnit {
    pub portal: String,
}

/// The paths to one logical unit and the state of its target port groups.
#[derive(Debug, Clone, Default)]
pub struct Multipath {
    paths: Vec<Path>,
    groups: Vec<Group>,
    /// The logical unit designator every path must report: (type, bytes).
    unit: Option<(u8, Vec<u8>)>,
    /// The next path to try among equals (round robin).
    turn: usize,
    retries: u64,
}

/// The rank of a state for I/O: lower is better; `None` carries no I/O
/// (SPC-5 "Target port asymmetric access states": only the active states
/// serve every command).
fn io_rank(state: u8) -> Option<u8> {
    match state {
        tpg::ALUA_ACTIVE_OPTIMIZED => Some(0),
        tpg::ALUA_ACTIVE_NON_OPTIMIZED => Some(1),
        _ => None,
    }
}

/// A state's name, for messages.
pub fn state_name(state: u8) -> &'static str {
    match state {
        tpg::ALUA_ACTIVE_OPTIMIZED => "active/optimized",
        tpg::ALUA_ACTIVE_NON_OPTIMIZED => "active/non-optimized",
        tpg::ALUA_STANDBY => "standby",
        tpg::ALUA_UNAVAILABLE => "unavailable",
        tpg::ALUA_OFFLINE => "offline",
        tpg::ALUA_TRANSITIONING => "transitioning",
        _ => "in a reserved state",
    }
}

impl Multipath {
    pub fn new() -> Self {
        Multipath::default()
    }

    /// Adds a path to `portal`, down until [`Multipath::identify`].
    pub fn add_path(&mut self, portal: impl Into<String>) -> PathId {
        self.paths.push(Path {
            portal: portal.into(),
            health: PathHealth::Down("not logged in yet".into()),
            relative_port: None,
            group: None,
            tpgs: 0,
            answered: 0,
        });
        self.paths.len() - 1
    }

    /// Every path, by [`PathId`].
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// The groups as last read.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Commands sent again so far.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// A logged-in path's identity: its standard INQUIRY TPGS field and its
    /// Device Identification designators (SPC-5 §7.7.6). The first path
    /// identified fixes the logical unit; a path reporting another is
    /// marked [`PathHealth::OtherUnit`] and refused.
    pub fn identify(
        &mut self,
        id: PathId,
        tpgs: u8,
        designators: &[Designation],
    ) -> Result<(), OtherUnit> {
        let unit = unit_designator(designators);
        let Some(path) = self.paths.get_mut(id) else {
            return Ok(());
        };
        if let (Some(known), Some(this)) = (&self.unit, &unit) {
            if known != this {
                path.health = PathHealth::OtherUnit;
                return Err(OtherUnit {
                    portal: path.portal.clone(),
                });
            }
        }
        if self.unit.is_none() {
            self.unit = unit;
        }
        path.tpgs = tpgs;
        for d in designators
            .iter()
            .filter(|d| d.association == ASSOC_TARGET_PORT)
        {
            let v = short(&d.designator);
            match d.designator_type {
                DESIGNATOR_RELATIVE_TARGET_PORT => path.relative_port = v.or(path.relative_port),
                DESIGNATOR_TARGET_PORT_GROUP => path.group = v.or(path.group),
                _ => {}
            }
        }
        path.health = PathHealth::Up;
        Ok(())
    }

    /// The path is gone (login refused, connection closed, timeout).
    pub fn set_down(&mut self, id: PathId, why: impl Into<String>) {
        if let Some(p) = self.paths.get_mut(id) {
            if p.health != PathHealth::OtherUnit {
                p.health = PathHealth::Down(why.into());
            }
        }
    }

    /// The target port groups as REPORT TARGET PORT GROUPS gave them.
    pub fn set_groups(&mut self, data: &TargetPortGroups) {
        self.groups = data
            .groups
            .iter()
            .map(|g| Group {
                id: g.group,
                state: g.asymmetric_access_state,
                preferred: g.pref,
                ports: g.ports.clone(),
            })
            .collect();
    }

    /// The groups as REPORT TARGET PORT GROUPS gave them through several
    /// paths: each group's state and PREF as a path of that group reports
    /// them, else as the first report gives them. A node knows its own
    /// groups' states first hand; what it reports of another node's group
    /// is what it was told, which may be stale when nodes do not talk to
    /// each other, so a group's state is read through that group, as
    /// Linux's ALUA device handler does.
    pub fn set_groups_from(&mut self, reports: &[(PathId, TargetPortGroups)]) {
        let Some((_, first)) = reports.first() else {
            return;
        };
        self.set_groups(first);
        for (id, report) in reports {
            let Some(p) = self.paths.get(*id) else {
                continue;
            };
            let own = p.group.or_else(|| {
                let port = p.relative_port?;
                report
                    .groups
                    .iter()
                    .find(|g| g.ports.contains(&port))
                    .map(|g| g.group)
            });
            let Some(g) = own.and_then(|own| report.groups.iter().find(|g| g.group == own)) else {
                continue;
            };
            let fresh = Group {
                id: g.group,
                state: g.asymmetric_access_state,
                preferred: g.pref,
                ports: g.ports.clone(),
            };
            match self.groups.iter_mut().find(|x| x.id == g.group) {
                Some(x) => *x = fresh,
                None => self.groups.push(fresh),
            }
        }
    }

    /// The group of a path: its VPD target port group designator, else the
    /// group whose ports hold its relative target port identifier.
    fn group_of(&self, p: &Path) -> Option<&Group> {
        match p.group {
            Some(id) => self.groups.iter().find(|g| g.id == id),
            None => {
                let port = p.relative_port?;
                self.groups.iter().find(|g| g.ports.contains(&port))
            }
        }
    }

    /// The path for the next command: an up path in active/optimized
    /// state, else active/non-optimized (SPC-5 "Target port asymmetric
    /// access states"), preferred groups (PREF) first, in turn among
    /// equals. A path to a target without asymmetric access (TPGS 00b)
    /// counts as active/optimized.
    pub fn select(&mut self) -> Result<PathId, NoUsablePath> {
        let ranked: Vec<(PathId, (u8, bool))> = self
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.health == PathHealth::Up)
            .filter_map(|(i, p)| {
                // TPGS 00b: no asymmetric access (SPC-5 §6.7.2), every
                // port serves every command as an active/optimized one.
                if p.tpgs == 0 {
                    return Some((i, (0, true)));
                }
                let g = self.group_of(p)?;
                Some((i, (io_rank(g.state)?, !g.preferred)))
            })
            .collect();
        let Some(best) = ranked.iter().map(|(_, r)| *r).min() else {
            return Err(self.no_usable_path());
        };
        let equals: Vec<PathId> = ranked
            .iter()
            .filter(|(_, r)| *r == best)
            .map(|(i, _)| *i)
            .collect();
        let pick = equals
            .iter()
            .copied()
            .find(|&i| i >= self.turn)
            .or_else(|| equals.first().copied())
            .ok_or_else(|| self.no_usable_path())?;
        self.turn = pick + 1;
        Ok(pick)
    }

    /// An up path whose target port group may be made active/optimized by
    /// SET TARGET PORT GROUPS (SPC-5 §6.7.2: TPGS 10b or 11b), when no path
    /// is active: preferred groups first, standby before unavailable
    /// (SPC-5 "Unavailable state": it may also be changed explicitly).
    /// Transitioning groups are waited for, not set.
    pub fn activation(&self) -> Option<(PathId, u16)> {
        self.paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.health == PathHealth::Up && p.tpgs & 0b10 != 0)
            .filter_map(|(i, p)| {
                let g = self.group_of(p)?;
                let rank = match g.state {
                    tpg::ALUA_STANDBY => 0u8,
                    tpg::ALUA_UNAVAILABLE => 1,
                    _ => return None,
                };
                Some(((!g.preferred, rank), i, g.id))
            })
            .min()
            .map(|(_, i, g)| (i, g))
    }

    /// The first up path.
    pub fn any_up(&self) -> Option<PathId> {
        self.paths.iter().position(|p| p.health == PathHealth::Up)
    }

    /// A command sent on `id` was answered with `status` and `sense`.
    pub fn on_answer(&mut self, id: PathId, status: ScsiStatus, sense: Option<&Sense>) -> Verdict {
        let verdict = answer_verdict(status, sense);
        match verdict {
            Verdict::Done => {
                if let Some(p) = self.paths.get_mut(id) {
                    p.answered += 1;
                }
            }
            Verdict::Retry { refresh } => {
                self.retries += 1;
                if refresh {
                    // The state read last is stale for this path's group
                    // until the groups are read again.
                    self.forget_group_of(id);
                }
            }
        }
        verdict
    }

    /// A command sent on `id` got no answer: the connection closed, the
    /// command timed out or the session ended. The path is down and the
    /// command may be sent again elsewhere.
    pub fn on_path_lost(&mut self, id: PathId, why: impl Into<String>) -> Verdict {
        self.set_down(id, why);
        self.retries += 1;
        Verdict::Retry { refresh: true }
    }

    fn forget_group_of(&mut self, id: PathId) {
        let Some(p) = self.paths.get(id) else { return };
        let gid = self.group_of(p).map(|g| g.id);
        if let Some(g) = self.groups.iter_mut().find(|g| Some(g.id) == gid) {
            g.state = tpg::ALUA_TRANSITIONING;
        }
    }

    fn no_usable_path(&self) -> NoUsablePath {
        let why = |p: &Path| match &p.health {
            PathHealth::Down(r) => format!("is down ({r})"),
            PathHealth::OtherUnit => "reaches another logical unit".to_owned(),
            PathHealth::Up => match (self.group_of(p), p.group.or(p.relative_port)) {
                (Some(g), _) => {
                    let how = if p.tpgs & 0b10 != 0 {
                        "SET TARGET PORT GROUPS did not activate it"
                    } else {
                        "the target does not take SET TARGET PORT GROUPS (implicit ALUA only)"
                    };
                    format!(
                        "is {} (target port group {}; {how})",
                        state_name(g.state),
                        g.id
                    )
                }
                (None, Some(_)) => {
                    "is in no target port group REPORT TARGET PORT GROUPS listed".to_owned()
                }
                (None, None) => "reports no target port (VPD page 83h)".to_owned(),
            },
        };
        NoUsablePath {
            paths: self
                .paths
                .iter()
                .map(|p| (p.portal.clone(), why(p)))
                .collect(),
        }
    }
}

/// The verdict on an answer (SAM-5 §5.14, SPC-5 "Target port asymmetric
/// access states").
fn answer_verdict(status: ScsiStatus, sense: Option<&Sense>) -> Verdict {
    let Some(s) = sense.filter(|_| status == ScsiStatus::CheckCondition) else {
        return Verdict::Done;
    };
    let (asc, ascq) = (s.asc.asc, s.asc.ascq);
    if s.key == SenseKey::UNIT_ATTENTION {
        // SAM-5 §5.14: the command was not executed. ASYMMETRIC ACCESS
        // STATE CHANGED (2Ah/06h) and other 2Ah/xxh parameter changes may
        // move the groups: read them again.
        return Verdict::Retry {
            refresh: asc == 0x2a,
        };
    }
    // LOGICAL UNIT NOT ACCESSIBLE: ASYMMETRIC ACCESS STATE TRANSITION
    // (04h/0Ah), TARGET PORT IN STANDBY STATE (04h/0Bh), TARGET PORT IN
    // UNAVAILABLE STATE (04h/0Ch): the state refused the command.
    if s.key == SenseKey::NOT_READY && asc == 0x04 && matches!(ascq, 0x0a..=0x0c) {
        return Verdict::Retry { refresh: true };
    }
    Verdict::Done
}

/// The logical unit's designator: NAA first, then EUI-64, then any other
/// designator associated with the logical unit (SPC-5 §7.7.6).
fn unit_designator(ds: &[Designation]) -> Option<(u8, Vec<u8>)> {
    let lu = || ds.iter().filter(|d| d.association == ASSOC_LOGICAL_UNIT);
    [3u8, 2, 8, 1]
        .into_iter()
        .find_map(|t| lu().find(|d| d.designator_type == t))
        .or_else(|| lu().next())
        .map(|d| (d.designator_type, d.designator.clone()))
}

/// A 4-byte designator's low 16 bits (SPC-5 §7.7.6.7 and §7.7.6.8).
fn short(d: &[u8]) -> Option<u16> {
    match d {
        [_, _, a, b] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// SET TARGET PORT GROUPS (MAINTENANCE OUT, service action 0Ah, SPC-5
/// "SET TARGET PORT GROUPS command") asking `state` for `group`: the CDB
/// and its parameter list (four reserved bytes, then one set target port
/// group descriptor).
pub fn set_target_port_groups(group: u16, state: u8) -> ([u8; 12], Vec<u8>) {
    let mut data = vec![0u8; 8];
    let [hi, lo] = group.to_be_bytes();
    data.splice(4..8, [state & 0x0f, 0, hi, lo]);
    let len = (data.len() as u32).to_be_bytes();
    let cdb = [0xa4, 0x0a, 0, 0, 0, 0, len[0], len[1], len[2], len[3], 0, 0];
    (cdb, data)
}

/// REPORT TARGET PORT GROUPS (MAINTENANCE IN, service action 0Ah, SPC-5
/// §6.36), length-only header format, for `allocation` bytes.
pub fn report_target_port_groups(allocation: u32) -> [u8; 12] {
    rtgt_proto::scsi::cdb::ReportTargetPortGroups {
        allocation_length: allocation,
        ..Default::default()
    }
    .encode()
}

#[cfg(test)]
mod tests;

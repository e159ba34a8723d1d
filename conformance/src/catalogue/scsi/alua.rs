//! Asymmetric logical unit access (SPC-5, "Asymmetric logical unit
//! access"): the TPGS field of the standard INQUIRY data agrees with
//! REPORT TARGET PORT GROUPS, that command's data is well formed and names
//! the port VPD page 83h names, and a port whose group is in the standby,
//! unavailable or transitioning state refuses a READ with the NOT READY
//! the state calls for. Not applicable to a target reporting TPGS 00b.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::params::{tpg, TargetPortGroup, TargetPortGroups};
use rtgt_proto::scsi::vpd::{Designator, VpdPage};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.alua.tpgs-rtpg",
        "SPC-5 §6.7.2 INQUIRY (TPGS), §6.36 REPORT TARGET PORT GROUPS",
        Level::Must,
        "a logical unit reporting a non-zero TPGS field serves REPORT TARGET PORT GROUPS \
         (GOOD)",
        tpgs_rtpg,
    ),
    Scenario::new(
        "scsi.alua.rtpg-format",
        "SPC-5 §6.36 REPORT TARGET PORT GROUPS, §7.7.6 Device Identification VPD page",
        Level::Must,
        "REPORT TARGET PORT GROUPS data is whole in both header formats (FORMAT TYPE 001b in \
         the extended one), lists each group once with a defined asymmetric access state and \
         a port count matching its ports, and lists the target port group and relative target \
         port VPD page 83h names for the port",
        rtpg_format,
    ),
    Scenario::new(
        "scsi.alua.state-enforced",
        "SPC-5 \"Target port asymmetric access states\" (standby, unavailable, transitioning)",
        Level::Must,
        "through a port whose group is standby, unavailable or transitioning, READ (10) is \
         CHECK CONDITION, NOT READY, LOGICAL UNIT NOT ACCESSIBLE with ASCQ 0Bh, 0Ch or 0Ah, \
         while INQUIRY and REPORT TARGET PORT GROUPS are GOOD",
        state_enforced,
    ),
];

/// REPORT TARGET PORT GROUPS CDB, header format `format` (0 or 1).
fn rtpg_cdb(format: u8, len: u32) -> [u8; 12] {
    let l = len.to_be_bytes();
    [
        0xa3,
        0x0a | format << 5,
        0,
        0,
        0,
        0,
        l[0],
        l[1],
        l[2],
        l[3],
        0,
        0,
    ]
}

const ALLOCATION: u32 = 4096;

/// The TPGS field, or not applicable when it is zero.
fn tpgs(ctx: &mut Context, s: &mut Scsi) -> Result<Result<u8, Outcome>, ScenarioError> {
    let (inq, _) = standard_inquiry(ctx, s)?;
    Ok(match inq.tpgs {
        0 => Err(Outcome::not_applicable(
            "the standard INQUIRY data reports TPGS 00b (no asymmetric logical unit access)",
        )),
        t => Ok(t),
    })
}

/// The port's target port group and relative target port, from page 83h.
fn port_ids(ctx: &mut Context, s: &mut Scsi) -> Result<(Option<u16>, Option<u16>), ScenarioError> {
    let (mut group, mut port) = (None, None);
    if let Some(VpdPage::DeviceId(ids)) = vpd_page(ctx, s, 0x83)? {
        for d in &ids {
            match d.typed() {
                Designator::TargetPortGroup(g) => group = Some(g),
                Designator::RelativeTargetPort(p) => port = Some(p),
                _ => {}
            }
        }
    }
    Ok((group, port))
}

/// The groups REPORT TARGET PORT GROUPS gives, or the reply when it is
/// not GOOD or not whole.
fn groups(
    ctx: &mut Context,
    s: &mut Scsi,
    format: u8,
) -> Result<Result<TargetPortGroups, (Reply, String)>, ScenarioError> {
    let r = s.read(ctx, &rtpg_cdb(format, ALLOCATION), ALLOCATION)?;
    if !r.good() {
        return Ok(Err((r, "not GOOD".into())));
    }
    Ok(match TargetPortGroups::decode(&r.data, format == 1) {
        Ok(d) if d.declared == r.data.len() => Ok(d.value),
        Ok(d) => Err((
            r.clone(),
            format!(
                "RETURN DATA LENGTH says {} bytes, {} came",
                d.declared,
                r.data.len()
            ),
        )),
        Err(e) => Err((r.clone(), e.to_string())),
    })
}

fn tpgs_rtpg(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let t = match tpgs(ctx, s)? {
            Ok(t) => t,
            Err(na) => return Ok(na),
        };
        let r = s.read(ctx, &rtpg_cdb(0, ALLOCATION), ALLOCATION)?;
        Ok(Outcome::check(
            r.good(),
            format!("GOOD (TPGS {t:02b}b)"),
            r.describe(),
        ))
    })
}

const DEFINED: [u8; 6] = [
    tpg::ALUA_ACTIVE_OPTIMIZED,
    tpg::ALUA_ACTIVE_NON_OPTIMIZED,
    tpg::ALUA_STANDBY,
    tpg::ALUA_UNAVAILABLE,
    tpg::ALUA_OFFLINE,
    tpg::ALUA_TRANSITIONING,
];

/// What is wrong with one answer's groups, if anything.
fn judge(list: &[TargetPortGroup], group: Option<u16>, port: Option<u16>) -> Option<String> {
    if list.is_empty() {
        return Some("no target port group".into());
    }
    let mut ids: Vec<u16> = list.iter().map(|g| g.group).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != list.len() {
        return Some(format!(
            "a group listed twice: {:?}",
            list.iter().map(|g| g.group).collect::<Vec<_>>()
        ));
    }
    if let Some(g) = list
        .iter()
        .find(|g| !DEFINED.contains(&g.asymmetric_access_state))
    {
        return Some(format!(
            "group {} in reserved state {:X}h",
            g.group, g.asymmetric_access_state
        ));
    }
    if let Some(g) = group {
        let Some(mine) = list.iter().find(|d| d.group == g) else {
            return Some(format!("page 83h names group {g}, which is not listed"));
        };
        if let Some(p) = port {
            if !mine.ports.contains(&p) {
                return Some(format!(
                    "group {g} does not list relative port {p} of page 83h: {:?}",
                    mine.ports
                ));
            }
        }
    }
    None
}

fn rtpg_format(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if let Err(na) = tpgs(ctx, s)? {
            return Ok(na);
        }
        let (group, port) = port_ids(ctx, s)?;
        for format in [0u8, 1] {
            let got = match groups(ctx, s, format)? {
                Ok(g) => g,
                Err((r, why)) => {
                    return Ok(Outcome::fail(
                        format!("GOOD, whole data in header format {format}"),
                        format!("{}: {why}", r.describe()),
                    ))
                }
            };
            if let Some(why) = judge(&got.groups, group, port) {
                return Ok(Outcome::fail(
                    "each group once, in a defined state, holding the port of page 83h",
                    format!("header format {format}: {why}"),
                ));
            }
        }
        Ok(Outcome::Pass)
    })
}

fn state_enforced(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if let Err(na) = tpgs(ctx, s)? {
            return Ok(na);
        }
        let (Some(group), _) = port_ids(ctx, s)? else {
            return Ok(Outcome::not_applicable(
                "page 83h names no target port group for this port",
            ));
        };
        let list = match groups(ctx, s, 0)? {
            Ok(g) => g.groups,
            Err((r, _)) => return Err(setup("REPORT TARGET PORT GROUPS", &r)),
        };
        let state = list
            .iter()
            .find(|g| g.group == group)
            .map(|g| g.asymmetric_access_state);
        let ascq = match state {
            Some(tpg::ALUA_STANDBY) => 0x0b,
            Some(tpg::ALUA_UNAVAILABLE) => 0x0c,
            Some(tpg::ALUA_TRANSITIONING) => 0x0a,
            Some(other) => {
                return Ok(Outcome::not_applicable(format!(
                    "the port's group {group} is in state {other:X}h, which serves every command"
                )))
            }
            None => return Err(ScenarioError::Setup(format!("group {group} is not listed"))),
        };
        let read = s.read(ctx, &[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], 4096)?;
        let inq = s.read(ctx, &[0x12, 0, 0, 0, 36, 0], 36)?;
        let rtpg = s.read(ctx, &rtpg_cdb(0, ALLOCATION), ALLOCATION)?;
        Ok(all([
            expect(&read, SenseKey::NOT_READY, AscAscq::new(0x04, ascq)),
            expect_good(&inq),
            expect_good(&rtpg),
        ]))
    })
}

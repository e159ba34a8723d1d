//! REPORT LUNS beyond the basics of [`super::basics`] (SPC-5 §6.33): the
//! SELECT REPORT codes 00h, 01h and 02h, an ALLOCATION LENGTH that cuts the
//! list short (SPC-5 §4.2.5.6), and a target with several logical units.
//! The suite cannot create logical units: the multi-LUN scenarios are not
//! applicable where the target under test lists one.
//!
//! The SPC-5 text was not at hand for these clauses: the requirements
//! paraphrase them. SELECT REPORT 00h lists the logical units other than
//! the well-known ones, 01h the well-known ones only, 02h all of them; a
//! well-known logical unit is addressed with the extended method, its
//! first byte C1h (SAM-5 §4.7.8).

use super::basics::{report_luns, reported_luns, LUN_LIST_ALLOCATION};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::cdb::ReportLuns;
use rtgt_proto::scsi::params;
use rtgt_proto::scsi::vpd::{VpdPage, DESIGNATOR_NAA};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.reportluns.select-report-02",
        "SPC-5 §6.33 REPORT LUNS (SELECT REPORT)",
        Level::Must,
        "SELECT REPORT 02h (all logical units) is GOOD and lists every LUN that SELECT REPORT \
         00h lists; any other it lists is a well-known LUN",
        select_report_02,
    ),
    Scenario::new(
        "scsi.reportluns.select-report-01",
        "SPC-5 §6.33 REPORT LUNS (SELECT REPORT)",
        Level::Must,
        "SELECT REPORT 01h (well-known logical units only) is GOOD and lists none of the LUNs \
         SELECT REPORT 00h lists, only well-known ones (possibly none)",
        select_report_01,
    ),
    Scenario::new(
        "scsi.reportluns.allocation-truncates",
        "SPC-5 §4.2.5.6 (ALLOCATION LENGTH), §6.33",
        Level::Must,
        "REPORT LUNS with an ALLOCATION LENGTH of 16 is GOOD with at most 16 bytes, and its \
         LUN LIST LENGTH is that of the whole list, not of what fitted",
        allocation_truncates,
    ),
    Scenario::new(
        "scsi.reportluns.several-luns-distinct",
        "SPC-5 §6.33, §7.7.6 Device Identification VPD page",
        Level::Must,
        "where several LUNs are listed, each answers INQUIRY with peripheral qualifier 000b, \
         and no two give the same NAA logical unit designator in VPD page 83h",
        several_luns_distinct,
    ),
    Scenario::new(
        "scsi.reportluns.several-luns-same-list",
        "SPC-5 §6.33 REPORT LUNS",
        Level::Must,
        "where several LUNs are listed, REPORT LUNS addressed to each of them returns the same \
         list (the inventory is the target's, not a logical unit's)",
        several_luns_same_list,
    ),
];

/// Whether `lun` is a well-known logical unit (extended addressing, C1h).
fn well_known(lun: &params::Lun) -> bool {
    lun.0[0] == 0xc1
}

/// The LUNs listed with `select`, or the outcome of a refusal.
fn listed_with(
    ctx: &mut Context,
    s: &mut Scsi,
    select: u8,
) -> Result<Result<Vec<params::Lun>, Outcome>, ScenarioError> {
    let cdb = ReportLuns {
        select_report: select,
        allocation_length: LUN_LIST_ALLOCATION,
        ..Default::default()
    }
    .encode();
    let r = s.read(ctx, &cdb, LUN_LIST_ALLOCATION)?;
    match params::ReportLuns::decode(&r.data) {
        Ok(d) if r.good() => Ok(Ok(d.value.luns)),
        _ => Ok(Err(Outcome::fail(
            format!("GOOD with a LUN list for SELECT REPORT {select:02X}h"),
            r.describe(),
        ))),
    }
}

/// The LUNs of SELECT REPORT 00h and of `select`, judged by `judge`.
fn compare_lists(
    ctx: &mut Context,
    select: u8,
    judge: impl FnOnce(&[params::Lun], &[params::Lun]) -> Outcome,
) -> Verdict {
    with_session(ctx, |ctx, s| {
        let plain = reported_luns(ctx, s)?;
        Ok(match listed_with(ctx, s, select)? {
            Ok(other) => judge(&plain, &other),
            Err(failed) => failed,
        })
    })
}

fn select_report_02(ctx: &mut Context) -> Verdict {
    compare_lists(ctx, 0x02, |plain, all| {
        let missing: Vec<_> = plain.iter().filter(|l| !all.contains(l)).collect();
        let odd: Vec<_> = all
            .iter()
            .filter(|l| !plain.contains(l) && !well_known(l))
            .collect();
        Outcome::check(
            missing.is_empty() && odd.is_empty(),
            "every LUN of SELECT REPORT 00h, and besides only well-known LUNs",
            format!("missing {missing:x?}, neither listed by 00h nor well-known {odd:x?}"),
        )
    })
}

fn select_report_01(ctx: &mut Context) -> Verdict {
    compare_lists(ctx, 0x01, |plain, known| {
        let wrong: Vec<_> = known
            .iter()
            .filter(|l| plain.contains(l) || !well_known(l))
            .collect();
        Outcome::check(
            wrong.is_empty(),
            "only well-known LUNs (possibly none)",
            format!(
                "{} listed, not well-known or also in 00h: {wrong:x?}",
                known.len()
            ),
        )
    })
}

fn allocation_truncates(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let full = reported_luns(ctx, s)?;
        let r = s.read(ctx, &report_luns(16), 16)?;
        let len = r
            .data
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let want = (full.len() * 8) as u32;
        Ok(Outcome::check(
            r.good() && r.data.len() <= 16 && r.data.len() >= 8 && len == Some(want),
            format!("GOOD, 8 to 16 bytes, LUN LIST LENGTH {want} (the whole list)"),
            format!(
                "{}, LUN LIST LENGTH {}",
                r.describe(),
                len.map_or("absent".to_owned(), |l| l.to_string())
            ),
        ))
    })
}

/// With several LUNs listed, runs `check` with the session addressed to
/// each (back to its own LUN after): the LUNs and the problems `check`
/// found; not applicable with one LUN.
fn each_lun(
    ctx: &mut Context,
    mut check: impl FnMut(&mut Context, &mut Scsi, &[params::Lun]) -> Result<Vec<String>, ScenarioError>,
) -> Result<Result<(usize, Vec<String>), Outcome>, ScenarioError> {
    with_session(ctx, |ctx, s| {
        let luns = reported_luns(ctx, s)?;
        if luns.len() < 2 {
            return Ok(Err(Outcome::not_applicable(
                "the target lists one LUN; the suite cannot create more",
            )));
        }
        let home = s.lun;
        let mut problems = Vec::new();
        let mut result = Ok(());
        for lun in &luns {
            s.lun = rtgt_proto::pdu::Lun(lun.0);
            match check(ctx, s, &luns) {
                Ok(found) => problems.extend(found.into_iter().map(|p| format!("{lun:x?}: {p}"))),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        s.lun = home;
        result.map(|()| Ok((luns.len(), problems)))
    })
}

/// The NAA logical unit designators of VPD page 83h, if the page is there.
fn naa_of(ctx: &mut Context, s: &mut Scsi) -> Result<Vec<Vec<u8>>, ScenarioError> {
    Ok(match vpd_page(ctx, s, 0x83)? {
        Some(VpdPage::DeviceId(ids)) => ids
            .into_iter()
            .filter(|d| d.association == 0 && d.designator_type == DESIGNATOR_NAA)
            .map(|d| d.designator)
            .collect(),
        _ => Vec::new(),
    })
}

fn several_luns_distinct(ctx: &mut Context) -> Verdict {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let found = each_lun(ctx, |ctx, s, _| {
        let mut problems = Vec::new();
        let (inq, _) = standard_inquiry(ctx, s)?;
        if inq.peripheral_qualifier != 0 {
            problems.push(format!("qualifier {:03b}b", inq.peripheral_qualifier));
        }
        for naa in naa_of(ctx, s)? {
            if seen.contains(&naa) {
                problems.push(format!("NAA designator {naa:02x?} given twice"));
            }
            seen.push(naa);
        }
        Ok(problems)
    })?;
    Ok(match found {
        Ok((n, problems)) => Outcome::check(
            problems.is_empty(),
            "qualifier 000b on each, distinct NAA designators",
            format!("{n} LUNs: {problems:?}"),
        ),
        Err(na) => na,
    })
}

fn several_luns_same_list(ctx: &mut Context) -> Verdict {
    let found = each_lun(ctx, |ctx, s, luns| {
        let mut there = reported_luns(ctx, s)?;
        let mut all = luns.to_vec();
        there.sort_by_key(|l| l.0);
        all.sort_by_key(|l| l.0);
        Ok(if there == all {
            Vec::new()
        } else {
            vec![format!("lists {there:x?}")]
        })
    })?;
    Ok(match found {
        Ok((n, problems)) => Outcome::check(
            problems.is_empty(),
            format!("the same {n} LUNs from each"),
            format!("{problems:?}"),
        ),
        Err(na) => na,
    })
}

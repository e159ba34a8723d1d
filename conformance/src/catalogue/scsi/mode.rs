//! MODE SENSE (6) and (10) (SPC-5 §6.13, §6.14, mode parameters §7.5; the
//! block descriptor SBC-4 §6.5.2).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{ModeSense10, PageControl};
use rtgt_proto::scsi::mode::{HeaderKind, ModePage, ModeParameters, PAGE_ALL};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.modesense6.all-pages",
        clause: "SPC-5 §6.13 MODE SENSE (6), §7.5",
        level: Level::Must,
        requirement: "MODE SENSE (6) of page 3Fh returns MODE DATA LENGTH + 1 bytes that parse \
                      into whole pages, in ascending page code order",
        needs: Needs::NONE,
        run: all_pages6,
    },
    Scenario {
        id: "scsi.modesense10.all-pages",
        clause: "SPC-5 §6.14 MODE SENSE (10), §7.5",
        level: Level::Must,
        requirement: "MODE SENSE (10) of page 3Fh returns MODE DATA LENGTH + 2 bytes holding the \
                      pages MODE SENSE (6) returns",
        needs: Needs::NONE,
        run: all_pages10,
    },
    Scenario {
        id: "scsi.modesense6.block-descriptor",
        clause: "SBC-4 (mode parameter block descriptors), SPC-5 §6.13 MODE SENSE (6)",
        level: Level::Must,
        requirement: "a block descriptor, when returned, gives READ CAPACITY's block length and \
                      number of blocks (FFFFFFFFh when more), or 0 blocks (not reported)",
        needs: Needs::NONE,
        run: block_descriptor,
    },
    Scenario {
        id: "scsi.modesense6.dbd",
        clause: "SPC-5 §6.13 MODE SENSE (6)",
        level: Level::Must,
        requirement: "with DBD one no block descriptor is returned (BLOCK DESCRIPTOR LENGTH zero)",
        needs: Needs::NONE,
        run: dbd,
    },
    Scenario {
        id: "scsi.modesense6.single-page-matches-all",
        clause: "SPC-5 §6.13 MODE SENSE (6)",
        level: Level::Must,
        requirement: "each page of the 3Fh list, asked for alone, comes back alone and identical",
        needs: Needs::NONE,
        run: single_pages,
    },
    Scenario {
        id: "scsi.modesense6.control-page",
        clause: "SPC-5 §7.5.8",
        level: Level::Should,
        requirement: "the Control mode page (0Ah) is present with PAGE LENGTH 0Ah",
        needs: Needs::NONE,
        run: control_page,
    },
    Scenario {
        id: "scsi.modesense6.caching-page",
        clause: "SBC-4 §6.5.5",
        level: Level::Should,
        requirement: "a disk has the Caching mode page (08h), PAGE LENGTH 12h",
        needs: Needs::NONE,
        run: caching_page,
    },
    Scenario {
        id: "scsi.modesense6.unsupported-page",
        clause: "SPC-5 §6.13 MODE SENSE (6)",
        level: Level::Must,
        requirement: "a page the device does not have is ILLEGAL REQUEST, INVALID FIELD IN CDB \
                      (field pointer, when given, at byte 2)",
        needs: Needs::NONE,
        run: unsupported_page,
    },
    Scenario {
        id: "scsi.modesense6.saved-without-saving",
        clause: "SPC-5 §6.13 MODE SENSE (6)",
        level: Level::Must,
        requirement:
            "a device with no savable page (no PS bit) answers PC 11b (saved values) with \
                      ILLEGAL REQUEST, SAVING PARAMETERS NOT SUPPORTED",
        needs: Needs::NONE,
        run: saved_without_saving,
    },
    Scenario {
        id: "scsi.modesense6.changeable-same-pages",
        clause: "SPC-5 §6.13 MODE SENSE (6), §7.5",
        level: Level::Must,
        requirement:
            "PC 01b (changeable values) returns the same pages, with the same lengths, as \
                      the current values",
        needs: Needs::NONE,
        run: changeable_same_pages,
    },
];

/// Each page as it is on the wire.
pub(super) fn raw_pages(m: &ModeParameters) -> Vec<Vec<u8>> {
    m.pages
        .iter()
        .map(|p| {
            let mut b = Vec::new();
            p.encode_into(&mut b);
            b
        })
        .collect()
}

fn codes(m: &ModeParameters) -> Vec<(u8, Option<u8>)> {
    m.pages.iter().map(ModePage::code).collect()
}

fn all_pages6(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = mode_sense6(ctx, s, PAGE_ALL, PageControl::Current, false)?;
        let declared = 1 + usize::from(r.data.first().copied().unwrap_or(0));
        let decoded = ModeParameters::decode(&r.data, HeaderKind::Six);
        let Ok(m) = decoded else {
            return Ok(Outcome::fail(
                "mode parameters that parse",
                format!("{}: {decoded:?}", r.describe()),
            ));
        };
        let order: Vec<u8> = m
            .value
            .pages
            .iter()
            .map(|p| p.code().0)
            .filter(|c| *c != 0)
            .collect();
        Ok(Outcome::check(
            r.good() && r.data.len() == declared && order.windows(2).all(|w| w[0] <= w[1]),
            "GOOD, MODE DATA LENGTH + 1 bytes, pages in ascending order",
            format!(
                "{}, MODE DATA LENGTH + 1 = {declared}, pages {:02x?}",
                r.describe(),
                codes(&m.value)
            ),
        ))
    })
}

fn all_pages10(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let six = mode_pages(ctx, s, PageControl::Current)?;
        let cdb = ModeSense10 {
            page_code: PAGE_ALL,
            allocation_length: 4096,
            ..Default::default()
        }
        .encode();
        let r = s.read(ctx, &cdb, 4096)?;
        let declared = 2 + r
            .data
            .get(..2)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        let Ok(m) = ModeParameters::decode(&r.data, HeaderKind::Ten) else {
            return Ok(Outcome::fail("mode parameters that parse", r.describe()));
        };
        Ok(Outcome::check(
            r.good() && r.data.len() == declared && codes(&m.value) == codes(&six),
            format!(
                "GOOD, MODE DATA LENGTH + 2 bytes, pages {:02x?}",
                codes(&six)
            ),
            format!(
                "{}, MODE DATA LENGTH + 2 = {declared}, pages {:02x?}",
                r.describe(),
                codes(&m.value)
            ),
        ))
    })
}

fn block_descriptor(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let m = mode_pages(ctx, s, PageControl::Current)?;
        let Some(d) = m.block_descriptors.first() else {
            return Ok(Outcome::not_applicable("no block descriptor is returned"));
        };
        let blocks = cap.blocks().min(u64::from(u32::MAX));
        // SBC-4 mode parameter block descriptors: "the device server may
        // return a value of zero indicating that it does not report the
        // number of logical blocks" (read in the long LBA descriptor's text,
        // as Seagate's SBC-4 reference gives it; the short descriptor's own
        // text was not at hand).
        Ok(Outcome::check(
            d.block_length == cap.block_len && (d.blocks == blocks || d.blocks == 0),
            format!(
                "{blocks} (or 0, not reported) blocks of {} bytes",
                cap.block_len
            ),
            format!("{} blocks of {} bytes", d.blocks, d.block_length),
        ))
    })
}

fn dbd(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = mode_sense6(ctx, s, PAGE_ALL, PageControl::Current, true)?;
        Ok(Outcome::check(
            r.good() && r.data.get(3) == Some(&0),
            "GOOD, BLOCK DESCRIPTOR LENGTH 0",
            format!("{}, header {:02x?}", r.describe(), r.data.get(..4)),
        ))
    })
}

fn single_pages(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let all = mode_pages(ctx, s, PageControl::Current)?;
        for (page, raw) in all.pages.iter().zip(raw_pages(&all)) {
            let (code, sub) = page.code();
            if sub.is_some() {
                continue;
            }
            let r = mode_sense6(ctx, s, code, PageControl::Current, true)?;
            let alone = ModeParameters::decode(&r.data, HeaderKind::Six)
                .ok()
                .map(|m| raw_pages(&m.value));
            if !r.good() || alone != Some(vec![raw.clone()]) {
                return Ok(Outcome::fail(
                    format!("page {code:02X}h alone, as in the 3Fh list: {raw:02x?}"),
                    format!("{}: {alone:02x?}", r.describe()),
                ));
            }
        }
        Ok(Outcome::Pass)
    })
}

fn page_length(ctx: &mut Context, s: &mut Scsi, code: u8) -> Result<Option<u8>, ScenarioError> {
    let all = mode_pages(ctx, s, PageControl::Current)?;
    Ok(all
        .pages
        .iter()
        .zip(raw_pages(&all))
        .find(|(p, _)| p.code() == (code, None))
        .and_then(|(_, raw)| raw.get(1).copied()))
}

/// Mode page `code` present with PAGE LENGTH `length` (SPC-5 §7.5).
fn page_length_is(ctx: &mut Context, code: u8, length: u8) -> Verdict {
    with_session(ctx, |ctx, s| {
        let len = page_length(ctx, s, code)?;
        Ok(Outcome::check(
            len == Some(length),
            format!("page {code:02X}h with PAGE LENGTH {length:02X}h"),
            format!("PAGE LENGTH {len:02x?}"),
        ))
    })
}

cases! {
    control_page => page_length_is(0x0a, 0x0a);
    caching_page => page_length_is(0x08, 0x12);
}

fn unsupported_page(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let have: Vec<u8> = codes(&mode_pages(ctx, s, PageControl::Current)?)
            .into_iter()
            .map(|c| c.0)
            .collect();
        // Pages of other device types a disk does not have.
        let Some(page) = [0x0eu8, 0x05, 0x2a, 0x3e]
            .into_iter()
            .find(|p| !have.contains(p))
        else {
            return Ok(Outcome::not_applicable(
                "the device has every candidate page",
            ));
        };
        let r = mode_sense6(ctx, s, page, PageControl::Current, false)?;
        Ok(expect_invalid_field(&r, 2))
    })
}

fn saved_without_saving(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let all = mode_pages(ctx, s, PageControl::Current)?;
        if all.pages.iter().any(|p| p.ps) {
            return Ok(Outcome::not_applicable("some page can be saved (PS set)"));
        }
        let r = mode_sense6(ctx, s, PAGE_ALL, PageControl::Saved, false)?;
        Ok(expect_illegal(&r, AscAscq::SAVING_PARAMETERS_NOT_SUPPORTED))
    })
}

fn changeable_same_pages(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let current = mode_pages(ctx, s, PageControl::Current)?;
        let r = mode_sense6(ctx, s, PAGE_ALL, PageControl::Changeable, false)?;
        let changeable = match ModeParameters::decode(&r.data, HeaderKind::Six) {
            Ok(m) if r.good() => m.value,
            _ => return Err(setup("MODE SENSE (6) of changeable values", &r)),
        };
        let shape = |m: &ModeParameters| -> Vec<(u8, usize)> {
            raw_pages(m)
                .iter()
                .map(|p| (p.first().copied().unwrap_or(0) & 0x3f, p.len()))
                .collect()
        };
        Ok(Outcome::check(
            shape(&current) == shape(&changeable),
            format!("pages and lengths {:02x?}", shape(&current)),
            format!("{:02x?}", shape(&changeable)),
        ))
    })
}

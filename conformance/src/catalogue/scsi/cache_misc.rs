//! SYNCHRONIZE CACHE (10) and (16) (SBC-4 §5.33, §5.34), START STOP UNIT
//! (SBC-4 §5.27), PREVENT ALLOW MEDIUM REMOVAL (SBC-4) and GET LBA
//! STATUS (16) (SBC-4 §5.6).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{
    GetLbaStatus, PreventAllowMediumRemoval, StartStopUnit, SynchronizeCache10, SynchronizeCache16,
    TestUnitReady,
};
use rtgt_proto::scsi::params::LbaStatus;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.synccache10.whole-medium",
        clause: "SBC-4 §5.33 SYNCHRONIZE CACHE (10)",
        level: Level::Must,
        requirement: "SYNCHRONIZE CACHE (10) with LBA zero and NUMBER OF BLOCKS zero (the whole \
                      medium) is GOOD",
        needs: Needs::NONE,
        run: sync10_whole,
    },
    Scenario {
        id: "scsi.synccache10.beyond-eol",
        clause: "SBC-4 §5.33 SYNCHRONIZE CACHE (10)",
        level: Level::Must,
        requirement:
            "SYNCHRONIZE CACHE (10) of a range past the last LBA is LOGICAL BLOCK ADDRESS \
                      OUT OF RANGE",
        needs: Needs::NONE,
        run: sync10_beyond,
    },
    Scenario {
        id: "scsi.synccache16.range",
        clause: "SBC-4 §5.34 SYNCHRONIZE CACHE (16)",
        level: Level::Must,
        requirement: "SYNCHRONIZE CACHE (16) of the scratch range is GOOD",
        needs: Needs::NONE,
        run: sync16_range,
    },
    Scenario {
        id: "scsi.synccache16.crossing-eol",
        clause: "SBC-4 §5.34 SYNCHRONIZE CACHE (16)",
        level: Level::Must,
        requirement: "SYNCHRONIZE CACHE (16) of two blocks from the last LBA is LOGICAL BLOCK \
                      ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: sync16_crossing,
    },
    Scenario {
        id: "scsi.startstop.start",
        clause: "SBC-4 §5.27 START STOP UNIT",
        level: Level::Must,
        requirement: "START STOP UNIT with START one (and LOEJ zero) makes the unit ready: GOOD, \
                      and TEST UNIT READY then GOOD",
        needs: Needs::NONE,
        run: start_unit,
    },
    Scenario {
        id: "scsi.preventallow.allow",
        clause: "SBC-4 PREVENT ALLOW MEDIUM REMOVAL",
        level: Level::Must,
        requirement: "PREVENT ALLOW MEDIUM REMOVAL with PREVENT 00b (allow removal) is GOOD",
        needs: Needs::NONE,
        run: prevent_allow,
    },
    Scenario {
        id: "scsi.getlbastatus.starts-at-lba",
        clause: "SBC-4 §5.6 GET LBA STATUS (16)",
        level: Level::Must,
        requirement:
            "GET LBA STATUS of the scratch LBA is GOOD and its first descriptor starts at \
                      that LBA",
        needs: Needs::NONE,
        run: lba_status_start,
    },
    Scenario {
        id: "scsi.getlbastatus.beyond-eol",
        clause: "SBC-4 §5.6 GET LBA STATUS (16)",
        level: Level::Must,
        requirement: "GET LBA STATUS with a STARTING LOGICAL BLOCK ADDRESS past the last LBA is \
                      LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: lba_status_beyond,
    },
];

fn sync10(lba: u32, blocks: u16) -> [u8; 10] {
    SynchronizeCache10 {
        lba,
        number_of_blocks: blocks,
        ..Default::default()
    }
    .encode()
}

fn sync16(lba: u64, blocks: u32) -> [u8; 16] {
    SynchronizeCache16 {
        lba,
        number_of_blocks: blocks,
        ..Default::default()
    }
    .encode()
}

fn sync10_whole(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| Ok(expect_good(&s.none(ctx, &sync10(0, 0))?)))
}

fn sync10_beyond(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let Ok(lba) = u32::try_from(cap.last_lba + 1) else {
            return Ok(Outcome::not_applicable(
                "the LUN is too large for SYNCHRONIZE CACHE (10) to address past its end",
            ));
        };
        Ok(expect_lba_out_of_range(&s.none(ctx, &sync10(lba, 1))?))
    })
}

fn sync16_range(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cdb = sync16(ctx.target.scratch_lba, ctx.target.scratch_blocks.max(1));
        Ok(expect_good(&s.none(ctx, &cdb)?))
    })
}

fn sync16_crossing(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        Ok(expect_lba_out_of_range(
            &s.none(ctx, &sync16(cap.last_lba, 2))?,
        ))
    })
}

fn start_unit(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cdb = StartStopUnit {
            start: true,
            ..Default::default()
        }
        .encode();
        let r = s.none(ctx, &cdb)?;
        if let Some(outcome) = not_implemented(&r, "START STOP UNIT").or_else(|| not_good(&r)) {
            return Ok(outcome);
        }
        let tur = s.none(ctx, &TestUnitReady::default().encode())?;
        Ok(Outcome::check(
            tur.good(),
            "TEST UNIT READY GOOD after the start",
            tur.describe(),
        ))
    })
}

fn prevent_allow(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &PreventAllowMediumRemoval::default().encode())?;
        Ok(not_implemented(&r, "PREVENT ALLOW MEDIUM REMOVAL").unwrap_or_else(|| expect_good(&r)))
    })
}

fn get_lba_status(lba: u64) -> [u8; 16] {
    GetLbaStatus {
        lba,
        allocation_length: 4096,
        ..Default::default()
    }
    .encode()
}

/// SPC-5 §4.2.5.2: an unknown service action of SERVICE ACTION IN (16) is
/// INVALID FIELD IN CDB; with every other field valid, either answer means
/// GET LBA STATUS is absent.
fn absent(r: &Reply) -> bool {
    unsupported(r) || r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB)
}

const NO_GLS: &str = "the device does not implement GET LBA STATUS";

fn lba_status_start(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let lba = ctx.target.scratch_lba;
        let r = s.read(ctx, &get_lba_status(lba), 4096)?;
        if absent(&r) {
            return Ok(Outcome::not_applicable(NO_GLS));
        }
        if !r.good() {
            return Ok(expect_good(&r));
        }
        let status = LbaStatus::decode(&r.data)
            .map_err(|e| ScenarioError::Setup(format!("GET LBA STATUS data: {e}")))?;
        let first = status.value.descriptors.first().map(|d| d.lba);
        Ok(Outcome::check(
            first == Some(lba),
            format!("a first descriptor at LBA {lba}"),
            format!("first descriptor at {first:?}"),
        ))
    })
}

fn lba_status_beyond(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let probe = s.read(ctx, &get_lba_status(0), 4096)?;
        if !probe.good() {
            if absent(&probe) {
                return Ok(Outcome::not_applicable(NO_GLS));
            }
            return Err(setup("GET LBA STATUS at LBA 0", &probe));
        }
        let r = s.read(ctx, &get_lba_status(cap.last_lba + 1), 4096)?;
        Ok(expect_lba_out_of_range(&r))
    })
}

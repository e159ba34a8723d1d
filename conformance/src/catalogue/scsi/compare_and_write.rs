//! COMPARE AND WRITE (SBC-4 §5.3). Optional: a device that reports it
//! unsupported (Block Limits MAXIMUM COMPARE AND WRITE LENGTH zero, or
//! REPORT SUPPORTED OPERATION CODES) makes these scenarios not applicable.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, CompareAndWrite};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.caw.match-writes",
        clause: "SBC-4 §5.3 COMPARE AND WRITE",
        level: Level::Must,
        requirement:
            "COMPARE AND WRITE whose verify data equals the medium writes its write data: \
                      GOOD, and the block reads back as the write data; a device whose Block \
                      Limits page or REPORT SUPPORTED OPERATION CODES claims the command must \
                      implement it",
        needs: Needs::NONE,
        run: caw_match,
    },
    Scenario {
        id: "scsi.caw.miscompare",
        clause: "SBC-4 §5.3 COMPARE AND WRITE",
        level: Level::Must,
        requirement:
            "COMPARE AND WRITE whose verify data differs is MISCOMPARE, MISCOMPARE DURING \
                      VERIFY OPERATION, INFORMATION holding the offset of the first differing \
                      byte, and the medium is left unchanged",
        needs: Needs::NONE,
        run: caw_miscompare,
    },
    Scenario {
        id: "scsi.caw.beyond-eol",
        clause: "SBC-4 §4.5, §5.3 COMPARE AND WRITE",
        level: Level::Must,
        requirement: "COMPARE AND WRITE past the last LBA is LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: caw_beyond_eol,
    },
];

/// `Ok(true)` when the device claims COMPARE AND WRITE, `Ok(false)` when it
/// says it lacks it, and `None` when it says neither.
fn claimed(ctx: &mut Context, s: &mut Scsi) -> Result<Option<bool>, ScenarioError> {
    if let Some(limits) = block_limits(ctx, s)? {
        // SBC-4 §6.6.4: zero means COMPARE AND WRITE is not supported.
        return Ok(Some(limits.max_compare_and_write_length > 0));
    }
    reported_support(ctx, s, op::COMPARE_AND_WRITE, None)
}

const NOT_CLAIMED: &str = "the device reports that it does not support COMPARE AND WRITE";

/// Not applicable when refused as unknown by a device that did not claim
/// it; `strict` false makes it not applicable even when claimed, the claim
/// being judged by `scsi.caw.match-writes` alone.
fn refused(reply: &Reply, claim: Option<bool>, strict: bool) -> Option<Outcome> {
    (unsupported(reply) && (claim != Some(true) || !strict))
        .then(|| Outcome::not_applicable("the device does not implement COMPARE AND WRITE"))
}

fn cdb(lba: u64) -> [u8; 16] {
    CompareAndWrite {
        lba,
        number_of_blocks: 1,
        ..Default::default()
    }
    .encode()
}

fn caw_match(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, sc| {
        let claim = claimed(ctx, s)?;
        if claim == Some(false) {
            return Ok(Outcome::not_applicable(NOT_CLAIMED));
        }
        let new = pattern(1, sc.cap.block_len, 0x89);
        let mut data = sc.saved.clone();
        data.extend_from_slice(&new);
        let r = s.write(ctx, &cdb(sc.lba), data)?;
        if let Some(na) = refused(&r, claim, true) {
            return Ok(na);
        }
        reads_back(
            ctx,
            s,
            (sc.cap, sc.lba),
            &r,
            &new,
            "the write data on the medium",
        )
    })
}

fn caw_miscompare(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, sc| {
        let claim = claimed(ctx, s)?;
        if claim == Some(false) {
            return Ok(Outcome::not_applicable(NOT_CLAIMED));
        }
        let at = sc.bytes(1) / 3;
        let mut data = sc.saved.clone();
        if let Some(b) = data.get_mut(at) {
            *b ^= 0xa5;
        }
        data.extend(pattern(1, sc.cap.block_len, 0x8a));
        let r = s.write(ctx, &cdb(sc.lba), data)?;
        if let Some(na) = refused(&r, claim, false) {
            return Ok(na);
        }
        let sense = expect(&r, SenseKey::MISCOMPARE, AscAscq::MISCOMPARE_DURING_VERIFY);
        if sense != Outcome::Pass {
            return Ok(sense);
        }
        let info = r.sense.as_ref().and_then(|s| s.information);
        if info != Some(at as u64) {
            return Ok(Outcome::fail(
                format!("INFORMATION {at}, the offset of the first differing byte"),
                format!("INFORMATION {info:?}"),
            ));
        }
        let back = read_blocks(ctx, s, sc.cap, sc.lba, 1)?;
        Ok(Outcome::check(
            back == sc.saved,
            "the medium unchanged after the miscompare",
            "the block was written",
        ))
    })
}

fn caw_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let claim = claimed(ctx, s)?;
        if claim == Some(false) {
            return Ok(Outcome::not_applicable(NOT_CLAIMED));
        }
        let cap = capacity(ctx, s)?;
        let r = s.write(ctx, &cdb(cap.last_lba + 1), vec![0; cap.bytes(2) as usize])?;
        if let Some(na) = refused(&r, claim, false) {
            return Ok(na);
        }
        Ok(expect_lba_out_of_range(&r))
    })
}

//! VERIFY (10) and (16) (SBC-4 §5.36 and §5.38; the BYTCHK
//! table). Nothing is written: the blocks compared are read first.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Verify10, Verify16};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.verify10.medium-only",
        clause: "SBC-4 §5.36 VERIFY (10)",
        level: Level::Must,
        requirement: "VERIFY (10) with BYTCHK 00b of readable blocks is GOOD",
        needs: Needs::NONE,
        run: verify10_medium,
    },
    Scenario {
        id: "scsi.verify10.compare-match",
        clause: "SBC-4 §5.36 VERIFY (10)",
        level: Level::Must,
        requirement: "VERIFY (10) with BYTCHK 01b and the blocks' own content is GOOD",
        needs: Needs::NONE,
        run: verify10_match,
    },
    Scenario {
        id: "scsi.verify10.compare-miscompare",
        clause: "SBC-4 §5.36 VERIFY (10)",
        level: Level::Must,
        requirement: "VERIFY (10) with BYTCHK 01b and data differing in one byte is MISCOMPARE, \
                      MISCOMPARE DURING VERIFY OPERATION",
        needs: Needs::NONE,
        run: verify10_miscompare,
    },
    Scenario {
        id: "scsi.verify10.bytchk-reserved",
        clause: "SBC-4 §5.36 VERIFY (10)",
        level: Level::Must,
        requirement: "BYTCHK 10b is a reserved code value: INVALID FIELD IN CDB (field pointer, \
                      when given, at byte 1)",
        needs: Needs::NONE,
        run: verify10_bytchk_reserved,
    },
    Scenario {
        id: "scsi.verify10.beyond-eol",
        clause: "SBC-4 §4.5, §5.36 VERIFY (10)",
        level: Level::Must,
        requirement:
            "VERIFY (10) of a block past the last LBA is LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: verify10_beyond_eol,
    },
    Scenario {
        id: "scsi.verify10.zero-blocks",
        clause: "SBC-4 §5.36 VERIFY (10)",
        level: Level::Must,
        requirement: "VERIFY (10) with VERIFICATION LENGTH zero verifies nothing and is GOOD",
        needs: Needs::NONE,
        run: verify10_zero,
    },
    Scenario {
        id: "scsi.verify16.compare-miscompare",
        clause: "SBC-4 §5.38 VERIFY (16)",
        level: Level::Must,
        requirement: "VERIFY (16) with BYTCHK 01b and differing data is MISCOMPARE, MISCOMPARE \
                      DURING VERIFY OPERATION; with the blocks' own content it is GOOD",
        needs: Needs::NONE,
        run: verify16_compare,
    },
];

const BLOCKS: u32 = 2;

fn v10(lba: u64, blocks: u32, bytchk: u8) -> Verify10 {
    Verify10 {
        lba,
        length: blocks,
        bytchk,
        ..Default::default()
    }
}

/// The LBA to verify at and its blocks' content.
pub(super) fn blocks(ctx: &mut Context, s: &mut Scsi) -> Result<(u64, Vec<u8>), ScenarioError> {
    let cap = capacity(ctx, s)?;
    let lba = ctx.target.scratch_lba;
    Ok((lba, read_blocks(ctx, s, cap, lba, BLOCKS)?))
}

pub(super) fn flip_one(mut data: Vec<u8>) -> Vec<u8> {
    let at = data.len() / 2 + 3;
    if let Some(b) = data.get_mut(at) {
        *b ^= 0x5a;
    }
    data
}

fn verify10_medium(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (lba, _) = blocks(ctx, s)?;
        let r = s.none(ctx, &v10(lba, BLOCKS, 0).encode())?;
        Ok(expect_good(&r))
    })
}

fn verify10_match(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (lba, data) = blocks(ctx, s)?;
        let r = s.write(ctx, &v10(lba, BLOCKS, 1).encode(), data)?;
        Ok(expect_good(&r))
    })
}

fn verify10_miscompare(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (lba, data) = blocks(ctx, s)?;
        let r = s.write(ctx, &v10(lba, BLOCKS, 1).encode(), flip_one(data))?;
        Ok(expect(
            &r,
            SenseKey::MISCOMPARE,
            AscAscq::MISCOMPARE_DURING_VERIFY,
        ))
    })
}

fn verify10_bytchk_reserved(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (lba, _) = blocks(ctx, s)?;
        let r = s.none(ctx, &v10(lba, BLOCKS, 0b10).encode())?;
        Ok(expect_invalid_field(&r, 1))
    })
}

fn verify10_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        if cap.last_lba >= u64::from(u32::MAX) {
            return Ok(Outcome::not_applicable(
                "the LUN is too large for VERIFY (10) to address past its end",
            ));
        }
        let r = s.none(ctx, &v10(cap.last_lba + 1, 1, 0).encode())?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn verify10_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &v10(ctx.target.scratch_lba, 0, 0).encode())?;
        Ok(expect_good(&r))
    })
}

fn verify16_compare(ctx: &mut Context) -> Verdict {
    compare(ctx, "VERIFY (16)", |lba, blocks| {
        Verify16 {
            lba,
            length: blocks,
            bytchk: 1,
            ..Default::default()
        }
        .encode()
        .to_vec()
    })
}

/// A VERIFY with BYTCHK 01b (the CDB `cdb` builds for an LBA and a block
/// count) of the blocks' own content is GOOD, of data differing in one byte
/// MISCOMPARE; not applicable when the device does not implement `name`.
pub(super) fn compare(ctx: &mut Context, name: &str, cdb: fn(u64, u32) -> Vec<u8>) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (lba, data) = blocks(ctx, s)?;
        let cdb = cdb(lba, BLOCKS);
        let same = s.write(ctx, &cdb, data.clone())?;
        if let Some(o) = not_implemented(&same, name) {
            return Ok(o);
        }
        if !same.good() {
            return Ok(Outcome::fail(
                "GOOD comparing the blocks' own content",
                same.describe(),
            ));
        }
        let r = s.write(ctx, &cdb, flip_one(data))?;
        Ok(expect(
            &r,
            SenseKey::MISCOMPARE,
            AscAscq::MISCOMPARE_DURING_VERIFY,
        ))
    })
}

//! VERIFY (12), and VERIFY (16) beyond the comparison `verify` checks
//! (SBC-4 VERIFY (12), VERIFY (16); the BYTCHK table; LBA ranges §4.5).
//! Optional commands: a device that answers INVALID COMMAND OPERATION CODE
//! makes these scenarios not applicable. Nothing is written.

use super::optional::probe;
use super::support::*;
use super::verify::{blocks, compare};
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::cdb::{Verify12, Verify16};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.verify12.medium-only",
        clause: "SBC-4 VERIFY (12)",
        level: Level::Must,
        requirement: "VERIFY (12) with BYTCHK 00b of readable blocks is GOOD",
        needs: Needs::NONE,
        run: verify12_medium,
    },
    Scenario {
        id: "scsi.verify12.compare",
        clause: "SBC-4 VERIFY (12)",
        level: Level::Must,
        requirement: "VERIFY (12) with BYTCHK 01b is GOOD with the blocks' own content and \
                      MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION with data differing in one \
                      byte",
        needs: Needs::NONE,
        run: verify12_compare,
    },
    Scenario {
        id: "scsi.verify12.bytchk-reserved",
        clause: "SBC-4 VERIFY (12)",
        level: Level::Must,
        requirement: "BYTCHK 10b is a reserved code value: INVALID FIELD IN CDB (field pointer, \
                      when given, at byte 1)",
        needs: Needs::NONE,
        run: verify12_bytchk_reserved,
    },
    Scenario {
        id: "scsi.verify12.beyond-eol",
        clause: "SBC-4 §4.5, VERIFY (12)",
        level: Level::Must,
        requirement: "VERIFY (12) of a block past the last LBA is LOGICAL BLOCK ADDRESS OUT OF \
                      RANGE",
        needs: Needs::NONE,
        run: verify12_beyond_eol,
    },
    Scenario {
        id: "scsi.verify12.zero-blocks",
        clause: "SBC-4 VERIFY (12)",
        level: Level::Must,
        requirement: "VERIFY (12) with VERIFICATION LENGTH zero verifies nothing and is GOOD",
        needs: Needs::NONE,
        run: verify12_zero,
    },
    Scenario {
        id: "scsi.verify16.medium-only",
        clause: "SBC-4 VERIFY (16)",
        level: Level::Must,
        requirement: "VERIFY (16) with BYTCHK 00b of readable blocks is GOOD",
        needs: Needs::NONE,
        run: verify16_medium,
    },
    Scenario {
        id: "scsi.verify16.beyond-eol",
        clause: "SBC-4 §4.5, VERIFY (16)",
        level: Level::Must,
        requirement: "VERIFY (16) of two blocks from the last LBA is LOGICAL BLOCK ADDRESS OUT \
                      OF RANGE",
        needs: Needs::NONE,
        run: verify16_crossing_eol,
    },
    Scenario {
        id: "scsi.verify16.lba-wraps",
        clause: "SBC-4 §4.5, VERIFY (16)",
        level: Level::Must,
        requirement: "VERIFY (16) of two blocks at LBA FFFFFFFFFFFFFFFFh, whose end wraps past \
                      zero, is LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: verify16_wraps,
    },
    Scenario {
        id: "scsi.verify16.vrprotect-without-protection",
        clause: "SBC-4 VERIFY (16), VRPROTECT field table",
        // As READ (10)'s RDPROTECT: a logical unit that does not support
        // protection information should terminate the command: a SHOULD.
        level: Level::Should,
        requirement: "a LUN without protection information (PROTECT zero) refuses VERIFY (16) \
                      with a non-zero VRPROTECT: ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: verify16_vrprotect,
    },
];

const BLOCKS: u32 = 2;
const V12: &str = "VERIFY (12)";
const V16: &str = "VERIFY (16)";

fn v12(lba: u64, blocks: u32, bytchk: u8) -> [u8; 12] {
    Verify12 {
        lba,
        length: blocks,
        bytchk,
        ..Default::default()
    }
    .encode()
}

fn v16(lba: u64, blocks: u32, bytchk: u8) -> [u8; 16] {
    Verify16 {
        lba,
        length: blocks,
        bytchk,
        ..Default::default()
    }
    .encode()
}

fn verify12_medium(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (lba, _) = blocks(ctx, s)?;
        let r = s.none(ctx, &v12(lba, BLOCKS, 0))?;
        Ok(not_implemented(&r, V12).unwrap_or_else(|| expect_good(&r)))
    })
}

fn verify12_compare(ctx: &mut Context) -> Verdict {
    compare(ctx, V12, |lba, blocks| v12(lba, blocks, 1).to_vec())
}

fn verify12_bytchk_reserved(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        V12,
        |_| Some(v12(0, BLOCKS, 0b10).to_vec()),
        |r| expect_invalid_field(r, 1),
    )
}

fn verify12_beyond_eol(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        V12,
        |cap| {
            let past = cap.last_lba.checked_add(1)?;
            (past <= u64::from(u32::MAX)).then(|| v12(past, 1, 0).to_vec())
        },
        expect_lba_out_of_range,
    )
}

fn verify12_zero(ctx: &mut Context) -> Verdict {
    probe(ctx, V12, |_| Some(v12(0, 0, 0).to_vec()), expect_good)
}

fn verify16_medium(ctx: &mut Context) -> Verdict {
    probe(ctx, V16, |_| Some(v16(0, BLOCKS, 0).to_vec()), expect_good)
}

fn verify16_crossing_eol(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        V16,
        |cap| Some(v16(cap.last_lba, 2, 0).to_vec()),
        expect_lba_out_of_range,
    )
}

fn verify16_wraps(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        V16,
        |_| Some(v16(u64::MAX, 2, 0).to_vec()),
        expect_lba_out_of_range,
    )
}

fn verify16_vrprotect(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if standard_inquiry(ctx, s)?.0.protect {
            return Ok(Outcome::not_applicable(
                "the LUN supports protection information",
            ));
        }
        let cdb = Verify16 {
            vrprotect: 1,
            lba: 0,
            length: 1,
            ..Default::default()
        };
        let r = s.none(ctx, &cdb.encode())?;
        Ok(not_implemented(&r, V16).unwrap_or_else(|| expect_invalid_field(&r, 1)))
    })
}

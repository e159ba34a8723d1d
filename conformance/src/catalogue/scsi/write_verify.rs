//! WRITE AND VERIFY (10), (12) and (16) (SBC-4 WRITE AND VERIFY (10),
//! (12), (16); the BYTCHK table; LBA ranges §4.5). Optional commands: a
//! device that answers INVALID COMMAND OPERATION CODE makes these scenarios
//! not applicable. Writes stay in the scratch range, which is restored.

use super::optional::{probe, probe_with};
use super::rw16::write_crossing_eol;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::cdb::{WriteAndVerify10, WriteAndVerify12, WriteAndVerify16};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.write-verify10.read-back",
        clause: "SBC-4 WRITE AND VERIFY (10)",
        level: Level::Must,
        requirement: "WRITE AND VERIFY (10) with BYTCHK 00b is GOOD and the blocks read back as \
                      written",
        needs: Needs::NONE,
        run: wv10_read_back,
    },
    Scenario {
        id: "scsi.write-verify12.read-back",
        clause: "SBC-4 WRITE AND VERIFY (12)",
        level: Level::Must,
        requirement: "WRITE AND VERIFY (12) with BYTCHK 01b (compare what was written) is GOOD \
                      and the blocks read back as written",
        needs: Needs::NONE,
        run: wv12_read_back,
    },
    Scenario {
        id: "scsi.write-verify16.read-back",
        clause: "SBC-4 WRITE AND VERIFY (16)",
        level: Level::Must,
        requirement: "WRITE AND VERIFY (16) with BYTCHK 01b is GOOD and the blocks read back as \
                      written",
        needs: Needs::NONE,
        run: wv16_read_back,
    },
    Scenario {
        id: "scsi.write-verify10.bytchk-reserved",
        clause: "SBC-4 WRITE AND VERIFY (10)",
        level: Level::Must,
        requirement: "BYTCHK 10b is a reserved code value: INVALID FIELD IN CDB (field pointer, \
                      when given, at byte 1), and nothing is written",
        needs: Needs::NONE,
        run: wv10_bytchk_reserved,
    },
    Scenario {
        id: "scsi.write-verify10.beyond-eol",
        clause: "SBC-4 §4.5, WRITE AND VERIFY (10)",
        level: Level::Must,
        requirement: "WRITE AND VERIFY (10) of one block just past the last LBA is LOGICAL \
                      BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: wv10_beyond_eol,
    },
    Scenario {
        id: "scsi.write-verify16.crossing-eol",
        clause: "SBC-4 §4.5, WRITE AND VERIFY (16)",
        level: Level::Must,
        requirement: "WRITE AND VERIFY (16) of two blocks from the last LBA is LOGICAL BLOCK \
                      ADDRESS OUT OF RANGE and leaves the last block unchanged",
        needs: Needs::NONE,
        run: wv16_crossing_eol,
    },
    Scenario {
        id: "scsi.write-verify12.zero-blocks",
        clause: "SBC-4 WRITE AND VERIFY (12)",
        level: Level::Must,
        requirement: "WRITE AND VERIFY (12) with TRANSFER LENGTH zero writes nothing and is GOOD",
        needs: Needs::NONE,
        run: wv12_zero,
    },
    Scenario {
        id: "scsi.write-verify16.wrprotect-without-protection",
        clause: "SBC-4 WRITE AND VERIFY (16), WRPROTECT field table",
        // As WRITE (10)'s WRPROTECT: a logical unit that does not support
        // protection information should terminate the command: a SHOULD.
        level: Level::Should,
        requirement: "a LUN without protection information refuses WRITE AND VERIFY (16) with a \
                      non-zero WRPROTECT: ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: wv16_wrprotect,
    },
];

const BLOCKS: u32 = 4;
const W10: &str = "WRITE AND VERIFY (10)";
const W12: &str = "WRITE AND VERIFY (12)";
const W16: &str = "WRITE AND VERIFY (16)";

fn wv10(lba: u64, blocks: u32, bytchk: u8) -> [u8; 10] {
    WriteAndVerify10 {
        lba,
        length: blocks,
        bytchk,
        ..Default::default()
    }
    .encode()
}

fn wv12(lba: u64, blocks: u32, bytchk: u8) -> [u8; 12] {
    WriteAndVerify12 {
        lba,
        length: blocks,
        bytchk,
        ..Default::default()
    }
    .encode()
}

fn wv16(lba: u64, blocks: u32, bytchk: u8) -> WriteAndVerify16 {
    WriteAndVerify16 {
        lba,
        length: blocks,
        bytchk,
        ..Default::default()
    }
}

/// Writes a pattern over the scratch blocks with `cdb` (built from their
/// first LBA), and reads it back.
fn write_read_back(
    ctx: &mut Context,
    name: &'static str,
    seed: u8,
    cdb: fn(u64) -> Vec<u8>,
) -> Verdict {
    with_scratch(ctx, BLOCKS, |ctx, s, sc| {
        if sc.lba + u64::from(BLOCKS) > u64::from(u32::MAX) && name == W10 {
            return Ok(Outcome::not_applicable(
                "the scratch range is beyond WRITE AND VERIFY (10)'s reach",
            ));
        }
        let data = pattern(BLOCKS, sc.cap.block_len, seed);
        let w = s.write(ctx, &cdb(sc.lba), data.clone())?;
        if let Some(o) = not_implemented(&w, name) {
            return Ok(o);
        }
        reads_back(ctx, s, (sc.cap, sc.lba), &w, &data, "the blocks written")
    })
}

fn wv10_read_back(ctx: &mut Context) -> Verdict {
    write_read_back(ctx, W10, 0x2e, |lba| wv10(lba, BLOCKS, 0).to_vec())
}

fn wv12_read_back(ctx: &mut Context) -> Verdict {
    write_read_back(ctx, W12, 0xae, |lba| wv12(lba, BLOCKS, 1).to_vec())
}

fn wv16_read_back(ctx: &mut Context) -> Verdict {
    write_read_back(ctx, W16, 0x8e, |lba| wv16(lba, BLOCKS, 1).encode().to_vec())
}

fn wv10_bytchk_reserved(ctx: &mut Context) -> Verdict {
    with_scratch32(ctx, 1, W10, |ctx, s, sc, lba| {
        let data = pattern(1, sc.cap.block_len, 0x2f);
        let r = s.write(ctx, &wv10(lba.into(), 1, 0b10), data)?;
        if let Some(o) = not_implemented(&r, W10) {
            return Ok(o);
        }
        let outcome = expect_invalid_field(&r, 1);
        if outcome != Outcome::Pass {
            return Ok(outcome);
        }
        let after = read_blocks(ctx, s, sc.cap, sc.lba, 1)?;
        Ok(Outcome::check(
            after == sc.saved,
            "the block unchanged",
            "the block changed after a refused WRITE AND VERIFY (10)",
        ))
    })
}

fn wv10_beyond_eol(ctx: &mut Context) -> Verdict {
    probe_with(
        ctx,
        W10,
        1,
        |cap| {
            let past = cap.last_lba.checked_add(1)?;
            (past <= u64::from(u32::MAX)).then(|| wv10(past, 1, 0).to_vec())
        },
        expect_lba_out_of_range,
    )
}

fn wv12_zero(ctx: &mut Context) -> Verdict {
    probe(ctx, W12, |_| Some(wv12(0, 0, 0).to_vec()), expect_good)
}

fn wv16_crossing_eol(ctx: &mut Context) -> Verdict {
    write_crossing_eol(ctx, W16, |lba, blocks| {
        wv16(lba, blocks, 0).encode().to_vec()
    })
}

fn wv16_wrprotect(ctx: &mut Context) -> Verdict {
    protect_refused(ctx, W16, |lba| {
        WriteAndVerify16 {
            wrprotect: 1,
            ..wv16(lba, 1, 0)
        }
        .encode()
        .to_vec()
    })
}

/// A one-block write to the scratch range with a non-zero protection field
/// (the CDB `cdb` builds for an LBA) is INVALID FIELD IN CDB at byte 1 on a
/// LUN without protection information; not applicable when the LUN has it
/// or the device does not implement `name`.
pub(super) fn protect_refused(ctx: &mut Context, name: &str, cdb: fn(u64) -> Vec<u8>) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, sc| {
        if standard_inquiry(ctx, s)?.0.protect {
            return Ok(Outcome::not_applicable(
                "the LUN supports protection information",
            ));
        }
        // Zeros: what an ORWRITE ORs in changes nothing either.
        let r = s.write(ctx, &cdb(sc.lba), vec![0; sc.bytes(1)])?;
        Ok(not_implemented(&r, name).unwrap_or_else(|| expect_invalid_field(&r, 1)))
    })
}

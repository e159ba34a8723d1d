//! ORWRITE (16) (SBC-4 ORWRITE (16); LBA ranges §4.5): the device ORs the
//! Data-Out into the blocks on the medium. Optional: a device that answers
//! INVALID COMMAND OPERATION CODE makes these scenarios not applicable.
//! Writes stay in the scratch range, which is restored.

use super::optional::{probe, probe_with};
use super::support::*;
use super::write_verify::protect_refused;
use crate::context::Context;
use crate::scenario::{Level, Needs, Scenario, Verdict};
use rtgt_proto::scsi::cdb::OrWrite16;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.orwrite16.or-result",
        clause: "SBC-4 ORWRITE (16)",
        level: Level::Must,
        requirement: "ORWRITE (16) is GOOD and leaves each byte of its blocks as the old byte \
                      OR the byte sent",
        needs: Needs::NONE,
        run: or_result,
    },
    Scenario {
        id: "scsi.orwrite16.beyond-eol",
        clause: "SBC-4 §4.5, ORWRITE (16)",
        level: Level::Must,
        requirement: "ORWRITE (16) of one block just past the last LBA is LOGICAL BLOCK \
                      ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: beyond_eol,
    },
    Scenario {
        id: "scsi.orwrite16.crossing-eol",
        clause: "SBC-4 §4.5, ORWRITE (16)",
        level: Level::Must,
        requirement: "ORWRITE (16) of two blocks from the last LBA is LOGICAL BLOCK ADDRESS OUT \
                      OF RANGE",
        needs: Needs::NONE,
        run: crossing_eol,
    },
    Scenario {
        id: "scsi.orwrite16.zero-blocks",
        clause: "SBC-4 ORWRITE (16)",
        level: Level::Must,
        requirement: "ORWRITE (16) with TRANSFER LENGTH zero changes nothing and is GOOD",
        needs: Needs::NONE,
        run: zero_blocks,
    },
    Scenario {
        id: "scsi.orwrite16.orprotect-without-protection",
        clause: "SBC-4 ORWRITE (16), ORPROTECT field table",
        // As WRITE (10)'s WRPROTECT: a logical unit that does not support
        // protection information should terminate the command: a SHOULD.
        level: Level::Should,
        requirement: "a LUN without protection information refuses ORWRITE (16) with a non-zero \
                      ORPROTECT: ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: orprotect,
    },
];

const BLOCKS: u32 = 2;
const NAME: &str = "ORWRITE (16)";

fn orwrite(lba: u64, blocks: u32) -> OrWrite16 {
    OrWrite16 {
        lba,
        transfer_length: blocks,
        ..Default::default()
    }
}

fn or_result(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, BLOCKS, |ctx, s, sc| {
        let old = pattern(BLOCKS, sc.cap.block_len, 0x0f);
        let w = s.write(ctx, &write16(sc.lba, BLOCKS), old.clone())?;
        if let Some(o) = not_good(&w) {
            return Ok(o);
        }
        let new = pattern(BLOCKS, sc.cap.block_len, 0xf0);
        let r = s.write(ctx, &orwrite(sc.lba, BLOCKS).encode(), new.clone())?;
        if let Some(o) = not_implemented(&r, NAME) {
            return Ok(o);
        }
        let want: Vec<u8> = old.iter().zip(&new).map(|(a, b)| a | b).collect();
        reads_back(
            ctx,
            s,
            (sc.cap, sc.lba),
            &r,
            &want,
            "each byte the old byte OR the byte sent",
        )
    })
}

fn beyond_eol(ctx: &mut Context) -> Verdict {
    probe_with(
        ctx,
        NAME,
        1,
        |cap| Some(orwrite(cap.last_lba.checked_add(1)?, 1).encode().to_vec()),
        expect_lba_out_of_range,
    )
}

fn zero_blocks(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        NAME,
        |_| Some(orwrite(0, 0).encode().to_vec()),
        expect_good,
    )
}

fn crossing_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        // Zeros OR into nothing: a device that runs the command anyway
        // leaves the last block (outside the scratch range) as it was.
        let data = vec![0; cap.bytes(2) as usize];
        let r = s.write(ctx, &orwrite(cap.last_lba, 2).encode(), data)?;
        Ok(not_implemented(&r, NAME).unwrap_or_else(|| expect_lba_out_of_range(&r)))
    })
}

fn orprotect(ctx: &mut Context) -> Verdict {
    protect_refused(ctx, NAME, |lba| {
        OrWrite16 {
            orprotect: 1,
            ..orwrite(lba, 1)
        }
        .encode()
        .to_vec()
    })
}

//! READ (10) and WRITE (10) (SBC-4 READ (10), WRITE (10); LBA ranges §4.5).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::cdb::{Read10, Write10};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.write10.read-back",
        clause: "SBC-4 WRITE (10), READ (10)",
        level: Level::Must,
        requirement: "blocks written with WRITE (10) in the scratch range read back the same \
                      with READ (10), which returns exactly the blocks asked for",
        needs: Needs::NONE,
        run: write10_read_back,
    },
    Scenario {
        id: "scsi.read10.beyond-eol",
        clause: "SBC-4 §4.5, READ (10)",
        level: Level::Must,
        requirement: "READ (10) of one block just past the last LBA is ILLEGAL REQUEST, LOGICAL \
                      BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: read10_beyond_eol,
    },
    Scenario {
        id: "scsi.read10.crossing-eol",
        clause: "SBC-4 §4.5, READ (10)",
        level: Level::Must,
        requirement: "READ (10) of two blocks from the last LBA, running past the end, is \
                      ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: read10_crossing_eol,
    },
    Scenario {
        id: "scsi.write10.beyond-eol",
        clause: "SBC-4 §4.5, WRITE (10)",
        level: Level::Must,
        requirement: "WRITE (10) of one block just past the last LBA is ILLEGAL REQUEST, LOGICAL \
                      BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: write10_beyond_eol,
    },
    Scenario {
        id: "scsi.read10.zero-blocks",
        clause: "SBC-4 READ (10)",
        level: Level::Must,
        requirement: "READ (10) with TRANSFER LENGTH zero reads nothing and is not an error: GOOD \
                      without data",
        needs: Needs::NONE,
        run: read10_zero,
    },
    Scenario {
        id: "scsi.write10.zero-blocks",
        clause: "SBC-4 WRITE (10)",
        level: Level::Must,
        requirement: "WRITE (10) with TRANSFER LENGTH zero writes nothing and is not an error",
        needs: Needs::NONE,
        run: write10_zero,
    },
    Scenario {
        id: "scsi.read10.zero-blocks-beyond-eol",
        clause: "SBC-4 §4.5, READ (10)",
        level: Level::Should,
        requirement: "a zero-length READ (10) still has its LBA checked: past the last LBA it is \
                      LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: read10_zero_beyond,
    },
    Scenario {
        id: "scsi.read10.dpo-fua",
        clause: "SBC-4 READ (10), §6.5.1",
        level: Level::Must,
        requirement: "a device that sets DPOFUA in its mode header accepts READ (10) with DPO and \
                      FUA and returns the data",
        needs: Needs::NONE,
        run: read10_dpo_fua,
    },
    Scenario {
        id: "scsi.write10.dpo-fua",
        clause: "SBC-4 WRITE (10), §6.5.1",
        level: Level::Must,
        requirement: "a device that sets DPOFUA accepts WRITE (10) with DPO and FUA; the data \
                      reads back",
        needs: Needs::NONE,
        run: write10_dpo_fua,
    },
    Scenario {
        id: "scsi.read10.rdprotect-without-protection",
        clause: "SBC-4 §5.16 READ (10), table 79 footnote b",
        // SBC-4 (r22) table 79 footnote b: "If the logical unit does not
        // support protection information, then the device server should
        // terminate the command" (INVALID FIELD IN CDB): a SHOULD.
        level: Level::Should,
        requirement: "a LUN without protection information (PROTECT zero) refuses READ (10) with \
                      a non-zero RDPROTECT: ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: read10_rdprotect,
    },
    Scenario {
        id: "scsi.write10.wrprotect-without-protection",
        clause: "SBC-4 §5.40 WRITE (10), table 133 footnote b",
        // SBC-4 (r22) table 133 footnote b: a logical unit that "does not
        // support protection information" "should terminate the requested
        // command" (INVALID FIELD IN CDB): a SHOULD.
        level: Level::Should,
        requirement: "a LUN without protection information refuses WRITE (10) with a non-zero \
                      WRPROTECT: ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: write10_wrprotect,
    },
    Scenario {
        id: "scsi.read10.reserved-bits",
        clause: "SPC-5 §4.2.5, SBC-4 READ (10)",
        // SPC-5: "Recipients are not required to check reserved bits": a MAY.
        level: Level::May,
        requirement:
            "READ (10) with the reserved bits of byte 6 set may be refused with INVALID FIELD \
                      IN CDB (field pointer, when given, at byte 6); checking is optional",
        needs: Needs::NONE,
        run: read10_reserved,
    },
];

fn read10(lba: u32, blocks: u16) -> Read10 {
    Read10 {
        lba,
        transfer_length: blocks,
        ..Default::default()
    }
}

fn write10(lba: u32, blocks: u16) -> Write10 {
    Write10 {
        lba,
        transfer_length: blocks,
        ..Default::default()
    }
}

const BLOCKS: u32 = 4;

fn write10_read_back(ctx: &mut Context) -> Verdict {
    with_scratch32(ctx, BLOCKS, "READ (10)", |ctx, s, sc, lba| {
        let data = pattern(BLOCKS, sc.cap.block_len, 0x10);
        let w = s.write(ctx, &write10(lba, BLOCKS as u16).encode(), data.clone())?;
        if let Some(outcome) = not_good(&w) {
            return Ok(outcome);
        }
        let r = s.read(ctx, &read10(lba, BLOCKS as u16).encode(), data.len() as u32)?;
        Ok(expect_data(&r, &data))
    })
}

/// The last LBA, when READ (10) can address one past it.
fn last_lba10(ctx: &mut Context, s: &mut Scsi) -> Result<Option<(u32, u32)>, ScenarioError> {
    let cap = capacity(ctx, s)?;
    Ok(u32::try_from(cap.last_lba)
        .ok()
        .filter(|l| *l < u32::MAX)
        .map(|l| (l, cap.block_len)))
}

const TOO_BIG: &str = "the LUN is too large for READ (10) to address past its end";

fn read10_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some((last, bs)) = last_lba10(ctx, s)? else {
            return Ok(Outcome::not_applicable(TOO_BIG));
        };
        let r = s.read(ctx, &read10(last + 1, 1).encode(), bs)?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn read10_crossing_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some((last, bs)) = last_lba10(ctx, s)? else {
            return Ok(Outcome::not_applicable(TOO_BIG));
        };
        let r = s.read(ctx, &read10(last, 2).encode(), 2 * bs)?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn write10_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some((last, bs)) = last_lba10(ctx, s)? else {
            return Ok(Outcome::not_applicable(TOO_BIG));
        };
        let r = s.write(ctx, &write10(last + 1, 1).encode(), vec![0; bs as usize])?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn read10_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &read10(0, 0).encode())?;
        Ok(Outcome::check(
            r.good() && r.data.is_empty(),
            "GOOD without data",
            r.describe(),
        ))
    })
}

fn write10_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let lba = u32::try_from(ctx.target.scratch_lba).unwrap_or(0);
        let r = s.none(ctx, &write10(lba, 0).encode())?;
        Ok(expect_good(&r))
    })
}

fn read10_zero_beyond(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some((last, _)) = last_lba10(ctx, s)? else {
            return Ok(Outcome::not_applicable(TOO_BIG));
        };
        let r = s.none(ctx, &read10(last + 1, 0).encode())?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn read10_dpo_fua(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if !dpofua(ctx, s)? {
            return Ok(Outcome::not_applicable("DPOFUA is zero in the mode header"));
        }
        let cap = capacity(ctx, s)?;
        let want = read_blocks(ctx, s, cap, 0, 1)?;
        let cdb = Read10 {
            dpo: true,
            fua: true,
            ..read10(0, 1)
        };
        let r = s.read(ctx, &cdb.encode(), cap.block_len)?;
        Ok(all([
            expect_good(&r),
            Outcome::check(
                r.data == want,
                "the block as READ (16) returns it",
                "other bytes",
            ),
        ]))
    })
}

fn write10_dpo_fua(ctx: &mut Context) -> Verdict {
    with_scratch32(ctx, 1, "WRITE (10)", |ctx, s, sc, lba| {
        if !dpofua(ctx, s)? {
            return Ok(Outcome::not_applicable("DPOFUA is zero in the mode header"));
        }
        let data = pattern(1, sc.cap.block_len, 0x11);
        let cdb = Write10 {
            dpo: true,
            fua: true,
            ..write10(lba, 1)
        };
        let w = s.write(ctx, &cdb.encode(), data.clone())?;
        reads_back(ctx, s, (sc.cap, sc.lba), &w, &data, "the block written")
    })
}

fn no_protection(ctx: &mut Context, s: &mut Scsi) -> Result<bool, ScenarioError> {
    Ok(!standard_inquiry(ctx, s)?.0.protect)
}

fn read10_rdprotect(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if !no_protection(ctx, s)? {
            return Ok(Outcome::not_applicable(
                "the LUN supports protection information",
            ));
        }
        let cap = capacity(ctx, s)?;
        let cdb = Read10 {
            rdprotect: 1,
            ..read10(0, 1)
        };
        let r = s.read(ctx, &cdb.encode(), cap.block_len)?;
        Ok(expect_invalid_field(&r, 1))
    })
}

fn write10_wrprotect(ctx: &mut Context) -> Verdict {
    with_scratch32(ctx, 1, "WRITE (10)", |ctx, s, sc, lba| {
        if !no_protection(ctx, s)? {
            return Ok(Outcome::not_applicable(
                "the LUN supports protection information",
            ));
        }
        let cdb = Write10 {
            wrprotect: 1,
            ..write10(lba, 1)
        };
        let r = s.write(ctx, &cdb.encode(), pattern(1, sc.cap.block_len, 0x12))?;
        Ok(expect_invalid_field(&r, 1))
    })
}

fn read10_reserved(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let cdb = Read10 {
            reserved_6: 0b10,
            ..read10(0, 1)
        };
        let r = s.read(ctx, &cdb.encode(), cap.block_len)?;
        Ok(expect_invalid_field(&r, 6))
    })
}

//! READ (16) and WRITE (16) (SBC-4 READ (16), WRITE (16); LBA ranges §4.5;
//! transfer limits §6.6.4).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.write16.read-back",
        clause: "SBC-4 WRITE (16), READ (16)",
        level: Level::Must,
        requirement: "blocks written with WRITE (16) in the scratch range read back the same with \
                      READ (16)",
        needs: Needs::NONE,
        run: write16_read_back,
    },
    Scenario {
        id: "scsi.read16.beyond-eol",
        clause: "SBC-4 §4.5, READ (16)",
        level: Level::Must,
        requirement: "READ (16) of one block just past the last LBA is ILLEGAL REQUEST, LOGICAL \
                      BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: read16_beyond_eol,
    },
    Scenario {
        id: "scsi.read16.crossing-eol",
        clause: "SBC-4 §4.5, READ (16)",
        level: Level::Must,
        requirement: "READ (16) of two blocks from the last LBA is LOGICAL BLOCK ADDRESS OUT OF \
                      RANGE",
        needs: Needs::NONE,
        run: read16_crossing_eol,
    },
    Scenario {
        id: "scsi.read16.lba-wraps",
        clause: "SBC-4 §4.5, READ (16)",
        level: Level::Must,
        requirement:
            "READ (16) of two blocks at LBA FFFFFFFFFFFFFFFFh, whose end wraps past zero, \
                      is LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: read16_wraps,
    },
    Scenario {
        id: "scsi.write16.crossing-eol",
        clause: "SBC-4 §4.5, WRITE (16)",
        level: Level::Must,
        requirement: "WRITE (16) of two blocks from the last LBA is LOGICAL BLOCK ADDRESS OUT OF \
                      RANGE (the first block sent is the last block's own content, so a target \
                      that writes it anyway changes nothing)",
        needs: Needs::NONE,
        run: write16_crossing_eol,
    },
    Scenario {
        id: "scsi.read16.zero-blocks",
        clause: "SBC-4 READ (16)",
        level: Level::Must,
        requirement: "READ (16) with TRANSFER LENGTH zero is GOOD without data",
        needs: Needs::NONE,
        run: read16_zero,
    },
    Scenario {
        id: "scsi.read16.over-maximum-transfer-length",
        clause: "SBC-4 READ (16), §6.6.4",
        level: Level::Must,
        requirement: "READ (16) of more blocks than the Block Limits page's MAXIMUM TRANSFER \
                      LENGTH is ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: read16_over_max,
    },
];

const BLOCKS: u32 = 8;

fn write16_read_back(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, BLOCKS, |ctx, s, sc| {
        let data = pattern(BLOCKS, sc.cap.block_len, 0x16);
        let w = s.write(ctx, &write16(sc.lba, BLOCKS), data.clone())?;
        if let Some(outcome) = not_good(&w) {
            return Ok(outcome);
        }
        let r = s.read(ctx, &read16(sc.lba, BLOCKS), data.len() as u32)?;
        Ok(expect_data(&r, &data))
    })
}

fn read16_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let r = s.read(ctx, &read16(cap.last_lba + 1, 1), cap.bytes(1))?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn read16_crossing_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let r = s.read(ctx, &read16(cap.last_lba, 2), cap.bytes(2))?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn read16_wraps(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let r = s.read(ctx, &read16(u64::MAX, 2), cap.bytes(2))?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn write16_crossing_eol(ctx: &mut Context) -> Verdict {
    write_crossing_eol(ctx, "WRITE (16)", |lba, blocks| {
        write16(lba, blocks).to_vec()
    })
}

/// A write of two blocks from the last LBA (the CDB `cdb` builds) is LOGICAL
/// BLOCK ADDRESS OUT OF RANGE and leaves the last block as it was: the
/// first block sent is the last block's own content, so a target that
/// writes it anyway changes nothing. Not applicable when the device does
/// not implement `name`.
pub(super) fn write_crossing_eol(
    ctx: &mut Context,
    name: &str,
    cdb: fn(u64, u32) -> Vec<u8>,
) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let last = read_blocks(ctx, s, cap, cap.last_lba, 1)?;
        let mut data = last.clone();
        data.extend(pattern(1, cap.block_len, 0x17));
        let r = s.write(ctx, &cdb(cap.last_lba, 2), data)?;
        if let Some(o) = not_implemented(&r, name) {
            return Ok(o);
        }
        let outcome = expect_lba_out_of_range(&r);
        let after = read_blocks(ctx, s, cap, cap.last_lba, 1)?;
        if after != last {
            return Ok(Outcome::fail(
                "the last block unchanged",
                "the last block changed after a refused write",
            ));
        }
        Ok(outcome)
    })
}

fn read16_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &read16(0, 0))?;
        Ok(Outcome::check(
            r.good() && r.data.is_empty(),
            "GOOD without data",
            r.describe(),
        ))
    })
}

/// The largest transfer this scenario asks for, refused or not.
const LARGEST: u64 = 32 << 20;

fn read16_over_max(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some(limits) = block_limits(ctx, s)? else {
            return Ok(Outcome::not_applicable("no Block Limits page"));
        };
        let max = limits.max_transfer_length;
        if max == 0 || max == u32::MAX {
            return Ok(Outcome::not_applicable(
                "no MAXIMUM TRANSFER LENGTH is stated",
            ));
        }
        let cap = capacity(ctx, s)?;
        let blocks = u64::from(max) + 1;
        if blocks > cap.blocks() || blocks * u64::from(cap.block_len) > LARGEST {
            return Ok(Outcome::not_applicable(format!(
                "MAXIMUM TRANSFER LENGTH {max} is too large to exceed on this LUN"
            )));
        }
        let r = s.read(ctx, &read16(0, max + 1), cap.bytes(blocks))?;
        Ok(expect_invalid_field(&r, 10))
    })
}

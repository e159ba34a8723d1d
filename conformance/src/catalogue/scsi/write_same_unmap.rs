//! WRITE SAME (10) and (16) and UNMAP (SBC-4 §5.52, §5.53, §5.35; logical
//! block provisioning §4.7, the provisioning VPD page §6.6.7).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{Unmap, WriteSame10, WriteSame16};
use rtgt_proto::scsi::params::{UnmapDescriptor, UnmapList};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.writesame10.fill",
        clause: "SBC-4 §5.52 WRITE SAME (10)",
        level: Level::Must,
        requirement: "WRITE SAME (10) writes its one block to every block of the range",
        needs: Needs::NONE,
        run: ws10_fill,
    },
    Scenario {
        id: "scsi.writesame16.fill",
        clause: "SBC-4 §5.53 WRITE SAME (16)",
        level: Level::Must,
        requirement: "WRITE SAME (16) writes its one block to every block of the range",
        needs: Needs::NONE,
        run: ws16_fill,
    },
    Scenario {
        id: "scsi.writesame16.crossing-eol",
        clause: "SBC-4 §4.5, §5.53 WRITE SAME (16)",
        level: Level::Must,
        requirement:
            "WRITE SAME (16) of two blocks from the last LBA is LOGICAL BLOCK ADDRESS OUT \
                      OF RANGE (the block sent is the last block's own content)",
        needs: Needs::NONE,
        run: ws16_crossing_eol,
    },
    Scenario {
        id: "scsi.writesame16.unmap",
        clause: "SBC-4 §5.53 WRITE SAME (16), §6.6.7",
        level: Level::Must,
        requirement: "a LUN with LBPWS accepts WRITE SAME (16) with UNMAP; with LBPRZ the blocks \
                      then read as zeros",
        needs: Needs::NONE,
        run: ws16_unmap,
    },
    Scenario {
        id: "scsi.unmap.scratch",
        clause: "SBC-4 §5.35 UNMAP, §6.6.7",
        level: Level::Must,
        requirement: "a LUN with LBPU accepts UNMAP of the scratch range; with LBPRZ the blocks \
                      then read as zeros",
        needs: Needs::NONE,
        run: unmap_scratch,
    },
    Scenario {
        id: "scsi.unmap.beyond-eol",
        clause: "SBC-4 §5.35 UNMAP",
        level: Level::Must,
        requirement: "an UNMAP block descriptor past the last LBA is LOGICAL BLOCK ADDRESS OUT OF \
                      RANGE",
        needs: Needs::NONE,
        run: unmap_beyond_eol,
    },
    Scenario {
        id: "scsi.unmap.parameter-list-too-short",
        clause: "SBC-4 §5.35 UNMAP",
        level: Level::Must,
        requirement: "a PARAMETER LIST LENGTH from 1 to 7 (a header cut short) is ILLEGAL \
                      REQUEST, PARAMETER LIST LENGTH ERROR",
        needs: Needs::NONE,
        run: unmap_short_list,
    },
    Scenario {
        id: "scsi.unmap.zero-length",
        clause: "SBC-4 §5.35 UNMAP",
        level: Level::Must,
        requirement: "UNMAP with PARAMETER LIST LENGTH zero transfers nothing and is GOOD",
        needs: Needs::NONE,
        run: unmap_zero,
    },
    Scenario {
        id: "scsi.unmap.too-many-descriptors",
        clause: "SBC-4 §5.35 UNMAP, §6.6.4",
        level: Level::Must,
        requirement: "more block descriptors than MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT is ILLEGAL \
                      REQUEST, INVALID FIELD IN PARAMETER LIST",
        needs: Needs::NONE,
        run: unmap_too_many,
    },
];

const BLOCKS: u32 = 4;

fn check_filled(ctx: &mut Context, s: &mut Scsi, sc: &Scratch, block: &[u8]) -> Verdict {
    let back = read_blocks(ctx, s, sc.cap, sc.lba, BLOCKS)?;
    Ok(Outcome::check(
        back.chunks(block.len()).all(|b| b == block),
        format!("each of the {BLOCKS} blocks equal to the block sent"),
        "blocks that differ from it",
    ))
}

fn ws10_fill(ctx: &mut Context) -> Verdict {
    with_scratch32(ctx, BLOCKS, "WRITE SAME (10)", |ctx, s, sc, lba| {
        let block = pattern(1, sc.cap.block_len, 0x41);
        let cdb = WriteSame10 {
            lba,
            number_of_blocks: BLOCKS as u16,
            ..Default::default()
        };
        let r = s.write(ctx, &cdb.encode(), block.clone())?;
        if let Some(outcome) = not_implemented(&r, "WRITE SAME (10)").or_else(|| not_good(&r)) {
            return Ok(outcome);
        }
        check_filled(ctx, s, sc, &block)
    })
}

fn ws16(lba: u64, blocks: u32) -> WriteSame16 {
    WriteSame16 {
        lba,
        number_of_blocks: blocks,
        ..Default::default()
    }
}

fn ws16_fill(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, BLOCKS, |ctx, s, sc| {
        let block = pattern(1, sc.cap.block_len, 0x93);
        let r = s.write(ctx, &ws16(sc.lba, BLOCKS).encode(), block.clone())?;
        if let Some(outcome) = not_implemented(&r, "WRITE SAME (16)").or_else(|| not_good(&r)) {
            return Ok(outcome);
        }
        check_filled(ctx, s, sc, &block)
    })
}

fn ws16_crossing_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let last = read_blocks(ctx, s, cap, cap.last_lba, 1)?;
        let r = s.write(ctx, &ws16(cap.last_lba, 2).encode(), last)?;
        if unsupported(&r) {
            return Ok(Outcome::not_applicable(
                "the device does not implement WRITE SAME (16)",
            ));
        }
        Ok(expect_lba_out_of_range(&r))
    })
}

/// Whether unmapped blocks read as zeros (LBPRZ, SBC-4 §4.7.4.5).
fn reads_zero(ctx: &mut Context, s: &mut Scsi) -> Result<bool, ScenarioError> {
    Ok(provisioning(ctx, s)?.is_some_and(|p| p.lbprz == 1))
}

fn zeros_after_unmap(ctx: &mut Context, s: &mut Scsi, sc: &Scratch) -> Verdict {
    if !reads_zero(ctx, s)? {
        return Ok(Outcome::Pass);
    }
    let back = read_blocks(ctx, s, sc.cap, sc.lba, BLOCKS)?;
    Ok(Outcome::check(
        back.iter().all(|&b| b == 0),
        "unmapped blocks reading as zeros (LBPRZ)",
        "non-zero bytes",
    ))
}

fn ws16_unmap(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, BLOCKS, |ctx, s, sc| {
        if !provisioning(ctx, s)?.is_some_and(|p| p.lbpws) {
            return Ok(Outcome::not_applicable("LBPWS is not set"));
        }
        let cdb = WriteSame16 {
            unmap: true,
            ..ws16(sc.lba, BLOCKS)
        };
        let r = s.write(ctx, &cdb.encode(), vec![0; sc.bytes(1)])?;
        if !r.good() {
            return Ok(expect_good(&r));
        }
        zeros_after_unmap(ctx, s, sc)
    })
}

fn unmap_list(descriptors: Vec<UnmapDescriptor>) -> Vec<u8> {
    UnmapList {
        reserved: 0,
        descriptors,
    }
    .encode()
}

fn unmap_cdb(len: usize) -> [u8; 10] {
    Unmap {
        parameter_list_length: len as u16,
        ..Default::default()
    }
    .encode()
}

fn lbpu(ctx: &mut Context, s: &mut Scsi) -> Result<bool, ScenarioError> {
    Ok(provisioning(ctx, s)?.is_some_and(|p| p.lbpu))
}

const NO_LBPU: &str = "LBPU is not set (no UNMAP)";

fn unmap_scratch(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, BLOCKS, |ctx, s, sc| {
        if !lbpu(ctx, s)? {
            return Ok(Outcome::not_applicable(NO_LBPU));
        }
        let list = unmap_list(vec![UnmapDescriptor {
            lba: sc.lba,
            blocks: BLOCKS,
            reserved: 0,
        }]);
        let r = s.write(ctx, &unmap_cdb(list.len()), list)?;
        if !r.good() {
            return Ok(expect_good(&r));
        }
        zeros_after_unmap(ctx, s, sc)
    })
}

fn unmap_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if !lbpu(ctx, s)? {
            return Ok(Outcome::not_applicable(NO_LBPU));
        }
        let cap = capacity(ctx, s)?;
        let list = unmap_list(vec![UnmapDescriptor {
            lba: cap.last_lba + 1,
            blocks: 1,
            reserved: 0,
        }]);
        let r = s.write(ctx, &unmap_cdb(list.len()), list)?;
        Ok(expect_lba_out_of_range(&r))
    })
}

fn unmap_short_list(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if !lbpu(ctx, s)? {
            return Ok(Outcome::not_applicable(NO_LBPU));
        }
        let list = unmap_list(Vec::new());
        let r = s.write(ctx, &unmap_cdb(4), list[..4].to_vec())?;
        Ok(expect_illegal(&r, AscAscq::PARAMETER_LIST_LENGTH_ERROR))
    })
}

fn unmap_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if !lbpu(ctx, s)? {
            return Ok(Outcome::not_applicable(NO_LBPU));
        }
        let r = s.none(ctx, &unmap_cdb(0))?;
        Ok(expect_good(&r))
    })
}

/// The largest descriptor count this scenario exceeds.
const MOST_DESCRIPTORS: u32 = 4095;

fn unmap_too_many(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, sc| {
        if !lbpu(ctx, s)? {
            return Ok(Outcome::not_applicable(NO_LBPU));
        }
        let Some(limits) = block_limits(ctx, s)? else {
            return Ok(Outcome::not_applicable("no Block Limits page"));
        };
        let max = limits.max_unmap_block_descriptor_count;
        if max == 0 || max > MOST_DESCRIPTORS {
            return Ok(Outcome::not_applicable(format!(
                "MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT {max} is too large to exceed here"
            )));
        }
        // Every descriptor names the first scratch block, which is restored.
        let one = UnmapDescriptor {
            lba: sc.lba,
            blocks: 1,
            reserved: 0,
        };
        let list = unmap_list(vec![one; max as usize + 1]);
        let r = s.write(ctx, &unmap_cdb(list.len()), list)?;
        Ok(expect_illegal(&r, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST))
    })
}

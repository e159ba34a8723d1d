//! PRE-FETCH (10) and (16) (SBC-4 PRE-FETCH (10), PRE-FETCH (16); LBA
//! ranges §4.5). Optional: a device that answers INVALID COMMAND OPERATION
//! CODE makes these scenarios not applicable.
//!
//! PRE-FETCH asks the device to load blocks into its cache; it ends with
//! CONDITION MET when they fit, GOOD when they do not (sg3_utils'
//! sg_prefetch describes the two: "If the number of blocks does actually
//! fit in the cache ... then a CONDITION MET status is returned"), so both
//! pass. A PREFETCH LENGTH of zero names every block to the last LBA.

use super::optional::probe;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::ScsiStatus;
use rtgt_proto::scsi::cdb::{PreFetch10, PreFetch16};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.prefetch10.in-range",
        clause: "SBC-4 PRE-FETCH (10)",
        level: Level::Must,
        requirement: "PRE-FETCH (10) of blocks within the medium ends with CONDITION MET or \
                      GOOD",
        needs: Needs::NONE,
        run: prefetch10_in_range,
    },
    Scenario {
        id: "scsi.prefetch10.zero-blocks",
        clause: "SBC-4 PRE-FETCH (10)",
        level: Level::Must,
        requirement: "PRE-FETCH (10) with PREFETCH LENGTH zero (every block from the LBA to the \
                      last) ends with CONDITION MET or GOOD",
        needs: Needs::NONE,
        run: prefetch10_zero,
    },
    Scenario {
        id: "scsi.prefetch10.beyond-eol",
        clause: "SBC-4 §4.5, PRE-FETCH (10)",
        level: Level::Must,
        requirement: "PRE-FETCH (10) of one block past the last LBA is ILLEGAL REQUEST, LOGICAL \
                      BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: prefetch10_beyond_eol,
    },
    Scenario {
        id: "scsi.prefetch10.crossing-eol",
        clause: "SBC-4 §4.5, PRE-FETCH (10)",
        level: Level::Must,
        requirement: "PRE-FETCH (10) of two blocks from the last LBA is LOGICAL BLOCK ADDRESS \
                      OUT OF RANGE",
        needs: Needs::NONE,
        run: prefetch10_crossing_eol,
    },
    Scenario {
        id: "scsi.prefetch16.in-range",
        clause: "SBC-4 PRE-FETCH (16)",
        level: Level::Must,
        requirement: "PRE-FETCH (16) of blocks within the medium ends with CONDITION MET or \
                      GOOD",
        needs: Needs::NONE,
        run: prefetch16_in_range,
    },
    Scenario {
        id: "scsi.prefetch16.beyond-eol",
        clause: "SBC-4 §4.5, PRE-FETCH (16)",
        level: Level::Must,
        requirement: "PRE-FETCH (16) of one block past the last LBA is LOGICAL BLOCK ADDRESS OUT \
                      OF RANGE",
        needs: Needs::NONE,
        run: prefetch16_beyond_eol,
    },
    Scenario {
        id: "scsi.prefetch16.zero-blocks-beyond-eol",
        clause: "SBC-4 §4.5, PRE-FETCH (16)",
        // As scsi.read10.zero-blocks-beyond-eol: a SHOULD.
        level: Level::Should,
        requirement: "PRE-FETCH (16) with PREFETCH LENGTH zero at an LBA past the last is \
                      LOGICAL BLOCK ADDRESS OUT OF RANGE (a zero length does not exempt the LBA \
                      from the check)",
        needs: Needs::NONE,
        run: prefetch16_zero_beyond_eol,
    },
    Scenario {
        id: "scsi.prefetch16.lba-wraps",
        clause: "SBC-4 §4.5, PRE-FETCH (16)",
        level: Level::Must,
        requirement: "PRE-FETCH (16) of two blocks at LBA FFFFFFFFFFFFFFFFh, whose end wraps \
                      past zero, is LOGICAL BLOCK ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: prefetch16_wraps,
    },
];

const BLOCKS: u32 = 8;

fn pf10(lba: u32, blocks: u16) -> [u8; 10] {
    PreFetch10 {
        lba,
        prefetch_length: blocks,
        ..Default::default()
    }
    .encode()
}

fn pf16(lba: u64, blocks: u32) -> [u8; 16] {
    PreFetch16 {
        lba,
        prefetch_length: blocks,
        ..Default::default()
    }
    .encode()
}

/// CONDITION MET or GOOD, the two answers of a PRE-FETCH that worked.
fn expect_met_or_good(r: &Reply) -> Outcome {
    Outcome::check(
        r.good() || r.status == ScsiStatus::ConditionMet,
        "CONDITION MET or GOOD",
        r.describe(),
    )
}

const P10: &str = "PRE-FETCH (10)";
const P16: &str = "PRE-FETCH (16)";

fn prefetch10_in_range(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P10,
        |_| Some(pf10(0, BLOCKS as u16).to_vec()),
        expect_met_or_good,
    )
}

fn prefetch10_zero(ctx: &mut Context) -> Verdict {
    probe(ctx, P10, |_| Some(pf10(0, 0).to_vec()), expect_met_or_good)
}

/// The LBA after the last, when PRE-FETCH (10) can name it.
fn past_end32(cap: Capacity) -> Option<u32> {
    u32::try_from(cap.last_lba.checked_add(1)?).ok()
}

fn prefetch10_beyond_eol(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P10,
        |cap| Some(pf10(past_end32(cap)?, 1).to_vec()),
        expect_lba_out_of_range,
    )
}

fn prefetch10_crossing_eol(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P10,
        |cap| Some(pf10(u32::try_from(cap.last_lba).ok()?, 2).to_vec()),
        expect_lba_out_of_range,
    )
}

fn prefetch16_in_range(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P16,
        |_| Some(pf16(0, BLOCKS).to_vec()),
        expect_met_or_good,
    )
}

fn prefetch16_beyond_eol(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P16,
        |cap| Some(pf16(cap.last_lba.checked_add(1)?, 1).to_vec()),
        expect_lba_out_of_range,
    )
}

fn prefetch16_zero_beyond_eol(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P16,
        |cap| Some(pf16(cap.last_lba.checked_add(1)?, 0).to_vec()),
        expect_lba_out_of_range,
    )
}

fn prefetch16_wraps(ctx: &mut Context) -> Verdict {
    probe(
        ctx,
        P16,
        |_| Some(pf16(u64::MAX, 2).to_vec()),
        expect_lba_out_of_range,
    )
}

//! READ DEFECT DATA (10) and (12) and WRITE ATOMIC (16) (SBC-4 READ DEFECT
//! DATA (10), (12), WRITE ATOMIC (16); the Block Limits page §6.6.4).
//! Optional: a device that answers INVALID COMMAND OPERATION CODE, or whose
//! Block Limits page gives no MAXIMUM ATOMIC TRANSFER LENGTH, makes these
//! scenarios not applicable.

use super::optional::probe_with;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::ScsiStatus;
use rtgt_proto::scsi::cdb::{ReadDefectData10, ReadDefectData12, WriteAtomic16};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.read-defect-data10.header",
        clause: "SBC-4 READ DEFECT DATA (10), SPC-5 §4.2.5.6",
        level: Level::Must,
        requirement: "READ DEFECT DATA (10) answers a four-byte header and as many descriptor \
                      bytes as its DEFECT LIST LENGTH gives, cut only by the allocation length \
                      (or CHECK CONDITION with DEFECT LIST NOT FOUND, 1Ch, when it has no list)",
        needs: Needs::NONE,
        run: defect10,
    },
    Scenario {
        id: "scsi.read-defect-data12.header",
        clause: "SBC-4 READ DEFECT DATA (12), SPC-5 §4.2.5.6",
        level: Level::Must,
        requirement: "READ DEFECT DATA (12) answers an eight-byte header and as many descriptor \
                      bytes as its four-byte DEFECT LIST LENGTH gives, cut only by the \
                      allocation length (or DEFECT LIST NOT FOUND, 1Ch)",
        needs: Needs::NONE,
        run: defect12,
    },
    Scenario {
        id: "scsi.write-atomic16.read-back",
        clause: "SBC-4 WRITE ATOMIC (16), §6.6.4",
        level: Level::Must,
        requirement: "a device whose Block Limits page gives a MAXIMUM ATOMIC TRANSFER LENGTH \
                      serves WRITE ATOMIC (16) of a granule of blocks at an aligned LBA: GOOD, \
                      and the blocks read back as written",
        needs: Needs::NONE,
        run: atomic_read_back,
    },
    Scenario {
        id: "scsi.write-atomic16.beyond-eol",
        clause: "SBC-4 §4.5, WRITE ATOMIC (16)",
        level: Level::Must,
        requirement: "WRITE ATOMIC (16) of one block just past the last LBA is LOGICAL BLOCK \
                      ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: atomic_beyond_eol,
    },
    Scenario {
        id: "scsi.write-atomic16.boundary-without-support",
        clause: "SBC-4 WRITE ATOMIC (16), §6.6.4",
        level: Level::Must,
        requirement: "with MAXIMUM ATOMIC BOUNDARY SIZE zero in the Block Limits page, WRITE \
                      ATOMIC (16) with a non-zero ATOMIC BOUNDARY is ILLEGAL REQUEST, INVALID \
                      FIELD IN CDB (field pointer, when given, at byte 10)",
        needs: Needs::NONE,
        run: atomic_boundary,
    },
];

/// Room for a header and a few hundred descriptors.
const ALLOCATION: u16 = 512;

/// The defect data answer `r` with a header of `header` bytes whose list
/// length is `len`: GOOD with the header and the list (cut to the
/// allocation length), or DEFECT LIST NOT FOUND.
fn judge_defects(r: &Reply, header: usize, len: fn(&[u8]) -> usize) -> Outcome {
    let not_found = r.status == ScsiStatus::CheckCondition
        && r.sense.as_ref().is_some_and(|s| s.asc.asc == 0x1c);
    if not_found {
        return Outcome::Pass;
    }
    if !r.good() {
        return expect_good(r);
    }
    if r.data.len() < header {
        return Outcome::fail(
            format!("a {header}-byte header"),
            format!("{} bytes", r.data.len()),
        );
    }
    let want = (header + len(&r.data)).min(usize::from(ALLOCATION));
    Outcome::check(
        r.data.len() == want,
        format!("{want} bytes: the header and the DEFECT LIST LENGTH it gives"),
        format!("{} bytes", r.data.len()),
    )
}

fn be(bytes: &[u8]) -> usize {
    bytes.iter().fold(0usize, |n, &b| n << 8 | usize::from(b))
}

fn defect10(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cdb = ReadDefectData10 {
            allocation_length: ALLOCATION,
            ..Default::default()
        };
        let r = s.read(ctx, &cdb.encode(), ALLOCATION.into())?;
        Ok(not_implemented(&r, "READ DEFECT DATA (10)")
            .unwrap_or_else(|| judge_defects(&r, 4, |d| be(d.get(2..4).unwrap_or(&[])))))
    })
}

fn defect12(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cdb = ReadDefectData12 {
            allocation_length: ALLOCATION.into(),
            ..Default::default()
        };
        let r = s.read(ctx, &cdb.encode(), ALLOCATION.into())?;
        Ok(not_implemented(&r, "READ DEFECT DATA (12)")
            .unwrap_or_else(|| judge_defects(&r, 8, |d| be(d.get(4..8).unwrap_or(&[])))))
    })
}

const ATOMIC: &str = "WRITE ATOMIC (16)";
const NO_ATOMIC: &str = "the Block Limits page gives no MAXIMUM ATOMIC TRANSFER LENGTH";

fn atomic(lba: u64, blocks: u16) -> WriteAtomic16 {
    WriteAtomic16 {
        lba,
        transfer_length: blocks,
        ..Default::default()
    }
}

fn atomic_read_back(ctx: &mut Context) -> Verdict {
    // The granule and alignment the Block Limits page asks for, at most 8.
    with_scratch(ctx, 8, |ctx, s, sc| {
        let Some(limits) = block_limits(ctx, s)?.filter(|l| l.max_atomic_transfer_length > 0)
        else {
            return Ok(Outcome::not_applicable(NO_ATOMIC));
        };
        let gran = u64::from(limits.atomic_transfer_length_granularity.max(1));
        let align = u64::from(limits.atomic_alignment.max(1));
        let lba = sc.lba.next_multiple_of(align);
        let blocks = gran.min(u64::from(limits.max_atomic_transfer_length));
        if lba + blocks > sc.lba + 8 {
            return Ok(Outcome::skip(format!(
                "an aligned granule ({blocks} blocks at a multiple of {align}) does not fit \
                 the 8 scratch blocks claimed"
            )));
        }
        let n = blocks as u16;
        let data = pattern(n.into(), sc.cap.block_len, 0xa7);
        let w = s.write(ctx, &atomic(lba, n).encode(), data.clone())?;
        if unsupported(&w) {
            return Ok(Outcome::fail(
                "WRITE ATOMIC (16) served, as the Block Limits page claims",
                w.describe(),
            ));
        }
        reads_back(ctx, s, (sc.cap, lba), &w, &data, "the blocks written")
    })
}

fn atomic_beyond_eol(ctx: &mut Context) -> Verdict {
    probe_with(
        ctx,
        ATOMIC,
        1,
        |cap| Some(atomic(cap.last_lba.checked_add(1)?, 1).encode().to_vec()),
        expect_lba_out_of_range,
    )
}

fn atomic_boundary(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, sc| {
        let Some(limits) = block_limits(ctx, s)?.filter(|l| l.max_atomic_transfer_length > 0)
        else {
            return Ok(Outcome::not_applicable(NO_ATOMIC));
        };
        if limits.max_atomic_boundary_size != 0 {
            return Ok(Outcome::not_applicable(
                "the device supports atomic boundaries",
            ));
        }
        let cdb = WriteAtomic16 {
            atomic_boundary: 1,
            ..atomic(sc.lba, 1)
        };
        let r = s.write(ctx, &cdb.encode(), pattern(1, sc.cap.block_len, 0xa8))?;
        Ok(not_implemented(&r, ATOMIC).unwrap_or_else(|| expect_invalid_field(&r, 10)))
    })
}

//! READ CAPACITY (10) and (16) (SBC-4 §5.20, §5.21).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::cdb::{ReadCapacity10, ReadCapacity16};
use rtgt_proto::scsi::params;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.readcapacity10.matches-16",
        clause: "SBC-4 §5.20 READ CAPACITY (10)",
        level: Level::Must,
        requirement: "READ CAPACITY (10) gives the block length of READ CAPACITY (16) and its \
                      last LBA, or FFFFFFFFh when the last LBA does not fit 32 bits",
        needs: Needs::NONE,
        run: rc10_matches_16,
    },
    Scenario {
        id: "scsi.readcapacity16.last-lba-readable",
        clause: "SBC-4 §5.21 READ CAPACITY (16)",
        level: Level::Must,
        requirement: "the RETURNED LOGICAL BLOCK ADDRESS is the last one: a block read there \
                      succeeds with a block of the stated length, one past it is LOGICAL BLOCK \
                      ADDRESS OUT OF RANGE",
        needs: Needs::NONE,
        run: rc16_last_lba,
    },
    Scenario {
        id: "scsi.readcapacity16.allocation-length-truncates",
        clause: "SPC-5 §4.2.5.6, SBC-4 §5.21 READ CAPACITY (16)",
        level: Level::Must,
        requirement: "READ CAPACITY (16) with ALLOCATION LENGTH 8 returns GOOD and only the first \
                      8 bytes of its data",
        needs: Needs::NONE,
        run: rc16_truncates,
    },
    Scenario {
        id: "scsi.readcapacity16.allocation-length-zero",
        clause: "SPC-5 §4.2.5.6, SBC-4 §5.21 READ CAPACITY (16)",
        level: Level::Must,
        requirement:
            "READ CAPACITY (16) with ALLOCATION LENGTH zero is not an error: GOOD, no data",
        needs: Needs::NONE,
        run: rc16_zero,
    },
];

fn rc16(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<(params::ReadCapacity16, Vec<u8>), ScenarioError> {
    let cdb = ReadCapacity16 {
        allocation_length: 32,
        ..Default::default()
    }
    .encode();
    let reply = s.read(ctx, &cdb, 32)?;
    match params::ReadCapacity16::decode(&reply.data) {
        Ok(rc) if reply.good() && reply.data.len() == 32 => Ok((rc, reply.data)),
        _ => Err(setup("READ CAPACITY (16), 32 bytes", &reply)),
    }
}

fn rc10_matches_16(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (rc16, _) = rc16(ctx, s)?;
        let reply = s.read(ctx, &ReadCapacity10::default().encode(), 8)?;
        let Ok(rc10) = params::ReadCapacity10::decode(&reply.data) else {
            return Ok(expect_good(&reply));
        };
        let want = u32::try_from(rc16.returned_lba).unwrap_or(u32::MAX);
        Ok(Outcome::check(
            reply.good() && rc10.returned_lba == want && rc10.block_length == rc16.block_length,
            format!("GOOD, last LBA {want}, block length {}", rc16.block_length),
            format!(
                "{}, last LBA {}, block length {}",
                reply.describe(),
                rc10.returned_lba,
                rc10.block_length
            ),
        ))
    })
}

fn rc16_last_lba(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (rc, _) = rc16(ctx, s)?;
        let cap = Capacity {
            last_lba: rc.returned_lba,
            block_len: rc.block_length,
        };
        let last = s.read(ctx, &read16(cap.last_lba, 1), cap.bytes(1))?;
        if !(last.good() && last.data.len() == cap.bytes(1) as usize) {
            return Ok(Outcome::fail(
                format!("GOOD and {} bytes reading the last LBA", cap.bytes(1)),
                last.describe(),
            ));
        }
        let past = s.read(ctx, &read16(cap.last_lba + 1, 1), cap.bytes(1))?;
        Ok(expect_lba_out_of_range(&past))
    })
}

fn rc16_truncates(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (_, full) = rc16(ctx, s)?;
        let cdb = ReadCapacity16 {
            allocation_length: 8,
            ..Default::default()
        }
        .encode();
        let reply = s.read(ctx, &cdb, 32)?;
        Ok(Outcome::check(
            reply.good() && reply.data.get(..) == full.get(..8),
            format!("GOOD and the 8 bytes {:02x?}", full.get(..8)),
            format!("{}: {:02x?}", reply.describe(), reply.data),
        ))
    })
}

fn rc16_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let reply = s.none(ctx, &ReadCapacity16::default().encode())?;
        Ok(Outcome::check(
            reply.good() && reply.data.is_empty(),
            "GOOD without data",
            reply.describe(),
        ))
    })
}

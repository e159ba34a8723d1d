//! READ (6), WRITE (6), READ (12) and WRITE (12) (SBC-4 commands of those
//! names; LBA ranges §4.5). The device may not implement them; an INVALID
//! COMMAND OPERATION CODE makes the scenario not applicable.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::cdb::{Read12, Read6, Write12, Write6};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.read6.zero-means-256",
        clause: "SBC-4 READ (6)",
        level: Level::Must,
        requirement: "READ (6) with TRANSFER LENGTH zero reads 256 blocks",
        needs: Needs::NONE,
        run: read6_256,
    },
    Scenario {
        id: "scsi.write6.read-back",
        clause: "SBC-4 WRITE (6)",
        level: Level::Must,
        requirement: "blocks written with WRITE (6) in the scratch range read back the same",
        needs: Needs::NONE,
        run: write6_read_back,
    },
    Scenario {
        id: "scsi.read6.beyond-eol",
        clause: "SBC-4 §4.5, READ (6)",
        level: Level::Must,
        requirement: "READ (6) of one block past the last LBA is LOGICAL BLOCK ADDRESS OUT OF \
                      RANGE",
        needs: Needs::NONE,
        run: read6_beyond_eol,
    },
    Scenario {
        id: "scsi.write12.read-back",
        clause: "SBC-4 WRITE (12), READ (12)",
        level: Level::Must,
        requirement: "blocks written with WRITE (12) in the scratch range read back the same with \
                      READ (12)",
        needs: Needs::NONE,
        run: write12_read_back,
    },
    Scenario {
        id: "scsi.read12.beyond-eol",
        clause: "SBC-4 §4.5, READ (12)",
        level: Level::Must,
        requirement: "READ (12) of one block past the last LBA is LOGICAL BLOCK ADDRESS OUT OF \
                      RANGE",
        needs: Needs::NONE,
        run: read12_beyond_eol,
    },
];

/// Not applicable when the command is not implemented, else `then`.
fn unless_unsupported(name: &str, reply: &Reply, then: impl FnOnce() -> Outcome) -> Outcome {
    if unsupported(reply) {
        Outcome::not_applicable(format!("the device does not implement {name}"))
    } else {
        then()
    }
}

/// READ (6) and WRITE (6) address 21 bits of LBA.
const LBA6_END: u64 = 1 << 21;

fn read6_256(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        if cap.blocks() < 256 {
            return Ok(Outcome::not_applicable("the LUN has fewer than 256 blocks"));
        }
        let want = read_blocks(ctx, s, cap, 0, 256)?;
        let r = s.read(ctx, &Read6::default().encode(), cap.bytes(256))?;
        Ok(unless_unsupported("READ (6)", &r, || {
            Outcome::check(
                r.good() && r.data == want,
                format!(
                    "GOOD and 256 blocks ({} bytes) as READ (16) reads them",
                    want.len()
                ),
                r.describe(),
            )
        }))
    })
}

fn write6_read_back(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 2, |ctx, s, sc| {
        if sc.lba + 2 > LBA6_END {
            return Ok(Outcome::not_applicable(
                "the scratch range is beyond WRITE (6)'s reach",
            ));
        }
        let data = pattern(2, sc.cap.block_len, 0x06);
        let cdb = Write6 {
            lba: sc.lba as u32,
            transfer_length: 2,
            ..Default::default()
        };
        let w = s.write(ctx, &cdb.encode(), data.clone())?;
        if let Some(na) = not_implemented(&w, "WRITE (6)") {
            return Ok(na);
        }
        reads_back(ctx, s, (sc.cap, sc.lba), &w, &data, "the blocks written")
    })
}

fn read6_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        if cap.last_lba + 1 >= LBA6_END {
            return Ok(Outcome::not_applicable(
                "the LUN is too large for READ (6) to address past its end",
            ));
        }
        let cdb = Read6 {
            lba: (cap.last_lba + 1) as u32,
            transfer_length: 1,
            ..Default::default()
        };
        let r = s.read(ctx, &cdb.encode(), cap.bytes(1))?;
        Ok(unless_unsupported("READ (6)", &r, || {
            expect_lba_out_of_range(&r)
        }))
    })
}

fn write12_read_back(ctx: &mut Context) -> Verdict {
    with_scratch32(ctx, 3, "WRITE (12)", |ctx, s, sc, lba| {
        let data = pattern(3, sc.cap.block_len, 0x12);
        let w = Write12 {
            lba,
            transfer_length: 3,
            ..Default::default()
        };
        let w = s.write(ctx, &w.encode(), data.clone())?;
        if let Some(outcome) = not_implemented(&w, "WRITE (12)").or_else(|| not_good(&w)) {
            return Ok(outcome);
        }
        let r = Read12 {
            lba,
            transfer_length: 3,
            ..Default::default()
        };
        let r = s.read(ctx, &r.encode(), data.len() as u32)?;
        Ok(unless_unsupported("READ (12)", &r, || {
            Outcome::check(
                r.good() && r.data == data,
                "GOOD and the blocks written",
                r.describe(),
            )
        }))
    })
}

fn read12_beyond_eol(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let Some(lba) = u32::try_from(cap.last_lba + 1).ok() else {
            return Ok(Outcome::not_applicable(
                "the LUN is too large for READ (12) to address past its end",
            ));
        };
        let cdb = Read12 {
            lba,
            transfer_length: 1,
            ..Default::default()
        };
        let r = s.read(ctx, &cdb.encode(), cap.bytes(1))?;
        Ok(unless_unsupported("READ (12)", &r, || {
            expect_lba_out_of_range(&r)
        }))
    })
}

//! Optional SBC-4 commands (PRE-FETCH, VERIFY (12) and (16), WRITE AND
//! VERIFY, ORWRITE, READ DEFECT DATA, WRITE ATOMIC, SANITIZE): a device may
//! lack any of them, and then answers ILLEGAL REQUEST, INVALID COMMAND
//! OPERATION CODE (SPC-5 §4.2.5.1). These scenarios hold it to one story:
//! a command REPORT SUPPORTED OPERATION CODES calls not supported is
//! refused with 20h/00h, and one refused with 20h/00h is not reported
//! supported. The probes are harmless: zero blocks, or a reserved service
//! action.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::cdb::op;

/// Sends the CDB `cdb` builds from the capacity, without data: not
/// applicable when the device does not implement `name`, or when `cdb`
/// gives none (the LUN is too large for the CDB's LBA field); else `judge`
/// of the answer.
pub fn probe(
    ctx: &mut Context,
    name: &str,
    cdb: impl FnOnce(Capacity) -> Option<Vec<u8>>,
    judge: fn(&Reply) -> Outcome,
) -> Verdict {
    probe_with(ctx, name, 0, cdb, judge)
}

/// [`probe`] of a write: `blocks` blocks of zeros go with the CDB.
pub fn probe_with(
    ctx: &mut Context,
    name: &str,
    blocks: u64,
    cdb: impl FnOnce(Capacity) -> Option<Vec<u8>>,
    judge: fn(&Reply) -> Outcome,
) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cap = capacity(ctx, s)?;
        let Some(cdb) = cdb(cap) else {
            return Ok(Outcome::not_applicable(format!(
                "the LUN is too large for {name} to address past its end"
            )));
        };
        let r = match blocks {
            0 => s.none(ctx, &cdb)?,
            n => s.write(ctx, &cdb, vec![0; cap.bytes(n) as usize])?,
        };
        Ok(not_implemented(&r, name).unwrap_or_else(|| judge(&r)))
    })
}

/// An optional command: scenario id, name, operation code, the service
/// actions REPORT SUPPORTED OPERATION CODES is asked about (none for a
/// command without), and the harmless probe: its CDB length, the byte set
/// to one (a one-block PRE-FETCH, everything else zero blocks or
/// allocation length zero; SANITIZE with the reserved service action 00h,
/// which a device with SANITIZE refuses as INVALID FIELD IN CDB), and
/// whether it writes. A writing probe names one block at the LBA after the
/// last, with its Data-Out: a device that implements the command refuses
/// it (LOGICAL BLOCK ADDRESS OUT OF RANGE) without writing, and the probe
/// does not depend on how the device treats a zero-length write.
#[derive(Clone, Copy)]
struct Optional {
    id: &'static str,
    name: &'static str,
    opcode: u8,
    sas: &'static [u16],
    len: usize,
    one: Option<usize>,
    writes: bool,
}

/// A command of `len` CDB bytes probed with zeros after its operation
/// code.
const fn cmd(id: &'static str, name: &'static str, opcode: u8, len: usize) -> Optional {
    Optional {
        id,
        name,
        opcode,
        sas: &[],
        len,
        one: None,
        writes: false,
    }
}

/// The same command probed with byte `at` set to one.
const fn one(c: Optional, at: usize) -> Optional {
    Optional { one: Some(at), ..c }
}

/// The same command probed as a one-block write past the last LBA, its
/// length's low byte at `at`.
const fn writing(c: Optional, at: usize) -> Optional {
    Optional {
        one: Some(at),
        writes: true,
        ..c
    }
}

const COMMANDS: [Optional; 12] = [
    one(
        cmd(
            "scsi.optional.prefetch10-refusal",
            "PRE-FETCH (10)",
            op::PRE_FETCH_10,
            10,
        ),
        8,
    ),
    one(
        cmd(
            "scsi.optional.prefetch16-refusal",
            "PRE-FETCH (16)",
            op::PRE_FETCH_16,
            16,
        ),
        13,
    ),
    cmd(
        "scsi.optional.verify12-refusal",
        "VERIFY (12)",
        op::VERIFY_12,
        12,
    ),
    cmd(
        "scsi.optional.verify16-refusal",
        "VERIFY (16)",
        op::VERIFY_16,
        16,
    ),
    writing(
        cmd(
            "scsi.optional.write-verify10-refusal",
            "WRITE AND VERIFY (10)",
            op::WRITE_AND_VERIFY_10,
            10,
        ),
        8,
    ),
    writing(
        cmd(
            "scsi.optional.write-verify12-refusal",
            "WRITE AND VERIFY (12)",
            op::WRITE_AND_VERIFY_12,
            12,
        ),
        9,
    ),
    writing(
        cmd(
            "scsi.optional.write-verify16-refusal",
            "WRITE AND VERIFY (16)",
            op::WRITE_AND_VERIFY_16,
            16,
        ),
        13,
    ),
    writing(
        cmd(
            "scsi.optional.orwrite16-refusal",
            "ORWRITE (16)",
            op::ORWRITE_16,
            16,
        ),
        13,
    ),
    writing(
        cmd(
            "scsi.optional.write-atomic16-refusal",
            "WRITE ATOMIC (16)",
            op::WRITE_ATOMIC_16,
            16,
        ),
        13,
    ),
    cmd(
        "scsi.optional.read-defect-data10-refusal",
        "READ DEFECT DATA (10)",
        op::READ_DEFECT_DATA_10,
        10,
    ),
    cmd(
        "scsi.optional.read-defect-data12-refusal",
        "READ DEFECT DATA (12)",
        op::READ_DEFECT_DATA_12,
        12,
    ),
    Optional {
        sas: &[1, 2, 3, 0x1f],
        ..cmd(
            "scsi.optional.sanitize-refusal",
            "SANITIZE",
            op::SANITIZE,
            10,
        )
    },
];

/// The scenario of `COMMANDS[I]`.
const fn refusal<const I: usize>() -> Scenario {
    Scenario {
        id: COMMANDS[I].id,
        clause: "SPC-5 §4.2.5.1, §6.35 REPORT SUPPORTED OPERATION CODES",
        level: Level::Must,
        requirement: "the command is implemented or refused as a whole: when REPORT SUPPORTED \
                      OPERATION CODES calls it not supported, it is answered ILLEGAL REQUEST, \
                      INVALID COMMAND OPERATION CODE; when it is answered so, it is not reported \
                      supported",
        needs: Needs::NONE,
        run: consistency::<I>,
    }
}

pub const SCENARIOS: &[Scenario] = &[
    refusal::<0>(),
    refusal::<1>(),
    refusal::<2>(),
    refusal::<3>(),
    refusal::<4>(),
    refusal::<5>(),
    refusal::<6>(),
    refusal::<7>(),
    refusal::<8>(),
    refusal::<9>(),
    refusal::<10>(),
    refusal::<11>(),
];

/// Judges the probe's answer against what REPORT SUPPORTED OPERATION CODES
/// says of the command: of the command itself, or, for a command with
/// service actions, of any of them.
fn consistency<const I: usize>(ctx: &mut Context) -> Verdict {
    let Optional {
        name,
        opcode,
        sas,
        len,
        one,
        writes,
        ..
    } = COMMANDS[I];
    let mut probe = vec![0u8; len];
    probe[0] = opcode;
    if let Some(at) = one {
        probe[at] = 1;
    }
    with_session(ctx, |ctx, s| {
        let r = if writes {
            let cap = capacity(ctx, s)?;
            let past = cap.last_lba.saturating_add(1);
            // The LBA field: bytes 2-5 of a 10 or 12-byte CDB, 2-9 of a
            // 16-byte one.
            let bytes = past.to_be_bytes();
            let lba = if len == 16 {
                &bytes[..]
            } else if past <= u64::from(u32::MAX) {
                &bytes[4..]
            } else {
                return Ok(Outcome::not_applicable(format!(
                    "the LUN is too large for {name} to address past its end"
                )));
            };
            probe[2..2 + lba.len()].copy_from_slice(lba);
            s.write(ctx, &probe, vec![0; cap.bytes(1) as usize])?
        } else {
            s.none(ctx, &probe)?
        };
        let refused = unsupported(&r);
        let reported = if sas.is_empty() {
            reported_support(ctx, s, opcode, None)?
        } else {
            let mut each = Vec::new();
            for &sa in sas {
                each.push(reported_support(ctx, s, opcode, Some(sa))?);
            }
            if each.contains(&Some(true)) {
                Some(true)
            } else if each.iter().all(|e| *e == Some(false)) {
                Some(false)
            } else {
                None
            }
        };
        Ok(match (reported, refused) {
            (Some(true), true) => Outcome::fail(
                format!("{name}, reported supported, to be served"),
                r.describe(),
            ),
            (Some(false), false) => Outcome::fail(
                format!(
                    "CHECK CONDITION, ILLEGAL REQUEST 20h/00h (INVALID COMMAND OPERATION CODE) \
                     for {name}, which REPORT SUPPORTED OPERATION CODES calls not supported"
                ),
                r.describe(),
            ),
            (_, true) => Outcome::Pass,
            (Some(true), false) => Outcome::Pass,
            (None, false) => Outcome::not_applicable(format!(
                "the device serves {name} and does not report its commands one by one"
            )),
        })
    })
}

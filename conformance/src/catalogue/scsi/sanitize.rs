//! SANITIZE (SBC-4 SANITIZE; the OVERWRITE parameter list). Optional: a
//! device that answers INVALID COMMAND OPERATION CODE, or reports OVERWRITE
//! not supported, makes these scenarios not applicable. OVERWRITE changes
//! every block of the LUN: those scenarios need `--allow-destructive`.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::cdb::op;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.sanitize.reserved-service-action",
        clause: "SBC-4 SANITIZE, SPC-5 §4.2.5",
        level: Level::Must,
        requirement: "SANITIZE with the reserved service action 00h is ILLEGAL REQUEST, INVALID \
                      FIELD IN CDB (field pointer, when given, at byte 1)",
        needs: Needs::NONE,
        run: reserved_action,
    },
    Scenario {
        id: "scsi.sanitize.overwrite",
        clause: "SBC-4 SANITIZE, OVERWRITE service action",
        level: Level::Must,
        requirement: "SANITIZE OVERWRITE with a one-block INITIALIZATION PATTERN and OVERWRITE \
                      COUNT one is GOOD, and afterwards every block read (a scratch block and \
                      the last LBA) holds the pattern",
        needs: Needs::DESTRUCTIVE,
        run: overwrite,
    },
    Scenario {
        id: "scsi.sanitize.overwrite-short-parameter-list",
        clause: "SBC-4 SANITIZE, OVERWRITE service action",
        level: Level::Must,
        requirement: "SANITIZE OVERWRITE with a PARAMETER LIST LENGTH of 4, too short for a \
                      pattern, is ILLEGAL REQUEST, INVALID FIELD IN CDB (field pointer, when \
                      given, at byte 7)",
        needs: Needs::DESTRUCTIVE,
        run: overwrite_short,
    },
];

const OVERWRITE: u8 = 0x01;

fn sanitize(action: u8, parameter_list_length: u16) -> [u8; 10] {
    let [hi, lo] = parameter_list_length.to_be_bytes();
    [op::SANITIZE, action, 0, 0, 0, 0, 0, hi, lo, 0]
}

fn reserved_action(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &sanitize(0, 0))?;
        Ok(not_implemented(&r, "SANITIZE").unwrap_or_else(|| expect_invalid_field(&r, 1)))
    })
}

/// Not applicable when `r` refuses the service action itself (INVALID
/// FIELD IN CDB pointing at byte 1): the device has SANITIZE without
/// OVERWRITE.
fn overwrite_refused(r: &Reply) -> Option<Outcome> {
    let at_action = matches!(r.field_pointer(), Some((true, 1, _)));
    (at_action && expect_invalid_field(r, 1) == Outcome::Pass)
        .then(|| Outcome::not_applicable("the device refuses the OVERWRITE service action"))
}

/// Not applicable when the device reports OVERWRITE not supported.
fn without_overwrite(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Option<Outcome>, crate::scenario::ScenarioError> {
    Ok(
        (reported_support(ctx, s, op::SANITIZE, Some(OVERWRITE.into()))? == Some(false)).then(
            || Outcome::not_applicable("the device reports SANITIZE OVERWRITE not supported"),
        ),
    )
}

fn overwrite(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, sc| {
        if let Some(o) = without_overwrite(ctx, s)? {
            return Ok(o);
        }
        let bs = sc.cap.block_len;
        let fill = pattern(1, bs, 0x5a);
        // OVERWRITE parameter list: OVERWRITE COUNT 1 (byte 0), reserved,
        // INITIALIZATION PATTERN LENGTH, the pattern.
        let mut list = vec![0x01, 0];
        list.extend_from_slice(&u16::try_from(bs).unwrap_or(u16::MAX).to_be_bytes());
        list.extend_from_slice(&fill);
        let pll = u16::try_from(list.len()).unwrap_or(u16::MAX);
        let r = s.write(ctx, &sanitize(OVERWRITE, pll), list)?;
        if let Some(o) = not_implemented(&r, "SANITIZE").or_else(|| overwrite_refused(&r)) {
            return Ok(o);
        }
        if let Some(o) = not_good(&r) {
            return Ok(o);
        }
        let first = read_blocks(ctx, s, sc.cap, sc.lba, 1)?;
        let last = read_blocks(ctx, s, sc.cap, sc.cap.last_lba, 1)?;
        Ok(Outcome::check(
            first == fill && last == fill,
            "the pattern in the scratch block and the last block",
            format!(
                "the scratch block {}, the last block {}",
                if first == fill {
                    "as sent"
                } else {
                    "different"
                },
                if last == fill { "as sent" } else { "different" },
            ),
        ))
    })
}

fn overwrite_short(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, s, _| {
        if let Some(o) = without_overwrite(ctx, s)? {
            return Ok(o);
        }
        let r = s.write(ctx, &sanitize(OVERWRITE, 4), vec![0x01, 0, 0, 0])?;
        Ok(not_implemented(&r, "SANITIZE")
            .or_else(|| overwrite_refused(&r))
            .unwrap_or_else(|| expect_invalid_field(&r, 7)))
    })
}

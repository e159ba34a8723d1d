//! The access matrix of persistent reservations: for each reservation type,
//! a READ and a WRITE from the reservation holder, from another registered
//! I_T nexus and from one that is not registered, each GOOD or RESERVATION
//! CONFLICT as SPC-5 §5.14.3 (table "SPC commands that are allowed in the
//! presence of various reservations") and SBC-4 §4.17 (its table of SBC
//! commands: READ is a read, WRITE a write) say.
//!
//! The table in [`SCENARIOS`] is the matrix: one row per type, one entry per
//! actor and command, each expanded into a scenario by [`cell`]. Under the
//! all registrants types every registrant holds the reservation (SPC-5
//! §5.14.10, the persistent reservation holder), so the other registrant is a
//! holder too.

use super::reservations::{conflict, out, with_pr, KEY};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{pr_type, PrOutAction};

/// The reservation key the second initiator registers.
pub(super) const KEY_2: u64 = KEY + 0x10;

/// The actors of the matrix.
const HOLDER: u8 = 0;
const REGISTRANT: u8 = 1;
const OTHER: u8 = 2;

/// The commands.
const READ: u8 = 0;
const WRITE: u8 = 1;

/// The expected status: GOOD, or RESERVATION CONFLICT.
const GOOD: bool = true;
const CONFLICT: bool = false;

/// The status a cell expects, as a requirement states it.
macro_rules! status {
    (GOOD) => {
        "GOOD"
    };
    (CONFLICT) => {
        "RESERVATION CONFLICT"
    };
}

/// One cell of the matrix.
macro_rules! cell {
    ($slug:literal, $name:literal, $ty:ident, $actor:ident, $aslug:literal, $who:literal, $op:ident, $opslug:literal, $exp:ident) => {
        Scenario::new(
            concat!("scsi.pr.access.", $slug, ".", $aslug, "-", $opslug),
            "SPC-5 §5.14.3 PERSISTENT RESERVE (commands allowed under each reservation type), \
             SBC-4 §4.17",
            Level::Must,
            concat!(
                "under a ",
                $name,
                " reservation a ",
                stringify!($op),
                " (16) from ",
                $who,
                " ends in ",
                status!($exp)
            ),
            cell::<{ pr_type::$ty }, $actor, $op, $exp>,
        )
        .needing(if $actor == HOLDER {
            Needs::NONE
        } else {
            Needs::SECOND_INITIATOR
        })
    };
}

/// The matrix, one row per type: the expected status of a READ and a
/// WRITE from the holder, from another registrant, from a nexus that is not
/// registered.
macro_rules! matrix {
    ($(($slug:literal, $name:literal, $ty:ident):
        $hr:ident $hw:ident, $rr:ident $rw:ident, $or:ident $ow:ident;)*) => {
        &[$(
            cell!($slug, $name, $ty, HOLDER, "holder", "the holder", READ, "read", $hr),
            cell!($slug, $name, $ty, HOLDER, "holder", "the holder", WRITE, "write", $hw),
            cell!($slug, $name, $ty, REGISTRANT, "registrant", "another registrant", READ, "read", $rr),
            cell!($slug, $name, $ty, REGISTRANT, "registrant", "another registrant", WRITE, "write", $rw),
            cell!($slug, $name, $ty, OTHER, "unregistered", "a nexus not registered", READ, "read", $or),
            cell!($slug, $name, $ty, OTHER, "unregistered", "a nexus not registered", WRITE, "write", $ow),
        )*]
    };
}

pub const SCENARIOS: &[Scenario] = matrix! {
    //                                                          holder      registrant      other
    ("we", "Write Exclusive", WRITE_EXCLUSIVE):                 GOOD GOOD,  GOOD CONFLICT,  GOOD CONFLICT;
    ("ea", "Exclusive Access", EXCLUSIVE_ACCESS):               GOOD GOOD,  CONFLICT CONFLICT, CONFLICT CONFLICT;
    ("we-ro", "Write Exclusive - Registrants Only",
        WRITE_EXCLUSIVE_REGISTRANTS_ONLY):                      GOOD GOOD,  GOOD GOOD,      GOOD CONFLICT;
    ("ea-ro", "Exclusive Access - Registrants Only",
        EXCLUSIVE_ACCESS_REGISTRANTS_ONLY):                     GOOD GOOD,  GOOD GOOD,      CONFLICT CONFLICT;
    ("we-ar", "Write Exclusive - All Registrants",
        WRITE_EXCLUSIVE_ALL_REGISTRANTS):                       GOOD GOOD,  GOOD GOOD,      GOOD CONFLICT;
    ("ea-ar", "Exclusive Access - All Registrants",
        EXCLUSIVE_ACCESS_ALL_REGISTRANTS):                      GOOD GOOD,  GOOD GOOD,      CONFLICT CONFLICT;
};

fn cell<const TYPE: u8, const ACTOR: u8, const OP: u8, const ALLOWED: bool>(
    ctx: &mut Context,
) -> Verdict {
    access(ctx, TYPE, ACTOR, OP, ALLOWED)
}

/// Registers [`KEY`] on `s` and reserves type `ty` with it; `Err` with the
/// outcome when the device refuses (not applicable when it says the type is
/// not supported: SPC-5 §6.17.2, ILLEGAL REQUEST, INVALID FIELD IN CDB).
pub(super) fn reserve(
    ctx: &mut Context,
    s: &mut Scsi,
    ty: u8,
) -> Result<Result<(), Outcome>, ScenarioError> {
    let r = out(ctx, s, PrOutAction::Register, 0, 0, KEY)?;
    if let Some(refused) = not_good(&r) {
        return Ok(Err(refused));
    }
    let r = out(ctx, s, PrOutAction::Reserve, ty, KEY, 0)?;
    if r.is(
        rtgt_proto::scsi::asc::SenseKey::ILLEGAL_REQUEST,
        AscAscq::INVALID_FIELD_IN_CDB,
    ) {
        return Ok(Err(Outcome::not_applicable(format!(
            "the device does not support reservation type {ty:X}h"
        ))));
    }
    Ok(not_good(&r).map_or(Ok(()), Err))
}

fn access(ctx: &mut Context, ty: u8, actor: u8, op: u8, allowed: bool) -> Verdict {
    with_pr(ctx, |ctx, a| {
        let sc = match scratch(ctx, a, 1)? {
            Ok(sc) => sc,
            Err(outcome) => return Ok(outcome),
        };
        if let Err(refused) = reserve(ctx, a, ty)? {
            return Ok(refused);
        }
        let mut second = match actor {
            HOLDER => None,
            _ => Some(Scsi::open_second(ctx)?),
        };
        let refused = match (&mut second, actor) {
            (Some(b), REGISTRANT) => not_good(&out(ctx, b, PrOutAction::Register, 0, 0, KEY_2)?),
            _ => None,
        };
        let s = second.as_mut().unwrap_or(a);
        let outcome = match refused {
            Some(refused) => refused,
            None => {
                let r = if op == READ {
                    s.read(ctx, &read16(sc.lba, 1), sc.cap.block_len)?
                } else {
                    let block = pattern(1, sc.cap.block_len, 0x3c);
                    s.write(ctx, &write16(sc.lba, 1), block)?
                };
                if allowed {
                    expect_good(&r)
                } else {
                    conflict(&r)
                }
            }
        };
        if let Some(mut b) = second {
            let _ = out(
                ctx,
                &mut b,
                PrOutAction::RegisterAndIgnoreExistingKey,
                0,
                0,
                0,
            );
            b.close(ctx);
        }
        sc.restore(ctx, a, outcome)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_has_a_scenario_per_type_actor_and_command() {
        assert_eq!(SCENARIOS.len(), 6 * 3 * 2);
        let ids: std::collections::BTreeSet<_> = SCENARIOS.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), SCENARIOS.len());
        assert!(
            ids.contains("scsi.pr.access.ea-ro.unregistered-read"),
            "{ids:?}"
        );
        let read_by_other = |slug: &str| {
            SCENARIOS
                .iter()
                .find(|s| s.id == format!("scsi.pr.access.{slug}.unregistered-read"))
                .map(|s| s.requirement.ends_with("ends in GOOD"))
        };
        // SPC-5 §5.14.3: reads are shared under the write exclusive types only.
        assert_eq!(read_by_other("we"), Some(true));
        assert_eq!(read_by_other("ea-ar"), Some(false));
    }
}

//! Unit attention conditions, kept per I_T nexus (SAM-5 §5.14, "Unit
//! attention conditions"): the ones a new nexus meets, LOGICAL UNIT RESET
//! (SAM-5 §7.7), and the ones SPC-5 §5.14.11 has a device server establish
//! for other nexuses when a persistent reservation is preempted, cleared or
//! released. Every command here is sent once: a unit attention is the
//! answer under test, not something to retry past.

use super::pr_actions::{held_and_registered, with_two, TWO, WE};
use super::pr_matrix::KEY_2;
use super::reservations::{out, KEY};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::TmfResponseCode;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{pr_type, PrOutAction};

/// At most this many unit attentions are taken before a command must pass.
const MAX_ATTENTIONS: usize = 4;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.ua.new-nexus-cleared",
        "SAM-5 §5.14 (unit attention conditions), SPC-5 §7.5.8 (UA_INTLCK_CTRL 00b)",
        Level::Must,
        "the unit attentions a new I_T nexus meets are each reported once: TEST UNIT READY \
         repeated reaches GOOD within four commands and stays GOOD",
        new_nexus_cleared,
    ),
    Scenario::new(
        "scsi.ua.lu-reset-other-nexus",
        "SAM-5 §7.7 LOGICAL UNIT RESET, SAM-5 §5.14",
        Level::Must,
        "after one initiator's LOGICAL UNIT RESET, the other initiator's next command is \
         CHECK CONDITION, UNIT ATTENTION, BUS DEVICE RESET FUNCTION OCCURRED (29h/03h)",
        lu_reset_other_nexus,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.lu-reset-reported-once",
        "SAM-5 §5.14, SPC-5 §7.5.8 (UA_INTLCK_CTRL 00b)",
        Level::Must,
        "the unit attention a LOGICAL UNIT RESET left for another nexus is cleared once \
         reported: that nexus's next command is GOOD",
        lu_reset_reported_once,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.lu-reset-per-nexus",
        "SAM-5 §5.14 (a unit attention condition per I_T nexus)",
        Level::Must,
        "reporting a LOGICAL UNIT RESET unit attention to one nexus does not clear it for \
         another: after the first initiator takes its own, the second still gets 29h/03h",
        lu_reset_per_nexus,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.preempt-registrations-preempted",
        "SPC-5 §5.14.11.4.3 PERSISTENT RESERVE OUT (PREEMPT)",
        Level::Must,
        "the holder whose registration another registrant's PREEMPT removed gets CHECK \
         CONDITION, UNIT ATTENTION, REGISTRATIONS PREEMPTED (2Ah/05h) on its next command",
        attention_after::<0>,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.preempt-and-abort-registrations-preempted",
        "SPC-5 §5.14.11.5 PERSISTENT RESERVE OUT (PREEMPT AND ABORT)",
        Level::Must,
        "the holder whose registration another registrant's PREEMPT AND ABORT removed gets \
         UNIT ATTENTION, REGISTRATIONS PREEMPTED (2Ah/05h) on its next command",
        attention_after::<1>,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.clear-reservations-preempted",
        "SPC-5 §5.14.11.6 PERSISTENT RESERVE OUT (CLEAR)",
        Level::Must,
        "after another registrant's CLEAR, the holder's next command gets CHECK CONDITION, \
         UNIT ATTENTION, RESERVATIONS PREEMPTED (2Ah/03h)",
        attention_after::<2>,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.release-reservations-released",
        "SPC-5 §5.14.11.2 PERSISTENT RESERVE OUT (RELEASE)",
        Level::Must,
        "when the holder releases a Write Exclusive - Registrants Only reservation, another \
         registrant's next command gets UNIT ATTENTION, RESERVATIONS RELEASED (2Ah/04h)",
        attention_after::<3>,
    )
    .needing(TWO),
];

/// Pass when `r` is CHECK CONDITION, UNIT ATTENTION with `asc`.
fn expect_attention(r: &Reply, asc: AscAscq) -> Outcome {
    expect(r, SenseKey::UNIT_ATTENTION, asc)
}

fn new_nexus_cleared(ctx: &mut Context) -> Verdict {
    let name = ctx.target.initiator_name.clone();
    let mut s = Scsi::open_keeping_attentions(ctx, &name)?;
    let mut seen = Vec::new();
    let mut first_good = None;
    for _ in 0..=MAX_ATTENTIONS {
        let r = s.tur_once(ctx)?;
        if r.good() {
            first_good = Some(r);
            break;
        }
        let attention = r.is_unit_attention();
        seen.push(r.describe());
        if !attention {
            break;
        }
    }
    let again = match first_good {
        Some(_) => Some(s.tur_once(ctx)?),
        None => None,
    };
    s.close(ctx);
    Ok(Outcome::check(
        again.as_ref().is_some_and(Reply::good),
        format!("at most {MAX_ATTENTIONS} unit attentions, then GOOD twice"),
        format!(
            "{seen:?}, then {}",
            again.map_or("no GOOD".to_owned(), |r| r.describe())
        ),
    ))
}

/// Opens both initiators (their unit attentions taken), has the first
/// send LOGICAL UNIT RESET and hands both to `body`.
fn after_lu_reset(
    ctx: &mut Context,
    body: impl FnOnce(&mut Context, &mut Scsi, &mut Scsi) -> Verdict,
) -> Verdict {
    let mut a = Scsi::open(ctx)?;
    let result = (|| {
        let mut b = Scsi::open_second(ctx)?;
        let response = a.lu_reset(ctx)?;
        let result = if response == TmfResponseCode::FunctionComplete {
            body(ctx, &mut a, &mut b)
        } else {
            Ok(Outcome::fail(
                "LOGICAL UNIT RESET answered Function complete",
                format!("{response:?}"),
            ))
        };
        b.close(ctx);
        result
    })();
    a.close(ctx);
    result
}

fn lu_reset_other_nexus(ctx: &mut Context) -> Verdict {
    after_lu_reset(ctx, |ctx, _, b| {
        Ok(expect_attention(
            &b.tur_once(ctx)?,
            AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED,
        ))
    })
}

fn lu_reset_reported_once(ctx: &mut Context) -> Verdict {
    after_lu_reset(ctx, |ctx, _, b| {
        let first = b.tur_once(ctx)?;
        let second = b.tur_once(ctx)?;
        Ok(Outcome::check(
            first.is_unit_attention() && second.good(),
            "UNIT ATTENTION, then GOOD",
            format!("{}, then {}", first.describe(), second.describe()),
        ))
    })
}

fn lu_reset_per_nexus(ctx: &mut Context) -> Verdict {
    after_lu_reset(ctx, |ctx, a, b| {
        // The first initiator takes what it has (SAM-5 does not say
        // whether the nexus that sent the reset gets one).
        for _ in 0..MAX_ATTENTIONS {
            if !a.tur_once(ctx)?.is_unit_attention() {
                break;
            }
        }
        Ok(expect_attention(
            &b.tur_once(ctx)?,
            AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED,
        ))
    })
}

/// A change to the reservation one initiator makes, and the unit
/// attention the other must then get.
#[derive(Clone, Copy)]
struct Change {
    /// The type the first initiator reserves (the second is registered).
    ty: u8,
    /// True when the second initiator makes the change with its own key,
    /// naming the first one's; false when the first does, with its key.
    by_second: bool,
    action: PrOutAction,
    code: AscAscq,
}

impl Change {
    /// The second initiator's `action` against the first's Write
    /// Exclusive reservation.
    const fn by_second(action: PrOutAction, code: AscAscq) -> Change {
        Change {
            ty: WE,
            by_second: true,
            action,
            code,
        }
    }
}

/// The changes of the scenarios that run [`attention_after`], by index.
const CHANGES: [Change; 4] = [
    Change::by_second(PrOutAction::Preempt, AscAscq::REGISTRATIONS_PREEMPTED),
    Change::by_second(
        PrOutAction::PreemptAndAbort,
        AscAscq::REGISTRATIONS_PREEMPTED,
    ),
    Change::by_second(PrOutAction::Clear, AscAscq::RESERVATIONS_PREEMPTED),
    Change {
        ty: pr_type::WRITE_EXCLUSIVE_REGISTRANTS_ONLY,
        by_second: false,
        action: PrOutAction::Release,
        code: AscAscq::RESERVATIONS_RELEASED,
    },
];

fn attention_after<const I: usize>(ctx: &mut Context) -> Verdict {
    let c = CHANGES[I];
    with_two(ctx, |ctx, a, b| {
        if let Some(refused) = held_and_registered(ctx, a, b, c.ty)? {
            return Ok(refused);
        }
        let (actor, other, key, named) = if c.by_second {
            (b, a, KEY_2, KEY)
        } else {
            (a, b, KEY, 0)
        };
        let r = out(ctx, actor, c.action, c.ty, key, named)?;
        if let Some(refused) = not_good(&r) {
            return Ok(refused);
        }
        Ok(expect_attention(&other.tur_once(ctx)?, c.code))
    })
}

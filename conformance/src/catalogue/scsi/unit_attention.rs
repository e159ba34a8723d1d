//! Unit attention conditions, kept per I_T nexus (SAM-5 §5.14, "Unit
//! attention conditions"): the ones a new nexus meets, LOGICAL UNIT RESET
//! (SAM-5 §7.7), and the ones SPC-5 §5.14.11 has a device server establish
//! for other nexuses when a persistent reservation is preempted, cleared or
//! released. Every command here is sent once: a unit attention is the
//! answer under test, not something to retry past.

use super::pr_actions::{second_acts, with_two, TWO, WE};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::TmfResponseCode;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::PrOutAction;

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
         CHECK CONDITION, UNIT ATTENTION, BUS DEVICE RESET FUNCTION OCCURRED (29h/03h; the \
         generic 29h/00h is taken too)",
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
         another: after the first initiator takes its own, the second still gets 29h/03h (or \
         29h/00h)",
        lu_reset_per_nexus,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.preempt-registrations-preempted",
        "SPC-5 §5.14.11.4.3 PERSISTENT RESERVE OUT (PREEMPT)",
        Level::Must,
        "the holder whose registration another registrant's PREEMPT removed gets CHECK \
         CONDITION, UNIT ATTENTION, REGISTRATIONS PREEMPTED (2Ah/05h; RESERVATIONS PREEMPTED \
         2Ah/03h is taken too) on its next command",
        attention_after::<0>,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.ua.preempt-and-abort-registrations-preempted",
        "SPC-5 §5.14.11.5 PERSISTENT RESERVE OUT (PREEMPT AND ABORT)",
        Level::Must,
        "the holder whose registration another registrant's PREEMPT AND ABORT removed gets \
         UNIT ATTENTION, REGISTRATIONS PREEMPTED (2Ah/05h, or 2Ah/03h) on its next command",
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
];

/// Pass when `r` is CHECK CONDITION, UNIT ATTENTION with one of `codes`.
fn expect_attention(r: &Reply, codes: &[AscAscq]) -> Outcome {
    let found = codes.iter().find(|&&c| r.is(SenseKey::UNIT_ATTENTION, c));
    match (found, codes.first()) {
        (Some(&c), _) | (None, Some(&c)) => expect(r, SenseKey::UNIT_ATTENTION, c),
        (None, None) => Outcome::fail("a unit attention", r.describe()),
    }
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
        Ok(expect_attention(&b.tur_once(ctx)?, RESET))
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
        Ok(expect_attention(&b.tur_once(ctx)?, RESET))
    })
}

/// The unit attentions a LOGICAL UNIT RESET may leave: BUS DEVICE RESET
/// FUNCTION OCCURRED, or the generic POWER ON, RESET, OR BUS DEVICE RESET
/// OCCURRED that covers it.
const RESET: &[AscAscq] = &[
    AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED,
    AscAscq::POWER_ON_RESET,
];

/// What a registrant whose registration was preempted may be told:
/// REGISTRATIONS PREEMPTED, or RESERVATIONS PREEMPTED as the SPC-2 era
/// texts have it.
const PREEMPTED: &[AscAscq] = &[
    AscAscq::REGISTRATIONS_PREEMPTED,
    AscAscq::RESERVATIONS_PREEMPTED,
];

/// The second initiator's service action against the first one's Write
/// Exclusive reservation, and the unit attentions the first may then get,
/// by scenario index.
const CHANGES: [(PrOutAction, &[AscAscq]); 3] = [
    (PrOutAction::Preempt, PREEMPTED),
    (PrOutAction::PreemptAndAbort, PREEMPTED),
    (PrOutAction::Clear, &[AscAscq::RESERVATIONS_PREEMPTED]),
];

fn attention_after<const I: usize>(ctx: &mut Context) -> Verdict {
    let (action, codes) = CHANGES[I];
    with_two(ctx, |ctx, a, b| {
        let r = match second_acts(ctx, (a, b), action, WE)? {
            Ok(r) => r,
            Err(outcome) => return Ok(outcome),
        };
        if let Some(refused) = not_good(&r) {
            return Ok(refused);
        }
        Ok(expect_attention(&a.tur_once(ctx)?, codes))
    })
}

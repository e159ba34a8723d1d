//! PERSISTENT RESERVE OUT service actions beyond REGISTER, RESERVE and
//! RELEASE (SPC-5 §5.14.11, §6.17): PREEMPT, PREEMPT AND ABORT, CLEAR,
//! REGISTER AND IGNORE EXISTING KEY, REGISTER AND MOVE; the PERSISTENT
//! RESERVE IN data of READ FULL STATUS and REPORT CAPABILITIES (SPC-5
//! §6.16); and what a reservation holder may not do (nexus loss and resets
//! are in [`super::pr_resets`]). Every scenario unregisters both initiators, whatever its outcome.

use super::pr_matrix::{reserve, KEY_2};
use super::reservations::{conflict, keys, out, pr_in, reservation, unregister, with_pr, KEY};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{pr_type, PersistentReserveOut, PrInAction, PrOutAction};
use rtgt_proto::scsi::params::{PrOutRegisterAndMove, ReadFullStatus, ReportCapabilities};

pub(super) const TWO: Needs = Needs::SECOND_INITIATOR;
pub(super) const WE: u8 = pr_type::WRITE_EXCLUSIVE;
const EA: u8 = pr_type::EXCLUSIVE_ACCESS;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.pr.preempt-holder",
        "SPC-5 §5.14.11.4.3 PERSISTENT RESERVE OUT (PREEMPT of the reservation holder)",
        Level::Must,
        "a registrant's PREEMPT naming the holder's key is GOOD: the holder's registration is \
         removed and the preempting nexus holds a reservation of the type it gave",
        |ctx| preempt_holder(ctx, PrOutAction::Preempt),
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.preempt-and-abort-holder",
        "SPC-5 §5.14.11.5 PERSISTENT RESERVE OUT (PREEMPT AND ABORT)",
        Level::Must,
        "a registrant's PREEMPT AND ABORT naming the holder's key is GOOD: the holder's \
         registration is removed and the preempting nexus holds the reservation",
        |ctx| preempt_holder(ctx, PrOutAction::PreemptAndAbort),
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.preempt-registration",
        "SPC-5 §5.14.11.4.4 PERSISTENT RESERVE OUT (PREEMPT removing registrations)",
        Level::Must,
        "with no reservation, PREEMPT naming another registrant's key is GOOD, removes that \
         registration and creates no reservation",
        preempt_registration,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.preempt-unknown-key",
        "SPC-5 §5.14.11.4.3 PERSISTENT RESERVE OUT (PREEMPT)",
        Level::Must,
        "PREEMPT whose SERVICE ACTION RESERVATION KEY no registration has leaves the \
         reservation with its holder",
        preempt_unknown_key,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.preempt-unregistered",
        "SPC-5 §5.14.7.3, §6.17 PERSISTENT RESERVE OUT",
        Level::Must,
        "PREEMPT from a nexus that is not registered gets RESERVATION CONFLICT",
        preempt_unregistered,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.clear",
        "SPC-5 §5.14.11.6 PERSISTENT RESERVE OUT (CLEAR)",
        Level::Must,
        "a registrant's CLEAR is GOOD and removes every registration and the reservation; \
         PRGENERATION grows",
        clear,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.clear-unregistered",
        "SPC-5 §5.14.7.3, §6.17 PERSISTENT RESERVE OUT",
        Level::Must,
        "CLEAR from a nexus that is not registered gets RESERVATION CONFLICT",
        clear_unregistered,
    ),
    Scenario::new(
        "scsi.pr.register-ignore-existing",
        "SPC-5 §5.14.7, §6.17.2 PERSISTENT RESERVE OUT (REGISTER AND IGNORE EXISTING KEY)",
        Level::Must,
        "REGISTER AND IGNORE EXISTING KEY with a wrong RESERVATION KEY replaces the \
         registered key with the new one; with a SERVICE ACTION RESERVATION KEY of zero it \
         unregisters",
        register_ignore_existing,
    ),
    Scenario::new(
        "scsi.pr.register-and-move",
        "SPC-5 §5.14.8, §6.17.4 PERSISTENT RESERVE OUT (REGISTER AND MOVE)",
        Level::Must,
        "the holder's REGISTER AND MOVE to another initiator's port is GOOD: that nexus is \
         registered with the new key and holds the reservation, the mover stays registered",
        register_and_move,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.read-full-status",
        "SPC-5 §6.16.5 PERSISTENT RESERVE IN (READ FULL STATUS)",
        Level::Must,
        "READ FULL STATUS lists the holder's registration with its key, R_HOLDER set, the \
         type and LU scope",
        read_full_status,
    ),
    Scenario::new(
        "scsi.pr.report-capabilities",
        "SPC-5 §6.16.4 PERSISTENT RESERVE IN (REPORT CAPABILITIES)",
        Level::Must,
        "REPORT CAPABILITIES is GOOD with LENGTH 8; with TMV set, the type mask lists the \
         types RESERVE accepts (Write Exclusive checked)",
        report_capabilities,
    ),
    Scenario::new(
        "scsi.pr.release-wrong-type",
        "SPC-5 §5.14.11.2 PERSISTENT RESERVE OUT (RELEASE)",
        Level::Must,
        "the holder's RELEASE with a TYPE other than the reservation's is ILLEGAL REQUEST, \
         INVALID RELEASE OF PERSISTENT RESERVATION (26h/04h) and releases nothing",
        release_wrong_type,
    ),
    Scenario::new(
        "scsi.pr.release-not-holder",
        "SPC-5 §5.14.11.2 PERSISTENT RESERVE OUT (RELEASE)",
        Level::Must,
        "RELEASE from a registrant that does not hold the reservation is GOOD and releases \
         nothing",
        release_not_holder,
    )
    .needing(TWO),
];

/// Runs `body` with a second session; unregisters it and logs it out.
pub(super) fn with_two(
    ctx: &mut Context,
    body: impl FnOnce(&mut Context, &mut Scsi, &mut Scsi) -> Verdict,
) -> Verdict {
    with_pr(ctx, |ctx, a| {
        let mut b = Scsi::open_second(ctx)?;
        let result = body(ctx, a, &mut b);
        unregister(ctx, &mut b);
        b.close(ctx);
        result
    })
}

/// `a` holds a reservation of type `ty` with [`KEY`], `b` is registered
/// with [`KEY_2`]; `Some` with the outcome when the device refuses.
pub(super) fn held_and_registered(
    ctx: &mut Context,
    a: &mut Scsi,
    b: &mut Scsi,
    ty: u8,
) -> Result<Option<Outcome>, ScenarioError> {
    if let Err(refused) = reserve(ctx, a, ty)? {
        return Ok(Some(refused));
    }
    Ok(not_good(&out(ctx, b, PrOutAction::Register, 0, 0, KEY_2)?))
}

/// The keys READ KEYS lists.
pub(super) fn listed(ctx: &mut Context, s: &mut Scsi) -> Result<Vec<u64>, ScenarioError> {
    keys(ctx, s)?
        .map(|k| k.keys)
        .map_err(|_| ScenarioError::Setup("READ KEYS".into()))
}

/// With `a` holding Write Exclusive and `b` registered, `b` sends
/// `action` of type `ty` naming `a`'s key; `Err` with the outcome when the
/// set-up is refused or the device does not implement PREEMPT AND ABORT.
pub(super) fn second_acts(
    ctx: &mut Context,
    (a, b): (&mut Scsi, &mut Scsi),
    action: PrOutAction,
    ty: u8,
) -> Result<Result<Reply, Outcome>, ScenarioError> {
    if let Some(refused) = held_and_registered(ctx, a, b, WE)? {
        return Ok(Err(refused));
    }
    let r = out(ctx, b, action, ty, KEY_2, KEY)?;
    Ok(preempt_unsupported(&r, action).map_or(Ok(r), Err))
}

fn preempt_holder(ctx: &mut Context, action: PrOutAction) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        let r = match second_acts(ctx, (a, b), action, EA)? {
            Ok(r) => r,
            Err(outcome) => return Ok(outcome),
        };
        let held = reservation(ctx, b)?;
        let after = listed(ctx, b)?;
        Ok(Outcome::check(
            r.good()
                && held == Some((KEY_2, EA))
                && !after.contains(&KEY)
                && after.contains(&KEY_2),
            format!("GOOD, reservation ({KEY_2:#x}, type 3), {KEY:#x} unregistered"),
            format!("{}, reservation {held:x?}, keys {after:x?}", r.describe()),
        ))
    })
}

/// Not applicable when the device answers `action` (PREEMPT AND ABORT) as
/// a service action it does not implement (INVALID FIELD IN CDB).
fn preempt_unsupported(r: &Reply, action: PrOutAction) -> Option<Outcome> {
    (action == PrOutAction::PreemptAndAbort
        && r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB))
    .then(|| Outcome::not_applicable("the device does not implement PREEMPT AND ABORT"))
}

fn preempt_registration(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        let ra = out(ctx, a, PrOutAction::Register, 0, 0, KEY)?;
        let rb = out(ctx, b, PrOutAction::Register, 0, 0, KEY_2)?;
        if let Some(refused) = not_good(&ra).or_else(|| not_good(&rb)) {
            return Ok(refused);
        }
        let r = out(ctx, b, PrOutAction::Preempt, WE, KEY_2, KEY)?;
        let held = reservation(ctx, b)?;
        let after = listed(ctx, b)?;
        Ok(Outcome::check(
            r.good() && held.is_none() && !after.contains(&KEY) && after.contains(&KEY_2),
            format!("GOOD, no reservation, {KEY:#x} unregistered"),
            format!("{}, reservation {held:x?}, keys {after:x?}", r.describe()),
        ))
    })
}

fn preempt_unknown_key(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        if let Some(refused) = held_and_registered(ctx, a, b, WE)? {
            return Ok(refused);
        }
        // The status is not judged: SPC-2 era texts call this "not an
        // error condition", later ones RESERVATION CONFLICT.
        let _ = out(ctx, b, PrOutAction::Preempt, WE, KEY_2, KEY + 0x99)?;
        let held = reservation(ctx, a)?;
        Ok(Outcome::check(
            held == Some((KEY, WE)),
            "the reservation still held by the first initiator",
            format!("{held:x?}"),
        ))
    })
}

fn preempt_unregistered(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        if let Err(refused) = reserve(ctx, a, WE)? {
            return Ok(refused);
        }
        Ok(conflict(&out(ctx, b, PrOutAction::Preempt, WE, 0, KEY)?))
    })
}

fn clear(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        if let Some(refused) = held_and_registered(ctx, a, b, WE)? {
            return Ok(refused);
        }
        let before = keys(ctx, b)?.map_err(|_| ScenarioError::Setup("READ KEYS".into()))?;
        let r = out(ctx, b, PrOutAction::Clear, 0, KEY_2, 0)?;
        let after = keys(ctx, b)?.map_err(|_| ScenarioError::Setup("READ KEYS".into()))?;
        let held = reservation(ctx, b)?;
        Ok(Outcome::check(
            r.good()
                && after.keys.is_empty()
                && held.is_none()
                && after.generation != before.generation,
            "GOOD, no key, no reservation, a new PRGENERATION",
            format!(
                "{}, keys {:x?}, reservation {held:x?}, generations {} {}",
                r.describe(),
                after.keys,
                before.generation,
                after.generation
            ),
        ))
    })
}

fn clear_unregistered(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        unregister(ctx, s);
        Ok(conflict(&out(ctx, s, PrOutAction::Clear, 0, 0, 0)?))
    })
}

fn register_ignore_existing(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        let r = out(ctx, s, PrOutAction::Register, 0, 0, KEY)?;
        if let Some(refused) = not_good(&r) {
            return Ok(refused);
        }
        let ignore = PrOutAction::RegisterAndIgnoreExistingKey;
        let r = out(ctx, s, ignore, 0, KEY + 0x55, KEY + 1)?;
        let replaced = listed(ctx, s)?;
        let r0 = out(ctx, s, ignore, 0, KEY + 0x55, 0)?;
        let gone = listed(ctx, s)?;
        Ok(Outcome::check(
            r.good()
                && replaced.contains(&(KEY + 1))
                && !replaced.contains(&KEY)
                && r0.good()
                && !gone.contains(&(KEY + 1)),
            format!(
                "GOOD with {:#x} replacing {KEY:#x}, then GOOD and no key",
                KEY + 1
            ),
            format!(
                "{} with keys {replaced:x?}, then {} with keys {gone:x?}",
                r.describe(),
                r0.describe()
            ),
        ))
    })
}

/// READ FULL STATUS; `Err` with a not applicable outcome when the device
/// does not implement it.
fn full_status(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Result<ReadFullStatus, Outcome>, ScenarioError> {
    pr_in_decoded(
        ctx,
        s,
        PrInAction::ReadFullStatus,
        "READ FULL STATUS",
        |b| ReadFullStatus::decode(b).ok().map(|d| d.value),
    )
}

/// PERSISTENT RESERVE IN `action` (`name`) decoded; not applicable when the
/// device refuses the service action (INVALID FIELD IN CDB).
pub(super) fn pr_in_decoded<T>(
    ctx: &mut Context,
    s: &mut Scsi,
    action: PrInAction,
    name: &str,
    decode: impl FnOnce(&[u8]) -> Option<T>,
) -> Result<Result<T, Outcome>, ScenarioError> {
    let r = pr_in(ctx, s, action)?;
    if r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB) {
        return Ok(Err(Outcome::not_applicable(format!(
            "the device does not implement {name}"
        ))));
    }
    match decode(&r.data) {
        Some(d) if r.good() => Ok(Ok(d)),
        _ => Ok(Err(Outcome::fail(format!("{name} data"), r.describe()))),
    }
}

fn register_and_move(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        if let Some(refused) = held_and_registered(ctx, a, b, WE)? {
            return Ok(refused);
        }
        // The second initiator's TransportID and the first one's target
        // port, as READ FULL STATUS gives them; then the second
        // unregisters, so the move registers it afresh.
        let status = match full_status(ctx, a)? {
            Ok(status) => status,
            Err(outcome) => return Ok(outcome),
        };
        let find = |key| status.descriptors.iter().find(|d| d.key == key);
        let (Some(mine), Some(theirs)) = (find(KEY), find(KEY_2)) else {
            return Ok(Outcome::fail(
                "READ FULL STATUS listing both registrations",
                format!("{status:x?}"),
            ));
        };
        let list = PrOutRegisterAndMove {
            key: KEY,
            service_action_key: KEY_2 + 1,
            relative_target_port: mine.relative_target_port,
            transport_id: theirs.transport_id.clone(),
            unreg: false,
            aptpl: false,
            reserved: [0; 2],
        }
        .encode();
        unregister(ctx, b);
        let cdb = PersistentReserveOut {
            service_action: PrOutAction::RegisterAndMove,
            pr_type: WE,
            parameter_list_length: list.len() as u32,
            ..Default::default()
        }
        .encode();
        let r = a.write(ctx, &cdb, list)?;
        if r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB) {
            return Ok(Outcome::not_applicable(
                "the device does not implement REGISTER AND MOVE",
            ));
        }
        let held = reservation(ctx, b)?;
        let after = listed(ctx, b)?;
        Ok(Outcome::check(
            r.good()
                && held == Some((KEY_2 + 1, WE))
                && after.contains(&KEY)
                && after.contains(&(KEY_2 + 1)),
            format!(
                "GOOD, reservation ({:#x}, type 1), both keys registered",
                KEY_2 + 1
            ),
            format!("{}, reservation {held:x?}, keys {after:x?}", r.describe()),
        ))
    })
}

fn read_full_status(ctx: &mut Context) -> Verdict {
    holding(ctx, |ctx, s| {
        let status = match full_status(ctx, s)? {
            Ok(status) => status,
            Err(outcome) => return Ok(outcome),
        };
        let ok = status
            .descriptors
            .iter()
            .any(|d| d.key == KEY && d.r_holder && d.pr_type == WE && d.scope == pr_type::LU_SCOPE);
        Ok(Outcome::check(
            ok,
            format!("a descriptor for {KEY:#x}, R_HOLDER, type 1, LU scope"),
            format!("{:x?}", status.descriptors),
        ))
    })
}

fn report_capabilities(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        let r = pr_in(ctx, s, PrInAction::ReportCapabilities)?;
        if r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB) {
            return Ok(Outcome::not_applicable(
                "the device does not implement REPORT CAPABILITIES",
            ));
        }
        let Ok(d) = ReportCapabilities::decode(&r.data) else {
            return Ok(Outcome::fail("REPORT CAPABILITIES data", r.describe()));
        };
        let caps = d.value;
        // WR_EX is bit 9 of the mask as on the wire (SPC-5 §6.16.4).
        let we_listed = !caps.tmv || caps.type_mask & 0x0200 != 0;
        let accepted = reserve(ctx, s, WE)?.is_ok();
        Ok(Outcome::check(
            r.good() && d.declared == 8 && (we_listed || !accepted),
            "GOOD, LENGTH 8, Write Exclusive in the type mask when TMV is set and RESERVE \
             accepts it",
            format!(
                "{}, LENGTH {}, TMV {}, mask {:04X}h, RESERVE type 1 {}",
                r.describe(),
                d.declared,
                caps.tmv,
                caps.type_mask,
                if accepted { "accepted" } else { "refused" }
            ),
        ))
    })
}

/// Runs `body` while this session holds a Write Exclusive reservation.
fn holding(ctx: &mut Context, body: impl FnOnce(&mut Context, &mut Scsi) -> Verdict) -> Verdict {
    with_pr(ctx, |ctx, s| match reserve(ctx, s, WE)? {
        Err(refused) => Ok(refused),
        Ok(()) => body(ctx, s),
    })
}

fn release_wrong_type(ctx: &mut Context) -> Verdict {
    holding(ctx, |ctx, s| {
        let r = out(ctx, s, PrOutAction::Release, EA, KEY, 0)?;
        let held = reservation(ctx, s)?;
        Ok(all([
            expect_illegal(&r, AscAscq::INVALID_RELEASE_OF_PERSISTENT_RESERVATION),
            Outcome::check(
                held == Some((KEY, WE)),
                "the reservation still held",
                format!("{held:x?}"),
            ),
        ]))
    })
}

fn release_not_holder(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        if let Some(refused) = held_and_registered(ctx, a, b, WE)? {
            return Ok(refused);
        }
        let r = out(ctx, b, PrOutAction::Release, WE, KEY_2, 0)?;
        let held = reservation(ctx, b)?;
        Ok(Outcome::check(
            r.good() && held == Some((KEY, WE)),
            "GOOD, the reservation still held by the first initiator",
            format!("{}, reservation {held:x?}", r.describe()),
        ))
    })
}

//! PERSISTENT RESERVE IN and OUT (SPC-5 §6.16, §6.17, the model §5.14) and
//! the SPC-2 RESERVE (6) and RELEASE (6). Every scenario removes what it
//! registered or reserved, whatever its outcome.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::ScsiStatus;
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{
    pr_type, PersistentReserveIn, PrInAction, PrOutAction, Read10, Release6, Reserve6,
};
use rtgt_proto::scsi::params::{PrOutBasic, ReadKeys, ReadReservation};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.pr.register-read-keys",
        clause: "SPC-5 §6.16.2, §6.17 PERSISTENT RESERVE",
        level: Level::Must,
        requirement: "a key registered with REGISTER is listed by READ KEYS, PRGENERATION grows, \
                      and after unregistering (service action key zero) it is gone",
        needs: Needs::NONE,
        run: register_read_keys,
    },
    Scenario {
        id: "scsi.pr.register-wrong-key",
        clause: "SPC-5 §5.14.7.3, §6.17 PERSISTENT RESERVE OUT",
        level: Level::Must,
        requirement: "a registered nexus sending REGISTER with a RESERVATION KEY other than its \
                      own gets RESERVATION CONFLICT",
        needs: Needs::NONE,
        run: register_wrong_key,
    },
    Scenario {
        id: "scsi.pr.reserve-unregistered",
        clause: "SPC-5 §5.14.9, §6.17 PERSISTENT RESERVE OUT",
        level: Level::Must,
        requirement: "RESERVE from a nexus that is not registered gets RESERVATION CONFLICT",
        needs: Needs::NONE,
        run: reserve_unregistered,
    },
    Scenario {
        id: "scsi.pr.parameter-list-length",
        clause: "SPC-5 §6.17.3 PERSISTENT RESERVE OUT",
        level: Level::Must,
        requirement: "REGISTER with a PARAMETER LIST LENGTH other than 24 (SPEC_I_PT zero) is \
                      ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR",
        needs: Needs::NONE,
        run: parameter_list_length,
    },
    Scenario {
        id: "scsi.pr.unregister-releases",
        clause: "SPC-5 §5.14.11.2 PERSISTENT RESERVE OUT (RELEASE), §5.14.7 (unregistering)",
        level: Level::Must,
        requirement: "when the holder of a Write Exclusive reservation unregisters (REGISTER \
                      with a SERVICE ACTION RESERVATION KEY of zero), the reservation is \
                      released: READ RESERVATION shows none",
        needs: Needs::NONE,
        run: unregister_releases,
    },
    Scenario {
        id: "scsi.pr.read-reservation",
        clause: "SPC-5 §6.16.3, §5.14.9 PERSISTENT RESERVE",
        level: Level::Must,
        requirement: "after RESERVE (Write Exclusive) READ RESERVATION shows the holder's key and \
                      type 1h; after RELEASE it shows no reservation",
        needs: Needs::NONE,
        run: read_reservation,
    },
    Scenario {
        id: "scsi.pr.write-exclusive-conflict",
        clause: "SPC-5 §5.14.11, §6.17 PERSISTENT RESERVE OUT",
        level: Level::Must,
        requirement: "under a Write Exclusive reservation another initiator's WRITE gets \
                      RESERVATION CONFLICT while its READ succeeds; once released its WRITE \
                      succeeds",
        needs: Needs::SECOND_INITIATOR,
        run: write_exclusive_conflict,
    },
    Scenario {
        id: "scsi.reserve6.other-initiator-conflict",
        clause: "SPC-2 RESERVE (6), RELEASE (6)",
        level: Level::Must,
        requirement: "under a RESERVE (6) another initiator's READ and RESERVE get RESERVATION \
                      CONFLICT, its RELEASE is GOOD but releases nothing; after the holder's \
                      RELEASE its READ succeeds",
        needs: Needs::SECOND_INITIATOR,
        run: reserve6_conflict,
    },
];

pub(super) const KEY: u64 = 0x7274_6774_5052_0001;

pub(super) fn pr_out(action: PrOutAction, ty: u8, key: u64, sa_key: u64) -> ([u8; 10], Vec<u8>) {
    PrOutBasic::command(action, ty, key, sa_key)
}

pub(super) fn out(
    ctx: &mut Context,
    s: &mut Scsi,
    action: PrOutAction,
    ty: u8,
    key: u64,
    sa_key: u64,
) -> Result<Reply, ScenarioError> {
    let (cdb, list) = pr_out(action, ty, key, sa_key);
    s.write(ctx, &cdb, list)
}

pub(super) fn pr_in(
    ctx: &mut Context,
    s: &mut Scsi,
    action: PrInAction,
) -> Result<Reply, ScenarioError> {
    let cdb = PersistentReserveIn {
        service_action: action,
        allocation_length: 8192,
        ..Default::default()
    }
    .encode();
    s.read(ctx, &cdb, 8192)
}

pub(super) fn keys(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Result<ReadKeys, Outcome>, ScenarioError> {
    let r = pr_in(ctx, s, PrInAction::ReadKeys)?;
    if unsupported(&r) {
        return Ok(Err(Outcome::not_applicable(
            "the device does not implement PERSISTENT RESERVE IN",
        )));
    }
    match ReadKeys::decode(&r.data) {
        Ok(d) if r.good() => Ok(Ok(d.value)),
        _ => Ok(Err(Outcome::fail("READ KEYS data", r.describe()))),
    }
}

/// Removes this session's registration (and with it a reservation it holds).
pub(super) fn unregister(ctx: &mut Context, s: &mut Scsi) {
    let _ = out(ctx, s, PrOutAction::RegisterAndIgnoreExistingKey, 0, 0, 0);
}

/// The key [`clear_all`] registers to clear with.
const CLEANUP_KEY: u64 = 0x7274_6774_5052_00ff;

/// Leaves the LUN without registrations or a persistent reservation,
/// whoever made them: registers this session with [`CLEANUP_KEY`]
/// whatever key it had (REGISTER AND IGNORE EXISTING KEY), then CLEAR
/// (SPC-5 §5.14.11.6), then unregisters should CLEAR have been refused.
pub(super) fn clear_all(ctx: &mut Context, s: &mut Scsi) {
    let ignore = PrOutAction::RegisterAndIgnoreExistingKey;
    let _ = out(ctx, s, ignore, 0, 0, CLEANUP_KEY);
    let _ = out(ctx, s, PrOutAction::Clear, 0, CLEANUP_KEY, 0);
    unregister(ctx, s);
}

/// Opens a session, runs `body` when PR is implemented, clears every
/// registration and the reservation ([`clear_all`]), logs out.
pub(super) fn with_pr(
    ctx: &mut Context,
    body: impl FnOnce(&mut Context, &mut Scsi) -> Verdict,
) -> Verdict {
    let mut s = Scsi::open(ctx)?;
    if let Err(na) = keys(ctx, &mut s)? {
        s.close(ctx);
        return Ok(na);
    }
    let result = body(ctx, &mut s);
    clear_all(ctx, &mut s);
    s.close(ctx);
    result
}

pub(super) fn conflict(r: &Reply) -> Outcome {
    Outcome::check(
        r.status == ScsiStatus::ReservationConflict,
        "RESERVATION CONFLICT",
        r.describe(),
    )
}

fn register_read_keys(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        let before = keys(ctx, s)?.map_err(|_| ScenarioError::Setup("READ KEYS".into()))?;
        let r = out(ctx, s, PrOutAction::Register, 0, 0, KEY)?;
        if !r.good() {
            return Ok(expect_good(&r));
        }
        let during = keys(ctx, s)?.map_err(|_| ScenarioError::Setup("READ KEYS".into()))?;
        let r = out(ctx, s, PrOutAction::Register, 0, KEY, 0)?;
        let after = keys(ctx, s)?.map_err(|_| ScenarioError::Setup("READ KEYS".into()))?;
        Ok(Outcome::check(
            during.keys.contains(&KEY)
                && during.generation != before.generation
                && r.good()
                && !after.keys.contains(&KEY),
            "the key listed after REGISTER with a new PRGENERATION, gone after unregistering",
            format!(
                "generations {} {} {}, keys {:x?} then {:x?}, unregister {}",
                before.generation,
                during.generation,
                after.generation,
                during.keys,
                after.keys,
                r.describe()
            ),
        ))
    })
}

fn register_wrong_key(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        let r = out(ctx, s, PrOutAction::Register, 0, 0, KEY)?;
        if !r.good() {
            return Ok(expect_good(&r));
        }
        Ok(conflict(&out(
            ctx,
            s,
            PrOutAction::Register,
            0,
            KEY + 1,
            KEY + 2,
        )?))
    })
}

fn reserve_unregistered(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        unregister(ctx, s);
        let r = write_exclusive(ctx, s, PrOutAction::Reserve)?;
        Ok(conflict(&r))
    })
}

fn parameter_list_length(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        let (mut cdb, list) = pr_out(PrOutAction::Register, 0, 0, KEY);
        // PARAMETER LIST LENGTH, bytes 5-8: 20 instead of 24.
        cdb[8] = 20;
        let r = s.write(ctx, &cdb, list[..20].to_vec())?;
        Ok(expect_illegal(&r, AscAscq::PARAMETER_LIST_LENGTH_ERROR))
    })
}

pub(super) fn reservation(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Option<(u64, u8)>, ScenarioError> {
    let r = pr_in(ctx, s, PrInAction::ReadReservation)?;
    match ReadReservation::decode(&r.data) {
        Ok(d) if r.good() => Ok(d.value.reservation.map(|x| (x.key, x.pr_type))),
        _ => Err(super::support::setup("READ RESERVATION", &r)),
    }
}

/// RESERVE or RELEASE (`action`) of a WRITE EXCLUSIVE reservation held
/// with [`KEY`] (SPC-5 §6.17).
pub(super) fn write_exclusive(
    ctx: &mut Context,
    s: &mut Scsi,
    action: PrOutAction,
) -> Result<Reply, ScenarioError> {
    out(ctx, s, action, pr_type::WRITE_EXCLUSIVE, KEY, 0)
}

/// Registers [`KEY`] and reserves WRITE EXCLUSIVE with it (SPC-5 §6.17);
/// the expectation that failed when either is not GOOD.
pub(super) fn reserve_write_exclusive(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Option<Outcome>, ScenarioError> {
    let r = out(ctx, s, PrOutAction::Register, 0, 0, KEY)?;
    if !r.good() {
        return Ok(not_good(&r));
    }
    let r = write_exclusive(ctx, s, PrOutAction::Reserve)?;
    Ok(not_good(&r))
}

fn read_reservation(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        if let Some(refused) = reserve_write_exclusive(ctx, s)? {
            return Ok(refused);
        }
        let held = reservation(ctx, s)?;
        let r = write_exclusive(ctx, s, PrOutAction::Release)?;
        let released = reservation(ctx, s)?;
        Ok(Outcome::check(
            held == Some((KEY, pr_type::WRITE_EXCLUSIVE)) && r.good() && released.is_none(),
            format!("reservation ({KEY:#x}, type 1) then none"),
            format!("{held:x?}, RELEASE {}, then {released:x?}", r.describe()),
        ))
    })
}

fn unregister_releases(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        if let Some(refused) = reserve_write_exclusive(ctx, s)? {
            return Ok(refused);
        }
        let r = out(ctx, s, PrOutAction::Register, 0, KEY, 0)?;
        let after = reservation(ctx, s)?;
        Ok(Outcome::check(
            r.good() && after.is_none(),
            "GOOD, then no reservation",
            format!("{}, then reservation {after:x?}", r.describe()),
        ))
    })
}

fn write_exclusive_conflict(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, a| {
        let sc = match scratch(ctx, a, 1)? {
            Ok(sc) => sc,
            Err(outcome) => return Ok(outcome),
        };
        if let Some(refused) = reserve_write_exclusive(ctx, a)? {
            return Ok(refused);
        }
        let mut b = Scsi::open_second(ctx)?;
        let block = pattern(1, sc.cap.block_len, 0x5f);
        let w = b.write(ctx, &super::support::write16(sc.lba, 1), block.clone())?;
        let rd = b.read(ctx, &super::support::read16(sc.lba, 1), sc.cap.block_len)?;
        let _ = write_exclusive(ctx, a, PrOutAction::Release)?;
        let w2 = b.write(ctx, &super::support::write16(sc.lba, 1), block)?;
        b.close(ctx);
        let outcome = super::support::all([
            conflict(&w),
            Outcome::check(
                rd.good(),
                "GOOD for the other initiator's READ",
                rd.describe(),
            ),
            Outcome::check(w2.good(), "GOOD for its WRITE once released", w2.describe()),
        ]);
        sc.restore(ctx, a, outcome)
    })
}

fn reserve6_conflict(ctx: &mut Context) -> Verdict {
    let mut a = Scsi::open(ctx)?;
    let r = a.none(ctx, &Reserve6::default().encode())?;
    if unsupported(&r) {
        a.close(ctx);
        return Ok(Outcome::not_applicable(
            "the device does not implement RESERVE (6)",
        ));
    }
    if !r.good() {
        a.close(ctx);
        return Ok(expect_good(&r));
    }
    let read = Read10 {
        lba: 0,
        transfer_length: 1,
        ..Default::default()
    }
    .encode();
    let result = (|| -> Verdict {
        let mut b = Scsi::open_second(ctx)?;
        let bs = super::support::capacity(ctx, &mut a)?.block_len;
        let b_read = b.read(ctx, &read, bs)?;
        let b_reserve = b.none(ctx, &Reserve6::default().encode())?;
        let b_release = b.none(ctx, &Release6::default().encode())?;
        let b_read_again = b.read(ctx, &read, bs)?;
        let a_read = a.read(ctx, &read, bs)?;
        let a_release = a.none(ctx, &Release6::default().encode())?;
        let b_after = b.read(ctx, &read, bs)?;
        b.close(ctx);
        Ok(super::support::all([
            conflict(&b_read),
            conflict(&b_reserve),
            Outcome::check(
                b_release.good(),
                "GOOD for the other's RELEASE",
                b_release.describe(),
            ),
            conflict(&b_read_again),
            Outcome::check(
                a_read.good(),
                "GOOD for the holder's READ",
                a_read.describe(),
            ),
            Outcome::check(
                a_release.good(),
                "GOOD for the holder's RELEASE",
                a_release.describe(),
            ),
            Outcome::check(
                b_after.good(),
                "GOOD for the other's READ after release",
                b_after.describe(),
            ),
        ]))
    })();
    let _ = a.none(ctx, &Release6::default().encode());
    a.close(ctx);
    result
}

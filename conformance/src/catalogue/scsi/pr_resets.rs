//! What I_T nexus loss (an iSCSI logout) and LOGICAL UNIT RESET do to
//! reservations: persistent reservations are kept through both (SPC-5
//! §5.14.1), a RESERVE (6) reservation ends with a LOGICAL UNIT RESET
//! (SPC-2 §5.5.1). Every scenario releases what it reserved and clears the
//! registrations, whatever its outcome.

use super::pr_actions::{TWO, WE};
use super::pr_matrix::reserve;
use super::reservations::{clear_all, conflict, keys};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::cdb::{Release6, Reserve6};

/// A scenario of a reservation that ends (`ends`) or is kept through an
/// event, seen from the second initiator.
macro_rules! through {
    ($id:literal, $clause:literal, $requirement:literal, $run:expr) => {
        Scenario::new($id, $clause, Level::Must, $requirement, $run).needing(TWO)
    };
}

pub const SCENARIOS: &[Scenario] = &[
    through!(
        "scsi.pr.survives-logout",
        "SPC-5 §5.14.1 (persistent reservations are kept through I_T nexus loss)",
        "a persistent reservation outlives its holder's logout: another initiator's WRITE \
         still gets RESERVATION CONFLICT",
        survives_logout
    ),
    through!(
        "scsi.pr.survives-lu-reset",
        "SPC-5 §5.14.1 (persistent reservations are kept through logical unit reset)",
        "a persistent reservation outlives a LOGICAL UNIT RESET: another initiator's WRITE still \
         gets RESERVATION CONFLICT",
        survives_lu_reset
    ),
    through!(
        "scsi.reserve6.released-by-lu-reset",
        "SPC-2 §5.5.1 (reservations released by logical unit reset)",
        "a RESERVE (6) reservation ends with a LOGICAL UNIT RESET: another initiator's READ \
         is then GOOD",
        reserve6_released_by_lu_reset
    ),
];

/// The first initiator reserves Write Exclusive, `between` does something
/// to its nexus (and returns the session to unregister with, if it closed
/// the first), then the second initiator's WRITE must conflict.
fn survives(
    ctx: &mut Context,
    between: fn(&mut Context, Scsi) -> Result<Scsi, ScenarioError>,
) -> Verdict {
    let mut a = Scsi::open(ctx)?;
    if let Err(na) = keys(ctx, &mut a)? {
        a.close(ctx);
        return Ok(na);
    }
    let sc = match scratch(ctx, &mut a, 1)? {
        Ok(sc) => sc,
        Err(outcome) => {
            a.close(ctx);
            return Ok(outcome);
        }
    };
    let result = (|| -> Result<(Scsi, Outcome), ScenarioError> {
        if let Err(refused) = reserve(ctx, &mut a, WE)? {
            return Ok((a, refused));
        }
        let mut a = between(ctx, a)?;
        let mut b = Scsi::open_second(ctx)?;
        let w = b.write(ctx, &write16(sc.lba, 1), pattern(1, sc.cap.block_len, 0x6d))?;
        b.close(ctx);
        // A WRITE that went through is undone once the reservation is
        // cleared (after a logout the target may not take the new session
        // for the holder's I_T nexus).
        let outcome = conflict(&w);
        if w.good() {
            clear_all(ctx, &mut a);
            let outcome = sc.restore(ctx, &mut a, outcome)?;
            return Ok((a, outcome));
        }
        Ok((a, outcome))
    })();
    match result {
        Ok((mut a, outcome)) => {
            clear_all(ctx, &mut a);
            a.close(ctx);
            Ok(outcome)
        }
        Err(e) => {
            // The first session may be gone: clear from a new one.
            let mut a = Scsi::open(ctx)?;
            clear_all(ctx, &mut a);
            a.close(ctx);
            Err(e)
        }
    }
}

fn survives_logout(ctx: &mut Context) -> Verdict {
    survives(ctx, |ctx, a| {
        a.close(ctx);
        Scsi::open(ctx)
    })
}

fn lu_reset_complete(ctx: &mut Context, s: &mut Scsi) -> Result<(), ScenarioError> {
    let response = s.lu_reset(ctx)?;
    if response != rtgt_proto::pdu::TmfResponseCode::FunctionComplete {
        return Err(ScenarioError::Setup(format!(
            "LOGICAL UNIT RESET answered {response:?}"
        )));
    }
    Ok(())
}

fn survives_lu_reset(ctx: &mut Context) -> Verdict {
    survives(ctx, |ctx, mut a| {
        lu_reset_complete(ctx, &mut a)?;
        Ok(a)
    })
}

fn reserve6_released_by_lu_reset(ctx: &mut Context) -> Verdict {
    let mut a = Scsi::open(ctx)?;
    let r = a.none(ctx, &Reserve6::default().encode())?;
    if let Some(na) = not_implemented(&r, "RESERVE (6)") {
        a.close(ctx);
        return Ok(na);
    }
    if let Some(refused) = not_good(&r) {
        a.close(ctx);
        return Ok(refused);
    }
    let outcome = lu_reset_complete(ctx, &mut a).and_then(|()| {
        let mut b = Scsi::open_second(ctx)?;
        let bs = capacity(ctx, &mut b)?.block_len;
        let r = b.read(ctx, &read16(0, 1), bs)?;
        b.close(ctx);
        Ok(expect_good(&r))
    });
    // Whatever happened, the first initiator releases what it may hold.
    let _ = a.none(ctx, &Release6::default().encode());
    a.close(ctx);
    outcome
}

//! Logging in to a target that does not exist.

use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use crate::wire::{login_request, Wire};
use rtgt_proto::pdu::{LoginStage, LoginStatus};

pub const SCENARIOS: &[Scenario] = &[Scenario {
    id: "iscsi.login.unknown-target",
    clause: "RFC 7143 §11.13.5",
    level: Level::Must,
    requirement: "a login to a target name that does not exist at this address is refused \
                  with status 0x0203 (Not found)",
    needs: Needs::NONE,
    run: unknown_target,
}];

fn unknown_target(ctx: &mut Context) -> Verdict {
    let mut wire = Wire::connect(ctx)?;
    let name = format!("{}.no-such-target", ctx.target.iqn);
    let initiator = ctx.target.initiator_name.clone();
    let request = login_request(
        LoginStage::SecurityNegotiation,
        LoginStage::LoginOperationalNegotiation,
        true,
        &[
            ("InitiatorName", &initiator),
            ("TargetName", &name),
            ("SessionType", "Normal"),
            ("AuthMethod", "None"),
        ],
    );
    wire.send(ctx, request)?;
    Ok(match wire.expect_login_response(ctx)? {
        Ok(response) => Outcome::check(
            response.status == LoginStatus::from_parts(0x02, 0x03),
            "Login Response status 0x0203 (Not found)",
            format!("status {:#06x}", response.status.raw()),
        ),
        Err(other) => Outcome::fail("a Login Response", other.opcode().name()),
    })
}

//! Illegal stage codes and transitions in Login Requests (RFC 7143 §6.3,
//! §11.12.2, §11.12.3): each is an initiator error the target refuses.

use crate::context::Context;
use crate::harness::login::{expect_refusal, RawLogin, FFP, OP, SEC};
use crate::scenario::{Level, Scenario, Verdict};
use rtgt_proto::pdu::LoginStage;

const Q: u16 = 0x5180;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.back-to-security",
        "RFC 7143 §6.3",
        Level::Should,
        "after the move to the operational stage, a request back in the security stage (CSG=0) \
       is refused as an initiator error",
        back_to_security,
    ),
    Scenario::new(
        "iscsi.login.nsg-backwards",
        "RFC 7143 §6.3",
        Level::Should,
        "a request in the operational stage asking to move back to the security stage \
       (NSG=0, T=1) is refused as an initiator error",
        nsg_backwards,
    ),
    Scenario::new(
        "iscsi.login.csg-full-feature",
        "RFC 7143 §11.12.3",
        Level::Should,
        "a Login Request claiming to be in full feature phase (CSG=3) is refused as an \
       initiator error",
        csg_full_feature,
    ),
    Scenario::new(
        "iscsi.login.csg-reserved",
        "RFC 7143 §11.12.3",
        Level::Should,
        "a Login Request with the reserved stage code 2 as CSG is refused as an initiator error",
        csg_reserved,
    ),
    Scenario::new(
        "iscsi.login.nsg-reserved",
        "RFC 7143 §11.12.3",
        Level::Should,
        "a Login Request with T=1 and the reserved stage code 2 as NSG is refused as an \
       initiator error",
        nsg_reserved,
    ),
    Scenario::new(
        "iscsi.login.transit-with-continue",
        "RFC 7143 §11.12.2",
        Level::Should,
        "a Login Request with both T=1 and C=1 (forbidden: text still to come cannot end a \
       stage) is refused as an initiator error",
        transit_with_continue,
    ),
];

fn back_to_security(ctx: &mut Context) -> Verdict {
    let mut login = match RawLogin::after_security(ctx, Q)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    let reply = login.exchange(ctx, SEC, OP, true, &[("AuthMethod", "None")])?;
    Ok(expect_refusal(
        &reply,
        "a request back in the security stage",
    ))
}

fn nsg_backwards(ctx: &mut Context) -> Verdict {
    let mut login = match RawLogin::after_security(ctx, Q + 1)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    let reply = login.exchange(ctx, OP, SEC, true, &[])?;
    Ok(expect_refusal(&reply, "NSG=0 from the operational stage"))
}

fn first_with_stages(
    ctx: &mut Context,
    q: u16,
    csg: LoginStage,
    nsg: LoginStage,
    what: &str,
) -> Verdict {
    let mut login = RawLogin::connect(ctx, q)?;
    let request = login.first_request(ctx, "None", (csg, nsg), true);
    let reply = login.send(ctx, request)?;
    Ok(expect_refusal(&reply, what))
}

fn csg_full_feature(ctx: &mut Context) -> Verdict {
    first_with_stages(ctx, Q + 2, FFP, FFP, "a request with CSG=3")
}

fn csg_reserved(ctx: &mut Context) -> Verdict {
    first_with_stages(
        ctx,
        Q + 3,
        LoginStage::Other(2),
        FFP,
        "a request with CSG=2",
    )
}

fn nsg_reserved(ctx: &mut Context) -> Verdict {
    first_with_stages(
        ctx,
        Q + 4,
        SEC,
        LoginStage::Other(2),
        "a request with NSG=2",
    )
}

fn transit_with_continue(ctx: &mut Context) -> Verdict {
    let mut login = RawLogin::connect(ctx, Q + 5)?;
    let mut request = login.first_request(ctx, "None", (SEC, OP), true);
    request.continue_bit = true;
    let reply = login.send(ctx, request)?;
    Ok(expect_refusal(&reply, "a request with T=1 and C=1"))
}

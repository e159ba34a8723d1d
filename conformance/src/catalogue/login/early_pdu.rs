//! PDUs other than Login Requests before the login is complete
//! (RFC 7143 §6.3: before the login phase starts the target drops the
//! connection; once it has started, it answers with a Login reject of
//! status 0x020b, Invalid during login, and then drops the connection).

use crate::context::Context;
use crate::harness::login::{RawLogin, Reply, LOGIN_CMD_SN};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{
    LoginStage, LoginStatus, LoginStatusClass, LogoutRequest, Lun, NopOut, Pdu, ScsiCommand,
    TextRequest,
};

const Q: u16 = 0x5500;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("iscsi.login.nop-out-before-login", "RFC 7143 §6.3", Level::Must, "a NOP-Out as the first PDU of a connection makes the target drop the connection at once", nop_first),
    Scenario::new("iscsi.login.scsi-command-before-login", "RFC 7143 §6.3", Level::Must, "a SCSI Command as the first PDU of a connection makes the target drop the connection at once", scsi_first),
    Scenario::new("iscsi.login.text-before-login", "RFC 7143 §6.3", Level::Must, "a Text Request as the first PDU of a connection makes the target drop the connection at once", text_first),
    Scenario::new("iscsi.login.nop-out-during-login", "RFC 7143 §6.3", Level::Must, "a NOP-Out after the first Login Response is answered with a Login Response of status \
       0x020b (Invalid during login) and the connection is dropped", nop_during),
    Scenario::new("iscsi.login.scsi-command-during-login", "RFC 7143 §6.3", Level::Must, "a SCSI Command after the first Login Response is answered with status 0x020b and the \
       connection is dropped", scsi_during),
    Scenario::new("iscsi.login.text-during-login", "RFC 7143 §6.3", Level::Must, "a Text Request after the first Login Response is answered with status 0x020b and the \
       connection is dropped", text_during),
    Scenario::new("iscsi.login.logout-during-login", "RFC 7143 §6.3", Level::Must, "a Logout Request after the first Login Response is answered with status 0x020b and \
       the connection is dropped", logout_during),
];

fn nop() -> Pdu {
    NopOut {
        immediate: true,
        itt: 0x0e01,
        cmd_sn: LOGIN_CMD_SN,
        data: Bytes::from_static(b"early"),
        ..NopOut::default()
    }
    .into()
}

fn scsi() -> Pdu {
    // TEST UNIT READY: no data either way.
    let mut cmd = ScsiCommand {
        itt: 0x0e02,
        cmd_sn: LOGIN_CMD_SN,
        lun: Lun::single_level(0),
        ..ScsiCommand::default()
    };
    cmd.set_cdb(&[0u8; 6]);
    cmd.into()
}

fn text() -> Pdu {
    TextRequest {
        immediate: true,
        itt: 0x0e03,
        cmd_sn: LOGIN_CMD_SN,
        data: Bytes::from_static(b"SendTargets=All\0"),
        ..TextRequest::default()
    }
    .into()
}

fn logout() -> Pdu {
    LogoutRequest {
        immediate: true,
        itt: 0x0e04,
        cmd_sn: LOGIN_CMD_SN,
        ..LogoutRequest::default()
    }
    .into()
}

/// The PDU as the first thing on a new connection: only a close passes
/// (a failed Login Response before it is tolerated).
fn first(ctx: &mut Context, pdu: Pdu) -> Verdict {
    let mut login = RawLogin::connect(ctx, Q)?;
    let what = pdu.opcode().name().to_owned();
    let mut reply = login.send_other(ctx, pdu)?;
    if let Reply::Response(r) = &reply {
        if r.status.class() != LoginStatusClass::Success {
            reply = login.recv(ctx)?;
        }
    }
    Ok(Outcome::check(
        matches!(reply, Reply::Closed),
        format!("the connection dropped after a {what} sent before any Login Request"),
        reply.describe(),
    ))
}

cases! {
    nop_first => first(nop());
    scsi_first => first(scsi());
    text_first => first(text());
}

/// The PDU after a first, successful, Login Response (T=0, so the login is
/// still in the security stage).
fn during(ctx: &mut Context, pdu: Pdu) -> Verdict {
    let mut login = RawLogin::connect(ctx, Q + 1)?;
    let reply = login.send_first(ctx, None, LoginStage::SecurityNegotiation, false)?;
    if reply.status() != Some(0) {
        return Ok(Outcome::fail(
            "a successful first Login Response",
            reply.describe(),
        ));
    }
    let what = pdu.opcode().name().to_owned();
    let reply = login.send_other(ctx, pdu)?;
    if reply.status() != Some(LoginStatus::InvalidDuringLogin.raw()) {
        return Ok(Outcome::fail(
            format!("a Login Response with status 0x020b (Invalid during login) for the {what}"),
            reply.describe(),
        ));
    }
    let timeout = ctx.target.timeout;
    Ok(Outcome::check(
        login.wire.closed_within(ctx, timeout)?,
        "the connection dropped after the Login reject",
        format!("still open after {timeout:?}"),
    ))
}

cases! {
    nop_during => during(nop());
    scsi_during => during(scsi());
    text_during => during(text());
    logout_during => during(logout());
}

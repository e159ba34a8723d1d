//! Asynchronous Messages the target sends of its own accord (RFC 7143
//! §11.9): a request to log out (AsyncEvent 1) and the notice that it will
//! drop a connection (AsyncEvent 2), and what must follow. An initiator
//! cannot make a target send them: the suite runs `--async-command` to ask
//! the target's administration for one, naming the session and connection,
//! and these scenarios are not applicable without it.

use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::ITT_RESERVED;
use rtgt_proto::pdu::{AsyncEvent, AsyncMessage, LogoutRequest, LogoutResponseCode, Pdu};
use std::process::Command;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.async.logout-request",
        "RFC 7143 §11.9.1",
        Level::Must,
        "a request to log out (AsyncEvent 1) comes on the connection to be logged out, with ITT \
         0xffffffff, and the logout the initiator then sends (close the session) is answered \
         Success and the connection closes",
        logout_request,
    ),
    Scenario::new(
        "iscsi.async.drop-connection",
        "RFC 7143 §11.9.1",
        Level::Should,
        "a notice that the target will drop a connection (AsyncEvent 2) names that \
         connection's CID in Parameter1, and the connection then closes",
        drop_connection,
    ),
];

/// Runs `--async-command` for `event` on connection 0 of the session `s`
/// (ISID and TSIH); not applicable without one.
fn trigger(
    ctx: &Context,
    event: &str,
    (isid, tsih): (rtgt_proto::pdu::Isid, u16),
) -> Result<Option<Outcome>, ScenarioError> {
    let Some(command) = ctx.target.async_command.clone() else {
        return Ok(Some(Outcome::not_applicable(
            "no way to make the target send an Asynchronous Message (--async-command)",
        )));
    };
    let isid_hex: String = isid.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let status = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("RTGT_ASYNC_EVENT", event)
        .env("RTGT_INITIATOR", &ctx.target.initiator_name)
        .env("RTGT_TARGET", &ctx.target.iqn)
        .env("RTGT_ISID", isid_hex)
        .env("RTGT_TSIH", tsih.to_string())
        .env("RTGT_CID", "0")
        .status()
        .map_err(|e| ScenarioError::Setup(format!("running --async-command: {e}")))?;
    if !status.success() {
        return Err(ScenarioError::Setup(format!(
            "--async-command for {event} ended with {status}"
        )));
    }
    Ok(None)
}

/// The first Asynchronous Message on `s`, the PDUs before it dropped.
fn next_async(ctx: &mut Context, s: &mut RawSession) -> Result<AsyncMessage, ScenarioError> {
    s.await_pdu(ctx, "an Asynchronous Message", |p| match p {
        Pdu::AsyncMessage(m) => Some(m),
        _ => None,
    })
}

fn logout_request(ctx: &mut Context) -> Verdict {
    let (mut s, isid, tsih) = RawSession::open_numbered(ctx, &[], 1)?;
    if let Some(outcome) = trigger(ctx, "logout", (isid, tsih))? {
        s.logout(ctx);
        return Ok(outcome);
    }
    let m = next_async(ctx, &mut s)?;
    if m.async_event != AsyncEvent::LogoutRequest || m.itt != ITT_RESERVED {
        s.logout(ctx);
        return Ok(Outcome::fail(
            "AsyncEvent 1 with ITT 0xffffffff",
            format!("AsyncEvent {:?} with ITT {:#x}", m.async_event, m.itt),
        ));
    }
    // RFC 7143 §11.9.1: the initiator answers with a Logout closing the
    // connection or the session.
    let itt = s.itt();
    let req = LogoutRequest {
        immediate: true,
        itt,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        ..Default::default()
    };
    s.send(ctx, req)?;
    let answer = s.await_pdu(ctx, "the Logout Response", |p| match p {
        Pdu::LogoutResponse(r) if r.itt == itt => Some(r.response),
        _ => None,
    })?;
    if answer != LogoutResponseCode::Success {
        return Ok(Outcome::fail(
            "Logout Response 0 (closed successfully)",
            format!("response {answer:?}"),
        ));
    }
    let timeout = ctx.target.timeout;
    Ok(Outcome::check(
        s.wire.closed_within(ctx, timeout)?,
        "the connection closed after the Logout Response",
        format!("still open after {timeout:?}"),
    ))
}

fn drop_connection(ctx: &mut Context) -> Verdict {
    let (mut s, isid, tsih) = RawSession::open_numbered(ctx, &[], 1)?;
    if let Some(outcome) = trigger(ctx, "drop", (isid, tsih))? {
        s.logout(ctx);
        return Ok(outcome);
    }
    let m = next_async(ctx, &mut s)?;
    if m.async_event != AsyncEvent::ConnectionDrop || m.parameter1 != 0 {
        s.logout(ctx);
        return Ok(Outcome::fail(
            "AsyncEvent 2 naming CID 0 in Parameter1",
            format!(
                "AsyncEvent {:?}, Parameter1 {}",
                m.async_event, m.parameter1
            ),
        ));
    }
    let timeout = ctx.target.timeout;
    Ok(Outcome::check(
        s.wire.closed_within(ctx, timeout)?,
        "the connection closed",
        format!("still open after {timeout:?}"),
    ))
}

//! Logout (RFC 7143 §11.14, §11.15): each reason gets a response the RFC
//! allows, and the target closes after a successful logout.

use super::cmdsn::session;
use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{LogoutReason, LogoutRequest, LogoutResponseCode, Pdu};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.logout.close-session",
        clause: "RFC 7143 §11.14.1, §11.15.1",
        level: Level::Must,
        requirement: "a logout closing the session is answered with response 0 and the target \
                      then closes the connection",
        needs: Needs::NONE,
        run: close_session,
    },
    Scenario {
        id: "iscsi.logout.close-connection",
        clause: "RFC 7143 §11.14.1, §11.15.1",
        level: Level::Must,
        requirement: "a logout closing this connection (its CID) is answered with response 0 \
                      and the target then closes the connection",
        needs: Needs::NONE,
        run: close_connection,
    },
    Scenario {
        id: "iscsi.logout.remove-for-recovery",
        clause: "RFC 7143 §11.14.1, §11.15.1",
        // §11.15.1 defines response 2 for this case without a keyword.
        level: Level::Should,
        requirement: "at ErrorRecoveryLevel 0 a logout removing the connection for recovery \
                      is answered with response 2 (connection recovery not supported)",
        needs: Needs::NONE,
        run: remove,
    },
    Scenario::new(
        "iscsi.logout.unknown-cid",
        "RFC 7143 §11.15.1",
        // §11.15.1 defines response 1 without a keyword.
        Level::Should,
        "a logout closing a connection the session does not have (CID 7) is answered with \
         response 1 (CID not found)",
        unknown_cid,
    ),
];

/// An immediate Logout Request for `reason` naming connection 0 (the
/// session's only one), with a fresh ITT.
pub(super) fn request(s: &mut RawSession, reason: LogoutReason) -> LogoutRequest {
    LogoutRequest {
        immediate: true,
        reason,
        itt: s.itt(),
        cid: 0,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        ..LogoutRequest::default()
    }
}

/// Sends a logout for `reason` naming connection `cid`; its response code and the session, or
/// `None` when the connection closed before the response.
pub(super) fn logout(
    ctx: &mut Context,
    (reason, cid): (LogoutReason, u16),
) -> Result<Option<(LogoutResponseCode, RawSession)>, crate::scenario::ScenarioError> {
    let mut s = session(ctx)?;
    let req = LogoutRequest {
        cid,
        ..request(&mut s, reason)
    };
    let itt = req.itt;
    s.send(ctx, req)?;
    let response = loop {
        match s.next_pdu(ctx, "the Logout Response") {
            Ok(Pdu::LogoutResponse(r)) if r.itt == itt => break r.response,
            Ok(_) => {}
            Err(crate::scenario::ScenarioError::Closed(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
    };
    Ok(Some((response, s)))
}

fn closes(ctx: &mut Context, reason: LogoutReason) -> Verdict {
    Ok(match logout(ctx, (reason, 0))? {
        None => Outcome::fail("a Logout Response", "the connection closed first"),
        Some((code, mut s)) => {
            // RFC 7143 §11.15: the target closes the connection after a
            // successful logout closing it; waited for up to the timeout.
            let closed = s.wire.closed_within(ctx, ctx.target.timeout)?;
            Outcome::check(
                code == LogoutResponseCode::Success && closed,
                "response 0, then the connection closed",
                format!("{code:?}, closed {closed}"),
            )
        }
    })
}

cases! {
    close_session => closes(LogoutReason::CloseSession);
    close_connection => closes(LogoutReason::CloseConnection);
}

fn remove(ctx: &mut Context) -> Verdict {
    Ok(
        match logout(ctx, (LogoutReason::RemoveConnectionForRecovery, 0))? {
            None => Outcome::fail("a Logout Response", "the connection closed first"),
            // RFC 7143 §11.15.1: response 2 when the reason was "remove
            // the connection for recovery" and the operational
            // ErrorRecoveryLevel (0 here, the default) does not support it.
            Some((code, _)) => Outcome::check(
                code == LogoutResponseCode::RecoveryNotSupported,
                "response 2 (connection recovery not supported)",
                format!("{code:?}"),
            ),
        },
    )
}

fn unknown_cid(ctx: &mut Context) -> Verdict {
    Ok(match logout(ctx, (LogoutReason::CloseConnection, 7))? {
        None => Outcome::fail("a Logout Response", "the connection closed first"),
        Some((code, s)) => {
            if code != LogoutResponseCode::Success {
                s.logout(ctx);
            }
            Outcome::check(
                code == LogoutResponseCode::CidNotFound,
                "response 1 (CID not found)",
                format!("{code:?}"),
            )
        }
    })
}

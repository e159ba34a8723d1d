//! Discovery sessions and SendTargets (RFC 7143 §4.3, §13.8, Appendix C):
//! what a discovery session refuses, what SendTargets may list in each kind
//! of session, and the form of every TargetAddress it lists.
//!
//! §4.3 (discovery session): the target "MUST ONLY accept text requests
//! with the SendTargets key and a logout request with the reason 'close the
//! session'. All other requests MUST be rejected." A Reject PDU, a refusing
//! response or a closed connection all reject; executing the request or
//! saying nothing does not.

use super::text::names;
use crate::context::Context;
use crate::harness::blocks::lun;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{
    LogoutReason, LogoutResponseCode, Pdu, ScsiResponseCode, ScsiStatus, TaskManagementRequest,
    TmfFunction, TmfResponseCode,
};
use rtgt_proto::text::Pair;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.discovery.scsi-command-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "a SCSI command in a discovery session is rejected (Reject, a refusing response or \
         the connection closed), never executed",
        scsi_command,
    ),
    Scenario::new(
        "iscsi.discovery.task-management-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "a task management request (ABORT TASK SET) in a discovery session is rejected, \
         never answered Function complete",
        task_management,
    ),
    Scenario::new(
        "iscsi.discovery.logout-for-recovery-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "in a discovery session a logout whose reason is not 'close the session' (here: \
         remove the connection for recovery) is rejected, never answered with success",
        logout_for_recovery,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-empty",
        "RFC 7143 Appendix C",
        Level::Must,
        "an empty SendTargets in a discovery session names no target: it must not return \
         targets other than the one the session is logged in to, and a discovery session is \
         logged in to none",
        empty_in_discovery,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-unknown-name",
        "RFC 7143 Appendix C",
        // "should respond with addresses for only the named target".
        Level::Should,
        "SendTargets naming a target that does not exist lists no target",
        unknown_name,
    ),
    Scenario::new(
        "iscsi.discovery.target-address-form",
        "RFC 7143 §13.8",
        Level::Must,
        "every TargetAddress in the answer to SendTargets=All reads \
         domainname[:port],portal-group-tag (IPv6 in brackets) and carries the portal group \
         tag, which a SendTargets response must include",
        address_form,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-all-in-normal-session",
        "RFC 7143 Appendix C",
        Level::Must,
        "SendTargets=All is not supported in a normal session: the answer names no target \
         but the session's own",
        all_in_normal_session,
    ),
];

/// How the target met a request it had to reject.
pub(super) enum Answer {
    Pdu(Pdu),
    Closed,
    Silence,
}

/// The first PDU about task `itt` (or any Reject), the connection closing,
/// or silence for as long as the target may take.
pub(super) fn answer_to(
    ctx: &mut Context,
    s: &mut RawSession,
    itt: u32,
) -> Result<Answer, ScenarioError> {
    loop {
        match s.next_pdu(ctx, "the answer to the request") {
            Ok(p) if matches!(p, Pdu::Reject(_)) || p.itt() == itt => return Ok(Answer::Pdu(p)),
            Ok(_) => {}
            Err(ScenarioError::Closed(_)) => return Ok(Answer::Closed),
            Err(ScenarioError::Timeout(..)) => return Ok(Answer::Silence),
            Err(e) => return Err(e),
        }
    }
}

pub(super) fn discovery_session(ctx: &mut Context) -> Result<RawSession, ScenarioError> {
    RawSession::open_kind(ctx, &[], true)
}

/// The verdict on a request §4.3 requires rejected: `accepted` tells the
/// answers that carry it out.
pub(super) fn rejected(answer: Answer, accepted: impl Fn(&Pdu) -> bool, request: &str) -> Outcome {
    match answer {
        Answer::Pdu(p) if accepted(&p) => Outcome::fail(
            format!("the {request} rejected"),
            format!("it was carried out: {}", p.dump()),
        ),
        Answer::Silence => Outcome::fail(
            format!("the {request} rejected"),
            "no answer and the connection still open",
        ),
        Answer::Pdu(_) | Answer::Closed => Outcome::Pass,
    }
}

fn scsi_command(ctx: &mut Context) -> Verdict {
    let mut s = discovery_session(ctx)?;
    // TEST UNIT READY (SPC-5 §6.47): six zero bytes.
    let cmd = s.command(lun(ctx), &[0; 6], 0, false, false);
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    let answer = answer_to(ctx, &mut s, itt)?;
    let executed = |p: &Pdu| {
        matches!(p, Pdu::ScsiResponse(r)
            if r.response == ScsiResponseCode::CommandCompleted && r.status == ScsiStatus::Good)
    };
    let verdict = rejected(answer, executed, "SCSI command");
    s.logout(ctx);
    Ok(verdict)
}

fn task_management(ctx: &mut Context) -> Verdict {
    tmf_refused(ctx, TmfFunction::AbortTaskSet, 0, "task management request")
}

/// Sends a TMF `function` (naming task `referenced`) in a discovery
/// session, which RFC 7143 §4.3 says "MUST be rejected": a carried-out
/// function (Function complete) fails.
pub(super) fn tmf_refused(
    ctx: &mut Context,
    function: TmfFunction,
    referenced: u32,
    what: &str,
) -> Verdict {
    let mut s = discovery_session(ctx)?;
    let itt = s.itt();
    let req = TaskManagementRequest {
        function,
        lun: lun(ctx),
        itt,
        referenced_task_tag: referenced,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        // RFC 7143 §11.5.4: RefCmdSN names the task only for ABORT TASK.
        ref_cmd_sn: if matches!(function, TmfFunction::AbortTask) {
            s.cmd_sn
        } else {
            0
        },
        ..TaskManagementRequest::default()
    };
    s.send(ctx, req)?;
    let answer = answer_to(ctx, &mut s, itt)?;
    let complete = |p: &Pdu| {
        matches!(p, Pdu::TaskManagementResponse(r)
            if r.response == TmfResponseCode::FunctionComplete)
    };
    let verdict = rejected(answer, complete, what);
    s.logout(ctx);
    Ok(verdict)
}

fn logout_for_recovery(ctx: &mut Context) -> Verdict {
    let mut s = discovery_session(ctx)?;
    let req = super::logout::request(&mut s, LogoutReason::RemoveConnectionForRecovery);
    let itt = req.itt;
    s.send(ctx, req)?;
    let answer = answer_to(ctx, &mut s, itt)?;
    let success =
        |p: &Pdu| matches!(p, Pdu::LogoutResponse(r) if r.response == LogoutResponseCode::Success);
    let verdict = rejected(answer, success, "logout for recovery");
    if matches!(verdict, Outcome::Pass) {
        s.logout(ctx);
    }
    Ok(verdict)
}

/// The keys answering `SendTargets=value` in a session of its own.
pub(super) fn send_targets(
    ctx: &mut Context,
    discovery: bool,
    value: &str,
) -> Result<Vec<Pair>, ScenarioError> {
    let mut s = RawSession::open_kind(ctx, &[], discovery)?;
    let (_, pairs) = s.text(ctx, &[("SendTargets", value)])?;
    s.logout(ctx);
    Ok(pairs)
}

fn empty_in_discovery(ctx: &mut Context) -> Verdict {
    let pairs = send_targets(ctx, true, "")?;
    Ok(Outcome::check(
        names(&pairs).is_empty(),
        "no TargetName",
        format!("{pairs:?}"),
    ))
}

fn unknown_name(ctx: &mut Context) -> Verdict {
    let name = format!("{}.rtgt-no-such-target", ctx.target.iqn);
    let pairs = send_targets(ctx, true, &name)?;
    Ok(Outcome::check(
        names(&pairs).is_empty(),
        format!("no TargetName for {name}"),
        format!("{pairs:?}"),
    ))
}

fn address_form(ctx: &mut Context) -> Verdict {
    let pairs = send_targets(ctx, true, "All")?;
    let addresses: Vec<&str> = pairs
        .iter()
        .filter(|p| p.key == "TargetAddress")
        .map(|p| p.value.as_str())
        .collect();
    if addresses.is_empty() {
        return Ok(Outcome::fail(
            "at least one TargetAddress",
            format!("{pairs:?}"),
        ));
    }
    Ok(
        match addresses.iter().find(|a| target_address(a).is_err()) {
            Some(bad) => Outcome::fail(
                "domainname[:port],portal-group-tag",
                format!(
                    "TargetAddress={bad}: {}",
                    target_address(bad).err().unwrap_or_default()
                ),
            ),
            None => Outcome::Pass,
        },
    )
}

/// Checks a SendTargets TargetAddress value against §13.8:
/// `domainname[:port][,portal-group-tag]`, the domain name a DNS name, a
/// dotted-decimal IPv4 address or a bracketed IPv6 address, and the tag
/// required ("If the TargetAddress is returned within a SendTargets
/// response, the portal-group-tag MUST be included").
pub(super) fn target_address(value: &str) -> Result<(), String> {
    let (address, tag) = value
        .rsplit_once(',')
        .ok_or("no portal group tag after a comma")?;
    tag.parse::<u16>()
        .map_err(|_| format!("portal group tag {tag:?} is not a number from 0 to 65535"))?;
    let port = if let Some(bracketed) = address.strip_prefix('[') {
        let (ip, rest) = bracketed
            .split_once(']')
            .ok_or("an IPv6 address without its closing bracket")?;
        ip.parse::<std::net::Ipv6Addr>()
            .map_err(|_| format!("{ip:?} in brackets is not an IPv6 address"))?;
        match rest {
            "" => None,
            r => Some(r.strip_prefix(':').ok_or("text after the bracket")?),
        }
    } else {
        let (host, port) = match address.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        };
        if host.is_empty() || host.contains(':') {
            return Err("an unbracketed IPv6 address or no host".into());
        }
        let name_chars = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if !host.chars().all(name_chars) {
            return Err(format!(
                "{host:?} is neither a DNS name nor an IPv4 address"
            ));
        }
        port
    };
    match port.map(str::parse::<u16>) {
        Some(Ok(0) | Err(_)) => Err("the port is not a number from 1 to 65535".into()),
        _ => Ok(()),
    }
}

fn all_in_normal_session(ctx: &mut Context) -> Verdict {
    let iqn = ctx.target.iqn.clone();
    let known = send_targets(ctx, true, "All")?;
    if names(&known).iter().all(|n| *n == iqn) {
        return Ok(Outcome::not_applicable(
            "the target's discovery lists no target besides the one under test, so an \
             answer naming others cannot be observed",
        ));
    }
    let pairs = send_targets(ctx, false, "All")?;
    Ok(Outcome::check(
        names(&pairs).iter().all(|n| *n == iqn),
        format!("no TargetName but {iqn}"),
        format!("{pairs:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::target_address;

    #[test]
    fn target_address_forms() {
        for good in [
            "10.0.0.1:5003,1",
            "[1080:0:0:0:8:800:200C:417A],65",
            "[::1]:3260,1",
            "host.example.com,2",
        ] {
            assert_eq!(target_address(good), Ok(()), "{good}");
        }
        for bad in [
            "10.0.0.1:3260",
            "::1:3260,1",
            "[::1:3260,1",
            "10.0.0.1:0,1",
            "10.0.0.1:3260,x",
            "[zz]:3260,1",
            ",1",
        ] {
            assert!(target_address(bad).is_err(), "{bad}");
        }
    }
}

//! More of discovery (RFC 7143 §4.3, §13.8, Appendix C): requests other
//! than SendTargets refused in a discovery session, SendTargets values that
//! name no target, and the TargetAddress forms of every kind of answer.

use super::discovery::{answer_to, discovery_session, rejected, target_address, tmf_refused};
use super::text::names;
use crate::context::Context;
use crate::harness::blocks::lun;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{
    DataOut, Pdu, ScsiStatus, SnackRequest, SnackType, TextRequest, TmfFunction, TTT_RESERVED,
};
use rtgt_proto::text::{self, Pair};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.discovery.data-out-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "an unsolicited Data-Out in a discovery session is rejected (a Reject or the \
         connection closed), never ignored",
        data_out,
    ),
    Scenario::new(
        "iscsi.discovery.snack-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "a SNACK in a discovery session is rejected (a Reject or the connection closed), \
         never ignored",
        snack,
    ),
    Scenario::new(
        "iscsi.discovery.abort-task-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "an ABORT TASK in a discovery session is rejected, never answered Function complete",
        abort_task,
    ),
    Scenario::new(
        "iscsi.discovery.inquiry-refused",
        "RFC 7143 §4.3",
        Level::Must,
        "an INQUIRY in a discovery session is rejected: no Data-In and no GOOD status",
        inquiry,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-invalid-name",
        "RFC 7143 Appendix C, §4.2.7.1",
        // Appendix C: "should respond with addresses for only the named target".
        Level::Should,
        "SendTargets with a value that is neither All nor a well-formed iSCSI name (spaces) \
         lists no target (an empty answer, SendTargets=Reject or a Reject PDU)",
        invalid_name,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-overlong-value",
        "RFC 7143 Appendix C, §6.1",
        Level::Should,
        "SendTargets with a 300-byte value (no iSCSI name is longer than 223 bytes) lists no \
         target",
        overlong,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-unknown-name-in-normal-session",
        "RFC 7143 Appendix C",
        Level::Should,
        "in a normal session SendTargets naming a target that does not exist lists no target",
        unknown_in_normal,
    ),
    Scenario::new(
        "iscsi.discovery.sendtargets-own-name-in-normal-session",
        "RFC 7143 Appendix C",
        Level::Should,
        "in a normal session SendTargets naming the session's own target lists that target \
         and no other",
        own_in_normal,
    ),
    Scenario::new(
        "iscsi.discovery.target-address-form-named",
        "RFC 7143 §13.8",
        Level::Must,
        "every TargetAddress answering SendTargets=<the target's name> in a discovery session \
         reads domainname[:port],portal-group-tag",
        address_named,
    ),
    Scenario::new(
        "iscsi.discovery.target-address-form-normal-session",
        "RFC 7143 §13.8",
        Level::Must,
        "every TargetAddress answering an empty SendTargets in a normal session reads \
         domainname[:port],portal-group-tag",
        address_normal,
    ),
];

fn data_out(ctx: &mut Context) -> Verdict {
    let mut s = discovery_session(ctx)?;
    let itt = s.itt();
    let d = DataOut {
        lun: lun(ctx),
        itt,
        ttt: TTT_RESERVED,
        exp_stat_sn: s.exp_stat_sn,
        data: bytes::Bytes::from(vec![0u8; 512]),
        ..DataOut::default()
    };
    s.send(ctx, d)?;
    refused_or_closed(ctx, s, itt, "Data-Out")
}

fn snack(ctx: &mut Context) -> Verdict {
    let mut s = discovery_session(ctx)?;
    let itt = s.itt();
    let req = SnackRequest {
        snack_type: SnackType::DataR2t,
        itt,
        exp_stat_sn: s.exp_stat_sn,
        ..SnackRequest::default()
    };
    s.send(ctx, req)?;
    refused_or_closed(ctx, s, itt, "SNACK")
}

/// A PDU no answer may accept: a Reject or a close passes; silence fails.
fn refused_or_closed(ctx: &mut Context, mut s: RawSession, itt: u32, what: &str) -> Verdict {
    let answer = answer_to(ctx, &mut s, itt)?;
    let verdict = rejected(answer, |p| !matches!(p, Pdu::Reject(_)), what);
    if matches!(verdict, Outcome::Pass) {
        s.logout(ctx);
    }
    Ok(verdict)
}

fn abort_task(ctx: &mut Context) -> Verdict {
    tmf_refused(ctx, TmfFunction::AbortTask, 0x7777_0002, "ABORT TASK")
}

fn inquiry(ctx: &mut Context) -> Verdict {
    let mut s = discovery_session(ctx)?;
    // INQUIRY (SPC-5 §6.6), 96 bytes of standard data.
    let cmd = s.command(lun(ctx), &[0x12, 0, 0, 0, 96, 0], 96, true, false);
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    let answer = answer_to(ctx, &mut s, itt)?;
    let executed = |p: &Pdu| match p {
        Pdu::DataIn(_) => true,
        Pdu::ScsiResponse(r) => r.status == ScsiStatus::Good,
        _ => false,
    };
    let verdict = rejected(answer, executed, "INQUIRY");
    s.logout(ctx);
    Ok(verdict)
}

/// The keys answering `SendTargets=value` in a session of its own, or
/// `None` when the request was answered with a Reject PDU.
fn ask(
    ctx: &mut Context,
    discovery: bool,
    value: &str,
) -> Result<Option<Vec<Pair>>, ScenarioError> {
    let mut s = RawSession::open_kind(ctx, &[], discovery)?;
    let itt = s.itt();
    let mut ttt = TTT_RESERVED;
    let mut data = crate::wire::encode_keys(&[("SendTargets", value)]);
    let mut all = Vec::new();
    for _ in 0..64 {
        let req = TextRequest {
            itt,
            ttt,
            cmd_sn: s.take_cmd_sn(),
            exp_stat_sn: s.exp_stat_sn,
            data: std::mem::take(&mut data),
            ..Default::default()
        };
        s.send(ctx, req)?;
        let Ok(r) = s.await_text(ctx, itt, "a Text Response")? else {
            s.logout(ctx);
            return Ok(None);
        };
        all.extend_from_slice(&r.data);
        ttt = r.ttt;
        if r.final_bit && !r.continue_bit {
            s.logout(ctx);
            return text::decode(&all)
                .map(Some)
                .map_err(|e| ScenarioError::Setup(format!("text answer: {e}")));
        }
    }
    Err(ScenarioError::Setup(
        "a text answer of more than 64 PDUs".into(),
    ))
}

/// Passes when `value` lists no target.
fn lists_none(ctx: &mut Context, discovery: bool, value: &str) -> Verdict {
    Ok(match ask(ctx, discovery, value)? {
        None => Outcome::Pass,
        Some(pairs) => Outcome::check(
            names(&pairs).is_empty(),
            "no TargetName",
            format!("{pairs:?}"),
        ),
    })
}

fn invalid_name(ctx: &mut Context) -> Verdict {
    lists_none(ctx, true, "iqn.2024-01.org.rtgt:no such target")
}

fn overlong(ctx: &mut Context) -> Verdict {
    let name = format!("iqn.2024-01.org.rtgt:{}", "x".repeat(279));
    lists_none(ctx, true, &name)
}

/// `SendTargets=value` in a normal session: its keys, or the verdict when
/// the connection closed instead (not applicable here:
/// `iscsi.text.sendtargets-current` judges SendTargets in a normal session
/// being refused).
fn in_normal(
    ctx: &mut Context,
    value: &str,
) -> Result<Result<Option<Vec<Pair>>, Outcome>, ScenarioError> {
    match ask(ctx, false, value) {
        Ok(answer) => Ok(Ok(answer)),
        Err(ScenarioError::Closed(_)) => Ok(Err(Outcome::not_applicable(
            "the target closes the connection on SendTargets in a normal session",
        ))),
        Err(e) => Err(e),
    }
}

fn unknown_in_normal(ctx: &mut Context) -> Verdict {
    let name = format!("{}.rtgt-no-such-target", ctx.target.iqn);
    Ok(match in_normal(ctx, &name)? {
        Err(outcome) => outcome,
        Ok(None) => Outcome::Pass,
        Ok(Some(pairs)) => Outcome::check(
            names(&pairs).is_empty(),
            "no TargetName",
            format!("{pairs:?}"),
        ),
    })
}

fn own_in_normal(ctx: &mut Context) -> Verdict {
    let iqn = ctx.target.iqn.clone();
    Ok(match in_normal(ctx, &iqn)? {
        Err(outcome) => outcome,
        Ok(None) => Outcome::fail(format!("TargetName={iqn} alone"), "a Reject"),
        Ok(Some(pairs)) => Outcome::check(
            names(&pairs) == [iqn.as_str()],
            format!("TargetName={iqn} alone"),
            format!("{pairs:?}"),
        ),
    })
}

/// Every TargetAddress of `pairs` in the §13.8 form.
fn addresses_well_formed(pairs: &[Pair]) -> Outcome {
    match pairs
        .iter()
        .filter(|p| p.key == "TargetAddress")
        .find_map(|p| target_address(&p.value).err().map(|e| (p.value.clone(), e)))
    {
        Some((bad, e)) => Outcome::fail(
            "domainname[:port],portal-group-tag",
            format!("TargetAddress={bad}: {e}"),
        ),
        None => Outcome::Pass,
    }
}

fn address_named(ctx: &mut Context) -> Verdict {
    let iqn = ctx.target.iqn.clone();
    let pairs = super::discovery::send_targets(ctx, true, &iqn)?;
    Ok(addresses_well_formed(&pairs))
}

fn address_normal(ctx: &mut Context) -> Verdict {
    Ok(match in_normal(ctx, "")? {
        Err(outcome) => outcome,
        Ok(None) => Outcome::not_applicable("SendTargets in a normal session was rejected"),
        Ok(Some(pairs)) => addresses_well_formed(&pairs),
    })
}

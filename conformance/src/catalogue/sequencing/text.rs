//! Text requests (RFC 7143 §11.10, §11.11, §13.3, Appendix C): SendTargets
//! in its three forms, an unknown key, a request continued over two PDUs,
//! and answers cut to our MaxRecvDataSegmentLength.

use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::value_of;
use bytes::Bytes;
use rtgt_proto::pdu::{Pdu, TextRequest, TextResponse, TTT_RESERVED};
use rtgt_proto::text::Pair;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.text.sendtargets-all",
        clause: "RFC 7143 §13.3, Appendix C",
        level: Level::Must,
        requirement: "in a discovery session SendTargets=All lists the target under test with \
                      at least one TargetAddress",
        needs: Needs::NONE,
        run: all,
    },
    Scenario {
        id: "iscsi.text.sendtargets-name",
        clause: "RFC 7143 §13.3, Appendix C",
        level: Level::Must,
        requirement: "in a discovery session SendTargets=<the target's name> lists that target \
                      and no other",
        needs: Needs::NONE,
        run: named,
    },
    Scenario {
        id: "iscsi.text.sendtargets-current",
        clause: "RFC 7143 §13.3, Appendix C",
        level: Level::Must,
        requirement: "in a normal session an empty SendTargets names only the session's own \
                      target, if it names one",
        needs: Needs::NONE,
        run: current,
    },
    Scenario {
        id: "iscsi.text.unknown-key",
        clause: "RFC 7143 §6.2",
        level: Level::Must,
        requirement: "a key the target does not know, sent in full feature phase, is answered \
                      NotUnderstood",
        needs: Needs::NONE,
        run: unknown,
    },
    Scenario {
        id: "iscsi.text.continued-request",
        clause: "RFC 7143 §11.10.2, §11.11",
        level: Level::Must,
        requirement: "a Text Request split over two PDUs with the C bit (inside a key name) \
                      is answered once whole: an empty continuation response first, then an \
                      answer naming the whole key",
        needs: Needs::NONE,
        run: continued,
    },
    Scenario {
        id: "iscsi.text.max-recv-data-segment-length",
        clause: "RFC 7143 §13.12, §11.11",
        level: Level::Must,
        requirement: "with MaxRecvDataSegmentLength=512 declared, no Text Response carries \
                      more than 512 bytes; longer answers continue",
        needs: Needs::NONE,
        run: mrdsl,
    },
    Scenario::new(
        "iscsi.text.null-terminated",
        "RFC 7143 §6.1",
        Level::Must,
        "every key=value pair of a Text Response, the last one included, ends with a NUL byte",
        null_terminated,
    ),
    Scenario::new(
        "iscsi.text.transfer-tags",
        "RFC 7143 §11.11.1, §11.11.4",
        Level::Must,
        "a Text Response with F=1 carries Target Transfer Tag 0xffffffff; one with F=0 (more \
         to send) carries another value",
        transfer_tags,
    ),
    Scenario::new(
        "iscsi.text.continue-not-final",
        "RFC 7143 §11.11.2",
        Level::Must,
        "a Text Response with C=1 has F=0",
        continue_not_final,
    ),
];

/// The values of every TargetName in `pairs`.
pub(super) fn names(pairs: &[Pair]) -> Vec<&str> {
    pairs
        .iter()
        .filter(|p| p.key == "TargetName")
        .map(|p| p.value.as_str())
        .collect()
}

fn discovery(
    ctx: &mut Context,
    keys: &[(&str, &str)],
    value: &str,
) -> Result<(Vec<rtgt_proto::pdu::TextResponse>, Vec<Pair>), ScenarioError> {
    text_on(ctx, (keys, true), &[("SendTargets", value)])
}

/// A Text exchange of `text` on a session of its own, logged in with
/// `keys` (a discovery session when `discovery`) and logged out after.
fn text_on(
    ctx: &mut Context,
    (keys, discovery): (&[(&str, &str)], bool),
    text: &[(&str, &str)],
) -> Result<(Vec<rtgt_proto::pdu::TextResponse>, Vec<Pair>), ScenarioError> {
    let mut s = RawSession::open_kind(ctx, keys, discovery)?;
    let answer = s.text(ctx, text)?;
    s.logout(ctx);
    Ok(answer)
}

fn all(ctx: &mut Context) -> Verdict {
    let (_, pairs) = discovery(ctx, &[], "All")?;
    let iqn = ctx.target.iqn.clone();
    let at = pairs
        .iter()
        .position(|p| p.key == "TargetName" && p.value == iqn);
    let address = at.is_some_and(|i| pairs.get(i + 1).is_some_and(|p| p.key == "TargetAddress"));
    Ok(Outcome::check(
        address,
        format!("TargetName={iqn} then a TargetAddress"),
        format!("{pairs:?}"),
    ))
}

fn named(ctx: &mut Context) -> Verdict {
    let iqn = ctx.target.iqn.clone();
    let (_, pairs) = discovery(ctx, &[], &iqn)?;
    Ok(Outcome::check(
        names(&pairs) == [iqn.as_str()],
        format!("only TargetName={iqn}"),
        format!("{pairs:?}"),
    ))
}

fn current(ctx: &mut Context) -> Verdict {
    let (_, pairs) = text_on(ctx, (&[], false), &[("SendTargets", "")])?;
    let iqn = ctx.target.iqn.clone();
    let listed = names(&pairs);
    Ok(Outcome::check(
        listed.iter().all(|n| *n == iqn) && !pairs.is_empty(),
        format!("an answer naming only {iqn}"),
        format!("{pairs:?}"),
    ))
}

fn unknown(ctx: &mut Context) -> Verdict {
    let (_, pairs) = text_on(ctx, (&[], false), &[("RtgtNoSuchKey", "1")])?;
    Ok(Outcome::check(
        value_of(&pairs, "RtgtNoSuchKey") == Some("NotUnderstood"),
        "RtgtNoSuchKey=NotUnderstood",
        format!("{pairs:?}"),
    ))
}

fn continued(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[])?;
    let itt = s.itt();
    let first = TextRequest {
        final_bit: false,
        continue_bit: true,
        itt,
        ttt: TTT_RESERVED,
        cmd_sn: s.take_cmd_sn(),
        exp_stat_sn: s.exp_stat_sn,
        // SendTargets must fit one PDU (RFC 7143 Appendix C): split an
        // extension key instead, which the target answers NotUnderstood or
        // with a value, either way naming it whole (§6.2).
        data: Bytes::from_static(SPLIT_KEY.split_at(12).0.as_bytes()),
        ..TextRequest::default()
    };
    s.send(ctx, first)?;
    let r = match s.await_text(ctx, itt, "the continuation response")? {
        Ok(r) => r,
        Err(j) => {
            return Ok(Outcome::fail(
                "an empty continuation response",
                format!("a Reject ({:?})", j.reason),
            ))
        }
    };
    if r.final_bit || !r.data.is_empty() || r.ttt == TTT_RESERVED {
        return Ok(Outcome::fail(
            "an empty Text Response with F=0 and a TTT",
            format!(
                "F={} {} bytes TTT {:#010x}",
                r.final_bit,
                r.data.len(),
                r.ttt
            ),
        ));
    }
    let second = TextRequest {
        itt,
        ttt: r.ttt,
        cmd_sn: s.take_cmd_sn(),
        exp_stat_sn: s.exp_stat_sn,
        data: Bytes::from(format!("{}=Yes\0", SPLIT_KEY.split_at(12).1)),
        ..TextRequest::default()
    };
    s.send(ctx, second)?;
    let r = s.await_pdu(ctx, "the answer", |p| match p {
        Pdu::TextResponse(r) if r.itt == itt => Some(r),
        _ => None,
    })?;
    s.logout(ctx);
    let answered = crate::wire::keys_of(&r.data)
        .iter()
        .any(|p| p.key == SPLIT_KEY);
    Ok(Outcome::check(
        answered,
        format!("an answer to {SPLIT_KEY}"),
        String::from_utf8_lossy(&r.data).into_owned(),
    ))
}

/// An extension key (RFC 7143 §6.2 X- form) the continued request splits.
const SPLIT_KEY: &str = "X-org.rtgt.conformance-split-key";

fn mrdsl(ctx: &mut Context) -> Verdict {
    let (responses, pairs) = discovery(ctx, &[("MaxRecvDataSegmentLength", "512")], "All")?;
    let longest = responses.iter().map(|r| r.data.len()).max().unwrap_or(0);
    Ok(Outcome::check(
        longest <= 512 && !pairs.is_empty(),
        "Text Responses of at most 512 bytes",
        format!("a response of {longest} bytes"),
    ))
}

/// The Text Responses of SendTargets=All with MaxRecvDataSegmentLength=512
/// declared, so that a long answer continues over several PDUs.
fn long_answer(ctx: &mut Context) -> Result<Vec<TextResponse>, ScenarioError> {
    Ok(discovery(ctx, &[("MaxRecvDataSegmentLength", "512")], "All")?.0)
}

/// §6.1: each key=value pair is "followed by one null (0x00) delimiter".
fn null_terminated(ctx: &mut Context) -> Verdict {
    let data: Vec<u8> = long_answer(ctx)?
        .iter()
        .flat_map(|r| r.data.iter().copied())
        .collect();
    Ok(Outcome::check(
        data.last() == Some(&0) && !data.windows(2).any(|w| w == [0, 0]),
        "pairs each ended by one NUL",
        format!("{:?}", String::from_utf8_lossy(&data)),
    ))
}

/// §11.11.1: a response with F=1 "MUST have a Target Transfer Tag field
/// set to the reserved value of 0xffffffff"; §11.11.4: with more to send,
/// the target sets a value other than it.
fn transfer_tags(ctx: &mut Context) -> Verdict {
    let responses = long_answer(ctx)?;
    Ok(
        match responses
            .iter()
            .find(|r| r.final_bit == (r.ttt != TTT_RESERVED))
        {
            Some(r) => Outcome::fail(
                "TTT 0xffffffff exactly on the response with F=1",
                format!("F={} with TTT {:#010x}", r.final_bit, r.ttt),
            ),
            None => Outcome::Pass,
        },
    )
}

/// §11.11.2: "A Text Response with the C bit set to 1 MUST have the F bit
/// set to 0."
fn continue_not_final(ctx: &mut Context) -> Verdict {
    let responses = long_answer(ctx)?;
    Ok(Outcome::check(
        !responses.iter().any(|r| r.continue_bit && r.final_bit),
        "F=0 on every response with C=1",
        format!(
            "{:?}",
            responses
                .iter()
                .map(|r| (r.continue_bit, r.final_bit))
                .collect::<Vec<_>>()
        ),
    ))
}

//! NOP-Out and NOP-In (RFC 7143 §11.18, §11.19): pings echoed, a NOP-Out
//! with the reserved ITT left unanswered, and the target's own pings.

use super::cmdsn::session;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{NopOut, Pdu, ITT_RESERVED, TTT_RESERVED};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.nop.ping-echo",
        clause: "RFC 7143 §11.19.1, §11.19.2, §11.18.5",
        level: Level::Must,
        requirement: "a ping with 1000 bytes of data is answered by a NOP-In with the same \
                      ITT, TTT 0xffffffff and the same data",
        needs: Needs::NONE,
        run: echo,
    },
    Scenario {
        id: "iscsi.nop.reserved-itt-unanswered",
        clause: "RFC 7143 §11.18.1",
        level: Level::Must,
        requirement: "a NOP-Out with ITT 0xffffffff (and TTT 0xffffffff) gets no NOP-In; the \
                      connection goes on",
        needs: Needs::NONE,
        run: unanswered,
    },
    Scenario {
        id: "iscsi.nop.target-ping",
        clause: "RFC 7143 §11.19.1, §11.19.2",
        level: Level::Must,
        requirement: "a target ping (NOP-In asking an answer) has ITT 0xffffffff and a TTT \
                      other than 0xffffffff, and the connection goes on after our answer",
        needs: Needs::NONE,
        run: target_ping,
    },
];

fn echo(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let answer = s.ping_with(ctx, &data)?;
    s.logout(ctx);
    Ok(match answer {
        Some(Pdu::NopIn(n)) => Outcome::check(
            n.ttt == TTT_RESERVED && n.data.as_ref() == data.as_slice(),
            "TTT 0xffffffff and the 1000 bytes echoed",
            format!("TTT {:#010x}, {} bytes", n.ttt, n.data.len()),
        ),
        _ => Outcome::fail("a NOP-In", "none"),
    })
}

fn unanswered(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let nop = NopOut {
        immediate: true,
        itt: ITT_RESERVED,
        ttt: TTT_RESERVED,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        data: Bytes::new(),
        ..NopOut::default()
    };
    s.send(ctx, nop)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if got.iter().any(|p| matches!(p, Pdu::NopIn(_))) {
        return Ok(Outcome::fail("no NOP-In", "a NOP-In"));
    }
    if closed {
        return Ok(Outcome::fail(
            "the connection kept",
            "the connection closed",
        ));
    }
    crate::catalogue::checks::still_answers(ctx, s, "a ping answered afterwards")
}

fn target_ping(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    // RFC 7143 §11.19.1 lets the target ping when it likes: wait up to the
    // timeout for one (rtgtd pings after `--nop-interval` seconds idle).
    let within = ctx.target.timeout;
    if !s.await_target_ping(ctx, within)? {
        s.logout(ctx);
        return Ok(Outcome::not_applicable(format!(
            "the target sent no ping within {within:?} of idleness"
        )));
    }
    crate::catalogue::checks::still_answers(ctx, s, "a ping answered after the target's ping")
}

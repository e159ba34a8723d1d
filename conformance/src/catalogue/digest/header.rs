//! A corrupted header digest (RFC 7143 §7.8): the target discards the PDU
//! or closes the connection; if it discards, the connection goes on.

use super::{answers_ping, bad_header_digest, crc_session};
use crate::context::Context;
use crate::harness::blocks;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{NopOut, Pdu};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.digest.header-corrupt-ping",
        clause: "RFC 7143 §7.8",
        level: Level::Must,
        requirement: "a ping whose header digest is wrong is discarded (never answered) or \
                      the connection closes; if it stays open, the next ping is answered",
        needs: Needs::NONE,
        run: corrupt_ping,
    },
    Scenario {
        id: "iscsi.digest.header-corrupt-command",
        clause: "RFC 7143 §7.8, §4.2.2.1",
        level: Level::Must,
        requirement: "a command whose header digest is wrong is not executed: no response \
                      comes for it, and the same command sent again intact completes",
        needs: Needs::NONE,
        run: corrupt_command,
    },
];

fn corrupt_ping(ctx: &mut Context) -> Verdict {
    let mut s = match crc_session(ctx, true, false, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let itt = s.itt();
    let nop = Pdu::NopOut(NopOut {
        immediate: true,
        itt,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        data: Bytes::from_static(b"corrupt"),
        ..NopOut::default()
    });
    let bytes = bad_header_digest(&nop, s.wire.digests());
    s.wire.send_bytes(ctx, &bytes)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if answers_ping(&got, itt) {
        return Ok(Outcome::fail(
            "the damaged ping discarded",
            "a NOP-In answering it",
        ));
    }
    if closed {
        return Ok(Outcome::Pass);
    }
    crate::catalogue::checks::still_answers(ctx, s, "the next ping answered")
}

fn corrupt_command(ctx: &mut Context) -> Verdict {
    let mut s = match crc_session(ctx, true, false, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let cmd = s.command(blocks::lun(ctx), &[0; 6], 0, false, false);
    let bytes = bad_header_digest(&Pdu::ScsiCommand(cmd.clone()), s.wire.digests());
    s.wire.send_bytes(ctx, &bytes)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if got.iter().any(|p| p.itt() == cmd.itt) {
        return Ok(Outcome::fail(
            "the damaged command discarded",
            "an answer to it",
        ));
    }
    if closed {
        return Ok(Outcome::Pass);
    }
    let pdus = s.run(ctx, cmd, None)?;
    let status = blocks::status_of(&pdus);
    s.logout(ctx);
    Ok(Outcome::check(
        status.is_some(),
        "a status for the command sent again",
        "none",
    ))
}

//! Command numbering (RFC 7143 §4.2.2.1): the target delivers commands in
//! CmdSN order, holds those after a gap, silently ignores those outside the
//! window and duplicates, and immediate commands take no number.

use crate::context::Context;
use crate::harness::blocks::{lun, run_past_ua};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{NopOut, Pdu, ScsiCommand};
use rtgt_proto::serial::Serial;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.cmdsn.beyond-window",
        clause: "RFC 7143 §4.2.2.1",
        level: Level::Must,
        requirement: "a command numbered MaxCmdSN + 1 is silently ignored, not held: it is \
                      never answered, even once in-window commands have moved ExpCmdSN past \
                      its number, and the command then sent with that number completes",
        needs: Needs::NONE,
        run: beyond,
    },
    Scenario {
        id: "iscsi.cmdsn.stale",
        clause: "RFC 7143 §4.2.2.1",
        level: Level::Must,
        requirement: "a command numbered below ExpCmdSN (a number already used) is silently \
                      ignored; the connection then still works",
        needs: Needs::NONE,
        run: stale,
    },
    Scenario {
        id: "iscsi.cmdsn.gap-held",
        clause: "RFC 7143 §4.2.2.1",
        level: Level::Must,
        requirement: "a command numbered after a gap is held, not answered, until the missing \
                      number arrives; then both complete",
        needs: Needs::NONE,
        run: gap,
    },
    Scenario {
        id: "iscsi.cmdsn.duplicate-while-held",
        clause: "RFC 7143 §4.2.2.1",
        level: Level::Must,
        requirement: "a second command with the number of a command held after a gap is a \
                      duplicate and is ignored: only the first one completes",
        needs: Needs::NONE,
        run: duplicate,
    },
    Scenario {
        id: "iscsi.cmdsn.immediate-not-numbered",
        clause: "RFC 7143 §4.2.2.1",
        level: Level::Must,
        requirement: "an immediate command carries the next CmdSN without taking it: its \
                      response leaves ExpCmdSN where it was, and a command with that number \
                      then completes",
        needs: Needs::NONE,
        run: immediate,
    },
    Scenario {
        id: "iscsi.cmdsn.exp-cmd-sn-acknowledges",
        clause: "RFC 7143 §4.2.2.1, §11.4",
        level: Level::Must,
        requirement: "the response to each non-immediate command has ExpCmdSN past that \
                      command's CmdSN, and MaxCmdSN no lower than ExpCmdSN - 1",
        needs: Needs::NONE,
        run: acknowledges,
    },
    Scenario {
        id: "iscsi.cmdsn.non-immediate-nop",
        clause: "RFC 7143 §11.18, §4.2.2.1",
        level: Level::Must,
        requirement: "a non-immediate NOP-Out ping takes a CmdSN: it is answered and the \
                      answer's ExpCmdSN is past it",
        needs: Needs::NONE,
        run: nop,
    },
];

/// A TEST UNIT READY (not sent) with the next CmdSN taken.
pub(crate) fn tur(ctx: &Context, s: &mut RawSession) -> ScsiCommand {
    s.command(lun(ctx), &[0; 6], 0, false, false)
}

/// A session whose unit attentions are cleared.
pub(crate) fn session(ctx: &mut Context) -> Result<RawSession, ScenarioError> {
    let mut s = RawSession::open(ctx, &[])?;
    let l = lun(ctx);
    run_past_ua(
        ctx,
        &mut s,
        |s| s.command(l, &[0; 6], 0, false, false),
        None,
    )?;
    Ok(s)
}

/// Whether `got` answers task `itt`.
pub(crate) fn answers(got: &[Pdu], itt: u32) -> bool {
    got.iter().any(|p| p.itt() == itt)
}

/// Sends `cmd` which must be ignored, then proves the session works.
fn ignored(ctx: &mut Context, mut s: RawSession, cmd: ScsiCommand) -> Verdict {
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if answers(&got, itt) {
        return Ok(Outcome::fail("the command ignored", "an answer to it"));
    }
    if closed {
        return Ok(Outcome::fail(
            "the command silently ignored",
            "the connection closed",
        ));
    }
    if !s.ping(ctx)? {
        return Ok(Outcome::fail("a ping answered afterwards", "no answer"));
    }
    next_completes(ctx, s, "the next command in sequence completed")
}

/// A TEST UNIT READY sent next completes (`expected` says why it should);
/// then the session logs out.
fn next_completes(ctx: &mut Context, mut s: RawSession, expected: &str) -> Verdict {
    let next = tur(ctx, &mut s);
    let pdus = s.run(ctx, next, None)?;
    s.logout(ctx);
    Ok(Outcome::check(
        crate::harness::blocks::status_of(&pdus).is_some(),
        expected,
        "no status",
    ))
}

/// A TEST UNIT READY numbered outside the CmdSN window by `outside` (from
/// the session and the CmdSN it would have had), the CmdSN kept for the
/// next command: [`ignored`].
fn out_of_window(ctx: &mut Context, outside: impl FnOnce(&RawSession, u32) -> u32) -> Verdict {
    let mut s = session(ctx)?;
    let mut cmd = s.command(lun(ctx), &[0; 6], 0, false, false);
    s.cmd_sn = cmd.cmd_sn;
    cmd.cmd_sn = outside(&s, cmd.cmd_sn);
    ignored(ctx, s, cmd)
}

/// The widest window [`beyond`] walks through, in commands.
const WIDEST_WINDOW: u32 = 4096;

/// RFC 7143 §4.2.2.1: "The target MUST silently ignore any non-immediate
/// command outside of this range". Ignored, not held as after a gap: the
/// in-window commands that bring ExpCmdSN to its number and past never
/// bring its answer, and a new command with its number completes.
fn beyond(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let mut stray = s.command(lun(ctx), &[0; 6], 0, false, false);
    s.cmd_sn = stray.cmd_sn;
    let number = s.max_cmd_sn.wrapping_add(1);
    stray.cmd_sn = number;
    let itt = stray.itt;
    s.send(ctx, stray)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if let Some(outcome) = stray_answered(&got, itt, "before the window moved") {
        return Ok(outcome);
    }
    if closed {
        return Ok(Outcome::fail(
            "the command silently ignored",
            "the connection closed",
        ));
    }
    let before = number.wrapping_sub(s.cmd_sn);
    if before > WIDEST_WINDOW {
        return Ok(Outcome::skip(format!(
            "a window of {before} commands is wider than the {WIDEST_WINDOW} walked"
        )));
    }
    // In-window commands numbered up to `number - 1`: a target that held
    // the stray answers it once ExpCmdSN reaches `number`.
    for _ in 0..before {
        let next = tur(ctx, &mut s);
        let pdus = s.run(ctx, next, None)?;
        if let Some(outcome) = stray_answered(&pdus, itt, "as ExpCmdSN moved") {
            return Ok(outcome);
        }
    }
    let (got, _) = s.gather_quiet(ctx)?;
    if let Some(outcome) = stray_answered(&got, itt, format!("once ExpCmdSN reached {number}")) {
        return Ok(outcome);
    }
    let last = tur(ctx, &mut s);
    let pdus = s.run(ctx, last, None)?;
    if let Some(outcome) = stray_answered(&pdus, itt, format!("once ExpCmdSN passed {number}")) {
        return Ok(outcome);
    }
    s.logout(ctx);
    Ok(Outcome::check(
        crate::harness::blocks::status_of(&pdus).is_some(),
        format!("a new command numbered {number} completed"),
        "no status",
    ))
}

/// A failure when `got` answers the out-of-window command `itt`.
fn stray_answered(got: &[Pdu], itt: u32, when: impl std::fmt::Display) -> Option<Outcome> {
    answers(got, itt).then(|| {
        Outcome::fail(
            "the command numbered MaxCmdSN + 1 never answered",
            format!("an answer to it {when}"),
        )
    })
}

fn stale(ctx: &mut Context) -> Verdict {
    out_of_window(ctx, |_, sn| sn.wrapping_sub(1))
}

fn gap(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let first = tur(ctx, &mut s);
    let second = tur(ctx, &mut s);
    s.send(ctx, second.clone())?;
    let (got, _) = s.gather_quiet(ctx)?;
    if answers(&got, second.itt) {
        return Ok(Outcome::fail(
            "the command after the gap held",
            "an answer to it",
        ));
    }
    s.send(ctx, first.clone())?;
    let mut seen = (false, false);
    for _ in 0..8 {
        let p = s.next_pdu(ctx, "answers to both commands")?;
        seen.0 |= p.itt() == first.itt;
        seen.1 |= p.itt() == second.itt;
        if seen == (true, true) {
            break;
        }
    }
    s.logout(ctx);
    Ok(Outcome::check(
        seen == (true, true),
        "both answered",
        format!("{seen:?}"),
    ))
}

fn duplicate(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let first = tur(ctx, &mut s);
    let held = tur(ctx, &mut s);
    let mut dup = s.command(lun(ctx), &[0; 6], 0, false, false);
    s.cmd_sn = dup.cmd_sn;
    dup.cmd_sn = held.cmd_sn;
    s.send(ctx, held.clone())?;
    s.send(ctx, dup.clone())?;
    s.send(ctx, first.clone())?;
    let (got, _) = s.gather_quiet(ctx)?;
    let got = [got, s.gather_quiet(ctx)?.0].concat();
    s.logout(ctx);
    if answers(&got, dup.itt) {
        return Ok(Outcome::fail("the duplicate ignored", "an answer to it"));
    }
    Ok(Outcome::check(
        answers(&got, first.itt) && answers(&got, held.itt),
        "the first and the held command answered",
        format!("{} PDUs without both", got.len()),
    ))
}

fn immediate(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let before = s.cmd_sn;
    let mut cmd = tur(ctx, &mut s);
    s.cmd_sn = before;
    cmd.immediate = true;
    let pdus = s.run(ctx, cmd, None)?;
    let exp = pdus.iter().find_map(|p| match p {
        Pdu::ScsiResponse(r) => Some(r.exp_cmd_sn),
        _ => None,
    });
    if exp != Some(before) {
        return Ok(Outcome::fail(
            format!("ExpCmdSN {before} after the immediate command"),
            format!("{exp:?}"),
        ));
    }
    next_completes(ctx, s, "a command with the same CmdSN completed")
}

fn acknowledges(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    for _ in 0..4 {
        let cmd = tur(ctx, &mut s);
        let sn = cmd.cmd_sn;
        let pdus = s.run(ctx, cmd, None)?;
        for p in &pdus {
            if let Pdu::ScsiResponse(r) = p {
                let exp = Serial(r.exp_cmd_sn);
                let ok = exp.is_after(Serial(sn))
                    && !Serial(r.max_cmd_sn).is_before(exp.wrapping_sub(1));
                if !ok {
                    return Ok(Outcome::fail(
                        format!("ExpCmdSN past {sn}, MaxCmdSN >= ExpCmdSN - 1"),
                        format!("ExpCmdSN {} MaxCmdSN {}", r.exp_cmd_sn, r.max_cmd_sn),
                    ));
                }
            }
        }
    }
    s.logout(ctx);
    Ok(Outcome::Pass)
}

fn nop(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let itt = s.itt();
    let sn = s.take_cmd_sn();
    let ping = NopOut {
        itt,
        cmd_sn: sn,
        exp_stat_sn: s.exp_stat_sn,
        data: Bytes::from_static(b"numbered"),
        ..NopOut::default()
    };
    s.send(ctx, ping)?;
    let answer = s.await_pdu(ctx, "the NOP-In", |p| match p {
        Pdu::NopIn(n) if n.itt == itt => Some(n),
        _ => None,
    })?;
    s.logout(ctx);
    Ok(Outcome::check(
        Serial(answer.exp_cmd_sn).is_after(Serial(sn)),
        format!("ExpCmdSN past {sn}"),
        format!("ExpCmdSN {}", answer.exp_cmd_sn),
    ))
}

//! Sessions of two connections (RFC 7143 §4.2.2.1, §4.2.5.1, §6.3.1,
//! §11.14, §13.2), where the target allows MaxConnections of 2 or more:
//! commands spread over both connections share one CmdSN numbering and one
//! window, every PDU of a task travels on the connection its command came
//! on (connection allegiance), and logging one connection out leaves the
//! other working. Not applicable to a target that negotiates
//! MaxConnections=1.

use crate::context::Context;
use crate::harness::blocks::{block_size, lun, pattern, read, read10, status_of, write10};
use crate::harness::login::{RawLogin, Step};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;
use bytes::Bytes;
use rtgt_proto::pdu::{LogoutReason, LogoutRequest, LogoutResponseCode, Lun, Pdu, ScsiStatus};
use rtgt_proto::serial::Serial;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.multiconn.commands-on-both",
        "RFC 7143 §4.2.2.1",
        Level::Must,
        "eight reads numbered by one session-wide CmdSN and sent alternately on the session's \
         two connections are each answered with their block and GOOD on the connection that \
         carried them, and both connections then acknowledge every CmdSN (ExpCmdSN)",
        commands_on_both,
    ),
    Scenario::new(
        "iscsi.multiconn.read-allegiance",
        "RFC 7143 §4.2.5.1",
        Level::Must,
        "two reads in flight at once, one per connection: the Data-In and status of each come \
         only on the connection its command came on",
        read_allegiance,
    ),
    Scenario::new(
        "iscsi.multiconn.write-allegiance",
        "RFC 7143 §4.2.5.1",
        Level::Must,
        "two writes in flight at once, one per connection: each write's R2Ts and status come \
         only on the connection its command came on, and the data answered there is written",
        write_allegiance,
    ),
    Scenario::new(
        "iscsi.multiconn.logout-one-connection",
        "RFC 7143 §11.14, §11.15",
        Level::Must,
        "a Logout Request with reason 1 (close the connection) for the second connection is \
         answered Success and that connection closes, while the first goes on serving commands \
         with the session's next CmdSN",
        logout_one,
    ),
    Scenario::new(
        "iscsi.multiconn.shared-window-gap",
        "RFC 7143 §4.2.2.1",
        Level::Must,
        "the CmdSN window is the session's: a read numbered ExpCmdSN + 1 on the second \
         connection is held until the read numbered ExpCmdSN arrives on the first, then both \
         are answered",
        shared_window_gap,
    ),
];

/// The ISID qualifier of the sessions here (any: each scenario's ISIDs are
/// its own, see [`crate::wire::isid`]).
const Q: u16 = 7;
/// Where the second connection numbers its tasks: far from the first's.
const SECOND_ITTS: u32 = 0x4000_0000;

/// Two connections of one session: the leading one and a second (CID 1),
/// numbered alike; or the outcome that ends the scenario (not applicable
/// when the target allows one connection).
fn pair(ctx: &mut Context) -> Result<Result<(RawSession, RawSession), Outcome>, ScenarioError> {
    // RFC 7143 §13.2: MaxConnections, result function Minimum.
    let (a, isid, tsih) = RawSession::open_numbered(ctx, &[("MaxConnections", "2")], 1)?;
    let offered = last_value(&a.keys, "MaxConnections").map(str::to_owned);
    if offered.as_deref() != Some("2") {
        a.logout(ctx);
        return Ok(Err(Outcome::not_applicable(format!(
            "the target allows one connection per session (MaxConnections answer {offered:?})"
        ))));
    }
    let mut login = RawLogin::connect(ctx, Q)?;
    (login.isid, login.tsih, login.cid) = (isid, tsih, 1);
    (login.itt, login.cmd_sn, login.exp_stat_sn) = (2, a.cmd_sn, 0);
    let keys = match login.join_stages(ctx)? {
        Step::Done(keys) => keys,
        Step::Refused(reply) => {
            a.logout(ctx);
            return Ok(Err(Outcome::fail(
                "the second connection's login (same ISID and TSIH, CID 1) to succeed",
                reply.describe(),
            )));
        }
    };
    let mut b = RawSession::from_login(login, keys);
    b.itts_from(SECOND_ITTS);
    (b.cmd_sn, b.exp_cmd_sn, b.max_cmd_sn) = (a.cmd_sn, a.exp_cmd_sn, a.max_cmd_sn);
    Ok(Ok((a, b)))
}

/// The CmdSN numbering passes from `from` to `to`: the next command on
/// `to` carries the session's next number.
fn hand_over(from: &RawSession, to: &mut RawSession) {
    to.cmd_sn = from.cmd_sn;
}

/// Reads PDUs on `s` until the status of every task in `itts`; a PDU of a
/// task in `foreign` (issued on the other connection) is an error of
/// allegiance, as is one for a task of neither. Gives the PDUs per task.
fn collect(
    ctx: &mut Context,
    s: &mut RawSession,
    itts: &[u32],
    foreign: &[u32],
    write: Option<(&Bytes, Lun)>,
) -> Result<Result<Vec<Vec<Pdu>>, Outcome>, ScenarioError> {
    let mut got: Vec<Vec<Pdu>> = vec![Vec::new(); itts.len()];
    let mut open = itts.len();
    while open > 0 {
        let pdu = s.next_pdu(ctx, "the answers of the commands on this connection")?;
        let itt = pdu.itt();
        if foreign.contains(&itt) {
            return Ok(Err(Outcome::fail(
                "every PDU of a task on the connection its command came on",
                format!(
                    "a {} for ITT {itt:#x} on the other connection",
                    pdu.opcode().name()
                ),
            )));
        }
        let Some(at) = itts.iter().position(|&i| i == itt) else {
            return Ok(Err(Outcome::fail(
                "answers of the commands sent",
                format!("a {} for ITT {itt:#x}", pdu.opcode().name()),
            )));
        };
        if let (Pdu::ReadyToTransfer(r), Some((data, l))) = (&pdu, write) {
            s.answer_r2t(ctx, itt, l, r, data)?;
        }
        let done = match &pdu {
            Pdu::ScsiResponse(_) => true,
            Pdu::DataIn(d) => d.status_present,
            _ => false,
        };
        got[at].push(pdu);
        if done {
            open -= 1;
        }
    }
    Ok(Ok(got))
}

fn commands_on_both(ctx: &mut Context) -> Verdict {
    let (mut a, mut b) = match pair(ctx)? {
        Ok(p) => p,
        Err(outcome) => return Ok(outcome),
    };
    let bs = block_size(ctx, &mut a)?;
    let (mut on_a, mut on_b) = (Vec::new(), Vec::new());
    for i in 0..8u64 {
        let cdb = read10(i, 1);
        let (s, other, sent) = if i % 2 == 0 {
            (&mut a, &mut b, &mut on_a)
        } else {
            (&mut b, &mut a, &mut on_b)
        };
        let cmd = s.command(lun(ctx), &cdb, bs, true, false);
        sent.push(cmd.itt);
        s.send(ctx, cmd)?;
        hand_over(s, other);
    }
    let last = b.cmd_sn;
    let got_a = match collect(ctx, &mut a, &on_a, &on_b, None)? {
        Ok(g) => g,
        Err(outcome) => return Ok(outcome),
    };
    let got_b = match collect(ctx, &mut b, &on_b, &on_a, None)? {
        Ok(g) => g,
        Err(outcome) => return Ok(outcome),
    };
    // The last read went on the second connection: a ping on the first
    // brings that connection the session's latest ExpCmdSN.
    let pinged = a.ping(ctx)?;
    let (exp_a, exp_b) = (a.exp_cmd_sn, b.exp_cmd_sn);
    a.logout(ctx);
    if !pinged {
        return Ok(Outcome::fail("a NOP-In for the ping", "no answer"));
    }
    if let Some(bad) = got_a.iter().chain(&got_b).find(|pdus| {
        status_of(pdus) != Some(ScsiStatus::Good)
            || crate::harness::blocks::data_of(pdus).len() != bs as usize
    }) {
        return Ok(Outcome::fail(
            format!("{bs} bytes and GOOD for every read"),
            format!(
                "{:?} with {} bytes",
                status_of(bad),
                crate::harness::blocks::data_of(bad).len()
            ),
        ));
    }
    // RFC 7143 §4.2.2.1: ExpCmdSN is the session's; after eight answered
    // commands both connections have seen it reach the next number.
    let acked = |exp: u32| Serial(last).is_at_or_before(Serial(exp));
    Ok(Outcome::check(
        acked(exp_a) && acked(exp_b),
        format!("ExpCmdSN {last} on both connections"),
        format!("ExpCmdSN {exp_a} and {exp_b}"),
    ))
}

fn read_allegiance(ctx: &mut Context) -> Verdict {
    let (mut a, mut b) = match pair(ctx)? {
        Ok(p) => p,
        Err(outcome) => return Ok(outcome),
    };
    let bs = block_size(ctx, &mut a)?;
    hand_over(&a, &mut b);
    let len = 16 * bs;
    let cmd_a = a.command(lun(ctx), &read10(0, 16), len, true, false);
    hand_over(&a, &mut b);
    let cmd_b = b.command(lun(ctx), &read10(16, 16), len, true, false);
    let (itt_a, itt_b) = (cmd_a.itt, cmd_b.itt);
    b.send(ctx, cmd_b)?;
    a.send(ctx, cmd_a)?;
    let on_a = collect(ctx, &mut a, &[itt_a], &[itt_b], None)?;
    let on_b = collect(ctx, &mut b, &[itt_b], &[itt_a], None)?;
    a.logout(ctx);
    let (got_a, got_b) = match (on_a, on_b) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(outcome), _) | (_, Err(outcome)) => return Ok(outcome),
    };
    let whole = |g: &[Vec<Pdu>]| {
        status_of(&g[0]) == Some(ScsiStatus::Good)
            && crate::harness::blocks::data_of(&g[0]).len() == len as usize
    };
    Ok(Outcome::check(
        whole(&got_a) && whole(&got_b),
        format!("{len} bytes and GOOD for each read"),
        format!("{:?} and {:?}", status_of(&got_a[0]), status_of(&got_b[0])),
    ))
}

fn write_allegiance(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 32, |ctx, lba, bs| {
        let (mut a, mut b) = match pair(ctx)? {
            Ok(p) => p,
            Err(outcome) => return Ok(outcome),
        };
        let (l, len) = (lun(ctx), 16 * bs);
        let (data_a, data_b) = (pattern(len as usize, 0x1a), pattern(len as usize, 0x2b));
        // No immediate data: with InitialR2T=Yes every byte is solicited.
        block_size(ctx, &mut a)?;
        let cmd_a = a.command(l, &write10(lba, 16), len, false, true);
        hand_over(&a, &mut b);
        let cmd_b = b.command(l, &write10(lba + 16, 16), len, false, true);
        let (itt_a, itt_b) = (cmd_a.itt, cmd_b.itt);
        a.send(ctx, cmd_a)?;
        b.send(ctx, cmd_b)?;
        let on_a = collect(ctx, &mut a, &[itt_a], &[itt_b], Some((&data_a, l)))?;
        let on_b = collect(ctx, &mut b, &[itt_b], &[itt_a], Some((&data_b, l)))?;
        let (got_a, got_b) = match (on_a, on_b) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(outcome), _) | (_, Err(outcome)) => {
                a.logout(ctx);
                return Ok(outcome);
            }
        };
        if status_of(&got_a[0]) != Some(ScsiStatus::Good)
            || status_of(&got_b[0]) != Some(ScsiStatus::Good)
        {
            a.logout(ctx);
            return Ok(Outcome::fail(
                "GOOD for both writes",
                format!("{:?} and {:?}", status_of(&got_a[0]), status_of(&got_b[0])),
            ));
        }
        hand_over(&b, &mut a);
        let back = read(ctx, &mut a, lba, 32, bs)?;
        a.logout(ctx);
        let want: Vec<u8> = data_a.iter().chain(data_b.iter()).copied().collect();
        Ok(Outcome::check(
            back[..] == want[..],
            "both writes' data read back",
            "other data read back",
        ))
    })
}

fn logout_one(ctx: &mut Context) -> Verdict {
    let (mut a, mut b) = match pair(ctx)? {
        Ok(p) => p,
        Err(outcome) => return Ok(outcome),
    };
    let bs = block_size(ctx, &mut a)?;
    hand_over(&a, &mut b);
    let itt = b.itt();
    let req = LogoutRequest {
        immediate: true,
        reason: LogoutReason::CloseConnection,
        itt,
        cid: 1,
        cmd_sn: b.cmd_sn,
        exp_stat_sn: b.exp_stat_sn,
        ..Default::default()
    };
    b.send(ctx, req)?;
    let answer = b.await_pdu(ctx, "the Logout Response", |p| match p {
        Pdu::LogoutResponse(r) if r.itt == itt => Some(r.response),
        _ => None,
    })?;
    if answer != LogoutResponseCode::Success {
        a.logout(ctx);
        return Ok(Outcome::fail(
            "Logout Response 0 (closed successfully)",
            format!("response {answer:?}"),
        ));
    }
    let timeout = ctx.target.timeout;
    if !b.wire.closed_within(ctx, timeout)? {
        a.logout(ctx);
        return Ok(Outcome::fail(
            "the logged-out connection closed",
            format!("still open after {timeout:?}"),
        ));
    }
    // The logout was immediate: the session's next CmdSN is still unused.
    let (l, cdb) = (lun(ctx), read10(0, 1));
    let cmd = a.command(l, &cdb, bs, true, false);
    let pdus = a.run(ctx, cmd, None)?;
    a.logout(ctx);
    Ok(Outcome::check(
        status_of(&pdus) == Some(ScsiStatus::Good),
        "the first connection answers a read GOOD",
        format!("{:?}", status_of(&pdus)),
    ))
}

fn shared_window_gap(ctx: &mut Context) -> Verdict {
    let (mut a, mut b) = match pair(ctx)? {
        Ok(p) => p,
        Err(outcome) => return Ok(outcome),
    };
    let bs = block_size(ctx, &mut a)?;
    let l = lun(ctx);
    // The read numbered n goes on the first connection, later; the one
    // numbered n + 1 on the second, now.
    let first = a.command(l, &read10(0, 1), bs, true, false);
    hand_over(&a, &mut b);
    let second = b.command(l, &read10(1, 1), bs, true, false);
    let (itt_a, itt_b) = (first.itt, second.itt);
    b.send(ctx, second)?;
    let (early, closed) = b.gather_quiet(ctx)?;
    if let Some(p) = early.iter().find(|p| p.itt() == itt_b) {
        a.logout(ctx);
        return Ok(Outcome::fail(
            "the read after the gap held until the missing CmdSN arrives",
            format!("a {} for it before that", p.opcode().name()),
        ));
    }
    if closed {
        a.logout(ctx);
        return Ok(Outcome::fail(
            "the read after the gap held",
            "the second connection closed",
        ));
    }
    a.send(ctx, first)?;
    let on_a = collect(ctx, &mut a, &[itt_a], &[itt_b], None)?;
    let on_b = collect(ctx, &mut b, &[itt_b], &[itt_a], None)?;
    a.logout(ctx);
    let (got_a, got_b) = match (on_a, on_b) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(outcome), _) | (_, Err(outcome)) => return Ok(outcome),
    };
    Ok(Outcome::check(
        status_of(&got_a[0]) == Some(ScsiStatus::Good)
            && status_of(&got_b[0]) == Some(ScsiStatus::Good),
        "both reads answered GOOD once the gap closed",
        format!("{:?} and {:?}", status_of(&got_a[0]), status_of(&got_b[0])),
    ))
}

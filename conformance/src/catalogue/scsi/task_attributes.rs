//! Task attributes and the task set (SAM-5 §8, "Task set management"; the
//! Control mode page, SPC-5 §7.5.8): what the target says of its task set,
//! and the order of commands that ORDERED and HEAD OF QUEUE demand, observed
//! through a write held at its R2T and a command sent behind it.
//!
//! The SAM-5 and SPC-5 text was not at hand: the requirement sentences
//! paraphrase the clauses they cite. SAM-5 §8.6: an ORDERED task is enabled
//! only once every task received before it has ended, and no task received
//! after it is enabled before it ends; a HEAD OF QUEUE task is enabled at
//! once. A device with CMDQUE zero in standard INQUIRY (the basic task
//! management model) need not order tasks by their attributes: those
//! scenarios are not applicable to it.

use super::support::*;
use crate::context::Context;
use crate::harness::blocks::{self, lun, pattern, read10, status_of, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use bytes::Bytes;
use rtgt_initiator::ScsiRequest;
use rtgt_proto::pdu::{Pdu, ScsiStatus, TaskAttribute};
use rtgt_proto::scsi::asc::SenseKey;
use rtgt_proto::scsi::cdb::{PageControl, TestUnitReady};
use rtgt_proto::scsi::mode::Page;
use rtgt_proto::serial::Serial;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.task-attr.control-page-fields",
        "SPC-5 §7.5.8 Control mode page",
        Level::Must,
        "the Control mode page reports a defined QUEUE ALGORITHM MODIFIER (0h restricted or 1h \
         unrestricted reordering, or a vendor specific 8h-Fh), a QErr other than the reserved \
         10b and a TST of 000b or 001b",
        control_page_fields,
    ),
    Scenario::new(
        "scsi.task-attr.each-attribute-accepted",
        "SAM-5 §8.6 task attributes, SPC-5 §6.7.2 (CMDQUE)",
        Level::Must,
        "a device reporting CMDQUE one (full task management model) answers TEST UNIT READY \
         GOOD with each of the SIMPLE, ORDERED and HEAD OF QUEUE task attributes",
        each_attribute_accepted,
    ),
    Scenario::new(
        "scsi.task-attr.aca-without-aca-condition",
        "SAM-5 §8.6 (ACA task attribute), §5.9 (ACA)",
        Level::Should,
        "a command with the ACA task attribute while no ACA condition is established is not \
         processed: CHECK CONDITION, ILLEGAL REQUEST (SAM-5 names INVALID MESSAGE ERROR; any \
         additional sense code passes)",
        aca_without_aca,
    ),
    Scenario::new(
        "scsi.task-attr.ordered-write-then-read",
        "SAM-5 §8.6 (ORDERED task attribute)",
        Level::Must,
        "a READ sent behind an ORDERED WRITE that still waits for its data (held at its R2T) \
         is not enabled before the write ends: it returns the data the write brought",
        ordered_write_then_read,
    ),
    Scenario::new(
        "scsi.task-attr.ordered-read-after-write",
        "SAM-5 §8.6 (ORDERED task attribute)",
        Level::Must,
        "an ORDERED READ sent behind a SIMPLE WRITE that still waits for its data is not \
         enabled before the write ends: it returns the data the write brought",
        ordered_read_after_write,
    ),
    Scenario::new(
        "scsi.task-attr.head-of-queue-passes-ordered",
        "SAM-5 §8.6 (HEAD OF QUEUE task attribute)",
        Level::Should,
        "a HEAD OF QUEUE TEST UNIT READY sent behind an ORDERED WRITE that waits for its data \
         is enabled at once: it ends before the write's data is sent",
        head_of_queue_passes_ordered,
    ),
    Scenario::new(
        "scsi.task-attr.window-full-answered",
        "SAM-5 §5.3.1 (TASK SET FULL, BUSY), RFC 7143 §4.2.2.1",
        Level::Must,
        "every command of a full CmdSN window (up to 32 TEST UNIT READY sent at once) is \
         answered, each with GOOD, or BUSY or TASK SET FULL at the target's limit; none is \
         lost or refused otherwise",
        window_full_answered,
    ),
];

/// Not applicable unless standard INQUIRY reports CMDQUE one.
fn needs_cmdque(ctx: &mut Context) -> Result<Option<Outcome>, ScenarioError> {
    with_session(ctx, |ctx, s| {
        Ok((!standard_inquiry(ctx, s)?.0.cmdque).then(|| {
            Outcome::not_applicable(
                "CMDQUE zero: the basic task management model, tasks need not be ordered by \
                 attribute",
            )
        }))
    })
}

fn control_page_fields(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let pages = mode_pages(ctx, s, PageControl::Current)?;
        let Some(Page::Control(c)) = pages.page(0x0a, None).map(|p| &p.page) else {
            return Ok(Outcome::not_applicable(
                "the device returns no Control mode page",
            ));
        };
        let (qam, qerr, tst) = (c.queue_algorithm_modifier(), c.qerr(), c.tst());
        Ok(Outcome::check(
            matches!(qam, 0 | 1 | 8..=15) && qerr != 0b10 && tst <= 1,
            "QUEUE ALGORITHM MODIFIER 0h, 1h or 8h-Fh, QErr not 10b, TST 000b or 001b",
            format!("QUEUE ALGORITHM MODIFIER {qam:X}h, QErr {qerr:02b}b, TST {tst:03b}b"),
        ))
    })
}

fn each_attribute_accepted(ctx: &mut Context) -> Verdict {
    if let Some(na) = needs_cmdque(ctx)? {
        return Ok(na);
    }
    with_session(ctx, |ctx, s| {
        let mut outcomes = Vec::new();
        for attr in [
            TaskAttribute::Simple,
            TaskAttribute::Ordered,
            TaskAttribute::HeadOfQueue,
        ] {
            let mut req = ScsiRequest::none(s.lun, &TestUnitReady::default().encode());
            req.attr = attr;
            let r = s.run(ctx, req)?;
            outcomes.push(Outcome::check(
                r.good(),
                format!("GOOD with the {} attribute", attr.name()),
                format!("{} with the {} attribute", r.describe(), attr.name()),
            ));
        }
        Ok(all(outcomes))
    })
}

fn aca_without_aca(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let mut req = ScsiRequest::none(s.lun, &TestUnitReady::default().encode());
        req.attr = TaskAttribute::Aca;
        let r = s.run(ctx, req)?;
        Ok(Outcome::check(
            r.status == ScsiStatus::CheckCondition
                && r.sense
                    .as_ref()
                    .is_some_and(|d| d.key.0 & 0x0f == SenseKey::ILLEGAL_REQUEST.0),
            "CHECK CONDITION, ILLEGAL REQUEST",
            r.describe(),
        ))
    })
}

/// A write of one block at `lba` sent with `attr` and held at its R2T: the
/// session (ImmediateData=No), the write's ITT and its R2T's TTT.
fn held_write(
    ctx: &mut Context,
    lba: u64,
    bs: u32,
    attr: TaskAttribute,
) -> Result<(RawSession, u32, u32), ScenarioError> {
    let keys = [("InitialR2T", "Yes"), ("ImmediateData", "No")];
    let mut s = RawSession::open(ctx, &keys)?;
    blocks::block_size(ctx, &mut s)?;
    let mut cmd = s.command(lun(ctx), &write10(lba, 1), bs, false, true);
    cmd.attr = attr;
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    let r2t = s.await_r2t(ctx, itt, "the held write's R2T")?;
    Ok((s, itt, r2t.ttt))
}

/// Gathers PDUs until tasks `a` and `b` both have their status; each
/// one's PDUs.
fn both_done(
    ctx: &mut Context,
    s: &mut RawSession,
    (a, b): (u32, u32),
) -> Result<(Vec<Pdu>, Vec<Pdu>), ScenarioError> {
    let (mut ended, mut pa, mut pb) = (0, Vec::new(), Vec::new());
    // Bounded: each PDU read is a task's, or the wait ends at the timeout.
    for _ in 0..256 {
        if ended == 2 {
            break;
        }
        let pdu = s.next_pdu(ctx, "the two tasks' responses")?;
        let (itt, done) = match &pdu {
            Pdu::ScsiResponse(r) => (r.itt, true),
            Pdu::DataIn(d) => (d.itt, d.status_present),
            Pdu::Reject(_) => return Err(ScenarioError::Setup("a Reject".into())),
            _ => continue,
        };
        if done && (itt == a || itt == b) {
            ended += 1;
        }
        if itt == a {
            pa.push(pdu);
        } else if itt == b {
            pb.push(pdu);
        }
    }
    Ok((pa, pb))
}

/// A write of `new` at `lba` held at its R2T with `write_attr`, a READ of
/// the block behind it with `read_attr`, then the write's data: what the
/// READ returned, judged against `new` (the block held `old` before).
fn write_then_read(
    ctx: &mut Context,
    (write_attr, read_attr): (TaskAttribute, TaskAttribute),
) -> Verdict {
    if let Some(na) = needs_cmdque(ctx)? {
        return Ok(na);
    }
    with_scratch(ctx, 1, |ctx, lba, bs| {
        let (old, new) = (pattern(bs as usize, 0x11), pattern(bs as usize, 0x5a));
        {
            let mut s = RawSession::open(ctx, &[])?;
            blocks::write(ctx, &mut s, lba, &old, bs)?;
            s.logout(ctx);
        }
        let (mut s, witt, ttt) = held_write(ctx, lba, bs, write_attr)?;
        let mut read = s.command(lun(ctx), &read10(lba, 1), bs, true, false);
        read.attr = read_attr;
        let ritt = read.itt;
        s.send(ctx, read)?;
        s.send_data(ctx, (witt, ttt, lun(ctx)), &new, (0, bs))?;
        let (wpdus, rpdus) = both_done(ctx, &mut s, (witt, ritt))?;
        s.logout(ctx);
        let (ws, rs) = (status_of(&wpdus), status_of(&rpdus));
        let data = Bytes::from(blocks::data_of(&rpdus));
        let seen = if data == new {
            "the new data"
        } else if data == old {
            "the data from before the write"
        } else {
            "other bytes"
        };
        Ok(Outcome::check(
            ws == Some(ScsiStatus::Good) && rs == Some(ScsiStatus::Good) && data == new,
            "both GOOD, the READ returning the data the write brought",
            format!("write {ws:?}, read {rs:?} with {seen}"),
        ))
    })
}

fn ordered_write_then_read(ctx: &mut Context) -> Verdict {
    write_then_read(ctx, (TaskAttribute::Ordered, TaskAttribute::Simple))
}

fn ordered_read_after_write(ctx: &mut Context) -> Verdict {
    write_then_read(ctx, (TaskAttribute::Simple, TaskAttribute::Ordered))
}

fn head_of_queue_passes_ordered(ctx: &mut Context) -> Verdict {
    if let Some(na) = needs_cmdque(ctx)? {
        return Ok(na);
    }
    with_scratch(ctx, 1, |ctx, lba, bs| {
        let (mut s, witt, ttt) = held_write(ctx, lba, bs, TaskAttribute::Ordered)?;
        let mut tur = s.command(
            lun(ctx),
            &TestUnitReady::default().encode(),
            0,
            false,
            false,
        );
        tur.attr = TaskAttribute::HeadOfQueue;
        let titt = tur.itt;
        s.send(ctx, tur)?;
        let (got, _) = s.gather_until(ctx, |p| match p {
            Pdu::ScsiResponse(r) => r.itt == titt,
            _ => false,
        })?;
        let answered = got.iter().find_map(|p| match p {
            Pdu::ScsiResponse(r) if r.itt == titt => Some(r.status),
            _ => None,
        });
        // The write ends either way, with the block's own bytes.
        let data = pattern(bs as usize, 0x77);
        s.send_data(ctx, (witt, ttt, lun(ctx)), &data, (0, bs))?;
        let ended = if answered.is_some() {
            s.await_pdu(ctx, "the write's response", |p| match p {
                Pdu::ScsiResponse(r) if r.itt == witt => Some(r.status),
                _ => None,
            })?
        } else {
            both_done(ctx, &mut s, (witt, titt))
                .map(|(w, _)| status_of(&w))?
                .unwrap_or(ScsiStatus::CheckCondition)
        };
        s.logout(ctx);
        Ok(Outcome::check(
            answered == Some(ScsiStatus::Good) && ended == ScsiStatus::Good,
            "the HEAD OF QUEUE TEST UNIT READY GOOD while the write waits, then the write GOOD",
            match answered {
                Some(st) => format!("TEST UNIT READY {} while the write waited", st.name()),
                None => "no answer to TEST UNIT READY while the write waited".to_owned(),
            },
        ))
    })
}

/// The most commands the window scenario sends at once.
const WINDOW_CAP: u32 = 32;

fn window_full_answered(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[])?;
    // One command first, for the window the target opens.
    blocks::block_size(ctx, &mut s)?;
    // RFC 7143 §4.2.2.1: CmdSN up to MaxCmdSN is inside the window.
    let window = if Serial(s.cmd_sn).is_at_or_before(Serial(s.max_cmd_sn)) {
        s.max_cmd_sn.wrapping_sub(s.cmd_sn).saturating_add(1)
    } else {
        0
    };
    if window < 2 {
        s.logout(ctx);
        return Ok(Outcome::not_applicable(format!(
            "the target opens a CmdSN window of {window} command(s)"
        )));
    }
    let n = window.min(WINDOW_CAP);
    let tur = TestUnitReady::default().encode();
    let mut itts = Vec::new();
    for _ in 0..n {
        let cmd = s.command(lun(ctx), &tur, 0, false, false);
        itts.push(cmd.itt);
        s.send(ctx, cmd)?;
    }
    let mut statuses = Vec::new();
    // Bounded: one status per command, or the wait ends at the timeout.
    for _ in 0..(4 * n) {
        if statuses.len() == itts.len() {
            break;
        }
        match s.next_pdu(ctx, "the commands' responses")? {
            Pdu::ScsiResponse(r) if itts.contains(&r.itt) => statuses.push(r.status),
            Pdu::Reject(_) => return Err(ScenarioError::Setup("a Reject".into())),
            _ => {}
        }
    }
    s.logout(ctx);
    let fine = |st: &ScsiStatus| {
        matches!(
            st,
            ScsiStatus::Good | ScsiStatus::Busy | ScsiStatus::TaskSetFull
        )
    };
    let (good, limited) = (
        statuses.iter().filter(|s| **s == ScsiStatus::Good).count(),
        statuses
            .iter()
            .filter(|s| fine(s) && **s != ScsiStatus::Good)
            .count(),
    );
    Ok(Outcome::check(
        statuses.len() == itts.len() && statuses.iter().all(fine),
        format!("{n} answers, each GOOD, BUSY or TASK SET FULL"),
        format!(
            "{} answers: {good} GOOD, {limited} BUSY or TASK SET FULL, {} other",
            statuses.len(),
            statuses.len() - good - limited
        ),
    ))
}

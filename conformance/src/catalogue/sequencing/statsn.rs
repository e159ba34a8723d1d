//! Status numbering (RFC 7143 §4.2.2.2): StatSN goes up by one with each
//! status on the connection, starting after the login's.

use super::cmdsn::{session, tur};
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::Pdu;

pub const SCENARIOS: &[Scenario] = &[Scenario {
    id: "iscsi.statsn.one-per-status",
    clause: "RFC 7143 §4.2.2.2",
    level: Level::Must,
    requirement: "each response (SCSI Response, status in Data-In, NOP-In answer) carries \
                  the StatSN after the previous one's, with no gap and no repeat",
    needs: Needs::NONE,
    run: one_per_status,
}];

fn stat_sn(p: &Pdu) -> Option<u32> {
    match p {
        Pdu::ScsiResponse(r) => Some(r.stat_sn),
        Pdu::NopIn(r) => Some(r.stat_sn),
        Pdu::DataIn(d) if d.status_present => Some(d.stat_sn),
        _ => None,
    }
}

fn one_per_status(ctx: &mut Context) -> Verdict {
    let mut s = session(ctx)?;
    let mut seen = Vec::new();
    for round in 0..3 {
        let want = s.exp_stat_sn;
        let cmd = tur(ctx, &mut s);
        let got = s.run(ctx, cmd, None)?.last().and_then(stat_sn);
        seen.push((want, got));
        let want = s.exp_stat_sn;
        let got = s.ping_with(ctx, &[round])?.as_ref().and_then(stat_sn);
        seen.push((want, got));
        let want = s.exp_stat_sn;
        let cdb = rtgt_proto::scsi::cdb::ReadCapacity10::default().encode();
        let cmd = s.command(crate::harness::blocks::lun(ctx), &cdb, 8, true, false);
        let got = s.run(ctx, cmd, None)?.last().and_then(stat_sn);
        seen.push((want, got));
    }
    s.logout(ctx);
    Ok(Outcome::check(
        seen.iter().all(|(w, g)| Some(*w) == *g),
        "StatSN up by one per status",
        format!("(expected, received): {seen:?}"),
    ))
}

//! Where a command's status travels (RFC 7143 §11.7.2, §11.7.3, §11.4.8):
//! in the last Data-In with the S and F bits, or in a SCSI Response, never
//! both; an error always in a SCSI Response; no A bit at
//! ErrorRecoveryLevel 0; ExpDataSN 0 in a response that follows no Data-In.

use super::datain::{data_ins, read_with};
use crate::context::Context;
use crate::harness::blocks::{lun, read10, run_past_ua};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{Pdu, ScsiStatus};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.datain.status-implies-final",
        "RFC 7143 §11.7.3",
        Level::Must,
        "a Data-In with the S (status) bit set also has the F bit set",
        status_implies_final,
    ),
    Scenario::new(
        "iscsi.datain.single-status",
        "RFC 7143 §11.7.3",
        Level::Must,
        "a command whose status came in a Data-In gets no SCSI Response as well",
        single_status,
    ),
    Scenario::new(
        "iscsi.datain.error-status-in-response",
        "RFC 7143 §11.7.3",
        Level::Must,
        "a read that ends in CHECK CONDITION gets its status and sense data in a SCSI \
         Response, never in a Data-In",
        error_status_in_response,
    ),
    Scenario::new(
        "iscsi.datain.no-ack-bit-at-erl0",
        "RFC 7143 §11.7.2",
        Level::Must,
        "at ErrorRecoveryLevel 0 no Data-In has the A (acknowledge) bit set",
        no_ack_bit,
    ),
    Scenario::new(
        "iscsi.datain.exp-data-sn-zero-without-data",
        "RFC 7143 §11.4.8",
        Level::Must,
        "the SCSI Response of a command that sent no Data-In (TEST UNIT READY) carries \
         ExpDataSN 0",
        exp_data_sn_zero,
    ),
];

/// A 32 KiB read in 4 KiB Data-In PDUs at ErrorRecoveryLevel 0; its PDUs,
/// and the session left open for what follows.
fn read_32k(ctx: &mut Context) -> Result<(RawSession, Vec<Pdu>), crate::scenario::ScenarioError> {
    let keys = [
        ("MaxRecvDataSegmentLength", "4096"),
        ("ErrorRecoveryLevel", "0"),
    ];
    let (s, pdus, _) = read_with(ctx, &keys, 32768)?;
    Ok((s, pdus))
}

/// §11.7.3: "If this bit is set to 1, the F bit MUST also be set to 1."
fn status_implies_final(ctx: &mut Context) -> Verdict {
    let (s, pdus) = read_32k(ctx)?;
    s.logout(ctx);
    let ins = data_ins(&pdus);
    if !ins.iter().any(|d| d.status_present) {
        return Ok(Outcome::not_applicable(
            "the target sent the status in a SCSI Response, not in a Data-In",
        ));
    }
    Ok(
        match ins.iter().find(|d| d.status_present && !d.final_bit) {
            Some(d) => Outcome::fail(
                "F=1 on the Data-In with S=1",
                format!("DataSN {} with S=1 and F=0", d.data_sn),
            ),
            None => Outcome::Pass,
        },
    )
}

/// §11.7.3: when the status came in the last Data-In, "a SCSI Response PDU
/// MUST NOT be sent".
fn single_status(ctx: &mut Context) -> Verdict {
    let (mut s, pdus) = read_32k(ctx)?;
    let Some(itt) = data_ins(&pdus)
        .iter()
        .find(|d| d.status_present)
        .map(|d| d.itt)
    else {
        s.logout(ctx);
        return Ok(Outcome::not_applicable(
            "the target sent the status in a SCSI Response, not in a Data-In",
        ));
    };
    let (later, _) = s.gather_quiet(ctx)?;
    s.logout(ctx);
    let responses = pdus
        .iter()
        .chain(later.iter())
        .filter(|p| matches!(p, Pdu::ScsiResponse(r) if r.itt == itt))
        .count();
    Ok(Outcome::check(
        responses == 0,
        "no SCSI Response after the Data-In that carried the status",
        format!("{responses} SCSI Response(s) for ITT {itt:#x}"),
    ))
}

/// §11.7.3: status other than GOOD, CONDITION MET or INTERMEDIATE-
/// CONDITION MET (sense data with it) "MUST be sent in a SCSI Response
/// PDU". A read at the last possible LBA ends in CHECK CONDITION on any
/// real logical unit.
fn error_status_in_response(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[])?;
    let (l, cdb) = (lun(ctx), read10(0xffff_fff0, 1));
    let pdus = run_past_ua(ctx, &mut s, |s| s.command(l, &cdb, 4096, true, false), None)?;
    s.logout(ctx);
    if let Some(d) = data_ins(&pdus).iter().find(|d| d.status_present) {
        return Ok(Outcome::check(
            d.status == ScsiStatus::Good,
            "the error status in a SCSI Response",
            format!("status {:?} in a Data-In", d.status),
        ));
    }
    let status = pdus.iter().find_map(|p| match p {
        Pdu::ScsiResponse(r) => Some(r.status),
        _ => None,
    });
    Ok(match status {
        Some(ScsiStatus::CheckCondition) => Outcome::Pass,
        other => Outcome::not_applicable(format!(
            "the read beyond the end did not end in CHECK CONDITION ({other:?})"
        )),
    })
}

/// §11.7.2: at ErrorRecoveryLevel 0 "the target MUST NOT set to 1 the A
/// bit".
fn no_ack_bit(ctx: &mut Context) -> Verdict {
    let (s, pdus) = read_32k(ctx)?;
    s.logout(ctx);
    let ins = data_ins(&pdus);
    Ok(match ins.iter().find(|d| d.acknowledge) {
        Some(d) => Outcome::fail(
            "no Data-In with A=1",
            format!("DataSN {} with A=1", d.data_sn),
        ),
        None => Outcome::check(!ins.is_empty(), "Data-In for the read", "none"),
    })
}

/// §11.4.8: ExpDataSN "MUST be 0" when the response follows no Data-In.
fn exp_data_sn_zero(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[])?;
    let l = lun(ctx);
    let pdus = run_past_ua(
        ctx,
        &mut s,
        |s| s.command(l, &[0; 6], 0, false, false),
        None,
    )?;
    s.logout(ctx);
    let response = pdus.iter().find_map(|p| match p {
        Pdu::ScsiResponse(r) => Some(r),
        _ => None,
    });
    Ok(match response {
        Some(r) => Outcome::check(
            r.exp_data_sn == 0,
            "ExpDataSN 0",
            format!("ExpDataSN {}", r.exp_data_sn),
        ),
        None => Outcome::fail("a SCSI Response to TEST UNIT READY", "none"),
    })
}

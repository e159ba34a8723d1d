//! Transcripts of whole exchanges, as annotated PDU dumps.

use rtgt_proto::pdu::{LoginStage, Pdu};

use super::harness::*;
use crate::ConnId;

/// Sends `pdu`, appending it and every answer to `log`; gives the answers.
fn exchange(rig: &mut Rig, c: ConnId, pdu: impl Into<Pdu>, log: &mut String) -> Vec<Pdu> {
    let pdu = pdu.into();
    log.push_str(">>> initiator\n");
    log.push_str(&pdu.dump());
    rig.send(c, pdu);
    let answers = rig.recv_all(c);
    for p in &answers {
        log.push_str("<<< target\n");
        log.push_str(&p.dump());
    }
    answers
}

#[test]
fn login_transcript() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let mut log = String::new();
    let mut sec = rig.login_req(
        LoginStage::SecurityNegotiation,
        LoginStage::LoginOperationalNegotiation,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("AuthMethod", "None"),
        ],
    );
    sec.cid = 0;
    exchange(&mut rig, c, sec, &mut log);
    let oper = rig.login_req(
        LoginStage::LoginOperationalNegotiation,
        LoginStage::FullFeaturePhase,
        &[
            ("HeaderDigest", "None"),
            ("DataDigest", "None"),
            ("MaxRecvDataSegmentLength", "65536"),
            ("InitialR2T", "No"),
            ("ImmediateData", "Yes"),
            ("MaxBurstLength", "524288"),
            ("FirstBurstLength", "65536"),
            ("MaxConnections", "4"),
            ("ErrorRecoveryLevel", "2"),
            ("DefaultTime2Wait", "0"),
            ("DefaultTime2Retain", "60"),
            ("MaxOutstandingR2T", "8"),
            ("DataPDUInOrder", "No"),
            ("DataSequenceInOrder", "No"),
            ("IFMarker", "No"),
        ],
    );
    exchange(&mut rig, c, oper, &mut log);
    insta::assert_snapshot!(log);
}

#[test]
fn read_write_exchange() {
    let mut rig = Rig::with_session(|s| s.max_recv_data_segment_length = 512);
    let c = rig.connect(1);
    rig.login(
        c,
        &[("MaxRecvDataSegmentLength", "512"), ("ImmediateData", "No")],
    );
    rig.clear_ua(c);
    let mut log = String::new();
    let w = rig.write10(8, 2);
    let itt = w.itt;
    let answers = exchange(&mut rig, c, w, &mut log);
    let [Pdu::ReadyToTransfer(r)] = answers.as_slice() else {
        panic!("expected one R2T: {answers:?}")
    };
    let ttt = r.ttt;
    exchange(
        &mut rig,
        c,
        data_out(itt, ttt, 0, 0, pattern(512, 1), false),
        &mut log,
    );
    exchange(
        &mut rig,
        c,
        data_out(itt, ttt, 1, 512, pattern(512, 2), true),
        &mut log,
    );
    let r = rig.read10(8, 2);
    exchange(&mut rig, c, r, &mut log);
    insta::assert_snapshot!(log);
}

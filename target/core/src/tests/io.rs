//! Reads and writes (RFC 7143 §11.3-§11.8).

use rtgt_proto::pdu::{Pdu, ScsiStatus};

use super::harness::*;

#[test]
fn read_is_split_with_status_in_last_data_in() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    rig.login(c, &[("MaxRecvDataSegmentLength", "4096")]);
    rig.clear_ua(c);
    let cmd = rig.read10(0, 24);
    let itt = cmd.itt;
    rig.send(c, cmd);
    let pdus = rig.recv_all(c);
    assert_eq!(pdus.len(), 3);
    for (i, p) in pdus.iter().enumerate() {
        let Pdu::DataIn(d) = p else {
            panic!("{}", p.dump())
        };
        assert_eq!(d.itt, itt);
        assert_eq!(d.data_sn, i as u32);
        assert_eq!(d.buffer_offset, 4096 * i as u32);
        assert_eq!(d.status_present, i == 2);
    }
    let Pdu::DataIn(last) = &pdus[2] else {
        panic!()
    };
    assert_eq!(last.status, ScsiStatus::Good);
    assert!(last.final_bit);
}

use rtgt_proto::pdu::{ReadyToTransfer, ScsiCommand, TTT_RESERVED};

use crate::ConnId;

/// Write settings, as negotiated.
#[derive(Clone, Copy)]
struct W {
    immediate: bool,
    initial_r2t: bool,
    first_burst: u32,
    max_burst: u32,
    max_r2t: u16,
    /// The target's MaxRecvDataSegmentLength.
    seg: u32,
}

impl W {
    /// FirstBurstLength 4 KiB, MaxBurstLength and segments 8 KiB, one R2T
    /// at a time.
    fn small_bursts(immediate: bool, initial_r2t: bool) -> W {
        W {
            immediate,
            initial_r2t,
            first_burst: 4096,
            max_burst: 8192,
            max_r2t: 1,
            seg: 8192,
        }
    }
}

fn write_rig(w: W) -> (Rig, ConnId) {
    let mut cfg = config();
    let s = &mut cfg.targets[0].session;
    s.initial_r2t = w.initial_r2t;
    s.immediate_data = w.immediate;
    s.first_burst_length = w.first_burst;
    s.max_burst_length = w.max_burst;
    s.max_outstanding_r2t = w.max_r2t;
    s.max_recv_data_segment_length = w.seg;
    let mut rig = Rig::with(cfg);
    let c = rig.connect(1);
    let fb = w.first_burst.to_string();
    let mb = w.max_burst.to_string();
    let r2t = w.max_r2t.to_string();
    let imm = if w.immediate { "Yes" } else { "No" };
    let ir2t = if w.initial_r2t { "Yes" } else { "No" };
    let p = rig.login(
        c,
        &[
            ("ImmediateData", imm),
            ("InitialR2T", ir2t),
            ("FirstBurstLength", &fb),
            ("MaxBurstLength", &mb),
            ("MaxOutstandingR2T", &r2t),
        ],
    );
    assert_eq!(get(&p, "MaxBurstLength"), Some(mb.as_str()));
    rig.clear_ua(c);
    (rig, c)
}

/// Writes `data` at `lba` as an initiator following `w`; gives the R2Ts
/// seen and the final status.
fn write(rig: &mut Rig, c: ConnId, w: W, lba: u32, data: &[u8]) -> (Vec<ReadyToTransfer>, Pdu) {
    let mut cmd: ScsiCommand = rig.write10(lba, (data.len() / 512) as u16);
    let edtl = data.len() as u32;
    let unsol = if w.initial_r2t {
        0
    } else {
        w.first_burst.min(edtl)
    };
    let imm = if w.immediate {
        w.first_burst.min(w.seg).min(edtl)
    } else {
        0
    };
    cmd.data = bytes::Bytes::copy_from_slice(&data[..imm as usize]);
    let unsol_end = unsol.max(imm);
    cmd.final_bit = unsol_end <= imm;
    let itt = cmd.itt;
    rig.send(c, cmd);
    let mut off = imm;
    let mut sn = 0;
    while off < unsol_end {
        let len = w.seg.min(unsol_end - off);
        let last = off + len == unsol_end;
        rig.send(
            c,
            data_out(
                itt,
                TTT_RESERVED,
                sn,
                off,
                data[off as usize..(off + len) as usize].to_vec(),
                last,
            ),
        );
        off += len;
        sn += 1;
    }
    let mut r2ts = Vec::new();
    loop {
        let p = rig.recv(c);
        let Pdu::ReadyToTransfer(r) = p else {
            return (r2ts, p);
        };
        // Answer every R2T outstanding now, in order.
        let mut pending = vec![r];
        while let Some(Pdu::ReadyToTransfer(_)) = rig.inbox.get(&c).and_then(|q| q.front()) {
            let Pdu::ReadyToTransfer(r) = rig.recv(c) else {
                unreachable!()
            };
            pending.push(r);
        }
        assert!(
            pending.len() <= usize::from(w.max_r2t),
            "too many R2Ts outstanding"
        );
        for r in pending {
            assert!(r.desired_data_transfer_length <= w.max_burst);
            let mut o = r.buffer_offset;
            let end = o + r.desired_data_transfer_length;
            let mut sn = 0;
            while o < end {
                let len = w.seg.min(end - o);
                rig.send(
                    c,
                    data_out(
                        itt,
                        r.ttt,
                        sn,
                        o,
                        data[o as usize..(o + len) as usize].to_vec(),
                        o + len == end,
                    ),
                );
                o += len;
                sn += 1;
            }
            r2ts.push(r);
        }
    }
}

fn read_back(rig: &mut Rig, c: ConnId, lba: u32, blocks: u16) -> Vec<u8> {
    let cmd = rig.read10(lba, blocks);
    rig.send(c, cmd);
    let mut out = Vec::new();
    for p in rig.recv_all(c) {
        if let Pdu::DataIn(d) = p {
            out.extend_from_slice(&d.data);
        }
    }
    out
}

#[test]
fn writes_at_several_burst_settings() {
    let cases = [
        W {
            immediate: true,
            initial_r2t: true,
            first_burst: 8192,
            max_burst: 16384,
            max_r2t: 1,
            seg: 4096,
        },
        W {
            immediate: false,
            initial_r2t: true,
            first_burst: 8192,
            max_burst: 8192,
            max_r2t: 1,
            seg: 8192,
        },
        W {
            immediate: true,
            initial_r2t: false,
            first_burst: 16384,
            max_burst: 16384,
            max_r2t: 2,
            seg: 4096,
        },
        W {
            immediate: false,
            initial_r2t: false,
            first_burst: 4096,
            max_burst: 4096,
            max_r2t: 4,
            seg: 1024,
        },
        W {
            immediate: true,
            initial_r2t: false,
            first_burst: 65536,
            max_burst: 65536,
            max_r2t: 1,
            seg: 65536,
        },
    ];
    for (i, w) in cases.into_iter().enumerate() {
        let (mut rig, c) = write_rig(w);
        let data = pattern(64 * 512, i as u8);
        let (r2ts, status) = write(&mut rig, c, w, 100, &data);
        let Pdu::ScsiResponse(s) = status else {
            panic!("case {i}: {}", status.dump())
        };
        assert_eq!(s.status, ScsiStatus::Good, "case {i}");
        let unsol = if w.initial_r2t { 0 } else { w.first_burst };
        let imm = if w.immediate {
            w.first_burst.min(w.seg)
        } else {
            0
        };
        let solicited = 32768 - unsol.max(imm).min(32768);
        assert_eq!(
            r2ts.len() as u32,
            solicited.div_ceil(w.max_burst),
            "case {i}"
        );
        for (n, r) in r2ts.iter().enumerate() {
            assert_eq!(r.r2t_sn, n as u32);
        }
        assert_eq!(read_back(&mut rig, c, 100, 64), data, "case {i}");
    }
}

#[test]
fn residuals_under_and_over() {
    let (mut rig, c) = Rig::ready();
    // Underflow: 4 blocks wanted, 8 expected.
    let mut cmd = rig.read10(0, 4);
    cmd.expected_data_transfer_length = 4096;
    rig.send(c, cmd);
    let d = recv_as!(rig, c, DataIn);
    assert!(d.status_present && d.underflow && !d.overflow);
    assert_eq!(d.residual_count, 2048);
    // Overflow: 4 blocks wanted, 1024 bytes expected.
    let mut cmd = rig.read10(0, 4);
    cmd.expected_data_transfer_length = 1024;
    rig.send(c, cmd);
    let d = recv_as!(rig, c, DataIn);
    assert_eq!(d.data.len(), 1024);
    assert!(d.status_present && d.overflow);
    assert_eq!(d.residual_count, 1024);
}

#[test]
fn check_condition_goes_in_a_scsi_response_with_sense() {
    let (mut rig, c) = Rig::logged_in();
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    // The power-on unit attention.
    let r = recv_as!(rig, c, ScsiResponse);
    assert_eq!(r.status, ScsiStatus::CheckCondition);
    assert!(r.sense_data().is_some_and(|s| s.len() >= 14));
    assert_eq!(r.exp_data_sn, 0);
    let cmd = rig.read10(BLOCKS as u32, 1);
    rig.send(c, cmd);
    let r = recv_as!(rig, c, ScsiResponse);
    assert_eq!(r.status, ScsiStatus::CheckCondition);
}

/// Sends a WRITE (10) of `blocks` blocks at LBA 0 carrying `imm` bytes of
/// immediate data.
fn send_immediate_write(rig: &mut Rig, c: ConnId, blocks: u16, imm: usize) {
    let mut cmd = rig.write10(0, blocks);
    cmd.data = bytes::Bytes::from(vec![1u8; imm]);
    rig.send(c, cmd);
}

/// The next status on `c` is CHECK CONDITION, ASC/ASCQ 0Ch/`ascq`
/// (RFC 7143 §11.4.7.2: 0C0Ch unexpected unsolicited data, 0C0Dh
/// incorrect amount of data).
fn assert_write_error(rig: &mut Rig, c: ConnId, ascq: u8) {
    let (status, sense) = rig.recv_status(c);
    assert_eq!(status, ScsiStatus::CheckCondition);
    assert_eq!((sense[12], sense[13]), (0x0c, ascq));
}

#[test]
fn too_much_unsolicited_data_ends_the_task() {
    let w = W::small_bursts(true, false);
    let (mut rig, c) = write_rig(w);
    // Immediate data beyond FirstBurstLength.
    send_immediate_write(&mut rig, c, 16, 8192);
    assert_write_error(&mut rig, c, 0x0d);
    // Unsolicited Data-Out beyond FirstBurstLength.
    let mut cmd = rig.write10(0, 16);
    cmd.final_bit = false;
    let itt = cmd.itt;
    rig.send(c, cmd);
    rig.send(c, data_out(itt, TTT_RESERVED, 0, 0, vec![0; 4096], false));
    // The burst is over: the target asks for the rest.
    assert!(matches!(rig.recv(c), Pdu::ReadyToTransfer(_)));
    rig.send(c, data_out(itt, TTT_RESERVED, 1, 4096, vec![0; 4096], true));
    assert_write_error(&mut rig, c, 0x0d);
    // The connection still works.
    assert_eq!(read_back(&mut rig, c, 0, 1).len(), 512);
}

#[test]
fn unsolicited_data_with_initial_r2t_is_unexpected() {
    let w = W::small_bursts(false, true);
    let (mut rig, c) = write_rig(w);
    send_immediate_write(&mut rig, c, 8, 512);
    assert_write_error(&mut rig, c, 0x0c);
}

#[test]
fn bad_data_out_is_rejected_and_the_task_survives() {
    let w = W {
        immediate: false,
        initial_r2t: true,
        first_burst: 4096,
        max_burst: 4096,
        max_r2t: 1,
        seg: 4096,
    };
    let (mut rig, c) = write_rig(w);
    let cmd = rig.write10(0, 16);
    let itt = cmd.itt;
    rig.send(c, cmd);
    let r = recv_as!(rig, c, ReadyToTransfer);
    // Wrong offset, wrong DataSN, unknown TTT, too long: each rejected.
    rig.send(c, data_out(itt, r.ttt, 0, 512, vec![0; 512], false));
    assert!(matches!(rig.recv(c), Pdu::Reject(_)));
    rig.send(c, data_out(itt, r.ttt, 3, 0, vec![0; 512], false));
    assert!(matches!(rig.recv(c), Pdu::Reject(_)));
    rig.send(c, data_out(itt, 0x4242, 0, 0, vec![0; 512], false));
    assert!(matches!(rig.recv(c), Pdu::Reject(_)));
    // F bit before the end of the sequence.
    rig.send(c, data_out(itt, r.ttt, 0, 0, vec![0; 512], true));
    assert!(matches!(rig.recv(c), Pdu::Reject(_)));
    // Then the right data completes the task.
    rig.send(c, data_out(itt, r.ttt, 0, 0, vec![0; 4096], true));
    let r2 = recv_as!(rig, c, ReadyToTransfer);
    assert_eq!(r2.buffer_offset, 4096);
    rig.send(c, data_out(itt, r2.ttt, 0, 4096, vec![0; 4096], true));
    let s = recv_as!(rig, c, ScsiResponse);
    assert_eq!(s.status, ScsiStatus::Good);
}

#[test]
fn data_in_sequences_end_at_max_burst_length() {
    let mut rig = Rig::with_session(|s| s.max_burst_length = 4096);
    let c = rig.connect(1);
    // The initiator leaves the burst keys out: the target offers them.
    let req = rig.login_req(
        rtgt_proto::pdu::LoginStage::LoginOperationalNegotiation,
        rtgt_proto::pdu::LoginStage::FullFeaturePhase,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("MaxRecvDataSegmentLength", "2048"),
        ],
    );
    rig.send(c, req);
    let r = recv_as!(rig, c, LoginResponse);
    assert!(!r.transit);
    let p = rtgt_proto::text::decode(&r.data).unwrap();
    assert_eq!(get(&p, "MaxBurstLength"), Some("4096"));
    assert_eq!(get(&p, "FirstBurstLength"), Some("4096"));
    let req = rig.login_req(
        rtgt_proto::pdu::LoginStage::LoginOperationalNegotiation,
        rtgt_proto::pdu::LoginStage::FullFeaturePhase,
        &[("MaxBurstLength", "4096"), ("FirstBurstLength", "4096")],
    );
    rig.send(c, req);
    let r = recv_as!(rig, c, LoginResponse);
    assert_eq!(r.status, rtgt_proto::pdu::LoginStatus::Success);
    assert!(r.transit);
    rig.clear_ua(c);
    let cmd = rig.read10(0, 20);
    rig.send(c, cmd);
    let pdus = rig.recv_all(c);
    let finals: Vec<bool> = pdus
        .iter()
        .map(|p| match p {
            Pdu::DataIn(d) => d.final_bit,
            other => panic!("{}", other.dump()),
        })
        .collect();
    // RFC 7143 §11.7.1: F closes each MaxBurstLength sequence.
    assert_eq!(finals, [false, true, false, true, true]);
}

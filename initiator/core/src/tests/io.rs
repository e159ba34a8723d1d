//! Full feature phase data transfer: reads, writes at several burst
//! settings, and the CmdSN window.

use bytes::Bytes;
use rtgt_proto::pdu::{DataIn, Lun, Pdu, ReadyToTransfer, ScsiCommand, ScsiResponse, ScsiStatus};
use rtgt_proto::scsi::asc::SenseKey;
use rtgt_proto::scsi::sense::Sense;

use super::*;
use crate::{Residual, ScsiRequest, TaskOutcome};

const READ10: [u8; 10] = [0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0];
const WRITE10: [u8; 10] = [0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0];

fn cmd(p: &Pdu) -> ScsiCommand {
    match p {
        Pdu::ScsiCommand(c) => c.clone(),
        other => panic!("expected a command, got {other:?}"),
    }
}

fn completed(ev: &[Event]) -> crate::ScsiResult {
    for e in ev {
        if let Event::TaskComplete {
            outcome: TaskOutcome::Completed(r),
            ..
        } = e
        {
            return r.clone();
        }
    }
    panic!("no completion in {ev:#?}")
}

#[test]
fn read_split_with_status_in_last_data_in() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    ini.submit(t.now, ScsiRequest::read(Lun::ZERO, &READ10, 4096))
        .unwrap();
    let c = cmd(&t.recv(&mut ini)[0]);
    assert!(c.read && c.final_bit && c.expected_data_transfer_length == 4096);
    t.ack(1);
    let data: Vec<u8> = (0..4096u32).map(|i| i as u8).collect();
    for (i, chunk) in data.chunks(1024).enumerate() {
        let last = i == 3;
        t.send(
            &mut ini,
            DataIn {
                final_bit: last,
                status_present: last,
                itt: c.itt,
                data_sn: i as u32,
                buffer_offset: (i * 1024) as u32,
                data: Bytes::copy_from_slice(chunk),
                ..DataIn::default()
            },
        );
    }
    let r = completed(&events(&mut ini));
    assert_eq!(r.data.as_ref(), &data[..]);
    assert!(r.status_in_data_in);
    assert_eq!(r.status, ScsiStatus::Good);
}

#[test]
fn read_underflow_and_sense() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    ini.submit(t.now, ScsiRequest::read(Lun::ZERO, &READ10, 4096))
        .unwrap();
    let c = cmd(&t.recv(&mut ini)[0]);
    t.ack(1);
    t.send(
        &mut ini,
        DataIn {
            final_bit: true,
            itt: c.itt,
            data: Bytes::from(vec![1u8; 512]),
            ..DataIn::default()
        },
    );
    t.send(
        &mut ini,
        ScsiResponse {
            itt: c.itt,
            underflow: true,
            residual_count: 3584,
            exp_data_sn: 1,
            ..ScsiResponse::default()
        },
    );
    let r = completed(&events(&mut ini));
    assert_eq!(r.residual, Residual::Underflow(3584));
    assert_eq!(r.data.len(), 512);
    // CHECK CONDITION with sense data.
    ini.submit(t.now, ScsiRequest::read(Lun::ZERO, &READ10, 512))
        .unwrap();
    let c = cmd(&t.recv(&mut ini)[0]);
    t.ack(1);
    let sense = Sense::new(SenseKey::ILLEGAL_REQUEST, (0x24, 0x00)).encode();
    t.send(
        &mut ini,
        ScsiResponse {
            itt: c.itt,
            status: ScsiStatus::CheckCondition,
            underflow: true,
            residual_count: 512,
            data: ScsiResponse::sense_segment(&sense),
            ..ScsiResponse::default()
        },
    );
    let ev = events(&mut ini);
    let r = completed(&ev);
    assert_eq!(r.sense.unwrap().key, SenseKey::ILLEGAL_REQUEST);
}

/// A write of `len` bytes under the given keys; returns the PDUs sent.
fn write_with(keys: &[(&str, &str)], len: usize) -> (Vec<Pdu>, Vec<Event>) {
    let mut cfg = config();
    let mut tk = target_keys();
    for (k, v) in keys {
        cfg.keys.set(k, v);
        tk.set(k, v);
    }
    let (mut ini, mut t) = logged_in(cfg, tk);
    let p = ini.session().params;
    let data = Bytes::from((0..len).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
    ini.submit(t.now, ScsiRequest::write(Lun::ZERO, &WRITE10, data.clone()))
        .unwrap();
    let mut sent = t.recv(&mut ini);
    let c = cmd(&sent[0]);
    t.ack(1);
    let mut got = c.data.to_vec();
    for pdu in &sent[1..] {
        if let Pdu::DataOut(d) = pdu {
            assert_eq!(d.buffer_offset as usize, got.len());
            got.extend_from_slice(&d.data);
        }
    }
    let mut r2t_sn = 0;
    while got.len() < len {
        let want = (len - got.len()).min(p.max_burst_length as usize) as u32;
        t.send(
            &mut ini,
            ReadyToTransfer {
                itt: c.itt,
                ttt: 0x100 + r2t_sn,
                r2t_sn,
                buffer_offset: got.len() as u32,
                desired_data_transfer_length: want,
                ..ReadyToTransfer::default()
            },
        );
        r2t_sn += 1;
        let outs = t.recv(&mut ini);
        for pdu in &outs {
            let Pdu::DataOut(d) = pdu else {
                panic!("{pdu:?}")
            };
            assert!(d.data.len() as u32 <= p.target_max_recv_data_segment_length);
            got.extend_from_slice(&d.data);
        }
        assert!(outs
            .last()
            .is_some_and(|p| matches!(p, Pdu::DataOut(d) if d.final_bit)));
        sent.extend(outs);
    }
    assert_eq!(got, data.to_vec());
    t.send(
        &mut ini,
        ScsiResponse {
            itt: c.itt,
            // RFC 7143 §11.4.6: no Data-In was sent, so ExpDataSN is 0
            // whatever the number of R2Ts.
            exp_data_sn: 0,
            ..ScsiResponse::default()
        },
    );
    (sent, events(&mut ini))
}

#[test]
fn writes_at_several_burst_settings() {
    // Immediate data only, then R2Ts.
    let (sent, ev) = write_with(
        &[
            ("FirstBurstLength", "4096"),
            ("MaxRecvDataSegmentLength", "1024"),
        ],
        20000,
    );
    assert_eq!(cmd(&sent[0]).data.len(), 1024);
    assert!(matches!(completed(&ev).status, ScsiStatus::Good));
    // Unsolicited Data-Out up to FirstBurstLength, no immediate data.
    let (sent, ev) = write_with(
        &[
            ("InitialR2T", "No"),
            ("ImmediateData", "No"),
            ("FirstBurstLength", "8192"),
            ("MaxRecvDataSegmentLength", "2048"),
        ],
        30000,
    );
    let c = cmd(&sent[0]);
    assert!(c.data.is_empty() && !c.final_bit);
    let unsolicited: usize = sent[1..5]
        .iter()
        .map(|p| match p {
            Pdu::DataOut(d) => {
                assert_eq!(d.ttt, u32::MAX);
                d.data.len()
            }
            _ => 0,
        })
        .sum();
    assert_eq!(unsolicited, 8192);
    completed(&ev);
    // Everything through R2T with small bursts.
    let (_, ev) = write_with(
        &[
            ("ImmediateData", "No"),
            ("MaxBurstLength", "4096"),
            ("FirstBurstLength", "4096"),
        ],
        10000,
    );
    completed(&ev);
    // Immediate and unsolicited together.
    let (sent, ev) = write_with(
        &[
            ("InitialR2T", "No"),
            ("FirstBurstLength", "16384"),
            ("MaxRecvDataSegmentLength", "4096"),
        ],
        16384,
    );
    assert_eq!(cmd(&sent[0]).data.len(), 4096);
    assert_eq!(sent.len(), 4);
    completed(&ev);
}

#[test]
fn commands_wait_for_the_window() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    // The window: ExpCmdSN 1, MaxCmdSN 16 → 16 commands go, the 17th waits.
    for _ in 0..17 {
        ini.submit(t.now, ScsiRequest::none(Lun::ZERO, &[0; 6]))
            .unwrap();
    }
    let sent = t.recv(&mut ini);
    assert_eq!(sent.len(), 16);
    assert_eq!(cmd(&sent[15]).cmd_sn, 16);
    t.ack(1);
    t.send(
        &mut ini,
        ScsiResponse {
            itt: cmd(&sent[0]).itt,
            ..ScsiResponse::default()
        },
    );
    let more = t.recv(&mut ini);
    assert_eq!(more.len(), 1);
    assert_eq!(cmd(&more[0]).cmd_sn, 17);
    // An immediate command is not held.
    t.max_cmd_sn = 17;
    let mut req = ScsiRequest::none(Lun::ZERO, &[0; 6]);
    req.immediate = true;
    ini.submit(t.now, req).unwrap();
    let imm = cmd(&t.recv(&mut ini)[0]);
    assert!(imm.immediate);
    assert_eq!(imm.cmd_sn, 18);
}

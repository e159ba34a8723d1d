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

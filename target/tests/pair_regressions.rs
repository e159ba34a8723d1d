//! One scenario per bug the pair found in the cores, each failing before
//! its fix.

mod pair;

use pair::*;

/// RFC 7143 §11.4.6: a write answered by R2Ts gets a SCSI Response whose
/// ExpDataSN is 0 (no Data-In was sent); the strict initiator took that for
/// a violation and closed the session.
#[test]
fn write_with_r2ts_and_exp_data_sn_zero_is_no_violation() {
    let mut p = Pair::new(one_target());
    let l = p.login(normal_with(&[("ImmediateData", "No")]));
    p.clear_ua(l);
    p.write_read_back(l, 0, 16, 1);
    p.assert_clean();
}

/// RFC 7143 §4.2.2.1: a second command with the CmdSN of one waiting for a
/// gap is a duplicate and ignored; the target replaced the first with it.
#[test]
fn duplicate_of_a_waiting_cmd_sn_does_not_replace_it() {
    use rtgt_initiator::Event as IEvent;
    use rtgt_proto::pdu::{Lun, Pdu, ScsiCommand};
    let mut p = Pair::new(one_target());
    let l = p.login(normal());
    p.clear_ua(l);
    let a = p.ini_mut(l).take_cmd_sn();
    let b = p.ini_mut(l).take_cmd_sn();
    let mut tags = Vec::new();
    for sn in [b, b, a] {
        let tag = p.ini_mut(l).claim_raw_tag().unwrap();
        let mut c = ScsiCommand {
            itt: tag.0,
            lun: Lun::single_level(0),
            cmd_sn: sn,
            exp_stat_sn: p.ini(l).exp_stat_sn(),
            ..ScsiCommand::default()
        };
        c.set_cdb(&[0u8; 6]);
        p.ini_mut(l).send_pdu(&Pdu::ScsiCommand(c));
        p.run();
        tags.push(tag.0);
    }
    let answered: Vec<u32> = p
        .events(l)
        .iter()
        .filter_map(|e| match e {
            IEvent::Received(r) => Some(r.itt()),
            _ => None,
        })
        .collect();
    assert_eq!(answered, [tags[2], tags[0]]);
}

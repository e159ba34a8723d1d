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
    let data = pattern(16 * BS, 1);
    p.write(l, 0, &data);
    assert_eq!(p.read(l, 0, 16).as_ref(), data.as_slice());
    p.assert_clean();
}

//! `MultipathSession` against Debian's tgtd: two sessions to one portal
//! (two I_T nexuses with their own ISIDs) are two paths to LUN 1; tgtd
//! reports one target port group or none, so both paths are equal, the
//! writes take turns on them, and everything reads back through either.
#![cfg(feature = "real-peers")]

#[path = "tgtd_common/mod.rs"]
mod common;

use common::*;
use rtgt_initiator::client::MultipathSession;

#[test]
fn two_sessions_to_tgtd_take_turns() {
    let t = tgtd(|_| {});
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let portals = vec![t.portal(), t.portal()];
        let m = MultipathSession::login(&portals, normal(), lun())
            .await
            .expect("multipath login");
        let writes: Vec<_> = (0..64u64)
            .map(|i| {
                let m = m.clone();
                tokio::spawn(async move { m.write(i * 8, pattern(i * 8, 8, 5)).await })
            })
            .collect();
        for w in writes {
            w.await.expect("task").expect("write");
        }
        for i in 0..64u64 {
            let got = m.read(i * 8, 8).await.expect("read");
            assert!(
                got == pattern(i * 8, 8, 5),
                "write {i} reads back otherwise"
            );
        }
        let state = m.state();
        let answered: Vec<u64> = state.paths().iter().map(|p| p.answered).collect();
        println!("tgtd: groups {:?}, answered {answered:?}", state.groups());
        assert_eq!(answered.iter().sum::<u64>(), 128);
        assert!(answered.iter().all(|&n| n >= 32), "{answered:?}");
        assert_eq!(state.retries(), 0);
        m.logout().await.expect("logout");
    });
}

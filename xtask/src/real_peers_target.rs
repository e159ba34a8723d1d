//! The target against real peers: libiscsi's tools, `iscsi-test-cu -t
//! iSCSI` and rtgt's own `rtgt-iscsi` against a started rtgtd (rtgt-target's
//! `real-peers` feature), and Debian's tgtadm against rtgtd's control socket
//! beside a real tgtd (`tgtadm_seed`), and rtgt's rtgtadm against both
//! (`rtgtadm_cli`, `rtgtadm_import` with Debian's tgt-admin),
//! `rtgtadm --dump` and `persist = true` across restarts
//! (`rtgtadm_persist`), `rtgtadm --reload` and SIGHUP (`rtgtadm_reload`),
//! changes beside a running `rtgt-iscsi bench` (`rtgtadm_live`), and
//! rtgtd's iSNS registration and `rtgt-iscsi discover --isns` against
//! open-isns's isnsd (`isns`), and `rtgt-iscsi --multipath` across two
//! rtgtd nodes (`multipath_failover`).

use crate::cmd::{build_bins, cargo, run_shown, Profile};
use anyhow::Result;

pub fn run() -> Result<()> {
    println!("$ cargo xtask peers --install-only");
    crate::peers::ensure_installed()?;
    let rtgt_iscsi =
        build_bins(Profile::Debug, &[("rtgt-initiator", "rtgt-iscsi")])?.join("rtgt-iscsi");
    run_shown(cargo().env("RTGT_ISCSI", rtgt_iscsi).args([
        "test",
        "--package",
        "rtgt-target",
        "--features",
        "real-peers",
        "--test",
        "libiscsi_tools",
        "--test",
        "libiscsi_test_cu",
        "--test",
        "rtgt_iscsi",
        "--test",
        "tgtadm_seed",
        "--test",
        "rtgtadm_cli",
        "--test",
        "rtgtadm_import",
        "--test",
        "isns",
        "--test",
        "rtgtadm_persist",
        "--test",
        "rtgtadm_reload",
        "--test",
        "rtgtadm_live",
        "--test",
        "multipath_failover",
    ]))
}

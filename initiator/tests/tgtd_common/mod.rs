//! Shared by the tests against Debian's tgtd (feature `real-peers`): one tgtd
//! per test on a free 127.0.0.1 port, killed when its `Tgtd` drops.
#![allow(dead_code)]

use bytes::Bytes;
use rtgt_initiator::client::{ClientConfig, Session};
use rtgt_initiator::{ChapConfig, InitiatorConfig};
use rtgt_peers::tgtd::{Chap, Tgtd, TgtdConfig};
use rtgt_proto::chap::ChapAlgorithm;
use rtgt_proto::pdu::Lun;

pub const TARGET: &str = "iqn.2024-01.org.rtgt:initiator-tests";
pub const INITIATOR: &str = "iqn.2024-01.org.rtgt:initiator-test-host";
pub const USER: &str = "rtgt-initiator";
pub const SECRET: &str = "initiator-secret-1";
pub const TARGET_USER: &str = "rtgt-target";
pub const TARGET_SECRET: &str = "target-secret-22";

/// LUN 1, the file-backed one (LUN 0 is tgtd's controller).
pub fn lun() -> Lun {
    Lun::single_level(1)
}

/// Starts tgtd with the default target, changed by `f`.
pub fn tgtd(f: impl FnOnce(&mut TgtdConfig)) -> Tgtd {
    let mut c = TgtdConfig::new(TARGET);
    f(&mut c);
    Tgtd::start(c).expect("tgtd starts (run `cargo xtask peers` to install it)")
}

/// tgtd with the incoming account, and the outgoing one when `mutual`,
/// on the target and on discovery sessions.
pub fn tgtd_chap(mutual: bool) -> Tgtd {
    tgtd(|c| {
        c.incoming = Some(Chap::new(USER, SECRET));
        if mutual {
            c.outgoing = Some(Chap::new(TARGET_USER, TARGET_SECRET));
        }
        c.discovery_auth = true;
    })
}

/// A normal session's configuration.
pub fn normal() -> ClientConfig {
    ClientConfig::new(InitiatorConfig::normal(INITIATOR, TARGET))
}

/// One-way CHAP with MD5, the one algorithm tgtd 1.0.85 knows.
pub fn chap(secret: &str) -> ChapConfig {
    let mut c = ChapConfig::one_way(USER, secret.as_bytes());
    c.algorithms = vec![ChapAlgorithm::Md5];
    c
}

/// Logs in with `config` and waits for the LUN to be ready (clearing the
/// power-on UNIT ATTENTION with TEST UNIT READY).
pub async fn login(t: &Tgtd, config: ClientConfig) -> Session {
    let s = Session::login(&t.portal(), config).await.expect("login");
    s.test_unit_ready(lun()).await.expect("LUN 1 ready");
    s
}

/// The test pattern for `blocks` 512-byte blocks at `lba`: each block
/// carries its LBA and a tag, then bytes derived from both.
pub fn pattern(lba: u64, blocks: u64, tag: u8) -> Bytes {
    let mut v = Vec::with_capacity(blocks as usize * 512);
    for b in lba..lba + blocks {
        v.extend_from_slice(&b.to_be_bytes());
        for i in 8..512u64 {
            v.push((b.wrapping_mul(31) ^ i.wrapping_mul(7)) as u8 ^ tag);
        }
    }
    Bytes::from(v)
}

//! A campaign against Debian's tgtd on a loopback port, started through
//! rtgt_peers::tgtd. Ignored by default (it takes minutes and needs tgtd):
//! `RTGT_FUZZ_SECS=300 cargo test -p rtgt-fuzz-net --test against_tgtd --
//! --ignored --nocapture`. Findings go to build/fuzz-net/tgtd/;
//! `RTGT_FUZZ_REPLAY=FILE` replays one against a fresh tgtd instead, and
//! `RTGT_FUZZ_MINIMISE=FILE` minimises one, each try against a fresh tgtd.

mod peer;

use rtgt_peers::tgtd::{Tgtd, TgtdConfig, LUN};

const IQN: &str = "iqn.2024-01.org.rtgt:fuzz-tgtd";

impl peer::Peer for Tgtd {
    const NAME: &'static str = "tgtd";

    fn start() -> Self {
        Tgtd::start(TgtdConfig::new(IQN)).unwrap_or_else(|e| panic!("{e:#}"))
    }

    fn portal(&self) -> String {
        Tgtd::portal(self)
    }

    /// tgtd's process: the one whose command line names our portal.
    fn pid(&self) -> Option<u32> {
        let wanted = format!("portal={}", Tgtd::portal(self));
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            (cmdline.starts_with("tgtd") && cmdline.contains(&wanted)).then_some(pid)
        })
    }

    fn iqn(&self) -> String {
        IQN.to_owned()
    }

    fn lun(&self) -> u16 {
        LUN as u16
    }

    fn log(&self) -> String {
        Tgtd::log(self)
    }
}

#[test]
#[ignore = "minutes long; needs Debian's tgtd"]
fn campaign_against_tgtd() {
    peer::campaign::<Tgtd>();
}

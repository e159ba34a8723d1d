//! A campaign against Debian's istgt on a loopback port, started through
//! rtgt_peers::istgt. istgt can stay up yet close its listening socket;
//! the fuzzer's probe (a fresh login after every case) counts a refused
//! connection as down, so that is a finding like a crash. Ignored by
//! default (minutes long, needs istgt):
//! `RTGT_FUZZ_SECS=300 cargo test -p rtgt-fuzz-net --test against_istgt --
//! --ignored --nocapture`. Findings go to build/fuzz-net/istgt/;
//! `RTGT_FUZZ_REPLAY=FILE` replays one against a fresh istgt, and
//! `RTGT_FUZZ_MINIMISE=FILE` minimises one, each try against a fresh istgt.

mod peer;

use rtgt_peers::istgt::{Istgt, IstgtConfig};

impl peer::Peer for Istgt {
    const NAME: &'static str = "istgt";

    fn start() -> Self {
        let config = IstgtConfig::new("iqn.2024-01.org.rtgt", "fuzz-istgt");
        Istgt::start(config).unwrap_or_else(|e| panic!("{e:#}"))
    }

    fn portal(&self) -> String {
        Istgt::portal(self)
    }

    fn pid(&self) -> Option<u32> {
        Some(Istgt::pid(self))
    }

    fn iqn(&self) -> String {
        self.target_iqn()
    }

    fn lun(&self) -> u16 {
        0
    }

    fn log(&self) -> String {
        Istgt::log(self)
    }
}

#[test]
#[ignore = "minutes long; needs Debian's istgt"]
fn campaign_against_istgt() {
    peer::campaign::<Istgt>();
}

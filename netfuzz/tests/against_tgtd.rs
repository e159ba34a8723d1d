//! A campaign against Debian's tgtd on a loopback port, started through
//! rtgt_peers::tgtd. Ignored by default (it takes minutes and needs tgtd):
//! `RTGT_FUZZ_SECS=300 cargo test -p rtgt-fuzz-net --test against_tgtd --
//! --ignored --nocapture`. Findings go to build/fuzz-net/tgtd/;
//! `RTGT_FUZZ_REPLAY=FILE` replays one against a fresh tgtd instead.

use rtgt_fuzz_net::{wire, Options, Target};
use rtgt_peers::tgtd::{Tgtd, TgtdConfig, LUN};
use std::time::Duration;

/// tgtd's process: the one whose command line names our portal.
fn tgtd_pid(portal: &str) -> Option<u32> {
    let wanted = format!("portal={portal}");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        (cmdline.starts_with("tgtd") && cmdline.contains(&wanted)).then_some(pid)
    })
}

#[test]
#[ignore = "minutes long; needs Debian's tgtd"]
fn campaign_against_tgtd() {
    let secs = std::env::var("RTGT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed = std::env::var("RTGT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let tgtd = Tgtd::start(TgtdConfig::new("iqn.2024-01.org.rtgt:fuzz-tgtd"))
        .unwrap_or_else(|e| panic!("{e:#}"));
    let pid = tgtd_pid(&tgtd.portal());
    println!("tgtd at {} (pid {pid:?})", tgtd.portal());
    if let Some(file) = std::env::var_os("RTGT_FUZZ_REPLAY") {
        // Replays a reproducer against this fresh tgtd instead.
        let up = rtgt_fuzz_net::finding::replay(file.as_ref(), Some(&tgtd.portal()), None, pid)
            .expect("the replay runs");
        println!("tgtd's log:\n{}", tgtd.log());
        println!("replay: tgtd {}", if up { "survived" } else { "went down" });
        return;
    }
    let options = Options {
        target: Target {
            addr: wire::resolve(&tgtd.portal()).expect("tgtd's portal"),
            iqn: "iqn.2024-01.org.rtgt:fuzz-tgtd".to_owned(),
            lun: LUN as u16,
            chap: None,
            timeout: Duration::from_secs(3),
        },
        pid,
        time: Duration::from_secs(secs),
        seed,
        out: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/fuzz-net/tgtd"),
        max_execs: None,
        restart_wait: Duration::from_secs(2),
        stop_on_finding: true,
    };
    let report = rtgt_fuzz_net::run(&options).expect("the campaign runs");
    println!("{report:?}");
    if !report.findings.is_empty() {
        println!("tgtd's log:\n{}", tgtd.log());
    }
    assert!(report.execs > 0);
}

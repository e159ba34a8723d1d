//! A campaign against Debian's tgtd on a loopback port, started through
//! rtgt_peers::tgtd. Ignored by default (it takes minutes and needs tgtd):
//! `RTGT_FUZZ_SECS=300 cargo test -p rtgt-fuzz-net --test against_tgtd --
//! --ignored --nocapture`. Findings go to build/fuzz-net/tgtd/;
//! `RTGT_FUZZ_REPLAY=FILE` replays one against a fresh tgtd instead, and
//! `RTGT_FUZZ_MINIMISE=FILE` minimises one, each try against a fresh tgtd.

use rtgt_fuzz_net::exec::{self, Waits};
use rtgt_fuzz_net::{finding, monitor, wire, Options, Target};
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

const IQN: &str = "iqn.2024-01.org.rtgt:fuzz-tgtd";

fn target(tgtd: &Tgtd) -> Target {
    Target {
        addr: wire::resolve(&tgtd.portal()).expect("tgtd's portal"),
        iqn: IQN.to_owned(),
        lun: LUN as u16,
        chap: None,
        timeout: Duration::from_secs(3),
    }
}

fn start() -> Tgtd {
    Tgtd::start(TgtdConfig::new(IQN)).unwrap_or_else(|e| panic!("{e:#}"))
}

fn out_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/fuzz-net/tgtd")
}

/// Delta debugging of a reproducer, every try against a tgtd of its own.
fn minimise(file: &std::path::Path) {
    let mut r = finding::load(file).expect("a reproducer");
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    let mut tries = 0;
    let (small, complete) = finding::minimise(&r.sequence, deadline, |candidate| {
        let tgtd = start();
        let pid = tgtd_pid(&tgtd.portal());
        let t = target(&tgtd);
        let _ = exec::run(&t, candidate, r.seed, Waits::default());
        std::thread::sleep(Duration::from_millis(200));
        let down = monitor::check(t.addr, pid, t.timeout).is_err();
        tries += 1;
        println!(
            "try {tries}: {} steps: {}",
            candidate.steps.len(),
            if down { "down" } else { "up" }
        );
        Some(down)
    });
    let before = r.sequence.steps.len();
    r.sequence = small;
    r.minimised = complete;
    r.reason = format!(
        "{}; minimised to {} of {before} steps in {tries} tries",
        r.reason,
        r.sequence.steps.len()
    );
    let tgtd = start();
    let t = target(&tgtd);
    let check = exec::run(&t, &r.sequence, r.seed, Waits::default());
    std::thread::sleep(Duration::from_millis(200));
    let down = monitor::check(t.addr, tgtd_pid(&tgtd.portal()), t.timeout);
    println!("the minimised case: {down:?}");
    let saved = finding::save(&out_dir(), "minimised", &r, &check.transcript).expect("saved");
    println!("{}: {}", r.reason, saved.display());
}

#[test]
#[ignore = "minutes long; needs Debian's tgtd"]
fn campaign_against_tgtd() {
    if let Some(file) = std::env::var_os("RTGT_FUZZ_MINIMISE") {
        return minimise(file.as_ref());
    }
    let secs = std::env::var("RTGT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed = std::env::var("RTGT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let tgtd = start();
    let pid = tgtd_pid(&tgtd.portal());
    println!("tgtd at {} (pid {pid:?})", tgtd.portal());
    if let Some(file) = std::env::var_os("RTGT_FUZZ_REPLAY") {
        // Replays a reproducer against this fresh tgtd instead.
        let up = finding::replay(
            file.as_ref(),
            finding::ReplayTo {
                target: Some(tgtd.portal()),
                pid,
                ..finding::ReplayTo::default()
            },
        )
        .expect("the replay runs");
        println!("tgtd's log:\n{}", tgtd.log());
        println!("replay: tgtd {}", if up { "survived" } else { "went down" });
        return;
    }
    let options = Options {
        target: target(&tgtd),
        pid,
        time: Duration::from_secs(secs),
        seed,
        out: out_dir(),
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

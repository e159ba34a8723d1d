//! A campaign against a Debian target started fresh on a loopback port:
//! fuzz until the first finding, replay a reproducer against a fresh
//! process, or minimise one with a fresh process for every try. Shared by
//! `against_tgtd` and `against_istgt`; each says how to start its target.
//!
//! Environment: `RTGT_FUZZ_SECS` (default 300), `RTGT_FUZZ_SEED` (default
//! 1), `RTGT_FUZZ_REPLAY=FILE`, `RTGT_FUZZ_MINIMISE=FILE`.

use rtgt_fuzz_net::exec::{self, Waits};
use rtgt_fuzz_net::{finding, monitor, wire, Options, Target};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A target process this test starts and stops.
pub trait Peer: Sized {
    /// Short name: findings go to build/fuzz-net/NAME/.
    const NAME: &'static str;
    /// Starts a fresh process (panics with the reason if it cannot).
    fn start() -> Self;
    /// `HOST:PORT` it listens on.
    fn portal(&self) -> String;
    /// Its process, watched for a crash.
    fn pid(&self) -> Option<u32>;
    /// The target to log in to.
    fn iqn(&self) -> String;
    /// The LUN commands go to.
    fn lun(&self) -> u16;
    /// Its own output so far.
    fn log(&self) -> String;
}

fn target<P: Peer>(peer: &P) -> Target {
    Target {
        addr: wire::resolve(&peer.portal()).expect("the peer's portal"),
        iqn: peer.iqn(),
        lun: peer.lun(),
        chap: None,
        timeout: Duration::from_secs(3),
    }
}

fn out_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../build/fuzz-net/{name}"))
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `sequence` against a fresh process; true if the target is down
/// after it (process gone, or a fresh login not answered or refused).
fn goes_down<P: Peer>(sequence: &rtgt_fuzz_net::seq::Sequence, seed: u64) -> bool {
    let peer = P::start();
    let t = target(&peer);
    let _ = exec::run(&t, sequence, seed, Waits::default());
    std::thread::sleep(Duration::from_millis(200));
    monitor::check(t.addr, peer.pid(), t.timeout).is_err()
}

/// Delta debugging of a reproducer, every try against a process of its own.
fn minimise<P: Peer>(file: &Path) {
    let mut r = finding::load(file).expect("a reproducer");
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut tries = 0;
    let (small, complete) = finding::minimise(&r.sequence, deadline, |candidate| {
        let down = goes_down::<P>(candidate, r.seed);
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
    let peer = P::start();
    let t = target(&peer);
    let check = exec::run(&t, &r.sequence, r.seed, Waits::default());
    std::thread::sleep(Duration::from_millis(200));
    let down = monitor::check(t.addr, peer.pid(), t.timeout);
    println!("the minimised case against a fresh {}: {down:?}", P::NAME);
    assert!(
        down.is_err(),
        "the minimised case no longer takes the target down"
    );
    let saved =
        finding::save(&out_dir(P::NAME), "minimised", &r, &check.transcript).expect("saved");
    println!("{}: {}", r.reason, saved.display());
}

/// Replays a reproducer against a fresh process.
fn replay<P: Peer>(file: &Path) {
    let peer = P::start();
    let up = finding::replay(
        file,
        finding::ReplayTo {
            target: Some(peer.portal()),
            pid: peer.pid(),
            ..finding::ReplayTo::default()
        },
    )
    .expect("the replay runs");
    println!("{}'s log:\n{}", P::NAME, peer.log());
    println!(
        "replay: {} {}",
        P::NAME,
        if up { "survived" } else { "went down" }
    );
}

/// The test body: what the environment asks for.
pub fn campaign<P: Peer>() {
    if let Some(file) = std::env::var_os("RTGT_FUZZ_MINIMISE") {
        return minimise::<P>(file.as_ref());
    }
    if let Some(file) = std::env::var_os("RTGT_FUZZ_REPLAY") {
        return replay::<P>(file.as_ref());
    }
    let peer = P::start();
    println!("{} at {} (pid {:?})", P::NAME, peer.portal(), peer.pid());
    let options = Options {
        target: target(&peer),
        pid: peer.pid(),
        time: Duration::from_secs(env_number("RTGT_FUZZ_SECS", 300)),
        seed: env_number("RTGT_FUZZ_SEED", 1),
        out: out_dir(P::NAME),
        max_execs: None,
        restart_wait: Duration::from_secs(2),
        stop_on_finding: true,
    };
    let report = rtgt_fuzz_net::run(&options).expect("the campaign runs");
    println!("{report:?}");
    if !report.findings.is_empty() {
        println!("{}'s log:\n{}", P::NAME, peer.log());
    }
    assert!(report.execs > 0);
}

//! rtgtd under a flood of idle TCP connections: a discovery login still
//! succeeds within a second, because connections still logging in have a
//! budget of their own (per address and in all) whose oldest member makes
//! room for a new one.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{Rtgtd, DEMO_IQN};
use socket2::{Domain, Socket, Type};

/// Idle connections held open during each login.
const IDLE: usize = 1000;
/// Logins in a row, each under a fresh flood.
const RUNS: usize = 10;
/// The time a login (with SendTargets and logout) may take under the flood.
const LOGIN_LIMIT: Duration = Duration::from_secs(1);

/// Lets this process hold the idle connections: soft RLIMIT_NOFILE up to
/// the hard one.
fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let l = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: l.maximum,
        maximum: l.maximum,
    };
    setrlimit(Resource::Nofile, raised).unwrap();
    let now = getrlimit(Resource::Nofile).current;
    assert!(now.is_none_or(|n| n > IDLE as u64 + 64), "{now:?}");
}

/// A connection to `to` from `from` (any port), left idle.
fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::new(from, 0).into()).unwrap();
    s.connect_timeout(&to.into(), Duration::from_secs(2))
        .unwrap();
    s.into()
}

/// `IDLE` idle connections to `to`: all from 127.0.0.1, or spread over
/// 100 addresses of 127.0.1.0/24 (10 each, under the per-address budget).
fn flood(to: SocketAddr, spread: bool) -> Vec<TcpStream> {
    let start = Instant::now();
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|i| {
            let from = if spread {
                Ipv4Addr::new(127, 0, 1, 1 + (i % 100) as u8)
            } else {
                Ipv4Addr::LOCALHOST
            };
            connect_from(from.into(), to)
        })
        .collect();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    idle
}

#[test]
fn a_discovery_login_succeeds_under_a_flood_of_idle_connections() {
    raise_fd_limit();
    let mut d = Rtgtd::demo(&[]);
    let addr = d.addr.to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut times = Vec::new();
    for run in 0..RUNS {
        let spread = run % 2 == 1;
        let idle = flood(d.addr, spread);
        let start = Instant::now();
        let login = rt.block_on(async {
            let discover =
                rtgt_initiator::client::discover(&addr, "iqn.2024-01.org.rtgt:flood", None);
            tokio::time::timeout(LOGIN_LIMIT, discover).await
        });
        let took = start.elapsed();
        let targets = login
            .unwrap_or_else(|_| panic!("run {run}: no login within {LOGIN_LIMIT:?}"))
            .unwrap_or_else(|e| panic!("run {run}: {e}\n{}", d.log_text()));
        assert!(targets.iter().any(|t| t.name == DEMO_IQN), "{targets:?}");
        println!(
            "run {run}: {IDLE} idle connections from {}, login + SendTargets + logout in {took:?}",
            if spread {
                "100 addresses"
            } else {
                "one address"
            }
        );
        times.push(took);
        drop(idle);
    }
    println!("slowest {:?}", times.iter().max());
    assert!(d.stop().success());
    let log = d.log_text();
    assert!(
        log.contains("pre-login connections per address"),
        "per-address budget unused"
    );
    assert!(
        log.contains("\"pre-login connections\""),
        "pre-login budget unused"
    );
    assert!(!log.contains("panicked"));
}

//! rtgtd as a process, without real peers: hostile input costs only the
//! offending connection, limits hold, SIGTERM stops it cleanly.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Rtgtd;

/// Reads until EOF or `limit`; true on EOF (the daemon closed).
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let end = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn garbage_costs_only_its_connection() {
    let mut d = Rtgtd::demo(&[]);
    let mut idle = TcpStream::connect(d.addr).unwrap();
    for junk in [
        // An unknown opcode where a login request must come.
        {
            let mut bhs = vec![0u8; 48];
            bhs[0] = 0x3f;
            bhs
        },
        // A login request claiming a 16 MiB data segment.
        {
            let mut bhs = vec![0u8; 48];
            bhs[0] = 0x43;
            bhs[5..8].copy_from_slice(&[0xff, 0xff, 0xff]);
            bhs
        },
    ] {
        let mut s = TcpStream::connect(d.addr).unwrap();
        s.write_all(&junk).unwrap();
        assert!(closed_within(&mut s, Duration::from_secs(5)), "not closed");
    }
    // The untouched connection is still open, and new ones are accepted.
    idle.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut b = [0u8; 1];
    assert!(matches!(idle.read(&mut b), Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock));
    assert!(TcpStream::connect(d.addr).is_ok());
    let st = d.stop();
    assert!(st.success(), "{st:?}");
    let log = d.log_text();
    assert!(log.contains("closing"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn limits_from_the_config_file_hold() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rtgt.toml");
    std::fs::write(
        &cfg,
        r#"portals = ["127.0.0.1:0"]
[limits]
max_connections = 2
login_timeout_secs = 1
[[target]]
iqn = "iqn.2024-01.org.rtgt:limits"
[[target.lun]]
lun = 0
backstore = "null"
size = "1G"
"#,
    )
    .unwrap();
    let mut d = Rtgtd::start(&["--config", cfg.to_str().unwrap()]);
    let mut a = TcpStream::connect(d.addr).unwrap();
    let mut b = TcpStream::connect(d.addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // An HTTP request: its "header" claims AHS bytes that never come, so
    // it waits for the login timeout like a silent peer.
    a.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut c = TcpStream::connect(d.addr).unwrap();
    // The third is over the limit and closed at once.
    assert!(closed_within(&mut c, Duration::from_millis(800)));
    // The others never log in and are closed at the login timeout.
    assert!(closed_within(&mut a, Duration::from_secs(5)));
    assert!(closed_within(&mut b, Duration::from_secs(5)));
    assert!(d.stop().success());
    let log = d.log_text();
    assert!(log.contains("limit exceeded"), "{log}");
    assert!(log.contains("LoginTimeout"), "{log}");
    assert!(log.contains("127.0.0.1:"), "{log}");
}

#[test]
fn ipv4_and_ipv6_portals_together() {
    let mut d = Rtgtd::demo(&["--listen", "[::1]:0"]);
    // The first --listen given is 127.0.0.1:0; the IPv6 one is extra.
    assert!(TcpStream::connect(d.addr).is_ok());
    assert!(d.stop().success());
}

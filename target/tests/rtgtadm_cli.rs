//! rtgt's `rtgtadm` is tgtadm: the same command lines through Debian's
//! tgtadm against one real tgtd and through rtgtadm against a second tgtd
//! and against rtgtd print the same stdout and stderr and exit alike
//! (rtgtadm runs with `argv[0]` "tgtadm", as tgtadm names itself in its
//! messages).
#![cfg(feature = "real-peers")]

mod common;

use std::path::Path;

use common::tgt::{
    backing_file, check, rtgtadm_argv, start_rtgtd, tgtadm_argv, words, Tgtd, CONTROL_PORT,
    FURTHER_STEPS, SEED_STEPS,
};

/// Command lines refused before anything is sent, and requests tgtd
/// refuses: given whole (no `-C` or `--lld` added).
const BAD_LINES: &[&str] = &[
    "",
    "--op show",
    "--mode target",
    "--o show --mode target",
    "--op=show --mode target extra",
    "--op show --mode target -- more",
    "--force=1 --op show --mode target",
    "-d -t",
    "--mo=target --op show --bogus=3",
    "-x --op show",
    "--b x",
    "-C 1 --op show --mode target -t 4294967295",
    "-C 1 --op show --mode target -t -1",
    "-C 1 --op show --mode target -t 0x",
    "-C 40000 --op show --mode target",
    "-C -1 --op show --mode target",
    "-C 1 --op bogus --mode target",
    "-C 1 --op show --mode bogus",
    "-C 1 --op new --mode target",
    "-C 1 --op new --mode target --tid 0",
    "-C 1 --op new --mode target --tid 5",
    "-C 1 --op new --mode target --tid 5 -T iqn.x -I ALL",
    "-C 1 --op bind --mode target --tid 5",
    "-C 1 --op update --mode target --tid 5 --name a",
    "-C 1 --op start --mode target --tid 5",
    "-C 1 --op new --mode account --user a",
    "-C 1 --op show --mode account --tid 1",
    "-C 1 --op bind --mode account",
    "-C 1 --op new --mode logicalunit --tid 1",
    "-C 1 --op new --mode logicalunit --lun 1",
    "-C 1 --op new --mode logicalunit --tid 1 --lun 1 -Y osd",
    "-C 1 --op new --mode logicalunit --tid 1 --lun 1 -Y bogus",
    "-C 1 --op update --mode logicalunit --tid 1 --lun 1 -T x",
    "-C 1 --op bind --mode logicalunit --tid 1 --lun 1",
    "-C 1 --op new --mode portal",
    "-C 1 --op show --mode portal -t 1",
    "-C 1 --op start --mode lld -t 1",
    "-C 1 --op new --mode lld",
    "-C 1 --op new --mode system",
    "-C 1 --op update --mode system --name a",
    "-C 1 --op update --mode system --name a --value b -t 1",
    "-C 1 -B foo --op bind --mode target --tid 1",
    "-C 1 -H 3 --op unbind --mode target --tid 9",
    "-C 1 -O -d",
    "-C 1 --op show --mode target --tid",
    "-C 2 --op show --mode target",
    "-C 1 --lld nosuch --op show --mode target",
    "-C 1 --op show --mode target",
    "-C 1 --lld iscsi --op show --mode target",
    "-d -C 1 --lld iscsi --op show --mode account",
    "-C1 --ll=iscsi --mo target --op=show --ti=1",
    "--control-port=1 --lld iscsi --op delete --mode target --tid=77",
    "-C 1 --lld iscsi --mode account --op new --user=dave --password=dave-secret1",
    "-C 1 --lld iscsi --mode account --op new --user=dave --password=dave-secret1",
    "-C 1 --lld iscsi --mode account --op delete --user=dave",
];

/// Lines only tgtd serves yet: compared between tgtadm and rtgtadm
/// against tgtd, not against rtgtd.
const TGTD_ONLY: &[&str] = &[
    "-C 1 --lld iscsi --op show --mode system",
    "-C 1 --lld iscsi --op show --mode lld",
    "-C 1 --lld iscsi --op show --mode sess --tid 1",
    "-C 1 --lld iscsi --op update --mode target --tid 1 --name MaxRecvDataSegmentLength --value 65536",
    "-C 1 --lld iscsi --op show --mode target --tid 1",
    "-C 1 --lld iscsi --op delete --mode conn --tid 1 --sid 1 --cid 0",
    "-C 1 --lld iscsi --op stat --mode system",
    "-C 1 --lld iscsi --op delete --mode portal --param portal=127.0.0.9:3260",
];

fn with_prefix(line: &str) -> String {
    format!("-C {CONTROL_PORT} --lld iscsi {line}")
}

/// Runs `line` through tgtadm against `want` and rtgtadm against each of
/// `got`, noting any difference.
fn compare_all(line: &str, file: &str, want: &Path, got: &[(&str, &Path)], failures: &mut String) {
    let argv = words(line, file);
    let w = tgtadm_argv(want, &argv);
    for (who, sock) in got {
        let g = rtgtadm_argv(sock, &argv);
        check(&format!("rtgtadm {line} (against {who})"), &w, &g, failures);
    }
}

#[test]
fn rtgtadm_prints_what_tgtadm_prints() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 64 << 20);
    let want = Tgtd::start(dir.path(), "tgtd-a");
    let other = Tgtd::start(dir.path(), "tgtd-b");
    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
    let both: [(&str, &Path); 2] = [("tgtd", &other.sock), ("rtgtd", &rsock)];
    let mut failures = String::new();
    for line in SEED_STEPS.iter().chain(FURTHER_STEPS) {
        compare_all(&with_prefix(line), &lun, &want.sock, &both, &mut failures);
    }
    for line in BAD_LINES {
        compare_all(line, &lun, &want.sock, &both, &mut failures);
    }
    let tgtd_only = [("tgtd", other.sock.as_path())];
    compare_all(
        &with_prefix("--op new --mode target --tid 1 -T iqn.2024-01.org.rtgt:cli"),
        &lun,
        &want.sock,
        &tgtd_only,
        &mut failures,
    );
    for line in TGTD_ONLY {
        compare_all(line, &lun, &want.sock, &tgtd_only, &mut failures);
    }
    // The help is tgtadm's but for the version in its first line.
    let (w, g) = (
        tgtadm_argv(&want.sock, &["--help"]),
        rtgtadm_argv(&want.sock, &["--help"]),
    );
    let after_first = |o: &std::process::Output| {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.split_once('\n').map(|(_, rest)| rest.to_owned())
    };
    assert_eq!(after_first(&w), after_first(&g));
    assert_eq!((w.status, w.stderr), (g.status, g.stderr));
    assert!(
        failures.is_empty(),
        "rtgtadm differs from tgtadm:\n{failures}"
    );
    assert!(rtgtd.stop().success());
}

/// Command lines whose requests are compared byte for byte.
const WIRE_LINES: &[&str] = &[
    "-C 1 --lld iscsi --op show --mode target",
    "-C 1 --op show --mode account",
    "-C 1 --lld iscsi --op update --mode target --tid 1 --name MaxBurstLength --value 4096",
    "-C 1 --lld iscsi --op new --mode logicalunit --tid 1 --lun 2 -b /x --bstype rdwr --bsopts a=b --bsoflags direct --blocksize 4096 -Y cd",
    "-C 1 --op new --mode logicalunit --tid 1 --lun 3 -Y tape -b /t",
    "-C 1 --lld iscsi --op update --mode logicalunit --tid 1 --lun 2 -P vendor_id=ACME",
    "-C 1 --op update --mode sess --tid 1 -n a",
    "-C 1 --lld iscsi --op new --mode portal -P portal=1.2.3.4:3260",
    "-C 1 --op delete --mode conn --tid 1 --sid 7 --cid 3",
    "-C 1 --op bind --mode target --tid 1 -H 5",
    "-C 1 --op bind --mode target --tid 1 -I 10.0.0.0/8 -Q iqn.x:y",
    "-C 1 --op bind --mode account --user u --outgoing",
    "-C 1 --op new --mode account --user u --password p",
    "-C 1 --lld iscsi --op delete --mode target --tid 2 --force",
    "-C 1 --op update --mode sys --name State --value offline",
    "-C 1 --op stat --mode sess --tid 3 --sid 0x10",
    "-C 1 --lld 0123456789012345678901234567890123456789012345678901234567890123456789 --op show --mode target",
];

/// Accepts one client on `l` within 10 s, reads its whole request (the
/// length is in the header), answers success without text, and gives the
/// request's bytes.
fn capture(l: &std::os::unix::net::UnixListener, line: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut conn = loop {
        match l.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no client came: {line}"
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    conn.set_nonblocking(false).expect("blocking");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let mut head = [0u8; 120];
    conn.read_exact(&mut head).expect("request header");
    let len = u32::from_ne_bytes([head[72], head[73], head[74], head[75]]) as usize;
    let mut rest = vec![0u8; len.saturating_sub(120)];
    conn.read_exact(&mut rest).expect("request text");
    let mut rsp = 0u32.to_ne_bytes().to_vec();
    rsp.extend_from_slice(&8u32.to_ne_bytes());
    conn.write_all(&rsp).expect("reply");
    let mut all = head.to_vec();
    all.extend(rest);
    all
}

/// tgtadm and rtgtadm send the same bytes for the same command line.
#[test]
fn rtgtadm_sends_tgtadms_bytes() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sock = dir.path().join("capture");
    let l = std::os::unix::net::UnixListener::bind(format!("{}.{CONTROL_PORT}", sock.display()))
        .expect("listen");
    l.set_nonblocking(true).expect("nonblocking");
    let mut failures = String::new();
    for line in WIRE_LINES {
        let argv = words(line, "");
        let run = |rtgt: bool| {
            let argv: Vec<String> = argv.iter().map(|s| (*s).to_owned()).collect();
            let sock = sock.clone();
            let child = std::thread::spawn(move || {
                let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
                if rtgt {
                    rtgtadm_argv(&sock, &argv)
                } else {
                    tgtadm_argv(&sock, &argv)
                }
            });
            let bytes = capture(&l, line);
            (bytes, child.join().expect("client thread"))
        };
        let ((want, wo), (got, go)) = (run(false), run(true));
        check(&format!("rtgtadm {line}"), &wo, &go, &mut failures);
        if want != got {
            failures.push_str(&format!(
                "rtgtadm {line}: request bytes differ\n  want {want:02x?}\n  got  {got:02x?}\n"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "rtgtadm differs from tgtadm:\n{failures}"
    );
}

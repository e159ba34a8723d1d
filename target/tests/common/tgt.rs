//! Debian's tgtd and tgtadm beside rtgtd, for the tests that compare
//! them (`tgtadm_seed`, `rtgtadm_cli`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::Rtgtd;
use rtgt_peers::process::spawn_logged;
use rtgt_peers::tgtd::free_loopback_port;

/// The control port given to both (`tgtadm -C`): the sockets are
/// `$TGT_IPC_SOCKET.1`, each daemon with its own `TGT_IPC_SOCKET`.
pub const CONTROL_PORT: &str = "1";

/// A tgtd in the foreground on a free loopback port, its socket in `dir`.
pub struct Tgtd {
    child: Child,
    pub sock: PathBuf,
    /// Its iSCSI portal.
    pub addr: SocketAddr,
}

impl Tgtd {
    /// Starts it with its socket and log named after `name` in `dir`.
    pub fn start(dir: &Path, name: &str) -> Tgtd {
        let port = free_loopback_port().expect("free port");
        let sock = dir.join(format!("{name}-socket"));
        let child = spawn_logged(
            Command::new("tgtd")
                .env("TGT_IPC_SOCKET", &sock)
                .args(["-f", "-C", CONTROL_PORT])
                .args(["--iscsi", &format!("portal=127.0.0.1:{port}")]),
            &dir.join(format!("{name}.log")),
        )
        .expect("tgtd starts (install it with `cargo xtask peers`)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let t = Tgtd { child, sock, addr };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !tgtadm(&t.sock, &["--op", "show", "--mode", "target"])
            .status
            .success()
        {
            assert!(Instant::now() < deadline, "tgtd did not answer tgtadm");
            std::thread::sleep(Duration::from_millis(50));
        }
        t
    }
}

impl Drop for Tgtd {
    fn drop(&mut self) {
        // tgtd ignores SIGTERM; it holds nothing to flush here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/usr/sbin/tgtadm -C 1 --lld iscsi ARGS` aimed at the socket `sock`.
pub fn tgtadm(sock: &Path, args: &[&str]) -> Output {
    let mut all = vec!["-C", CONTROL_PORT, "--lld", "iscsi"];
    all.extend_from_slice(args);
    run_as(Command::new("tgtadm"), sock, &all)
}

/// rtgt's `rtgtadm ARGV` (no arguments added), named `tgtadm` in its
/// `argv[0]`, aimed at the socket `sock` as tgtadm would be.
pub fn rtgtadm_argv(sock: &Path, argv: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtgtadm"));
    std::os::unix::process::CommandExt::arg0(&mut cmd, "tgtadm");
    run_as(cmd, sock, argv)
}

/// `/usr/sbin/tgtadm ARGV` (no arguments added) aimed at `sock`.
pub fn tgtadm_argv(sock: &Path, argv: &[&str]) -> Output {
    run_as(Command::new("tgtadm"), sock, argv)
}

fn run_as(mut cmd: Command, sock: &Path, argv: &[&str]) -> Output {
    cmd.env("TGT_IPC_SOCKET", sock)
        .args(argv)
        .stdin(Stdio::null())
        .output()
        .expect("the program runs (install tgt with `cargo xtask peers`)")
}

/// The lines where `a` and `b` differ.
pub fn diff(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i), lb.get(i));
        if x != y {
            out.push_str(&format!("line {}:\n  want: {x:?}\n  got : {y:?}\n", i + 1));
        }
    }
    out
}

/// Notes in `failures` where `got` differs from `want` (status, stdout,
/// stderr) for the command `label`.
pub fn check(label: &str, want: &Output, got: &Output, failures: &mut String) {
    let (ws, gs) = (
        String::from_utf8_lossy(&want.stdout),
        String::from_utf8_lossy(&got.stdout),
    );
    println!("$ {label}\n{gs}{}", String::from_utf8_lossy(&got.stderr));
    if got.status != want.status || got.stdout != want.stdout || got.stderr != want.stderr {
        failures.push_str(&format!(
            "{label}\n  status want {} got {}\n  stderr want {:?} got {:?}\n{}",
            want.status,
            got.status,
            String::from_utf8_lossy(&want.stderr),
            String::from_utf8_lossy(&got.stderr),
            diff(&ws, &gs)
        ));
    }
}

/// Runs `tgtadm STEP` against tgtd's socket `want` and rtgtd's `got`,
/// notes in `failures` where their status, output or errors differ, and
/// gives tgtd's answer.
pub fn compare(want: &Path, got: &Path, step: &[&str], failures: &mut String) -> Output {
    let (w, g) = (tgtadm(want, step), tgtadm(got, step));
    check(&format!("tgtadm {}", step.join(" ")), &w, &g, failures);
    w
}

/// The tgtadm tutorial's sequence (seed 003); FILE stands for a backing
/// file. tgtd accepts each.
pub const SEED_STEPS: &[&str] = &[
    "--op new --mode target --tid 1 -T iqn.2013-05.com.magedu:tsan.disk1",
    "--op show --mode target",
    "--op new --mode logicalunit --tid 1 --lun 1 -b FILE",
    "--op bind --mode target --tid 1 -I 172.16.0.0/16",
    "--op new --mode account --user christina --password 123456",
    "--op show --mode account",
    "--op bind --mode account --tid 1 --user christina",
    "--op show --mode target",
    "--op new --mode account --user clyde --password 123456",
    "--op bind --mode account --tid 1 --user clyde --outgoing",
    "--op show --mode target",
];

/// After [`SEED_STEPS`]: refusals, unbinding and deleting, which need not
/// succeed.
pub const FURTHER_STEPS: &[&str] = &[
    "--op delete --mode logicalunit --tid 1 --lun 0",
    "--op new --mode target --tid 1 -T iqn.2013-05.com.magedu:other",
    "--op new --mode logicalunit --tid 1 --lun 1 -b FILE",
    "--op new --mode logicalunit --tid 2 --lun 1 -b FILE",
    "--op new --mode logicalunit --tid 1 --lun 2 -b /nonexistent/rtgt-lun.img",
    "--op new --mode logicalunit --tid 1 --lun 3 -b FILE",
    "--op delete --mode logicalunit --tid 1 --lun 2",
    "--op bind --mode account --tid 1 --user christina",
    "--op bind --mode account --tid 1 --user christina --outgoing",
    "--op bind --mode account --tid 1 --user nobody",
    "--op bind --mode account --user clyde",
    "--op unbind --mode account --tid 1 --user clyde --outgoing",
    "--op bind --mode target --tid 1 -I 172.16.0.0/16",
    "--op bind --mode target --tid 1 -I ALL",
    "--op bind --mode target --tid 1 --initiator-name iqn.1994-05.com.redhat:x",
    "--op unbind --mode target --tid 1 -I 172.16.0.0/16",
    "--op unbind --mode target --tid 1 -I 10.0.0.0/8",
    "--op show --mode target",
    "--op delete --mode account --user christina",
    "--op delete --mode account --user christina",
    "--op show --mode account",
    "--op new --mode target --tid 3 -T iqn.2013-05.com.magedu:tsan.disk3",
    "--op show --mode target",
    "--op delete --mode logicalunit --tid 1 --lun 1",
    "--op delete --mode logicalunit --tid 1 --lun 1",
    "--op delete --mode target --tid 1",
    "--op delete --mode target --tid 9",
    "--op show --mode target --tid 9",
    "--op show --mode target",
];

/// The words of `line`, FILE replaced by `file`.
pub fn words<'a>(line: &'a str, file: &'a str) -> Vec<&'a str> {
    line.split_whitespace()
        .map(|w| if w == "FILE" { file } else { w })
        .collect()
}

/// A sparse file of `len` bytes in `dir`, for a LUN.
pub fn backing_file(dir: &Path, len: u64) -> String {
    let path = dir.join("lun1.img");
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(len))
        .expect("backing file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// rtgtd on loopback without targets, its control socket in `dir`; gives
/// the `TGT_IPC_SOCKET` for tgtadm.
pub fn start_rtgtd(dir: &Path) -> (Rtgtd, PathBuf) {
    let config = dir.join("rtgt.toml");
    std::fs::write(&config, "portals = [\"127.0.0.1:0\"]\n").expect("config");
    start_rtgtd_with(dir, &config)
}

/// rtgtd on the configuration file `config`, its control socket in `dir`;
/// gives the `TGT_IPC_SOCKET` for tgtadm.
pub fn start_rtgtd_with(dir: &Path, config: &Path) -> (Rtgtd, PathBuf) {
    let sock = dir.join("rtgtd-socket");
    let control = format!("{}.{CONTROL_PORT}", sock.display());
    let rtgtd = Rtgtd::start(&[
        "--config",
        config.to_str().expect("UTF-8 path"),
        "--control-socket",
        &control,
    ]);
    (rtgtd, sock)
}

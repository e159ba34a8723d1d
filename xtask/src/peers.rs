//! `cargo xtask peers`: installs the real peers and tools rtgt is tested
//! against, from Debian's packages, only when they are missing.

use crate::cmd::{installed, run_shown};
use anyhow::{bail, Result};
use std::process::{Command, Stdio};

/// A Debian package and a program it provides, to tell whether it is installed.
struct Peer {
    package: &'static str,
    program: &'static str,
    why: &'static str,
}

const PEERS: &[Peer] = &[
    Peer {
        package: "tgt",
        program: "tgtd",
        why: "reference iSCSI target",
    },
    Peer {
        package: "istgt",
        program: "istgt",
        why: "second reference iSCSI target (conformance profile)",
    },
    Peer {
        package: "libiscsi-bin",
        program: "iscsi-ls",
        why: "reference iSCSI initiator tools",
    },
    Peer {
        package: "open-isns-server",
        program: "isnsd",
        why: "iSNS server (RFC 4171) rtgtd registers with",
    },
    Peer {
        package: "open-isns-utils",
        program: "isnsadm",
        why: "iSNS client that lists what isnsd holds",
    },
];

/// Only `cargo xtask capture` needs it: installed there, not for the
/// tests, so CI does not pay for it.
const CAPTURE_TOOLS: &[Peer] = &[Peer {
    package: "tshark",
    program: "tshark",
    why: "packet captures of real sessions",
}];

/// Only `cargo xtask bench` needs them: the neutral client (qemu-img and
/// its libiscsi driver, a separate package) and the loopback ceiling.
const BENCH_TOOLS: &[Peer] = &[
    Peer {
        package: "qemu-utils",
        program: "qemu-img",
        why: "qemu-img bench, the neutral benchmark client",
    },
    Peer {
        package: "qemu-block-extra",
        program: "",
        why: "qemu's iscsi driver (libiscsi) for qemu-img",
    },
    Peer {
        package: "iperf3",
        program: "iperf3",
        why: "single-stream TCP bandwidth, the benchmark's ceiling",
    },
];

fn package_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Installs every missing peer the tests run against; does nothing when
/// all are present.
pub fn ensure_installed() -> Result<()> {
    install_missing(PEERS)
}

/// [`ensure_installed`] and tshark, for `cargo xtask capture`.
pub fn ensure_capture_tools() -> Result<()> {
    ensure_installed()?;
    install_missing(CAPTURE_TOOLS)
}

/// [`ensure_installed`] and the benchmark's tools, for `cargo xtask bench`.
pub fn ensure_bench_tools() -> Result<()> {
    ensure_installed()?;
    install_missing(BENCH_TOOLS)
}

fn install_missing(peers: &[Peer]) -> Result<()> {
    let missing: Vec<&Peer> = peers
        .iter()
        .filter(|peer| {
            let program = !peer.program.is_empty() && installed(peer.program);
            !(program || package_installed(peer.package))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for peer in &missing {
        println!("peers: {} ({}) is missing", peer.package, peer.why);
    }
    if !installed("apt-get") {
        bail!("apt-get not found: install the packages above with your system's package manager");
    }
    run_shown(&mut apt_get(&["update", "-q"]))?;
    let mut install = apt_get(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(missing.iter().map(|peer| peer.package));
    run_shown(&mut install)
}

/// `apt-get ARGS`, through sudo when not root, never prompting.
fn apt_get(args: &[&str]) -> Command {
    let mut command = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    command
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// `cargo xtask peers` options.
#[derive(Debug, clap::Args)]
pub struct PeersArgs {
    /// Only install the peers; do not run libiscsi's test tool against rtgtd
    #[arg(long)]
    install_only: bool,
    /// Also install GlusterFS (glusterfs-server, tgt-glusterfs), then create
    /// a one-brick volume, show it and remove it again
    #[arg(long)]
    gluster: bool,
}

/// Installs the peers, then runs libiscsi's whole test tool against rtgtd
/// (see `test_cu.rs`) unless `--install-only`.
pub fn run(args: &PeersArgs) -> Result<()> {
    ensure_capture_tools()?;
    install_missing(BENCH_TOOLS)?;
    for peer in PEERS.iter().chain(CAPTURE_TOOLS).chain(BENCH_TOOLS) {
        println!(
            "peers: {:<14} {:<10} {}",
            peer.package, peer.program, peer.why
        );
    }
    println!("peers: all installed");
    if args.gluster {
        let vol = rtgt_peers::gluster::Volume::create("rtgtpeers")?;
        run_shown(Command::new("gluster").args(["volume", "info", &vol.name]))?;
        println!(
            "peers: gluster volume {} on {} works; removing it",
            vol.name, vol.host
        );
    }
    if args.install_only {
        return Ok(());
    }
    crate::test_cu::run()
}

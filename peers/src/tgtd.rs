//! A throwaway instance of Debian's tgtd, the reference iSCSI target, for
//! captures and interoperability tests.
//!
//! [`Tgtd::start`] runs `tgtd -f` on a free loopback port with its own control
//! port (so it never talks to a system-wide tgtd), waits until its portal is
//! up, and configures one target through `tgtadm`: an IQN, LUN 1 backed by a
//! sparse temporary file, an initiator-address ACL and optional CHAP accounts.
//! Dropping the [`Tgtd`] kills the daemon by its process id, waits for it and
//! removes the temporary directory.
//!
//! tgtd ignores SIGTERM (it expects `tgtadm --op delete --mode system`), so the
//! daemon is stopped with SIGKILL; it holds no state worth flushing here.

use crate::process::{installed, run_shown, spawn_logged};
use anyhow::{bail, Context, Result};
use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The target id of the one target tgtd is given.
pub const TID: u32 = 1;

/// The LUN backed by the temporary file (tgtd's LUN 0 is its own controller).
pub const LUN: u32 = 1;

/// How long tgtd may take to bring its portal up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// A CHAP user name and secret as tgtadm stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chap {
    pub user: String,
    pub secret: String,
}

impl Chap {
    pub fn new(user: &str, secret: &str) -> Self {
        Self {
            user: user.to_owned(),
            secret: secret.to_owned(),
        }
    }
}

/// What the one target looks like.
#[derive(Debug, Clone)]
pub struct TgtdConfig {
    /// The target's iSCSI name.
    pub target_iqn: String,
    /// Size in bytes of the sparse file backing LUN 1 (tgtd uses 512-byte blocks).
    pub lun_bytes: u64,
    /// Initiator addresses allowed to log in (`tgtadm --op bind --initiator-address`);
    /// `ALL` allows everyone.
    pub initiator_addresses: Vec<String>,
    /// Account the initiator must prove it knows (one-way CHAP): tgtd's incoming account.
    pub incoming: Option<Chap>,
    /// Account the target proves it knows (mutual CHAP): tgtd's outgoing account.
    pub outgoing: Option<Chap>,
    /// Also require the accounts on discovery sessions (bound globally, without `--tid`).
    pub discovery_auth: bool,
    /// Target parameters set with `tgtadm --op update --name KEY --value VALUE`,
    /// in order: the values tgtd accepts when negotiating (for example
    /// `("HeaderDigest", "CRC32C")` to insist on header digests).
    pub params: Vec<(String, String)>,
    /// tgtd's backing store type for LUN 1 (`--bstype`): None for tgtd's
    /// default (`rdwr`, a file), `null` for a LUN without storage (reads
    /// return zeros and writes are dropped; its size is tgtd's, 1 TiB).
    pub bstype: Option<String>,
    /// The folder of the file backing LUN 1 (for example `/dev/shm` for a
    /// RAM-backed file); None puts it in tgtd's temporary folder.
    pub backing_dir: Option<PathBuf>,
}

impl TgtdConfig {
    /// A target open to 127.0.0.1 with no authentication and a 16 MiB LUN.
    pub fn new(target_iqn: &str) -> Self {
        Self {
            target_iqn: target_iqn.to_owned(),
            lun_bytes: 16 << 20,
            initiator_addresses: vec!["127.0.0.1".to_owned()],
            incoming: None,
            outgoing: None,
            discovery_auth: false,
            params: Vec::new(),
            bstype: None,
            backing_dir: None,
        }
    }
}

/// A running tgtd; killed when dropped.
#[derive(Debug)]
pub struct Tgtd {
    child: Child,
    port: u16,
    control_port: u16,
    dir: PathBuf,
    config: TgtdConfig,
}

impl Tgtd {
    /// Starts tgtd on 127.0.0.1 and a free port, and configures the target.
    pub fn start(config: TgtdConfig) -> Result<Self> {
        if !installed("tgtd") || !installed("tgtadm") {
            bail!("tgtd/tgtadm not found: run `cargo xtask peers`");
        }
        let port = free_loopback_port()?;
        let control_port = control_port_for(port);
        let dir = std::env::temp_dir().join(format!("rtgt-tgtd-{}-{port}", std::process::id()));
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let child = spawn_logged(
            Command::new("tgtd")
                .arg("-f")
                .args(["-C", &control_port.to_string()])
                .args(["--iscsi", &format!("portal=127.0.0.1:{port}")]),
            &dir.join("tgtd.log"),
        )?;
        let mut tgtd = Self {
            child,
            port,
            control_port,
            dir,
            config,
        };
        tgtd.wait_ready()?;
        tgtd.configure()?;
        Ok(tgtd)
    }

    /// The iSCSI port tgtd listens on, on 127.0.0.1 only.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `-C` control port given to tgtd and tgtadm.
    #[allow(dead_code)] // API for interoperability tests
    pub fn control_port(&self) -> u16 {
        self.control_port
    }

    /// `127.0.0.1:PORT`.
    pub fn portal(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The configuration tgtd was started with.
    #[allow(dead_code)] // API for interoperability tests
    pub fn config(&self) -> &TgtdConfig {
        &self.config
    }

    /// The sparse file backing LUN 1 (none with the `null` backing store).
    pub fn backing_file(&self) -> PathBuf {
        match &self.config.backing_dir {
            Some(d) => d.join(format!(
                "rtgt-tgtd-{}-{}-lun1.img",
                std::process::id(),
                self.port
            )),
            None => self.dir.join("lun1.img"),
        }
    }

    fn null_backing(&self) -> bool {
        self.config.bstype.as_deref() == Some("null")
    }

    /// tgtd's own output so far (for error messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("tgtd.log")).unwrap_or_default()
    }

    /// A `tgtadm` command aimed at this tgtd (`-C N --lld iscsi`); add the rest.
    pub fn tgtadm(&self) -> Command {
        let mut command = Command::new("tgtadm");
        command
            .args(["-C", &self.control_port.to_string()])
            .args(["--lld", "iscsi"]);
        command
    }

    /// Runs `tgtadm -C N --lld iscsi ARGS`, printing it first.
    pub fn tgtadm_run(&self, args: &[&str]) -> Result<()> {
        let mut command = self.tgtadm();
        command.args(args);
        run_shown(&mut command)
    }

    /// Waits until tgtd answers on its control port and reports our portal.
    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let wanted = format!("Portal: {}", self.portal());
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("tgtd exited early ({status}); its log:\n{}", self.log());
            }
            let out = self
                .tgtadm()
                .args(["--mode", "portal", "--op", "show"])
                .stderr(Stdio::null())
                .output()?;
            if out.status.success() && String::from_utf8_lossy(&out.stdout).contains(&wanted) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "tgtd did not bring up {} within {READY_TIMEOUT:?}; its log:\n{}",
                    self.portal(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn configure(&self) -> Result<()> {
        let tid = TID.to_string();
        let lun = LUN.to_string();
        let config = &self.config;
        self.tgtadm_run(&[
            "--mode",
            "target",
            "--op",
            "new",
            "--tid",
            &tid,
            "--targetname",
            &config.target_iqn,
        ])?;
        let backing = if self.null_backing() {
            PathBuf::from("/dev/null")
        } else {
            let backing = self.backing_file();
            File::create(&backing)
                .and_then(|file| file.set_len(config.lun_bytes))
                .with_context(|| format!("creating sparse {}", backing.display()))?;
            backing
        };
        let mut lu = vec![
            "--mode",
            "logicalunit",
            "--op",
            "new",
            "--tid",
            &tid,
            "--lun",
            &lun,
            "--backing-store",
            path_str(&backing)?,
        ];
        if let Some(bstype) = &config.bstype {
            lu.extend(["--bstype", bstype]);
        }
        self.tgtadm_run(&lu)?;
        for address in &config.initiator_addresses {
            self.tgtadm_run(&[
                "--mode",
                "target",
                "--op",
                "bind",
                "--tid",
                &tid,
                "--initiator-address",
                address,
            ])?;
        }
        for (name, value) in &config.params {
            self.tgtadm_run(&[
                "--mode", "target", "--op", "update", "--tid", &tid, "--name", name, "--value",
                value,
            ])?;
        }
        for (chap, outgoing) in [(&config.incoming, false), (&config.outgoing, true)] {
            let Some(chap) = chap else { continue };
            self.tgtadm_run(&[
                "--mode",
                "account",
                "--op",
                "new",
                "--user",
                &chap.user,
                "--password",
                &chap.secret,
            ])?;
            let mut bind = vec!["--mode", "account", "--op", "bind", "--user", &chap.user];
            if outgoing {
                bind.push("--outgoing");
            }
            if config.discovery_auth {
                // Without --tid, tgtadm binds the account to discovery sessions.
                self.tgtadm_run(&bind)?;
            }
            bind.extend(["--tid", &tid]);
            self.tgtadm_run(&bind)?;
        }
        Ok(())
    }
}

impl Drop for Tgtd {
    fn drop(&mut self) {
        crate::process::kill_daemon(&mut self.child, "tgtd");
        let _ = fs::remove_dir_all(&self.dir);
        if self.config.backing_dir.is_some() && !self.null_backing() {
            let _ = fs::remove_file(self.backing_file());
        }
    }
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

/// Where free ports are looked for: below Linux's default ephemeral range
/// (32768-60999), so the kernel never gives one to an outgoing connection
/// between the moment it is found free and the moment a daemon binds it.
const PEER_PORTS: std::ops::Range<u16> = 20000..32768;

/// The next port of [`PEER_PORTS`] this process tries.
static NEXT_PORT: AtomicU32 = AtomicU32::new(0);

/// A port on 127.0.0.1 that nothing listens on, for a daemon to bind.
/// Each process starts at its own place in [`PEER_PORTS`] and never hands
/// the same port out twice.
pub fn free_loopback_port() -> Result<u16> {
    let span = u32::from(PEER_PORTS.end - PEER_PORTS.start);
    let start = std::process::id().wrapping_mul(7919) % span;
    for _ in 0..span {
        let n = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
        let port = PEER_PORTS.start + u16::try_from((start + n) % span)?;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free port on 127.0.0.1 in {PEER_PORTS:?}: stop the daemons left running")
}

/// tgtd's control "port" names its IPC socket (`/var/run/tgtd/socket.N`) and is
/// a signed 16-bit number; derive one from the iSCSI port, away from 0 (the
/// system tgtd's).
fn control_port_for(port: u16) -> u16 {
    1000 + port % 30000
}

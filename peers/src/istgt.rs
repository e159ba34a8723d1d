//! A throwaway instance of Debian's istgt (the FreeBSD-born userspace
//! target), for the conformance suite and interoperability tests.
//!
//! [`Istgt::start`] writes an `istgt.conf` and an `auth.conf` into a
//! temporary folder, runs `istgt -D` (in the foreground) on a free loopback
//! port, and waits until the portal accepts connections. The one target is
//! `<node base>:<name>` with LUN 0 backed by a sparse temporary file, open
//! to every initiator name from the configured addresses (127.0.0.1 unless
//! told otherwise), and CHAP as configured. Dropping
//! the [`Istgt`] kills the daemon by its process id, waits for it and
//! removes the folder.
//!
//! istgt logs to syslog only; its stdout and stderr (startup lines) go to
//! `istgt.log` in the folder.
//!
//! istgt (0.4, 20111008) sleeps a second in every login that opens a new
//! session to a target, holding the lock of its connection table all the
//! while (`istgt_iscsi_drop_old_conns` in istgt_iscsi.c; task management
//! resets do the same in `istgt_iscsi_drop_all_conns`): it answers such a
//! first Login Request a second late, and takes one new session a second
//! however many come together. No `istgt.conf` key changes this; a run that
//! needs more new sessions a second starts several instances.

use crate::process::{installed, spawn_logged};
use crate::tgtd::{free_loopback_port, Chap};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// The LUN istgt serves the file on.
pub const LUN: u32 = 0;

/// How long istgt may take to bring its portal up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How CHAP is required of the initiator (istgt's `AuthMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IstgtAuth {
    /// `None`: no authentication.
    None,
    /// `Auto`: CHAP if the initiator offers it, else none.
    Auto,
    /// `CHAP`: CHAP required; mutual when the initiator asks for it.
    Chap,
    /// `CHAP Mutual`: mutual CHAP required.
    ChapMutual,
}

impl IstgtAuth {
    fn directive(self) -> &'static str {
        match self {
            IstgtAuth::None => "None",
            IstgtAuth::Auto => "Auto",
            IstgtAuth::Chap => "CHAP",
            IstgtAuth::ChapMutual => "CHAP Mutual",
        }
    }
}

/// What the one target looks like.
#[derive(Debug, Clone)]
pub struct IstgtConfig {
    /// istgt's `NodeBase`; the target's name is `<node_base>:<name>`.
    pub node_base: String,
    /// The target's `TargetName` under the node base.
    pub name: String,
    /// Size in bytes of the sparse file backing LUN 0 (512-byte blocks).
    pub lun_bytes: u64,
    /// Account the initiator proves it knows (istgt's `Auth` user and secret).
    pub incoming: Option<Chap>,
    /// Account the target proves it knows for mutual CHAP.
    pub outgoing: Option<Chap>,
    /// What the target requires of normal sessions.
    pub auth: IstgtAuth,
    /// What discovery sessions require (`DiscoveryAuthMethod`); with CHAP,
    /// the same accounts as normal sessions.
    pub discovery_auth: IstgtAuth,
    /// The initiator addresses allowed to log in (istgt's `Netmask` lines
    /// of the initiator group): addresses, `ADDR/BITS`, or `ALL` for every
    /// address (tgtadm's `-I ALL`).
    pub netmasks: Vec<String>,
}

impl IstgtConfig {
    /// A target open to 127.0.0.1 with no authentication and a 16 MiB LUN.
    pub fn new(node_base: &str, name: &str) -> Self {
        Self {
            node_base: node_base.to_owned(),
            name: name.to_owned(),
            lun_bytes: 16 << 20,
            incoming: None,
            outgoing: None,
            auth: IstgtAuth::None,
            discovery_auth: IstgtAuth::None,
            netmasks: vec!["127.0.0.1".to_owned()],
        }
    }

    /// The target's full iSCSI name.
    pub fn target_iqn(&self) -> String {
        format!("{}:{}", self.node_base, self.name)
    }
}

/// A running istgt; killed when dropped.
#[derive(Debug)]
pub struct Istgt {
    child: Child,
    port: u16,
    dir: PathBuf,
    config: IstgtConfig,
}

impl Istgt {
    /// Writes the configuration and starts istgt on 127.0.0.1 and a free port.
    pub fn start(config: IstgtConfig) -> Result<Self> {
        if !installed("istgt") {
            bail!("istgt not found: run `cargo xtask peers`");
        }
        if config.outgoing.is_some() && config.incoming.is_none() {
            bail!("istgt keeps the outgoing account beside an incoming one: give both");
        }
        let port = free_loopback_port()?;
        let control_port = free_loopback_port()?;
        let dir = std::env::temp_dir().join(format!("rtgt-istgt-{}-{port}", std::process::id()));
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let backing = dir.join("lun0.img");
        File::create(&backing)
            .and_then(|file| file.set_len(config.lun_bytes))
            .with_context(|| format!("creating sparse {}", backing.display()))?;
        fs::write(dir.join("auth.conf"), auth_conf(&config))?;
        let conf = dir.join("istgt.conf");
        fs::write(&conf, istgt_conf(&config, &dir, port, control_port)?)?;
        let child = spawn_logged(
            Command::new("istgt").arg("-D").arg("-c").arg(&conf),
            &dir.join("istgt.log"),
        )?;
        let mut istgt = Self {
            child,
            port,
            dir,
            config,
        };
        istgt.wait_ready()?;
        Ok(istgt)
    }

    /// The iSCSI port istgt listens on, on 127.0.0.1 only.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn portal(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// istgt's process (it runs in the foreground, `-D`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The target's full iSCSI name.
    pub fn target_iqn(&self) -> String {
        self.config.target_iqn()
    }

    /// istgt's own output so far (for error messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("istgt.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<()> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let dir = self.dir.clone();
        crate::process::wait_listening(&mut self.child, "istgt", addr, READY_TIMEOUT, move || {
            fs::read_to_string(dir.join("istgt.log")).unwrap_or_default()
        })
    }
}

impl Drop for Istgt {
    fn drop(&mut self) {
        println!("istgt: stopping pid {}", self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Quotes a value for istgt's configuration syntax.
fn quoted(value: &str) -> Result<String> {
    if value.contains(['"', '\n', '\\']) {
        bail!("{value:?}: istgt's configuration cannot hold quotes, backslashes or line breaks");
    }
    Ok(format!("\"{value}\""))
}

fn auth_conf(config: &IstgtConfig) -> String {
    let mut text = String::from("[AuthGroup1]\n  Comment \"rtgt\"\n");
    if let Some(incoming) = &config.incoming {
        let _ = write!(text, "  Auth \"{}\" \"{}\"", incoming.user, incoming.secret);
        if let Some(outgoing) = &config.outgoing {
            let _ = write!(text, " \"{}\" \"{}\"", outgoing.user, outgoing.secret);
        }
        text.push('\n');
    }
    text
}

fn istgt_conf(
    config: &IstgtConfig,
    dir: &std::path::Path,
    port: u16,
    uc_port: u16,
) -> Result<String> {
    let dir_text = dir
        .to_str()
        .with_context(|| format!("{} is not UTF-8", dir.display()))?;
    for account in [&config.incoming, &config.outgoing].into_iter().flatten() {
        quoted(&account.user)?;
        quoted(&account.secret)?;
    }
    let mut netmasks = String::new();
    for netmask in &config.netmasks {
        if netmask.is_empty() || netmask.contains(char::is_whitespace) {
            bail!("{netmask:?}: give an address, ADDR/BITS or ALL as an istgt netmask");
        }
        let _ = writeln!(netmasks, "  Netmask {netmask}");
    }
    let (auth_group, discovery_group) = if config.incoming.is_some() {
        (
            "  AuthGroup AuthGroup1\n",
            "  DiscoveryAuthGroup AuthGroup1\n",
        )
    } else {
        ("", "")
    };
    // The unit controller (istgtcontrol's port) is required by istgt; it
    // gets its own free loopback port and mutual CHAP with no account, so
    // nobody can use it.
    Ok(format!(
        "[Global]\n\
         \x20 NodeBase {node_base}\n\
         \x20 PidFile {dir_text}/istgt.pid\n\
         \x20 AuthFile {dir_text}/auth.conf\n\
         \x20 MediaDirectory {dir_text}\n\
         \x20 Timeout 30\n\
         \x20 NopInInterval 20\n\
         \x20 DiscoveryAuthMethod {discovery_auth}\n\
         {discovery_group}\
         \x20 MaxSessions 32\n\
         \x20 MaxConnections 4\n\
         [UnitControl]\n\
         \x20 AuthMethod CHAP Mutual\n\
         \x20 AuthGroup AuthGroup9999\n\
         \x20 Portal UC1 127.0.0.1:{uc_port}\n\
         \x20 Netmask 127.0.0.1\n\
         [PortalGroup1]\n\
         \x20 Portal DA1 127.0.0.1:{port}\n\
         [InitiatorGroup1]\n\
         \x20 InitiatorName \"ALL\"\n\
         {netmasks}\
         [LogicalUnit1]\n\
         \x20 TargetName {name}\n\
         \x20 Mapping PortalGroup1 InitiatorGroup1\n\
         \x20 AuthMethod {auth}\n\
         {auth_group}\
         \x20 UseDigest Auto\n\
         \x20 UnitType Disk\n\
         \x20 LUN0 Storage {dir_text}/lun0.img {mb}MB\n",
        node_base = quoted(&config.node_base)?,
        name = quoted(&config.name)?,
        auth = config.auth.directive(),
        discovery_auth = config.discovery_auth.directive(),
        mb = config.lun_bytes.div_ceil(1 << 20),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_names_the_lun_and_the_accounts() {
        let mut config = IstgtConfig::new("iqn.2024-01.org.rtgt.istgt", "disk");
        config.incoming = Some(Chap::new("user", "incoming-secret"));
        config.outgoing = Some(Chap::new("target", "outgoing-secret"));
        config.auth = IstgtAuth::Chap;
        config.discovery_auth = IstgtAuth::Chap;
        let conf = istgt_conf(&config, std::path::Path::new("/tmp/x"), 3260, 3261).unwrap();
        assert!(conf.contains("  Portal DA1 127.0.0.1:3260\n"));
        assert!(conf.contains("  DiscoveryAuthMethod CHAP\n  DiscoveryAuthGroup AuthGroup1\n"));
        assert!(conf.contains("  AuthMethod CHAP\n  AuthGroup AuthGroup1\n"));
        assert!(conf.contains("  LUN0 Storage /tmp/x/lun0.img 16MB\n"));
        assert!(conf.contains("  InitiatorName \"ALL\"\n  Netmask 127.0.0.1\n[LogicalUnit1]"));
        assert_eq!(
            auth_conf(&config),
            "[AuthGroup1]\n  Comment \"rtgt\"\n  \
             Auth \"user\" \"incoming-secret\" \"target\" \"outgoing-secret\"\n"
        );
        assert_eq!(config.target_iqn(), "iqn.2024-01.org.rtgt.istgt:disk");
        config.netmasks = vec!["ALL".into()];
        let conf = istgt_conf(&config, std::path::Path::new("/tmp/x"), 3260, 3261).unwrap();
        assert!(conf.contains("  InitiatorName \"ALL\"\n  Netmask ALL\n[LogicalUnit1]"));
        config.netmasks = vec!["127.0.0.1 ALL".into()];
        assert!(istgt_conf(&config, std::path::Path::new("/tmp/x"), 1, 2).is_err());
        config.netmasks = vec!["ALL".into()];
        config.name = "a\"b".into();
        assert!(istgt_conf(&config, std::path::Path::new("/tmp/x"), 1, 2).is_err());
    }
}

//! The shape of `rtgt.toml`. Unknown keys are errors everywhere; see
//! `rtgt.example.toml` at the repository root for every key with comments.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::values::{Bounded, IscsiName, Network, Portal, Secret, Size};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Addresses to listen on; default `0.0.0.0:3260`.
    #[serde(default)]
    pub portals: Vec<Portal>,
    /// Target Portal Group Tag (RFC 7143 §13.9).
    #[serde(default = "one")]
    pub tpgt: Bounded<1, 65535>,
    /// `error`, `warn`, `info`, `debug` or `trace` (overridden by RUST_LOG
    /// and `--log-level`).
    pub log_level: Option<LogLevel>,
    /// Threads for the network and the engine; default 1 (one thread,
    /// no hand-off between threads on a command's path).
    pub worker_threads: Option<Bounded<1, 1024>>,
    /// Where persistent reservation state (APTPL) is kept, one file per
    /// LUN; default `/var/lib/rtgt`.
    pub state_dir: Option<PathBuf>,
    #[serde(default)]
    pub limits: LimitsToml,
    #[serde(default)]
    pub nop: NopToml,
    #[serde(default)]
    pub discovery: DiscoveryToml,
    /// Registration with an iSNS server (RFC 4171).
    pub isns: Option<IsnsToml>,
    /// Target port groups and their asymmetric access states (SPC-5).
    pub alua: Option<super::alua::AluaToml>,
    #[serde(default, rename = "target")]
    pub targets: Vec<Spanned<TargetToml>>,
    /// tgtadm's global accounts, oldest first: those bound to no target
    /// nor discovery, and the order `--op show --mode account` lists them
    /// in.
    #[serde(default, rename = "account")]
    pub accounts: Vec<Spanned<AccountToml>>,
    /// CHAP as tgtadm allows it: secrets shorter than 12 bytes, one secret
    /// in both directions, an outgoing account without incoming ones
    /// (RFC 7143 §12.1.3 advises against each; rtgtd warns).
    #[serde(default)]
    pub allow_weak_chap: bool,
    /// Rewrite this file after every change made through the control
    /// socket, keeping its comments and layout.
    #[serde(default)]
    pub persist: bool,
}

fn one() -> Bounded<1, 65535> {
    Bounded(1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Resource limits against hostile or broken initiators.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsToml {
    pub max_connections: Option<Bounded<1, 65536>>,
    /// Connections still logging in at once; past it the oldest of them
    /// is closed to admit a new one.
    pub max_prelogin_connections: Option<Bounded<1, 65536>>,
    /// The same per initiator IP address.
    pub max_prelogin_per_address: Option<Bounded<1, 65536>>,
    pub max_sessions: Option<Bounded<1, 65535>>,
    pub login_timeout_secs: Option<Bounded<1, 3600>>,
    /// Seconds from accept to the first Login Request.
    pub first_pdu_timeout_secs: Option<Bounded<1, 3600>>,
    pub max_outstanding_commands: Option<Bounded<1, 65536>>,
    pub max_buffered_bytes: Option<Size>,
    pub max_text_bytes: Option<Size>,
}

/// NOP-In pings of idle connections (RFC 7143 §11.19).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NopToml {
    /// Seconds without a PDU before a ping; 0 never pings.
    pub interval_secs: Option<Bounded<0, 3600>>,
    /// Seconds a ping may go unanswered before the connection is closed.
    pub timeout_secs: Option<Bounded<1, 3600>>,
}

/// Discovery sessions (SendTargets).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryToml {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub chap: ChapToml,
}

/// `[isns]`: the iSNS server rtgtd registers its targets and portals with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsnsToml {
    /// `host[:port]` (port 3205 when absent); tgt's `iSNSServerIP` and
    /// `iSNSServerPort` in one.
    pub server: String,
    /// The Entity Identifier; default the host name.
    pub entity_id: Option<String>,
    /// Seconds between keep-alive queries (shortened to half the
    /// registration period the server grants); default 60.
    pub keepalive_secs: Option<Bounded<1, 86400>>,
}

fn yes() -> bool {
    true
}

impl Default for DiscoveryToml {
    fn default() -> Self {
        DiscoveryToml {
            enabled: true,
            chap: ChapToml::default(),
        }
    }
}

/// CHAP accounts: several the initiators log in with, one the target
/// answers mutual CHAP with.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChapToml {
    #[serde(default)]
    pub incoming: Vec<Spanned<AccountToml>>,
    pub outgoing: Option<Spanned<AccountToml>>,
    /// Accepted algorithms: "md5", "sha1", "sha256", "sha3-256"; default all.
    #[serde(default)]
    pub algorithms: Vec<ChapAlg>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountToml {
    pub user: String,
    pub secret: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ChapAlg {
    #[serde(rename = "md5")]
    Md5,
    #[serde(rename = "sha1")]
    Sha1,
    #[serde(rename = "sha256")]
    Sha256,
    #[serde(rename = "sha3-256")]
    Sha3_256,
}

/// One target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetToml {
    pub iqn: Spanned<IscsiName>,
    /// tgtadm's target id (`--tid`); default the target's position in the
    /// file, from 1.
    pub tid: Option<Spanned<Bounded<1, 2_147_483_647>>>,
    /// A target as tgtadm makes it: LUN 0 is tgt's storage array
    /// controller, and no initiator is admitted until `allow_addresses`
    /// names its address ("ALL" admits any).
    #[serde(default)]
    pub tgt_compat: bool,
    pub alias: Option<String>,
    /// Initiator names allowed; empty allows all.
    #[serde(default)]
    pub allow_initiators: Vec<IscsiName>,
    /// Initiator addresses or networks allowed, or "ALL"; empty allows all
    /// (none with `tgt_compat`).
    #[serde(default)]
    pub allow_addresses: Vec<Network>,
    #[serde(default)]
    pub chap: ChapToml,
    #[serde(default)]
    pub session: SessionToml,
    /// Logins naming this target are sent elsewhere (RFC 7143 §11.13.5):
    /// `redirect = { address = "192.0.2.7:3260,1" }`.
    pub redirect: Option<RedirectToml>,
    #[serde(default)]
    pub lun: Vec<Spanned<LunToml>>,
}

/// Where a moved target now is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectToml {
    /// The TargetAddress sent: `host[:port][,portal-group-tag]` (RFC 7143
    /// §13.8), an IPv6 address in brackets.
    pub address: String,
    /// Moved permanently (0x0102) rather than temporarily (0x0101).
    #[serde(default)]
    pub permanent: bool,
}

/// What a target accepts in negotiation (RFC 7143 §13).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionToml {
    /// §13.12.
    pub max_recv_data_segment_length: Option<Bounded<512, 16_777_215>>,
    /// §13.13.
    pub max_burst_length: Option<Bounded<512, 16_777_215>>,
    /// §13.14.
    pub first_burst_length: Option<Bounded<512, 16_777_215>>,
    /// §13.17.
    pub max_outstanding_r2t: Option<Bounded<1, 65535>>,
    /// §13.2.
    pub max_connections: Option<Bounded<1, 65535>>,
    /// §13.10.
    pub initial_r2t: Option<bool>,
    /// §13.11.
    pub immediate_data: Option<bool>,
    /// §13.1: accepted header digests in order of preference.
    pub header_digest: Option<Vec<Digest>>,
    /// §13.1: accepted data digests in order of preference.
    pub data_digest: Option<Vec<Digest>>,
    /// Commands in flight per session (the CmdSN window).
    pub queue_depth: Option<Bounded<1, 65536>>,
    /// §13.15.
    pub default_time2wait: Option<Bounded<0, 3600>>,
    /// §13.16.
    pub default_time2retain: Option<Bounded<0, 3600>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Digest {
    #[serde(rename = "None")]
    None,
    #[serde(rename = "CRC32C")]
    Crc32c,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackstoreKind {
    Ram,
    File,
    Block,
    Null,
    /// A file on a GlusterFS volume through libgfapi.
    Glfs,
}

/// One logical unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LunToml {
    /// LUN number (SAM-5 §4.7: peripheral below 256, flat up to 16383).
    pub lun: Bounded<0, 16383>,
    pub backstore: BackstoreKind,
    /// File or device (file and block backstores); for glfs the path
    /// inside `volume`, or `gluster://host[:port]/volume/path`, or tgt's
    /// `volume@host:path`.
    pub path: Option<PathBuf>,
    /// The gluster volume (glfs backstore).
    pub volume: Option<String>,
    /// Gluster volfile servers (glfs backstore): "host", "host:24007" or
    /// "unix:/run/glusterd.socket", tried in order.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Capacity; a file is created or extended to it, a device must be at
    /// least this large. Required for ram and null.
    pub size: Option<Size>,
    /// Logical block size: 512 or 4096.
    #[serde(default = "bs512")]
    pub block_size: Bounded<512, 4096>,
    /// Physical block size in bytes, a power-of-two multiple of the
    /// logical block (READ CAPACITY (16) LOGICAL BLOCKS PER PHYSICAL BLOCK
    /// EXPONENT); default 4096.
    pub physical_block_size: Option<Size>,
    /// The most bytes per second a SANITIZE writes or deallocates, so that
    /// a sanitize in the background leaves the storage to other LUNs
    /// (e.g. "64M"); unlimited when absent.
    pub sanitize_rate: Option<Size>,
    #[serde(default)]
    pub read_only: bool,
    /// Unit serial number (VPD page 80h); derived from the IQN and LUN when
    /// absent.
    pub serial: Option<String>,
    /// Thin provisioning (UNMAP punches holes); default true for ram and
    /// file, false for block and null.
    pub thin: Option<bool>,
    /// O_DIRECT for file and block backstores.
    #[serde(default)]
    pub direct: bool,
    /// A removable medium (RMB one): START STOP UNIT ejects and loads it,
    /// PREVENT ALLOW MEDIUM REMOVAL locks it.
    #[serde(default)]
    pub removable: bool,
}

fn bs512() -> Bounded<512, 4096> {
    Bounded(512)
}

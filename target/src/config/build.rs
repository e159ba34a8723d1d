//! From a checked file to the core's configuration and opened backstores.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rtgt_proto::chap::ChapAlgorithm;
use rtgt_proto::text::DigestKind;
use rtgt_scsi::{Backstore, BlockSize, Disk, DiskConfig, LunMap, NullBackstore, RamBackstore};

use toml::Spanned;

use super::schema::{AccountToml, BackstoreKind, ChapAlg, ChapToml, Digest, LunToml, TargetToml};
use super::values::Secret;
use super::{Config, ConfigError};
use crate::backstore::{FileBackstore, FileOptions, GlfsBackstore, GlfsOptions};
use crate::core::{
    AuthConfig, ChapAccount, Limits, NopConfig, PortalGroupConfig, SessionLimits, TargetConfig,
    TargetId,
};

/// What the daemon runs: the core's configuration, the backend of each
/// LUN (by target id, as the core numbers the targets, and LUN number) and the addresses to listen on.
#[derive(Debug)]
pub struct Built {
    pub group: PortalGroupConfig,
    pub luns: BTreeMap<(TargetId, u16), LunBackend>,
    pub listen: Vec<SocketAddr>,
    pub log_level: Option<&'static str>,
    pub worker_threads: Option<usize>,
    /// The iSNS server to register with, from `[isns]`.
    pub isns: Option<IsnsSettings>,
    /// What tgtadm's view holds beyond the core's configuration.
    pub admin: AdminSeed,
    /// The file it was read from, for `rtgtadm --dump` and `persist`.
    pub source: Option<Source>,
}

/// `[isns]` checked: where the server is and how to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsnsSettings {
    /// `host:port`, resolved when connecting.
    pub server: String,
    pub entity_id: String,
    pub keepalive: std::time::Duration,
}

/// tgtadm's view of the file's targets and accounts.
#[derive(Debug, Clone, Default)]
pub struct AdminSeed {
    /// Per target, in the file's order (the core's ids 1, 2, ...).
    pub targets: Vec<TargetSeed>,
    /// `[[account]]`: tgtadm's accounts, oldest first.
    pub accounts: Vec<Account>,
    /// `discovery.chap`'s accounts.
    pub discovery: Vec<Account>,
}

/// A CHAP account as written in the file.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: String,
    pub secret: Secret,
    /// The target's account for mutual CHAP.
    pub outgoing: bool,
}

/// The incoming accounts of `c`, then its outgoing one.
fn accounts_of(c: &ChapToml) -> Vec<Account> {
    let acc = |a: &Spanned<AccountToml>, outgoing| Account {
        user: a.get_ref().user.clone(),
        secret: a.get_ref().secret.clone(),
        outgoing,
    };
    c.incoming
        .iter()
        .map(|a| acc(a, false))
        .chain(c.outgoing.iter().map(|a| acc(a, true)))
        .collect()
}

/// One target as tgtadm shows it.
#[derive(Debug, Clone, Default)]
pub struct TargetSeed {
    pub tid: i32,
    pub tgt_compat: bool,
    /// `allow_addresses` as written.
    pub addresses: Vec<String>,
    /// Each LUN's file and whether it is opened with O_DIRECT.
    pub luns: BTreeMap<u16, (Option<String>, bool)>,
    /// `chap`'s accounts.
    pub chap: Vec<Account>,
}

/// A configuration file's path and text (which holds CHAP secrets, so
/// its Debug output hides it).
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: Secret,
    pub persist: bool,
}

/// What the daemon needs to run one LUN's backstore requests.
#[derive(Debug, Clone)]
pub struct LunBackend {
    pub store: Arc<dyn Backstore>,
    /// Where the LUN's persistent reservation state (APTPL) is stored (a
    /// LUN offering APTPL must have one).
    pub state_file: Option<PathBuf>,
    /// The most bytes per second its background requests (SANITIZE) run
    /// at; `None`: unlimited.
    pub sanitize_rate: Option<u64>,
}

impl LunBackend {
    /// A backend with no state file and no pacing.
    pub fn new(store: Arc<dyn Backstore>) -> Self {
        LunBackend {
            store,
            state_file: None,
            sanitize_rate: None,
        }
    }
}

pub(super) fn build(cfg: &Config) -> Result<Built, ConfigError> {
    let f = &cfg.file;
    let listen: Vec<SocketAddr> = if f.portals.is_empty() {
        vec![SocketAddr::from(([0, 0, 0, 0], 3260))]
    } else {
        f.portals.iter().map(|p| p.0).collect()
    };
    // SendTargets reports the listening addresses, unless one is a wildcard:
    // then the address each connection came in on (an empty list).
    let portals = if listen.iter().any(|a| a.ip().is_unspecified()) {
        Vec::new()
    } else {
        listen.clone()
    };
    let d = Limits::default();
    let l = &f.limits;
    let limits = Limits {
        max_connections: l
            .max_connections
            .map_or(d.max_connections, |v| v.u64() as usize),
        max_prelogin_connections: l
            .max_prelogin_connections
            .map_or(d.max_prelogin_connections, |v| v.u64() as usize),
        max_prelogin_per_address: l
            .max_prelogin_per_address
            .map_or(d.max_prelogin_per_address, |v| v.u64() as usize),
        max_sessions: l.max_sessions.map_or(d.max_sessions, |v| v.u64() as usize),
        login_timeout: l
            .login_timeout_secs
            .map_or(d.login_timeout, |v| Duration::from_secs(v.u64())),
        first_pdu_timeout: l
            .first_pdu_timeout_secs
            .map_or(d.first_pdu_timeout, |v| Duration::from_secs(v.u64())),
        max_outstanding_commands: l
            .max_outstanding_commands
            .map_or(d.max_outstanding_commands, |v| v.u64() as usize),
        max_buffered_bytes: l
            .max_buffered_bytes
            .map_or(d.max_buffered_bytes, |v| v.0 as usize),
        max_text_bytes: l.max_text_bytes.map_or(d.max_text_bytes, |v| v.0 as usize),
    };
    let dn = NopConfig::default();
    let nop = NopConfig {
        interval: match f.nop.interval_secs {
            None => dn.interval,
            Some(v) if v.0 == 0 => None,
            Some(v) => Some(Duration::from_secs(v.u64())),
        },
        timeout: f
            .nop
            .timeout_secs
            .map_or(dn.timeout, |v| Duration::from_secs(v.u64())),
    };
    let state_dir = f
        .state_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(super::state::DEFAULT_STATE_DIR));
    let mut targets = Vec::new();
    let mut luns = BTreeMap::new();
    let mut admin = AdminSeed {
        targets: Vec::new(),
        accounts: f
            .accounts
            .iter()
            .map(|a| Account {
                user: a.get_ref().user.clone(),
                secret: a.get_ref().secret.clone(),
                outgoing: false,
            })
            .collect(),
        discovery: accounts_of(&f.discovery.chap),
    };
    for (ti, t) in f.targets.iter().enumerate() {
        let (target, backends) = build_target(cfg, t.get_ref(), &state_dir)?;
        targets.push(target);
        admin.targets.push(target_seed(t.get_ref(), ti));
        for (lun, backend) in backends {
            luns.insert((TargetId::from_position(ti), lun), backend);
        }
    }
    Ok(Built {
        group: PortalGroupConfig {
            tpgt: f.tpgt.u16(),
            portals,
            targets,
            discovery_enabled: f.discovery.enabled,
            discovery_auth: auth(&f.discovery.chap),
            limits,
            nop,
            relative_target_port: super::alua::AluaToml::relative_port(f.alua.as_ref()),
            alua: super::alua::AluaToml::build(f.alua.as_ref(), f.tpgt.u16()),
        },
        luns,
        listen,
        log_level: f.log_level.map(|l| l.as_str()),
        worker_threads: f.worker_threads.map(|v| v.u64() as usize),
        isns: f.isns.as_ref().map(isns_settings),
        admin,
        source: Some(Source {
            path: cfg.path.clone(),
            text: Secret(cfg.text.clone()),
            persist: f.persist,
        }),
    })
}

fn target_seed(t: &TargetToml, position: usize) -> TargetSeed {
    let default_tid = i32::try_from(position + 1).unwrap_or(i32::MAX);
    TargetSeed {
        tid: t.tid.as_ref().map_or(default_tid, |v| {
            i32::try_from(v.get_ref().0).unwrap_or(i32::MAX)
        }),
        tgt_compat: t.tgt_compat,
        addresses: t.allow_addresses.iter().map(|n| n.text.clone()).collect(),
        chap: accounts_of(&t.chap),
        luns: t
            .lun
            .iter()
            .map(|l| {
                let l = l.get_ref();
                let path = match l.backstore {
                    // A glfs lun shows its path as written, as tgtd shows
                    // bs_glfs's `volume@host:path`.
                    BackstoreKind::File | BackstoreKind::Block | BackstoreKind::Glfs => {
                        l.path.as_ref().map(|p| p.display().to_string())
                    }
                    BackstoreKind::Ram | BackstoreKind::Null => None,
                };
                (l.lun.u16(), (path, l.direct))
            })
            .collect(),
    }
}

type LunBackends = Vec<(u16, LunBackend)>;

fn build_target(
    cfg: &Config,
    t: &TargetToml,
    state_dir: &Path,
) -> Result<(TargetConfig, LunBackends), ConfigError> {
    let iqn = &t.iqn.get_ref().0;
    let mut luns = LunMap::new();
    let mut backends: LunBackends = Vec::new();
    for l in &t.lun {
        let n = l.get_ref().lun.u16();
        let sanitize_rate = l.get_ref().sanitize_rate.map(|r| r.0);
        if sanitize_rate == Some(0) {
            let msg = "sanitize_rate must be at least one byte per second: remove it for no limit";
            return Err(cfg.error(l.span(), msg));
        }
        let (mut disk, store) =
            build_lun(iqn, l.get_ref()).map_err(|msg| cfg.error(l.span(), &msg))?;
        // SPC-5 §5.14.5: reservations saved with APTPL are restored.
        let state = super::state::state_file(state_dir, iqn, n);
        if let Some(pr) = super::state::load(&state).map_err(|msg| cfg.error(l.span(), &msg))? {
            disk.restore_reservations(pr);
        }
        luns.insert(n, disk);
        backends.push((
            n,
            LunBackend {
                store,
                state_file: Some(state),
                sanitize_rate,
            },
        ));
    }
    let s = &t.session;
    let d = SessionLimits::default();
    let digests = |v: &Option<Vec<Digest>>, def: &Vec<DigestKind>| {
        v.as_ref().map_or_else(
            || def.clone(),
            |v| {
                v.iter()
                    .map(|d| match d {
                        Digest::None => DigestKind::None,
                        Digest::Crc32c => DigestKind::Crc32c,
                    })
                    .collect()
            },
        )
    };
    let session = SessionLimits {
        max_recv_data_segment_length: s
            .max_recv_data_segment_length
            .map_or(d.max_recv_data_segment_length, |v| v.u32()),
        max_burst_length: s.max_burst_length.map_or(d.max_burst_length, |v| v.u32()),
        first_burst_length: s
            .first_burst_length
            .map_or(d.first_burst_length, |v| v.u32()),
        max_outstanding_r2t: s
            .max_outstanding_r2t
            .map_or(d.max_outstanding_r2t, |v| v.u16()),
        max_connections: s.max_connections.map_or(d.max_connections, |v| v.u16()),
        initial_r2t: s.initial_r2t.unwrap_or(d.initial_r2t),
        immediate_data: s.immediate_data.unwrap_or(d.immediate_data),
        header_digests: digests(&s.header_digest, &d.header_digests),
        data_digests: digests(&s.data_digest, &d.data_digests),
        queue_depth: s.queue_depth.map_or(d.queue_depth, |v| v.u32()),
        default_time2wait: s.default_time2wait.map_or(d.default_time2wait, |v| v.u16()),
        default_time2retain: s
            .default_time2retain
            .map_or(d.default_time2retain, |v| v.u16()),
    };
    let mut target = TargetConfig::new(iqn, luns);
    target.alias = t.alias.clone();
    target.allowed_initiators = t.allow_initiators.iter().map(|n| n.0.clone()).collect();
    // "ALL" admits any address: the core's empty list.
    target.allowed_networks = if t.allow_addresses.iter().any(|n| n.cidr.is_none()) {
        Vec::new()
    } else {
        t.allow_addresses.iter().filter_map(|n| n.cidr).collect()
    };
    target.auth = auth(&t.chap);
    target.session = session;
    target.redirect = t.redirect.as_ref().map(|r| crate::core::Redirect {
        address: r.address.clone(),
        permanent: r.permanent,
    });
    Ok((target, backends))
}

/// A stable number for a LUN: FNV-1a of the target name and LUN number, so
/// identifiers survive reordering the file.
pub(crate) fn lun_id(iqn: &str, lun: u16) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in iqn.bytes().chain(lun.to_be_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The gluster file of a glfs lun: `volume`, `path` and `servers`, or a
/// `gluster://` URL or tgt's `volume@host:path` as `path`. `None` for other
/// backstores, which must not set `volume` or `servers`.
pub(crate) fn glfs_location(l: &LunToml) -> Result<Option<rtgt_glfs::Location>, String> {
    if l.backstore != BackstoreKind::Glfs {
        if l.volume.is_some() || !l.servers.is_empty() {
            return Err(
                "volume and servers are for glfs luns: remove them or set backstore = \"glfs\""
                    .into(),
            );
        }
        return Ok(None);
    }
    let Some(path) = &l.path else {
        return Ok(None);
    };
    let path = path
        .to_str()
        .ok_or("a glfs path must be UTF-8: rename the file")?;
    let mut servers = Vec::with_capacity(l.servers.len());
    for s in &l.servers {
        servers.push(rtgt_glfs::Server::parse(s)?);
    }
    match rtgt_glfs::parse_location(path) {
        Some(loc) => {
            let loc = loc?;
            if l.volume.is_some() || !servers.is_empty() {
                return Err(format!(
                    "path {path:?} names the volume and server: remove volume and servers"
                ));
            }
            Ok(Some(loc))
        }
        None => {
            let volume = l.volume.clone().ok_or(
                "a glfs lun needs a volume: add volume = \"vol0\" or use path = \"gluster://host/vol0/file\"",
            )?;
            if servers.is_empty() {
                return Err("a glfs lun needs servers: add servers = [\"gluster-host\"]".into());
            }
            Ok(Some(rtgt_glfs::Location {
                volume,
                path: format!("/{}", path.trim_start_matches('/')),
                servers,
            }))
        }
    }
}

fn build_lun(iqn: &str, l: &LunToml) -> Result<(Disk, Arc<dyn Backstore>), String> {
    let block_size = if l.block_size.0 == 4096 {
        BlockSize::B4096
    } else {
        BlockSize::B512
    };
    let bs = u64::from(block_size.bytes());
    let lun = l.lun.u16();
    let (store, thin): (Arc<dyn Backstore>, bool) = match (l.backstore, &l.path) {
        (BackstoreKind::Ram, _) => {
            let size = l.size.map_or(0, |s| s.0);
            (Arc::new(RamBackstore::new(size)), l.thin.unwrap_or(true))
        }
        (BackstoreKind::Null, _) => {
            let size = l.size.map_or(0, |s| s.0);
            let store = NullBackstore::new(size);
            let thin = l.thin.unwrap_or(false) && store.is_thin();
            (Arc::new(store), thin)
        }
        (BackstoreKind::Glfs, _) => {
            let loc = glfs_location(l)?.ok_or("this lun needs a path")?;
            let thin = l.thin.unwrap_or(true);
            let store = GlfsBackstore::open(&GlfsOptions {
                volume: loc.volume,
                path: loc.path,
                servers: loc.servers,
                size: l.size.map(|s| s.0),
                read_only: l.read_only,
                thin,
                block_size: block_size.bytes(),
            })?;
            (Arc::new(store), thin)
        }
        (kind, Some(path)) => {
            let thin = l.thin.unwrap_or(kind == BackstoreKind::File);
            let opts = FileOptions {
                size: l.size.map(|s| s.0),
                read_only: l.read_only,
                direct: l.direct,
                thin,
                block_size: block_size.bytes(),
            };
            if kind == BackstoreKind::Block {
                use std::os::unix::fs::FileTypeExt;
                let is_dev = std::fs::metadata(path)
                    .map(|m| m.file_type().is_block_device())
                    .unwrap_or(false);
                if !is_dev {
                    return Err(format!(
                        "{} is not a block device: use backstore = \"file\" for a regular file",
                        path.display()
                    ));
                }
            }
            let store = FileBackstore::open(path, &opts).map_err(|e| e.to_string())?;
            (Arc::new(store), thin)
        }
        (_, None) => return Err("this lun needs a path".into()),
    };
    let blocks = store.len() / bs;
    if blocks == 0 {
        return Err(format!(
            "the backstore holds less than one block of {bs} bytes: set a larger size"
        ));
    }
    let id = lun_id(iqn, lun);
    let serial = l
        .serial
        .clone()
        .unwrap_or_else(|| format!("RTGT{:012X}", id & 0xffff_ffff_ffff));
    let mut dc = DiskConfig::new(id, &serial, block_size, blocks)
        .thin(thin)
        .read_only(l.read_only)
        .removable(l.removable);
    if let Some(p) = l.physical_block_size {
        // Out of u32 range is refused by Disk::new as not a multiple.
        dc.physical_block_bytes = u32::try_from(p.0).unwrap_or(0);
    }
    let disk = Disk::new(dc).map_err(|e| e.to_string())?;
    Ok((disk, store))
}

/// `[isns]` with its defaults: port 3205, the host name as EID.
fn isns_settings(t: &super::schema::IsnsToml) -> IsnsSettings {
    let server = rtgt_proto::isns::server_addr(&t.server);
    let entity_id = t.entity_id.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "rtgtd".to_owned())
    });
    IsnsSettings {
        server,
        entity_id,
        keepalive: std::time::Duration::from_secs(t.keepalive_secs.map_or(60, |k| k.u64())),
    }
}

fn auth(c: &ChapToml) -> AuthConfig {
    let acc = |a: &super::schema::AccountToml| ChapAccount::new(&a.user, a.secret.0.as_bytes());
    AuthConfig {
        incoming: c.incoming.iter().map(|a| acc(a.get_ref())).collect(),
        outgoing: c.outgoing.as_ref().map(|a| acc(a.get_ref())),
        algorithms: c
            .algorithms
            .iter()
            .map(|a| match a {
                ChapAlg::Md5 => ChapAlgorithm::Md5,
                ChapAlg::Sha1 => ChapAlgorithm::Sha1,
                ChapAlg::Sha256 => ChapAlgorithm::Sha256,
                ChapAlg::Sha3_256 => ChapAlgorithm::Sha3_256,
            })
            .collect(),
    }
}

//! `rtgtd --demo`: one target with a RAM disk, no file needed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use rtgt_scsi::{BlockSize, Disk, DiskConfig, LunMap, RamBackstore};

use crate::config::{Built, LunBackend};
use crate::core::{
    AuthConfig, ChapAccount, NopConfig, PortalGroupConfig, Redirect, TargetConfig, TargetId,
};

/// The demo target's name.
pub const DEMO_IQN: &str = "iqn.2024-01.org.rtgt:demo";

/// The name of the demo's moved target (`--moved-target ADDR`).
pub const DEMO_MOVED_IQN: &str = "iqn.2024-01.org.rtgt:demo-moved";

/// What `--demo` serves.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// Size of the RAM disk in bytes.
    pub size: u64,
    /// Accounts initiators log in with (`--chap USER:SECRET`); CHAP is
    /// required when any is given.
    pub chap: Vec<(String, String)>,
    /// The target's account for mutual CHAP (`--mutual-chap USER:SECRET`).
    pub mutual_chap: Option<(String, String)>,
    /// Accounts for discovery sessions (`--discovery-chap USER:SECRET`).
    pub discovery_chap: Vec<(String, String)>,
    /// When the target pings idle connections (`--nop-interval SECS`).
    pub nop: NopConfig,
    /// The most connections a session may have (`--max-connections N`,
    /// RFC 7143 §13.2); 1 by default.
    pub max_connections: u16,
    /// The most R2Ts outstanding per task (`--max-outstanding-r2t N`,
    /// RFC 7143 §13.17); 1 by default.
    pub max_outstanding_r2t: u16,
    /// The disk's MAXIMUM TRANSFER LENGTH in bytes (`--max-transfer SIZE`,
    /// Block Limits VPD page); None keeps rtgt-scsi's 8 MiB.
    pub max_transfer: Option<u64>,
    /// With an address, a second target, [`DEMO_MOVED_IQN`], that has moved
    /// there: logins naming it are redirected (`--moved-target ADDR`,
    /// RFC 7143 §11.13.5, status 0x0101).
    pub moved_to: Option<String>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 3260))],
            size: 1 << 30,
            chap: Vec::new(),
            mutual_chap: None,
            discovery_chap: Vec::new(),
            nop: NopConfig::default(),
            max_connections: 1,
            max_outstanding_r2t: 1,
            max_transfer: None,
            moved_to: None,
        }
    }
}

fn accounts(list: &[(String, String)]) -> Vec<ChapAccount> {
    list.iter()
        .map(|(u, s)| ChapAccount::new(u, s.as_bytes()))
        .collect()
}

/// The demo's configuration: LUN 0, a thin RAM disk of 512-byte blocks.
pub fn demo(opts: &DemoOptions) -> Result<Built, rtgt_scsi::ConfigError> {
    let blocks = opts.size / 512;
    // The RAM disk's reservations cannot outlive the process: APTPL is not
    // offered (PTPL_C zero).
    let mut cfg = DiskConfig::new(1, "RTGTDEMO0001", BlockSize::B512, blocks)
        .thin(true)
        .persist(false);
    if let Some(bytes) = opts.max_transfer {
        cfg.max_transfer_blocks = (bytes / 512).clamp(1, u64::from(u32::MAX)) as u32;
    }
    let mut luns = LunMap::new();
    luns.insert(0, Disk::new(cfg)?);
    let mut target = TargetConfig::new(DEMO_IQN, luns);
    target.alias = Some("rtgt demo".into());
    target.session.max_connections = opts.max_connections.max(1);
    target.session.max_outstanding_r2t = opts.max_outstanding_r2t.max(1);
    target.auth = AuthConfig {
        incoming: accounts(&opts.chap),
        outgoing: opts
            .mutual_chap
            .as_ref()
            .map(|(u, s)| ChapAccount::new(u, s.as_bytes())),
        algorithms: Vec::new(),
    };
    let moved = opts.moved_to.as_ref().map(|address| {
        let mut t = TargetConfig::new(DEMO_MOVED_IQN, LunMap::new());
        t.redirect = Some(Redirect {
            address: address.clone(),
            permanent: false,
        });
        t
    });
    // The demo's RAM disk does not offer APTPL: nothing to store.
    let store = Arc::new(RamBackstore::new(blocks * 512));
    let luns = BTreeMap::from([((TargetId::from_position(0), 0), LunBackend::new(store))]);
    let portals = if opts.listen.iter().any(|a| a.ip().is_unspecified()) {
        Vec::new()
    } else {
        opts.listen.clone()
    };
    Ok(Built {
        group: PortalGroupConfig {
            portals,
            targets: std::iter::once(target).chain(moved).collect(),
            discovery_auth: AuthConfig {
                incoming: accounts(&opts.discovery_chap),
                ..AuthConfig::default()
            },
            nop: opts.nop,
            ..PortalGroupConfig::default()
        },
        luns,
        listen: opts.listen.clone(),
        log_level: None,
        worker_threads: None,
        isns: None,
        admin: Default::default(),
        source: None,
    })
}

//! `rtgtd --demo`: one target with a RAM disk (and, with `--luns N`, more
//! small ones), no file needed.

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
    /// How many LUNs (`--luns N`): LUN 0 of `size`, the others RAM disks
    /// of [`EXTRA_LUN_BYTES`].
    pub luns: u16,
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

/// The size of each LUN past LUN 0.
pub const EXTRA_LUN_BYTES: u64 = 64 << 20;

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 3260))],
            size: 1 << 30,
            chap: Vec::new(),
            mutual_chap: None,
            discovery_chap: Vec::new(),
            nop: NopConfig::default(),
            luns: 1,
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

/// The demo's configuration: LUN 0 (and the others), thin RAM disks of
/// 512-byte blocks.
pub fn demo(opts: &DemoOptions) -> Result<Built, rtgt_scsi::ConfigError> {
    // The RAM disk's reservations cannot outlive the process: APTPL is not
    // offered (PTPL_C zero).
    let mut luns = LunMap::new();
    let mut stores = BTreeMap::new();
    for lun in 0..opts.luns.max(1) {
        let bytes = if lun == 0 { opts.size } else { EXTRA_LUN_BYTES };
        let id = u64::from(lun) + 1;
        let mut cfg = DiskConfig::new(
            id,
            &format!("RTGTDEMO{id:04}"),
            BlockSize::B512,
            bytes / 512,
        )
        .thin(true)
        .persist(false);
        if let Some(max) = opts.max_transfer {
            cfg.max_transfer_blocks = (max / 512).clamp(1, u64::from(u32::MAX)) as u32;
        }
        luns.insert(lun, Disk::new(cfg)?);
        // The demo's RAM disks do not offer APTPL: nothing to store.
        let store = Arc::new(RamBackstore::new(bytes / 512 * 512));
        stores.insert((TargetId::from_position(0), lun), LunBackend::new(store));
    }
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
        luns: stores,
        listen: opts.listen.clone(),
        log_level: None,
        worker_threads: None,
        isns: None,
        admin: Default::default(),
        source: None,
    })
}

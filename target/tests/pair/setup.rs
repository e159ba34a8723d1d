//! Configurations for the pair, and questions about what happened.

use rtgt_initiator::{CloseReason as ICloseReason, Event as IEvent, InitiatorConfig, LoginError};
use rtgt_proto::pdu::Digests;
use rtgt_proto::text::{DigestKind, OperationalParams};
use rtgt_scsi::{BlockSize, Disk, DiskConfig, LunMap};
use rtgt_target::{Event as TEvent, PortalGroupConfig, SessionLimits, TargetConfig};

use super::Pair;

pub const TARGET: &str = "iqn.2024-01.org.rtgt:disk0";
pub const TARGET2: &str = "iqn.2024-01.org.rtgt:disk1";
pub const INITIATOR: &str = "iqn.2024-01.org.rtgt:host1";
pub const INITIATOR2: &str = "iqn.2024-01.org.rtgt:host2";
/// Blocks of 512 bytes on each test disk (4 MiB).
pub const BLOCKS: u64 = 8192;

/// A target with LUN 0, a RAM disk of [`BLOCKS`] blocks.
pub fn target(name: &str, id: u64) -> TargetConfig {
    let mut luns = LunMap::new();
    let disk = Disk::new(DiskConfig::new(
        id,
        &format!("SN{id:04}"),
        BlockSize::B512,
        BLOCKS,
    ))
    .expect("disk config");
    luns.insert(0, disk);
    TargetConfig::new(name, luns)
}

/// A portal group with one target, [`TARGET`].
pub fn one_target() -> PortalGroupConfig {
    PortalGroupConfig {
        portals: vec!["192.0.2.1:3260".parse().unwrap()],
        targets: vec![target(TARGET, 1)],
        ..PortalGroupConfig::default()
    }
}

/// A portal group with [`TARGET`] and [`TARGET2`].
pub fn two_targets() -> PortalGroupConfig {
    let mut c = one_target();
    c.targets.push(target(TARGET2, 2));
    c
}

/// A normal session from [`INITIATOR`] to [`TARGET`].
pub fn normal() -> InitiatorConfig {
    InitiatorConfig::normal(INITIATOR, TARGET)
}

/// `normal()` with operational keys set.
pub fn normal_with(keys: &[(&str, &str)]) -> InitiatorConfig {
    let mut c = normal();
    for (k, v) in keys {
        c.keys.set(k, v);
    }
    c
}

/// Logged in to [`one_target`] with both digests CRC32C (each way) and
/// `extra` keys; the unit attention taken.
pub fn with_digests(extra: &[(&str, &str)]) -> (Pair, usize) {
    with_digests_and(|_| {}, extra)
}

/// [`with_digests`] with the target's session limits changed by `f`.
pub fn with_digests_and(
    f: impl FnOnce(&mut SessionLimits),
    extra: &[(&str, &str)],
) -> (Pair, usize) {
    let mut cfg = one_target();
    f(&mut cfg.targets[0].session);
    let mut p = Pair::new(cfg);
    let mut keys = vec![
        ("HeaderDigest", "CRC32C,None"),
        ("DataDigest", "CRC32C,None"),
    ];
    keys.extend_from_slice(extra);
    let l = p.login(normal_with(&keys));
    assert_eq!(p.ini(l).digests(), Digests::BOTH);
    assert_eq!(p.ini(l).connection().receive_digests(), Digests::BOTH);
    p.clear_ua(l);
    (p, l)
}

impl Pair {
    /// Events of link `l` so far.
    pub fn events(&self, l: usize) -> &[IEvent] {
        &self.links[l].events
    }

    /// Takes the events of link `l` gathered so far.
    pub fn take_events(&mut self, l: usize) -> Vec<IEvent> {
        std::mem::take(&mut self.links[l].events)
    }

    /// The parameters in force on link `l` (from its LoginComplete).
    pub fn params(&self, l: usize) -> OperationalParams {
        self.links[l]
            .events
            .iter()
            .find_map(|e| match e {
                IEvent::LoginComplete { params, .. } => Some(*params),
                _ => None,
            })
            .expect("no LoginComplete")
    }

    /// The login error of link `l`.
    pub fn login_error(&self, l: usize) -> LoginError {
        self.links[l]
            .events
            .iter()
            .find_map(|e| match e {
                IEvent::LoginFailed(err) => Some(err.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no LoginFailed: {:#?}", self.links[l].events))
    }

    /// The login error of link `l`, if it has one.
    pub fn login_error_opt(&self, l: usize) -> Option<LoginError> {
        self.links[l].events.iter().find_map(|e| match e {
            IEvent::LoginFailed(err) => Some(err.clone()),
            _ => None,
        })
    }

    /// How link `l`'s session closed, if it did.
    pub fn closed_with(&self, l: usize) -> Option<ICloseReason> {
        self.links[l].events.iter().find_map(|e| match e {
            IEvent::Closed(r) => Some(r.clone()),
            _ => None,
        })
    }

    /// Whether link `l`'s connection is closed at both ends.
    pub fn link_closed(&self, l: usize) -> bool {
        self.links[l].is_closed()
    }

    /// Violations the initiators reported.
    pub fn violations(&self) -> Vec<(usize, &IEvent)> {
        self.links
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.events.iter().map(move |e| (i, e)))
            .filter(|(_, e)| matches!(e, IEvent::Violation(_)))
            .collect()
    }

    /// Target events matching `f`.
    pub fn target_saw(&self, f: impl Fn(&TEvent) -> bool) -> bool {
        self.target_events.iter().any(f)
    }

    /// Panics unless no initiator reported a violation and the target
    /// rejected or dropped nothing.
    pub fn assert_clean(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "violations: {v:#?}");
        let peer: Vec<_> = self
            .target_events
            .iter()
            .filter(|e| matches!(e, TEvent::PeerError { .. } | TEvent::LimitExceeded { .. }))
            .collect();
        assert!(peer.is_empty(), "target complaints: {peer:#?}");
    }
}

/// Digest kinds by name, for negotiation tables.
pub fn digest(kind: &str) -> DigestKind {
    match kind {
        "CRC32C" => DigestKind::Crc32c,
        _ => DigestKind::None,
    }
}

impl Pair {
    /// The PDUs link `l` carried going `dir` from transcript entry `from`
    /// on, as sent (before faults).
    pub fn pdus_since(&self, from: usize, l: usize, dir: super::Dir) -> Vec<&rtgt_proto::pdu::Pdu> {
        self.transcript
            .iter()
            .skip(from)
            .filter(|f| f.link == l && f.dir == dir)
            .filter_map(|f| f.pdu.as_ref())
            .collect()
    }

    /// How many PDUs with `opcode` link `l` carried going `dir` since
    /// transcript entry `from`.
    pub fn count_since(
        &self,
        from: usize,
        l: usize,
        dir: super::Dir,
        opcode: rtgt_proto::pdu::Opcode,
    ) -> usize {
        self.pdus_since(from, l, dir)
            .iter()
            .filter(|p| p.opcode() == opcode)
            .count()
    }

    /// A mark in the transcript, for `pdus_since`.
    pub fn mark(&self) -> usize {
        self.transcript.len()
    }
}

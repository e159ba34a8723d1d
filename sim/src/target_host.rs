//! The target host: a real `TargetCore` with real `rtgt_scsi::Disk`s whose
//! backstore requests run on [`SimDisk`]s. A crash drops the core and every
//! disk's memory; only what the simulated media made durable stays.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtgt_proto::text::DigestKind;
use rtgt_scsi::{BlockSize, Disk, DiskConfig, IoOp, IoRequest, LunMap};
use rtgt_target::{
    ChapAccount, ConnId, Event, IoTag, NopConfig, PortalGroupConfig, TargetConfig, TargetCore,
};

use crate::disk::SimDisk;
use crate::net::{DOWN, UP};
use crate::oracle::Oracle;
use crate::rng::Rng;
use crate::swarm::{ChapMode, Params};
use crate::trace::HostId;
use crate::world::{Ev, World};

/// The target's iSCSI name.
pub const TARGET_NAME: &str = "iqn.2024-01.org.rtgt.sim:disk";
/// The portal.
pub const PORTAL: &str = "10.0.0.1:3260";

/// The target host.
#[derive(Debug)]
pub struct TargetHost {
    pub core: Option<TargetCore>,
    /// Incarnation; bumped at each crash.
    pub gen: u64,
    /// LUN 0 thick, LUN 1 thin.
    pub disks: BTreeMap<u16, SimDisk>,
    /// Requests handed to the disks and not yet finished.
    pub inflight: BTreeMap<(u16, u64), IoOp>,
    blocks: u64,
    header_digest: bool,
    data_digest: bool,
    chap: ChapMode,
    initiators: usize,
}

/// The CHAP user and secret of initiator `i` (RFC 7143 §12.1.3).
pub fn chap_account(i: usize) -> (String, Vec<u8>) {
    (
        format!("host{i}"),
        format!("sim-secret-{i:06}").into_bytes(),
    )
}

/// The target's CHAP user and secret for mutual CHAP.
pub const TARGET_CHAP: (&str, &[u8]) = ("rtgt-sim-target", b"sim-target-secret");

/// The configuration of LUN `n` (0 thick, 1 thin).
fn lun_config(n: u16, blocks: u64) -> DiskConfig {
    DiskConfig::new(
        u64::from(n) + 1,
        &format!("SIM{n:04}"),
        BlockSize::B512,
        blocks,
    )
    .thin(n == 1)
}

/// An oracle that knows the LBPRZ bit each LUN reports in its READ
/// CAPACITY (16) data (SBC-4 §5.21.2).
pub fn oracle_for_luns(blocks: u64) -> Oracle {
    let mut o = Oracle::default();
    for n in [0u16, 1] {
        o.set_lbprz(
            n,
            rtgt_scsi::read_capacity16_data(&lun_config(n, blocks)).lbprz,
        );
    }
    o
}

struct Shape {
    blocks: u64,
    hd: bool,
    dd: bool,
    chap: ChapMode,
    initiators: usize,
}

fn build_core(s: &Shape, rng: &mut Rng) -> TargetCore {
    let (blocks, hd, dd) = (s.blocks, s.hd, s.dd);
    let mut luns = LunMap::new();
    for n in [0u16, 1] {
        if let Ok(d) = Disk::new(lun_config(n, blocks)) {
            luns.insert(n, d);
        }
    }
    let mut t = TargetConfig::new(TARGET_NAME, luns);
    let pref = |on: bool| {
        if on {
            vec![DigestKind::Crc32c, DigestKind::None]
        } else {
            vec![DigestKind::None, DigestKind::Crc32c]
        }
    };
    t.session.header_digests = pref(hd);
    t.session.data_digests = pref(dd);
    if s.chap != ChapMode::None {
        t.auth.incoming = (0..s.initiators)
            .map(|i| {
                let (user, secret) = chap_account(i);
                ChapAccount::new(&user, &secret)
            })
            .collect();
    }
    if s.chap == ChapMode::Mutual {
        t.auth.outgoing = Some(ChapAccount::new(TARGET_CHAP.0, TARGET_CHAP.1));
    }
    let cfg = PortalGroupConfig {
        portals: vec![PORTAL.parse().expect("portal address")],
        targets: vec![t],
        nop: NopConfig {
            interval: Some(Duration::from_secs(5)),
            timeout: Duration::from_secs(10),
        },
        ..PortalGroupConfig::default()
    };
    TargetCore::new(cfg, Box::new(rng.fork()))
}

impl TargetHost {
    /// The target of a run.
    pub fn new(p: &Params, rng: &mut Rng) -> Self {
        let mut disks = BTreeMap::new();
        disks.insert(0, SimDisk::new(p.lun_blocks, None));
        disks.insert(1, SimDisk::new(p.lun_blocks, Some(p.disk.thin_cap)));
        TargetHost {
            core: Some(build_core(
                &Shape {
                    blocks: p.lun_blocks,
                    hd: p.header_digest,
                    dd: p.data_digest,
                    chap: p.chap,
                    initiators: p.initiators,
                },
                rng,
            )),
            gen: 0,
            disks,
            inflight: BTreeMap::new(),
            blocks: p.lun_blocks,
            header_digest: p.header_digest,
            data_digest: p.data_digest,
            chap: p.chap,
            initiators: p.initiators,
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.as_ref().and_then(|c| c.poll_timeout())
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(c) = self.core.as_mut() {
            c.handle_timeout(now);
        }
    }

    pub fn handle_bytes(&mut self, link: u64, now: Instant, b: &[u8]) {
        if let Some(c) = self.core.as_mut() {
            c.handle_bytes(ConnId(link), now, b);
        }
    }

    pub fn handle_closed(&mut self, link: u64, now: Instant) {
        if let Some(c) = self.core.as_mut() {
            c.handle_closed(ConnId(link), now);
        }
    }

    pub fn rot(&mut self, lun: u16, rng: &mut Rng) {
        if let Some(d) = self.disks.get_mut(&lun) {
            d.rot(rng);
        }
    }
}

impl World {
    /// Drains the target core.
    pub(crate) fn pump_target(&mut self) -> bool {
        let mut progress = false;
        let gen = self.target.gen;
        loop {
            let Some(core) = self.target.core.as_mut() else {
                return progress;
            };
            if let Some((conn, parts)) = core.poll_transmit() {
                progress = true;
                let (bytes, op) = self.outgoing_pdu(&parts);
                self.trace
                    .record(self.now, HostId::Target, "tx-pdu", &bytes, || {
                        format!("link {} opcode {op:#04x} {} bytes", conn.0, bytes.len())
                    });
                self.send(conn.0, DOWN, &bytes);
                continue;
            }
            if let Some((tag, req)) = core.poll_io() {
                progress = true;
                self.stats.io_requests += 1;
                let lat = SimDisk::latency(&req.op, &self.p.disk, &mut self.disk_rng);
                self.target
                    .inflight
                    .insert((tag.lun, req.id.0), req.op.clone());
                self.trace
                    .record(self.now, HostId::Target, "io-submit", &[], || {
                        format!("lun {} id {} {:?}", tag.lun, req.id.0, op_name(&req.op))
                    });
                self.at(self.now + lat, Ev::IoDone { gen, tag, req });
                continue;
            }
            if let Some(ev) = core.poll_event() {
                progress = true;
                let line = format!("{ev:?}");
                self.trace
                    .record(self.now, HostId::Target, "event", line.as_bytes(), || {
                        line.clone()
                    });
                if let Event::PeerError { conn, what, .. } = &ev {
                    if what.contains("digest mismatch") {
                        self.digest_error_seen(conn.0, UP);
                    }
                }
                if let Event::Close { conn, .. } = ev {
                    // Write what was queued, then FIN; stop reading.
                    if let Some(l) = self.links.get_mut(&conn.0) {
                        l.pipes[UP].closed = true;
                    }
                    self.send_fin(conn.0, DOWN);
                    if let Some(c) = self.target.core.as_mut() {
                        c.handle_closed(conn, self.epoch + self.now);
                    }
                }
                continue;
            }
            return progress;
        }
    }

    pub(crate) fn io_done(&mut self, gen: u64, tag: IoTag, req: IoRequest) {
        if gen != self.target.gen || self.target.core.is_none() {
            return;
        }
        self.target.inflight.remove(&(tag.lun, req.id.0));
        let faulty = self.faulty();
        let calm = crate::swarm::DiskFaults {
            latency_us: self.p.disk.latency_us,
            ..crate::swarm::DiskFaults::calm()
        };
        let f = if faulty { &self.p.disk } else { &calm };
        let mut mis = Vec::new();
        // The disk the request runs on (another LUN's for a copy between LUNs).
        let on = req.backstore_lun(tag.lun);
        let result = match self.target.disks.get_mut(&on) {
            Some(d) => {
                let (events, at) = (&mut self.events, self.now);
                let mut allow = |what: &str| events.disk_fault(at, &format!("lun {on} {what}"));
                d.execute(&req.op, f, &mut self.disk_rng, &mut mis, &mut allow)
            }
            None => Err(rtgt_scsi::BackstoreError::Io),
        };
        for (token, intended, actual) in mis {
            self.stats.misdirected += 1;
            let t = self.tick();
            self.oracle.misdirected(on, token, intended, actual, t);
            self.trace
                .record(self.now, HostId::Target, "misdirect", &[], || {
                    format!("lun {on} lba {intended} -> {actual}")
                });
        }
        let r = &result;
        self.trace.record(
            self.now,
            HostId::Target,
            "io-done",
            match r {
                Ok(rtgt_scsi::IoData::Read(b)) => b,
                _ => &[],
            },
            || format!("lun {} id {} {:?}", tag.lun, req.id.0, r.as_ref().err()),
        );
        let now = self.instant();
        if let Some(c) = self.target.core.as_mut() {
            c.handle_io_complete(tag, result, now);
        }
    }

    pub(crate) fn target_crash(&mut self) {
        if self.target.core.is_none() || !self.faulty() {
            return;
        }
        self.stats.target_crashes += 1;
        self.trace
            .record(self.now, HostId::Target, "CRASH", &[], String::new);
        self.target.core = None;
        let old = self.target.gen;
        self.target.gen += 1;
        let inflight = std::mem::take(&mut self.target.inflight);
        let keep = self.p.disk.crash_keep;
        for (&lun, d) in self.target.disks.iter_mut() {
            let ops: Vec<IoOp> = inflight
                .iter()
                .filter(|((l, _), _)| *l == lun)
                .map(|(_, op)| op.clone())
                .collect();
            d.crash(&mut self.disk_rng, keep, &ops);
        }
        let t = self.tick();
        self.oracle.crash(t);
        self.pr.crash();
        self.ua.crash();
        for l in self.links.values_mut().filter(|l| l.target_gen == old) {
            l.pipes[UP].closed = true;
        }
        let down = Duration::from_millis(self.sched_rng.range(500, 20_000));
        self.at(self.now + down, Ev::TargetRestart);
    }

    pub(crate) fn target_restart(&mut self) {
        if self.target.core.is_some() {
            return;
        }
        self.trace
            .record(self.now, HostId::Target, "restart", &[], String::new);
        let t = &self.target;
        let shape = Shape {
            blocks: t.blocks,
            hd: t.header_digest,
            dd: t.data_digest,
            chap: t.chap,
            initiators: t.initiators,
        };
        self.target.core = Some(build_core(&shape, &mut self.core_rng));
        // The new incarnation answers any old connection's segment with RST.
        let gen = self.target.gen;
        let old: Vec<u64> = self
            .links
            .values()
            .filter(|l| l.target_gen != gen && !l.reset)
            .map(|l| l.id)
            .collect();
        for id in old {
            self.reset_link(id);
        }
    }

    /// A new connection from initiator `ini`; false when nobody listens.
    pub(crate) fn target_accept(&mut self, link: u64, ini: usize) -> bool {
        let peer: SocketAddr = format!("10.0.0.{}:{}", 10 + ini, 40000 + link % 20000)
            .parse()
            .expect("peer address");
        let now = self.instant();
        match self.target.core.as_mut() {
            Some(c) => {
                c.accept(ConnId(link), peer, PORTAL.parse().expect("portal"), now);
                true
            }
            None => false,
        }
    }
}

fn op_name(op: &IoOp) -> &'static str {
    match op {
        IoOp::Read { .. } => "read",
        IoOp::Write { fua: true, .. } => "write-fua",
        IoOp::Write { .. } => "write",
        IoOp::WriteZeroes { .. } => "write-zeroes",
        IoOp::Deallocate { .. } => "deallocate",
        IoOp::Flush => "flush",
        IoOp::Allocation { .. } => "allocation",
    }
}

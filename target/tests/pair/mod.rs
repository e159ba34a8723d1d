//! The `Pair` harness: a [`TargetCore`] and any number of [`Initiator`]s
//! joined by in-memory byte pipes, on virtual time, with RAM disks run
//! synchronously or held (a slow disk), byte-level faults and a transcript
//! of every frame. Deterministic: every random source is seeded.
//!
//! ```text
//! let mut p = Pair::new(one_target());
//! let l = p.login(InitiatorConfig::normal(INITIATOR, TARGET));
//! p.clear_ua(l);
//! p.write(l, 0, &data);  assert_eq!(p.read(l, 0, 8).data, data);
//! p.assert_clean();       // no violation, no peer error
//! ```
#![allow(dead_code, unused_imports)]

mod scsi;
mod setup;
mod tamper;

pub use scsi::*;
pub use setup::*;
pub use tamper::*;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtgt_initiator::{
    Event as IEvent, Initiator, InitiatorConfig, Phase, SeededRandom as IniRandom,
};
use rtgt_proto::pdu::{EncodedParts, Pdu, RawPdu, Role, BHS_LEN};
use rtgt_scsi::{IoRequest, RamBackstore};
use rtgt_target::{
    ConnId, Event as TEvent, IoTag, PortalGroupConfig, SeededRandom, TargetCore, TargetId,
};

/// One frame as a side sent it (before any fault), for transcripts.
#[derive(Debug, Clone)]
pub struct Frame {
    pub link: usize,
    pub dir: Dir,
    /// The PDU, when the frame decodes as one.
    pub pdu: Option<Pdu>,
    /// The bytes on the wire.
    pub len: usize,
}

/// One initiator and its connection to the target.
#[derive(Debug)]
pub struct Link {
    pub conn: ConnId,
    pub ini: Initiator,
    /// Every event the initiator gave, in order.
    pub events: Vec<IEvent>,
    /// Bytes written and not yet read, per direction.
    pipe_to_target: Vec<u8>,
    pipe_to_ini: Vec<u8>,
    /// One-shot faults, per direction.
    pub faults_to_target: Vec<Fault>,
    pub faults_to_ini: Vec<Fault>,
    pub split_to_target: Split,
    pub split_to_ini: Split,
    /// A stalled direction keeps its bytes until released: `Some(n)`
    /// delivers `n` more bytes, then holds the rest.
    stall_to_target: Option<usize>,
    stall_to_ini: Option<usize>,
    /// The initiator's side closed (it gave `Event::Closed`).
    ini_closed: bool,
    /// The target asked for the connection to be closed.
    target_closed: bool,
    /// Each side was told of the other's close.
    target_told: bool,
    ini_told: bool,
}

impl Link {
    /// Whether both ends are closed.
    pub fn is_closed(&self) -> bool {
        self.ini_told && self.target_told
    }
}

/// The harness. See the module docs.
#[derive(Debug)]
pub struct Pair {
    pub target: TargetCore,
    pub links: Vec<Link>,
    /// RAM disks by (target index, LUN).
    pub stores: BTreeMap<(TargetId, u16), RamBackstore>,
    /// Every event the target gave, in order.
    pub target_events: Vec<TEvent>,
    /// When set, backstore requests wait in `held_io` (a slow disk).
    pub hold_io: bool,
    pub held_io: Vec<(IoTag, IoRequest)>,
    /// Every frame both ways, in the order sent.
    pub transcript: Vec<Frame>,
    epoch: Instant,
    offset: Duration,
    seed: u64,
    mix: Mix,
}

impl Pair {
    /// A pair around a target core serving `cfg`, with seed 1.
    pub fn new(cfg: PortalGroupConfig) -> Pair {
        Pair::seeded(cfg, 1)
    }

    /// A pair whose every random source derives from `seed`.
    pub fn seeded(cfg: PortalGroupConfig, seed: u64) -> Pair {
        let mut stores = BTreeMap::new();
        for (i, t) in cfg.targets.iter().enumerate() {
            for lun in t.luns.luns() {
                let Some(n) = lun.index() else {
                    continue;
                };
                if let Some(d) = t.luns.disk(n) {
                    stores.insert(
                        (TargetId::from_position(i), n),
                        RamBackstore::new(d.config().size_bytes()),
                    );
                }
            }
        }
        Pair {
            target: TargetCore::new(cfg, Box::new(SeededRandom::new(seed))),
            links: Vec::new(),
            stores,
            target_events: Vec::new(),
            hold_io: false,
            held_io: Vec::new(),
            transcript: Vec::new(),
            epoch: Instant::now(),
            offset: Duration::ZERO,
            seed,
            mix: Mix(SeededRandom::new(seed ^ 0x5eed)),
        }
    }

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.epoch + self.offset
    }

    /// Virtual time since the pair was made.
    pub fn elapsed(&self) -> Duration {
        self.offset
    }

    /// A new initiator connected to the target (nothing sent yet, nothing
    /// run: the target may already want it closed).
    pub fn connect(&mut self, cfg: InitiatorConfig) -> usize {
        let n = self.links.len();
        let conn = ConnId(n as u64 + 1);
        let rnd = self.seed.wrapping_mul(0x100).wrapping_add(n as u64);
        let ini = Initiator::new(cfg, IniRandom::new(rnd));
        let peer: SocketAddr = format!("192.0.2.10:{}", 40000 + n).parse().unwrap();
        let local: SocketAddr = "192.0.2.1:3260".parse().unwrap();
        self.target.accept(conn, peer, local, self.now());
        self.links.push(Link {
            conn,
            ini,
            events: Vec::new(),
            pipe_to_target: Vec::new(),
            pipe_to_ini: Vec::new(),
            faults_to_target: Vec::new(),
            faults_to_ini: Vec::new(),
            split_to_target: Split::Whole,
            split_to_ini: Split::Whole,
            stall_to_target: None,
            stall_to_ini: None,
            ini_closed: false,
            target_closed: false,
            target_told: false,
            ini_told: false,
        });
        n
    }

    /// Connects and starts the login; runs until quiet. The outcome is in
    /// the link's events.
    pub fn start_login(&mut self, cfg: InitiatorConfig) -> usize {
        let l = self.connect(cfg);
        let now = self.now();
        self.links[l].ini.login(now).expect("login starts");
        self.run();
        l
    }

    /// Connects and logs in; panics with the events unless it succeeds.
    pub fn login(&mut self, cfg: InitiatorConfig) -> usize {
        let l = self.start_login(cfg);
        assert_eq!(
            self.links[l].ini.phase(),
            Phase::FullFeature,
            "login failed: initiator {:#?}\ntarget {:#?}",
            self.links[l].events,
            self.target_events
        );
        l
    }

    /// The initiator of link `l`.
    pub fn ini(&self, l: usize) -> &Initiator {
        &self.links[l].ini
    }

    /// The initiator of link `l`, to call it directly (then [`Pair::run`]).
    pub fn ini_mut(&mut self, l: usize) -> &mut Initiator {
        &mut self.links[l].ini
    }

    /// Adds a one-shot fault on the frames of link `l` going `dir`.
    pub fn fault(&mut self, l: usize, dir: Dir, when: Match, action: Action) {
        let f = Fault { when, action };
        match dir {
            Dir::ToTarget => self.links[l].faults_to_target.push(f),
            Dir::ToInitiator => self.links[l].faults_to_ini.push(f),
        }
    }

    /// Sets how reads of link `l` going `dir` are split.
    pub fn split(&mut self, l: usize, dir: Dir, split: Split) {
        match dir {
            Dir::ToTarget => self.links[l].split_to_target = split,
            Dir::ToInitiator => self.links[l].split_to_ini = split,
        }
    }

    /// Stalls (or releases) link `l` going `dir`: bytes wait in the pipe.
    pub fn stall(&mut self, l: usize, dir: Dir, stalled: bool) {
        let s = stalled.then_some(0);
        match dir {
            Dir::ToTarget => self.links[l].stall_to_target = s,
            Dir::ToInitiator => self.links[l].stall_to_ini = s,
        }
    }

    /// Puts `bytes` in the pipe of link `l` going `dir`, as if the sender
    /// had written them.
    pub fn inject(&mut self, l: usize, dir: Dir, bytes: &[u8]) {
        match dir {
            Dir::ToTarget => self.links[l].pipe_to_target.extend_from_slice(bytes),
            Dir::ToInitiator => self.links[l].pipe_to_ini.extend_from_slice(bytes),
        }
    }

    /// Bytes waiting in the pipe of link `l` going `dir`.
    pub fn pending(&self, l: usize, dir: Dir) -> usize {
        match dir {
            Dir::ToTarget => self.links[l].pipe_to_target.len(),
            Dir::ToInitiator => self.links[l].pipe_to_ini.len(),
        }
    }

    /// Runs both sides until nothing moves: bytes, backstore IO, closes.
    pub fn run(&mut self) {
        for _ in 0..1_000_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// One round of work; false when nothing moved.
    fn step(&mut self) -> bool {
        let now = self.now();
        let mut moved = false;
        // The target's output, its IO and events.
        while let Some((tag, io)) = self.target.poll_io() {
            moved = true;
            if self.hold_io {
                self.held_io.push((tag, io));
            } else {
                self.complete(tag, io);
            }
        }
        while let Some((conn, parts)) = self.target.poll_transmit() {
            moved = true;
            let Some(l) = self.links.iter().position(|k| k.conn == conn) else {
                continue;
            };
            self.record(l, Dir::ToInitiator, &parts);
            let link = &mut self.links[l];
            if link.target_closed {
                continue;
            }
            put(
                &mut link.faults_to_ini,
                &mut link.pipe_to_ini,
                &mut link.stall_to_ini,
                &parts,
            );
        }
        while let Some(ev) = self.target.poll_event() {
            moved = true;
            if let TEvent::Close { conn, .. } = &ev {
                if let Some(link) = self.links.iter_mut().find(|k| k.conn == *conn) {
                    link.target_closed = true;
                }
            }
            self.target_events.push(ev);
        }
        // Each initiator's output and events.
        for l in 0..self.links.len() {
            while let Some(parts) = self.links[l].ini.poll_transmit() {
                moved = true;
                self.record(l, Dir::ToTarget, &parts);
                let link = &mut self.links[l];
                put(
                    &mut link.faults_to_target,
                    &mut link.pipe_to_target,
                    &mut link.stall_to_target,
                    &parts,
                );
            }
            while let Some(ev) = self.links[l].ini.poll_event() {
                moved = true;
                if matches!(ev, IEvent::Closed(_)) {
                    self.links[l].ini_closed = true;
                }
                self.links[l].events.push(ev);
            }
        }
        // Deliver the pipes, then the closes behind them.
        for l in 0..self.links.len() {
            moved |= self.deliver(l, now);
        }
        moved
    }

    fn deliver(&mut self, l: usize, now: Instant) -> bool {
        let mut moved = false;
        let link = &mut self.links[l];
        let n = deliverable(link.pipe_to_target.len(), &mut link.stall_to_target);
        if n > 0 && !link.target_told {
            let bytes: Vec<u8> = link.pipe_to_target.drain(..n).collect();
            let split = link.split_to_target;
            let conn = link.conn;
            for chunk in chunks(&bytes, split, &mut self.mix) {
                self.target.handle_bytes(conn, now, chunk);
            }
            moved = true;
        }
        let link = &mut self.links[l];
        let n = deliverable(link.pipe_to_ini.len(), &mut link.stall_to_ini);
        if n > 0 && !link.ini_told {
            let bytes: Vec<u8> = link.pipe_to_ini.drain(..n).collect();
            let split = link.split_to_ini;
            for chunk in chunks(&bytes, split, &mut self.mix) {
                self.links[l].ini.handle_bytes(now, chunk);
            }
            moved = true;
        }
        // A close reaches the peer after the bytes written before it.
        let link = &mut self.links[l];
        if link.ini_closed && !link.target_told && link.pipe_to_target.is_empty() {
            link.target_told = true;
            link.ini_told = true;
            let conn = link.conn;
            self.target.handle_closed(conn, now);
            moved = true;
        }
        let link = &mut self.links[l];
        if link.target_closed && !link.ini_told && link.pipe_to_ini.is_empty() {
            link.ini_told = true;
            link.target_told = true;
            link.ini.close_local();
            let conn = link.conn;
            self.target.handle_closed(conn, now);
            moved = true;
        }
        moved
    }

    fn complete(&mut self, tag: IoTag, io: IoRequest) {
        let store = self
            .stores
            .get(&(tag.target, io.backstore_lun(tag.lun)))
            .expect("IO for a LUN without a store");
        let r = io.execute(store);
        let now = self.now();
        self.target.handle_io_complete(tag, r, now);
    }

    /// Runs the held backstore requests (and stops holding new ones).
    pub fn release_io(&mut self) {
        self.hold_io = false;
        for (tag, io) in std::mem::take(&mut self.held_io) {
            self.complete(tag, io);
        }
        self.run();
    }

    /// Runs the first `n` held backstore requests; later ones stay held.
    pub fn release_some(&mut self, n: usize) {
        let n = n.min(self.held_io.len());
        for (tag, io) in self.held_io.drain(..n).collect::<Vec<_>>() {
            self.complete(tag, io);
        }
        self.run();
    }

    /// The earliest deadline of either side.
    pub fn next_deadline(&self) -> Option<Instant> {
        let t = self.target.poll_timeout();
        let i = self
            .links
            .iter()
            .filter(|l| !l.ini_closed)
            .filter_map(|l| l.ini.poll_timeout());
        t.into_iter().chain(i).min()
    }

    /// Settles, then moves time to the earliest deadline and fires it.
    /// False when no side has a deadline.
    pub fn advance(&mut self) -> bool {
        self.run();
        let Some(at) = self.next_deadline() else {
            return false;
        };
        self.set_time(at);
        true
    }

    /// Lets `d` of virtual time pass, firing every deadline in between.
    pub fn advance_by(&mut self, d: Duration) {
        let end = self.now() + d;
        self.run();
        while let Some(at) = self.next_deadline().filter(|&at| at <= end) {
            self.set_time(at);
        }
        self.set_time(end);
    }

    fn set_time(&mut self, at: Instant) {
        if at > self.now() {
            self.offset = at - self.epoch;
        }
        let now = self.now();
        self.target.handle_timeout(now);
        for l in 0..self.links.len() {
            self.links[l].ini.handle_timeout(now);
        }
        self.run();
    }

    fn record(&mut self, link: usize, dir: Dir, parts: &EncodedParts) {
        let sender = match dir {
            Dir::ToTarget => Role::Initiator,
            Dir::ToInitiator => Role::Target,
        };
        self.transcript.push(Frame {
            link,
            dir,
            pdu: frame_pdu(parts, sender),
            len: parts.len(),
        });
    }

    /// The transcript of link `l`: every frame both ways, dumped.
    pub fn transcript_of(&self, l: usize) -> String {
        let mut out = String::new();
        for f in self.transcript.iter().filter(|f| f.link == l) {
            let arrow = match f.dir {
                Dir::ToTarget => "initiator -> target",
                Dir::ToInitiator => "target -> initiator",
            };
            out.push_str(&format!("=== {arrow} ({} bytes)\n", f.len));
            match &f.pdu {
                Some(p) => out.push_str(&p.dump()),
                None => out.push_str("(not a PDU)\n"),
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }
}

/// The PDU in an encoded frame, read from its parts (so digests need not be
/// known).
fn frame_pdu(parts: &EncodedParts, sender: Role) -> Option<Pdu> {
    let bhs: [u8; BHS_LEN] = parts.header.get(..BHS_LEN)?.try_into().ok()?;
    let ahs_len = usize::from(bhs[4]) * 4;
    let ahs = parts.header.get(BHS_LEN..BHS_LEN + ahs_len)?;
    let pad = (4 - parts.data.len() % 4) % 4;
    let raw = RawPdu {
        bhs,
        ahs: Bytes::copy_from_slice(ahs),
        data: parts.data.clone(),
        padding: Bytes::copy_from_slice(parts.trailer.get(..pad)?),
    };
    Pdu::decode_from(&raw, sender).ok()
}

/// How many of `pending` bytes may go now; counts them off a stall.
fn deliverable(pending: usize, stall: &mut Option<usize>) -> usize {
    match stall {
        None => pending,
        Some(k) => {
            let n = pending.min(*k);
            *k -= n;
            n
        }
    }
}

/// Cuts `bytes` as `split` says.
fn chunks<'a>(bytes: &'a [u8], split: Split, mix: &mut Mix) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = match split {
            Split::Whole => rest.len(),
            Split::Every(n) => n.max(1),
            Split::Random { max } => mix.range(1, max.max(1)),
        }
        .min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

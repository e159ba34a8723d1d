//! A test rig: the core with RAM disks run synchronously, a decoder for what
//! it sends, and helpers that log in and build PDUs.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtgt_proto::pdu::{
    DataOut, DecoderConfig, Digests, Isid, IsidType, LoginRequest, LoginStage, LoginStatus, Lun,
    Pdu, Role, ScsiCommand, ScsiStatus, StreamDecoder, MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
use rtgt_proto::scsi::cdb::{Read10, Write10};
use rtgt_proto::text::{self, Pair};
use rtgt_scsi::{BlockSize, Disk, DiskConfig, IoRequest, LunMap, RamBackstore};

use crate::{
    ConnId, Event, IoTag, PortalGroupConfig, SeededRandom, SessionLimits, TargetConfig, TargetCore,
    TargetId,
};

pub const TARGET: &str = "iqn.2024-01.org.rtgt:t0";
pub const INITIATOR: &str = "iqn.2024-01.org.rtgt:host1";
pub const BLOCKS: u64 = 2048;

/// A portal group with one target, LUN 0 a 1 MiB RAM disk.
pub fn config() -> PortalGroupConfig {
    PortalGroupConfig {
        portals: vec!["192.0.2.1:3260".parse().unwrap()],
        targets: vec![target(TARGET, 1)],
        ..PortalGroupConfig::default()
    }
}

/// A disk of [`BLOCKS`] 512-byte blocks, serial `SN{id:04}`.
pub fn disk(id: u64) -> Disk {
    Disk::new(DiskConfig::new(
        id,
        &format!("SN{id:04}"),
        BlockSize::B512,
        BLOCKS,
    ))
    .unwrap()
}

/// A target with one disk.
pub fn target(name: &str, id: u64) -> TargetConfig {
    let mut luns = LunMap::new();
    luns.insert(0, disk(id));
    TargetConfig::new(name, luns)
}

pub fn isid(n: u16) -> Isid {
    Isid {
        t: IsidType::Random,
        a: 0,
        b: 0x1234,
        c: 0,
        d: n,
    }
}

pub struct Rig {
    pub core: TargetCore,
    pub stores: BTreeMap<(TargetId, u16), RamBackstore>,
    pub now: Instant,
    rx: BTreeMap<ConnId, StreamDecoder>,
    tx_digests: BTreeMap<ConnId, Digests>,
    pub inbox: BTreeMap<ConnId, VecDeque<Pdu>>,
    pub events: Vec<Event>,
    /// When set, backstore requests wait in `held_io` until released.
    pub hold_io: bool,
    pub held_io: Vec<(IoTag, IoRequest)>,
    pub cmd_sn: u32,
    pub itt: u32,
    /// The ISID qualifier of the next login.
    pub isid: u16,
}

impl Rig {
    pub fn new() -> Rig {
        Rig::with(config())
    }

    /// A rig whose first target has the session limits `f` sets.
    pub fn with_session(f: impl FnOnce(&mut SessionLimits)) -> Rig {
        let mut cfg = config();
        f(&mut cfg.targets[0].session);
        Rig::with(cfg)
    }

    /// A rig with connection 1 logged in.
    pub fn logged_in() -> (Rig, ConnId) {
        let mut rig = Rig::new();
        let c = rig.connect(1);
        rig.login(c, &[]);
        (rig, c)
    }

    /// [`Rig::logged_in`] with the unit attention taken.
    pub fn ready() -> (Rig, ConnId) {
        let (mut rig, c) = Rig::logged_in();
        rig.clear_ua(c);
        (rig, c)
    }

    pub fn with(cfg: PortalGroupConfig) -> Rig {
        let mut stores = BTreeMap::new();
        for (i, t) in cfg.targets.iter().enumerate() {
            for lun in t.luns.luns() {
                let n = lun.index().unwrap();
                let size = t.luns.disk(n).unwrap().config().size_bytes();
                stores.insert((TargetId::from_position(i), n), RamBackstore::new(size));
            }
        }
        Rig {
            core: TargetCore::new(cfg, Box::new(SeededRandom::new(42))),
            stores,
            now: Instant::now(),
            rx: BTreeMap::new(),
            tx_digests: BTreeMap::new(),
            inbox: BTreeMap::new(),
            events: Vec::new(),
            hold_io: false,
            held_io: Vec::new(),
            cmd_sn: 1,
            itt: 0x100,
            isid: 1,
        }
    }

    pub fn connect(&mut self, n: u64) -> ConnId {
        let peer: SocketAddr = format!("192.0.2.10:{}", 40000 + n).parse().unwrap();
        self.connect_from(n, peer)
    }

    pub fn connect_from(&mut self, n: u64, peer: SocketAddr) -> ConnId {
        let id = ConnId(n);
        let mut dec = StreamDecoder::new(DecoderConfig::LOGIN);
        dec.set_max_data_segment_length(MAX_DATA_SEGMENT_LENGTH_LIMIT);
        self.rx.insert(id, dec);
        self.tx_digests.insert(id, Digests::NONE);
        self.core
            .accept(id, peer, "192.0.2.1:3260".parse().unwrap(), self.now);
        self.run();
        id
    }

    /// Turns digests on for both directions of `conn` (after login).
    pub fn set_digests(&mut self, conn: ConnId, d: Digests) {
        self.tx_digests.insert(conn, d);
        if let Some(r) = self.rx.get_mut(&conn) {
            r.set_digests(d);
        }
    }

    pub fn send(&mut self, conn: ConnId, pdu: impl Into<Pdu>) {
        let d = self.tx_digests.get(&conn).copied().unwrap_or_default();
        let bytes = pdu.into().encode(d);
        self.send_bytes(conn, &bytes);
    }

    pub fn send_bytes(&mut self, conn: ConnId, bytes: &[u8]) {
        self.core.handle_bytes(conn, self.now, bytes);
        self.run();
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.core.handle_timeout(self.now);
        self.run();
    }

    /// Runs backstore requests and collects output until quiet.
    pub fn run(&mut self) {
        loop {
            let mut busy = false;
            while let Some((tag, io)) = self.core.poll_io() {
                busy = true;
                if self.hold_io {
                    self.held_io.push((tag, io));
                } else {
                    self.complete(tag, io);
                }
            }
            while let Some((conn, parts)) = self.core.poll_transmit() {
                let dec = self
                    .rx
                    .get_mut(&conn)
                    .expect("output for an unknown connection");
                for s in parts.slices() {
                    dec.feed(s);
                }
                while let Some(f) = dec.next_frame() {
                    let raw = f.expect("the target sent a frame that does not decode");
                    let pdu = Pdu::decode_from(&raw, Role::Target).unwrap();
                    self.inbox.entry(conn).or_default().push_back(pdu);
                }
            }
            while let Some(e) = self.core.poll_event() {
                self.events.push(e);
            }
            if !busy {
                break;
            }
        }
    }

    fn complete(&mut self, tag: IoTag, io: IoRequest) {
        let store = self
            .stores
            .get(&(tag.target, io.backstore_lun(tag.lun)))
            .unwrap();
        let r = io.execute(store);
        self.core.handle_io_complete(tag, r, self.now);
    }

    /// Runs the held backstore requests.
    pub fn release_io(&mut self) {
        self.hold_io = false;
        for (tag, io) in std::mem::take(&mut self.held_io) {
            self.complete(tag, io);
        }
        self.run();
    }

    pub fn recv(&mut self, conn: ConnId) -> Pdu {
        self.inbox
            .get_mut(&conn)
            .and_then(|q| q.pop_front())
            .expect("no PDU from the target")
    }

    /// The next PDU on `conn`, a SCSI Response with sense data: its status
    /// and the sense data.
    pub fn recv_status(&mut self, conn: ConnId) -> (ScsiStatus, Vec<u8>) {
        let r = recv_as!(self, conn, ScsiResponse);
        (r.status, r.sense_data().unwrap().to_vec())
    }

    pub fn recv_all(&mut self, conn: ConnId) -> Vec<Pdu> {
        self.inbox
            .get_mut(&conn)
            .map(|q| q.drain(..).collect())
            .unwrap_or_default()
    }

    pub fn nothing(&mut self, conn: ConnId) -> bool {
        self.inbox.get(&conn).is_none_or(|q| q.is_empty())
    }

    pub fn closed(&self, conn: ConnId) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::Close { conn: c, .. } if *c == conn))
    }

    pub fn next_itt(&mut self) -> u32 {
        self.itt += 1;
        self.itt
    }

    /// A login request in `csg` asking for `nsg`.
    pub fn login_req(
        &self,
        csg: LoginStage,
        nsg: LoginStage,
        keys: &[(&str, &str)],
    ) -> LoginRequest {
        LoginRequest {
            transit: true,
            csg,
            nsg,
            isid: isid(self.isid),
            itt: 0x10,
            cmd_sn: self.cmd_sn,
            data: encode(keys),
            ..LoginRequest::default()
        }
    }

    /// Logs in to TARGET in one operational request with `extra` keys;
    /// gives the final response's pairs.
    pub fn login(&mut self, conn: ConnId, extra: &[(&str, &str)]) -> Vec<Pair> {
        let mut keys = vec![("InitiatorName", INITIATOR), ("TargetName", TARGET)];
        keys.extend_from_slice(extra);
        let req = self.login_req(
            LoginStage::LoginOperationalNegotiation,
            LoginStage::FullFeaturePhase,
            &keys,
        );
        self.send(conn, req);
        match self.recv(conn) {
            Pdu::LoginResponse(r) => {
                assert_eq!(
                    r.status,
                    LoginStatus::Success,
                    "{:?}",
                    self.events.iter().rev().nth(1)
                );
                assert!(r.transit);
                assert_eq!(r.nsg, LoginStage::FullFeaturePhase);
                text::decode(&r.data).unwrap()
            }
            other => panic!("expected a login response, got {}", other.dump()),
        }
    }

    /// The login status of a one-PDU login with `keys`.
    pub fn login_status(&mut self, conn: ConnId, req: LoginRequest) -> LoginStatus {
        self.send(conn, req);
        match self.recv(conn) {
            Pdu::LoginResponse(r) => r.status,
            other => panic!("expected a login response, got {}", other.dump()),
        }
    }

    /// A SCSI command PDU taking the next CmdSN.
    pub fn command(&mut self, cdb: &[u8], edtl: u32, read: bool, write: bool) -> ScsiCommand {
        let mut c = ScsiCommand {
            read,
            write,
            itt: self.next_itt(),
            lun: Lun::single_level(0),
            expected_data_transfer_length: edtl,
            cmd_sn: self.cmd_sn,
            ..ScsiCommand::default()
        };
        c.set_cdb(cdb);
        self.cmd_sn = self.cmd_sn.wrapping_add(1);
        c
    }

    pub fn read10(&mut self, lba: u32, blocks: u16) -> ScsiCommand {
        self.rw10(lba, blocks, true)
    }

    pub fn write10(&mut self, lba: u32, blocks: u16) -> ScsiCommand {
        self.rw10(lba, blocks, false)
    }

    /// READ (10) or WRITE (10) of `blocks` blocks of 512 bytes at `lba`.
    fn rw10(&mut self, lba: u32, blocks: u16, read: bool) -> ScsiCommand {
        let cdb = if read {
            let r = Read10 {
                lba,
                transfer_length: blocks,
                ..Read10::default()
            };
            r.encode()
        } else {
            let w = Write10 {
                lba,
                transfer_length: blocks,
                ..Write10::default()
            };
            w.encode()
        };
        self.command(&cdb, u32::from(blocks) * 512, read, !read)
    }

    /// TEST UNIT READY to take the power-on unit attention.
    pub fn clear_ua(&mut self, conn: ConnId) {
        let c = self.command(&[0u8; 6], 0, false, false);
        self.send(conn, c);
        self.recv_all(conn);
    }
}

pub fn encode(keys: &[(&str, &str)]) -> Bytes {
    let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(*k, *v)).collect();
    Bytes::from(text::encode(&pairs))
}

pub fn get<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

/// A Data-Out PDU.
pub fn data_out(
    itt: u32,
    ttt: u32,
    data_sn: u32,
    offset: u32,
    data: Vec<u8>,
    last: bool,
) -> DataOut {
    DataOut {
        final_bit: last,
        lun: Lun::single_level(0),
        itt,
        ttt,
        data_sn,
        buffer_offset: offset,
        data: Bytes::from(data),
        ..DataOut::default()
    }
}

/// A pattern of `len` bytes.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

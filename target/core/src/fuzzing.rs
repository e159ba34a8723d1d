//! Fuzz harness bodies for a [`TargetCore`], shared by the cargo-fuzz
//! targets in fuzz/ and by this crate's tests, so they always compile on the
//! stable toolchain.
//!
//! A harness panics only when an invariant breaks: the core panics, or it
//! transmits a frame that does not decode.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtgt_proto::fuzzing::{Step, Steps};
use rtgt_proto::pdu::{
    DecoderConfig, Digests, Isid, IsidType, LoginRequest, LoginStage, LoginStatus, Pdu, Role,
    StreamDecoder, MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
use rtgt_proto::text::{self, Pair};
use rtgt_scsi::{BlockSize, Disk, DiskConfig, IoData, LunMap, RamBackstore};

use crate::{ConnId, PortalGroupConfig, SeededRandom, TargetConfig, TargetCore, TargetId};

const TARGET: &str = "iqn.2024-01.org.rtgt:t0";
const INITIATOR: &str = "iqn.2024-01.org.rtgt:host1";
const CONN: ConnId = ConnId(1);
const BLOCKS: u64 = 2048;

fn addr(last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), port)
}

/// A core with one target whose LUN 0 is a RAM disk, one connection, and a
/// decoder for what the core transmits on it.
struct CoreRig {
    core: TargetCore,
    store: RamBackstore,
    now: Instant,
    rx: StreamDecoder,
    /// The PDUs the core sent, while the login is checked.
    inbox: Vec<Pdu>,
}

impl CoreRig {
    fn new(start: Instant) -> CoreRig {
        let mut luns = LunMap::new();
        let cfg = DiskConfig::new(1, "SN0001", BlockSize::B512, BLOCKS).thin(true);
        let store = RamBackstore::new(cfg.size_bytes());
        luns.insert(0, Disk::new(cfg).expect("a valid disk configuration"));
        let config = PortalGroupConfig {
            portals: vec![addr(1, 3260)],
            targets: vec![TargetConfig::new(TARGET, luns)],
            ..PortalGroupConfig::default()
        };
        let mut rx = StreamDecoder::new(DecoderConfig::LOGIN);
        rx.set_max_data_segment_length(MAX_DATA_SEGMENT_LENGTH_LIMIT);
        let mut rig = CoreRig {
            core: TargetCore::new(config, Box::new(SeededRandom::new(42))),
            store,
            now: start,
            rx,
            inbox: Vec::new(),
        };
        rig.core
            .accept(CONN, addr(10, 40001), addr(1, 3260), rig.now);
        rig.run();
        rig
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        self.core.handle_bytes(CONN, self.now, bytes);
        self.run();
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.core.handle_timeout(self.now);
        self.run();
    }

    /// Runs backstore requests, decodes what the core transmits and takes
    /// its events until it is quiet.
    fn run(&mut self) {
        loop {
            let mut busy = false;
            while let Some((tag, io)) = self.core.poll_io() {
                busy = true;
                assert!(
                    tag.target == TargetId::from_position(0) && io.backstore_lun(tag.lun) == 0,
                    "a backstore request for a LUN that does not exist"
                );
                let result = io.execute(&self.store);
                self.core.handle_io_complete(tag, result, self.now);
            }
            while let Some((tag, _state)) = self.core.poll_persist() {
                busy = true;
                self.core
                    .handle_io_complete(tag, Ok(IoData::Done), self.now);
            }
            while let Some((conn, parts)) = self.core.poll_transmit() {
                assert_eq!(conn, CONN, "output for an unknown connection");
                for s in parts.slices() {
                    self.rx.feed(s);
                }
                while let Some(frame) = self.rx.next_frame() {
                    let raw = frame.expect("the target sent a frame that does not decode");
                    let pdu = Pdu::decode_from(&raw, Role::Target)
                        .expect("the target sent a PDU that does not decode");
                    if self.inbox.len() < 16 {
                        self.inbox.push(pdu);
                    }
                }
            }
            while self.core.poll_event().is_some() {}
            if !busy {
                break;
            }
        }
    }

    /// Logs in with a single operational request offering the digests
    /// `offer` asks for; sets the decoder to the digests the target chose.
    fn login(&mut self, offer: Digests) {
        let crc = |on: bool| if on { "CRC32C,None" } else { "None" };
        let pairs = [
            Pair::new("InitiatorName", INITIATOR),
            Pair::new("TargetName", TARGET),
            Pair::new("HeaderDigest", crc(offer.header)),
            Pair::new("DataDigest", crc(offer.data)),
        ];
        let req = LoginRequest {
            transit: true,
            csg: LoginStage::LoginOperationalNegotiation,
            nsg: LoginStage::FullFeaturePhase,
            isid: Isid {
                t: IsidType::Random,
                a: 0,
                b: 0x1234,
                c: 0,
                d: 1,
            },
            itt: 0x10,
            cmd_sn: 1,
            data: Bytes::from(text::encode(&pairs)),
            ..LoginRequest::default()
        };
        self.send_bytes(&Pdu::from(req).encode(Digests::NONE));
        let Some(Pdu::LoginResponse(r)) = self.inbox.first() else {
            panic!("no login response");
        };
        assert_eq!(r.status, LoginStatus::Success, "the login prefix fails");
        let keys = text::decode(&r.data).expect("login response keys decode");
        let chosen = |key: &str| keys.iter().any(|p| p.key == key && p.value == "CRC32C");
        self.rx.set_digests(Digests {
            header: chosen("HeaderDigest"),
            data: chosen("DataDigest"),
        });
        self.inbox.clear();
    }
}

/// Bytes on a logged-in connection of a target core.
///
/// Input layout: one byte of configuration (bit 0 offer a header digest,
/// bit 1 a data digest), then [`Steps`] without an action: waits and bytes
/// fed to the connection.
///
/// `start` is the clock at the first step: the fuzz target passes the
/// wall clock, since this crate never reads it.
pub fn target_session(data: &[u8], start: Instant) {
    let (config, steps) = Steps::new(data, None);
    let mut rig = CoreRig::new(start);
    rig.login(Digests {
        header: config & 1 != 0,
        data: config & 2 != 0,
    });
    for step in steps {
        match step {
            Step::Wait(by) => rig.advance(by),
            Step::Bytes(chunk) => rig.send_bytes(chunk),
            Step::Action => {}
        }
    }
    // Every timer that can fire does.
    rig.advance(Duration::from_secs(3600));
}

#[cfg(test)]
mod tests {
    use super::{target_session, Steps};
    use rtgt_proto::pdu::{Digests, Lun, Pdu, ScsiCommand};
    use std::time::Instant;

    fn command(cdb: &[u8], edtl: u32, write: bool, cmd_sn: u32) -> Vec<u8> {
        let mut c = ScsiCommand {
            read: !write,
            write,
            itt: 0x100 + cmd_sn,
            lun: Lun::single_level(0),
            expected_data_transfer_length: edtl,
            cmd_sn,
            ..ScsiCommand::default()
        };
        c.set_cdb(cdb);
        Pdu::from(c).encode(Digests::NONE)
    }

    #[test]
    fn target_session_runs_fixed_inputs() {
        target_session(&[], Instant::now());
        target_session(&[3], Instant::now());
        target_session(&[0, 0x85, 7, 1, 2, 3], Instant::now());
        let mut bytes = command(&[0; 6], 0, false, 1);
        bytes.extend(command(&[0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0], 512, false, 2));
        let mut write = command(&[0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0], 512, true, 3);
        write.extend(std::iter::repeat_n(0, 300));
        bytes.extend(write);
        target_session(&Steps::encode_bytes(0, 1, &bytes), Instant::now());
        target_session(&Steps::encode_bytes(0x80, 1, &bytes[..50]), Instant::now());
    }
}

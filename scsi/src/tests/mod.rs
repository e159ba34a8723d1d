//! Tests that drive whole disks through [`crate::exec`] on a RAM backstore.

mod alua;
mod basic;
mod blocks;
mod mode;
mod model;
mod more;
mod order;
mod pr;
mod rw;
mod snapshots;
mod xcopy;

use crate::backstore::{BackstoreError, IoOp, RamBackstore};
use crate::config::{BlockSize, DiskConfig};
use crate::device::Disk;
use crate::task::{Command, Nexus, Reply, TaskAttribute};
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::params::Lun;
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::scsi::status::Status;
use std::sync::Arc;

pub(crate) const TARGET: &str = "iqn.2024-01.org.rtgt:disk0";

pub(crate) fn nexus(i: &str) -> Arc<Nexus> {
    Nexus::new(
        &format!("iqn.2024-01.org.rtgt:{i},i,0x00023d000001"),
        TARGET,
        1,
    )
}

/// A disk on a RAM backstore, one nexus, and what ran on the backstore.
pub(crate) struct Rig {
    pub disk: Disk,
    pub store: RamBackstore,
    pub nexus: Arc<Nexus>,
    pub tag: u64,
    pub log: Vec<IoOp>,
    /// Fails every request for which this returns an error.
    pub fault: Option<fn(&IoOp) -> Option<BackstoreError>>,
}

impl Rig {
    pub fn with(cfg: DiskConfig) -> Rig {
        let store = RamBackstore::new(cfg.size_bytes());
        Rig {
            disk: Disk::new(cfg).unwrap(),
            store,
            nexus: nexus("init0"),
            tag: 0,
            log: Vec::new(),
            fault: None,
        }
    }

    /// A disk with `cfg`, with the power-on unit attention already taken.
    pub fn ready_with(cfg: DiskConfig) -> Rig {
        let mut r = Rig::with(cfg);
        r.ready();
        r
    }

    /// 1 MiB of 512-byte blocks, thin, with the power-on unit attention
    /// already taken.
    pub fn new() -> Rig {
        Rig::ready_with(DiskConfig::new(1, "SN0001", BlockSize::B512, 2048).thin(true))
    }

    /// Takes the power-on unit attention with TEST UNIT READY.
    pub fn ready(&mut self) {
        self.expect_ua(AscAscq::POWER_ON_RESET);
    }

    /// TEST UNIT READY answers UNIT ATTENTION with `code`.
    pub fn expect_ua(&mut self, code: AscAscq) {
        let r = self.run(&[0; 6], &[], 0);
        assert_check(&r, SenseKey::UNIT_ATTENTION, code);
    }

    pub fn command(&mut self, cdb: &[u8], out: &[u8], expected: u32) -> Command {
        self.tag += 1;
        Command {
            nexus: self.nexus.clone(),
            tag: self.tag,
            attr: TaskAttribute::Simple,
            lun: Lun::from_index(0),
            cdb: Bytes::copy_from_slice(cdb),
            data_out: Bytes::copy_from_slice(out),
            expected_len: expected,
        }
    }

    /// Runs every pending request, logging it and applying the fault hook.
    pub fn drain(&mut self) -> Vec<crate::task::Completion> {
        let fault = self.fault;
        let log = &mut self.log;
        crate::exec::run_with(&mut self.disk, &self.store, |io| {
            log.push(io.op.clone());
            fault.and_then(|f| f(&io.op))
        })
    }

    /// Submits one command, runs it, gives its reply.
    pub fn run(&mut self, cdb: &[u8], out: &[u8], expected: u32) -> Reply {
        let c = self.command(cdb, out, expected);
        let tag = c.tag;
        self.disk.submit(c);
        let done = self.drain();
        let c = done
            .into_iter()
            .find(|c| c.tag == tag)
            .expect("command completed");
        c.reply.expect("a reply, not an abort")
    }

    /// GOOD, and the Data-In.
    pub fn good(&mut self, cdb: &[u8], out: &[u8], expected: u32) -> Bytes {
        let r = self.run(cdb, out, expected);
        assert_eq!(r.status, Status::GOOD, "sense {:02x?}", &r.sense[..]);
        r.data_in
    }
}

/// The decoded sense of a reply.
pub(crate) fn sense(r: &Reply) -> Sense {
    assert_eq!(r.status, Status::CHECK_CONDITION);
    Sense::decode(&r.sense).unwrap().value
}

pub(crate) fn assert_check(r: &Reply, key: SenseKey, asc: AscAscq) -> Sense {
    let s = sense(r);
    assert_eq!((s.key, s.asc), (key, asc), "sense {s:?}");
    s
}

/// CHECK CONDITION, ILLEGAL REQUEST with `asc`.
pub(crate) fn assert_illegal(r: &Reply, asc: AscAscq) -> Sense {
    assert_check(r, SenseKey::ILLEGAL_REQUEST, asc)
}

/// INVALID FIELD IN CDB at `byte`/`bit`.
pub(crate) fn assert_field(r: &Reply, byte: u16, bit: Option<u8>) {
    let s = assert_illegal(r, AscAscq::INVALID_FIELD_IN_CDB);
    assert_eq!(
        s.sks,
        Some(rtgt_proto::scsi::sense::SenseKeySpecific::FieldPointer {
            cdb: true,
            bit_pointer: bit,
            field_pointer: byte
        })
    );
}

pub(crate) fn read10(lba: u32, blocks: u16) -> [u8; 10] {
    let mut c = [0u8; 10];
    c[0] = 0x28;
    c[2..6].copy_from_slice(&lba.to_be_bytes());
    c[7..9].copy_from_slice(&blocks.to_be_bytes());
    c
}

pub(crate) fn write10(lba: u32, blocks: u16, fua: bool) -> [u8; 10] {
    let mut c = read10(lba, blocks);
    c[0] = 0x2a;
    c[1] = u8::from(fua) << 3;
    c
}

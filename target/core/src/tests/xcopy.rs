//! EXTENDED COPY reaches only what the issuing I_T nexus may access
//! (SPC-4 §6.3; the Linux target's CVE-2020-28374 let a copy name any
//! logical unit of the host by its designator). rtgt's copy manager looks
//! CSCD identification descriptors up among the logical units of the
//! target that received the command (`rtgt_scsi::LunMap`), all of which a
//! nexus admitted to that target may access; a descriptor naming a logical
//! unit of another target is unreachable, and the copy ends with COPY
//! ABORTED, UNREACHABLE COPY TARGET (SPC-4 §6.3.4).

use bytes::Bytes;
use rtgt_proto::pdu::ScsiStatus;
use rtgt_proto::scsi::params::{CscdDescriptor, ExtendedCopy, SegmentDescriptor};
use rtgt_scsi::{Backstore, BlockSize, DiskConfig, LunMap};

use super::harness::*;
use crate::{PortalGroupConfig, TargetConfig, TargetId};

const OTHER: &str = "iqn.2024-01.org.rtgt:t1";
const OTHER_INITIATOR: &str = "iqn.2024-01.org.rtgt:host2";

/// Target 0 (TARGET) with LUNs 0 and 1; target 1 (OTHER), open only to
/// OTHER_INITIATOR, with LUN 0.
fn two_targets() -> PortalGroupConfig {
    let mut mine = LunMap::new();
    mine.insert(0, disk(1));
    mine.insert(1, disk(2));
    let mut theirs = LunMap::new();
    theirs.insert(0, disk(3));
    let mut other = TargetConfig::new(OTHER, theirs);
    other.allowed_initiators = vec![OTHER_INITIATOR.into()];
    PortalGroupConfig {
        targets: vec![TargetConfig::new(TARGET, mine), other],
        ..config()
    }
}

/// The identification CSCD (E4h) naming the disk `id` of [`disk`].
fn cscd(id: u64) -> CscdDescriptor {
    DiskConfig::new(id, &format!("SN{id:04}"), BlockSize::B512, BLOCKS).cscd()
}

/// An EXTENDED COPY (LID1, no list identifier) of `blocks` blocks from
/// LBA 0 of CSCD 0 to LBA 0 of CSCD 1, sent to LUN 0 with its parameter
/// list as immediate data; gives the status and sense data.
fn xcopy(
    rig: &mut Rig,
    c: crate::ConnId,
    from: u64,
    to: u64,
    blocks: u16,
) -> (ScsiStatus, Vec<u8>) {
    let list = ExtendedCopy {
        list_id: 0,
        flags: 0b11 << 3,
        cscds: vec![cscd(from), cscd(to)],
        segments: vec![SegmentDescriptor::BlockToBlock {
            flags: 0,
            source: 0,
            destination: 1,
            reserved: 0,
            blocks,
            source_lba: 0,
            destination_lba: 0,
        }],
        inline_data: Vec::new(),
    }
    .encode();
    let mut cdb = [0u8; 16];
    cdb[0] = 0x83;
    cdb[10..14].copy_from_slice(&(list.len() as u32).to_be_bytes());
    let mut cmd = rig.command(&cdb, list.len() as u32, false, true);
    cmd.data = Bytes::from(list);
    rig.send(c, cmd);
    match rig.recv(c) {
        rtgt_proto::pdu::Pdu::ScsiResponse(r) => {
            let sense = r.sense_data().map(<[u8]>::to_vec).unwrap_or_default();
            (r.status, sense)
        }
        other => panic!("expected a SCSI Response, got {}", other.dump()),
    }
}

/// The first 8 blocks of a LUN's backstore.
fn store(rig: &Rig, target: usize, lun: u16) -> Vec<u8> {
    let mut buf = vec![0; 8 * 512];
    rig.stores[&(TargetId::from_position(target), lun)]
        .read_at(0, &mut buf)
        .unwrap();
    buf
}

#[test]
fn a_copy_cannot_name_a_logical_unit_of_another_target() {
    let mut rig = Rig::with(two_targets());
    let c = rig.connect(1);
    rig.login(c, &[]);
    rig.clear_ua(c);
    // Data on LUN 0 of this target, and other data on the other target's
    // LU, which this initiator may not log in to.
    let mine = pattern(8 * 512, 7);
    let cmd = rig.write10(0, 8);
    let itt = cmd.itt;
    let mut cmd = cmd;
    cmd.data = Bytes::from(mine.clone());
    rig.send(c, cmd);
    assert_eq!(recv_as!(rig, c, ScsiResponse).itt, itt);
    let theirs = pattern(8 * 512, 99);
    rig.stores[&(TargetId::from_position(1), 0)]
        .write_at(0, &theirs, false)
        .unwrap();
    // Reading the other target's LU into this one, and writing over it.
    for (from, to) in [(3, 1), (1, 3)] {
        let (status, sense) = xcopy(&mut rig, c, from, to, 8);
        assert_eq!(status, ScsiStatus::CheckCondition, "copy {from} -> {to}");
        // SPC-4 §6.3.4: COPY ABORTED, UNREACHABLE COPY TARGET (08h/04h).
        assert_eq!(
            (sense[2] & 0x0f, sense[12], sense[13]),
            (0x0a, 0x08, 0x04),
            "copy {from} -> {to}"
        );
    }
    assert_eq!(store(&rig, 1, 0), theirs, "the other target's data changed");
    assert_eq!(store(&rig, 0, 0), mine, "its data reached this target");
    // The same copy between this target's own LUNs goes through.
    let (status, _) = xcopy(&mut rig, c, 1, 2, 8);
    assert_eq!(status, ScsiStatus::Good);
    assert_eq!(store(&rig, 0, 1), mine);
}

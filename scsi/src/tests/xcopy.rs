//! EXTENDED COPY (LID1) and RECEIVE COPY RESULTS.

use super::*;
use rtgt_proto::scsi::params::copy::{COPY_STATUS_GOOD, CSCD_IDENTIFICATION};
use rtgt_proto::scsi::params::{
    CopyOperatingParameters, CopyStatus, CscdDescriptor, ExtendedCopy, SegmentDescriptor,
};

fn xcopy_cdb(len: u32) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0x83;
    c[10..14].copy_from_slice(&len.to_be_bytes());
    c
}

fn rcr_cdb(sa: u8, list: u8, alloc: u32) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0x84;
    c[1] = sa;
    c[2] = list;
    c[10..14].copy_from_slice(&alloc.to_be_bytes());
    c
}

/// The identification CSCD of the rig's disk (its NAA designator).
fn this_lu(r: &Rig) -> CscdDescriptor {
    cscd_of(r.disk.config())
}

/// The identification CSCD naming a disk of this configuration.
fn cscd_of(cfg: &DiskConfig) -> CscdDescriptor {
    cfg.cscd()
}

fn b2b(src: u16, dst: u16, blocks: u16, from: u64, to: u64) -> SegmentDescriptor {
    SegmentDescriptor::BlockToBlock {
        flags: 0,
        source: src,
        destination: dst,
        reserved: 0,
        blocks,
        source_lba: from,
        destination_lba: to,
    }
}

fn list(
    list_id: u8,
    usage: u8,
    cscds: Vec<CscdDescriptor>,
    segs: Vec<SegmentDescriptor>,
) -> Vec<u8> {
    ExtendedCopy {
        list_id,
        flags: usage << 3,
        cscds,
        segments: segs,
        inline_data: Vec::new(),
    }
    .encode()
}

fn xcopy(r: &mut Rig, p: &[u8]) -> Reply {
    r.run(&xcopy_cdb(p.len() as u32), p, p.len() as u32)
}

#[test]
fn copies_blocks_and_holds_the_status() {
    let mut r = Rig::new();
    let data: Vec<u8> = (0..8 * 512).map(|i| (i % 251) as u8).collect();
    r.good(&write10(0, 8, false), &data, 8 * 512);
    let p = list(1, 0b00, vec![this_lu(&r)], vec![b2b(0, 0, 8, 0, 100)]);
    let rep = xcopy(&mut r, &p);
    assert_eq!(rep.status, Status::GOOD);
    assert_eq!(r.good(&read10(100, 8), &[], 8 * 512), data);
    // SPC-4 §6.18.2: the held status, once.
    let st = r.good(&rcr_cdb(0, 1, 64), &[], 64);
    let st = CopyStatus::decode(&st).unwrap();
    assert_eq!(
        (st.status, st.segments_processed, st.transfer_count),
        (COPY_STATUS_GOOD, 1, 8)
    );
    let rep = r.run(&rcr_cdb(0, 1, 64), &[], 64);
    assert_field(&rep, 2, Some(7));
    // LIST ID USAGE 10b holds nothing.
    let p = list(2, 0b10, vec![this_lu(&r)], vec![b2b(0, 0, 1, 0, 200)]);
    assert_eq!(xcopy(&mut r, &p).status, Status::GOOD);
    let rep = r.run(&rcr_cdb(0, 2, 64), &[], 64);
    assert_field(&rep, 2, Some(7));
    // A zero PARAMETER LIST LENGTH copies nothing and is not an error.
    r.good(&xcopy_cdb(0), &[], 0);
}

#[test]
fn operating_parameters_are_the_limits_enforced() {
    let mut r = Rig::new();
    let d = r.good(&rcr_cdb(3, 0, 512), &[], 512);
    let op = CopyOperatingParameters::decode(&d).unwrap().value;
    assert_eq!(
        (op.max_cscd_descriptors, op.max_segment_descriptors),
        (crate::xcopy::MAX_CSCDS, crate::xcopy::MAX_SEGMENTS)
    );
    assert_eq!(op.implemented_descriptors, vec![0x02, CSCD_IDENTIFICATION]);
    assert_eq!(op.data_segment_granularity, 9);
    let n = usize::from(op.max_cscd_descriptors);
    let cs = vec![this_lu(&r); n + 1];
    let p = list(0, 0b11, cs, vec![b2b(0, 0, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::TOO_MANY_TARGET_DESCRIPTORS);
    let segs = vec![b2b(0, 0, 1, 0, 1); usize::from(op.max_segment_descriptors) + 1];
    let p = list(0, 0b11, vec![this_lu(&r)], segs);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::TOO_MANY_SEGMENT_DESCRIPTORS);
    // Past MAXIMUM DESCRIPTOR LIST LENGTH: PARAMETER LIST LENGTH ERROR,
    // checked before the counts.
    let cs = vec![this_lu(&r); n + 1];
    let segs = vec![b2b(0, 0, 1, 0, 1); usize::from(op.max_segment_descriptors) + 1];
    let p = list(0, 0b11, cs, segs);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::PARAMETER_LIST_LENGTH_ERROR);
    // RECEIVE DATA: no held data.
    let rep = r.run(&rcr_cdb(1, 0, 64), &[], 64);
    assert_field(&rep, 1, Some(4));
}

#[test]
fn malformed_lists_and_unsupported_descriptors() {
    let mut r = Rig::new();
    let p = list(0, 0b11, vec![this_lu(&r)], vec![b2b(0, 0, 1, 0, 1)]);
    // The list cut inside the CSCD, then inside the segment.
    for cut in [16 + 31, 16 + 32 + 27, 15] {
        let rep = xcopy(&mut r, &p[..cut]);
        assert_illegal(&rep, AscAscq::PARAMETER_LIST_LENGTH_ERROR);
    }
    let mut fc = [0u8; 32];
    fc[0] = 0xe0;
    let p = list(0, 0b11, vec![CscdDescriptor::Raw(fc)], vec![]);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE);
    let stream = SegmentDescriptor::Raw {
        type_code: 0x01,
        byte1: 0,
        body: vec![0; 0x14],
    };
    let p = list(0, 0b11, vec![this_lu(&r)], vec![stream]);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE);
    // LIST ID USAGE 01b is reserved.
    let p = list(0, 0b01, vec![this_lu(&r)], vec![b2b(0, 0, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST);
    // A DISK BLOCK LENGTH other than the LU's.
    let mut other = this_lu(&r);
    if let CscdDescriptor::Identification {
        device_specific, ..
    } = &mut other
    {
        *device_specific = [0, 0, 0x10, 0];
    }
    let p = list(0, 0b11, vec![other], vec![b2b(0, 0, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_illegal(&rep, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST);
}

#[test]
fn unreachable_targets_and_ranges_abort_the_copy() {
    let mut r = Rig::new();
    let unreachable = AscAscq::new(0x08, 0x04);
    // CSCD index 1 does not exist.
    let p = list(0, 0b11, vec![this_lu(&r)], vec![b2b(0, 1, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_check(&rep, SenseKey::COPY_ABORTED, unreachable);
    // A designator of no LU of this copy manager.
    let mut other = this_lu(&r);
    if let CscdDescriptor::Identification { designator, .. } = &mut other {
        designator[15] ^= 1;
    }
    let p = list(0, 0b11, vec![other], vec![b2b(0, 0, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_check(&rep, SenseKey::COPY_ABORTED, unreachable);
    // Past the last LBA.
    let p = list(0, 0b11, vec![this_lu(&r)], vec![b2b(0, 0, 2, 0, 2047)]);
    let rep = xcopy(&mut r, &p);
    assert_check(&rep, SenseKey::COPY_ABORTED, AscAscq::NO_ADDITIONAL_SENSE);
    // A held copy that fails reports COPY STATUS with an error.
    let p = list(5, 0b00, vec![this_lu(&r)], vec![b2b(0, 0, 2, 0, 2047)]);
    let rep = xcopy(&mut r, &p);
    assert_eq!(rep.status, Status::CHECK_CONDITION);
}

#[test]
fn read_only_and_no_medium() {
    let mut r =
        Rig::ready_with(DiskConfig::new(1, "SN0001", BlockSize::B512, 2048).read_only(true));
    let p = list(0, 0b11, vec![this_lu(&r)], vec![b2b(0, 0, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_check(&rep, SenseKey::DATA_PROTECT, AscAscq::WRITE_PROTECTED);
    let mut r =
        Rig::ready_with(DiskConfig::new(1, "SN0001", BlockSize::B512, 2048).removable(true));
    r.good(&[0x1b, 0, 0, 0, 0x02, 0], &[], 0);
    let p = list(0, 0b11, vec![this_lu(&r)], vec![b2b(0, 0, 1, 0, 1)]);
    let rep = xcopy(&mut r, &p);
    assert_check(&rep, SenseKey::NOT_READY, AscAscq::MEDIUM_NOT_PRESENT);
    // RECEIVE COPY RESULTS needs no medium.
    r.good(&rcr_cdb(3, 0, 64), &[], 64);
}

#[test]
fn copies_span_several_chunks_in_order() {
    let mut r = Rig::ready_with(DiskConfig::new(1, "SN0001", BlockSize::B512, 8192).thin(true));
    let data: Vec<u8> = (0..4096 * 512).map(|i| (i / 512 % 253) as u8).collect();
    for part in 0..4u32 {
        let at = part as usize * 1024 * 512;
        r.good(
            &write10(part * 1024, 1024, false),
            &data[at..at + 1024 * 512],
            1024 * 512,
        );
    }
    r.log.clear();
    let p = list(0, 0b11, vec![this_lu(&r)], vec![b2b(0, 0, 4096, 0, 4096)]);
    assert_eq!(xcopy(&mut r, &p).status, Status::GOOD);
    // Two 1 MiB chunks: read, write, read, write.
    let kinds: Vec<bool> = r
        .log
        .iter()
        .map(|op| matches!(op, IoOp::Read { .. }))
        .collect();
    assert_eq!(kinds, vec![true, false, true, false]);
    for part in 0..4u32 {
        let at = part as usize * 1024 * 512;
        let got = r.good(&read10(4096 + part * 1024, 1024), &[], 1024 * 512);
        assert_eq!(&got[..], &data[at..at + 1024 * 512]);
    }
}

/// Three LUNs of one target on RAM backstores, driven through [`LunMap`]:
/// LUN 0 and 1 writable, LUN 2 read-only with 4096-byte blocks.
struct Target {
    luns: crate::LunMap,
    stores: std::collections::BTreeMap<u16, RamBackstore>,
    nexus: Arc<Nexus>,
    tag: u64,
}

impl Target {
    fn new() -> Target {
        let mut luns = crate::LunMap::new();
        let mut stores = std::collections::BTreeMap::new();
        let cfgs = [
            DiskConfig::new(10, "XL0", BlockSize::B512, 2048),
            DiskConfig::new(11, "XL1", BlockSize::B512, 2048),
            DiskConfig::new(12, "XL2", BlockSize::B4096, 256).read_only(true),
        ];
        for (n, cfg) in (0u16..).zip(cfgs) {
            stores.insert(n, RamBackstore::new(cfg.size_bytes()));
            luns.insert(n, Disk::new(cfg).unwrap());
        }
        let mut t = Target {
            luns,
            stores,
            nexus: nexus("init0"),
            tag: 0,
        };
        for n in 0..3 {
            // The power-on unit attention, then REPORTED LUNS DATA HAS
            // CHANGED from the later inserts.
            while t.run(n, &[0; 6], &[], 0).status != Status::GOOD {}
        }
        t
    }

    fn cscd(&self, lun: u16) -> CscdDescriptor {
        cscd_of(self.luns.disk(lun).unwrap().config())
    }

    /// EXTENDED COPY sent to `lun` of one segment: `blocks` from LBA `from`
    /// of `src` to LBA `to` of `dst`.
    fn copy(
        &mut self,
        lun: u16,
        (src, from): (u16, u64),
        (dst, to): (u16, u64),
        blocks: u16,
    ) -> Reply {
        let p = list(
            0,
            0b11,
            vec![self.cscd(src), self.cscd(dst)],
            vec![b2b(0, 1, blocks, from, to)],
        );
        self.run(lun, &xcopy_cdb(p.len() as u32), &p, p.len() as u32)
    }

    /// Submits a command to `lun`, runs every request on the backstore
    /// it names, gives the reply.
    fn run(&mut self, lun: u16, cdb: &[u8], out: &[u8], expected: u32) -> Reply {
        self.tag += 1;
        self.luns.submit(Command {
            nexus: self.nexus.clone(),
            tag: self.tag,
            attr: TaskAttribute::Simple,
            lun: Lun::from_index(lun),
            cdb: Bytes::copy_from_slice(cdb),
            data_out: Bytes::copy_from_slice(out),
            expected_len: expected,
        });
        while let Some((issuer, io)) = self.luns.poll_io() {
            let r = io.execute(&self.stores[&io.backstore_lun(issuer)]);
            self.luns.handle_io_complete(issuer, io.id, r);
        }
        let done = std::iter::from_fn(|| self.luns.poll_completion())
            .find(|c| c.tag == self.tag)
            .expect("completed");
        done.reply.expect("a reply")
    }
}

#[test]
fn copies_between_luns_of_the_target() {
    let mut t = Target::new();
    let data: Vec<u8> = (0..8 * 512).map(|i| (i % 241) as u8).collect();
    assert_eq!(
        t.run(0, &write10(16, 8, false), &data, 8 * 512).status,
        Status::GOOD
    );
    // Sent to LUN 1, from LUN 0 to LUN 1.
    let rep = t.copy(1, (0, 16), (1, 40), 8);
    assert_eq!(rep.status, Status::GOOD, "{:02x?}", &rep.sense[..]);
    assert_eq!(t.run(1, &read10(40, 8), &[], 8 * 512).data_in, data);
    // Sent to LUN 1, from LUN 1 to LUN 0: the receiving LU is only a source.
    assert_eq!(t.copy(1, (1, 40), (0, 100), 8).status, Status::GOOD);
    assert_eq!(t.run(0, &read10(100, 8), &[], 8 * 512).data_in, data);
    // Into the read-only LUN 2: DATA PROTECT, nothing written.
    let rep = t.copy(0, (0, 16), (2, 0), 8);
    assert_check(&rep, SenseKey::DATA_PROTECT, AscAscq::WRITE_PROTECTED);
    // From LUN 2 (4096-byte blocks) into LUN 0: one source block fills
    // eight destination blocks; past LUN 2's end is COPY ABORTED.
    assert_eq!(t.copy(0, (2, 3), (0, 16), 1).status, Status::GOOD);
    assert_eq!(
        t.run(0, &read10(16, 8), &[], 8 * 512).data_in,
        vec![0; 8 * 512]
    );
    let rep = t.copy(0, (2, 255), (0, 0), 2);
    assert_eq!(sense(&rep).key, SenseKey::COPY_ABORTED);
    // A designator of no LUN of the target stays unreachable.
    let mut other = t.cscd(1);
    if let CscdDescriptor::Identification { designator, .. } = &mut other {
        designator[15] ^= 0xff;
    }
    let p = list(0, 0b11, vec![t.cscd(0), other], vec![b2b(0, 1, 1, 0, 0)]);
    let rep = t.run(0, &xcopy_cdb(p.len() as u32), &p, p.len() as u32);
    assert_check(&rep, SenseKey::COPY_ABORTED, AscAscq::new(0x08, 0x04));
}

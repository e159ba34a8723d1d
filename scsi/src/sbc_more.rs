//! PRE-FETCH (10) and (16) (SBC-4 §5.18, §5.19), ORWRITE (16) (§5.11),
//! WRITE ATOMIC (16) (§5.46), GET LBA STATUS (§5.8), READ DEFECT DATA
//! (10) and (12) (§5.22, §5.23), FORMAT UNIT (§5.4).

use crate::backstore::{Extent, IoOp};
use crate::dispatch::data_out;
use crate::plan::{cut, Access, Plan, Work};
use crate::rw::Blocks;
use crate::sense::{invalid_named, lba_out_of_range, CmdResult};
use bytes::Bytes;
use rtgt_proto::scsi::cdb::{
    Cdb, FormatUnit, GetLbaStatus, ReadDefectData10, ReadDefectData12, WriteAtomic16,
};
use rtgt_proto::scsi::params::lba::{PROVISIONING_DEALLOCATED, PROVISIONING_MAPPED};
use rtgt_proto::scsi::params::{DefectData, LbaStatus, LbaStatusDescriptor};

/// The most bytes of medium one GET LBA STATUS looks at (the answer may
/// end before the last LBA; SBC-4 §5.8.1 lets the initiator ask again).
const LBA_STATUS_SPAN: u64 = 1 << 30;

impl Blocks<'_> {
    /// SBC-4 §5.18: the range is checked (zero blocks means to the last
    /// LBA); the virtual medium needs no cache loading, and every block
    /// "fits in the cache", so the answer is CONDITION MET.
    pub(crate) fn prefetch(&self, cdb: &Cdb) -> CmdResult<Plan> {
        let Some(io) = cdb.block_io() else {
            return Err(crate::sense::invalid_opcode());
        };
        self.range_to_end(io.lba, io.blocks.into())?;
        Ok(Plan::condition_met())
    }

    /// SBC-4 §5.11: ORWRITE (16) ORs the Data-Out into the medium; it runs
    /// as a read and a write, atomic against every other command on its
    /// range.
    pub(crate) fn orwrite(&self, cdb: &Cdb, out: &Bytes) -> CmdResult<Plan> {
        let Some(io) = cdb.block_io() else {
            return Err(crate::sense::invalid_opcode());
        };
        self.check_block_io(cdb, &io, self.cfg.max_transfer_blocks.into())?;
        if io.blocks == 0 {
            return Ok(Plan::good());
        }
        let bs = self.cfg.block_bytes();
        let blocks = u64::from(io.blocks);
        let data = data_out(out, blocks * bs)?;
        let work = Work::OrWrite {
            offset: io.lba * bs,
            data,
            fua: io.fua,
        };
        Ok(Plan::io(work, Access::write(io.lba, blocks)).taking(blocks * bs))
    }

    /// SBC-4 §5.46: WRITE ATOMIC (16), up to MAXIMUM ATOMIC TRANSFER
    /// LENGTH blocks; ATOMIC BOUNDARY needs a non-zero MAXIMUM ATOMIC
    /// BOUNDARY SIZE (zero here).
    pub(crate) fn write_atomic(
        &self,
        cdb: &Cdb,
        c: &WriteAtomic16,
        out: &Bytes,
    ) -> CmdResult<Plan> {
        if c.atomic_boundary != 0 {
            return Err(invalid_named(cdb, "atomic_boundary"));
        }
        if u32::from(c.transfer_length) > self.cfg.max_atomic_blocks() {
            return Err(invalid_named(cdb, "transfer_length"));
        }
        self.read_write(cdb, out)
    }

    /// SBC-4 §5.8: the provisioning status from LBA on, from the
    /// backstore's allocation.
    pub(crate) fn get_lba_status(&self, c: &GetLbaStatus) -> CmdResult<Plan> {
        // SBC-4 §5.8.1: a STARTING LOGICAL BLOCK ADDRESS past the last LBA
        // is LOGICAL BLOCK ADDRESS OUT OF RANGE.
        if c.lba >= self.cfg.blocks {
            return Err(lba_out_of_range());
        }
        let bs = self.cfg.block_bytes();
        let blocks = (self.cfg.blocks - c.lba).min((LBA_STATUS_SPAN / bs).max(1));
        if !self.cfg.thin {
            // SBC-4 §4.7.2: every LBA of a fully provisioned LU is mapped.
            let ext = [Extent {
                offset: c.lba * bs,
                len: blocks * bs,
                mapped: true,
            }];
            return Ok(Plan::data(self.lba_status_data(
                c.lba,
                &ext,
                c.allocation_length,
            )));
        }
        let work = Work::LbaStatus {
            lba: c.lba,
            offset: c.lba * bs,
            len: blocks * bs,
            alloc: c.allocation_length,
        };
        Ok(Plan::io(work, crate::plan::Access::read(c.lba, blocks)))
    }

    /// The GET LBA STATUS parameter data for the extents a backstore
    /// reported, from `lba` on, cut to `alloc` bytes.
    ///
    /// FIXME(scsi/ complete virtual disk): REPORT TYPE is not applied; every
    /// descriptor is reported whatever it asks.
    pub(crate) fn lba_status_data(&self, lba: u64, ext: &[Extent], alloc: u32) -> Bytes {
        let bs = self.cfg.block_bytes();
        let mut descriptors: Vec<LbaStatusDescriptor> = Vec::new();
        let mut next = lba;
        for e in ext {
            // Extents are block aligned by contract; a partial block counts
            // with the extent before it.
            let end = (e.offset + e.len).div_ceil(bs);
            if end <= next {
                continue;
            }
            let status = if e.mapped {
                PROVISIONING_MAPPED
            } else {
                PROVISIONING_DEALLOCATED
            };
            let mut left = end - next;
            while left > 0 {
                let n = left.min(u64::from(u32::MAX));
                match descriptors.last_mut() {
                    Some(d)
                        if d.provisioning_status == status
                            && u64::from(d.blocks) + n <= u64::from(u32::MAX) =>
                    {
                        d.blocks += n as u32;
                    }
                    _ => descriptors.push(LbaStatusDescriptor {
                        lba: next,
                        blocks: n as u32,
                        provisioning_status: status,
                        ..LbaStatusDescriptor::default()
                    }),
                }
                next += n;
                left -= n;
            }
        }
        let data = LbaStatus {
            descriptors,
            ..LbaStatus::default()
        }
        .encode();
        cut(data, alloc.into())
    }

    /// SBC-4 §5.4: FORMAT UNIT without parameter data; a thin LU gives
    /// its blocks back, a thick one keeps its data (SBC-4 leaves the
    /// content after a format unspecified unless the initialization
    /// pattern says otherwise).
    pub(crate) fn format_unit(&self, c: &FormatUnit) -> CmdResult<Plan> {
        let cdb = Cdb::FormatUnit(*c);
        // SBC-4 §5.4.1: FMTPINFO asks for protection information, which
        // the LU does not have (PROTECT zero).
        if c.fmtpinfo != 0 {
            return Err(invalid_named(&cdb, "fmtpinfo"));
        }
        // rtgt takes no FORMAT UNIT parameter list (no defect list, no
        // initialization pattern).
        if c.fmtdata {
            return Err(invalid_named(&cdb, "fmtdata"));
        }
        // SBC-4 §5.4.1: FFMT 01b and 10b (fast format) are optional.
        if c.ffmt != 0 {
            return Err(invalid_named(&cdb, "ffmt"));
        }
        self.check_writable()?;
        let blocks = self.cfg.blocks;
        if !self.cfg.thin {
            return Ok(Plan::io(Work::Writes(Vec::new()), Access::write(0, blocks)));
        }
        let op = IoOp::Deallocate {
            offset: 0,
            len: self.cfg.size_bytes(),
        };
        Ok(Plan::io(Work::Writes(vec![op]), Access::write(0, blocks)))
    }
}

/// The empty defect list (the medium has no defects) in the format asked
/// for, with the PLISTV and GLISTV asked for.
fn no_defects(req_plist: bool, req_glist: bool, format: u8) -> DefectData {
    DefectData {
        plistv: req_plist,
        glistv: req_glist,
        format,
        ..DefectData::default()
    }
}

/// SBC-4 §5.22: the medium has no defects: an empty list in the format
/// asked for.
pub(crate) fn read_defect_data10(c: &ReadDefectData10) -> Plan {
    let d = no_defects(c.req_plist, c.req_glist, c.defect_list_format);
    Plan::data(cut(d.encode10(), c.allocation_length.into()))
}

/// SBC-4 §5.23: as (10), with the (12) header.
pub(crate) fn read_defect_data12(c: &ReadDefectData12) -> Plan {
    let d = no_defects(c.req_plist, c.req_glist, c.defect_list_format);
    Plan::data(cut(d.encode12(), c.allocation_length.into()))
}

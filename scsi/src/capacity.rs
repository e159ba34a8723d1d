//! READ CAPACITY (10) and (16) (SBC-4 §5.20, §5.21).

use crate::config::DiskConfig;
use crate::plan::{cut, Plan};
use rtgt_proto::scsi::cdb::ReadCapacity16 as Rc16Cdb;
use rtgt_proto::scsi::params::{ReadCapacity10, ReadCapacity16};

/// READ CAPACITY (10) for a LU with `cfg`.
pub(crate) fn read_capacity10(cfg: &DiskConfig) -> Plan {
    // SBC-4 §5.20.2: RETURNED LOGICAL BLOCK ADDRESS is the last LBA, or
    // FFFFFFFFh when it does not fit (use READ CAPACITY (16)).
    let last = cfg.blocks - 1;
    let d = ReadCapacity10::for_last_lba(last, cfg.block_size.bytes());
    Plan::data(d.encode().to_vec())
}

/// READ CAPACITY (16) for a LU with `cfg`.
pub(crate) fn read_capacity16(cfg: &DiskConfig, cdb: &Rc16Cdb) -> Plan {
    let d = read_capacity16_data(cfg);
    // SBC-4 §5.21.1 and SPC-5 §4.2.5.6: cut to the ALLOCATION LENGTH.
    Plan::data(cut(d.encode().to_vec(), cdb.allocation_length.into()))
}

/// The READ CAPACITY (16) parameter data a LU with `cfg` returns (what a
/// driver or the simulator's oracle learns of it, LBPRZ among it).
pub fn read_capacity16_data(cfg: &DiskConfig) -> ReadCapacity16 {
    let thin = cfg.thin;
    ReadCapacity16 {
        returned_lba: cfg.blocks - 1,
        block_length: cfg.block_size.bytes(),
        // SBC-4 §5.21.2: LBPME one for a thin provisioned LU, LBPRZ one
        // when unmapped blocks read as zero.
        lbpme: thin,
        lbprz: thin,
        // SBC-4 §5.21.2: logical blocks per physical block as a power
        // of two (by default a 4096-byte physical block, the page and
        // file system block of the backstores rtgt serves from).
        lbppbe: cfg.physical_block_exponent(),
        ..ReadCapacity16::default()
    }
}

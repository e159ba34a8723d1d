//! The VPD pages of a disk (SPC-5 §7.7, SBC-4 §6.6): supported pages,
//! unit serial number, device identification, extended INQUIRY data, block
//! limits, block device characteristics, logical block provisioning.

use crate::config::DiskConfig;
use crate::sense::{invalid_named, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::cdb::{Cdb, Inquiry};
use rtgt_proto::scsi::vpd::*;

/// The pages served, ascending (SPC-5 §7.7.15 wants them in order).
pub const PAGES: [u8; 7] = [
    PAGE_SUPPORTED,
    PAGE_UNIT_SERIAL,
    PAGE_DEVICE_ID,
    PAGE_EXTENDED_INQUIRY,
    PAGE_BLOCK_LIMITS,
    PAGE_BLOCK_CHARACTERISTICS,
    PAGE_LOGICAL_BLOCK_PROVISIONING,
];

/// The page `cdb.page_code`, encoded, not yet cut.
pub(crate) fn page(
    cfg: &DiskConfig,
    alua: &crate::alua::Alua,
    nexus: &Nexus,
    cdb: &Inquiry,
) -> CmdResult<Vec<u8>> {
    let page = match cdb.page_code {
        PAGE_SUPPORTED => VpdPage::Supported(PAGES.to_vec()),
        PAGE_UNIT_SERIAL => VpdPage::UnitSerial(cfg.serial.as_bytes().to_vec()),
        PAGE_DEVICE_ID => VpdPage::DeviceId(designators(cfg, alua, nexus)),
        PAGE_EXTENDED_INQUIRY => VpdPage::ExtendedInquiry(extended_inquiry()),
        PAGE_BLOCK_LIMITS => VpdPage::BlockLimits(block_limits(cfg)),
        PAGE_BLOCK_CHARACTERISTICS => VpdPage::BlockCharacteristics(BlockCharacteristics {
            // SBC-4 §6.6.2: 0001h is a non-rotating medium.
            medium_rotation_rate: 1,
            // SBC-4 §6.6.2: WABEREQ 01b, a read of a block erased by
            // SANITIZE BLOCK ERASE (served on thin LUs) completes with
            // GOOD status (the block reads as zero).
            wabereq: u8::from(cfg.thin),
            ..BlockCharacteristics::default()
        }),
        PAGE_LOGICAL_BLOCK_PROVISIONING => VpdPage::LogicalBlockProvisioning(provisioning(cfg)),
        // SPC-5 §6.7.1: a page the device does not have is INVALID
        // FIELD IN CDB, pointing at PAGE CODE.
        _ => return Err(invalid_named(&Cdb::Inquiry(*cdb), "page_code")),
    };
    Ok(Vpd::disk(page).encode())
}

/// Page 83h (SPC-5 §7.7.6): the LU's NAA designator, then the target
/// port (SCSI name string, relative port, port group) and the target
/// device of the nexus the INQUIRY came through.
fn designators(cfg: &DiskConfig, alua: &crate::alua::Alua, nexus: &Nexus) -> Vec<Designation> {
    let (company, vendor, extension) = cfg.naa();
    vec![
        Designation::naa_registered_extended(company, vendor, extension),
        Designation::t10_vendor(
            rtgt_proto::scsi::params::inquiry::ascii_field(&cfg.vendor),
            cfg.serial.as_bytes(),
        ),
        Designation::iscsi_target_port(&nexus.target_name, nexus.tpgt),
        Designation::relative_target_port(nexus.relative_target_port),
        // SPC-5 §7.7.6 (target port group designator): the group of the port; without
        // configured groups each target portal group is its own target
        // port group, numbered by its tag.
        Designation::target_port_group(alua.group_of(nexus).0),
        Designation::iscsi_target_device(&nexus.target_name),
    ]
}

/// Page 86h (SPC-5 §7.7.7): the task attributes served and a
/// volatile write cache.
fn extended_inquiry() -> ExtendedInquiry {
    ExtendedInquiry::default()
        .with_headsup(true)
        .with_ordsup(true)
        .with_simpsup(true)
        .with_v_sup(true)
        .with_max_sense_length(252)
}

/// Page B0h (SBC-4 §6.6.4) from the configured limits.
pub(crate) fn block_limits(cfg: &DiskConfig) -> BlockLimits {
    let c = cfg;
    let thin = c.thin;
    BlockLimits {
        // SBC-4 §6.6.4: WSNZ zero, a WRITE SAME of zero blocks writes
        // to the last LBA (within MAXIMUM WRITE SAME LENGTH).
        wsnz: false,
        max_compare_and_write_length: c.max_compare_and_write_blocks,
        // SBC-4 §6.6.4: transfers in whole physical blocks are best.
        optimal_transfer_length_granularity: 1 << c.physical_block_exponent(),
        max_transfer_length: c.max_transfer_blocks,
        optimal_transfer_length: c.max_transfer_blocks,
        max_unmap_lba_count: if thin { c.max_unmap_blocks } else { 0 },
        max_unmap_block_descriptor_count: if thin { c.max_unmap_descriptors } else { 0 },
        optimal_unmap_granularity: u32::from(thin),
        max_write_same_length: c.max_write_same_blocks,
        // SBC-4 §6.6.4: WRITE ATOMIC (16) up to this many blocks, any
        // alignment and granularity.
        max_atomic_transfer_length: c.max_atomic_blocks(),
        ..BlockLimits::default()
    }
}

/// Page B2h (SBC-4 §6.6.6): thin LUs unmap through UNMAP and WRITE
/// SAME (10) and (16), and unmapped blocks read as zero (LBPRZ 001b).
fn provisioning(cfg: &DiskConfig) -> LogicalBlockProvisioning {
    let thin = cfg.thin;
    LogicalBlockProvisioning {
        lbpu: thin,
        lbpws: thin,
        lbpws10: thin,
        lbprz: u8::from(thin),
        provisioning_type: if thin {
            PROVISIONING_THIN
        } else {
            PROVISIONING_FULL
        },
        ..LogicalBlockProvisioning::default()
    }
}

//! INQUIRY (SPC-5 §6.7): standard data, and the answer for a LUN that has
//! no logical unit. VPD pages are in [`crate::vpd`].

use crate::alua::Alua;
use crate::config::DiskConfig;
use crate::plan::{cut, Plan};
use crate::sense::{invalid_named, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::cdb::{Cdb, Inquiry};
use rtgt_proto::scsi::params::inquiry::{
    ascii_field, PERIPHERAL_DIRECT_ACCESS, PERIPHERAL_UNKNOWN, QUALIFIER_NOT_CAPABLE,
    VERSION_DESCRIPTOR_ISCSI, VERSION_DESCRIPTOR_SAM5, VERSION_DESCRIPTOR_SBC3,
    VERSION_DESCRIPTOR_SBC4, VERSION_DESCRIPTOR_SPC4, VERSION_SPC4,
};
use rtgt_proto::scsi::params::StandardInquiry;

/// The standard INQUIRY data of a disk (SPC-5 §6.7.2).
pub fn standard_inquiry(cfg: &DiskConfig) -> StandardInquiry {
    StandardInquiry {
        peripheral_qualifier: 0,
        peripheral_device_type: PERIPHERAL_DIRECT_ACCESS,
        // SPC-5 §6.7.2: VERSION 06h claims SPC-4. rtgt serves EXTENDED
        // COPY (LID1), defined in SPC-4, and initiator tools in use
        // (libiscsi 1.19's test tool) refuse any VERSION above 06h.
        version: VERSION_SPC4,
        // SAM-5 §4.6.2: LUNs are hierarchical (HISUP), response data
        // format 2 is the only one SPC-5 allows.
        hisup: true,
        // SPC-5 §6.7.2: RMB one for a removable medium.
        rmb: cfg.removable,
        response_data_format: 2,
        // SAM-5 §8.6: the full task set management (CMDQUE one, BQUE gone).
        cmdque: true,
        // SPC-5 §6.7.2: TPGS 01b, implicit asymmetric access: REPORT TARGET
        // PORT GROUPS is served and SET TARGET PORT GROUPS is not; a LU's
        // configured access type replaces it (`crate::alua::AccessType`).
        tpgs: 1,
        // SPC-5 §6.7.2: 3PC one, third-party copy commands (EXTENDED COPY
        // LID1, RECEIVE COPY RESULTS) are served.
        three_pc: true,
        vendor_id: ascii_field(&cfg.vendor),
        product_id: ascii_field(&cfg.product),
        product_revision: ascii_field(&cfg.revision),
        // SPC-5 §6.7.2, version descriptor table: the standards the device
        // claims, architecture first, then transport, command sets.
        // SBC-3 is listed beside SBC-4: every SBC-3 command rtgt serves
        // behaves as SBC-3 says, and initiators look for its descriptor.
        version_descriptors: vec![
            VERSION_DESCRIPTOR_SAM5,
            VERSION_DESCRIPTOR_ISCSI,
            VERSION_DESCRIPTOR_SPC4,
            VERSION_DESCRIPTOR_SBC4,
            VERSION_DESCRIPTOR_SBC3,
        ],
        ..StandardInquiry::default()
    }
}

/// Checks the INQUIRY CDB fields the device, not the page, decides on.
fn check(cdb: &Inquiry) -> CmdResult<()> {
    let c = Cdb::Inquiry(*cdb);
    // SPC-5 §6.7.1: CMDDT is obsolete; a device that does not support it
    // answers INVALID FIELD IN CDB.
    if cdb.obsolete_cmddt {
        return Err(invalid_named(&c, "obsolete_cmddt"));
    }
    // SPC-5 §6.7.1: with EVPD zero, a PAGE CODE other than zero is invalid.
    if !cdb.evpd && cdb.page_code != 0 {
        return Err(invalid_named(&c, "page_code"));
    }
    Ok(())
}

/// INQUIRY to a LUN without a logical unit: standard data with PERIPHERAL
/// QUALIFIER 011b and device type 1Fh (SPC-5 §6.7.2, peripheral qualifier
/// table); a VPD page request gets LOGICAL UNIT NOT SUPPORTED.
pub(crate) fn inquiry_no_lu(cfg_vendor: &str, cdb: &Inquiry) -> CmdResult<Plan> {
    check(cdb)?;
    if cdb.evpd {
        return Err(crate::sense::lun_not_supported());
    }
    let mut data = standard_inquiry(&DiskConfig {
        vendor: cfg_vendor.into(),
        ..DiskConfig::new(0, "none", crate::BlockSize::B512, 1)
    });
    data.peripheral_qualifier = QUALIFIER_NOT_CAPABLE;
    data.peripheral_device_type = PERIPHERAL_UNKNOWN;
    data.three_pc = false;
    data.product_id = ascii_field("");
    data.product_revision = ascii_field("");
    data.version_descriptors.clear();
    Ok(Plan::data(cut(data.encode(), cdb.allocation_length.into())))
}

/// INQUIRY to a LU with `cfg`, through `nexus`.
pub(crate) fn inquiry(
    cfg: &DiskConfig,
    alua: &Alua,
    nexus: &Nexus,
    cdb: &Inquiry,
) -> CmdResult<Plan> {
    check(cdb)?;
    let data = if cdb.evpd {
        crate::vpd::page(cfg, alua, nexus, cdb)?
    } else {
        let mut data = standard_inquiry(cfg);
        // SPC-5 §6.7.2: TPGS says how the asymmetric access states
        // change: 01b implicitly, 10b by SET TARGET PORT GROUPS, 11b both.
        data.tpgs = alua.access.tpgs();
        data.encode()
    };
    // SPC-5 §4.2.5.6: the data is cut to the ALLOCATION LENGTH.
    Ok(Plan::data(cut(data, cdb.allocation_length.into())))
}

//! Text renderings of what the target returned: negotiated parameters,
//! INQUIRY data and VPD pages (decoded by rtgt-proto).

use std::fmt::Write as _;

use rtgt_initiator::client::LoginInfo;
use rtgt_proto::scsi::params::inquiry::{ascii_trim, version_descriptor_name};
use rtgt_proto::scsi::params::StandardInquiry;
use rtgt_proto::scsi::vpd::{Designator, PortSuffix, Vpd, VpdPage};
use rtgt_proto::text::DigestKind;

fn digest(d: DigestKind) -> &'static str {
    match d {
        DigestKind::None => "None",
        DigestKind::Crc32c => "CRC32C",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// The parameters a login negotiated, one `Key = value` a line.
pub fn login_info(info: &LoginInfo) -> String {
    let p = &info.params;
    let mut s = String::new();
    let _ = writeln!(s, "ISID                          {:?}", info.isid);
    let _ = writeln!(s, "TSIH                          {:#06x}", info.tsih);
    let rows: [(&str, String); 16] = [
        ("HeaderDigest", digest(p.header_digest).into()),
        ("DataDigest", digest(p.data_digest).into()),
        (
            "MaxRecvDataSegmentLength (ours)",
            p.initiator_max_recv_data_segment_length.to_string(),
        ),
        (
            "MaxRecvDataSegmentLength (target)",
            p.target_max_recv_data_segment_length.to_string(),
        ),
        ("MaxBurstLength", p.max_burst_length.to_string()),
        ("FirstBurstLength", p.first_burst_length.to_string()),
        ("InitialR2T", yes_no(p.initial_r2t).into()),
        ("ImmediateData", yes_no(p.immediate_data).into()),
        ("MaxOutstandingR2T", p.max_outstanding_r2t.to_string()),
        ("MaxConnections", p.max_connections.to_string()),
        ("ErrorRecoveryLevel", p.error_recovery_level.to_string()),
        ("DataPDUInOrder", yes_no(p.data_pdu_in_order).into()),
        (
            "DataSequenceInOrder",
            yes_no(p.data_sequence_in_order).into(),
        ),
        ("DefaultTime2Wait", p.default_time2wait.to_string()),
        ("DefaultTime2Retain", p.default_time2retain.to_string()),
        ("iSCSIProtocolLevel", p.iscsi_protocol_level.to_string()),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "{k:<29} {v}");
    }
    let _ = writeln!(s, "target's keys:");
    for pair in &info.target_keys {
        let _ = writeln!(s, "  {}={}", pair.key, pair.value);
    }
    s
}

/// Standard INQUIRY data.
pub fn inquiry(d: &StandardInquiry) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "peripheral qualifier   {}", d.peripheral_qualifier);
    let _ = writeln!(
        s,
        "peripheral device type {:#04x}{}",
        d.peripheral_device_type,
        if d.peripheral_device_type == 0 {
            " (direct access block device)"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "version                {:#04x}", d.version);
    let _ = writeln!(s, "response data format   {}", d.response_data_format);
    let _ = writeln!(s, "vendor                 {}", ascii_trim(&d.vendor_id));
    let _ = writeln!(s, "product                {}", ascii_trim(&d.product_id));
    let _ = writeln!(
        s,
        "revision               {}",
        ascii_trim(&d.product_revision)
    );
    let flags = [
        ("RMB", d.rmb),
        ("NORMACA", d.normaca),
        ("HISUP", d.hisup),
        ("SCCS", d.sccs),
        ("ACC", d.acc),
        ("3PC", d.three_pc),
        ("PROTECT", d.protect),
        ("ENCSERV", d.encserv),
        ("MULTIP", d.multip),
        ("CMDQUE", d.cmdque),
    ];
    let on: Vec<&str> = flags.iter().filter(|f| f.1).map(|f| f.0).collect();
    let _ = writeln!(s, "TPGS                   {}", d.tpgs);
    let _ = writeln!(s, "flags                  {}", on.join(" "));
    for v in &d.version_descriptors {
        let name = version_descriptor_name(*v).unwrap_or("unknown");
        let _ = writeln!(s, "version descriptor     {v:#06x} {name}");
    }
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A VPD page.
pub fn vpd(v: &Vpd) -> String {
    let mut s = String::new();
    match &v.page {
        VpdPage::Supported(pages) => {
            let list: Vec<String> = pages.iter().map(|p| format!("{p:02x}h")).collect();
            let _ = writeln!(s, "supported VPD pages (00h): {}", list.join(" "));
        }
        VpdPage::UnitSerial(b) => {
            let _ = writeln!(s, "unit serial number (80h): {}", ascii_trim(b));
        }
        VpdPage::DeviceId(list) => {
            let _ = writeln!(s, "device identification (83h):");
            for d in list {
                let what = match d.typed() {
                    Designator::T10 { vendor, specific } => {
                        format!("T10 vendor {} {}", ascii_trim(vendor), ascii_trim(specific))
                    }
                    Designator::Eui64(b) => format!("EUI-64 {}", hex(b)),
                    Designator::Naa { naa, value } => format!("NAA {naa} {}", hex(value)),
                    Designator::RelativeTargetPort(p) => format!("relative target port {p}"),
                    Designator::TargetPortGroup(g) => format!("target port group {g}"),
                    Designator::LogicalUnitGroup(g) => format!("logical unit group {g}"),
                    Designator::ScsiName { name, port } => match port {
                        Some(PortSuffix::TargetPortalGroupTag(t)) => {
                            format!("SCSI name {name} (portal group tag {t})")
                        }
                        Some(PortSuffix::Isid(i)) => format!("SCSI name {name} (ISID {i})"),
                        None => format!("SCSI name {name}"),
                    },
                    Designator::Other(b) => {
                        format!("type {:#x} {}", d.designator_type, hex(b))
                    }
                };
                let assoc = match d.association {
                    0 => "logical unit",
                    1 => "target port",
                    2 => "target device",
                    _ => "reserved",
                };
                let _ = writeln!(s, "  [{assoc}] {what}");
            }
        }
        VpdPage::ExtendedInquiry(e) => {
            let _ = writeln!(s, "extended INQUIRY data (86h): {e:?}");
        }
        VpdPage::BlockLimits(b) => {
            let _ = writeln!(s, "block limits (B0h):");
            let rows = [
                (
                    "maximum COMPARE AND WRITE length",
                    u64::from(b.max_compare_and_write_length),
                ),
                (
                    "optimal transfer length granularity",
                    u64::from(b.optimal_transfer_length_granularity),
                ),
                ("maximum transfer length", u64::from(b.max_transfer_length)),
                (
                    "optimal transfer length",
                    u64::from(b.optimal_transfer_length),
                ),
                ("maximum prefetch length", u64::from(b.max_prefetch_length)),
                ("maximum UNMAP LBA count", u64::from(b.max_unmap_lba_count)),
                (
                    "maximum UNMAP block descriptor count",
                    u64::from(b.max_unmap_block_descriptor_count),
                ),
                (
                    "optimal UNMAP granularity",
                    u64::from(b.optimal_unmap_granularity),
                ),
                ("maximum WRITE SAME length", b.max_write_same_length),
            ];
            for (k, v) in rows {
                let _ = writeln!(s, "  {k:<38} {v}");
            }
        }
        VpdPage::BlockCharacteristics(b) => {
            let _ = writeln!(s, "block device characteristics (B1h):");
            let rate = match b.medium_rotation_rate {
                0 => "not reported".to_owned(),
                1 => "non-rotating medium".to_owned(),
                r => format!("{r} rpm"),
            };
            let _ = writeln!(s, "  medium rotation rate {rate}");
            let _ = writeln!(s, "  nominal form factor  {}", b.nominal_form_factor);
        }
        VpdPage::LogicalBlockProvisioning(p) => {
            let _ = writeln!(s, "logical block provisioning (B2h):");
            let _ = writeln!(
                s,
                "  LBPU {} LBPWS {} LBPWS10 {} LBPRZ {} ANC_SUP {} provisioning type {}",
                u8::from(p.lbpu),
                u8::from(p.lbpws),
                u8::from(p.lbpws10),
                p.lbprz,
                u8::from(p.anc_sup),
                p.provisioning_type
            );
        }
        VpdPage::Other { page_code, body } => {
            let _ = writeln!(s, "VPD page {page_code:02x}h: {}", hex(body));
        }
    }
    s
}

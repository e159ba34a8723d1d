//! Snapshots of encoded SCSI data as a target would send it, and of the
//! typed views an initiator decodes from it.

use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::mode::*;
use rtgt_proto::scsi::params::inquiry::*;
use rtgt_proto::scsi::params::StandardInquiry;
use rtgt_proto::scsi::sense::{Sense, SenseKeySpecific};
use rtgt_proto::scsi::vpd::*;

/// 16 bytes a line, offset first, as in a protocol analyser.
fn hex(b: &[u8]) -> String {
    b.chunks(16)
        .enumerate()
        .map(|(i, c)| {
            let bytes: Vec<String> = c.iter().map(|x| format!("{x:02x}")).collect();
            format!("{:04x}: {}\n", i * 16, bytes.join(" "))
        })
        .collect()
}

#[test]
fn standard_inquiry_of_a_virtual_disk() {
    let inq = StandardInquiry {
        version: VERSION_SPC5,
        hisup: true,
        response_data_format: 2,
        tpgs: 1,
        three_pc: true,
        cmdque: true,
        vendor_id: ascii_field("RTGT"),
        product_id: ascii_field("VIRTUAL-DISK"),
        product_revision: ascii_field("0001"),
        version_descriptors: vec![
            VERSION_DESCRIPTOR_SAM5,
            VERSION_DESCRIPTOR_ISCSI,
            VERSION_DESCRIPTOR_SPC5,
            VERSION_DESCRIPTOR_SBC4,
        ],
        ..Default::default()
    };
    let b = inq.encode();
    let back = StandardInquiry::decode(&b).unwrap();
    let names: Vec<_> = back
        .value
        .version_descriptors
        .iter()
        .map(|&c| version_descriptor_name(c).unwrap_or("?"))
        .collect();
    insta::assert_snapshot!(format!(
        "{}vendor={:?} product={:?} revision={:?} descriptors={names:?} truncated={}",
        hex(&b),
        ascii_trim(&back.value.vendor_id),
        ascii_trim(&back.value.product_id),
        ascii_trim(&back.value.product_revision),
        back.is_truncated()
    ));
}

#[test]
fn device_identification_page_with_several_designators() {
    let page = Vpd::disk(VpdPage::DeviceId(vec![
        Designation::naa(vec![
            0x60, 0x01, 0x40, 0x5f, 0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0, 0, 0, 0, 0, 1,
        ]),
        Designation::t10_vendor(*b"RTGT    ", b"disk0"),
        Designation::relative_target_port(1),
        Designation::target_port_group(1),
        Designation::iscsi_target_port("iqn.2024-01.org.rtgt:disk0", 1),
        Designation::iscsi_target_device("iqn.2024-01.org.rtgt:disk0"),
    ]));
    let b = page.encode();
    let VpdPage::DeviceId(list) = Vpd::decode(&b).unwrap().value.page else {
        panic!("page 83h decoded as another page")
    };
    let typed: Vec<String> = list
        .iter()
        .map(|d| {
            format!(
                "assoc={} type={:#x} piv={} proto={:#x} {:?}",
                d.association,
                d.designator_type,
                d.piv,
                d.protocol_identifier,
                d.typed()
            )
        })
        .collect();
    insta::assert_snapshot!(format!("{}{}", hex(&b), typed.join("\n")));
}

#[test]
fn descriptor_format_sense_for_an_lba_out_of_range() {
    let s = Sense::new(SenseKey::ILLEGAL_REQUEST, AscAscq::LBA_OUT_OF_RANGE)
        .with_information(0x1_0000_0000)
        .with_field_pointer(true, 2, None);
    let d = s.encode_for(true);
    let f = s.encode_for(false);
    let back = Sense::decode(&d).unwrap().value;
    insta::assert_snapshot!(format!(
        "descriptor:\n{}fixed:\n{}{} / {}\n{:?}",
        hex(&d),
        hex(&f),
        back.key,
        back.asc,
        back.sks
    ));
    assert_eq!(
        back.sks,
        Some(SenseKeySpecific::FieldPointer {
            cdb: true,
            bit_pointer: None,
            field_pointer: 2
        })
    );
}

#[test]
fn mode_sense_all_pages_response() {
    let m = ModeParameters {
        header: ModeHeader::disk(false, true),
        block_descriptors: vec![BlockDescriptor {
            blocks: 0x20_0000,
            block_length: 512,
            reserved: 0,
        }],
        pages: vec![
            ModePage {
                ps: true,
                page: Page::ReadWriteErrorRecovery(
                    ReadWriteErrorRecovery::default()
                        .with_awre(true)
                        .with_arre(true),
                ),
            },
            ModePage {
                ps: true,
                page: Page::Caching(Caching::default().with_wce(true)),
            },
            ModePage {
                ps: true,
                page: Page::Control(
                    Control::default()
                        .with_queue_algorithm_modifier(1)
                        .with_tas(true)
                        .with_busy_timeout_period(0xffff),
                ),
            },
            ModePage {
                ps: false,
                page: Page::ControlExtension(
                    ControlExtension::default().with_max_sense_data_length(252),
                ),
            },
            ModePage {
                ps: true,
                page: Page::InformationalExceptions(
                    InformationalExceptions::default().with_dexcpt(true),
                ),
            },
        ],
    };
    let b = m.encode(HeaderKind::Six);
    let back = ModeParameters::decode(&b, HeaderKind::Six).unwrap();
    assert_eq!(back.value, m);
    let codes: Vec<_> = back.value.pages.iter().map(|p| (p.ps, p.code())).collect();
    insta::assert_snapshot!(format!(
        "{}wp={} dpofua={} pages={codes:?}",
        hex(&b),
        back.value.header.wp(),
        back.value.header.dpofua()
    ));
}

#[test]
fn asc_table_size_and_sample() {
    let sample: Vec<String> = [
        (0x04, 0x01),
        (0x20, 0x00),
        (0x24, 0x00),
        (0x26, 0x04),
        (0x29, 0x07),
        (0x2a, 0x09),
        (0x3f, 0x0e),
        (0x55, 0x04),
    ]
    .into_iter()
    .map(|p| AscAscq::from(p).to_string())
    .collect();
    insta::assert_snapshot!(format!(
        "entries: {}\n{}",
        AscAscq::table_len(),
        sample.join("\n")
    ));
}

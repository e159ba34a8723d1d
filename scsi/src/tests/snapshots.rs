//! Annotated dumps of the INQUIRY data and VPD pages a disk returns.

use super::*;

/// Named byte ranges of a page.
type Fields<'a> = &'a [(&'a str, std::ops::Range<usize>)];

/// Hex, 16 bytes a line, then one line per named field.
fn dump(bytes: &[u8], fields: &[(&str, std::ops::Range<usize>)]) -> String {
    let mut s = String::new();
    for (i, c) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = c.iter().map(|b| format!("{b:02x}")).collect();
        s += &format!("{:04x}: {}\n", i * 16, hex.join(" "));
    }
    for (name, r) in fields {
        let v: Vec<String> = bytes
            .get(r.clone())
            .unwrap_or(&[])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        s += &format!("{:>3}-{:<3} {name}: {}\n", r.start, r.end - 1, v.join(" "));
    }
    s
}

fn rig() -> Rig {
    Rig::ready_with(DiskConfig::new(0x42, "RTGT0042", BlockSize::B512, 1 << 21).thin(true))
}

#[test]
fn standard_inquiry() {
    let d = rig().good(&[0x12, 0, 0, 0, 255, 0], &[], 255);
    insta::assert_snapshot!(dump(
        &d,
        &[
            ("PERIPHERAL QUALIFIER | DEVICE TYPE", 0..1),
            ("RMB | LU_CONG", 1..2),
            ("VERSION", 2..3),
            ("NORMACA HISUP | RESPONSE DATA FORMAT", 3..4),
            ("ADDITIONAL LENGTH", 4..5),
            ("SCCS ACC TPGS 3PC PROTECT", 5..6),
            ("ENCSERV MULTIP", 6..7),
            ("CMDQUE", 7..8),
            ("T10 VENDOR IDENTIFICATION", 8..16),
            ("PRODUCT IDENTIFICATION", 16..32),
            ("PRODUCT REVISION LEVEL", 32..36),
            (
                "VERSION DESCRIPTORS 1-5 (SAM-5 iSCSI SPC-4 SBC-4 SBC-3)",
                58..68
            ),
        ],
    ));
}

#[test]
fn vpd_pages() {
    let mut r = rig();
    let mut out = String::new();
    let pages: [(u8, &str, Fields); 7] = [
        (0x00, "supported pages", &[("PAGE LIST", 4..11)]),
        (
            0x80,
            "unit serial number",
            &[("PRODUCT SERIAL NUMBER", 4..12)],
        ),
        (
            0x83,
            "device identification",
            &[
                ("NAA 6 designator header", 4..8),
                ("NAA 6 (company 0A7267h, id, extension)", 8..24),
                ("T10 vendor id designator header", 24..28),
                ("SCSI name string (target port) header", 44..48),
                ("relative target port designator", 84..92),
                ("target port group designator", 92..100),
                ("SCSI name string (target device) header", 100..104),
            ],
        ),
        (
            0x86,
            "extended inquiry data",
            &[("HEADSUP ORDSUP SIMPSUP", 5..6), ("V_SUP", 6..7)],
        ),
        (
            0xb0,
            "block limits",
            &[
                ("WSNZ", 4..5),
                ("MAXIMUM COMPARE AND WRITE LENGTH", 5..6),
                ("OPTIMAL TRANSFER LENGTH GRANULARITY", 6..8),
                ("MAXIMUM TRANSFER LENGTH", 8..12),
                ("OPTIMAL TRANSFER LENGTH", 12..16),
                ("MAXIMUM UNMAP LBA COUNT", 20..24),
                ("MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT", 24..28),
                ("OPTIMAL UNMAP GRANULARITY", 28..32),
                ("MAXIMUM WRITE SAME LENGTH", 36..44),
            ],
        ),
        (
            0xb1,
            "block device characteristics",
            &[("MEDIUM ROTATION RATE", 4..6)],
        ),
        (
            0xb2,
            "logical block provisioning",
            &[
                ("LBPU LBPWS LBPWS10 LBPRZ ANC_SUP DP", 5..6),
                ("PROVISIONING TYPE", 6..7),
            ],
        ),
    ];
    for (code, name, fields) in pages {
        let d = r.good(&[0x12, 1, code, 0x10, 0, 0], &[], 0x1000);
        out += &format!("== page {code:02x}h {name}, {} bytes\n", d.len());
        out += &dump(&d, fields);
    }
    insta::assert_snapshot!(out);
}

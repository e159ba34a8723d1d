//! INQUIRY standard data and the CDB's own checks (SPC-5 §6.7).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::cdb::Inquiry;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.inquiry.disk-device-type",
        clause: "SPC-5 §6.7.2 INQUIRY",
        level: Level::Must,
        requirement: "the standard INQUIRY data of the disk LUN under test carries peripheral \
                      qualifier 000b (connected) and peripheral device type 00h (direct access \
                      block device)",
        needs: Needs::NONE,
        run: disk_device_type,
    },
    Scenario {
        id: "scsi.inquiry.version",
        clause: "SPC-5 §6.7.2 INQUIRY",
        level: Level::Must,
        requirement: "the VERSION field holds 00h (no claim) or a standard's code, 03h (SPC) to \
                      07h (SPC-5); other values are obsolete or reserved",
        needs: Needs::NONE,
        run: version,
    },
    Scenario {
        id: "scsi.inquiry.response-data-format",
        clause: "SPC-5 §6.7.2 INQUIRY",
        level: Level::Must,
        requirement: "the RESPONSE DATA FORMAT field of the standard INQUIRY data is 2h",
        needs: Needs::NONE,
        run: response_data_format,
    },
    Scenario {
        id: "scsi.inquiry.additional-length",
        clause: "SPC-5 §6.7.2 INQUIRY",
        level: Level::Must,
        requirement: "the standard data is at least 36 bytes and, asked for 255 bytes, the \
                      target returns exactly ADDITIONAL LENGTH + 5 bytes (or 255 when more)",
        needs: Needs::NONE,
        run: additional_length,
    },
    Scenario {
        id: "scsi.inquiry.identification-ascii",
        clause: "SPC-5 §4.3.1, §6.7.2 INQUIRY",
        level: Level::Must,
        requirement: "T10 VENDOR IDENTIFICATION, PRODUCT IDENTIFICATION and PRODUCT REVISION \
                      LEVEL are left-aligned ASCII graphic characters (20h-7Eh) padded with spaces",
        needs: Needs::NONE,
        run: identification_ascii,
    },
    Scenario {
        id: "scsi.inquiry.allocation-length-truncates",
        clause: "SPC-5 §4.2.5.6, §6.7 INQUIRY",
        level: Level::Must,
        requirement: "with ALLOCATION LENGTH 5 the target returns GOOD and exactly 5 bytes, the \
                      ADDITIONAL LENGTH in them unchanged by the truncation",
        needs: Needs::NONE,
        run: allocation_truncates,
    },
    Scenario {
        id: "scsi.inquiry.allocation-length-zero",
        clause: "SPC-5 §4.2.5.6, §6.7 INQUIRY",
        level: Level::Must,
        requirement: "an ALLOCATION LENGTH of zero is not an error: GOOD and no data",
        needs: Needs::NONE,
        run: allocation_zero,
    },
    Scenario {
        id: "scsi.inquiry.page-code-without-evpd",
        clause: "SPC-5 §6.7.1 INQUIRY",
        level: Level::Must,
        requirement: "EVPD zero with a non-zero PAGE CODE is ILLEGAL REQUEST, INVALID FIELD IN \
                      CDB (a field pointer, when given, names byte 2)",
        needs: Needs::NONE,
        run: page_code_without_evpd,
    },
];

fn disk_device_type(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (inq, _) = standard_inquiry(ctx, s)?;
        Ok(Outcome::check(
            inq.peripheral_qualifier == 0 && inq.peripheral_device_type == 0,
            "peripheral qualifier 0, device type 00h",
            format!(
                "peripheral qualifier {}, device type {:02X}h",
                inq.peripheral_qualifier, inq.peripheral_device_type
            ),
        ))
    })
}

fn version(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (inq, _) = standard_inquiry(ctx, s)?;
        Ok(Outcome::check(
            matches!(inq.version, 0x00 | 0x03..=0x07),
            "VERSION 00h or 03h-07h",
            format!("VERSION {:02X}h", inq.version),
        ))
    })
}

fn response_data_format(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (inq, _) = standard_inquiry(ctx, s)?;
        Ok(Outcome::check(
            inq.response_data_format == 2,
            "RESPONSE DATA FORMAT 2h",
            format!("RESPONSE DATA FORMAT {:X}h", inq.response_data_format),
        ))
    })
}

fn additional_length(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (_, raw) = standard_inquiry(ctx, s)?;
        let declared = usize::from(raw.get(4).copied().unwrap_or(0)) + 5;
        Ok(Outcome::check(
            declared >= 36 && raw.len() == declared.min(255),
            "ADDITIONAL LENGTH + 5 >= 36 and that many bytes returned",
            format!(
                "ADDITIONAL LENGTH + 5 = {declared}, {} bytes returned",
                raw.len()
            ),
        ))
    })
}

/// SPC-5 §4.3.1: an ASCII field holds graphic codes, left-aligned, with
/// spaces after the text.
fn ascii_field_ok(field: &[u8]) -> bool {
    let graphic = field.iter().all(|&b| (0x20..=0x7e).contains(&b));
    let text = field.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    let left_aligned = text == 0 || field.first() != Some(&b' ');
    graphic && left_aligned
}

fn identification_ascii(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (inq, _) = standard_inquiry(ctx, s)?;
        let fields: [(&str, &[u8]); 3] = [
            ("T10 VENDOR IDENTIFICATION", &inq.vendor_id),
            ("PRODUCT IDENTIFICATION", &inq.product_id),
            ("PRODUCT REVISION LEVEL", &inq.product_revision),
        ];
        for (name, field) in fields {
            if !ascii_field_ok(field) {
                return Ok(Outcome::fail(
                    format!("{name} in left-aligned ASCII graphic characters"),
                    format!("{name} bytes {field:02x?}"),
                ));
            }
        }
        Ok(Outcome::Pass)
    })
}

fn allocation_truncates(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (_, full) = standard_inquiry(ctx, s)?;
        let cdb = Inquiry {
            allocation_length: 5,
            ..Default::default()
        }
        .encode();
        // More room than asked for: a target that ignores the allocation
        // length shows it by sending more.
        let reply = s.read(ctx, &cdb, 255)?;
        if !reply.good() {
            return Ok(expect_good(&reply));
        }
        Ok(Outcome::check(
            reply.data.len() == 5 && reply.data.get(..5) == full.get(..5),
            format!(
                "5 bytes, the first 5 of the full data {:02x?}",
                full.get(..5)
            ),
            format!("{} bytes {:02x?}", reply.data.len(), reply.data),
        ))
    })
}

fn allocation_zero(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s: &mut Scsi| {
        let cdb = Inquiry::default().encode();
        let reply = s.none(ctx, &cdb)?;
        Ok(Outcome::check(
            reply.good() && reply.data.is_empty(),
            "GOOD without data",
            reply.describe(),
        ))
    })
}

fn page_code_without_evpd(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cdb = Inquiry {
            page_code: 0x83,
            allocation_length: 255,
            ..Default::default()
        }
        .encode();
        let reply = s.read(ctx, &cdb, 255)?;
        Ok(expect_invalid_field(&reply, 2))
    })
}

#[cfg(test)]
mod tests {
    use super::ascii_field_ok;

    #[test]
    fn ascii_fields() {
        assert!(ascii_field_ok(b"RTGT    "));
        assert!(ascii_field_ok(b"        "));
        assert!(!ascii_field_ok(b" RTGT   "));
        assert!(!ascii_field_ok(b"RTGT\0\0\0\0"));
    }
}

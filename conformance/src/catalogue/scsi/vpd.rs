//! Vital product data pages (SPC-5 §7.7, SBC-4 §6.6).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::vpd::{
    Designation, Designator, Vpd, VpdPage, ASSOC_LOGICAL_UNIT, ASSOC_TARGET_PORT, CODE_SET_BINARY,
    CODE_SET_UTF8, DESIGNATOR_EUI64, DESIGNATOR_NAA, DESIGNATOR_RELATIVE_TARGET_PORT,
    DESIGNATOR_SCSI_NAME,
};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.vpd.supported-pages-mandatory",
        clause: "SPC-5 §7.7.15, §7.7.6",
        level: Level::Must,
        requirement: "the Supported VPD Pages page (00h) lists itself and the Device \
                      Identification page (83h)",
        needs: Needs::NONE,
        run: supported_mandatory,
    },
    Scenario {
        id: "scsi.vpd.supported-pages-ascending",
        clause: "SPC-5 §7.7.15",
        level: Level::Must,
        requirement: "the page codes of page 00h are listed in ascending order, each once",
        needs: Needs::NONE,
        run: supported_ascending,
    },
    Scenario {
        id: "scsi.vpd.listed-pages-answer",
        clause: "SPC-5 §7.7.1, §6.7.1 INQUIRY",
        level: Level::Must,
        requirement: "every page page 00h lists can be read: GOOD, its PAGE CODE the one asked \
                      for, its peripheral fields those of the standard data, PAGE LENGTH \
                      matching the bytes returned",
        needs: Needs::NONE,
        run: listed_pages_answer,
    },
    Scenario {
        id: "scsi.vpd.unsupported-page",
        clause: "SPC-5 §6.7.1 INQUIRY",
        level: Level::Must,
        requirement: "a VPD page the device does not list is ILLEGAL REQUEST, INVALID FIELD IN \
                      CDB (a field pointer, when given, names byte 2)",
        needs: Needs::NONE,
        run: unsupported_page,
    },
    Scenario {
        id: "scsi.vpd.device-id-lu-designator",
        clause: "SPC-5 §7.7.6.1",
        level: Level::Must,
        requirement: "page 83h holds a logical unit designator of type EUI-64 (2h), NAA (3h) or \
                      SCSI name string (8h)",
        needs: Needs::NONE,
        run: lu_designator,
    },
    Scenario {
        id: "scsi.vpd.device-id-target-port",
        // SPC-5 §7.8.6.2.3.1: page 83h "should include one designation
        // descriptor with the ASSOCIATION field set to 01b (i.e., target
        // port) and the DESIGNATOR TYPE field set to 4h"; §7.8.6.2.3.2 asks
        // the same ("should") of the target port name or identifier.
        clause: "SPC-5 §7.8.6.2.3",
        level: Level::Should,
        requirement: "page 83h names the target port the command came through: a designator \
                      with association 01b (relative target port 4h or SCSI name string 8h)",
        needs: Needs::NONE,
        run: target_port_designator,
    },
    Scenario {
        id: "scsi.vpd.device-id-well-formed",
        clause: "SPC-5 §7.7.6",
        level: Level::Must,
        requirement: "page 83h descriptors fill the page exactly; NAA designators are 8 or 16 \
                      bytes as their NAA field says, EUI-64 8, 12 or 16, both binary; SCSI name \
                      strings are UTF-8, null-terminated and a multiple of 4 bytes long",
        needs: Needs::NONE,
        run: designators_well_formed,
    },
    Scenario {
        id: "scsi.vpd.block-limits-length",
        clause: "SBC-4 §6.6.4",
        level: Level::Must,
        requirement: "the Block Limits page (B0h), when listed, has PAGE LENGTH 003Ch",
        needs: Needs::NONE,
        run: block_limits_length,
    },
    Scenario {
        id: "scsi.vpd.block-limits-optimal-within-maximum",
        clause: "SBC-4 §6.6.4",
        // SBC-4 (r22) §6.6.4 bounds MAXIMUM COMPARE AND WRITE LENGTH ("shall")
        // and MAXIMUM PREFETCH LENGTH ("should") by MAXIMUM TRANSFER LENGTH,
        // but states no such bound for OPTIMAL TRANSFER LENGTH: a MAY.
        level: Level::May,
        requirement: "with a non-zero MAXIMUM TRANSFER LENGTH, OPTIMAL TRANSFER LENGTH is not \
                      larger than it",
        needs: Needs::NONE,
        run: optimal_within_maximum,
    },
    Scenario {
        id: "scsi.vpd.block-limits-unmap-counts",
        clause: "SBC-4 §6.6.4, §6.6.7",
        level: Level::Must,
        requirement: "a LUN that supports UNMAP (LBPU one) gives a non-zero MAXIMUM UNMAP LBA \
                      COUNT and MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT",
        needs: Needs::NONE,
        run: unmap_counts,
    },
];

fn supported_mandatory(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let list = supported_pages(ctx, s)?;
        Ok(Outcome::check(
            list.contains(&0x00) && list.contains(&0x83),
            "page 00h listing 00h and 83h",
            format!("page list {list:02x?}"),
        ))
    })
}

fn supported_ascending(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let list = supported_pages(ctx, s)?;
        Ok(Outcome::check(
            !list.is_empty() && list.windows(2).all(|w| w[0] < w[1]),
            "a non-empty, strictly ascending page list",
            format!("page list {list:02x?}"),
        ))
    })
}

fn listed_pages_answer(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let (inq, _) = standard_inquiry(ctx, s)?;
        let pages = supported_pages(ctx, s)?;
        if pages.is_empty() {
            // Nothing listed is nothing checked: not a pass.
            return Ok(Outcome::not_applicable(
                "page 00h listed no page (scsi.vpd.supported-pages-* judge page 00h itself)",
            ));
        }
        for page in pages {
            let reply = vpd_reply(ctx, s, page)?;
            let decoded = Vpd::decode(&reply.data);
            let ok = match &decoded {
                Ok(d) => {
                    reply.good()
                        && d.value.page.page_code() == page
                        && d.value.peripheral_qualifier == inq.peripheral_qualifier
                        && d.value.peripheral_device_type == inq.peripheral_device_type
                        && !d.is_truncated()
                        && d.available == reply.data.len()
                }
                Err(_) => false,
            };
            if !ok {
                return Ok(Outcome::fail(
                    format!("page {page:02X}h returned whole, with its own code and header"),
                    format!(
                        "{}; header {:02x?}",
                        reply.describe(),
                        reply.data.get(..4.min(reply.data.len()))
                    ),
                ));
            }
        }
        Ok(Outcome::Pass)
    })
}

fn unsupported_page(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let list = supported_pages(ctx, s)?;
        // Vendor specific and reserved codes a disk is unlikely to have.
        let Some(page) = [0xc7u8, 0xde, 0xfe, 0x7f]
            .into_iter()
            .find(|p| !list.contains(p))
        else {
            return Ok(Outcome::not_applicable(
                "the device lists every candidate page",
            ));
        };
        let reply = vpd_reply(ctx, s, page)?;
        Ok(expect_invalid_field(&reply, 2))
    })
}

fn device_id(ctx: &mut Context) -> Result<Vec<Designation>, ScenarioError> {
    with_session(ctx, |ctx, s| match vpd_page(ctx, s, 0x83)? {
        Some(VpdPage::DeviceId(list)) => Ok(list),
        _ => {
            let reply = vpd_reply(ctx, s, 0x83)?;
            Err(setup("VPD page 83h", &reply))
        }
    })
}

fn summary(list: &[Designation]) -> String {
    list.iter()
        .map(|d| {
            format!(
                "(assoc {} type {:X}h, {} bytes)",
                d.association,
                d.designator_type,
                d.designator.len()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A designator of `association` and one of `types` in the Device
/// Identification page (SPC-5 §7.7.6); `expected` says which.
fn designator(ctx: &mut Context, association: u8, types: &[u8], expected: &str) -> Verdict {
    let list = device_id(ctx)?;
    Ok(Outcome::check(
        list.iter()
            .any(|d| d.association == association && types.contains(&d.designator_type)),
        expected,
        summary(&list),
    ))
}

cases! {
    lu_designator => designator(
        ASSOC_LOGICAL_UNIT,
        &[DESIGNATOR_EUI64, DESIGNATOR_NAA, DESIGNATOR_SCSI_NAME],
        "a designator with association 00b and type 2h, 3h or 8h",
    );
    target_port_designator => designator(
        ASSOC_TARGET_PORT,
        &[DESIGNATOR_RELATIVE_TARGET_PORT, DESIGNATOR_SCSI_NAME],
        "a designator with association 01b and type 4h or 8h",
    );
}

fn designators_well_formed(ctx: &mut Context) -> Verdict {
    // Decoding refuses a descriptor that runs past the page; the page must
    // then be exactly the descriptors.
    let list = device_id(ctx)?;
    for d in &list {
        let n = d.designator.len();
        let bad = match d.designator_type {
            DESIGNATOR_NAA => {
                let naa = d.designator.first().map_or(0, |b| b >> 4);
                let want = if naa == 6 { 16 } else { 8 };
                d.code_set != CODE_SET_BINARY || !matches!(naa, 2 | 3 | 5 | 6) || n != want
            }
            DESIGNATOR_EUI64 => d.code_set != CODE_SET_BINARY || !matches!(n, 8 | 12 | 16),
            DESIGNATOR_SCSI_NAME => {
                d.code_set != CODE_SET_UTF8
                    || n % 4 != 0
                    || !d.designator.contains(&0)
                    || !matches!(d.typed(), Designator::ScsiName { .. })
            }
            DESIGNATOR_RELATIVE_TARGET_PORT => n != 4 || d.code_set != CODE_SET_BINARY,
            _ => false,
        };
        if bad {
            return Ok(Outcome::fail(
                "designators of the length and code set their type requires",
                format!(
                    "type {:X}h, code set {:X}h, {n} bytes {:02x?}",
                    d.designator_type, d.code_set, d.designator
                ),
            ));
        }
    }
    Ok(Outcome::Pass)
}

fn block_limits_length(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if !supported_pages(ctx, s)?.contains(&0xb0) {
            return Ok(Outcome::not_applicable("page B0h is not listed"));
        }
        let reply = vpd_reply(ctx, s, 0xb0)?;
        let len = reply
            .data
            .get(2..4)
            .map(|b| u16::from_be_bytes([b[0], b[1]]));
        Ok(Outcome::check(
            reply.good() && len == Some(0x3c),
            "GOOD, PAGE LENGTH 003Ch",
            format!("{}, PAGE LENGTH {len:04x?}", reply.describe()),
        ))
    })
}

fn optimal_within_maximum(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some(b) = block_limits(ctx, s)? else {
            return Ok(Outcome::not_applicable("page B0h is not listed"));
        };
        if b.max_transfer_length == 0 || b.optimal_transfer_length == 0 {
            return Ok(Outcome::not_applicable(
                "MAXIMUM or OPTIMAL TRANSFER LENGTH is zero (no limit stated)",
            ));
        }
        Ok(Outcome::check(
            b.optimal_transfer_length <= b.max_transfer_length,
            "OPTIMAL TRANSFER LENGTH <= MAXIMUM TRANSFER LENGTH",
            format!(
                "OPTIMAL {} MAXIMUM {}",
                b.optimal_transfer_length, b.max_transfer_length
            ),
        ))
    })
}

fn unmap_counts(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let lbpu = provisioning(ctx, s)?.is_some_and(|p| p.lbpu);
        if !lbpu {
            return Ok(Outcome::not_applicable("LBPU is not set (no UNMAP)"));
        }
        let Some(b) = block_limits(ctx, s)? else {
            return Ok(Outcome::fail(
                "page B0h listed by a LUN that supports UNMAP",
                "no page B0h",
            ));
        };
        Ok(Outcome::check(
            b.max_unmap_lba_count > 0 && b.max_unmap_block_descriptor_count > 0,
            "MAXIMUM UNMAP LBA COUNT and MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT above zero",
            format!(
                "{} and {}",
                b.max_unmap_lba_count, b.max_unmap_block_descriptor_count
            ),
        ))
    })
}

//! REPORT SUPPORTED OPERATION CODES (SPC-5 §6.35).

use crate::config::DiskConfig;
use crate::dispatch::SUPPORTED;
use crate::plan::{cut, Plan};
use crate::sense::{invalid_named, CmdResult};
use rtgt_proto::scsi::cdb::opcode::{cdb_len_from_group, has_service_actions};
use rtgt_proto::scsi::cdb::{op, reporting_options, Cdb, ReportSupportedOperationCodes};
use rtgt_proto::scsi::params::opcodes::{SUPPORT_NOT_SUPPORTED, SUPPORT_STANDARD};
use rtgt_proto::scsi::params::{CommandDescriptor, CommandTimeouts, OneCommand, SupportedOpcodes};

/// The CDB USAGE DATA of a command (SPC-5 §6.35.3): the operation code,
/// then a one in every bit of every field the device server evaluates. The
/// CONTROL byte is all zero: NACA and LINK are refused, not evaluated.
pub fn cdb_usage(opcode: u8, service_action: Option<u8>) -> Vec<u8> {
    let len = cdb_len_from_group(opcode).unwrap_or(16);
    let mut raw = vec![0u8; len];
    if let Some(b) = raw.first_mut() {
        *b = opcode;
    }
    if let (Some(sa), Some(b)) = (service_action, raw.get_mut(1)) {
        *b = sa;
    }
    let Ok(cdb) = Cdb::decode(&raw) else {
        return raw;
    };
    let mut usage = vec![0u8; len];
    if let Some(b) = usage.first_mut() {
        *b = opcode;
    }
    if let (Some(_), Some(b)) = (service_action, usage.get_mut(1)) {
        *b = 0x1f;
    }
    for f in cdb.fields() {
        if f.reserved || f.name.starts_with("obsolete") || f.name == "control" {
            continue;
        }
        // The field is bits shift..shift+width of a big-endian integer of
        // nbytes bytes starting at byte.
        for bit in f.shift..f.shift + f.width {
            let from_end = (bit / 8) as usize;
            let Some(i) = (f.byte + f.nbytes).checked_sub(1 + from_end) else {
                continue;
            };
            if let Some(b) = usage.get_mut(i) {
                *b |= 1 << (bit % 8);
            }
        }
    }
    usage
}

/// The commands a LU with `cfg` serves, as (operation code, service
/// action): UNMAP only when thin, the SANITIZE service actions it serves.
fn served(cfg: &DiskConfig) -> impl Iterator<Item = (u8, Option<u8>)> + '_ {
    SUPPORTED
        .iter()
        .flat_map(|&(o, sas)| match sas {
            [] => vec![(o, None)],
            _ => sas.iter().map(|&sa| (o, Some(sa))).collect(),
        })
        .filter(move |&(o, sa)| match o {
            op::UNMAP => cfg.thin,
            op::SANITIZE => crate::sanitize::served(sa.unwrap_or(0), cfg.thin),
            _ => true,
        })
}

/// REPORT SUPPORTED OPERATION CODES for a LU with `cfg`.
pub(crate) fn report_opcodes(
    cfg: &DiskConfig,
    c: &ReportSupportedOperationCodes,
) -> CmdResult<Plan> {
    let cdb = Cdb::ReportSupportedOperationCodes(*c);
    let timeouts = c.rctd.then(CommandTimeouts::default);
    let data = match c.reporting_options {
        reporting_options::ALL => SupportedOpcodes {
            commands: served(cfg)
                .map(|(opcode, sa)| CommandDescriptor {
                    opcode,
                    service_action: sa.map_or(0, u16::from),
                    servactv: sa.is_some(),
                    other_bits: 0,
                    cdb_length: cdb_len_from_group(opcode).unwrap_or(16) as u16,
                    timeouts,
                })
                .collect(),
        }
        .encode(),
        o @ (reporting_options::OPCODE
        | reporting_options::OPCODE_AND_SERVICE_ACTION
        | reporting_options::OPCODE_MAYBE_SERVICE_ACTION) => {
            let opcode = c.requested_opcode;
            let with_sa = has_service_actions(opcode);
            // SPC-5 §6.35.1: option 001b names a command without
            // service actions, 010b one with; otherwise INVALID FIELD
            // IN CDB at REQUESTED OPERATION CODE.
            if (o == reporting_options::OPCODE && with_sa)
                || (o == reporting_options::OPCODE_AND_SERVICE_ACTION && !with_sa)
            {
                return Err(invalid_named(&cdb, "requested_opcode"));
            }
            let sa = with_sa.then_some(c.requested_service_action);
            let found = served(cfg).find(|&(o2, s2)| o2 == opcode && s2.map(u16::from) == sa);
            match found {
                Some((opcode, sa)) => OneCommand {
                    support: SUPPORT_STANDARD,
                    other_bits: 0,
                    cdb_usage: cdb_usage(opcode, sa),
                    timeouts,
                },
                None => OneCommand {
                    support: SUPPORT_NOT_SUPPORTED,
                    ..OneCommand::default()
                },
            }
            .encode()
        }
        // SPC-5 §6.35.1: REPORTING OPTIONS 100b-111b are reserved.
        _ => return Err(invalid_named(&cdb, "reporting_options")),
    };
    Ok(Plan::data(cut(data, c.allocation_length.into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_read10_and_read_capacity16() {
        assert_eq!(
            cdb_usage(0x28, None),
            vec![0x28, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0x00]
        );
        let u = cdb_usage(0x9e, Some(0x10));
        assert_eq!(&u[..2], &[0x9e, 0x1f]);
        assert_eq!(&u[10..14], &[0xff; 4]);
        assert_eq!(u[14], 0);
    }
}

//! The feedback: a short signature per answer of the target, so a case that
//! makes the target say something new enters the corpus.

use rtgt_proto::pdu::{Opcode, Pdu, RawPdu};
use rtgt_proto::scsi::sense::Sense;

/// The signature of one received frame: opcode and the fields that say how
/// the target judged what it got (SCSI status and response, sense key and
/// ASC/ASCQ, reject reason, TMF and logout response, login status).
pub fn of(raw: &RawPdu) -> String {
    let name = opcode_name(raw.opcode());
    let Ok(pdu) = Pdu::decode(raw) else {
        return format!("{name}:undecodable");
    };
    match pdu {
        Pdu::ScsiResponse(r) => {
            let sense = r.sense_data().map(sense_of).unwrap_or_default();
            format!(
                "{name}:resp={:#x}:status={:#x}{sense}:o={}:u={}",
                r.response.raw(),
                r.status.raw(),
                r.overflow,
                r.underflow
            )
        }
        Pdu::DataIn(d) if d.status_present => format!("{name}:S:status={:#x}", d.status.raw()),
        Pdu::DataIn(_) => name.to_owned(),
        Pdu::Reject(r) => {
            let inner = r.data.first().map_or(0, |b| b & 0x3f);
            format!("{name}:reason={:#x}:of={inner:#x}", r.reason.raw())
        }
        Pdu::TaskManagementResponse(r) => format!("{name}:resp={:#x}", r.response.raw()),
        Pdu::LogoutResponse(r) => format!("{name}:resp={:#x}", r.response.raw()),
        Pdu::LoginResponse(r) => format!(
            "{name}:status={:#06x}:t={}:nsg={:?}",
            r.status.raw(),
            r.transit,
            r.nsg
        ),
        Pdu::TextResponse(r) => format!("{name}:f={}:c={}", r.final_bit, r.continue_bit),
        Pdu::NopIn(r) => format!("{name}:ping={}", r.ttt != 0xffff_ffff),
        Pdu::AsyncMessage(a) => format!("{name}:event={:#x}", a.async_event.raw()),
        _ => name.to_owned(),
    }
}

fn sense_of(bytes: &[u8]) -> String {
    match Sense::decode(bytes) {
        Ok(s) => format!(
            ":key={:#x}:asc={:02x}/{:02x}",
            s.value.key.0, s.value.asc.asc, s.value.asc.ascq
        ),
        Err(_) => ":sense=undecodable".to_owned(),
    }
}

fn opcode_name(op: Opcode) -> &'static str {
    if op.is_vendor_specific() {
        "vendor"
    } else {
        op.name()
    }
}

/// What a case ended with when nothing was received: silence, or the
/// connection closed.
pub fn ending(closed: bool, garbled: bool) -> Option<&'static str> {
    match (closed, garbled) {
        (_, true) => Some("garbled-stream"),
        (true, false) => Some("closed"),
        _ => None,
    }
}

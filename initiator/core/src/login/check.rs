//! The fields of a Login Response checked against the request it answers
//! (RFC 7143 §11.13, §6.3).

use rtgt_proto::pdu::{LoginResponse, LoginStage, LoginStatus, Opcode};

use rtgt_proto::pdu::Isid;

use super::LoginState;
use crate::violation::{ProtocolViolation, ViolationKind};

fn stage_rank(s: LoginStage) -> Option<u8> {
    match s {
        LoginStage::SecurityNegotiation => Some(0),
        LoginStage::LoginOperationalNegotiation => Some(1),
        LoginStage::FullFeaturePhase => Some(3),
        _ => None,
    }
}

impl LoginState {
    /// What is wrong with a Login Response answering our last request, in
    /// the order the rules are checked. `isid`, `version` (max, min) and
    /// `tsih` are what we sent.
    pub(super) fn response_problems(
        &self,
        r: &LoginResponse,
        isid: Isid,
        version: (u8, u8),
        tsih: u16,
    ) -> Vec<ProtocolViolation> {
        let mut out = Vec::new();
        let v = |kind, clause, expected: String, received: String| {
            ProtocolViolation::new(kind, clause, expected, received)
                .on(Opcode::LoginResponse, r.itt)
        };
        if r.itt != self.itt {
            // RFC 7143 §11.13: the response carries the request's ITT.
            out.push(v(
                ViolationKind::UnknownItt,
                "RFC 7143 §11.13",
                format!("ITT {:#010x}", self.itt),
                format!("ITT {:#010x}", r.itt),
            ));
        }
        if r.isid != isid {
            // RFC 7143 §11.13: the ISID of the request is echoed.
            out.push(v(
                ViolationKind::LoginIsid,
                "RFC 7143 §11.13",
                format!("ISID {:02x?}", isid.to_bytes()),
                format!("ISID {:02x?}", r.isid.to_bytes()),
            ));
        }
        if r.status == LoginStatus::UnsupportedVersion {
            return out;
        }
        let (max, min) = version;
        if r.status == LoginStatus::Success && !(min..=max).contains(&r.version_active) {
            // RFC 7143 §11.13.2: Version-active is the version chosen from
            // our Version-min..Version-max.
            out.push(v(
                ViolationKind::LoginVersion,
                "RFC 7143 §11.13.2",
                format!("Version-active in {min}..={max}"),
                format!("Version-active {}", r.version_active),
            ));
        }
        if r.status != LoginStatus::Success {
            return out;
        }
        if r.transit && r.continue_bit {
            // RFC 7143 §11.12.2: C=1 with T=1 is a protocol error, in
            // requests and responses alike.
            out.push(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.12.2",
                "T=0 when C=1".into(),
                "T=1 and C=1".into(),
            ));
        }
        if r.csg != self.csg {
            // RFC 7143 §11.13: CSG is the stage the request was in.
            out.push(v(
                ViolationKind::LoginStage,
                "RFC 7143 §11.13",
                format!("CSG {}", self.csg.raw()),
                format!("CSG {}", r.csg.raw()),
            ));
        }
        if r.transit {
            let sent = self.sent;
            let nsg = stage_rank(r.nsg);
            let csg = stage_rank(self.csg).unwrap_or(0);
            let sent_nsg = stage_rank(sent.nsg).unwrap_or(3);
            // RFC 7143 §11.13.3: T=1 only when the initiator's T was 1, and
            // §6.3: the next stage is a later one, no later than the one the
            // initiator asked for (NSG 2 is reserved, §11.12.3).
            let problem = if !sent.transit || !self.outbox.is_empty() {
                Some("T=0 (our request had T=0)".to_owned())
            } else if !nsg.is_some_and(|n| n > csg && n <= sent_nsg) {
                Some(format!(
                    "NSG after CSG {} and at most our NSG {}",
                    self.csg.raw(),
                    sent.nsg.raw()
                ))
            } else {
                None
            };
            if let Some(expected) = problem {
                out.push(v(
                    ViolationKind::LoginStage,
                    "RFC 7143 §11.13.3",
                    expected,
                    format!("T=1 NSG {}", r.nsg.raw()),
                ));
            }
        } else if r.nsg.raw() != 0 {
            // RFC 7143 §11.12.3: NSG is reserved when T=0.
            out.push(v(
                ViolationKind::ReservedField,
                "RFC 7143 §11.12.3",
                "NSG 0 when T=0".into(),
                format!("NSG {}", r.nsg.raw()),
            ));
        }
        let final_response = r.transit && r.nsg == LoginStage::FullFeaturePhase;
        let ours = tsih;
        // RFC 7143 §11.13.4: a new session gets its non-zero TSIH in the
        // final response only; otherwise the initiator's TSIH is echoed.
        let expected = match (ours, final_response) {
            (0, true) if r.tsih == 0 => Some("a non-zero TSIH in the final response"),
            (0, false) if r.tsih != 0 => Some("TSIH 0 until the final response"),
            (t, _) if t != 0 && r.tsih != t => Some("our TSIH echoed"),
            _ => None,
        };
        if let Some(expected) = expected {
            out.push(v(
                ViolationKind::LoginTsih,
                "RFC 7143 §11.13.4",
                expected.into(),
                format!("TSIH {:#06x}", r.tsih),
            ));
        }
        out
    }
}

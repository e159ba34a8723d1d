//! SET TARGET PORT GROUPS (SPC-5, SET TARGET PORT GROUPS command), served when
//! the access type is explicit or both.

use super::{AccessState, Alua, ACCESS_STATE_CHANGED};
use crate::dispatch::data_out;
use crate::plan::Plan;
use crate::sense::ua::UnitAttentions;
use crate::sense::{
    invalid_field, invalid_opcode, invalid_param, parameter_list_length, CmdResult,
};
use crate::task::Nexus;
use bytes::Bytes;
use rtgt_proto::scsi::cdb::FieldPointer;

impl Alua {
    /// SET TARGET PORT GROUPS with this CDB and Data-Out, through `nexus`.
    /// Changes only this node's groups; every other I_T nexus gets
    /// ASYMMETRIC ACCESS STATE CHANGED when a state changed.
    pub(crate) fn set(
        &mut self,
        ua: &mut UnitAttentions,
        nexus: &Nexus,
        cdb: &[u8],
        out: &Bytes,
    ) -> CmdResult<Plan> {
        // SPC-5 §6.7.2: with TPGS 01b SET TARGET PORT GROUPS is not
        // supported (SPC-5 §4.2.5.1: INVALID COMMAND OPERATION CODE).
        if !self.access.explicit() {
            return Err(invalid_opcode());
        }
        if cdb.len() < 12 {
            return Err(invalid_opcode());
        }
        // SPC-5 SET TARGET PORT GROUPS: byte 1 bits 7-5, bytes 2-5 and byte 10 are
        // reserved (SPC-5 §4.2.5: checked, INVALID FIELD IN CDB); in the
        // CONTROL byte, NACA one without ACA support (SAM-5 §5.9) and LINK
        // one (SAM-5 §5.2, obsolete) are refused the same way.
        for (byte, bits) in [
            (11, 0x05),
            (1usize, 0xe0u8),
            (2, 0xff),
            (3, 0xff),
            (4, 0xff),
            (5, 0xff),
            (10, 0xff),
        ] {
            let v = cdb.get(byte).copied().unwrap_or(0) & bits;
            if v != 0 {
                let bit = 7 - v.leading_zeros() as u8;
                return Err(invalid_field(FieldPointer::bit(byte as u16, bit)));
            }
        }
        let len = cdb
            .get(6..10)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, u32::from_be_bytes);
        // SPC-5 SET TARGET PORT GROUPS: a PARAMETER LIST LENGTH of zero is not an error,
        // and nothing changes.
        if len == 0 {
            return Ok(Plan::good());
        }
        // SPC-5 SET TARGET PORT GROUPS: four reserved bytes, then descriptors
        // of four bytes.
        if len < 4 || (len - 4) % 4 != 0 {
            return Err(parameter_list_length());
        }
        let data = data_out(out, len.into())?;
        let mut next = self.clone();
        for (i, d) in data
            .get(4..)
            .unwrap_or_default()
            .chunks_exact(4)
            .enumerate()
        {
            let at = 4 + i * 4;
            let (code, id) = match d {
                [s, _, a, b] => (s & 0x0f, u16::from_be_bytes([*a, *b])),
                _ => return Err(parameter_list_length()),
            };
            // SPC-5 SET TARGET PORT GROUPS: a state the device server cannot establish
            // (transitioning is never requested; offline is not served)
            // is INVALID FIELD IN PARAMETER LIST.
            let state = match AccessState::from_code(code) {
                Some(AccessState::Transitioning) | None => return Err(invalid_param(at, Some(3))),
                Some(s) => s,
            };
            // SPC-5 SET TARGET PORT GROUPS: a group this node cannot change (unknown, or
            // served by another node) is an invalid combination of
            // states: INVALID FIELD IN PARAMETER LIST.
            match next.groups.iter_mut().find(|g| g.id == id && g.local) {
                Some(g) => g.state = state,
                None => return Err(invalid_param(at + 2, None)),
            }
        }
        if next.states_differ(self) {
            // SPC-5, "Explicit asymmetric logical unit access": every I_T
            // nexus but the one of the command gets ASYMMETRIC ACCESS
            // STATE CHANGED.
            ua.establish(Some(nexus), ACCESS_STATE_CHANGED);
        }
        *self = next;
        Ok(Plan::good())
    }
}

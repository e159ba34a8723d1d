//! Sense-key specific information (SPC-5 §4.4.2.4).
//!
//! Three bytes whose meaning depends on the sense key; the SKSV bit (bit 7
//! of the first byte) says whether they hold anything at all.

use crate::scsi::asc::SenseKey;

/// The sense-key specific field, interpreted by sense key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenseKeySpecific {
    /// ILLEGAL REQUEST (SPC-5 §4.4.2.4.2): the byte (and optionally bit)
    /// of the CDB (`cdb` = C/D set) or parameter list that is in error.
    FieldPointer {
        cdb: bool,
        /// BIT POINTER, present when BPV is set (0-7).
        bit_pointer: Option<u8>,
        field_pointer: u16,
    },
    /// RECOVERED ERROR, HARDWARE ERROR, MEDIUM ERROR (§4.4.2.4.3).
    ActualRetryCount(u16),
    /// NO SENSE, NOT READY (§4.4.2.4.4): progress as a fraction of 65 536.
    Progress(u16),
    /// COPY ABORTED (§4.4.2.4.5): byte in the segment descriptor (`sd`) or
    /// in the parameter list where the copy failed.
    SegmentPointer {
        sd: bool,
        bit_pointer: Option<u8>,
        field_pointer: u16,
    },
    /// UNIT ATTENTION (§4.4.2.4.6): the unit attention queue overflowed.
    UnitAttentionOverflow(bool),
    /// Any other sense key: the 23 bits after SKSV, kept as they came.
    Other([u8; 3]),
}

impl SenseKeySpecific {
    /// Decodes the three bytes for `key`; `None` when SKSV is zero.
    pub fn decode(key: SenseKey, b: [u8; 3]) -> Option<Self> {
        if b[0] & 0x80 == 0 {
            return None;
        }
        let ptr = u16::from_be_bytes([b[1], b[2]]);
        let bit = (b[0] & 0x08 != 0).then_some(b[0] & 0x07);
        Some(match key.0 & 0x0f {
            0x5 => SenseKeySpecific::FieldPointer {
                cdb: b[0] & 0x40 != 0,
                bit_pointer: bit,
                field_pointer: ptr,
            },
            0x1 | 0x3 | 0x4 => SenseKeySpecific::ActualRetryCount(ptr),
            0x0 | 0x2 => SenseKeySpecific::Progress(ptr),
            0xa => SenseKeySpecific::SegmentPointer {
                sd: b[0] & 0x20 != 0,
                bit_pointer: bit,
                field_pointer: ptr,
            },
            0x6 => SenseKeySpecific::UnitAttentionOverflow(b[0] & 0x01 != 0),
            _ => SenseKeySpecific::Other([b[0] & 0x7f, b[1], b[2]]),
        })
    }

    /// The three bytes on the wire, SKSV set.
    pub fn encode(self) -> [u8; 3] {
        let bits = |bit: Option<u8>| bit.map_or(0, |b| 0x08 | (b & 0x07));
        let (b0, ptr) = match self {
            SenseKeySpecific::FieldPointer {
                cdb,
                bit_pointer,
                field_pointer,
            } => (u8::from(cdb) << 6 | bits(bit_pointer), field_pointer),
            SenseKeySpecific::ActualRetryCount(n) | SenseKeySpecific::Progress(n) => (0, n),
            SenseKeySpecific::SegmentPointer {
                sd,
                bit_pointer,
                field_pointer,
            } => (u8::from(sd) << 5 | bits(bit_pointer), field_pointer),
            SenseKeySpecific::UnitAttentionOverflow(o) => (u8::from(o), 0),
            SenseKeySpecific::Other([a, b, c]) => return [0x80 | a, b, c],
        };
        let [p0, p1] = ptr.to_be_bytes();
        [0x80 | b0, p0, p1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_pointer_layout() {
        // SPC-5 table 48: SKSV=1, C/D=1, BPV=1, BIT POINTER=3, FIELD POINTER=0x0102.
        let b = [0xcb, 0x01, 0x02];
        let sks = SenseKeySpecific::decode(SenseKey::ILLEGAL_REQUEST, b);
        assert_eq!(
            sks,
            Some(SenseKeySpecific::FieldPointer {
                cdb: true,
                bit_pointer: Some(3),
                field_pointer: 0x0102
            })
        );
        assert_eq!(sks.map(SenseKeySpecific::encode), Some(b));
    }

    #[test]
    fn per_key_meanings() {
        let b = [0x80, 0x40, 0x00];
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::NOT_READY, b),
            Some(SenseKeySpecific::Progress(0x4000))
        );
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::MEDIUM_ERROR, b),
            Some(SenseKeySpecific::ActualRetryCount(0x4000))
        );
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::UNIT_ATTENTION, [0x81, 0, 0]),
            Some(SenseKeySpecific::UnitAttentionOverflow(true))
        );
        assert_eq!(
            SenseKeySpecific::decode(SenseKey::ILLEGAL_REQUEST, [0x7f, 1, 2]),
            None
        );
        let seg = SenseKeySpecific::decode(SenseKey::COPY_ABORTED, [0xa9, 0, 0x10]);
        assert_eq!(
            seg,
            Some(SenseKeySpecific::SegmentPointer {
                sd: true,
                bit_pointer: Some(1),
                field_pointer: 0x10
            })
        );
    }
}

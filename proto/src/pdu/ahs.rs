//! Additional Header Segments (RFC 7143 §11.2.2).
//!
//! Each AHS is AHSLength (2 bytes), AHSType (1 byte) and AHSLength bytes of
//! AHS-specific data, padded to a multiple of 4 bytes. AHSLength counts the
//! AHS-specific bytes only, so it includes the reserved byte 3 of the two
//! defined types but not the padding (§11.2.2.3-§11.2.2.5).

use bytes::{BufMut, Bytes};
use thiserror::Error;

use super::codes::code_enum;

code_enum! {
    /// The AHS code, the low six bits of AHSType (RFC 7143 §11.2.2.2).
    pub enum AhsType: u8 {
        ExtendedCdb = 0x01 => "Extended CDB",
        BidiReadLength = 0x02 => "Bidirectional Expected Read-Data Length",
    }
}

/// Why an AHS list could not be split (RFC 7143 §11.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AhsError {
    /// Fewer than 3 bytes remain, so no AHSLength/AHSType can be read.
    #[error("ahs at offset {offset} is truncated: {remaining} bytes left, at least 3 needed")]
    Truncated { offset: usize, remaining: usize },
    /// AHSLength says the AHS runs past TotalAHSLength.
    #[error(
        "ahs at offset {offset} declares {declared} specific bytes but only {available} remain"
    )]
    TooLong {
        offset: usize,
        declared: usize,
        available: usize,
    },
}

/// One AHS as received: its type byte and its AHS-specific bytes, with the
/// padding kept so a decode/encode round trip is exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ahs {
    /// The whole AHSType byte: bits 7-6 are reserved, bits 5-0 the code.
    pub ahs_type: u8,
    /// The AHS-specific field; its length is the AHSLength on the wire.
    pub specific: Bytes,
    /// The padding after the AHS-specific field, as received (should be zero).
    pub padding: Bytes,
}

fn pad_len(n: usize) -> usize {
    (4 - n % 4) % 4
}

impl Ahs {
    /// An Extended CDB AHS (RFC 7143 §11.2.2.3) holding the CDB bytes beyond
    /// the first 16; AHSLength becomes `tail.len() + 1`.
    pub fn extended_cdb(tail: &[u8]) -> Ahs {
        let mut specific = Vec::with_capacity(tail.len() + 1);
        specific.push(0); // reserved byte
        specific.extend_from_slice(tail);
        let padding = Bytes::from(vec![0u8; pad_len(3 + specific.len())]);
        Ahs {
            ahs_type: AhsType::ExtendedCdb.raw(),
            specific: specific.into(),
            padding,
        }
    }

    /// A Bidirectional Expected Read-Data Length AHS (RFC 7143 §11.2.2.4):
    /// AHSLength 5, a reserved byte, then the length.
    pub fn bidi_read_length(length: u32) -> Ahs {
        let mut specific = vec![0u8];
        specific.extend_from_slice(&length.to_be_bytes());
        Ahs {
            ahs_type: AhsType::BidiReadLength.raw(),
            specific: specific.into(),
            padding: Bytes::new(),
        }
    }

    /// The AHS code (low six bits of AHSType).
    pub fn kind(&self) -> AhsType {
        AhsType::from_raw(self.ahs_type & 0x3f)
    }

    /// The reserved bits 7-6 of AHSType, in place.
    pub fn reserved_type_bits(&self) -> u8 {
        self.ahs_type & 0xc0
    }

    /// For an Extended CDB AHS, the CDB bytes beyond the first 16 (after the
    /// reserved byte).
    pub fn extended_cdb_bytes(&self) -> Option<&[u8]> {
        match self.kind() {
            AhsType::ExtendedCdb => self.specific.get(1..),
            _ => None,
        }
    }

    /// For a Bidirectional Expected Read-Data Length AHS of the right length
    /// (AHSLength 5, RFC 7143 §11.2.2.4), the expected read-data length.
    pub fn expected_read_data_length(&self) -> Option<u32> {
        match (self.kind(), self.specific.as_ref()) {
            (AhsType::BidiReadLength, [_, a, b, c, d]) => {
                Some(u32::from_be_bytes([*a, *b, *c, *d]))
            }
            _ => None,
        }
    }

    /// Bytes this AHS takes on the wire: 3 + AHSLength + padding as held.
    pub fn wire_len(&self) -> usize {
        3 + self.specific.len() + self.padding.len()
    }

    /// Splits the AHS area of a PDU (TotalAHSLength * 4 bytes) into AHSs.
    /// Zero-copy: each AHS's fields are slices of `area`.
    pub fn parse_list(area: &Bytes) -> Result<Vec<Ahs>, AhsError> {
        let mut out = Vec::new();
        let mut offset = 0;
        while offset < area.len() {
            let rest = area.get(offset..).unwrap_or_default();
            let [l0, l1, ahs_type, ..] = *rest else {
                return Err(AhsError::Truncated {
                    offset,
                    remaining: rest.len(),
                });
            };
            let declared = usize::from(u16::from_be_bytes([l0, l1]));
            let available = rest.len() - 3;
            // RFC 7143 §11.2.1.4: TotalAHSLength covers every AHS including padding.
            if declared > available {
                return Err(AhsError::TooLong {
                    offset,
                    declared,
                    available,
                });
            }
            let start = offset + 3;
            let end = start + declared;
            // The last AHS may end at the area's end without its full padding
            // only if the area is not a multiple of 4, which TotalAHSLength
            // forbids; take whatever padding is there.
            let pad_end = (end + pad_len(3 + declared)).min(area.len());
            out.push(Ahs {
                ahs_type,
                specific: area.slice(start..end),
                padding: area.slice(end..pad_end),
            });
            offset = pad_end;
        }
        Ok(out)
    }

    /// Writes a list of AHSs as they go on the wire, AHSLength computed from
    /// each `specific` (values past 65535 are truncated to 16 bits).
    pub fn encode_list(list: &[Ahs]) -> Vec<u8> {
        let mut out = Vec::with_capacity(list.iter().map(Ahs::wire_len).sum());
        for ahs in list {
            out.put_u16(ahs.specific.len() as u16);
            out.put_u8(ahs.ahs_type);
            out.extend_from_slice(&ahs.specific);
            out.extend_from_slice(&ahs.padding);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_cdb_layout() {
        // A 32-byte CDB: AHSLength = 32 - 15 = 17 (RFC 7143 §11.2.2.3).
        let tail: Vec<u8> = (16u8..32).collect();
        let ahs = Ahs::extended_cdb(&tail);
        let wire = Ahs::encode_list(std::slice::from_ref(&ahs));
        assert_eq!(&wire[..4], &[0, 17, 0x01, 0]);
        assert_eq!(wire.len(), 20);
        assert_eq!(wire.len() % 4, 0);
        let back = Ahs::parse_list(&Bytes::from(wire)).unwrap();
        assert_eq!(back, vec![ahs]);
        assert_eq!(back[0].extended_cdb_bytes(), Some(&tail[..]));
    }

    #[test]
    fn bidi_layout_and_unknown_kept() {
        let bidi = Ahs::bidi_read_length(0x0102_0304);
        let odd = Ahs {
            ahs_type: 0xc7,
            specific: Bytes::from_static(&[9, 9]),
            padding: Bytes::from_static(&[1, 2, 3]),
        };
        let wire = Ahs::encode_list(&[bidi.clone(), odd.clone()]);
        assert_eq!(&wire[..8], &[0, 5, 2, 0, 1, 2, 3, 4]);
        let back = Ahs::parse_list(&Bytes::from(wire)).unwrap();
        assert_eq!(back[0].expected_read_data_length(), Some(0x0102_0304));
        assert_eq!(back[1].kind(), AhsType::Other(7));
        assert_eq!(back[1].reserved_type_bits(), 0xc0);
        // Padding of 3 bytes after 3+2: the codec keeps what the sender wrote.
        assert_eq!(back[1].padding.as_ref(), &[1, 2, 3]);
    }

    #[test]
    fn malformed_lists() {
        let too_long = Bytes::from_static(&[0, 9, 1, 0, 0, 0, 0, 0]);
        assert_eq!(
            Ahs::parse_list(&too_long),
            Err(AhsError::TooLong {
                offset: 0,
                declared: 9,
                available: 5
            })
        );
        let short = Bytes::from_static(&[0, 1]);
        assert!(matches!(
            Ahs::parse_list(&short),
            Err(AhsError::Truncated { .. })
        ));
        assert_eq!(Ahs::parse_list(&Bytes::new()), Ok(vec![]));
    }
}

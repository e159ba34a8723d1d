//! TransportIDs (SPC-5 §7.6.4), with the iSCSI forms decoded (§7.6.4.6).
//!
//! ```text
//! 0    FORMAT CODE (7-6) | PROTOCOL IDENTIFIER (3-0)
//! 1    reserved
//! 2-3  ADDITIONAL LENGTH (n-3, a multiple of 4)
//! 4-n  iSCSI NAME, null terminated, padded; format 01b appends ",i,0x<ISID>"
//! ```

use super::wire::{slice, u16_at, u8_at};
use super::{need, ParamError};

/// PROTOCOL IDENTIFIER of iSCSI (SPC-5 table 444).
pub const PROTOCOL_ISCSI: u8 = 0x5;
/// Separator of the initiator port form (SPC-5 §7.6.4.6 table 510).
const ISID_SEPARATOR: &str = ",i,0x";

/// A TransportID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportId {
    /// iSCSI, format 00b (device name) or 01b (initiator port: name and ISID
    /// as the hexadecimal text after ",i,0x").
    Iscsi { name: String, isid: Option<String> },
    /// Any other protocol or format: 24 bytes (or the iSCSI length) kept raw.
    Raw(Vec<u8>),
}

impl TransportId {
    /// An iSCSI initiator port TransportID for `name` and a six-byte ISID.
    pub fn iscsi_port(name: &str, isid: [u8; 6]) -> Self {
        let hex: String = isid.iter().map(|b| format!("{b:02x}")).collect();
        TransportId::Iscsi {
            name: name.to_string(),
            isid: Some(hex),
        }
    }

    /// Encodes; iSCSI names are null terminated and padded to a multiple of
    /// four, at least 20 bytes in all (SPC-5 §7.6.4.6).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            TransportId::Raw(b) => b.clone(),
            TransportId::Iscsi { name, isid } => {
                let mut text = name.clone().into_bytes();
                let format = match isid {
                    Some(i) => {
                        text.extend_from_slice(ISID_SEPARATOR.as_bytes());
                        text.extend_from_slice(i.as_bytes());
                        1u8
                    }
                    None => 0,
                };
                text.push(0);
                let mut len = text.len().div_ceil(4) * 4;
                len = len.clamp(16, 0xfffc);
                text.resize(len, 0);
                let mut out = vec![format << 6 | PROTOCOL_ISCSI, 0];
                out.extend_from_slice(&(len as u16).to_be_bytes());
                out.extend_from_slice(&text);
                out
            }
        }
    }

    /// How many bytes the TransportID at the front of `buf` occupies.
    ///
    /// SPC-5 §7.6.4: iSCSI TransportIDs carry their length; those of every
    /// other protocol defined in SPC-5 are 24 bytes.
    pub fn wire_len(buf: &[u8]) -> Result<usize, ParamError> {
        need("transport id", buf, 4)?;
        if u8_at(buf, 0) & 0x0f == PROTOCOL_ISCSI {
            Ok(4 + usize::from(u16_at(buf, 2)))
        } else {
            Ok(24)
        }
    }

    /// Decodes one TransportID that fills `buf` exactly.
    pub fn decode(buf: &[u8]) -> Result<Self, ParamError> {
        let len = Self::wire_len(buf)?;
        need("transport id", buf, len)?;
        let b = slice(buf, 0, len);
        let format = u8_at(b, 0) >> 6;
        // SPC-5 §7.6.4.6: only formats 00b and 01b are defined for iSCSI,
        // and byte 1 is reserved; anything else is kept raw.
        if u8_at(b, 0) & 0x0f != PROTOCOL_ISCSI
            || format > 1
            || u8_at(b, 0) & 0x30 != 0
            || u8_at(b, 1) != 0
        {
            return Ok(TransportId::Raw(b.to_vec()));
        }
        let body = slice(b, 4, len);
        let text_end = body.iter().position(|&c| c == 0).unwrap_or(body.len());
        let Ok(text) = core::str::from_utf8(slice(body, 0, text_end)) else {
            return Ok(TransportId::Raw(b.to_vec()));
        };
        let parsed = match (format, text.split_once(ISID_SEPARATOR)) {
            (0, None) => TransportId::Iscsi {
                name: text.to_string(),
                isid: None,
            },
            (1, Some((name, isid))) => TransportId::Iscsi {
                name: name.to_string(),
                isid: Some(isid.to_string()),
            },
            _ => return Ok(TransportId::Raw(b.to_vec())),
        };
        // Keep the raw bytes if re-encoding would not reproduce them
        // (odd padding or bytes after the terminator), so nothing is lost.
        if parsed.encode() != b {
            return Ok(TransportId::Raw(b.to_vec()));
        }
        Ok(parsed)
    }

    /// Decodes a run of TransportIDs filling `buf` (SPC-5 §6.17.3).
    pub fn decode_list(buf: &[u8]) -> Result<Vec<TransportId>, ParamError> {
        let mut out = Vec::new();
        let mut rest = buf;
        while !rest.is_empty() {
            let len = Self::wire_len(rest)?;
            let Some((one, tail)) = rest.split_at_checked(len) else {
                return Err(ParamError::BadLength {
                    what: "transport id",
                    len,
                    reason: "runs past the transport id parameter data length",
                });
            };
            out.push(Self::decode(one)?);
            rest = tail;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_iscsi_initiator_port() {
        let name = "iqn.2001-04.com.example:host";
        let text = format!("{name},i,0x23d000000001");
        let mut b = vec![0x45, 0];
        let padded = (text.len() + 1).div_ceil(4) * 4;
        b.extend_from_slice(&(padded as u16).to_be_bytes());
        b.extend_from_slice(text.as_bytes());
        b.resize(4 + padded, 0);
        let t = TransportId::decode(&b).unwrap();
        assert_eq!(t, TransportId::iscsi_port(name, [0x23, 0xd0, 0, 0, 0, 1]));
        assert_eq!(t.encode(), b);
    }

    #[test]
    fn device_name_form_pads_to_twenty() {
        let t = TransportId::Iscsi {
            name: "iqn.a".into(),
            isid: None,
        };
        let b = t.encode();
        assert_eq!(b.len(), 20);
        assert_eq!(&b[..4], &[0x05, 0, 0, 16]);
        assert_eq!(TransportId::decode(&b).unwrap(), t);
    }

    #[test]
    fn other_protocols_are_24_bytes_raw() {
        let mut b = vec![0u8; 24];
        b[0] = 0x06; // SAS
        b[4] = 0x50;
        let list = TransportId::decode_list(&[b.clone(), b.clone()].concat()).unwrap();
        assert_eq!(list, vec![TransportId::Raw(b.clone()), TransportId::Raw(b)]);
        assert!(TransportId::decode_list(&[0x05, 0, 0, 40, 0]).is_err());
    }
}

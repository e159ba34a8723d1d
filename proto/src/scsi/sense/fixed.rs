//! Fixed format sense data (SPC-5 §4.4.3, table 55).
//!
//! ```text
//! 0  VALID | RESPONSE CODE (70h/71h)     8-11 COMMAND-SPECIFIC INFORMATION
//! 1  obsolete                            12   ADDITIONAL SENSE CODE
//! 2  FILEMARK EOM ILI SDAT_OVFL KEY      13   ADDITIONAL SENSE CODE QUALIFIER
//! 3-6 INFORMATION                        14   FIELD REPLACEABLE UNIT CODE
//! 7  ADDITIONAL SENSE LENGTH (n-7)       15-17 SKSV | SENSE KEY SPECIFIC
//! ```

use super::{Sense, SenseFormat, SenseKeySpecific};
use crate::scsi::asc::{AscAscq, SenseKey};
use crate::scsi::params::wire::{arr_at, bit, slice, u32_at, u8_at};
use crate::scsi::params::{need, Decoded, ParamError};

/// Encodes `s` in fixed format: 18 bytes plus any additional sense bytes.
pub(super) fn encode(s: &Sense) -> Vec<u8> {
    let mut head = [0u8; 18];
    // SPC-5 §4.4.3: an INFORMATION value that does not fit in four bytes
    // cannot be reported in fixed format, so VALID is left clear.
    let info = s.information.and_then(|i| u32::try_from(i).ok());
    head[0] = (if s.deferred { 0x71 } else { 0x70 }) | if info.is_some() { 0x80 } else { 0 };
    head[1] = s.obsolete;
    head[2] = u8::from(s.filemark) << 7
        | u8::from(s.eom) << 6
        | u8::from(s.ili) << 5
        | u8::from(s.sdat_ovfl) << 4
        | (s.key.0 & 0x0f);
    head[3..7].copy_from_slice(&info.unwrap_or(0).to_be_bytes());
    let csi = s
        .command_specific
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0);
    head[8..12].copy_from_slice(&csi.to_be_bytes());
    head[12] = s.asc.asc;
    head[13] = s.asc.ascq;
    head[14] = s.fru;
    if let Some(sks) = s.sks {
        head[15..18].copy_from_slice(&sks.encode());
    }
    // The ADDITIONAL SENSE LENGTH field is one byte: at most 244 extra bytes.
    let extra = s
        .additional_bytes
        .get(..s.additional_bytes.len().min(244))
        .unwrap_or(&[]);
    head[7] = (head.len() - 8 + extra.len()) as u8;
    let mut out = head.to_vec();
    out.extend_from_slice(extra);
    out
}

/// Decodes fixed format sense data; byte 0 has already been checked.
pub(super) fn decode(buf: &[u8], deferred: bool) -> Result<Decoded<Sense>, ParamError> {
    // SPC-5 §4.4.3: bytes 0-7 carry the additional sense length; anything
    // shorter cannot be interpreted.
    need("fixed format sense data", buf, 8)?;
    let declared = 8 + usize::from(u8_at(buf, 7));
    let available = buf.len().min(declared);
    // Bytes past the ADDITIONAL SENSE LENGTH are not sense data.
    let buf = slice(buf, 0, declared);
    let key = SenseKey(u8_at(buf, 2) & 0x0f);
    let csi = u32_at(buf, 8);
    let s = Sense {
        format: SenseFormat::Fixed,
        deferred,
        key,
        asc: AscAscq::new(u8_at(buf, 12), u8_at(buf, 13)),
        information: bit(buf, 0, 7).then(|| u64::from(u32_at(buf, 3))),
        command_specific: (csi != 0).then_some(u64::from(csi)),
        sks: SenseKeySpecific::decode(key, arr_at::<3>(buf, 15)),
        fru: u8_at(buf, 14),
        filemark: bit(buf, 2, 7),
        eom: bit(buf, 2, 6),
        ili: bit(buf, 2, 5),
        sdat_ovfl: bit(buf, 2, 4),
        obsolete: u8_at(buf, 1),
        additional_bytes: slice(buf, 18, declared).to_vec(),
        other_descriptors: Vec::new(),
    };
    Ok(Decoded {
        value: s,
        declared,
        available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_unit_attention() {
        // Fixed, current, UNIT ATTENTION, 29h/00h, additional length 10.
        let b = [
            0x70, 0, 0x06, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x29, 0x00, 0, 0, 0, 0,
        ];
        let d = decode(&b, false).unwrap();
        assert!(!d.is_truncated());
        assert_eq!(d.value.key, SenseKey::UNIT_ATTENTION);
        assert_eq!(d.value.asc, AscAscq::POWER_ON_RESET);
        assert_eq!(d.value.information, None);
        assert_eq!(encode(&d.value), b);
    }

    #[test]
    fn hand_built_medium_error_with_lba() {
        // VALID, MEDIUM ERROR, INFORMATION = 0x00012345, 11h/00h, ILI set.
        let b = [
            0xf0, 0, 0x23, 0x00, 0x01, 0x23, 0x45, 0x0a, 0, 0, 0, 0, 0x11, 0x00, 0, 0, 0, 0,
        ];
        let s = decode(&b, false).unwrap().value;
        assert_eq!(s.information, Some(0x12345));
        assert!(s.ili);
        assert_eq!(s.key, SenseKey::MEDIUM_ERROR);
        assert_eq!(encode(&s), b);
    }

    #[test]
    fn truncated_to_eight_bytes_is_reported() {
        let b = [0x70, 0, 0x05, 0, 0, 0, 0, 0x0a];
        let d = decode(&b, false).unwrap();
        assert!(d.is_truncated());
        assert_eq!((d.declared, d.available), (18, 8));
        assert_eq!(d.value.key, SenseKey::ILLEGAL_REQUEST);
        assert_eq!(d.value.asc, AscAscq::NO_ADDITIONAL_SENSE);
    }

    #[test]
    fn short_additional_length_hides_later_bytes() {
        // SPC-5 §4.4.3: an ADDITIONAL SENSE LENGTH of 6 ends the data after
        // the ASC/ASCQ; the FRU and SKS bytes that follow are not sense data.
        let b = [
            0x70, 0, 0x05, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0x24, 0x00, 0x99, 0xc0, 0, 1,
        ];
        let d = decode(&b, false).unwrap();
        assert_eq!((d.declared, d.available, d.is_truncated()), (14, 14, false));
        assert_eq!(
            (d.value.asc, d.value.fru, d.value.sks),
            (AscAscq::INVALID_FIELD_IN_CDB, 0, None)
        );
    }

    #[test]
    fn wide_information_clears_valid() {
        let s = Sense::new(SenseKey::MEDIUM_ERROR, AscAscq::UNRECOVERED_READ_ERROR)
            .with_information(1 << 40);
        assert_eq!(encode(&s)[0], 0x70);
    }
}

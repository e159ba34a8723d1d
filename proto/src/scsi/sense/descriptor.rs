//! Descriptor format sense data (SPC-5 §4.4.2, table 44) and its sense data
//! descriptors (§4.4.2.2 - §4.4.2.7, SBC-4 §4.18.3).
//!
//! ```text
//! 0  RESPONSE CODE (72h/73h)   4   SDAT_OVFL
//! 1  SENSE KEY                 5-6 reserved
//! 2  ADDITIONAL SENSE CODE     7   ADDITIONAL SENSE LENGTH (n-7)
//! 3  ASCQ                      8-n sense data descriptors
//! ```

use super::{Sense, SenseFormat, SenseKeySpecific};
use crate::scsi::asc::{AscAscq, SenseKey};
use crate::scsi::params::wire::{arr_at, bit, descriptors, slice, u64_at, u8_at};
use crate::scsi::params::{need, Decoded, ParamError};

/// Information descriptor type (SPC-5 §4.4.2.2).
pub const DESC_INFORMATION: u8 = 0x00;
/// Command-specific information descriptor (§4.4.2.3).
pub const DESC_COMMAND_SPECIFIC: u8 = 0x01;
/// Sense key specific descriptor (§4.4.2.4).
pub const DESC_SENSE_KEY_SPECIFIC: u8 = 0x02;
/// Field replaceable unit descriptor (§4.4.2.5).
pub const DESC_FRU: u8 = 0x03;
/// Stream commands descriptor (SSC-4 §4.2.23.2).
pub const DESC_STREAM_COMMANDS: u8 = 0x04;
/// Block commands descriptor (SBC-4 §4.18.3).
pub const DESC_BLOCK_COMMANDS: u8 = 0x05;

/// A sense data descriptor with no typed field in [`Sense`], kept as it came:
/// `data` is everything after the ADDITIONAL LENGTH byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDescriptor {
    pub descriptor_type: u8,
    pub data: Vec<u8>,
}

fn push_desc(out: &mut Vec<u8>, ty: u8, body: &[u8]) {
    out.push(ty);
    out.push(body.len().min(255) as u8);
    out.extend_from_slice(body.get(..body.len().min(255)).unwrap_or(&[]));
}

/// Encodes `s` in descriptor format, descriptors in type order, then the raw ones.
pub(super) fn encode(s: &Sense) -> Vec<u8> {
    let mut out = vec![
        if s.deferred { 0x73 } else { 0x72 },
        s.key.0 & 0x0f,
        s.asc.asc,
        s.asc.ascq,
        u8::from(s.sdat_ovfl) << 7,
        0,
        0,
        0,
    ];
    if let Some(info) = s.information {
        // SPC-5 §4.4.2.2: VALID shall be one.
        let mut body = vec![0x80, 0];
        body.extend_from_slice(&info.to_be_bytes());
        push_desc(&mut out, DESC_INFORMATION, &body);
    }
    if let Some(csi) = s.command_specific {
        let mut body = vec![0, 0];
        body.extend_from_slice(&csi.to_be_bytes());
        push_desc(&mut out, DESC_COMMAND_SPECIFIC, &body);
    }
    if let Some(sks) = s.sks {
        let [a, b, c] = sks.encode();
        push_desc(&mut out, DESC_SENSE_KEY_SPECIFIC, &[0, 0, a, b, c, 0]);
    }
    if s.fru != 0 {
        push_desc(&mut out, DESC_FRU, &[0, s.fru]);
    }
    if s.filemark || s.eom {
        let flags = u8::from(s.filemark) << 7 | u8::from(s.eom) << 6 | u8::from(s.ili) << 5;
        push_desc(&mut out, DESC_STREAM_COMMANDS, &[0, flags]);
    } else if s.ili {
        push_desc(&mut out, DESC_BLOCK_COMMANDS, &[0, 0x20]);
    }
    for d in &s.other_descriptors {
        push_desc(&mut out, d.descriptor_type, &d.data);
    }
    // The ADDITIONAL SENSE LENGTH is one byte: descriptors past 252 bytes
    // are dropped whole (SPC-5 §4.4.2: the list shall not exceed 244 bytes
    // in practice; a one-byte length caps it at 255).
    if out.len() > 255 + 8 {
        let mut cut = 8;
        while let (Some(&len), true) = (out.get(cut + 1), cut < out.len()) {
            let next = cut + 2 + usize::from(len);
            if next > 255 + 8 {
                break;
            }
            cut = next;
        }
        out.truncate(cut);
    }
    let additional = (out.len() - 8) as u8;
    if let Some(length) = out.get_mut(7) {
        *length = additional;
    }
    out
}

/// Decodes descriptor format sense data; byte 0 has already been checked.
pub(super) fn decode(buf: &[u8], deferred: bool) -> Result<Decoded<Sense>, ParamError> {
    // SPC-5 §4.4.2: the eight-byte header always precedes the descriptors.
    need("descriptor format sense data", buf, 8)?;
    let declared = 8 + usize::from(u8_at(buf, 7));
    let key = SenseKey(u8_at(buf, 1) & 0x0f);
    let mut s = Sense {
        format: SenseFormat::Descriptor,
        deferred,
        key,
        asc: AscAscq::new(u8_at(buf, 2), u8_at(buf, 3)),
        sdat_ovfl: bit(buf, 4, 7),
        ..Sense::default()
    };
    let list = slice(buf, 8, declared);
    // A descriptor cut by the allocation length is dropped; one that runs
    // past the declared length is malformed (SPC-5 §4.4.2.1).
    let cut = list.len() + 8 < declared;
    let walk = descriptors(list, 2, |d| (2, usize::from(u8_at(d, 1)))).or_bad_length(
        cut,
        "sense data descriptor",
        "runs past the additional sense length",
    )?;
    for d in walk {
        let (ty, len) = (u8_at(d, 0), usize::from(u8_at(d, 1)));
        let body = slice(d, 2, d.len());
        match (ty, len) {
            (DESC_INFORMATION, 0x0a) => {
                if bit(body, 0, 7) {
                    s.information = Some(u64_at(body, 2));
                }
            }
            (DESC_COMMAND_SPECIFIC, 0x0a) => s.command_specific = Some(u64_at(body, 2)),
            (DESC_SENSE_KEY_SPECIFIC, 0x06) => {
                s.sks = SenseKeySpecific::decode(key, arr_at::<3>(body, 2));
            }
            (DESC_FRU, 0x02) => s.fru = u8_at(body, 1),
            (DESC_STREAM_COMMANDS, 0x02) => {
                s.filemark |= bit(body, 1, 7);
                s.eom |= bit(body, 1, 6);
                s.ili |= bit(body, 1, 5);
            }
            (DESC_BLOCK_COMMANDS, 0x02) => s.ili |= bit(body, 1, 5),
            _ => s.other_descriptors.push(RawDescriptor {
                descriptor_type: ty,
                data: body.to_vec(),
            }),
        }
    }
    Ok(Decoded::received(s, declared, buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_lba_out_of_range() {
        // 72h, ILLEGAL REQUEST, 21h/00h, one Information descriptor (LBA
        // 0x1_0000_0000) and a field pointer at CDB byte 2.
        let b = [
            0x72, 0x05, 0x21, 0x00, 0, 0, 0, 0x14, //
            0x00, 0x0a, 0x80, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, //
            0x02, 0x06, 0, 0, 0xc0, 0x00, 0x02, 0,
        ];
        let d = decode(&b, false).unwrap();
        assert!(!d.is_truncated());
        let s = &d.value;
        assert_eq!(s.key, SenseKey::ILLEGAL_REQUEST);
        assert_eq!(s.asc, AscAscq::LBA_OUT_OF_RANGE);
        assert_eq!(s.information, Some(0x1_0000_0000));
        assert_eq!(
            s.sks,
            Some(SenseKeySpecific::FieldPointer {
                cdb: true,
                bit_pointer: None,
                field_pointer: 2
            })
        );
        assert_eq!(encode(s), b);
    }

    #[test]
    fn unknown_descriptors_are_kept_and_truncation_reported() {
        let b = [
            0x72, 0x0b, 0x47, 0x7f, 0, 0, 0, 0x08, 0x0a, 0x02, 0xaa, 0xbb, 0x05, 0x02, 0, 0x20,
        ];
        let s = decode(&b, false).unwrap().value;
        assert_eq!(
            s.other_descriptors,
            vec![RawDescriptor {
                descriptor_type: 0x0a,
                data: vec![0xaa, 0xbb]
            }]
        );
        assert!(s.ili);
        let cut = decode(&b[..14], false).unwrap();
        assert!(cut.is_truncated());
        assert!(!cut.value.ili);
    }

    #[test]
    fn oversized_descriptor_lists_are_cut_whole() {
        let mut s = Sense::new(SenseKey::HARDWARE_ERROR, AscAscq::INTERNAL_TARGET_FAILURE);
        s.other_descriptors = (0..5)
            .map(|i| RawDescriptor {
                descriptor_type: 0x80 + i,
                data: vec![i; 60],
            })
            .collect();
        let b = encode(&s);
        // Four 62-byte descriptors fit in the 255 bytes a one-byte length allows.
        assert_eq!((b.len(), b[7]), (8 + 4 * 62, 248));
        assert_eq!(decode(&b, false).unwrap().value.other_descriptors.len(), 4);
    }

    #[test]
    fn overrunning_descriptor_is_an_error() {
        let b = [0x72, 0x05, 0x24, 0x00, 0, 0, 0, 0x04, 0x00, 0x0a, 0x80, 0];
        assert!(matches!(
            decode(&b, false),
            Err(ParamError::BadLength { .. })
        ));
    }
}

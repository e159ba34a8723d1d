//! Standard INQUIRY data (SPC-5 §6.7.2, table 148).
//!
//! ```text
//! 0  PERIPHERAL QUALIFIER | PERIPHERAL DEVICE TYPE   8-15  T10 VENDOR IDENTIFICATION
//! 1  RMB | LU_CONG                                   16-31 PRODUCT IDENTIFICATION
//! 2  VERSION                                         32-35 PRODUCT REVISION LEVEL
//! 3  NORMACA | HISUP | RESPONSE DATA FORMAT          36-55 vendor specific
//! 4  ADDITIONAL LENGTH (n-4)                         56-57 obsolete/reserved
//! 5  SCCS ACC TPGS 3PC PROTECT                       58-73 VERSION DESCRIPTOR 1-8
//! 6  ENCSERV VS MULTIP (obsolete bits)               74-95 reserved
//! 7  CMDQUE VS (obsolete bits)                       96-n  vendor specific
//! ```

use super::wire::{arr_at, bit, slice, u16_at, u8_at};
use super::{need, Decoded, ParamError};

/// Peripheral device type: direct access block device (SBC-4).
pub const PERIPHERAL_DIRECT_ACCESS: u8 = 0x00;
/// Peripheral device type: enclosure services device.
pub const PERIPHERAL_ENCLOSURE: u8 = 0x0d;
/// Peripheral device type: unknown or no device type (with qualifier 3, no LU).
pub const PERIPHERAL_UNKNOWN: u8 = 0x1f;
/// Peripheral qualifier: a device of this type is not connected to this LUN
/// but the device server can support one (SPC-5 table 149).
pub const QUALIFIER_NOT_CONNECTED: u8 = 0b001;
/// Peripheral qualifier: the device server cannot support a device at this LUN.
pub const QUALIFIER_NOT_CAPABLE: u8 = 0b011;
/// VERSION: the device claims conformance to SPC-4.
pub const VERSION_SPC4: u8 = 0x06;
/// VERSION: the device claims conformance to SPC-5.
pub const VERSION_SPC5: u8 = 0x07;

/// Standard INQUIRY data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StandardInquiry {
    pub peripheral_qualifier: u8,
    pub peripheral_device_type: u8,
    pub rmb: bool,
    pub lu_cong: bool,
    pub version: u8,
    pub normaca: bool,
    pub hisup: bool,
    pub response_data_format: u8,
    pub sccs: bool,
    pub acc: bool,
    /// TPGS: 0 none, 1 implicit, 2 explicit, 3 both (SPC-5 table 150).
    pub tpgs: u8,
    pub three_pc: bool,
    pub protect: bool,
    pub encserv: bool,
    pub multip: bool,
    pub cmdque: bool,
    /// Bits of bytes 1, 3, 5, 6 and 7 that are reserved, obsolete or vendor
    /// specific, masked to those bits, so they can be checked and set.
    pub other_bits: [u8; 5],
    pub vendor_id: [u8; 8],
    pub product_id: [u8; 16],
    pub product_revision: [u8; 4],
    /// Bytes 36-55.
    pub vendor_specific: [u8; 20],
    /// Bytes 56-57.
    pub reserved_56: [u8; 2],
    /// VERSION DESCRIPTOR fields present (trailing zero descriptors dropped).
    pub version_descriptors: Vec<u16>,
    /// Bytes 74-95.
    pub reserved_74: [u8; 22],
    /// Bytes 96 onwards.
    pub vendor_tail: Vec<u8>,
}

/// Masks of the bits [`StandardInquiry::other_bits`] keeps in bytes 1, 3, 5, 6, 7.
const OTHER_MASKS: [u8; 5] = [0x3f, 0xc0, 0x06, 0xaf, 0xfd];

/// Pads `s` with spaces (ASCII data fields, SPC-5 §4.3.1) to `N` bytes.
pub fn ascii_field<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [b' '; N];
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b;
    }
    out
}

/// An ASCII field with trailing spaces and NULs removed, for display.
pub fn ascii_trim(b: &[u8]) -> String {
    let s: String = b
        .iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    s.trim_end_matches([' ', '.']).to_string()
}

impl StandardInquiry {
    /// Encodes the data: 36 bytes, or at least 96 when anything past byte 35
    /// is set. The ADDITIONAL LENGTH is computed (saturated at 255).
    pub fn encode(&self) -> Vec<u8> {
        let o = self.other_bits;
        let mut head = [0u8; 36];
        head[0] = (self.peripheral_qualifier & 0x07) << 5 | (self.peripheral_device_type & 0x1f);
        head[1] = u8::from(self.rmb) << 7 | u8::from(self.lu_cong) << 6 | (o[0] & OTHER_MASKS[0]);
        head[2] = self.version;
        head[3] = u8::from(self.normaca) << 5
            | u8::from(self.hisup) << 4
            | (self.response_data_format & 0x0f)
            | (o[1] & OTHER_MASKS[1]);
        head[5] = u8::from(self.sccs) << 7
            | u8::from(self.acc) << 6
            | (self.tpgs & 0x03) << 4
            | u8::from(self.three_pc) << 3
            | u8::from(self.protect)
            | (o[2] & OTHER_MASKS[2]);
        head[6] =
            u8::from(self.encserv) << 6 | u8::from(self.multip) << 4 | (o[3] & OTHER_MASKS[3]);
        head[7] = u8::from(self.cmdque) << 1 | (o[4] & OTHER_MASKS[4]);
        head[8..16].copy_from_slice(&self.vendor_id);
        head[16..32].copy_from_slice(&self.product_id);
        head[32..36].copy_from_slice(&self.product_revision);
        let long = !self.version_descriptors.is_empty()
            || self.reserved_56 != [0; 2]
            || self.reserved_74 != [0; 22]
            || !self.vendor_tail.is_empty()
            || self.vendor_specific != [0; 20];
        let mut tail = Vec::new();
        if long {
            tail.extend_from_slice(&self.vendor_specific);
            tail.extend_from_slice(&self.reserved_56);
            for k in 0..8 {
                let v = self.version_descriptors.get(k).copied().unwrap_or(0);
                tail.extend_from_slice(&v.to_be_bytes());
            }
            tail.extend_from_slice(&self.reserved_74);
            tail.extend_from_slice(&self.vendor_tail);
        }
        // ADDITIONAL LENGTH counts the bytes after byte 4 (SPC-5 §6.7.2).
        head[4] = (head.len() - 5 + tail.len()).min(255) as u8;
        let mut out = head.to_vec();
        out.extend_from_slice(&tail);
        out
    }

    /// Decodes standard INQUIRY data, possibly cut by the allocation length.
    ///
    /// SPC-5 §6.7.2: the first five bytes (through ADDITIONAL LENGTH) are
    /// needed; everything after may be missing and reads as zero.
    pub fn decode(buf: &[u8]) -> Result<Decoded<StandardInquiry>, ParamError> {
        need("standard inquiry data", buf, 5)?;
        let declared = 5 + usize::from(u8_at(buf, 4));
        let b = slice(buf, 0, declared);
        let descs: Vec<u16> = {
            let mut v: Vec<u16> = (0..8)
                .take_while(|k| 58 + 2 * k + 2 <= b.len())
                .map(|k| u16_at(b, 58 + 2 * k))
                .collect();
            while v.last() == Some(&0) {
                v.pop();
            }
            v
        };
        let masked = |i: usize, k: usize| u8_at(b, i) & OTHER_MASKS.get(k).copied().unwrap_or(0);
        let inq = StandardInquiry {
            peripheral_qualifier: u8_at(b, 0) >> 5,
            peripheral_device_type: u8_at(b, 0) & 0x1f,
            rmb: bit(b, 1, 7),
            lu_cong: bit(b, 1, 6),
            version: u8_at(b, 2),
            normaca: bit(b, 3, 5),
            hisup: bit(b, 3, 4),
            response_data_format: u8_at(b, 3) & 0x0f,
            sccs: bit(b, 5, 7),
            acc: bit(b, 5, 6),
            tpgs: (u8_at(b, 5) >> 4) & 0x03,
            three_pc: bit(b, 5, 3),
            protect: bit(b, 5, 0),
            encserv: bit(b, 6, 6),
            multip: bit(b, 6, 4),
            cmdque: bit(b, 7, 1),
            other_bits: [
                masked(1, 0),
                masked(3, 1),
                masked(5, 2),
                masked(6, 3),
                masked(7, 4),
            ],
            vendor_id: arr_at(b, 8),
            product_id: arr_at(b, 16),
            product_revision: arr_at(b, 32),
            vendor_specific: arr_at(b, 36),
            reserved_56: arr_at(b, 56),
            version_descriptors: descs,
            reserved_74: arr_at(b, 74),
            vendor_tail: slice(b, 96, declared).to_vec(),
        };
        Ok(Decoded {
            value: inq,
            declared,
            available: b.len(),
        })
    }
}

/// The standard a VERSION DESCRIPTOR code names (SPC-5 table 151).
///
/// Each standard owns a block of 32 codes; the low five bits select a
/// revision, and `xx00h`/`xx20h`-style base codes mean "no version claimed".
pub fn version_descriptor_name(code: u16) -> Option<&'static str> {
    Some(match code & !0x1f {
        0x0020 => "SAM",
        0x0040 => "SAM-2",
        0x0060 => "SAM-3",
        0x0080 => "SAM-4",
        0x00a0 => "SAM-5",
        0x00c0 => "SAM-6",
        0x0120 => "SPC",
        0x0180 => "SBC",
        0x0260 => "SPC-2",
        0x0300 => "SPC-3",
        0x0320 => "SBC-2",
        0x0460 => "SPC-4",
        0x04c0 => "SBC-3",
        0x05c0 => "SPC-5",
        0x0600 => "SBC-4",
        0x0620 => "ZBC",
        0x0940 => "SRP",
        0x0960 => "iSCSI",
        0x1ea0 => "SAT",
        0x1ec0 => "SAT-2",
        0x1ee0 => "SAT-3",
        0x1f00 => "SAT-4",
        _ => return None,
    })
}

/// SAM-5 (no version claimed).
pub const VERSION_DESCRIPTOR_SAM5: u16 = 0x00a0;
/// SPC-5 (no version claimed).
pub const VERSION_DESCRIPTOR_SPC5: u16 = 0x05c0;
/// SBC-4 (no version claimed).
pub const VERSION_DESCRIPTOR_SBC4: u16 = 0x0600;
/// iSCSI (no version claimed).
pub const VERSION_DESCRIPTOR_ISCSI: u16 = 0x0960;
/// SPC-4 (no version claimed).
pub const VERSION_DESCRIPTOR_SPC4: u16 = 0x0460;
/// SBC-3 (no version claimed).
pub const VERSION_DESCRIPTOR_SBC3: u16 = 0x04c0;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut b = vec![0u8; 96];
        b[0] = 0x00;
        b[2] = 0x07;
        b[3] = 0x12; // HISUP, format 2
        b[4] = 91;
        b[5] = 0x18; // TPGS=1, 3PC
        b[7] = 0x02; // CMDQUE
        b[8..16].copy_from_slice(b"RTGT    ");
        b[16..32].copy_from_slice(b"VIRTUAL-DISK    ");
        b[32..36].copy_from_slice(b"0001");
        b[58..60].copy_from_slice(&[0x00, 0xa0]);
        b[60..62].copy_from_slice(&[0x09, 0x60]);
        b[62..64].copy_from_slice(&[0x05, 0xc0]);
        b[64..66].copy_from_slice(&[0x06, 0x00]);
        b
    }

    #[test]
    fn hand_built_standard_inquiry() {
        let d = StandardInquiry::decode(&sample()).unwrap();
        assert!(!d.is_truncated());
        let i = &d.value;
        assert_eq!((i.version, i.response_data_format, i.hisup), (7, 2, true));
        assert_eq!((i.tpgs, i.three_pc, i.cmdque), (1, true, true));
        assert_eq!(ascii_trim(&i.vendor_id), "RTGT");
        assert_eq!(i.version_descriptors, vec![0x00a0, 0x0960, 0x05c0, 0x0600]);
        assert_eq!(i.encode(), sample());
        let names: Vec<_> = i
            .version_descriptors
            .iter()
            .filter_map(|&c| version_descriptor_name(c))
            .collect();
        assert_eq!(names, ["SAM-5", "iSCSI", "SPC-5", "SBC-4"]);
        assert_eq!(version_descriptor_name(0x00c0), Some("SAM-6"));
        assert_eq!(version_descriptor_name(0x0954), Some("SRP"));
        assert_eq!(version_descriptor_name(0x1ee2), Some("SAT-3"));
        assert_eq!(version_descriptor_name(0xffff), None);
    }

    #[test]
    fn truncated_to_36_bytes() {
        let d = StandardInquiry::decode(&sample()[..36]).unwrap();
        assert!(d.is_truncated());
        assert_eq!((d.declared, d.available), (96, 36));
        assert!(d.value.version_descriptors.is_empty());
        assert_eq!(d.value.product_id, *b"VIRTUAL-DISK    ");
        assert!(StandardInquiry::decode(&[0; 4]).is_err());
    }

    #[test]
    fn short_form_encodes_36_bytes() {
        let i = StandardInquiry {
            vendor_id: ascii_field("RTGT"),
            ..Default::default()
        };
        let b = i.encode();
        assert_eq!((b.len(), b[4]), (36, 31));
    }
}

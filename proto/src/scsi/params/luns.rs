//! REPORT LUNS parameter data (SPC-5 §6.33.2) and LUN addressing (SAM-5 §4.7).

use super::wire::{slice, u32_at, u8_at};
use super::{need, Decoded, ParamError};
use core::fmt;

/// An eight-byte LUN as it appears on the wire (SAM-5 §4.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lun(pub [u8; 8]);

/// The first level of a LUN, decoded by its ADDRESS METHOD (SAM-5 table 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LunAddress {
    /// 00b peripheral device addressing (SAM-5 §4.7.7.2): BUS IDENTIFIER
    /// (zero for a LUN at the current level) and TARGET OR LUN.
    Peripheral { bus: u8, target_or_lun: u8 },
    /// 01b flat space addressing (SAM-5 §4.7.7.3): a 14-bit LUN.
    Flat(u16),
    /// 10b logical unit addressing (SAM-5 §4.7.7.4).
    LogicalUnit { target: u8, bus: u8, lun: u8 },
    /// 11b extended logical unit addressing (SAM-5 §4.7.7.5), kept whole.
    Extended([u8; 8]),
}

impl Lun {
    /// Peripheral device addressing, bus 0: LUNs 0-255 (SAM-5 §4.7.7.2).
    pub const fn peripheral(lun: u8) -> Self {
        Lun([0, lun, 0, 0, 0, 0, 0, 0])
    }

    /// Flat space addressing: LUNs 0-16383 (SAM-5 §4.7.7.3).
    pub const fn flat(lun: u16) -> Self {
        let [hi, lo] = (lun & 0x3fff).to_be_bytes();
        Lun([0x40 | hi, lo, 0, 0, 0, 0, 0, 0])
    }

    /// The usual single-level mapping: peripheral below 256, flat above
    /// (SAM-5 §4.7.3 recommends peripheral for LUNs that fit).
    pub const fn from_index(lun: u16) -> Self {
        if lun < 256 {
            Lun::peripheral(lun as u8)
        } else {
            Lun::flat(lun)
        }
    }

    /// The LUN number of a single-level peripheral (bus 0) or flat LUN.
    pub fn index(&self) -> Option<u16> {
        if self.0[2..] != [0; 6] {
            return None;
        }
        match self.address() {
            LunAddress::Peripheral {
                bus: 0,
                target_or_lun,
            } => Some(u16::from(target_or_lun)),
            LunAddress::Flat(n) => Some(n),
            _ => None,
        }
    }

    /// Decodes the first level.
    pub fn address(&self) -> LunAddress {
        let b = self.0;
        match b[0] >> 6 {
            0b00 => LunAddress::Peripheral {
                bus: b[0] & 0x3f,
                target_or_lun: b[1],
            },
            0b01 => LunAddress::Flat(u16::from_be_bytes([b[0] & 0x3f, b[1]])),
            0b10 => LunAddress::LogicalUnit {
                target: b[0] & 0x3f,
                bus: b[1] >> 5,
                lun: b[1] & 0x1f,
            },
            _ => LunAddress::Extended(b),
        }
    }

    /// The LUN as a big-endian integer, as iSCSI headers carry it.
    pub fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    pub fn from_u64(v: u64) -> Self {
        Lun(v.to_be_bytes())
    }
}

impl fmt::Display for Lun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "{:016x}", self.to_u64()),
        }
    }
}

/// REPORT LUNS parameter data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportLuns {
    pub luns: Vec<Lun>,
    /// Bytes 4-7 (reserved).
    pub reserved: u32,
}

impl ReportLuns {
    pub fn encode(&self) -> Vec<u8> {
        let len = u32::try_from(self.luns.len().saturating_mul(8)).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(8 + self.luns.len() * 8);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.reserved.to_be_bytes());
        for l in &self.luns {
            out.extend_from_slice(&l.0);
        }
        out
    }

    /// SPC-5 §6.33.2: LUN LIST LENGTH counts the bytes of the list; the
    /// list may be cut by the allocation length, in which case only the
    /// LUNs that arrived whole are returned.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ReportLuns>, ParamError> {
        need("report luns data", buf, 8)?;
        let list_len = u32_at(buf, 0) as usize;
        if list_len % 8 != 0 {
            return Err(ParamError::BadLength {
                what: "report luns lun list",
                len: list_len,
                reason: "not a multiple of 8",
            });
        }
        let declared = list_len.saturating_add(8);
        let list = slice(buf, 8, declared);
        let luns = list
            .chunks_exact(8)
            .map(|c| Lun(core::array::from_fn(|i| u8_at(c, i))))
            .collect();
        Ok(Decoded::received(
            ReportLuns {
                luns,
                reserved: u32_at(buf, 4),
            },
            declared,
            buf,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addressing_methods() {
        assert_eq!(Lun::from_index(5).0, [0, 5, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Lun::from_index(300).0, [0x41, 0x2c, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Lun::from_index(300).index(), Some(300));
        assert_eq!(Lun::flat(3).address(), LunAddress::Flat(3));
        assert_eq!(
            Lun([0x83, 0x25, 0, 0, 0, 0, 0, 0]).address(),
            LunAddress::LogicalUnit {
                target: 3,
                bus: 1,
                lun: 5
            }
        );
        assert_eq!(Lun([0x02, 0x01, 0, 0, 0, 0, 0, 0]).index(), None);
        assert_eq!(Lun::peripheral(1).to_u64(), 0x0001_0000_0000_0000);
        assert_eq!(Lun::from_u64(0x4123_0000_0000_0000).to_string(), "291");
    }

    #[test]
    fn hand_built_report_luns() {
        let b = [
            0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
        ];
        let d = ReportLuns::decode(&b).unwrap();
        assert!(!d.is_truncated());
        assert_eq!(d.value.luns, vec![Lun::peripheral(0), Lun::peripheral(1)]);
        assert_eq!(d.value.encode(), b);
        let cut = ReportLuns::decode(&b[..20]).unwrap();
        assert_eq!(
            (cut.declared, cut.available, cut.value.luns.len()),
            (24, 20, 1)
        );
        let huge = [0xff, 0xff, 0xff, 0xf8, 0, 0, 0, 0];
        assert_eq!(ReportLuns::decode(&huge).unwrap().value.luns.len(), 0);
        assert!(ReportLuns::decode(&[0, 0, 0, 9, 0, 0, 0, 0]).is_err());
    }
}

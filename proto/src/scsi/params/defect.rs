//! READ DEFECT DATA (10) and (12) parameter data headers (SBC-4 §5.22.2,
//! §5.23.2). rtgt's virtual media have no defects, so only the headers
//! (with an empty list) are encoded; the list itself is kept raw.
//!
//! ```text
//! (10): 0 reserved | 1 PLISTV(4) GLISTV(3) FORMAT(2-0) | 2-3 DEFECT LIST LENGTH
//! (12): 0 reserved | 1 PLISTV(4) GLISTV(3) FORMAT(2-0) | 2-3 GENERATION CODE
//!       4-7 DEFECT LIST LENGTH
//! ```

use super::wire::{u16_at, u32_at, u8_at};
use super::{need, ParamError};

/// READ DEFECT DATA parameter data: the header fields and the list bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DefectData {
    /// PLISTV: the primary list is valid (and given).
    pub plistv: bool,
    /// GLISTV: the grown list is valid (and given).
    pub glistv: bool,
    /// DEFECT LIST FORMAT, 3 bits.
    pub format: u8,
    /// GENERATION CODE, (12) only.
    pub generation: u16,
    /// The defect descriptors, raw.
    pub list: Vec<u8>,
}

impl DefectData {
    fn flags(&self) -> u8 {
        u8::from(self.plistv) << 4 | u8::from(self.glistv) << 3 | (self.format & 0x07)
    }

    /// The READ DEFECT DATA (10) form; a list longer than 65535 bytes is cut.
    pub fn encode10(&self) -> Vec<u8> {
        let n = self.list.len().min(usize::from(u16::MAX));
        let mut out = vec![0, self.flags()];
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(self.list.get(..n).unwrap_or(&[]));
        out
    }

    /// The READ DEFECT DATA (12) form.
    pub fn encode12(&self) -> Vec<u8> {
        let n = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        let mut out = vec![0, self.flags()];
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&self.list);
        out
    }

    fn from_flags(b: u8) -> Self {
        DefectData {
            plistv: b & 0x10 != 0,
            glistv: b & 0x08 != 0,
            format: b & 0x07,
            ..DefectData::default()
        }
    }

    /// Decodes the (10) form; the list is what `buf` holds of it.
    pub fn decode10(buf: &[u8]) -> Result<DefectData, ParamError> {
        need("read defect data (10) header", buf, 4)?;
        let n = usize::from(u16_at(buf, 2));
        let end = buf.len().min(4 + n);
        Ok(DefectData {
            list: buf.get(4..end).unwrap_or(&[]).to_vec(),
            ..Self::from_flags(u8_at(buf, 1))
        })
    }

    /// Decodes the (12) form.
    pub fn decode12(buf: &[u8]) -> Result<DefectData, ParamError> {
        need("read defect data (12) header", buf, 8)?;
        let n = usize::try_from(u32_at(buf, 4)).unwrap_or(usize::MAX);
        let end = buf.len().min(8usize.saturating_add(n));
        Ok(DefectData {
            generation: u16_at(buf, 2),
            list: buf.get(8..end).unwrap_or(&[]).to_vec(),
            ..Self::from_flags(u8_at(buf, 1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_lists() {
        let d = DefectData {
            plistv: true,
            glistv: true,
            format: 4,
            ..DefectData::default()
        };
        assert_eq!(d.encode10(), vec![0, 0x1c, 0, 0]);
        assert_eq!(d.encode12(), vec![0, 0x1c, 0, 0, 0, 0, 0, 0]);
        assert!(DefectData::decode10(&[0, 0]).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(p: bool, g: bool, f in 0u8..8, gen: u16,
                       list in proptest::collection::vec(any::<u8>(), 0..64)) {
            let d = DefectData { plistv: p, glistv: g, format: f, generation: 0, list };
            prop_assert_eq!(DefectData::decode10(&d.encode10()).unwrap(), d.clone());
            let d12 = DefectData { generation: gen, ..d };
            prop_assert_eq!(DefectData::decode12(&d12.encode12()).unwrap(), d12);
        }
    }
}

//! READ CAPACITY parameter data (SBC-4 §5.20.2 and §5.21.2).

use super::wire::{arr_at, bit, u16_at, u32_at, u64_at, u8_at};
use super::{need, ParamError};

/// READ CAPACITY (10) parameter data: 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadCapacity10 {
    /// RETURNED LOGICAL BLOCK ADDRESS: the last LBA, or FFFFFFFFh when it
    /// does not fit (SBC-4 §5.20.2: use READ CAPACITY (16)).
    pub returned_lba: u32,
    pub block_length: u32,
}

impl ReadCapacity10 {
    /// Data for a device whose last LBA is `last_lba`, saturating to FFFFFFFFh.
    pub fn for_last_lba(last_lba: u64, block_length: u32) -> Self {
        ReadCapacity10 {
            returned_lba: u32::try_from(last_lba).unwrap_or(u32::MAX),
            block_length,
        }
    }

    pub fn encode(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.returned_lba.to_be_bytes());
        out[4..].copy_from_slice(&self.block_length.to_be_bytes());
        out
    }

    /// SBC-4 §5.20.2: the data has no length field; all 8 bytes are needed.
    pub fn decode(buf: &[u8]) -> Result<Self, ParamError> {
        need("read capacity (10) data", buf, 8)?;
        Ok(ReadCapacity10 {
            returned_lba: u32_at(buf, 0),
            block_length: u32_at(buf, 4),
        })
    }
}

/// READ CAPACITY (16) parameter data: 32 bytes (SBC-4 table 68).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadCapacity16 {
    pub returned_lba: u64,
    pub block_length: u32,
    /// RC BASIS (byte 12 bits 5-4).
    pub rc_basis: u8,
    /// P_TYPE: protection type minus one when PROT_EN is set.
    pub p_type: u8,
    pub prot_en: bool,
    /// P_I_EXPONENT.
    pub p_i_exponent: u8,
    /// LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT.
    pub lbppbe: u8,
    pub lbpme: bool,
    pub lbprz: bool,
    /// LOWEST ALIGNED LOGICAL BLOCK ADDRESS (14 bits).
    pub lowest_aligned_lba: u16,
    /// Byte 12 bits 7-6 (reserved).
    pub reserved_12: u8,
    /// Bytes 16-31 (reserved).
    pub reserved: [u8; 16],
}

impl ReadCapacity16 {
    pub fn encode(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[..8].copy_from_slice(&self.returned_lba.to_be_bytes());
        out[8..12].copy_from_slice(&self.block_length.to_be_bytes());
        out[12] = (self.reserved_12 & 0x03) << 6
            | (self.rc_basis & 0x03) << 4
            | (self.p_type & 0x07) << 1
            | u8::from(self.prot_en);
        out[13] = (self.p_i_exponent & 0x0f) << 4 | (self.lbppbe & 0x0f);
        let [hi, lo] = (self.lowest_aligned_lba & 0x3fff).to_be_bytes();
        out[14] = u8::from(self.lbpme) << 7 | u8::from(self.lbprz) << 6 | hi;
        out[15] = lo;
        out[16..].copy_from_slice(&self.reserved);
        out
    }

    /// SBC-4 §5.21.2: the first 12 bytes (LBA and block length) are required;
    /// an application client may ask for fewer than 32 and the rest read as zero.
    pub fn decode(buf: &[u8]) -> Result<Self, ParamError> {
        need("read capacity (16) data", buf, 12)?;
        Ok(ReadCapacity16 {
            returned_lba: u64_at(buf, 0),
            block_length: u32_at(buf, 8),
            reserved_12: u8_at(buf, 12) >> 6,
            rc_basis: (u8_at(buf, 12) >> 4) & 0x03,
            p_type: (u8_at(buf, 12) >> 1) & 0x07,
            prot_en: bit(buf, 12, 0),
            p_i_exponent: u8_at(buf, 13) >> 4,
            lbppbe: u8_at(buf, 13) & 0x0f,
            lbpme: bit(buf, 14, 7),
            lbprz: bit(buf, 14, 6),
            lowest_aligned_lba: u16_at(buf, 14) & 0x3fff,
            reserved: arr_at(buf, 16),
        })
    }

    /// Number of logical blocks (RETURNED LBA + 1), saturating.
    pub fn block_count(&self) -> u64 {
        self.returned_lba.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_rc10() {
        let b = [0x00, 0x1f, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00];
        let rc = ReadCapacity10::decode(&b).unwrap();
        assert_eq!((rc.returned_lba, rc.block_length), (0x1fffff, 512));
        assert_eq!(rc.encode(), b);
        assert_eq!(
            ReadCapacity10::for_last_lba(1 << 33, 512).returned_lba,
            u32::MAX
        );
        assert!(ReadCapacity10::decode(&b[..7]).is_err());
    }

    #[test]
    fn hand_built_rc16() {
        let mut b = [0u8; 32];
        b[7] = 0xff; // last LBA 255
        b[8..12].copy_from_slice(&4096u32.to_be_bytes());
        b[12] = 0x03; // P_TYPE=1 (type 2), PROT_EN
        b[13] = 0x03; // 8 logical per physical
        b[14] = 0xc0; // LBPME, LBPRZ
        b[15] = 0x07;
        let rc = ReadCapacity16::decode(&b).unwrap();
        assert_eq!(
            (rc.returned_lba, rc.block_length, rc.block_count()),
            (255, 4096, 256)
        );
        assert!(rc.prot_en && rc.lbpme && rc.lbprz);
        assert_eq!((rc.p_type, rc.lbppbe, rc.lowest_aligned_lba), (1, 3, 7));
        assert_eq!(rc.encode(), b);
        assert_eq!(ReadCapacity16::decode(&b[..12]).unwrap().lbppbe, 0);
    }
}

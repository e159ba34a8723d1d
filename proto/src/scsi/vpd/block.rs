//! SBC-4 VPD pages: Block Limits (B0h, §6.6.4), Block Device
//! Characteristics (B1h, §6.6.2) and Logical Block Provisioning (B2h, §6.6.6).
//!
//! Bodies start at page byte 4; offsets below are page offsets minus 4.
//! Older devices return shorter pages (SBC-3 B0h is 3Ch, SBC-2 was 0Ch);
//! missing fields read as zero.

use super::devid::Designation;
use crate::scsi::params::wire::{arr_at, bit, slice, u16_at, u32_at, u64_at, u8_at};
use crate::scsi::params::ParamError;

/// Block Limits VPD page (SBC-4 table 217), page length 3Ch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockLimits {
    pub wsnz: bool,
    /// Byte 4 bits 7-1 (reserved).
    pub reserved_4: u8,
    pub max_compare_and_write_length: u8,
    pub optimal_transfer_length_granularity: u16,
    pub max_transfer_length: u32,
    pub optimal_transfer_length: u32,
    pub max_prefetch_length: u32,
    pub max_unmap_lba_count: u32,
    pub max_unmap_block_descriptor_count: u32,
    pub optimal_unmap_granularity: u32,
    pub ugavalid: bool,
    /// UNMAP GRANULARITY ALIGNMENT (31 bits).
    pub unmap_granularity_alignment: u32,
    pub max_write_same_length: u64,
    pub max_atomic_transfer_length: u32,
    pub atomic_alignment: u32,
    pub atomic_transfer_length_granularity: u32,
    pub max_atomic_transfer_length_with_boundary: u32,
    pub max_atomic_boundary_size: u32,
}

impl BlockLimits {
    pub(super) fn encode_body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(60);
        b.push((self.reserved_4 & 0xfe) | u8::from(self.wsnz));
        b.push(self.max_compare_and_write_length);
        b.extend_from_slice(&self.optimal_transfer_length_granularity.to_be_bytes());
        for v in [
            self.max_transfer_length,
            self.optimal_transfer_length,
            self.max_prefetch_length,
            self.max_unmap_lba_count,
            self.max_unmap_block_descriptor_count,
            self.optimal_unmap_granularity,
            u32::from(self.ugavalid) << 31 | (self.unmap_granularity_alignment & 0x7fff_ffff),
        ] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&self.max_write_same_length.to_be_bytes());
        for v in [
            self.max_atomic_transfer_length,
            self.atomic_alignment,
            self.atomic_transfer_length_granularity,
            self.max_atomic_transfer_length_with_boundary,
            self.max_atomic_boundary_size,
        ] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b
    }

    pub(super) fn decode_body(b: &[u8]) -> Self {
        BlockLimits {
            wsnz: bit(b, 0, 0),
            reserved_4: u8_at(b, 0) & 0xfe,
            max_compare_and_write_length: u8_at(b, 1),
            optimal_transfer_length_granularity: u16_at(b, 2),
            max_transfer_length: u32_at(b, 4),
            optimal_transfer_length: u32_at(b, 8),
            max_prefetch_length: u32_at(b, 12),
            max_unmap_lba_count: u32_at(b, 16),
            max_unmap_block_descriptor_count: u32_at(b, 20),
            optimal_unmap_granularity: u32_at(b, 24),
            ugavalid: bit(b, 28, 7),
            unmap_granularity_alignment: u32_at(b, 28) & 0x7fff_ffff,
            max_write_same_length: u64_at(b, 32),
            max_atomic_transfer_length: u32_at(b, 40),
            atomic_alignment: u32_at(b, 44),
            atomic_transfer_length_granularity: u32_at(b, 48),
            max_atomic_transfer_length_with_boundary: u32_at(b, 52),
            max_atomic_boundary_size: u32_at(b, 56),
        }
    }
}

/// Block Device Characteristics VPD page (SBC-4 table 209), page length 3Ch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockCharacteristics {
    /// MEDIUM ROTATION RATE: 0001h for non-rotating (solid state) media.
    pub medium_rotation_rate: u16,
    pub product_type: u8,
    pub wabereq: u8,
    pub wacereq: u8,
    pub nominal_form_factor: u8,
    /// Byte 8: ZONED (5-4), FUAB (1), VBULS (0), other bits kept.
    pub byte8: u8,
    /// Bytes 9-63 (reserved).
    pub reserved: [u8; 55],
}

impl Default for BlockCharacteristics {
    fn default() -> Self {
        BlockCharacteristics {
            medium_rotation_rate: 0,
            product_type: 0,
            wabereq: 0,
            wacereq: 0,
            nominal_form_factor: 0,
            byte8: 0,
            reserved: [0; 55],
        }
    }
}

impl BlockCharacteristics {
    pub fn zoned(&self) -> u8 {
        (self.byte8 >> 4) & 0x03
    }
    pub fn fuab(&self) -> bool {
        self.byte8 & 0x02 != 0
    }
    pub fn vbuls(&self) -> bool {
        self.byte8 & 0x01 != 0
    }

    pub(super) fn encode_body(&self) -> Vec<u8> {
        let mut b = self.medium_rotation_rate.to_be_bytes().to_vec();
        b.push(self.product_type);
        b.push(
            (self.wabereq & 3) << 6 | (self.wacereq & 3) << 4 | (self.nominal_form_factor & 0x0f),
        );
        b.push(self.byte8);
        b.extend_from_slice(&self.reserved);
        b
    }

    pub(super) fn decode_body(b: &[u8]) -> Self {
        BlockCharacteristics {
            medium_rotation_rate: u16_at(b, 0),
            product_type: u8_at(b, 2),
            wabereq: u8_at(b, 3) >> 6,
            wacereq: (u8_at(b, 3) >> 4) & 3,
            nominal_form_factor: u8_at(b, 3) & 0x0f,
            byte8: u8_at(b, 4),
            reserved: arr_at(b, 5),
        }
    }
}

/// PROVISIONING TYPE values (SBC-4 table 222).
pub const PROVISIONING_FULL: u8 = 0x0;
pub const PROVISIONING_RESOURCE: u8 = 0x1;
pub const PROVISIONING_THIN: u8 = 0x2;

/// Logical Block Provisioning VPD page (SBC-4 table 221).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogicalBlockProvisioning {
    pub threshold_exponent: u8,
    pub lbpu: bool,
    pub lbpws: bool,
    pub lbpws10: bool,
    /// LBPRZ (3 bits in SBC-4).
    pub lbprz: u8,
    pub anc_sup: bool,
    pub dp: bool,
    pub minimum_percentage: u8,
    pub provisioning_type: u8,
    pub threshold_percentage: u8,
    /// The provisioning group descriptor, present when DP is set.
    pub provisioning_group: Option<Designation>,
}

impl LogicalBlockProvisioning {
    pub(super) fn encode_body(&self) -> Vec<u8> {
        let mut b = vec![
            self.threshold_exponent,
            u8::from(self.lbpu) << 7
                | u8::from(self.lbpws) << 6
                | u8::from(self.lbpws10) << 5
                | (self.lbprz & 0x07) << 2
                | u8::from(self.anc_sup) << 1
                | u8::from(self.dp),
            (self.minimum_percentage & 0x1f) << 3 | (self.provisioning_type & 0x07),
            self.threshold_percentage,
        ];
        if let Some(d) = &self.provisioning_group {
            d.encode_into(&mut b);
        }
        b
    }

    /// SBC-4 §6.6.6: with DP set, one designation descriptor follows byte 7.
    pub(super) fn decode_body(b: &[u8], truncated: bool) -> Result<Self, ParamError> {
        let dp = bit(b, 1, 0);
        let provisioning_group = if dp {
            Designation::decode_list(slice(b, 4, b.len()), truncated)?
                .into_iter()
                .next()
        } else {
            None
        };
        Ok(LogicalBlockProvisioning {
            threshold_exponent: u8_at(b, 0),
            lbpu: bit(b, 1, 7),
            lbpws: bit(b, 1, 6),
            lbpws10: bit(b, 1, 5),
            lbprz: (u8_at(b, 1) >> 2) & 0x07,
            anc_sup: bit(b, 1, 1),
            dp,
            minimum_percentage: u8_at(b, 2) >> 3,
            provisioning_type: u8_at(b, 2) & 0x07,
            threshold_percentage: u8_at(b, 3),
            provisioning_group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_block_limits() {
        let mut b = [0u8; 60];
        b[0] = 0x01; // WSNZ
        b[1] = 1; // compare and write: 1 block
        b[4..8].copy_from_slice(&0x0000_4000u32.to_be_bytes());
        b[20..24].copy_from_slice(&64u32.to_be_bytes());
        b[28] = 0x80; // UGAVALID
        b[31] = 0x08;
        b[32..40].copy_from_slice(&0xffffu64.to_be_bytes());
        let l = BlockLimits::decode_body(&b);
        assert!(l.wsnz && l.ugavalid);
        assert_eq!(
            (l.max_transfer_length, l.max_unmap_block_descriptor_count),
            (0x4000, 64)
        );
        assert_eq!(
            (l.unmap_granularity_alignment, l.max_write_same_length),
            (8, 0xffff)
        );
        assert_eq!(l.encode_body(), b);
    }

    #[test]
    fn hand_built_provisioning() {
        let b = [0x0c, 0xe6, 0x02, 0x00];
        let p = LogicalBlockProvisioning::decode_body(&b, false).unwrap();
        assert!(p.lbpu && p.lbpws && p.lbpws10 && p.anc_sup && !p.dp);
        assert_eq!(
            (p.threshold_exponent, p.lbprz, p.provisioning_type),
            (12, 1, PROVISIONING_THIN)
        );
        assert_eq!(p.encode_body(), b);
    }

    #[test]
    fn hand_built_characteristics() {
        let mut b = vec![0x00, 0x01, 0x00, 0x02, 0x02];
        b.resize(60, 0);
        let c = BlockCharacteristics::decode_body(&b);
        assert_eq!(
            (c.medium_rotation_rate, c.nominal_form_factor, c.fuab()),
            (1, 2, true)
        );
        assert_eq!(c.encode_body(), b);
    }
}

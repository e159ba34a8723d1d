//! UNMAP parameter list (SBC-4 §5.32.2) and GET LBA STATUS parameter data
//! (SBC-4 §5.7.2).

use super::wire::{slice, u16_at, u32_at, u64_at, u8_at};
use super::{need, Decoded, ParamError};

/// An UNMAP block descriptor (SBC-4 table 113): 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnmapDescriptor {
    pub lba: u64,
    pub blocks: u32,
    /// Bytes 12-15 (reserved).
    pub reserved: u32,
}

/// The UNMAP parameter list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnmapList {
    /// Bytes 4-7 (reserved).
    pub reserved: u32,
    pub descriptors: Vec<UnmapDescriptor>,
}

impl UnmapList {
    pub fn encode(&self) -> Vec<u8> {
        let desc_len = self.descriptors.len().saturating_mul(16);
        let mut out = Vec::with_capacity(8 + desc_len);
        out.extend_from_slice(
            &u16::try_from(desc_len + 6)
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&u16::try_from(desc_len).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(&self.reserved.to_be_bytes());
        for d in &self.descriptors {
            out.extend_from_slice(&d.lba.to_be_bytes());
            out.extend_from_slice(&d.blocks.to_be_bytes());
            out.extend_from_slice(&d.reserved.to_be_bytes());
        }
        out
    }

    /// Decodes the list the device server received.
    ///
    /// SBC-4 §5.32.2: a PARAMETER LIST LENGTH below 8 carries no
    /// descriptors (the caller checks that); a BLOCK DESCRIPTOR DATA LENGTH
    /// that is not a multiple of 16 leaves an incomplete last descriptor,
    /// which is ignored. `declared` reports 8 + the descriptor data length.
    pub fn decode(buf: &[u8]) -> Result<Decoded<UnmapList>, ParamError> {
        need("unmap parameter list", buf, 8)?;
        let desc_len = usize::from(u16_at(buf, 2));
        let declared = 8 + desc_len;
        let list = slice(buf, 8, declared);
        let descriptors = list
            .chunks_exact(16)
            .map(|c| UnmapDescriptor {
                lba: u64_at(c, 0),
                blocks: u32_at(c, 8),
                reserved: u32_at(c, 12),
            })
            .collect();
        Ok(Decoded::received(
            UnmapList {
                reserved: u32_at(buf, 4),
                descriptors,
            },
            declared,
            buf,
        ))
    }

    /// UNMAP DATA LENGTH as found on the wire, for checks against
    /// SBC-4 §5.32.2 (it should be the list length minus 2).
    pub fn data_length_field(buf: &[u8]) -> Option<u16> {
        (buf.len() >= 2).then(|| u16_at(buf, 0))
    }
}

/// PROVISIONING STATUS of an LBA status descriptor (SBC-4 table 54).
pub const PROVISIONING_MAPPED: u8 = 0x0;
pub const PROVISIONING_DEALLOCATED: u8 = 0x1;
pub const PROVISIONING_ANCHORED: u8 = 0x2;
pub const PROVISIONING_MAPPED_OR_UNKNOWN: u8 = 0x3;

/// An LBA status descriptor (SBC-4 table 53): 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LbaStatusDescriptor {
    pub lba: u64,
    pub blocks: u32,
    /// PROVISIONING STATUS (byte 12 bits 3-0).
    pub provisioning_status: u8,
    /// Byte 12 bits 7-4 (reserved).
    pub reserved_12: u8,
    /// ADDITIONAL STATUS (byte 13).
    pub additional_status: u8,
    /// Bytes 14-15 (reserved).
    pub reserved: u16,
}

/// GET LBA STATUS parameter data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LbaStatus {
    /// Bytes 4-7 (reserved; RTP in bit 0 of byte 7 in later revisions).
    pub reserved: u32,
    pub descriptors: Vec<LbaStatusDescriptor>,
}

impl LbaStatus {
    pub fn encode(&self) -> Vec<u8> {
        let body = self.descriptors.len().saturating_mul(16);
        let mut out = Vec::with_capacity(8 + body);
        // PARAMETER DATA LENGTH counts the bytes after itself.
        out.extend_from_slice(&u32::try_from(body + 4).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&self.reserved.to_be_bytes());
        for d in &self.descriptors {
            out.extend_from_slice(&d.lba.to_be_bytes());
            out.extend_from_slice(&d.blocks.to_be_bytes());
            out.push((d.reserved_12 & 0x0f) << 4 | (d.provisioning_status & 0x0f));
            out.push(d.additional_status);
            out.extend_from_slice(&d.reserved.to_be_bytes());
        }
        out
    }

    /// SBC-4 §5.7.2: PARAMETER DATA LENGTH is the byte count after byte 3;
    /// the data may be truncated by the allocation length.
    pub fn decode(buf: &[u8]) -> Result<Decoded<LbaStatus>, ParamError> {
        need("get lba status data", buf, 8)?;
        let len = u32_at(buf, 0) as usize;
        if len < 4 || (len - 4) % 16 != 0 {
            return Err(ParamError::BadLength {
                what: "get lba status parameter data",
                len,
                reason: "must be 4 plus a multiple of 16",
            });
        }
        let declared = len.saturating_add(4);
        let descriptors = slice(buf, 8, declared)
            .chunks_exact(16)
            .map(|c| LbaStatusDescriptor {
                lba: u64_at(c, 0),
                blocks: u32_at(c, 8),
                provisioning_status: u8_at(c, 12) & 0x0f,
                reserved_12: u8_at(c, 12) >> 4,
                additional_status: u8_at(c, 13),
                reserved: u16_at(c, 14),
            })
            .collect();
        Ok(Decoded::received(
            LbaStatus {
                reserved: u32_at(buf, 4),
                descriptors,
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
    fn hand_built_unmap_list() {
        let mut b = vec![0, 22, 0, 16, 0, 0, 0, 0];
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 8, 0, 0, 0, 0]);
        let d = UnmapList::decode(&b).unwrap();
        assert_eq!(
            d.value.descriptors,
            vec![UnmapDescriptor {
                lba: 0x1000,
                blocks: 8,
                reserved: 0
            }]
        );
        assert_eq!(d.value.encode(), b);
        assert_eq!(UnmapList::data_length_field(&b), Some(22));
        // SBC-4 §5.32.2: an incomplete last descriptor is ignored.
        let mut odd = b.clone();
        odd[3] = 20;
        odd.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(UnmapList::decode(&odd).unwrap().value.descriptors.len(), 1);
    }

    #[test]
    fn hand_built_lba_status() {
        let mut b = vec![0, 0, 0, 20, 0, 0, 0, 0];
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x01, 0, 0, 0]);
        let d = LbaStatus::decode(&b).unwrap();
        let desc = d.value.descriptors[0];
        assert_eq!(
            (desc.lba, desc.blocks, desc.provisioning_status),
            (0, 256, PROVISIONING_DEALLOCATED)
        );
        assert_eq!(d.value.encode(), b);
        assert!(LbaStatus::decode(&[0, 0, 0, 5, 0, 0, 0, 0]).is_err());
    }
}

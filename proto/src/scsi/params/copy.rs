//! EXTENDED COPY (LID1) parameter list and RECEIVE COPY RESULTS operating
//! parameters (SPC-4 §6.3 and §6.18.4; kept as "LID1" in SPC-5).

use super::wire::{arr_at, descriptors, slice, u16_at, u32_at, u64_at, u8_at};
use super::{need, Decoded, ParamError};

/// Identification descriptor CSCD type code (SPC-4 §6.3.6.2).
pub const CSCD_IDENTIFICATION: u8 = 0xe4;
/// Segment descriptor: block device to block device (SPC-4 §6.3.7.5).
pub const SEGMENT_BLOCK_TO_BLOCK: u8 = 0x02;

/// A copy source/destination (target) descriptor: 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CscdDescriptor {
    /// Identification descriptor (E4h), naming a logical unit by a
    /// designator as in VPD page 83h, for a block device.
    Identification {
        /// Byte 1: LU ID TYPE (7-6), NUL (5), PERIPHERAL DEVICE TYPE (4-0).
        byte1: u8,
        relative_initiator_port: u16,
        code_set: u8,
        /// Byte 5: ASSOCIATION (5-4) and DESIGNATOR TYPE (3-0), bits 7-6 kept.
        designator_byte: u8,
        /// DESIGNATOR (at most 20 bytes, its length in byte 7).
        designator: Vec<u8>,
        /// Bytes 28-31: device type specific parameters (for block devices:
        /// PAD in byte 28 bit 2, DISK BLOCK LENGTH in bytes 29-31).
        device_specific: [u8; 4],
    },
    /// Any other type code: the 32 bytes as they came.
    Raw([u8; 32]),
}

impl CscdDescriptor {
    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            CscdDescriptor::Raw(b) => out.extend_from_slice(b),
            CscdDescriptor::Identification {
                byte1,
                relative_initiator_port,
                code_set,
                designator_byte,
                designator,
                device_specific,
            } => {
                let mut d = [0u8; 32];
                d[0] = CSCD_IDENTIFICATION;
                d[1] = *byte1;
                d[2..4].copy_from_slice(&relative_initiator_port.to_be_bytes());
                d[4] = code_set & 0x0f;
                d[5] = *designator_byte;
                let n = designator.len().min(20);
                d[7] = n as u8;
                for (byte, &value) in d.iter_mut().skip(8).zip(designator.iter().take(n)) {
                    *byte = value;
                }
                d[28..].copy_from_slice(device_specific);
                out.extend_from_slice(&d);
            }
        }
    }

    fn decode(b: &[u8]) -> Self {
        let raw: [u8; 32] = arr_at(b, 0);
        let n = usize::from(u8_at(b, 7));
        // SPC-4 §6.3.6.2: the designator occupies bytes 8-27; a longer
        // DESIGNATOR LENGTH or reserved bits set cannot be typed, keep raw.
        if u8_at(b, 0) != CSCD_IDENTIFICATION
            || n > 20
            || u8_at(b, 4) & 0xf0 != 0
            || u8_at(b, 6) != 0
        {
            return CscdDescriptor::Raw(raw);
        }
        let d = CscdDescriptor::Identification {
            byte1: u8_at(b, 1),
            relative_initiator_port: u16_at(b, 2),
            code_set: u8_at(b, 4) & 0x0f,
            designator_byte: u8_at(b, 5),
            designator: slice(b, 8, 8 + n).to_vec(),
            device_specific: arr_at(b, 28),
        };
        let mut re = Vec::new();
        d.encode_into(&mut re);
        if re != raw {
            return CscdDescriptor::Raw(raw);
        }
        d
    }
}

/// A segment descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentDescriptor {
    /// Block device to block device (02h), 28 bytes (SPC-4 table 118).
    BlockToBlock {
        /// Byte 1: DC (1), CAT (0), reserved bits kept.
        flags: u8,
        source: u16,
        destination: u16,
        /// Bytes 8-9 (reserved).
        reserved: u16,
        blocks: u16,
        source_lba: u64,
        destination_lba: u64,
    },
    /// Another type: type code, byte 1, and the bytes after DESCRIPTOR LENGTH.
    Raw {
        type_code: u8,
        byte1: u8,
        body: Vec<u8>,
    },
}

impl SegmentDescriptor {
    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            SegmentDescriptor::BlockToBlock {
                flags,
                source,
                destination,
                reserved,
                blocks,
                source_lba,
                destination_lba,
            } => {
                // DESCRIPTOR LENGTH is 0018h.
                out.extend_from_slice(&[SEGMENT_BLOCK_TO_BLOCK, *flags, 0, 0x18]);
                out.extend_from_slice(&source.to_be_bytes());
                out.extend_from_slice(&destination.to_be_bytes());
                out.extend_from_slice(&reserved.to_be_bytes());
                out.extend_from_slice(&blocks.to_be_bytes());
                out.extend_from_slice(&source_lba.to_be_bytes());
                out.extend_from_slice(&destination_lba.to_be_bytes());
            }
            SegmentDescriptor::Raw {
                type_code,
                byte1,
                body,
            } => {
                out.extend_from_slice(&[*type_code, *byte1]);
                let n = body.len().min(0xffff);
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(body.get(..n).unwrap_or(&[]));
            }
        }
    }
}

/// The EXTENDED COPY (LID1) parameter list (SPC-4 table 103).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtendedCopy {
    pub list_id: u8,
    /// Byte 1: STR (5), LIST ID USAGE (4-3), PRIORITY (2-0).
    pub flags: u8,
    pub cscds: Vec<CscdDescriptor>,
    pub segments: Vec<SegmentDescriptor>,
    pub inline_data: Vec<u8>,
}

impl ExtendedCopy {
    pub fn encode(&self) -> Vec<u8> {
        let mut cscd = Vec::new();
        self.cscds.iter().for_each(|c| c.encode_into(&mut cscd));
        let mut seg = Vec::new();
        self.segments.iter().for_each(|s| s.encode_into(&mut seg));
        let mut out = vec![self.list_id, self.flags];
        out.extend_from_slice(&u16::try_from(cscd.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&u32::try_from(seg.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(
            &u32::try_from(self.inline_data.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&cscd);
        out.extend_from_slice(&seg);
        out.extend_from_slice(&self.inline_data);
        out
    }

    /// SPC-4 §6.3.1: the three lists must fit the parameter list, the CSCD
    /// list is a multiple of 32 bytes, and each segment descriptor carries
    /// its own length.
    pub fn decode(buf: &[u8]) -> Result<ExtendedCopy, ParamError> {
        need("extended copy parameter list", buf, 16)?;
        let cscd_len = usize::from(u16_at(buf, 2));
        let seg_len = u32_at(buf, 8) as usize;
        let inline_len = u32_at(buf, 12) as usize;
        if cscd_len % 32 != 0 {
            return Err(ParamError::BadLength {
                what: "extended copy cscd descriptor list",
                len: cscd_len,
                reason: "not a multiple of 32",
            });
        }
        let total = 16usize
            .saturating_add(cscd_len)
            .saturating_add(seg_len)
            .saturating_add(inline_len);
        if total > buf.len() {
            return Err(ParamError::BadLength {
                what: "extended copy descriptor lists",
                len: total,
                reason: "exceed the parameter list",
            });
        }
        let cscds = slice(buf, 16, 16 + cscd_len)
            .chunks_exact(32)
            .map(CscdDescriptor::decode)
            .collect();
        let segs = slice(buf, 16 + cscd_len, 16 + cscd_len + seg_len);
        let walk = descriptors(segs, 1, |d| (4, usize::from(u16_at(d, 2)))).or_bad_length(
            false,
            "extended copy segment descriptor",
            "runs past the segment descriptor list",
        )?;
        let segment = |d: &[u8]| {
            let ty = u8_at(d, 0);
            if ty == SEGMENT_BLOCK_TO_BLOCK && u16_at(d, 2) == 0x18 {
                SegmentDescriptor::BlockToBlock {
                    flags: u8_at(d, 1),
                    source: u16_at(d, 4),
                    destination: u16_at(d, 6),
                    reserved: u16_at(d, 8),
                    blocks: u16_at(d, 10),
                    source_lba: u64_at(d, 12),
                    destination_lba: u64_at(d, 20),
                }
            } else {
                SegmentDescriptor::Raw {
                    type_code: ty,
                    byte1: u8_at(d, 1),
                    body: slice(d, 4, d.len()).to_vec(),
                }
            }
        };
        let segments = walk.into_iter().map(segment).collect();
        Ok(ExtendedCopy {
            list_id: u8_at(buf, 0),
            flags: u8_at(buf, 1),
            cscds,
            segments,
            inline_data: slice(buf, 16 + cscd_len + seg_len, total).to_vec(),
        })
    }
}

/// RECEIVE COPY RESULTS, OPERATING PARAMETERS data (SPC-4 table 137).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyOperatingParameters {
    pub snlid: bool,
    pub max_cscd_descriptors: u16,
    pub max_segment_descriptors: u16,
    pub max_descriptor_list_length: u32,
    pub max_segment_length: u32,
    pub max_inline_data_length: u32,
    pub held_data_limit: u32,
    pub max_stream_device_transfer_size: u32,
    pub total_concurrent_copies: u16,
    pub max_concurrent_copies: u8,
    /// Log2 granularities.
    pub data_segment_granularity: u8,
    pub inline_data_granularity: u8,
    pub held_data_granularity: u8,
    /// Implemented descriptor type codes.
    pub implemented_descriptors: Vec<u8>,
}

impl CopyOperatingParameters {
    pub fn encode(&self) -> Vec<u8> {
        let mut head = [0u8; 44];
        head[4] = u8::from(self.snlid);
        head[8..10].copy_from_slice(&self.max_cscd_descriptors.to_be_bytes());
        head[10..12].copy_from_slice(&self.max_segment_descriptors.to_be_bytes());
        head[12..16].copy_from_slice(&self.max_descriptor_list_length.to_be_bytes());
        head[16..20].copy_from_slice(&self.max_segment_length.to_be_bytes());
        head[20..24].copy_from_slice(&self.max_inline_data_length.to_be_bytes());
        head[24..28].copy_from_slice(&self.held_data_limit.to_be_bytes());
        head[28..32].copy_from_slice(&self.max_stream_device_transfer_size.to_be_bytes());
        head[34..36].copy_from_slice(&self.total_concurrent_copies.to_be_bytes());
        head[36] = self.max_concurrent_copies;
        head[37] = self.data_segment_granularity;
        head[38] = self.inline_data_granularity;
        head[39] = self.held_data_granularity;
        let n = self.implemented_descriptors.len().min(255);
        head[43] = n as u8;
        // AVAILABLE DATA counts the bytes after byte 3.
        let len = (head.len() - 4 + n) as u32;
        head[..4].copy_from_slice(&len.to_be_bytes());
        let mut out = head.to_vec();
        out.extend_from_slice(self.implemented_descriptors.get(..n).unwrap_or(&[]));
        out
    }

    /// AVAILABLE DATA counts the bytes after byte 3; may be truncated.
    pub fn decode(buf: &[u8]) -> Result<Decoded<CopyOperatingParameters>, ParamError> {
        need("copy operating parameters", buf, 4)?;
        let declared = (u32_at(buf, 0) as usize).saturating_add(4);
        let b = slice(buf, 0, declared);
        let n = usize::from(u8_at(b, 43));
        let value = CopyOperatingParameters {
            snlid: u8_at(b, 4) & 0x01 != 0,
            max_cscd_descriptors: u16_at(b, 8),
            max_segment_descriptors: u16_at(b, 10),
            max_descriptor_list_length: u32_at(b, 12),
            max_segment_length: u32_at(b, 16),
            max_inline_data_length: u32_at(b, 20),
            held_data_limit: u32_at(b, 24),
            max_stream_device_transfer_size: u32_at(b, 28),
            total_concurrent_copies: u16_at(b, 34),
            max_concurrent_copies: u8_at(b, 36),
            data_segment_granularity: u8_at(b, 37),
            inline_data_granularity: u8_at(b, 38),
            held_data_granularity: u8_at(b, 39),
            implemented_descriptors: slice(b, 44, 44 + n).to_vec(),
        };
        Ok(Decoded {
            value,
            declared,
            available: b.len(),
        })
    }
}

/// COPY MANAGER STATUS: the copy is still being processed.
pub const COPY_STATUS_IN_PROGRESS: u8 = 0x00;
/// COPY MANAGER STATUS: the copy completed without error.
pub const COPY_STATUS_GOOD: u8 = 0x01;
/// COPY MANAGER STATUS: the copy completed with an error.
pub const COPY_STATUS_ERROR: u8 = 0x02;
/// TRANSFER COUNT UNITS: bytes.
pub const TRANSFER_COUNT_BYTES: u8 = 0x00;
/// TRANSFER COUNT UNITS: logical blocks of the destination (F1h).
pub const TRANSFER_COUNT_BLOCKS: u8 = 0xf1;

/// RECEIVE COPY RESULTS, COPY STATUS data (SPC-4 §6.18.2, table 134):
/// 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyStatus {
    /// HDD: held data was discarded.
    pub hdd: bool,
    /// COPY MANAGER STATUS (7 bits).
    pub status: u8,
    pub segments_processed: u16,
    pub transfer_count_units: u8,
    pub transfer_count: u32,
}

impl CopyStatus {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = [0u8; 12];
        // AVAILABLE DATA counts the bytes after byte 3: 8.
        out[3] = 8;
        out[4] = u8::from(self.hdd) << 7 | (self.status & 0x7f);
        out[5..7].copy_from_slice(&self.segments_processed.to_be_bytes());
        out[7] = self.transfer_count_units;
        out[8..12].copy_from_slice(&self.transfer_count.to_be_bytes());
        out.to_vec()
    }

    pub fn decode(buf: &[u8]) -> Result<CopyStatus, ParamError> {
        need("copy status", buf, 12)?;
        Ok(CopyStatus {
            hdd: u8_at(buf, 4) & 0x80 != 0,
            status: u8_at(buf, 4) & 0x7f,
            segments_processed: u16_at(buf, 5),
            transfer_count_units: u8_at(buf, 7),
            transfer_count: u32_at(buf, 8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_extended_copy() {
        let mut b = vec![0x01, 0x00, 0, 32, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 0];
        let mut cscd = [0u8; 32];
        cscd[0] = 0xe4;
        cscd[4] = 0x01; // binary
        cscd[5] = 0x03; // NAA
        cscd[7] = 16;
        cscd[8] = 0x60;
        cscd[30] = 0x02; // 512-byte blocks
        b.extend_from_slice(&cscd);
        b.extend_from_slice(&[0x02, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 8]);
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20]);
        let x = ExtendedCopy::decode(&b).unwrap();
        assert!(
            matches!(&x.cscds[0], CscdDescriptor::Identification { designator, .. } if designator.len() == 16)
        );
        assert!(matches!(
            x.segments[0],
            SegmentDescriptor::BlockToBlock {
                blocks: 8,
                source_lba: 0x10,
                destination_lba: 0x20,
                ..
            }
        ));
        assert_eq!(x.encode(), b);
        let mut bad = b.clone();
        bad[11] = 40;
        assert!(ExtendedCopy::decode(&bad).is_err());
    }

    #[test]
    fn operating_parameters() {
        let p = CopyOperatingParameters {
            max_cscd_descriptors: 2,
            max_segment_descriptors: 1,
            max_descriptor_list_length: 1024,
            implemented_descriptors: vec![0x02, 0xe4],
            ..Default::default()
        };
        let b = p.encode();
        assert_eq!((b.len(), &b[..4]), (46, &[0, 0, 0, 42][..]));
        assert_eq!(CopyOperatingParameters::decode(&b).unwrap().value, p);
    }

    #[test]
    fn copy_status() {
        let c = CopyStatus {
            hdd: false,
            status: COPY_STATUS_GOOD,
            segments_processed: 1,
            transfer_count_units: TRANSFER_COUNT_BLOCKS,
            transfer_count: 2048,
        };
        let b = c.encode();
        assert_eq!(b, [0, 0, 0, 8, 0x01, 0, 1, 0xf1, 0, 0, 0x08, 0]);
        assert_eq!(CopyStatus::decode(&b).unwrap(), c);
        assert!(CopyStatus::decode(&b[..11]).is_err());
    }
}

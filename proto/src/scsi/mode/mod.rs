//! Mode parameters (SPC-5 §7.5): headers, block descriptors (SBC-4 §6.5.2)
//! and mode pages, as MODE SENSE returns them and MODE SELECT sends them.
//!
//! ```text
//! header(6):  0 MODE DATA LENGTH  1 MEDIUM TYPE  2 DEVICE-SPECIFIC  3 BLOCK DESCRIPTOR LENGTH
//! header(10): 0-1 MODE DATA LENGTH  2 MEDIUM TYPE  3 DEVICE-SPECIFIC  4 LONGLBA  6-7 BD LENGTH
//! page_0:     0 PS SPF=0 PAGE CODE  1 PAGE LENGTH
//! sub_page:   0 PS SPF=1 PAGE CODE  1 SUBPAGE CODE  2-3 PAGE LENGTH
//! ```

mod page;
mod pages;

pub use page::{ModePage, Page};

pub use pages::{
    Caching, Control, ControlExtension, InformationalExceptions, ReadWriteErrorRecovery,
};

use crate::scsi::params::wire::{slice, u16_at, u32_at, u64_at, u8_at};
use crate::scsi::params::{need, Decoded, ParamError};

/// PAGE CODE 3Fh: return all pages (SPC-5 §7.5.1).
pub const PAGE_ALL: u8 = 0x3f;
/// SUBPAGE CODE FFh: all subpages.
pub const SUBPAGE_ALL: u8 = 0xff;

/// The PC field of MODE SENSE (SPC-5 table 159).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageControl {
    Current = 0,
    Changeable = 1,
    Default = 2,
    Saved = 3,
}

impl PageControl {
    /// From the two PC bits (bits 7-6 of CDB byte 2, already shifted down).
    pub fn from_bits(b: u8) -> Self {
        match b & 0x03 {
            0 => PageControl::Current,
            1 => PageControl::Changeable,
            2 => PageControl::Default,
            _ => PageControl::Saved,
        }
    }

    pub fn to_bits(self) -> u8 {
        self as u8
    }
}

/// Which header a parameter list carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// MODE SENSE(6) / MODE SELECT(6).
    Six,
    /// MODE SENSE(10) / MODE SELECT(10).
    Ten,
}

/// The fields of a mode parameter header (SPC-5 tables 453 and 454).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModeHeader {
    pub medium_type: u8,
    /// DEVICE-SPECIFIC PARAMETER; for SBC devices WP is bit 7 and DPOFUA
    /// bit 4 (SBC-4 table 201).
    pub device_specific: u8,
    /// LONGLBA (header 10 only): block descriptors are 16 bytes.
    pub longlba: bool,
    /// Header(10) byte 4 bits 7-1 and byte 5 (reserved).
    pub reserved: [u8; 2],
}

impl ModeHeader {
    pub fn wp(&self) -> bool {
        self.device_specific & 0x80 != 0
    }
    pub fn dpofua(&self) -> bool {
        self.device_specific & 0x10 != 0
    }
    /// The device-specific parameter of a disk.
    pub fn disk(wp: bool, dpofua: bool) -> Self {
        ModeHeader {
            device_specific: u8::from(wp) << 7 | u8::from(dpofua) << 4,
            ..ModeHeader::default()
        }
    }
}

/// A block descriptor: short (8 bytes) or long LBA (16 bytes, SBC-4 §6.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockDescriptor {
    pub blocks: u64,
    pub block_length: u32,
    /// Short: byte 4 (reserved); long: bytes 8-11 (reserved).
    pub reserved: u32,
}

/// A mode parameter list: header, block descriptors, pages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModeParameters {
    pub header: ModeHeader,
    pub block_descriptors: Vec<BlockDescriptor>,
    pub pages: Vec<ModePage>,
}

impl ModeParameters {
    /// Encodes with the given header. For header(6) and short descriptors,
    /// NUMBER OF LOGICAL BLOCKS saturates at FFFFFFFFh (SBC-4 §6.5.2.2).
    /// MODE DATA LENGTH is computed; a MODE SELECT sender may zero it
    /// (SPC-5 §7.5.5: reserved in MODE SELECT).
    pub fn encode(&self, kind: HeaderKind) -> Vec<u8> {
        let long = kind == HeaderKind::Ten && self.header.longlba;
        let mut bd = Vec::new();
        for d in &self.block_descriptors {
            if long {
                bd.extend_from_slice(&d.blocks.to_be_bytes());
                bd.extend_from_slice(&d.reserved.to_be_bytes());
                bd.extend_from_slice(&d.block_length.to_be_bytes());
            } else {
                bd.extend_from_slice(&u32::try_from(d.blocks).unwrap_or(u32::MAX).to_be_bytes());
                bd.push(d.reserved as u8);
                bd.extend_from_slice(&d.block_length.to_be_bytes()[1..]);
            }
        }
        let mut pages = Vec::new();
        self.pages.iter().for_each(|p| p.encode_into(&mut pages));
        let h = &self.header;
        let mut out = match kind {
            HeaderKind::Six => vec![0, h.medium_type, h.device_specific, bd.len().min(255) as u8],
            HeaderKind::Ten => {
                let mut v = vec![0, 0, h.medium_type, h.device_specific];
                v.push((h.reserved[0] & 0xfe) | u8::from(h.longlba));
                v.push(h.reserved[1]);
                v.extend_from_slice(&(bd.len().min(0xffff) as u16).to_be_bytes());
                v
            }
        };
        out.extend_from_slice(&bd);
        out.extend_from_slice(&pages);
        // MODE DATA LENGTH counts the bytes after itself (SPC-5 §7.5.5).
        match kind {
            HeaderKind::Six => {
                let n = (out.len() - 1).min(255) as u8;
                if let Some(length) = out.first_mut() {
                    *length = n;
                }
            }
            HeaderKind::Ten => {
                let n = (out.len() - 2).min(0xffff) as u16;
                if let Some(length) = out.get_mut(..2) {
                    length.copy_from_slice(&n.to_be_bytes());
                }
            }
        }
        out
    }

    /// Decodes MODE SENSE data, which MODE DATA LENGTH delimits and the
    /// allocation length may cut short.
    pub fn decode(buf: &[u8], kind: HeaderKind) -> Result<Decoded<ModeParameters>, ParamError> {
        let (hdr, declared) = match kind {
            HeaderKind::Six => (4, 1 + usize::from(u8_at(buf, 0))),
            HeaderKind::Ten => (8, 2 + usize::from(u16_at(buf, 0))),
        };
        need("mode parameter header", buf, hdr)?;
        let value = Self::decode_body(slice(buf, 0, declared), kind, buf.len() < declared)?;
        Ok(Decoded::received(value, declared, buf))
    }

    /// Decodes a MODE SELECT parameter list: SPC-5 §7.5.5, MODE DATA LENGTH
    /// is reserved there, so the list is the whole buffer (the PARAMETER
    /// LIST LENGTH of the CDB).
    pub fn decode_select(buf: &[u8], kind: HeaderKind) -> Result<ModeParameters, ParamError> {
        need(
            "mode parameter header",
            buf,
            if kind == HeaderKind::Six { 4 } else { 8 },
        )?;
        Self::decode_body(buf, kind, false)
    }

    fn decode_body(
        b: &[u8],
        kind: HeaderKind,
        truncated: bool,
    ) -> Result<ModeParameters, ParamError> {
        let (header, bd_len, hdr) = match kind {
            HeaderKind::Six => (
                ModeHeader {
                    medium_type: u8_at(b, 1),
                    device_specific: u8_at(b, 2),
                    ..ModeHeader::default()
                },
                usize::from(u8_at(b, 3)),
                4,
            ),
            HeaderKind::Ten => (
                ModeHeader {
                    medium_type: u8_at(b, 2),
                    device_specific: u8_at(b, 3),
                    longlba: u8_at(b, 4) & 0x01 != 0,
                    reserved: [u8_at(b, 4) & 0xfe, u8_at(b, 5)],
                },
                usize::from(u16_at(b, 6)),
                8,
            ),
        };
        let size = if header.longlba { 16 } else { 8 };
        // SPC-5 §7.5.5: BLOCK DESCRIPTOR LENGTH is a multiple of the
        // descriptor size.
        if bd_len % size != 0 {
            return Err(ParamError::BadLength {
                what: "block descriptor length",
                len: bd_len,
                reason: "not a multiple of the descriptor size",
            });
        }
        if !truncated && hdr + bd_len > b.len() {
            return Err(ParamError::BadLength {
                what: "block descriptor length",
                len: bd_len,
                reason: "runs past the mode parameter list",
            });
        }
        let block_descriptors = slice(b, hdr, hdr + bd_len)
            .chunks_exact(size)
            .map(|d| match size {
                16 => BlockDescriptor {
                    blocks: u64_at(d, 0),
                    reserved: u32_at(d, 8),
                    block_length: u32_at(d, 12),
                },
                _ => BlockDescriptor {
                    blocks: u64::from(u32_at(d, 0)),
                    reserved: u32::from(u8_at(d, 4)),
                    block_length: u32_at(d, 4) & 0x00ff_ffff,
                },
            })
            .collect();
        let pages = ModePage::decode_list(slice(b, hdr + bd_len, b.len()), truncated)?;
        Ok(ModeParameters {
            header,
            block_descriptors,
            pages,
        })
    }

    /// The first page with this code and subpage.
    pub fn page(&self, code: u8, subpage: Option<u8>) -> Option<&ModePage> {
        self.pages.iter().find(|p| p.code() == (code, subpage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_mode_sense6() {
        let mut b = vec![0, 0x00, 0x10, 8]; // DPOFUA, one short descriptor
        b.extend_from_slice(&[0, 0, 0x10, 0, 0, 0, 0x02, 0]); // 4096 blocks of 512
        b.extend_from_slice(&[
            0x88, 0x12, 0x04, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x80, 0x14, 0, 0, 0, 0,
            0, 0,
        ]);
        b.extend_from_slice(&[0x0a, 0x0a, 0x04, 0x10, 0, 0, 0, 0, 0xff, 0xff, 0, 0]);
        b[0] = (b.len() - 1) as u8;
        let d = ModeParameters::decode(&b, HeaderKind::Six).unwrap();
        assert!(!d.is_truncated());
        let m = &d.value;
        assert!(m.header.dpofua() && !m.header.wp());
        assert_eq!(
            m.block_descriptors,
            vec![BlockDescriptor {
                blocks: 4096,
                block_length: 512,
                reserved: 0
            }]
        );
        let Some(ModePage {
            ps: true,
            page: Page::Caching(c),
        }) = m.page(0x08, None)
        else {
            panic!("no caching page")
        };
        assert!(c.wce() && !c.rcd());
        let Some(ModePage {
            page: Page::Control(ctl),
            ..
        }) = m.page(0x0a, None)
        else {
            panic!("no control page")
        };
        assert!(ctl.d_sense() && ctl.queue_algorithm_modifier() == 1);
        assert_eq!(m.encode(HeaderKind::Six), b);
        let cut = ModeParameters::decode(&b[..34], HeaderKind::Six).unwrap();
        assert_eq!((cut.is_truncated(), cut.value.pages.len()), (true, 1));
    }

    #[test]
    fn hand_built_mode_select10_with_long_lba_and_subpage() {
        let mut b = vec![0, 0, 0, 0, 0x01, 0, 0, 16];
        b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]);
        b.extend_from_slice(&[0x4a, 0x01, 0x00, 0x1c]);
        b.extend_from_slice(&[0u8; 0x1c]);
        let m = ModeParameters::decode_select(&b, HeaderKind::Ten).unwrap();
        assert!(m.header.longlba);
        assert_eq!(m.block_descriptors[0].blocks, 1 << 32);
        assert!(matches!(m.pages[0].page, Page::ControlExtension(_)));
        let mut re = m.encode(HeaderKind::Ten);
        re[..2].copy_from_slice(&[0, 0]);
        assert_eq!(re, b);
        let mut bad = b.clone();
        bad[7] = 12;
        assert!(ModeParameters::decode_select(&bad, HeaderKind::Ten).is_err());
    }
}

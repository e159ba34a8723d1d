//! Vital product data pages (SPC-5 §7.7, SBC-4 §6.6).
//!
//! Every page starts with the same header (SPC-5 table 590):
//!
//! ```text
//! 0    PERIPHERAL QUALIFIER | PERIPHERAL DEVICE TYPE
//! 1    PAGE CODE
//! 2-3  PAGE LENGTH (n-3)
//! ```
//!
//! [`Vpd::decode`] reads any page; pages rtgt does not know are kept raw.

mod block;
mod devid;
mod extended;

pub use block::{
    BlockCharacteristics, BlockLimits, LogicalBlockProvisioning, PROVISIONING_FULL,
    PROVISIONING_RESOURCE, PROVISIONING_THIN,
};
pub use devid::*;
pub use extended::ExtendedInquiry;

use crate::scsi::params::wire::{slice, u16_at, u8_at};
use crate::scsi::params::{need, Decoded, ParamError};

/// Page codes.
pub const PAGE_SUPPORTED: u8 = 0x00;
pub const PAGE_UNIT_SERIAL: u8 = 0x80;
pub const PAGE_DEVICE_ID: u8 = 0x83;
pub const PAGE_EXTENDED_INQUIRY: u8 = 0x86;
pub const PAGE_BLOCK_LIMITS: u8 = 0xb0;
pub const PAGE_BLOCK_CHARACTERISTICS: u8 = 0xb1;
pub const PAGE_LOGICAL_BLOCK_PROVISIONING: u8 = 0xb2;

/// The body of a VPD page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpdPage {
    /// 00h: the supported page codes, ascending (SPC-5 §7.7.15).
    Supported(Vec<u8>),
    /// 80h: PRODUCT SERIAL NUMBER, ASCII (SPC-5 §7.7.17).
    UnitSerial(Vec<u8>),
    /// 83h: designation descriptors (SPC-5 §7.7.6).
    DeviceId(Vec<Designation>),
    /// 86h (SPC-5 §7.7.7).
    ExtendedInquiry(ExtendedInquiry),
    /// B0h (SBC-4 §6.6.4).
    BlockLimits(BlockLimits),
    /// B1h (SBC-4 §6.6.2).
    BlockCharacteristics(BlockCharacteristics),
    /// B2h (SBC-4 §6.6.6).
    LogicalBlockProvisioning(LogicalBlockProvisioning),
    /// Any other page: its code and body.
    Other { page_code: u8, body: Vec<u8> },
}

impl VpdPage {
    /// The PAGE CODE.
    pub fn page_code(&self) -> u8 {
        match self {
            VpdPage::Supported(_) => PAGE_SUPPORTED,
            VpdPage::UnitSerial(_) => PAGE_UNIT_SERIAL,
            VpdPage::DeviceId(_) => PAGE_DEVICE_ID,
            VpdPage::ExtendedInquiry(_) => PAGE_EXTENDED_INQUIRY,
            VpdPage::BlockLimits(_) => PAGE_BLOCK_LIMITS,
            VpdPage::BlockCharacteristics(_) => PAGE_BLOCK_CHARACTERISTICS,
            VpdPage::LogicalBlockProvisioning(_) => PAGE_LOGICAL_BLOCK_PROVISIONING,
            VpdPage::Other { page_code, .. } => *page_code,
        }
    }

    fn encode_body(&self) -> Vec<u8> {
        match self {
            VpdPage::Supported(v) | VpdPage::UnitSerial(v) => v.clone(),
            VpdPage::DeviceId(list) => {
                let mut out = Vec::new();
                list.iter().for_each(|d| d.encode_into(&mut out));
                out
            }
            VpdPage::ExtendedInquiry(e) => e.encode_body(),
            VpdPage::BlockLimits(l) => l.encode_body(),
            VpdPage::BlockCharacteristics(c) => c.encode_body(),
            VpdPage::LogicalBlockProvisioning(p) => p.encode_body(),
            VpdPage::Other { body, .. } => body.clone(),
        }
    }
}

/// A VPD page with its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpd {
    pub peripheral_qualifier: u8,
    pub peripheral_device_type: u8,
    pub page: VpdPage,
}

impl Vpd {
    /// A page of a direct-access block device (qualifier 0, type 0).
    pub fn disk(page: VpdPage) -> Self {
        Vpd {
            peripheral_qualifier: 0,
            peripheral_device_type: 0,
            page,
        }
    }

    /// Encodes header and body; PAGE LENGTH saturates at FFFFh.
    pub fn encode(&self) -> Vec<u8> {
        let body = self.page.encode_body();
        let n = body.len().min(0xffff);
        let mut out = Vec::with_capacity(4 + n);
        out.push((self.peripheral_qualifier & 0x07) << 5 | (self.peripheral_device_type & 0x1f));
        out.push(self.page.page_code());
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(body.get(..n).unwrap_or(&[]));
        out
    }

    /// Decodes a page, possibly cut short by the allocation length.
    ///
    /// SPC-5 §7.7.1: the four-byte header is required; the body may be
    /// truncated, in which case fixed fields past the end read as zero and
    /// list entries cut in the middle are dropped.
    pub fn decode(buf: &[u8]) -> Result<Decoded<Vpd>, ParamError> {
        need("vpd page", buf, 4)?;
        let declared = 4 + usize::from(u16_at(buf, 2));
        let body = slice(buf, 4, declared);
        let truncated = buf.len() < declared;
        let code = u8_at(buf, 1);
        let page = match code {
            PAGE_SUPPORTED => VpdPage::Supported(body.to_vec()),
            PAGE_UNIT_SERIAL => VpdPage::UnitSerial(body.to_vec()),
            PAGE_DEVICE_ID => VpdPage::DeviceId(Designation::decode_list(body, truncated)?),
            PAGE_EXTENDED_INQUIRY => VpdPage::ExtendedInquiry(ExtendedInquiry::decode_body(body)),
            PAGE_BLOCK_LIMITS => VpdPage::BlockLimits(BlockLimits::decode_body(body)),
            PAGE_BLOCK_CHARACTERISTICS => {
                VpdPage::BlockCharacteristics(BlockCharacteristics::decode_body(body))
            }
            PAGE_LOGICAL_BLOCK_PROVISIONING => VpdPage::LogicalBlockProvisioning(
                LogicalBlockProvisioning::decode_body(body, truncated)?,
            ),
            page_code => VpdPage::Other {
                page_code,
                body: body.to_vec(),
            },
        };
        Ok(Decoded::received(
            Vpd {
                peripheral_qualifier: u8_at(buf, 0) >> 5,
                peripheral_device_type: u8_at(buf, 0) & 0x1f,
                page,
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
    fn hand_built_supported_and_serial() {
        let b = [0x00, 0x00, 0x00, 0x04, 0x00, 0x80, 0x83, 0xb0];
        let d = Vpd::decode(&b).unwrap();
        assert_eq!(
            d.value.page,
            VpdPage::Supported(vec![0x00, 0x80, 0x83, 0xb0])
        );
        assert_eq!(d.value.encode(), b);
        let s = [0x00, 0x80, 0x00, 0x04, b'S', b'N', b'0', b'1'];
        assert_eq!(
            Vpd::decode(&s).unwrap().value.page,
            VpdPage::UnitSerial(b"SN01".to_vec())
        );
    }

    #[test]
    fn truncated_block_limits_reads_what_arrived() {
        let page = Vpd::disk(VpdPage::BlockLimits(BlockLimits {
            max_transfer_length: 512,
            max_unmap_lba_count: 9,
            ..Default::default()
        }));
        let b = page.encode();
        assert_eq!(&b[..4], &[0, 0xb0, 0, 0x3c]);
        let d = Vpd::decode(&b[..16]).unwrap();
        assert!(d.is_truncated());
        let VpdPage::BlockLimits(l) = d.value.page else {
            panic!("wrong page")
        };
        assert_eq!((l.max_transfer_length, l.max_unmap_lba_count), (512, 0));
    }

    #[test]
    fn unknown_pages_are_kept() {
        let b = [0x00, 0xc0, 0x00, 0x02, 0xaa, 0xbb];
        let d = Vpd::decode(&b).unwrap().value;
        assert_eq!(
            d.page,
            VpdPage::Other {
                page_code: 0xc0,
                body: vec![0xaa, 0xbb]
            }
        );
        assert_eq!(d.encode(), b);
        assert!(Vpd::decode(&b[..3]).is_err());
    }
}

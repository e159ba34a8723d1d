//! Device Identification VPD page (83h) designation descriptors
//! (SPC-5 §7.7.6).
//!
//! ```text
//! 0  PROTOCOL IDENTIFIER (7-4) | CODE SET (3-0)
//! 1  PIV (7) | ASSOCIATION (5-4) | DESIGNATOR TYPE (3-0)
//! 2  reserved
//! 3  DESIGNATOR LENGTH (n-3)
//! 4-n DESIGNATOR
//! ```

use crate::scsi::params::wire::{descriptors, slice, u16_at, u8_at};
use crate::scsi::params::ParamError;

/// CODE SET values (SPC-5 table 599).
pub const CODE_SET_BINARY: u8 = 0x1;
pub const CODE_SET_ASCII: u8 = 0x2;
pub const CODE_SET_UTF8: u8 = 0x3;

/// ASSOCIATION values (SPC-5 table 600).
pub const ASSOC_LOGICAL_UNIT: u8 = 0b00;
pub const ASSOC_TARGET_PORT: u8 = 0b01;
pub const ASSOC_TARGET_DEVICE: u8 = 0b10;

/// DESIGNATOR TYPE values (SPC-5 table 601).
pub const DESIGNATOR_VENDOR_SPECIFIC: u8 = 0x0;
pub const DESIGNATOR_T10_VENDOR_ID: u8 = 0x1;
pub const DESIGNATOR_EUI64: u8 = 0x2;
pub const DESIGNATOR_NAA: u8 = 0x3;
pub const DESIGNATOR_RELATIVE_TARGET_PORT: u8 = 0x4;
pub const DESIGNATOR_TARGET_PORT_GROUP: u8 = 0x5;
pub const DESIGNATOR_LU_GROUP: u8 = 0x6;
pub const DESIGNATOR_MD5_LU: u8 = 0x7;
pub const DESIGNATOR_SCSI_NAME: u8 = 0x8;
pub const DESIGNATOR_PROTOCOL_SPECIFIC_PORT: u8 = 0x9;
pub const DESIGNATOR_UUID: u8 = 0xa;

/// A designation descriptor, every field as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Designation {
    pub protocol_identifier: u8,
    pub code_set: u8,
    pub piv: bool,
    pub association: u8,
    pub designator_type: u8,
    /// Byte 1 bit 6 and byte 2 (reserved).
    pub reserved: [u8; 2],
    pub designator: Vec<u8>,
}

/// A designator interpreted by its type (SPC-5 §7.7.6.2 - §7.7.6.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Designator<'a> {
    /// T10 VENDOR IDENTIFICATION (8 bytes) and the vendor specific rest.
    T10 {
        vendor: &'a [u8],
        specific: &'a [u8],
    },
    /// EUI-64 based, 8, 12 or 16 bytes.
    Eui64(&'a [u8]),
    /// NAA: the NAA field (top nibble: 2, 3, 5 or 6) and the whole value.
    Naa {
        naa: u8,
        value: &'a [u8],
    },
    RelativeTargetPort(u16),
    TargetPortGroup(u16),
    LogicalUnitGroup(u16),
    /// A SCSI name string: the name and, for iSCSI ports, the ",t,0x" or
    /// ",i,0x" suffix split off.
    ScsiName {
        name: &'a str,
        port: Option<PortSuffix<'a>>,
    },
    /// Anything else, or a designator whose length does not fit its type.
    Other(&'a [u8]),
}

/// The port part of an iSCSI SCSI name string (SPC-5 §7.7.6.11, RFC 7143 §13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSuffix<'a> {
    /// ",t,0x" and the target portal group tag in hexadecimal.
    TargetPortalGroupTag(&'a str),
    /// ",i,0x" and the ISID in hexadecimal.
    Isid(&'a str),
}

impl Designation {
    fn new(code_set: u8, association: u8, designator_type: u8, designator: Vec<u8>) -> Self {
        Designation {
            code_set,
            association,
            designator_type,
            designator,
            ..Designation::default()
        }
    }

    /// An NAA designator for the logical unit (8 or 16 bytes, NAA in the top nibble).
    pub fn naa(value: Vec<u8>) -> Self {
        Designation::new(CODE_SET_BINARY, ASSOC_LOGICAL_UNIT, DESIGNATOR_NAA, value)
    }

    /// NAA IEEE Registered (5h, SPC-5 §7.7.6.6.4): 24-bit IEEE company ID
    /// and a 36-bit vendor specific identifier, 8 bytes.
    pub fn naa_registered(company_id: u32, vendor_specific: u64) -> Self {
        let v = 5u64 << 60
            | u64::from(company_id & 0x00ff_ffff) << 36
            | (vendor_specific & 0xf_ffff_ffff);
        Designation::naa(v.to_be_bytes().to_vec())
    }

    /// NAA IEEE Registered Extended (6h, SPC-5 §7.7.6.6.5): as 5h plus a
    /// 64-bit vendor specific identifier extension, 16 bytes.
    pub fn naa_registered_extended(company_id: u32, vendor_specific: u64, extension: u64) -> Self {
        let v = 6u64 << 60
            | u64::from(company_id & 0x00ff_ffff) << 36
            | (vendor_specific & 0xf_ffff_ffff);
        let mut b = v.to_be_bytes().to_vec();
        b.extend_from_slice(&extension.to_be_bytes());
        Designation::naa(b)
    }

    /// An EUI-64 based designator (SPC-5 §7.7.6.5), 8 bytes.
    pub fn eui64(id: u64) -> Self {
        Designation::new(
            CODE_SET_BINARY,
            ASSOC_LOGICAL_UNIT,
            DESIGNATOR_EUI64,
            id.to_be_bytes().to_vec(),
        )
    }

    /// A T10 vendor ID based designator for the logical unit.
    pub fn t10_vendor(vendor: [u8; 8], specific: &[u8]) -> Self {
        let mut v = vendor.to_vec();
        v.extend_from_slice(specific);
        Designation::new(
            CODE_SET_ASCII,
            ASSOC_LOGICAL_UNIT,
            DESIGNATOR_T10_VENDOR_ID,
            v,
        )
    }

    /// The relative target port identifier of the port the command came through.
    pub fn relative_target_port(port: u16) -> Self {
        let [a, b] = port.to_be_bytes();
        Designation::new(
            CODE_SET_BINARY,
            ASSOC_TARGET_PORT,
            DESIGNATOR_RELATIVE_TARGET_PORT,
            vec![0, 0, a, b],
        )
    }

    /// The target port group of that port.
    pub fn target_port_group(group: u16) -> Self {
        let [a, b] = group.to_be_bytes();
        Designation::new(
            CODE_SET_BINARY,
            ASSOC_TARGET_PORT,
            DESIGNATOR_TARGET_PORT_GROUP,
            vec![0, 0, a, b],
        )
    }

    /// A SCSI name string designator with the iSCSI protocol identifier:
    /// null terminated and padded to a multiple of four (SPC-5 §7.7.6.11).
    pub fn scsi_name(association: u8, name: &str) -> Self {
        let mut v = name.as_bytes().to_vec();
        v.push(0);
        v.resize(v.len().div_ceil(4) * 4, 0);
        Designation {
            protocol_identifier: crate::scsi::params::transport_id::PROTOCOL_ISCSI,
            piv: true,
            ..Designation::new(CODE_SET_UTF8, association, DESIGNATOR_SCSI_NAME, v)
        }
    }

    /// The target port name "<target>,t,0x<tpgt>" (RFC 7143 §13.1).
    pub fn iscsi_target_port(target: &str, tpgt: u16) -> Self {
        Designation::scsi_name(ASSOC_TARGET_PORT, &format!("{target},t,0x{tpgt:04x}"))
    }

    /// The target device name.
    pub fn iscsi_target_device(target: &str) -> Self {
        Designation::scsi_name(ASSOC_TARGET_DEVICE, target)
    }

    /// The designator read by its type.
    pub fn typed(&self) -> Designator<'_> {
        let d = &self.designator[..];
        let short16 = |d: &[u8]| (d.len() == 4).then(|| u16_at(d, 2));
        match self.designator_type {
            DESIGNATOR_T10_VENDOR_ID if d.len() >= 8 => Designator::T10 {
                vendor: slice(d, 0, 8),
                specific: slice(d, 8, d.len()),
            },
            DESIGNATOR_EUI64 if matches!(d.len(), 8 | 12 | 16) => Designator::Eui64(d),
            DESIGNATOR_NAA if !d.is_empty() => Designator::Naa {
                naa: u8_at(d, 0) >> 4,
                value: d,
            },
            DESIGNATOR_RELATIVE_TARGET_PORT => {
                short16(d).map_or(Designator::Other(d), Designator::RelativeTargetPort)
            }
            DESIGNATOR_TARGET_PORT_GROUP => {
                short16(d).map_or(Designator::Other(d), Designator::TargetPortGroup)
            }
            DESIGNATOR_LU_GROUP => {
                short16(d).map_or(Designator::Other(d), Designator::LogicalUnitGroup)
            }
            DESIGNATOR_SCSI_NAME => {
                let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
                match core::str::from_utf8(slice(d, 0, end)) {
                    Ok(s) => split_port(s),
                    Err(_) => Designator::Other(d),
                }
            }
            _ => Designator::Other(d),
        }
    }

    pub(super) fn encode_into(&self, out: &mut Vec<u8>) {
        out.push((self.protocol_identifier & 0x0f) << 4 | (self.code_set & 0x0f));
        out.push(
            u8::from(self.piv) << 7
                | (self.reserved[0] & 0x40)
                | (self.association & 0x03) << 4
                | (self.designator_type & 0x0f),
        );
        out.push(self.reserved[1]);
        let n = self.designator.len().min(255);
        out.push(n as u8);
        out.extend_from_slice(self.designator.get(..n).unwrap_or(&[]));
    }

    /// Decodes the descriptors of a page 83h body.
    ///
    /// SPC-5 §7.7.6.1: each descriptor carries its DESIGNATOR LENGTH; one
    /// that runs past the page is malformed, unless the page itself was
    /// truncated (`truncated`), when it is dropped.
    pub(super) fn decode_list(
        body: &[u8],
        truncated: bool,
    ) -> Result<Vec<Designation>, ParamError> {
        let list = descriptors(body, 1, |d| (4, usize::from(u8_at(d, 3))));
        let list = list.or_bad_length(
            truncated,
            "designation descriptor",
            "runs past the page length",
        )?;
        let designation = |d: &[u8]| Designation {
            protocol_identifier: u8_at(d, 0) >> 4,
            code_set: u8_at(d, 0) & 0x0f,
            piv: u8_at(d, 1) & 0x80 != 0,
            association: (u8_at(d, 1) >> 4) & 0x03,
            designator_type: u8_at(d, 1) & 0x0f,
            reserved: [u8_at(d, 1) & 0x40, u8_at(d, 2)],
            designator: slice(d, 4, d.len()).to_vec(),
        };
        Ok(list.into_iter().map(designation).collect())
    }
}

fn split_port(s: &str) -> Designator<'_> {
    if let Some((name, tag)) = s.split_once(",t,0x") {
        return Designator::ScsiName {
            name,
            port: Some(PortSuffix::TargetPortalGroupTag(tag)),
        };
    }
    if let Some((name, isid)) = s.split_once(",i,0x") {
        return Designator::ScsiName {
            name,
            port: Some(PortSuffix::Isid(isid)),
        };
    }
    Designator::ScsiName {
        name: s,
        port: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_descriptors() {
        let body = [
            0x01, 0x03, 0x00, 0x08, 0x60, 0x01, 0x40, 0x5f, 0, 0, 0,
            1, // NAA 6 (truncated 8 bytes)
            0x51, 0x94, 0x00, 0x04, 0, 0, 0, 1, // iSCSI, PIV, port, relative target port 1
            0x53, 0x98, 0x00, 0x0c, b'i', b'q', b'n', b'.', b'x', b',', b't', b',', b'0', b'x',
            b'1', 0,
        ];
        let list = Designation::decode_list(&body, false).unwrap();
        assert_eq!(list.len(), 3);
        assert!(matches!(list[0].typed(), Designator::Naa { naa: 6, .. }));
        assert_eq!(list[1].typed(), Designator::RelativeTargetPort(1));
        assert!(list[1].piv && list[1].association == ASSOC_TARGET_PORT);
        assert_eq!(
            list[2].typed(),
            Designator::ScsiName {
                name: "iqn.x",
                port: Some(PortSuffix::TargetPortalGroupTag("1"))
            }
        );
        let mut re = Vec::new();
        list.iter().for_each(|d| d.encode_into(&mut re));
        assert_eq!(re, body);
        assert!(Designation::decode_list(&body[..30], false).is_err());
        assert_eq!(
            Designation::decode_list(&body[..30], true).unwrap().len(),
            2
        );
    }

    #[test]
    fn builders() {
        let d = Designation::iscsi_target_port("iqn.2024-01.org.rtgt:disk", 1);
        assert_eq!(d.designator.len() % 4, 0);
        assert_eq!(
            d.typed(),
            Designator::ScsiName {
                name: "iqn.2024-01.org.rtgt:disk",
                port: Some(PortSuffix::TargetPortalGroupTag("0001"))
            }
        );
        assert_eq!(
            Designation::target_port_group(7).typed(),
            Designator::TargetPortGroup(7)
        );
        let t = Designation::t10_vendor(*b"RTGT    ", b"disk0");
        assert_eq!(
            t.typed(),
            Designator::T10 {
                vendor: b"RTGT    ",
                specific: b"disk0"
            }
        );
    }
}

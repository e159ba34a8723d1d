//! iSNS attributes: 4-byte tag, 4-byte length, a value padded to a
//! multiple of 4 bytes (RFC 4171 §5.5), and the tags an iSCSI entity uses
//! (RFC 4171 §6.1's attribute table).

use std::net::{IpAddr, Ipv6Addr};

/// Attribute tags (RFC 4171 §6.1).
pub mod tag {
    /// §5.6.3: separates the message key from the operating attributes.
    pub const DELIMITER: u32 = 0;
    /// §6.2.1: Entity Identifier (EID), a string.
    pub const ENTITY_IDENTIFIER: u32 = 1;
    /// §6.2.2: Entity Protocol, 2 for iSCSI.
    pub const ENTITY_PROTOCOL: u32 = 2;
    /// §6.2.3: Management IP Address, 16 bytes.
    pub const MGMT_IP_ADDRESS: u32 = 3;
    /// §6.2.4: Entity Registration Timestamp, 8 bytes.
    pub const TIMESTAMP: u32 = 4;
    /// §6.2.6: Registration Period, seconds.
    pub const REGISTRATION_PERIOD: u32 = 6;
    /// §6.2.7: Entity Index.
    pub const ENTITY_INDEX: u32 = 7;
    /// §6.3.1: Portal IP Address, 16 bytes.
    pub const PORTAL_IP_ADDRESS: u32 = 16;
    /// §6.3.2: Portal TCP/UDP Port.
    pub const PORTAL_PORT: u32 = 17;
    /// §6.3.3: Portal Symbolic Name.
    pub const PORTAL_SYMBOLIC_NAME: u32 = 18;
    /// §6.3.4: ESI Interval, seconds.
    pub const ESI_INTERVAL: u32 = 19;
    /// §6.3.5: ESI Port.
    pub const ESI_PORT: u32 = 20;
    /// §6.3.6: Portal Index.
    pub const PORTAL_INDEX: u32 = 22;
    /// §6.3.7: SCN Port.
    pub const SCN_PORT: u32 = 23;
    /// §6.4.1: iSCSI Name.
    pub const ISCSI_NAME: u32 = 32;
    /// §6.4.2: iSCSI Node Type (bitmap: target, initiator, control).
    pub const ISCSI_NODE_TYPE: u32 = 33;
    /// §6.4.3: iSCSI Alias.
    pub const ISCSI_ALIAS: u32 = 34;
    /// §6.4.4: iSCSI SCN Bitmap.
    pub const ISCSI_SCN_BITMAP: u32 = 35;
    /// §6.4.5: iSCSI Node Index.
    pub const ISCSI_NODE_INDEX: u32 = 36;
    /// §6.5.1: PG iSCSI Name.
    pub const PG_ISCSI_NAME: u32 = 48;
    /// §6.5.2: PG Portal IP Addr.
    pub const PG_PORTAL_IP_ADDR: u32 = 49;
    /// §6.5.3: PG Portal TCP/UDP Port.
    pub const PG_PORTAL_PORT: u32 = 50;
    /// §6.5.4: PG Tag (PGT).
    pub const PG_TAG: u32 = 51;
    /// §6.5.5: PG Index.
    pub const PG_INDEX: u32 = 52;
}

/// §6.2.2: Entity Protocol values.
pub const ENTITY_PROTOCOL_ISCSI: u32 = 2;

/// §6.4.2: iSCSI Node Type bits (bit 31, the least significant, is Target).
pub const NODE_TYPE_TARGET: u32 = 0x1;
/// §6.4.2: bit 30, Initiator.
pub const NODE_TYPE_INITIATOR: u32 = 0x2;
/// §6.4.2: bit 29, Control.
pub const NODE_TYPE_CONTROL: u32 = 0x4;

/// §6.3.2: bit 15 of the port attribute (0x10000) marks UDP; clear is TCP.
pub const PORT_UDP: u32 = 0x1_0000;

/// RFC 4171 §5.5: attribute values are at most what a message can carry;
/// rtgt refuses a longer one rather than allocating it.
const MAX_VALUE: usize = 65_535;

/// One attribute as on the wire: its tag and its value's bytes (padding
/// included). An empty value is a "zero-length" attribute, which a query
/// uses to ask for that attribute (RFC 4171 §5.6.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub tag: u32,
    pub value: Vec<u8>,
}

/// A value read for display, by the type RFC 4171 §6.1 gives its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    Empty,
    String(String),
    U32(u32),
    Ip(IpAddr),
    Bytes(Vec<u8>),
}

/// An attribute list that does not parse (RFC 4171 §5.5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttrError {
    #[error("attribute header cut short at byte {offset}")]
    ShortHeader { offset: usize },
    #[error("attribute {tag} says {length} bytes but only {left} remain")]
    ShortValue { tag: u32, length: u32, left: usize },
    #[error("attribute {tag} has length {length}, not a multiple of 4 (RFC 4171 §5.5)")]
    Unpadded { tag: u32, length: u32 },
}

impl Attr {
    /// A zero-length attribute: asks for the attribute in a query, or is
    /// the delimiter.
    pub fn empty(tag: u32) -> Attr {
        Attr {
            tag,
            value: Vec::new(),
        }
    }

    /// The delimiter (RFC 4171 §5.6.3): tag 0, length 0.
    pub fn delimiter() -> Attr {
        Attr::empty(tag::DELIMITER)
    }

    /// A 32-bit unsigned integer (RFC 4171 §6.1: 4-byte values).
    pub fn u32(tag: u32, value: u32) -> Attr {
        Attr {
            tag,
            value: value.to_be_bytes().to_vec(),
        }
    }

    /// A string: UTF-8, NUL-terminated and padded with NULs to a multiple
    /// of 4 bytes (RFC 4171 §5.5: the length includes the terminator and
    /// the padding).
    pub fn string(tag: u32, value: &str) -> Attr {
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        while bytes.len() % 4 != 0 {
            bytes.push(0);
        }
        Attr { tag, value: bytes }
    }

    /// An IP address, always 16 bytes: IPv4 as an IPv4-mapped IPv6 address
    /// (RFC 4171 §6.3.1).
    pub fn ip(tag: u32, addr: IpAddr) -> Attr {
        let v6 = match addr {
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
            IpAddr::V6(v6) => v6,
        };
        Attr {
            tag,
            value: v6.octets().to_vec(),
        }
    }

    /// A TCP port (RFC 4171 §6.3.2: the port in the low 16 bits, the UDP
    /// bit clear).
    pub fn tcp_port(tag: u32, port: u16) -> Attr {
        Attr::u32(tag, u32::from(port))
    }

    /// The value as a 32-bit integer, when it is 4 bytes long.
    pub fn as_u32(&self) -> Option<u32> {
        let bytes: [u8; 4] = self.value.as_slice().try_into().ok()?;
        Some(u32::from_be_bytes(bytes))
    }

    /// The value as a string: up to the first NUL, lossy UTF-8.
    pub fn as_string(&self) -> Option<String> {
        if self.value.is_empty() {
            return None;
        }
        let end = self
            .value
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.value.len());
        let text = self.value.get(..end)?;
        Some(String::from_utf8_lossy(text).into_owned())
    }

    /// The value as an IP address (16 bytes; an IPv4-mapped address comes
    /// back as IPv4).
    pub fn as_ip(&self) -> Option<IpAddr> {
        let bytes: [u8; 16] = self.value.as_slice().try_into().ok()?;
        let v6 = Ipv6Addr::from(bytes);
        Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        })
    }

    /// The port of a port attribute and whether it is TCP (RFC 4171 §6.3.2).
    pub fn as_port(&self) -> Option<(u16, bool)> {
        let raw = self.as_u32()?;
        let port = u16::try_from(raw & 0xFFFF).ok()?;
        Some((port, raw & PORT_UDP == 0))
    }

    /// The value read by the type of its tag (RFC 4171 §6.1).
    pub fn typed(&self) -> AttrValue {
        if self.value.is_empty() {
            return AttrValue::Empty;
        }
        let typed = match self.tag {
            tag::ENTITY_IDENTIFIER
            | tag::PORTAL_SYMBOLIC_NAME
            | tag::ISCSI_NAME
            | tag::ISCSI_ALIAS
            | tag::PG_ISCSI_NAME => self.as_string().map(AttrValue::String),
            tag::MGMT_IP_ADDRESS | tag::PORTAL_IP_ADDRESS | tag::PG_PORTAL_IP_ADDR => {
                self.as_ip().map(AttrValue::Ip)
            }
            tag::TIMESTAMP => None,
            _ => self.as_u32().map(AttrValue::U32),
        };
        typed.unwrap_or_else(|| AttrValue::Bytes(self.value.clone()))
    }

    /// Appends the attribute's TLV to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tag.to_be_bytes());
        let len = u32::try_from(self.value.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.value);
    }

    /// Reads a list of attributes filling `bytes` exactly.
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Attr>, AttrError> {
        let mut attrs = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let word = |off: usize| -> Option<u32> {
                let b = bytes.get(off..off + 4)?;
                Some(u32::from_be_bytes(b.try_into().ok()?))
            };
            let (Some(tag), Some(length)) = (word(at), word(at + 4)) else {
                return Err(AttrError::ShortHeader { offset: at });
            };
            at += 8;
            let left = bytes.len() - at;
            let len = usize::try_from(length).unwrap_or(usize::MAX);
            if len > left || len > MAX_VALUE {
                return Err(AttrError::ShortValue { tag, length, left });
            }
            // RFC 4171 §5.5: "The Attribute Length field MUST be a
            // multiple of 4 bytes" (values are padded).
            if len % 4 != 0 {
                return Err(AttrError::Unpadded { tag, length });
            }
            let value = bytes.get(at..at + len).unwrap_or_default().to_vec();
            at += len;
            attrs.push(Attr { tag, value });
        }
        Ok(attrs)
    }
}

/// The attribute's name as isnsadm prints it, for logs and dumps.
pub fn tag_name(tag: u32) -> &'static str {
    match tag {
        tag::DELIMITER => "Delimiter",
        tag::ENTITY_IDENTIFIER => "Entity identifier",
        tag::ENTITY_PROTOCOL => "Entity protocol",
        tag::MGMT_IP_ADDRESS => "Mgmt IP address",
        tag::TIMESTAMP => "Timestamp",
        tag::REGISTRATION_PERIOD => "Registration Period",
        tag::ENTITY_INDEX => "Entity index",
        tag::PORTAL_IP_ADDRESS => "Portal IP address",
        tag::PORTAL_PORT => "Portal TCP/UDP port",
        tag::PORTAL_SYMBOLIC_NAME => "Portal name",
        tag::ESI_INTERVAL => "ESI interval",
        tag::ESI_PORT => "ESI port",
        tag::PORTAL_INDEX => "Portal index",
        tag::SCN_PORT => "SCN port",
        tag::ISCSI_NAME => "iSCSI name",
        tag::ISCSI_NODE_TYPE => "iSCSI node type",
        tag::ISCSI_ALIAS => "iSCSI alias",
        tag::ISCSI_SCN_BITMAP => "iSCSI SCN bitmap",
        tag::ISCSI_NODE_INDEX => "iSCSI node index",
        tag::PG_ISCSI_NAME => "Portal group name",
        tag::PG_PORTAL_IP_ADDR => "Portal group address",
        tag::PG_PORTAL_PORT => "Portal group port",
        tag::PG_TAG => "Portal group tag",
        tag::PG_INDEX => "Portal group index",
        _ => "unknown",
    }
}

//! iSNS, the Internet Storage Name Service protocol (RFC 4171): the PDU
//! header, TLV attributes, the messages an iSCSI target and a discovering
//! initiator exchange with an iSNS server, and the client state machine.
//!
//! Sans-IO like the rest of the crate: [`Client`] takes bytes, connection
//! changes and time as arguments and hands back bytes to send, connects,
//! closes, deadlines and events.

mod attr;
mod client;
mod message;
mod objects;
mod stream;
#[cfg(test)]
mod tests;

pub use attr::{
    tag, tag_name, Attr, AttrError, AttrValue, ENTITY_PROTOCOL_ISCSI, NODE_TYPE_CONTROL,
    NODE_TYPE_INITIATOR, NODE_TYPE_TARGET, PORT_UDP,
};
pub use client::{Action, Client, ClientConfig, ClientEvent, ClientState};
pub use message::{
    dev_attr_reg, dev_dereg, esi_response, initiator_reg, keepalive_query, scn_reg, scn_response,
    target_query,
};
pub use message::{Message, MessageError};
pub use objects::{targets_in, DiscoveredTarget, RegisteredNode, RegisteredPortal, Registration};
pub use stream::{Pdu, PduStream, StreamError};

/// The well-known iSNS port, TCP and UDP (RFC 4171 §5.1 / IANA).
pub const DEFAULT_PORT: u16 = 3205;

/// `host[:port]` with the iSNS port when none is given; a bare IPv6
/// address gets brackets.
pub fn server_addr(server: &str) -> String {
    let has_port = server
        .rsplit_once(':')
        .is_some_and(|(h, p)| p.parse::<u16>().is_ok() && (!h.contains(':') || h.ends_with(']')));
    if has_port {
        server.to_owned()
    } else if server.contains(':') && !server.starts_with('[') {
        format!("[{server}]:{DEFAULT_PORT}")
    } else {
        format!("{server}:{DEFAULT_PORT}")
    }
}

/// RFC 4171 §5.1.1: iSNSP Version, 0x0001 for this version.
pub const VERSION: u16 = 0x0001;

/// The fixed iSNSP header: 12 bytes (RFC 4171 §5.1).
pub const HEADER_LEN: usize = 12;

/// RFC 4171 §5.1.3: PDU Length is a 16-bit field, so a PDU's payload is at
/// most 65,535 bytes; longer messages are split into several PDUs.
pub const MAX_PAYLOAD: usize = u16::MAX as usize;

/// iSNSP flags (RFC 4171 §5.1.4; bit 16 is the most significant bit of
/// the 16-bit field).
pub mod flags {
    /// Bit 16: sender is the iSNS client.
    pub const CLIENT: u16 = 0x8000;
    /// Bit 17: sender is the iSNS server.
    pub const SERVER: u16 = 0x4000;
    /// Bit 18: an authentication block is present.
    pub const AUTH: u16 = 0x2000;
    /// Bit 19: replace flag (DevAttrReg only, RFC 4171 §5.6.5.1).
    pub const REPLACE: u16 = 0x1000;
    /// Bit 20: last PDU of the message.
    pub const LAST_PDU: u16 = 0x0800;
    /// Bit 21: first PDU of the message.
    pub const FIRST_PDU: u16 = 0x0400;
}

/// The iSNSP Function ID (RFC 4171 §5.1.2 and §6.1's table of functions):
/// requests are 0x0001-0x000E; a response is its request's id with the
/// top bit set (0x8001-0x800E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Function {
    DevAttrReg,
    DevAttrQry,
    DevGetNext,
    DevDereg,
    SCNReg,
    SCNDereg,
    SCNEvent,
    SCN,
    DDReg,
    DDDereg,
    DDSReg,
    DDSDereg,
    ESI,
    Heartbeat,
}

impl Function {
    const ALL: [Function; 14] = [
        Function::DevAttrReg,
        Function::DevAttrQry,
        Function::DevGetNext,
        Function::DevDereg,
        Function::SCNReg,
        Function::SCNDereg,
        Function::SCNEvent,
        Function::SCN,
        Function::DDReg,
        Function::DDDereg,
        Function::DDSReg,
        Function::DDSDereg,
        Function::ESI,
        Function::Heartbeat,
    ];

    /// The request's Function ID.
    pub fn request_id(self) -> u16 {
        match self {
            Function::DevAttrReg => 0x0001,
            Function::DevAttrQry => 0x0002,
            Function::DevGetNext => 0x0003,
            Function::DevDereg => 0x0004,
            Function::SCNReg => 0x0005,
            Function::SCNDereg => 0x0006,
            Function::SCNEvent => 0x0007,
            Function::SCN => 0x0008,
            Function::DDReg => 0x0009,
            Function::DDDereg => 0x000A,
            Function::DDSReg => 0x000B,
            Function::DDSDereg => 0x000C,
            Function::ESI => 0x000D,
            Function::Heartbeat => 0x000E,
        }
    }

    /// The response's Function ID (RFC 4171 §6.1: 0x8001-0x800D).
    pub fn response_id(self) -> u16 {
        self.request_id() | RESPONSE_BIT
    }

    /// The function and whether it is a response, from a Function ID.
    pub fn from_id(id: u16) -> Option<(Function, bool)> {
        let response = id & RESPONSE_BIT != 0;
        let base = id & !RESPONSE_BIT;
        Function::ALL
            .into_iter()
            .find(|f| f.request_id() == base)
            .map(|f| (f, response))
    }
}

const RESPONSE_BIT: u16 = 0x8000;

/// The iSNSP header (RFC 4171 §5.1): six 16-bit fields in network order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// §5.1.1: iSNSP Version.
    pub version: u16,
    /// §5.1.2: Function ID.
    pub function: u16,
    /// §5.1.3: PDU Length, the payload's length in bytes (header excluded).
    pub length: u16,
    /// §5.1.4: Flags.
    pub flags: u16,
    /// §5.1.5: Transaction ID, the same in a request and its response.
    pub xid: u16,
    /// §5.1.6: Sequence ID, 0 for a message's first PDU, then 1, 2, ...
    pub seq: u16,
}

impl Header {
    /// The header's 12 bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let [v0, v1] = self.version.to_be_bytes();
        let [f0, f1] = self.function.to_be_bytes();
        let [l0, l1] = self.length.to_be_bytes();
        let [g0, g1] = self.flags.to_be_bytes();
        let [x0, x1] = self.xid.to_be_bytes();
        let [s0, s1] = self.seq.to_be_bytes();
        [v0, v1, f0, f1, l0, l1, g0, g1, x0, x1, s0, s1]
    }

    /// Reads a header from the first 12 bytes, None when fewer.
    pub fn decode(bytes: &[u8]) -> Option<Header> {
        let field = |at: usize| -> Option<u16> {
            let b = bytes.get(at..at + 2)?;
            Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
        };
        Some(Header {
            version: field(0)?,
            function: field(2)?,
            length: field(4)?,
            flags: field(6)?,
            xid: field(8)?,
            seq: field(10)?,
        })
    }
}

/// The status code a response starts with (RFC 4171 §6.4's table of
/// status codes, `Status Code` field of §5.7.*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Successful,
    UnknownError,
    MessageFormatError,
    InvalidRegistration,
    InvalidQuery,
    SourceUnknown,
    SourceAbsent,
    SourceUnauthorized,
    NoSuchEntry,
    VersionNotSupported,
    InternalError,
    Busy,
    OptionNotUnderstood,
    InvalidUpdate,
    MessageNotSupported,
    ScnEventRejected,
    ScnRegistrationRejected,
    AttributeNotImplemented,
    FcDomainIdNotAvailable,
    FcDomainIdNotAllocated,
    EsiNotAvailable,
    InvalidDeregistration,
    RegistrationFeatureNotSupported,
    /// A code the table does not assign (4 is reserved, 24 and up too).
    Other(u32),
}

impl Status {
    /// The status from its 32-bit code.
    pub fn from_code(code: u32) -> Status {
        use Status::*;
        match code {
            0 => Successful,
            1 => UnknownError,
            2 => MessageFormatError,
            3 => InvalidRegistration,
            5 => InvalidQuery,
            6 => SourceUnknown,
            7 => SourceAbsent,
            8 => SourceUnauthorized,
            9 => NoSuchEntry,
            10 => VersionNotSupported,
            11 => InternalError,
            12 => Busy,
            13 => OptionNotUnderstood,
            14 => InvalidUpdate,
            15 => MessageNotSupported,
            16 => ScnEventRejected,
            17 => ScnRegistrationRejected,
            18 => AttributeNotImplemented,
            19 => FcDomainIdNotAvailable,
            20 => FcDomainIdNotAllocated,
            21 => EsiNotAvailable,
            22 => InvalidDeregistration,
            23 => RegistrationFeatureNotSupported,
            other => Other(other),
        }
    }

    /// The 32-bit code.
    pub fn code(self) -> u32 {
        use Status::*;
        match self {
            Successful => 0,
            UnknownError => 1,
            MessageFormatError => 2,
            InvalidRegistration => 3,
            InvalidQuery => 5,
            SourceUnknown => 6,
            SourceAbsent => 7,
            SourceUnauthorized => 8,
            NoSuchEntry => 9,
            VersionNotSupported => 10,
            InternalError => 11,
            Busy => 12,
            OptionNotUnderstood => 13,
            InvalidUpdate => 14,
            MessageNotSupported => 15,
            ScnEventRejected => 16,
            ScnRegistrationRejected => 17,
            AttributeNotImplemented => 18,
            FcDomainIdNotAvailable => 19,
            FcDomainIdNotAllocated => 20,
            EsiNotAvailable => 21,
            InvalidDeregistration => 22,
            RegistrationFeatureNotSupported => 23,
            Other(code) => code,
        }
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{self:?} ({})", self.code())
    }
}

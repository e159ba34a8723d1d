//! iSNSP messages: a request is a Source attribute, the Message Key
//! attributes, a Delimiter and the Operating Attributes (RFC 4171 §5.6);
//! a response starts with a 4-byte Status Code (RFC 4171 §5.7).

use super::attr::{
    tag, Attr, AttrError, ENTITY_PROTOCOL_ISCSI, NODE_TYPE_INITIATOR, NODE_TYPE_TARGET,
};
use super::objects::Registration;
use super::stream::Pdu;
use super::{flags, Function, Header, Status, MAX_PAYLOAD, VERSION};

/// One iSNSP message, reassembled from its PDUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The Function ID as on the wire (a response has the top bit set).
    pub function: u16,
    /// Flags beyond the sender, first and last bits: the replace flag.
    pub flags: u16,
    /// The Transaction ID (RFC 4171 §5.1.5).
    pub xid: u16,
    /// A response's Status Code (RFC 4171 §5.7.1); None for a request.
    pub status: Option<Status>,
    /// The attributes in wire order (delimiter included).
    pub attrs: Vec<Attr>,
}

/// A message that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("response of {len} bytes has no 4-byte status code (RFC 4171 §5.7.1)")]
    NoStatus { len: usize },
    #[error(transparent)]
    Attr(#[from] AttrError),
}

impl Message {
    /// A request of `function` with the attributes already in order.
    pub fn request(function: Function, xid: u16, attrs: Vec<Attr>) -> Message {
        Message {
            function: function.request_id(),
            flags: 0,
            xid,
            status: None,
            attrs,
        }
    }

    /// A response to `function` with `status`.
    pub fn response(function: Function, xid: u16, status: Status, attrs: Vec<Attr>) -> Message {
        Message {
            function: function.response_id(),
            flags: 0,
            xid,
            status: Some(status),
            attrs,
        }
    }

    /// The function and whether this is a response.
    pub fn kind(&self) -> Option<(Function, bool)> {
        Function::from_id(self.function)
    }

    /// The attributes before the delimiter: for a request, the Source then
    /// the Message Key (RFC 4171 §5.6.1, §5.6.2); for a response, the
    /// key attributes echoed.
    pub fn before_delimiter(&self) -> &[Attr] {
        let end = self
            .attrs
            .iter()
            .position(|a| a.tag == tag::DELIMITER)
            .unwrap_or(self.attrs.len());
        self.attrs.get(..end).unwrap_or_default()
    }

    /// The Operating Attributes, after the delimiter (RFC 4171 §5.6.4);
    /// empty when there is no delimiter.
    pub fn operating(&self) -> &[Attr] {
        match self.attrs.iter().position(|a| a.tag == tag::DELIMITER) {
            Some(at) => self.attrs.get(at + 1..).unwrap_or_default(),
            None => &[],
        }
    }

    /// Parses a message from its reassembled payload.
    pub fn decode(
        function: u16,
        flags: u16,
        xid: u16,
        payload: &[u8],
    ) -> Result<Self, MessageError> {
        let response =
            Function::from_id(function).is_some_and(|(_, rsp)| rsp) || (function & 0x8000 != 0);
        let (status, rest) = if response {
            let Some((code, rest)) = payload.split_first_chunk::<4>() else {
                return Err(MessageError::NoStatus { len: payload.len() });
            };
            (Some(Status::from_code(u32::from_be_bytes(*code))), rest)
        } else {
            (None, payload)
        };
        Ok(Message {
            function,
            flags: flags & flags::REPLACE,
            xid,
            status,
            attrs: Attr::decode_all(rest)?,
        })
    }

    /// The payload: the status code of a response, then the attributes.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(status) = self.status {
            out.extend_from_slice(&status.code().to_be_bytes());
        }
        for attr in &self.attrs {
            attr.encode_into(&mut out);
        }
        out
    }

    /// The message as PDUs, split at [`MAX_PAYLOAD`] bytes with the first
    /// and last PDU flags and increasing Sequence IDs (RFC 4171 §5.3);
    /// `sender` is [`flags::CLIENT`] or [`flags::SERVER`].
    pub fn encode(&self, sender: u16) -> Vec<u8> {
        let payload = self.payload();
        let chunks: Vec<&[u8]> = if payload.is_empty() {
            vec![&[]]
        } else {
            payload.chunks(MAX_PAYLOAD).collect()
        };
        let last = chunks.len().saturating_sub(1);
        let mut out = Vec::with_capacity(payload.len() + 12 * chunks.len());
        for (seq, chunk) in chunks.into_iter().enumerate() {
            let mut f = sender | self.flags;
            if seq == 0 {
                f |= flags::FIRST_PDU;
            }
            if seq == last {
                f |= flags::LAST_PDU;
            }
            let header = Header {
                version: VERSION,
                function: self.function,
                length: u16::try_from(chunk.len()).unwrap_or(u16::MAX),
                flags: f,
                xid: self.xid,
                seq: u16::try_from(seq).unwrap_or(u16::MAX),
            };
            out.extend_from_slice(&header.encode());
            out.extend_from_slice(chunk);
        }
        out
    }

    /// Parses a single-PDU message.
    pub fn from_pdu(pdu: &Pdu) -> Result<Self, MessageError> {
        Message::decode(
            pdu.header.function,
            pdu.header.flags,
            pdu.header.xid,
            &pdu.payload,
        )
    }
}

/// DevAttrReg (RFC 4171 §5.6.5.1) of an iSCSI entity: the Message Key is
/// the EID; the operating attributes are the entity (EID, Entity Protocol
/// iSCSI, Registration Period), its portals (IP, TCP port), its nodes
/// (iSCSI Name, Node Type target, Alias) and one Portal Group object per
/// node and portal (PG iSCSI Name, PG Portal IP, PG Portal Port, PGT).
/// With `replace`, the server drops what the entity registered before
/// (§5.1.4, bit 19).
pub fn dev_attr_reg(xid: u16, reg: &Registration, replace: bool) -> Message {
    let mut attrs = vec![
        Attr::string(tag::ISCSI_NAME, &reg.source()),
        Attr::string(tag::ENTITY_IDENTIFIER, &reg.entity_id),
        Attr::delimiter(),
        Attr::string(tag::ENTITY_IDENTIFIER, &reg.entity_id),
        Attr::u32(tag::ENTITY_PROTOCOL, ENTITY_PROTOCOL_ISCSI),
    ];
    if let Some(period) = reg.registration_period {
        attrs.push(Attr::u32(tag::REGISTRATION_PERIOD, period));
    }
    for portal in &reg.portals {
        attrs.push(Attr::ip(tag::PORTAL_IP_ADDRESS, portal.addr.ip()));
        attrs.push(Attr::tcp_port(tag::PORTAL_PORT, portal.addr.port()));
    }
    for node in &reg.nodes {
        attrs.push(Attr::string(tag::ISCSI_NAME, &node.name));
        attrs.push(Attr::u32(tag::ISCSI_NODE_TYPE, NODE_TYPE_TARGET));
        if let Some(alias) = &node.alias {
            attrs.push(Attr::string(tag::ISCSI_ALIAS, alias));
        }
    }
    for node in &reg.nodes {
        for portal in &reg.portals {
            attrs.push(Attr::string(tag::PG_ISCSI_NAME, &node.name));
            attrs.push(Attr::ip(tag::PG_PORTAL_IP_ADDR, portal.addr.ip()));
            attrs.push(Attr::tcp_port(tag::PG_PORTAL_PORT, portal.addr.port()));
            attrs.push(Attr::u32(tag::PG_TAG, u32::from(portal.tag)));
        }
    }
    let mut msg = Message::request(Function::DevAttrReg, xid, attrs);
    if replace {
        msg.flags = flags::REPLACE;
    }
    msg
}

/// DevAttrQry (RFC 4171 §5.6.5.2) from `source` for one of its own
/// attributes: the keep-alive RFC 4171 §6.2.6 suggests ("a query for one
/// of its own attributes, using its associated iSCSI Name ... as the
/// Source attribute"). Key: the EID; asks for the Entity Protocol.
pub fn keepalive_query(xid: u16, source: &str, entity_id: &str) -> Message {
    Message::request(
        Function::DevAttrQry,
        xid,
        vec![
            Attr::string(tag::ISCSI_NAME, source),
            Attr::string(tag::ENTITY_IDENTIFIER, entity_id),
            Attr::delimiter(),
            Attr::empty(tag::ENTITY_PROTOCOL),
        ],
    )
}

/// DevAttrReg (RFC 4171 §5.6.5.1) of an entity holding one iSCSI
/// initiator node and no portal: what a discovering initiator registers
/// so a server that scopes queries by discovery domain (§6.11) answers
/// its queries. Key: the EID.
pub fn initiator_reg(xid: u16, entity_id: &str, name: &str) -> Message {
    Message::request(
        Function::DevAttrReg,
        xid,
        vec![
            Attr::string(tag::ISCSI_NAME, name),
            Attr::string(tag::ENTITY_IDENTIFIER, entity_id),
            Attr::delimiter(),
            Attr::string(tag::ENTITY_IDENTIFIER, entity_id),
            Attr::u32(tag::ENTITY_PROTOCOL, ENTITY_PROTOCOL_ISCSI),
            Attr::string(tag::ISCSI_NAME, name),
            Attr::u32(tag::ISCSI_NODE_TYPE, NODE_TYPE_INITIATOR),
        ],
    )
}

/// DevAttrQry (RFC 4171 §5.6.5.2) for every iSCSI target node the source
/// may see: key iSCSI Node Type = target; asks for the node's name, alias
/// and type, the portals and the portal groups.
pub fn target_query(xid: u16, source: &str) -> Message {
    Message::request(
        Function::DevAttrQry,
        xid,
        vec![
            Attr::string(tag::ISCSI_NAME, source),
            Attr::u32(tag::ISCSI_NODE_TYPE, NODE_TYPE_TARGET),
            Attr::delimiter(),
            Attr::empty(tag::ISCSI_NAME),
            Attr::empty(tag::ISCSI_NODE_TYPE),
            Attr::empty(tag::ISCSI_ALIAS),
            Attr::empty(tag::PORTAL_IP_ADDRESS),
            Attr::empty(tag::PORTAL_PORT),
            Attr::empty(tag::PG_ISCSI_NAME),
            Attr::empty(tag::PG_PORTAL_IP_ADDR),
            Attr::empty(tag::PG_PORTAL_PORT),
            Attr::empty(tag::PG_TAG),
        ],
    )
}

/// DevDereg (RFC 4171 §5.6.5.4) of a whole entity: the operating
/// attribute is its EID, which removes the entity and everything in it.
pub fn dev_dereg(xid: u16, source: &str, entity_id: &str) -> Message {
    Message::request(
        Function::DevDereg,
        xid,
        vec![
            Attr::string(tag::ISCSI_NAME, source),
            Attr::delimiter(),
            Attr::string(tag::ENTITY_IDENTIFIER, entity_id),
        ],
    )
}

/// SCNReg (RFC 4171 §5.6.5.5): key the iSCSI Name of the node to notify;
/// operating attribute its iSCSI SCN Bitmap (§6.4.4).
pub fn scn_reg(xid: u16, node: &str, bitmap: u32) -> Message {
    Message::request(
        Function::SCNReg,
        xid,
        vec![
            Attr::string(tag::ISCSI_NAME, node),
            Attr::string(tag::ISCSI_NAME, node),
            Attr::delimiter(),
            Attr::u32(tag::ISCSI_SCN_BITMAP, bitmap),
        ],
    )
}

/// The answer to a server's ESI (RFC 4171 §5.7.5.13): status, then the
/// EID, Portal IP and Port the ESI named, echoed.
pub fn esi_response(esi: &Message) -> Message {
    let echoed = esi
        .attrs
        .iter()
        .filter(|a| {
            matches!(
                a.tag,
                tag::ENTITY_IDENTIFIER | tag::PORTAL_IP_ADDRESS | tag::PORTAL_PORT
            )
        })
        .cloned()
        .collect();
    Message::response(Function::ESI, esi.xid, Status::Successful, echoed)
}

/// The answer to a server's SCN (RFC 4171 §5.7.5.8): status, then the
/// Destination Attribute (the first attribute of the SCN), echoed.
pub fn scn_response(scn: &Message) -> Message {
    let echoed = scn.attrs.first().cloned().into_iter().collect();
    Message::response(Function::SCN, scn.xid, Status::Successful, echoed)
}

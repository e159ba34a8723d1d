//! Cutting iSNSP PDUs out of a TCP byte stream and putting multi-PDU
//! messages back together (RFC 4171 §5.1, §5.3).

use super::message::{Message, MessageError};
use super::{flags, Header, HEADER_LEN, VERSION};

/// A message's payload may span several PDUs; rtgt keeps at most this
/// many bytes of one message.
pub const MAX_MESSAGE: usize = 1 << 20;

/// One PDU: its header and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    pub header: Header,
    pub payload: Vec<u8>,
}

/// What breaks the stream; the connection should be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("iSNSP version {0:#06x}, expected 0x0001 (RFC 4171 §5.1.1)")]
    Version(u16),
    #[error("PDU of transaction {xid} sequence {seq} does not continue the message in progress (RFC 4171 §5.3)")]
    Sequence { xid: u16, seq: u16 },
    #[error("message longer than {MAX_MESSAGE} bytes")]
    TooLong,
    #[error("authentication blocks are not supported (RFC 4171 §5.1.4, bit 18)")]
    AuthBlock,
    #[error(transparent)]
    Message(#[from] MessageError),
}

#[derive(Debug)]
struct Partial {
    function: u16,
    flags: u16,
    xid: u16,
    next_seq: u16,
    payload: Vec<u8>,
}

/// Bytes in, whole messages out.
#[derive(Debug, Default)]
pub struct PduStream {
    buf: Vec<u8>,
    partial: Option<Partial>,
}

impl PduStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole PDU in the buffer, if any.
    pub fn next_pdu(&mut self) -> Result<Option<Pdu>, StreamError> {
        let Some(header) = Header::decode(&self.buf) else {
            return Ok(None);
        };
        // RFC 4171 §5.1.1: the version is 0x0001.
        if header.version != VERSION {
            return Err(StreamError::Version(header.version));
        }
        let end = HEADER_LEN + usize::from(header.length);
        let Some(payload) = self.buf.get(HEADER_LEN..end) else {
            return Ok(None);
        };
        let pdu = Pdu {
            header,
            payload: payload.to_vec(),
        };
        self.buf.drain(..end);
        Ok(Some(pdu))
    }

    /// The next whole message, PDUs reassembled by Transaction ID and
    /// Sequence ID (RFC 4171 §5.3: a message's PDUs carry one Transaction
    /// ID, Sequence IDs from 0, the first PDU flag on the first and the
    /// last PDU flag on the last).
    pub fn next_message(&mut self) -> Result<Option<Message>, StreamError> {
        while let Some(pdu) = self.next_pdu()? {
            let h = pdu.header;
            if h.flags & flags::AUTH != 0 {
                return Err(StreamError::AuthBlock);
            }
            let mut partial = match self.partial.take() {
                Some(p) if p.xid == h.xid && p.function == h.function && p.next_seq == h.seq => p,
                Some(_) => {
                    return Err(StreamError::Sequence {
                        xid: h.xid,
                        seq: h.seq,
                    })
                }
                None if h.seq == 0 => Partial {
                    function: h.function,
                    flags: h.flags,
                    xid: h.xid,
                    next_seq: 0,
                    payload: Vec::new(),
                },
                None => {
                    return Err(StreamError::Sequence {
                        xid: h.xid,
                        seq: h.seq,
                    })
                }
            };
            if partial.payload.len() + pdu.payload.len() > MAX_MESSAGE {
                return Err(StreamError::TooLong);
            }
            partial.payload.extend_from_slice(&pdu.payload);
            partial.next_seq = partial.next_seq.wrapping_add(1);
            // A sender that sets neither flag sends single-PDU messages.
            if h.flags & flags::LAST_PDU != 0 || (h.seq == 0 && h.flags & flags::FIRST_PDU == 0) {
                let msg = Message::decode(
                    partial.function,
                    partial.flags,
                    partial.xid,
                    &partial.payload,
                )?;
                return Ok(Some(msg));
            }
            self.partial = Some(partial);
        }
        Ok(None)
    }
}

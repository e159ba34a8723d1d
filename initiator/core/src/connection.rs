//! Connection state (RFC 7143 §4.2.2.2: status numbering is per
//! connection): StatSN, the stream decoder with its digests, and the queue
//! of frames to write.

use std::collections::VecDeque;

use bytes::Bytes;
use rtgt_proto::pdu::{
    DecoderConfig, Digests, EncodedParts, Pdu, RawPdu, StreamDecoder, LOGIN_MAX_DATA_SEGMENT_LENGTH,
};

/// A frame waiting to be written, and what its departure completes.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub parts: EncodedParts,
    /// The last Data-Out answering an R2T of this task: the R2T stops being
    /// outstanding when it leaves.
    pub ends_r2t_of: Option<u32>,
}

/// One TCP connection of the session.
#[derive(Debug)]
pub struct Connection {
    /// Our CID.
    pub cid: u16,
    /// The StatSN the next status must carry (None before the first
    /// response).
    pub exp_stat_sn: Option<u32>,
    /// The digests we put on what we send.
    pub digests: Digests,
    /// The target's MaxRecvDataSegmentLength: our bound on data segments.
    pub max_send_data_segment_length: u32,
    pub(crate) decoder: StreamDecoder,
    pub(crate) queue: VecDeque<Outgoing>,
}

impl Connection {
    pub(crate) fn new(cid: u16) -> Self {
        Connection {
            cid,
            exp_stat_sn: None,
            digests: Digests::NONE,
            max_send_data_segment_length: LOGIN_MAX_DATA_SEGMENT_LENGTH,
            decoder: StreamDecoder::new(DecoderConfig::LOGIN),
            queue: VecDeque::new(),
        }
    }

    /// The ExpStatSN to put in what we send.
    pub fn exp_stat_sn_value(&self) -> u32 {
        self.exp_stat_sn.unwrap_or(0)
    }

    /// Digests applied to received frames.
    pub fn receive_digests(&self) -> Digests {
        self.decoder.config().digests
    }

    pub(crate) fn push_pdu(&mut self, pdu: &Pdu) {
        self.push_raw(&pdu.to_raw(), None, None);
    }

    pub(crate) fn push_pdus(&mut self, pdus: Vec<Pdu>) {
        for pdu in &pdus {
            self.push_pdu(pdu);
        }
    }

    pub(crate) fn push_raw(
        &mut self,
        raw: &RawPdu,
        digests: Option<Digests>,
        ends_r2t_of: Option<u32>,
    ) {
        let parts = raw.encode_parts(digests.unwrap_or(self.digests));
        self.queue.push_back(Outgoing { parts, ends_r2t_of });
    }

    pub(crate) fn push_bytes(&mut self, bytes: Bytes) {
        self.queue.push_back(Outgoing {
            parts: EncodedParts {
                header: bytes,
                data: Bytes::new(),
                trailer: Bytes::new(),
            },
            ends_r2t_of: None,
        });
    }
}

//! Cutting a TCP byte stream into frames.
//!
//! [`StreamDecoder`] takes bytes in any split and yields whole [`RawPdu`]s,
//! zero-copy (each frame's parts are slices of the receive buffer). It checks
//! what can be checked below the PDU types: the header digest, the data
//! digest and the bound on DataSegmentLength. It never reserves memory
//! because a length field asks for it: an over-long data segment is skipped
//! as it arrives, not buffered.

use bytes::{Buf, Bytes, BytesMut};
use thiserror::Error;

use super::bhs::{Bhs, BHS_LEN};
use super::frame::{Digests, Layout, RawPdu};
use super::opcode::Role;
use super::reject::RejectReason;
use crate::digest::{from_wire, DIGEST_LEN};

/// The bound on a login PDU's data segment. RFC 7143 §13.12:
/// MaxRecvDataSegmentLength defaults to 8192 bytes, and a declared value only
/// takes effect once the login phase is over, so during login each side
/// bounds the other's data segments by the default.
pub const LOGIN_MAX_DATA_SEGMENT_LENGTH: u32 = 8192;

/// The largest MaxRecvDataSegmentLength RFC 7143 §13.12 allows, 2^24 - 1
/// (DataSegmentLength is 24 bits).
pub const MAX_DATA_SEGMENT_LENGTH_LIMIT: u32 = (1 << 24) - 1;

/// What the decoder checks. May be changed between frames: a change applies
/// from the next frame whose header has not yet been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Which digests follow the header and data.
    pub digests: Digests,
    /// The largest data segment accepted: our MaxRecvDataSegmentLength
    /// (RFC 7143 §13.12), or 8192 during login.
    pub max_data_segment_length: u32,
}

impl DecoderConfig {
    /// The login phase: no digests, data segments up to 8192 bytes.
    pub const LOGIN: DecoderConfig = DecoderConfig {
        digests: Digests::NONE,
        max_data_segment_length: LOGIN_MAX_DATA_SEGMENT_LENGTH,
    };
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig::LOGIN
    }
}

/// The answer RFC 7143 wants to a PDU that failed a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Close the transport connection (connection recovery follows at
    /// ErrorRecoveryLevel 2, session recovery otherwise).
    CloseConnection,
    /// Send a Reject PDU with this reason, carrying the offending header
    /// (a target's answer; RFC 7143 §11.17).
    Reject(RejectReason),
    /// Drop the PDU silently (recovery, if any, goes through SNACK or
    /// timeouts).
    Discard,
}

/// A frame that failed a check.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The header digest does not match. The header's lengths cannot be
    /// trusted, so the next PDU cannot be found: the stream is lost.
    #[error("header digest mismatch: received {received:#010x}, computed {computed:#010x}; close the connection")]
    HeaderDigest {
        /// The BHS as received (untrustworthy).
        bhs: Box<[u8; BHS_LEN]>,
        /// The digest on the wire.
        received: u32,
        /// The digest of the bytes received.
        computed: u32,
    },
    /// The data digest does not match. The header is good, so the stream
    /// stays in sync and the PDU can be rejected by its header.
    #[error("data digest mismatch: received {received:#010x}, computed {computed:#010x}; reject with reason 0x02")]
    DataDigest {
        /// The whole frame as received.
        frame: Box<RawPdu>,
        /// The digest on the wire.
        received: u32,
        /// The digest of the data and padding received.
        computed: u32,
    },
    /// DataSegmentLength exceeds the configured bound. The data is skipped
    /// as it arrives, so the stream stays in sync.
    #[error("data segment of {length} bytes exceeds the bound of {max}; reject with reason 0x04")]
    DataSegmentTooLong {
        /// The BHS (its AHS, if any, is skipped with the data).
        bhs: Box<[u8; BHS_LEN]>,
        /// DataSegmentLength.
        length: u32,
        /// The configured bound.
        max: u32,
    },
}

impl DecodeError {
    /// The target's answer (the receiver of initiator PDUs).
    pub fn answer(&self) -> Answer {
        self.answer_for(Role::Target)
    }

    /// The answer of `receiver` to this error.
    pub fn answer_for(&self, receiver: Role) -> Answer {
        match (self, receiver) {
            // RFC 7143 §7.8 (digest errors): on a header digest error the
            // receiver either discards everything up to a later PDU or closes
            // the connection; with the header's length untrusted and no
            // markers (RFC 7143 dropped them) the next PDU cannot be found,
            // so only closing is possible.
            (DecodeError::HeaderDigest { .. }, _) => Answer::CloseConnection,
            // RFC 7143 §7.8: a target receiving a payload digest error
            // answers with Reject reason "Data (payload) Digest Error" and
            // discards the PDU; for Data-Out it then requests the data again
            // (R2T) at ErrorRecoveryLevel >= 1.
            (DecodeError::DataDigest { .. }, Role::Target) => {
                Answer::Reject(RejectReason::DataDigestError)
            }
            // RFC 7143 §7.8: an initiator discards the PDU; for Data-In or a
            // response it recovers with a SNACK (ErrorRecoveryLevel >= 1).
            (DecodeError::DataDigest { .. }, Role::Initiator) => Answer::Discard,
            // RFC 7143 §13.12: a PDU longer than the receiver's
            // MaxRecvDataSegmentLength breaks the negotiation; a target
            // rejects it as a protocol error (§11.17.1 reason 0x04). During
            // login a target answers with a Login Response instead (status
            // 0x0200, initiator error), which is the caller's choice.
            (DecodeError::DataSegmentTooLong { .. }, Role::Target) => {
                Answer::Reject(RejectReason::ProtocolError)
            }
            // An initiator cannot reject; a target that ignores our declared
            // bound cannot be talked to.
            (DecodeError::DataSegmentTooLong { .. }, Role::Initiator) => Answer::CloseConnection,
        }
    }

    /// Whether the decoder still knows where the next PDU starts. False
    /// only after a header digest error, after which the decoder yields
    /// nothing more.
    pub fn stream_in_sync(&self) -> bool {
        !matches!(self, DecodeError::HeaderDigest { .. })
    }

    /// The BHS of the offending PDU (for a Reject's data segment).
    pub fn header(&self) -> &[u8; BHS_LEN] {
        match self {
            DecodeError::HeaderDigest { bhs, .. } | DecodeError::DataSegmentTooLong { bhs, .. } => {
                bhs
            }
            DecodeError::DataDigest { frame, .. } => &frame.bhs,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for (the rest of) a frame.
    Frame,
    /// Dropping this many bytes of an over-long frame.
    Skipping(usize),
    /// A header digest failed; nothing more can be framed.
    Desynchronized,
}

/// Cuts a byte stream into frames. See the module documentation.
#[derive(Debug)]
pub struct StreamDecoder {
    config: DecoderConfig,
    buf: BytesMut,
    state: State,
}

impl StreamDecoder {
    /// A decoder with the given checks (use `DecoderConfig::LOGIN` on a new
    /// connection).
    pub fn new(config: DecoderConfig) -> StreamDecoder {
        StreamDecoder {
            config,
            buf: BytesMut::new(),
            state: State::Frame,
        }
    }

    /// The checks in force.
    pub fn config(&self) -> DecoderConfig {
        self.config
    }

    /// Replaces the checks, from the next frame on (e.g. when the login
    /// completes and the negotiated digests and MaxRecvDataSegmentLength
    /// apply).
    pub fn set_config(&mut self, config: DecoderConfig) {
        self.config = config;
    }

    /// Sets the digests, from the next frame on.
    pub fn set_digests(&mut self, digests: Digests) {
        self.config.digests = digests;
    }

    /// Sets the data segment bound, from the next frame on.
    pub fn set_max_data_segment_length(&mut self, max: u32) {
        self.config.max_data_segment_length = max;
    }

    /// Bytes received and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True after a header digest error: the stream cannot be framed any
    /// more and the connection must be closed.
    pub fn is_desynchronized(&self) -> bool {
        self.state == State::Desynchronized
    }

    /// Adds received bytes. Bytes of a skipped data segment, and anything
    /// after a header digest error, are dropped here, never buffered.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        match self.state {
            State::Desynchronized => return,
            State::Skipping(n) => {
                let k = n.min(bytes.len());
                bytes = bytes.get(k..).unwrap_or_default();
                self.state = if n > k {
                    State::Skipping(n - k)
                } else {
                    State::Frame
                };
            }
            State::Frame => {}
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, an error for a frame that failed a check, or
    /// None until more bytes are fed.
    pub fn next_frame(&mut self) -> Option<Result<RawPdu, DecodeError>> {
        if self.state != State::Frame {
            return None;
        }
        let head = self.buf.get(..BHS_LEN)?;
        let mut bhs: Bhs = [0; BHS_LEN];
        bhs.copy_from_slice(head);
        let digests = self.config.digests;
        let layout = Layout::of(&bhs, digests);
        if self.buf.len() < layout.header_end {
            return None;
        }
        if digests.header {
            let received = digest_at(&self.buf, layout.ahs_end);
            // The buffer holds header_end bytes, past ahs_end (checked above).
            let computed =
                crate::digest::crc32c(self.buf.get(..layout.ahs_end).unwrap_or_default());
            if received != computed {
                self.state = State::Desynchronized;
                self.buf = BytesMut::new();
                return Some(Err(DecodeError::HeaderDigest {
                    bhs: Box::new(bhs),
                    received,
                    computed,
                }));
            }
        }
        let length = super::bhs::data_segment_length(&bhs);
        let max = self.config.max_data_segment_length;
        if length > max {
            // RFC 7143 §13.12: over the declared MaxRecvDataSegmentLength.
            // The length is trustworthy (the header digest, if any, passed),
            // so skip exactly this frame and stay in sync.
            let have = self.buf.len().min(layout.total);
            self.buf.advance(have);
            let rest = layout.total - have;
            self.state = if rest > 0 {
                State::Skipping(rest)
            } else {
                State::Frame
            };
            return Some(Err(DecodeError::DataSegmentTooLong {
                bhs: Box::new(bhs),
                length,
                max,
            }));
        }
        if self.buf.len() < layout.total {
            return None;
        }
        let bytes: Bytes = self.buf.split_to(layout.total).freeze();
        let frame = layout.split(bhs, &bytes);
        // Test only: with `broken-digest`, the data digest of the last PDU
        // of a sequence (F set) goes unchecked.
        let unchecked = cfg!(feature = "broken-digest")
            && crate::mutant::on("broken-digest")
            && bhs.get(1).is_some_and(|b| b & 0x80 != 0);
        // RFC 7143 §13.1: a negotiated DataDigest covers every data segment.
        if digests.data && !frame.data.is_empty() && !unchecked {
            let received = digest_at(&bytes, layout.pad_end);
            let computed = frame.data_digest();
            if received != computed {
                return Some(Err(DecodeError::DataDigest {
                    frame: Box::new(frame),
                    received,
                    computed,
                }));
            }
        }
        Some(Ok(frame))
    }
}

/// The digest stored at `at` (the caller checked that 4 bytes are there).
fn digest_at(buf: &[u8], at: usize) -> u32 {
    let mut d = [0u8; DIGEST_LEN];
    if let Some(src) = buf.get(at..at + DIGEST_LEN) {
        d.copy_from_slice(src);
    }
    from_wire(d)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;

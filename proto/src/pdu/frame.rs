//! Raw frames: one PDU as it travels (RFC 7143 §11.2), byte for byte.
//!
//! Layout: BHS (48) | AHS (TotalAHSLength * 4) | header digest (4, if
//! negotiated) | data segment (DataSegmentLength) | padding to 4 bytes |
//! data digest (4, if negotiated and the data segment is not empty).

use bytes::{BufMut, Bytes, BytesMut};
use thiserror::Error;

use super::bhs::{self, Bhs, BHS_LEN, F_BIT, OFF_ITT, OFF_TOTAL_AHS};
use super::opcode::Opcode;
use crate::digest::{crc32c, crc32c_append, to_wire, DIGEST_LEN};

/// Which digests a connection uses (RFC 7143 §13.1 HeaderDigest and
/// DataDigest). Both are off during the login phase and take effect with the
/// first PDU after the final Login Response (RFC 7143 §6.2 and §13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Digests {
    /// CRC32C header digest after the BHS and AHS.
    pub header: bool,
    /// CRC32C data digest after the padded data segment.
    pub data: bool,
}

impl Digests {
    /// No digests (the login phase, or `None` negotiated).
    pub const NONE: Digests = Digests {
        header: false,
        data: false,
    };
    /// Both digests CRC32C.
    pub const BOTH: Digests = Digests {
        header: true,
        data: true,
    };
}

/// Number of zero bytes that pad `len` to a multiple of 4 (RFC 7143 §11.2.4).
pub(crate) fn pad_len(len: usize) -> usize {
    (4 - len % 4) % 4
}

static ZEROS: [u8; 3] = [0; 3];

/// Errors building a frame from a contiguous buffer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The buffer ends before the frame its header describes.
    #[error("frame needs {needed} bytes but only {available} were given")]
    Incomplete { needed: usize, available: usize },
}

/// One PDU as it travels. Encoding writes exactly these bytes: the lengths in
/// `bhs` are not recomputed (call [`RawPdu::set_lengths`], or build with
/// [`RawPdu::new`]), so a test can send a PDU whose lengths lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPdu {
    /// The Basic Header Segment.
    pub bhs: [u8; BHS_LEN],
    /// The AHS area, TotalAHSLength * 4 bytes when consistent.
    pub ahs: Bytes,
    /// The data segment, without padding.
    pub data: Bytes,
    /// The padding after the data segment, as received (RFC 7143 §11.2.4 wants
    /// zeros; the receiver is not told to check, but the suite may).
    pub padding: Bytes,
}

/// A frame encoded for a vectored write: `header`, then `data` (shared, not
/// copied), then `trailer` (padding and data digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedParts {
    /// BHS, AHS and header digest.
    pub header: Bytes,
    /// The data segment.
    pub data: Bytes,
    /// Padding and data digest (at most 7 bytes).
    pub trailer: Bytes,
}

impl EncodedParts {
    /// Total length on the wire.
    pub fn len(&self) -> usize {
        self.header.len() + self.data.len() + self.trailer.len()
    }

    /// True if nothing is to be written (never the case for a real frame).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The three parts, in order, for `write_vectored`.
    pub fn slices(&self) -> [&[u8]; 3] {
        [&self.header, &self.data, &self.trailer]
    }
}

impl RawPdu {
    /// A frame from its parts, with TotalAHSLength and DataSegmentLength set
    /// from `ahs` and `data`, and zero padding.
    pub fn new(bhs: [u8; BHS_LEN], ahs: Bytes, data: Bytes) -> RawPdu {
        // RFC 7143 §11.2.4: at most 3 bytes pad to a multiple of 4; ZEROS has 3.
        let padding = Bytes::from_static(ZEROS.get(..pad_len(data.len())).unwrap_or_default());
        let mut raw = RawPdu {
            bhs,
            ahs,
            data,
            padding,
        };
        raw.set_lengths();
        raw
    }

    /// Sets TotalAHSLength (AHS bytes / 4, rounded up, truncated to 8 bits)
    /// and DataSegmentLength (truncated to 24 bits) from the contents.
    pub fn set_lengths(&mut self) {
        self.bhs[OFF_TOTAL_AHS] = self.ahs.len().div_ceil(4) as u8;
        bhs::set_data_segment_length(&mut self.bhs, self.data.len() as u32);
    }

    /// The opcode of byte 0.
    pub fn opcode(&self) -> Opcode {
        Opcode::from_byte0(self.bhs[0])
    }

    /// The I bit of byte 0 (RFC 7143 §11.2.1.1).
    pub fn immediate(&self) -> bool {
        bhs::immediate(&self.bhs)
    }

    /// The F bit of byte 1 (RFC 7143 §11.2.1.3).
    pub fn final_bit(&self) -> bool {
        self.bhs[1] & F_BIT != 0
    }

    /// TotalAHSLength as written in the BHS, in 4-byte words.
    pub fn total_ahs_length(&self) -> u8 {
        self.bhs[OFF_TOTAL_AHS]
    }

    /// DataSegmentLength as written in the BHS.
    pub fn data_segment_length(&self) -> u32 {
        bhs::data_segment_length(&self.bhs)
    }

    /// The Initiator Task Tag (RFC 7143 §11.2.1.8).
    pub fn itt(&self) -> u32 {
        bhs::be32(&self.bhs, OFF_ITT)
    }

    /// The CRC32C header digest of BHS and AHS.
    pub fn header_digest(&self) -> u32 {
        crc32c_append(crc32c(&self.bhs), &self.ahs)
    }

    /// The CRC32C data digest of the data segment and its padding, in one
    /// pass (RFC 7143 §11.2.3: the digest covers the padding).
    pub fn data_digest(&self) -> u32 {
        crc32c_append(crc32c(&self.data), &self.padding)
    }

    /// Whether a data digest goes with this frame: only when data digests are
    /// on and there is a data segment (RFC 7143 §11.2.3).
    fn has_data_digest(&self, digests: Digests) -> bool {
        digests.data && !self.data.is_empty()
    }

    /// Bytes this frame takes on the wire.
    pub fn encoded_len(&self, digests: Digests) -> usize {
        let hd = if digests.header { DIGEST_LEN } else { 0 };
        let dd = if self.has_data_digest(digests) {
            DIGEST_LEN
        } else {
            0
        };
        BHS_LEN + self.ahs.len() + hd + self.data.len() + self.padding.len() + dd
    }

    /// Appends the frame to `out`.
    pub fn encode_into(&self, digests: Digests, out: &mut impl BufMut) {
        out.put_slice(&self.bhs);
        out.put_slice(&self.ahs);
        if digests.header {
            out.put_slice(&to_wire(self.header_digest()));
        }
        out.put_slice(&self.data);
        out.put_slice(&self.padding);
        if self.has_data_digest(digests) {
            out.put_slice(&to_wire(self.data_digest()));
        }
    }

    /// The frame as one buffer.
    pub fn encode(&self, digests: Digests) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len(digests));
        self.encode_into(digests, &mut out);
        out
    }

    /// The frame in three parts for a vectored write; the data segment is
    /// shared, not copied.
    pub fn encode_parts(&self, digests: Digests) -> EncodedParts {
        let hd = if digests.header { DIGEST_LEN } else { 0 };
        let mut header = BytesMut::with_capacity(BHS_LEN + self.ahs.len() + hd);
        header.put_slice(&self.bhs);
        header.put_slice(&self.ahs);
        if digests.header {
            header.put_slice(&to_wire(self.header_digest()));
        }
        let mut trailer = BytesMut::with_capacity(self.padding.len() + DIGEST_LEN);
        trailer.put_slice(&self.padding);
        if self.has_data_digest(digests) {
            trailer.put_slice(&to_wire(self.data_digest()));
        }
        EncodedParts {
            header: header.freeze(),
            data: self.data.clone(),
            trailer: trailer.freeze(),
        }
    }

    /// Takes one frame from the front of `buf` without checking digests
    /// (they are skipped) or bounds: for captured streams and tests. Returns
    /// the frame and the number of bytes it took. The stream decoder is the
    /// checked path for peer input.
    pub fn parse(buf: &Bytes, digests: Digests) -> Result<(RawPdu, usize), FrameError> {
        let incomplete = |needed: usize| FrameError::Incomplete {
            needed,
            available: buf.len(),
        };
        let Some(head) = buf.get(..BHS_LEN) else {
            return Err(incomplete(BHS_LEN));
        };
        let mut bhs: Bhs = [0; BHS_LEN];
        bhs.copy_from_slice(head);
        let layout = Layout::of(&bhs, digests);
        if buf.len() < layout.total {
            return Err(incomplete(layout.total));
        }
        Ok((layout.split(bhs, buf), layout.total))
    }
}

/// Where the parts of a frame lie, from its BHS and the digest settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub ahs_end: usize,
    pub header_end: usize,
    pub data_end: usize,
    pub pad_end: usize,
    pub total: usize,
}

impl Layout {
    pub(crate) fn of(bhs: &Bhs, digests: Digests) -> Layout {
        let ahs_end = BHS_LEN + bhs::total_ahs_bytes(bhs);
        let header_end = ahs_end + if digests.header { DIGEST_LEN } else { 0 };
        // DataSegmentLength is 24 bits, so this cannot overflow a usize.
        let dsl = bhs::data_segment_length(bhs) as usize;
        let data_end = header_end + dsl;
        let pad_end = data_end + pad_len(dsl);
        let total = pad_end
            + if digests.data && dsl > 0 {
                DIGEST_LEN
            } else {
                0
            };
        Layout {
            ahs_end,
            header_end,
            data_end,
            pad_end,
            total,
        }
    }

    /// Cuts the frame out of `buf` (which holds at least `total` bytes).
    pub(crate) fn split(&self, bhs: Bhs, buf: &Bytes) -> RawPdu {
        RawPdu {
            bhs,
            ahs: buf.slice(BHS_LEN..self.ahs_end),
            data: buf.slice(self.header_end..self.data_end),
            padding: buf.slice(self.data_end..self.pad_end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::from_wire;

    fn sample() -> RawPdu {
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = 0x04;
        bhs[1] = 0x80;
        RawPdu::new(bhs, Bytes::new(), Bytes::from_static(b"a=b\0"))
    }

    #[test]
    fn encode_layout_and_digests() {
        let mut raw = sample();
        raw.data = Bytes::from_static(b"abcde");
        raw.set_lengths();
        raw.padding = Bytes::from_static(&[0, 0, 0]);
        assert_eq!(raw.data_segment_length(), 5);
        let plain = raw.encode(Digests::NONE);
        assert_eq!(plain.len(), 48 + 8);
        let both = raw.encode(Digests::BOTH);
        assert_eq!(both.len(), 48 + 4 + 8 + 4);
        let hd = from_wire([both[48], both[49], both[50], both[51]]);
        assert_eq!(hd, crc32c(&both[..48]));
        let dd = from_wire([both[60], both[61], both[62], both[63]]);
        assert_eq!(dd, crc32c(&both[52..60]));
        let parts = raw.encode_parts(Digests::BOTH);
        assert_eq!(parts.slices().concat(), both);
        assert_eq!(parts.len(), both.len());
        assert!(!parts.is_empty());
    }

    #[test]
    fn no_data_digest_without_data() {
        let mut raw = sample();
        raw.data = Bytes::new();
        raw.padding = Bytes::new();
        raw.set_lengths();
        assert_eq!(raw.encode(Digests::BOTH).len(), 52);
        assert_eq!(raw.encoded_len(Digests::BOTH), 52);
    }

    #[test]
    fn parse_is_exact_and_reports_incomplete() {
        let mut raw = sample();
        raw.padding = Bytes::from_static(&[]);
        raw.data = Bytes::from_static(b"xy");
        raw.padding = Bytes::from_static(&[7, 8]); // non-zero padding kept
        raw.set_lengths();
        let wire = Bytes::from(raw.encode(Digests::BOTH));
        let (back, used) = RawPdu::parse(&wire, Digests::BOTH).unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(back, raw);
        assert_eq!(back.encode(Digests::BOTH), wire.as_ref());
        let short = wire.slice(..wire.len() - 1);
        assert_eq!(
            RawPdu::parse(&short, Digests::BOTH),
            Err(FrameError::Incomplete {
                needed: wire.len(),
                available: wire.len() - 1
            })
        );
    }

    #[test]
    fn lengths_may_be_overridden() {
        let mut raw = sample();
        bhs::set_data_segment_length(&mut raw.bhs, 1000);
        raw.bhs[OFF_TOTAL_AHS] = 2;
        let wire = raw.encode(Digests::NONE);
        assert_eq!(&wire[4..8], &[2, 0, 0x03, 0xe8]);
        assert_eq!(wire.len(), 48 + 4);
        assert_eq!(raw.total_ahs_length(), 2);
        assert!(raw.final_bit());
        assert!(!raw.immediate());
        assert_eq!(raw.opcode(), Opcode::TextRequest);
        assert_eq!(raw.itt(), 0);
    }
}

//! Text spread over several PDUs with the C (continue) bit.
//!
//! RFC 7143 §11.10.2 and §11.12.2: a Text or Login Request with C=1 carries
//! text that continues in the next PDU; §11.11.2 and §11.13.2 say the same of
//! responses. RFC 7143 §6.1: a key=value pair may be split across PDUs, so
//! segments are joined as bytes before they are decoded.

use thiserror::Error;

use super::codec::{self, CodecError, Pair};

/// Bound on the joined text of one negotiation step used by
/// [`TextAccumulator::default`]: RFC 7143 §6.1 requires at least 8192 bytes of
/// key=value data to be accepted; 64 KiB leaves room for long CHAP values.
pub const DEFAULT_MAX_TEXT: usize = 64 * 1024;

/// Why joined text could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContinuationError {
    /// The joined text would pass the accumulator's bound.
    #[error("continued text of {len} bytes exceeds the bound of {max} bytes")]
    TooLong { len: usize, max: usize },
    /// The joined text is not a well-formed set of pairs.
    #[error("continued text is malformed: {0}")]
    Codec(#[from] CodecError),
}

/// Joins data segments sent with the C bit into one set of pairs.
#[derive(Debug, Clone)]
pub struct TextAccumulator {
    buf: Vec<u8>,
    max: usize,
}

impl Default for TextAccumulator {
    fn default() -> Self {
        TextAccumulator::new(DEFAULT_MAX_TEXT)
    }
}

impl TextAccumulator {
    /// An empty accumulator that refuses more than `max` joined bytes.
    pub fn new(max: usize) -> Self {
        TextAccumulator {
            buf: Vec::new(),
            max,
        }
    }

    /// Bytes held so far (segments that had the C bit).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Adds one PDU's data segment. With `continues` (the C bit) set the text
    /// is kept and `Ok(None)` returned; without it, everything joined so far
    /// is decoded, the accumulator emptied, and the pairs returned.
    ///
    /// On error the accumulator is emptied too.
    pub fn push(
        &mut self,
        segment: &[u8],
        continues: bool,
    ) -> Result<Option<Vec<Pair>>, ContinuationError> {
        let len = self.buf.len().saturating_add(segment.len());
        if len > self.max {
            self.buf.clear();
            return Err(ContinuationError::TooLong { len, max: self.max });
        }
        self.buf.extend_from_slice(segment);
        if continues {
            return Ok(None);
        }
        let joined = std::mem::take(&mut self.buf);
        Ok(Some(codec::decode(&joined)?))
    }
}

/// One data segment of a split key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The bytes of this segment.
    pub data: &'a [u8],
    /// The C bit: more text follows in the next PDU.
    pub continues: bool,
}

/// Splits encoded text into segments of at most `max_len` bytes (the peer's
/// MaxRecvDataSegmentLength, RFC 7143 §13.12), with the C bit set on all but
/// the last. Empty text gives one empty final segment. A `max_len` of 0 is
/// treated as 1 so that the split always ends.
pub fn split_segments(encoded: &[u8], max_len: usize) -> Vec<Segment<'_>> {
    if encoded.is_empty() {
        return vec![Segment {
            data: encoded,
            continues: false,
        }];
    }
    let chunks: Vec<&[u8]> = encoded.chunks(max_len.max(1)).collect();
    let last = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, data)| Segment {
            data,
            continues: i != last,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_mid_pair() {
        let mut acc = TextAccumulator::new(100);
        assert_eq!(acc.push(b"Header", true), Ok(None));
        assert_eq!(acc.push(b"Digest=No", true), Ok(None));
        assert_eq!(acc.pending(), 15);
        let pairs = acc.push(b"ne\0A=b\0", false).unwrap().unwrap();
        assert_eq!(
            pairs,
            vec![Pair::new("HeaderDigest", "None"), Pair::new("A", "b")]
        );
        assert_eq!(acc.pending(), 0);
    }

    #[test]
    fn bound_and_errors() {
        let mut acc = TextAccumulator::new(8);
        assert_eq!(acc.push(b"A=123", true), Ok(None));
        assert_eq!(
            acc.push(b"4567", true),
            Err(ContinuationError::TooLong { len: 9, max: 8 })
        );
        assert_eq!(acc.pending(), 0);
        assert_eq!(
            acc.push(b"A=1", false),
            Err(ContinuationError::Codec(CodecError::MissingFinalNul))
        );
        assert_eq!(acc.push(b"", false), Ok(Some(vec![])));
    }

    #[test]
    fn split_marks_all_but_last() {
        let segs = split_segments(b"A=1\0B=2\0", 3);
        let c: Vec<bool> = segs.iter().map(|s| s.continues).collect();
        assert_eq!(c, vec![true, true, false]);
        assert_eq!(segs[2].data, b"2\0");
        assert_eq!(split_segments(b"", 5).len(), 1);
        assert_eq!(split_segments(b"AB", 0).len(), 2);
    }
}

//! `key=value` pairs in a Login or Text data segment (RFC 7143 §6.1).
//!
//! RFC 7143 §6.1: every pair, the last one included, is followed by one NUL
//! byte; the key is whatever precedes the first `=`, the value whatever follows
//! it up to the NUL. Keys and values are case sensitive and encoded in UTF-8.

use std::fmt;

use thiserror::Error;

/// Longest key name. RFC 7143 §6.1: a standard-label "must not exceed 63
/// characters".
pub const MAX_KEY_LEN: usize = 63;

/// Longest value (its encoded text) the codec accepts for any one key.
///
/// RFC 7143 §6.1 bounds a simple value at 255 bytes "if not otherwise
/// specified" and counts list elements one by one, so the per-key bound is
/// checked when the value is interpreted (see [`crate::text::value`]). The
/// codec only enforces this hard bound: RFC 7143 §6.1 requires an
/// implementation to accept 8192 bytes of key=value data in a negotiation
/// sequence, so no single legal pair can be longer.
pub const MAX_VALUE_LEN: usize = 8192;

/// One `key=value` pair, kept in the order it appeared.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pair {
    /// The key name, before the first `=`.
    pub key: String,
    /// The value, after the first `=`, without the NUL.
    pub value: String,
}

impl Pair {
    /// A pair from anything string-like.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Pair {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// Why a data segment is not a well-formed set of pairs. `index` counts pairs
/// from 0 in the segment.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// RFC 7143 §6.1: every pair, the last included, ends with a NUL.
    #[error("text data does not end with a nul byte after the last key=value pair")]
    MissingFinalNul,
    /// Two NULs in a row, or a NUL at the start.
    #[error("pair {index} is empty (two nul bytes in a row)")]
    EmptyPair { index: usize },
    /// RFC 7143 §6.1: a pair is `key=value`.
    #[error("pair {index} has no '=' between key and value")]
    MissingEquals { index: usize },
    /// RFC 7143 §6.1: a standard-label is one or more characters.
    #[error("pair {index} has an empty key")]
    EmptyKey { index: usize },
    /// RFC 7143 §6.1: a standard-label is at most 63 characters.
    #[error("key of pair {index} is {len} bytes long, more than the 63 allowed")]
    KeyTooLong { index: usize, len: usize },
    /// RFC 7143 §6.1: a standard-label starts with a capital letter and holds
    /// letters, digits, '.', '-', '+', '@' and '_' (extension keys start `X-` or `X#`).
    #[error("key of pair {index} has a character not allowed in a key name at byte {at}")]
    BadKeyChar { index: usize, at: usize },
    /// See [`MAX_VALUE_LEN`].
    #[error("value of pair {index} is {len} bytes long, more than the 8192 accepted")]
    ValueTooLong { index: usize, len: usize },
    /// RFC 7143 §6.1: text is UTF-8.
    #[error("pair {index} is not valid utf-8")]
    NotUtf8 { index: usize },
}

/// Checks a key name against RFC 7143 §6.1. Returns the byte offset of the
/// first bad character, if any.
pub fn check_key(key: &str) -> Result<(), KeyProblem> {
    let bytes = key.as_bytes();
    if bytes.is_empty() {
        return Err(KeyProblem::Empty);
    }
    if bytes.len() > MAX_KEY_LEN {
        return Err(KeyProblem::TooLong(bytes.len()));
    }
    for (at, &b) in bytes.iter().enumerate() {
        let ok = match at {
            // RFC 7143 §6.1: a standard-label must begin with a capital letter,
            // but RFC 7144 §2.1 defines the key `iSCSIProtocolLevel`, so the
            // prefix `iSCSI` is accepted too.
            0 => b.is_ascii_uppercase() || key.starts_with("iSCSI"),
            // RFC 7143 §13.22: public extension keys registered with IANA
            // start `X#`, the only place '#' may appear.
            1 if b == b'#' => bytes.first() == Some(&b'X'),
            _ => b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'@' | b'_'),
        };
        if !ok {
            return Err(KeyProblem::BadChar(at));
        }
    }
    Ok(())
}

/// What [`check_key`] found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// No characters.
    Empty,
    /// Longer than 63 bytes (the length).
    TooLong(usize),
    /// A character outside the allowed set at this byte offset.
    BadChar(usize),
}

/// Parses a data segment into pairs, strictly (RFC 7143 §6.1).
///
/// An empty segment holds no pairs. The returned vector has at most one
/// pair per two input bytes, so its size is bounded by the input.
pub fn decode(data: &[u8]) -> Result<Vec<Pair>, CodecError> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    // RFC 7143 §6.1: each pair, the last included, is followed by a NUL.
    let body = match data.split_last() {
        Some((0, body)) => body,
        _ => return Err(CodecError::MissingFinalNul),
    };
    let mut pairs = Vec::new();
    for (index, raw) in body.split(|&b| b == 0).enumerate() {
        pairs.push(decode_pair(index, raw)?);
    }
    Ok(pairs)
}

fn decode_pair(index: usize, raw: &[u8]) -> Result<Pair, CodecError> {
    if raw.is_empty() {
        return Err(CodecError::EmptyPair { index });
    }
    let text = std::str::from_utf8(raw).map_err(|_| CodecError::NotUtf8 { index })?;
    // RFC 7143 §6.1: the key is whatever precedes the first '='.
    let (key, value) = text
        .split_once('=')
        .ok_or(CodecError::MissingEquals { index })?;
    check_key(key).map_err(|p| match p {
        KeyProblem::Empty => CodecError::EmptyKey { index },
        KeyProblem::TooLong(len) => CodecError::KeyTooLong { index, len },
        KeyProblem::BadChar(at) => CodecError::BadKeyChar { index, at },
    })?;
    if value.len() > MAX_VALUE_LEN {
        return Err(CodecError::ValueTooLong {
            index,
            len: value.len(),
        });
    }
    Ok(Pair::new(key, value))
}

/// Encodes pairs as `key=value\0...`, exactly as given: no check is made, so
/// illegal keys and values can be sent on purpose. Use [`check_pairs`] first
/// when that is not wanted.
pub fn encode(pairs: &[Pair]) -> Vec<u8> {
    let len = pairs.iter().map(|p| p.key.len() + p.value.len() + 2).sum();
    let mut out = Vec::with_capacity(len);
    for p in pairs {
        out.extend_from_slice(p.key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(p.value.as_bytes());
        out.push(0);
    }
    out
}

/// Checks that [`encode`] of these pairs would [`decode`] back to them.
pub fn check_pairs(pairs: &[Pair]) -> Result<(), CodecError> {
    for (index, p) in pairs.iter().enumerate() {
        let mut raw = Vec::with_capacity(p.key.len() + p.value.len() + 1);
        raw.extend_from_slice(p.key.as_bytes());
        raw.push(b'=');
        raw.extend_from_slice(p.value.as_bytes());
        if let Some(at) = p.key.bytes().position(|b| b == b'=' || b == 0) {
            return Err(CodecError::BadKeyChar { index, at });
        }
        if p.value.contains('\0') {
            return Err(CodecError::EmptyPair { index: index + 1 });
        }
        decode_pair(index, &raw)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_in_order() {
        let pairs = decode(b"InitiatorName=iqn.a\0SessionType=Normal\0X-a.b=c=d\0").unwrap();
        assert_eq!(
            pairs,
            vec![
                Pair::new("InitiatorName", "iqn.a"),
                Pair::new("SessionType", "Normal"),
                Pair::new("X-a.b", "c=d"),
            ]
        );
        assert_eq!(decode(b"").unwrap(), vec![]);
        assert_eq!(decode(b"A=\0").unwrap(), vec![Pair::new("A", "")]);
    }

    #[test]
    fn strict_errors() {
        use CodecError::*;
        let cases: &[(&[u8], CodecError)] = &[
            (b"A=b", MissingFinalNul),
            (b"\0", EmptyPair { index: 0 }),
            (b"A=b\0\0", EmptyPair { index: 1 }),
            (b"Ab\0", MissingEquals { index: 0 }),
            (b"=b\0", EmptyKey { index: 0 }),
            (b"a=b\0", BadKeyChar { index: 0, at: 0 }),
            (b"A b=c\0", BadKeyChar { index: 0, at: 1 }),
            (b"A#b=c\0", BadKeyChar { index: 0, at: 1 }),
            (b"A=\xff\0", NotUtf8 { index: 0 }),
        ];
        for (input, want) in cases {
            assert_eq!(decode(input).unwrap_err(), *want, "{input:?}");
        }
        let long_key = format!("K{}=v\0", "k".repeat(63));
        assert_eq!(
            decode(long_key.as_bytes()).unwrap_err(),
            KeyTooLong { index: 0, len: 64 }
        );
        let max_key = format!("K{}=v\0", "k".repeat(62));
        assert!(decode(max_key.as_bytes()).is_ok());
        let long_value = format!("K=a{}\0", "a".repeat(MAX_VALUE_LEN));
        assert_eq!(
            decode(long_value.as_bytes()).unwrap_err(),
            ValueTooLong {
                index: 0,
                len: 8193
            }
        );
        assert!(decode(b"X#ietf.example=1\0").is_ok());
    }

    #[test]
    fn encode_writes_anything() {
        let pairs = [Pair::new("bad key", "v"), Pair::new("A", "")];
        assert_eq!(encode(&pairs), b"bad key=v\0A=\0");
        assert_eq!(
            check_pairs(&pairs),
            Err(CodecError::BadKeyChar { index: 0, at: 0 })
        );
        assert_eq!(check_pairs(&[Pair::new("A", "b")]), Ok(()));
    }
}

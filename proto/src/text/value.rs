//! Value encodings of RFC 7143 §6.1 ("Text Format").
//!
//! Every parser is strict and total; every encoder writes the canonical form
//! that its parser reads back. Lengths are checked against the bounds the RFC
//! gives: 255 bytes for a simple value or a list element (RFC 7143 §6.1, "if
//! not otherwise specified"), 8 bytes for a regular binary value, and a caller
//! supplied bound for a large binary value (1024 bytes for CHAP_C and CHAP_R,
//! RFC 7143 §12.1.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use thiserror::Error;

/// RFC 7143 §6.1: the maximum length of a simple value or of one list element
/// (not of its encoded representation) is 255 bytes.
pub const MAX_SIMPLE_LEN: usize = 255;

/// RFC 7143 §6.1: a regular binary value is at most 64 bits.
pub const MAX_REGULAR_BINARY: usize = 8;

/// Why a value does not have the expected encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    /// An empty string where a number, boolean or binary value was expected.
    #[error("value is empty")]
    Empty,
    /// RFC 7143 §6.1: a decimal-constant is 0 or starts with a non-zero digit.
    #[error("decimal constant has a leading zero")]
    LeadingZero,
    /// Not made of decimal digits.
    #[error("value is not a decimal, hex (0x) or base64 (0b) constant")]
    NotNumber,
    /// RFC 7143 §6.1: a numerical value is less than 2^64.
    #[error("number does not fit in 64 bits")]
    Overflow,
    /// RFC 7143 §6.1: a hex-constant is `0x` or `0X` and one or more hex digits.
    #[error("bad hex constant")]
    BadHex,
    /// RFC 7143 §6.1: a base64-constant is `0b` or `0B` and RFC 4648 base64.
    #[error("bad base64 constant")]
    BadBase64,
    /// A binary value must be written in hex or base64.
    #[error("binary value does not start with 0x or 0b")]
    NotBinary,
    /// Longer than the bound for this kind of value.
    #[error("value is {len} bytes long, more than the {max} allowed")]
    TooLong { len: usize, max: usize },
    /// RFC 7143 §6.1: a boolean-value is `Yes` or `No`.
    #[error("boolean value is neither Yes nor No")]
    NotBoolean,
    /// RFC 7143 §6.1: a numeric-range is two numerical values joined by '~'.
    #[error("numeric range is not of the form a~b")]
    NotRange,
    /// RFC 7143 §6.1: the right end of a range is not lower than the left.
    #[error("numeric range has its right end below its left end")]
    RangeInverted,
    /// RFC 7143 §6.1: the characters a text-value may hold.
    #[error("text value has a character not allowed at byte {at}")]
    BadTextChar { at: usize },
}

/// The reserved constants of RFC 7143 §6.2 (and `None`, §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Special {
    /// The offered value is not acceptable.
    Reject,
    /// The key does not apply given the values of other keys.
    Irrelevant,
    /// The key is not known to the responder.
    NotUnderstood,
    /// A missing function (a list choice, e.g. `HeaderDigest=None`).
    None,
}

impl Special {
    /// The constant as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Special::Reject => "Reject",
            Special::Irrelevant => "Irrelevant",
            Special::NotUnderstood => "NotUnderstood",
            Special::None => "None",
        }
    }

    /// Recognises one of the constants (case sensitive, RFC 7143 §6.1).
    pub fn parse(s: &str) -> Option<Special> {
        match s {
            "Reject" => Some(Special::Reject),
            "Irrelevant" => Some(Special::Irrelevant),
            "NotUnderstood" => Some(Special::NotUnderstood),
            "None" => Some(Special::None),
            _ => None,
        }
    }

    /// Reject, Irrelevant and NotUnderstood are answers only, never offers.
    pub fn parse_answer(s: &str) -> Option<Special> {
        Special::parse(s).filter(|s| *s != Special::None)
    }
}

/// Parses a decimal-constant (RFC 7143 §6.1).
pub fn parse_decimal(s: &str) -> Result<u64, ValueError> {
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::NotNumber);
    }
    // RFC 7143 §6.1: a single 0, or digits starting with a non-zero one.
    if s.len() > 1 && s.starts_with('0') {
        return Err(ValueError::LeadingZero);
    }
    s.parse::<u64>().map_err(|_| ValueError::Overflow)
}

fn strip_prefix2(s: &str, lower: char, upper: char) -> Option<&str> {
    s.strip_prefix('0')
        .and_then(|r| r.strip_prefix(lower).or_else(|| r.strip_prefix(upper)))
}

/// Parses a hex-constant (`0x` or `0X` then one or more hex digits) into its
/// bytes, most significant first; an odd digit count gets a leading 0 nibble.
pub fn parse_hex(s: &str, max_bytes: usize) -> Result<Vec<u8>, ValueError> {
    let digits = strip_prefix2(s, 'x', 'X').ok_or(ValueError::NotBinary)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ValueError::BadHex);
    }
    let len = digits.len().div_ceil(2);
    if len > max_bytes {
        return Err(ValueError::TooLong {
            len,
            max: max_bytes,
        });
    }
    let nibble = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
    let mut out = Vec::with_capacity(len);
    let mut bytes = digits.bytes();
    if digits.len() % 2 == 1 {
        out.extend(bytes.next().map(nibble));
    }
    while let (Some(hi), Some(lo)) = (bytes.next(), bytes.next()) {
        out.push(nibble(hi) << 4 | nibble(lo));
    }
    Ok(out)
}

/// Parses a base64-constant (`0b` or `0B` then RFC 4648 base64 with padding).
pub fn parse_base64(s: &str, max_bytes: usize) -> Result<Vec<u8>, ValueError> {
    let body = strip_prefix2(s, 'b', 'B').ok_or(ValueError::NotBinary)?;
    if body.is_empty() {
        return Err(ValueError::BadBase64);
    }
    // Bound the work before decoding: 4 characters give at most 3 bytes.
    let len = body.len() / 4 * 3;
    if len > max_bytes.saturating_add(2) {
        return Err(ValueError::TooLong {
            len,
            max: max_bytes,
        });
    }
    let out = STANDARD.decode(body).map_err(|_| ValueError::BadBase64)?;
    if out.len() > max_bytes {
        return Err(ValueError::TooLong {
            len: out.len(),
            max: max_bytes,
        });
    }
    Ok(out)
}

/// Parses a binary value written in hex or base64 (RFC 7143 §6.1), at most
/// `max_bytes` long once decoded.
pub fn parse_binary(s: &str, max_bytes: usize) -> Result<Vec<u8>, ValueError> {
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    match strip_prefix2(s, 'x', 'X') {
        Some(_) => parse_hex(s, max_bytes),
        None => parse_base64(s, max_bytes),
    }
}

fn to_u64(bytes: &[u8]) -> Result<u64, ValueError> {
    let significant = bytes
        .iter()
        .position(|&b| b != 0)
        .and_then(|i| bytes.get(i..))
        .unwrap_or_default();
    if significant.len() > 8 {
        return Err(ValueError::Overflow);
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
}

/// Parses a numerical-value: a decimal or hex constant below 2^64
/// (RFC 7143 §6.1).
pub fn parse_numerical(s: &str) -> Result<u64, ValueError> {
    match strip_prefix2(s, 'x', 'X') {
        // Leading zero digits are allowed in hex; only the value must fit.
        Some(_) => to_u64(&parse_hex(s, s.len())?),
        None => parse_decimal(s),
    }
}

/// Parses a regular-binary-value: decimal, hex or base64, at most 64 bits
/// (RFC 7143 §6.1). Used for TargetPortalGroupTag (§13.9).
pub fn parse_regular_binary(s: &str) -> Result<u64, ValueError> {
    if strip_prefix2(s, 'b', 'B').is_some() {
        return to_u64(&parse_base64(s, MAX_REGULAR_BINARY)?);
    }
    parse_numerical(s)
}

/// Writes `0x` and two lower-case hex digits per byte.
pub fn encode_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Writes `0b` and RFC 4648 base64 with padding.
pub fn encode_base64(bytes: &[u8]) -> String {
    format!("0b{}", STANDARD.encode(bytes))
}

/// Writes a number as a hex-constant without leading zeros.
pub fn encode_hex_number(n: u64) -> String {
    format!("0x{n:x}")
}

/// Parses `Yes` or `No` (RFC 7143 §6.1, case sensitive).
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    match s {
        "Yes" => Ok(true),
        "No" => Ok(false),
        _ => Err(ValueError::NotBoolean),
    }
}

/// Writes `Yes` or `No`.
pub fn encode_bool(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// Parses a numeric-range `a~b` with `a <= b` (RFC 7143 §6.1).
pub fn parse_range(s: &str) -> Result<(u64, u64), ValueError> {
    let (a, b) = s.split_once('~').ok_or(ValueError::NotRange)?;
    let (a, b) = (parse_numerical(a)?, parse_numerical(b)?);
    // RFC 7143 §6.1: the right value must not be lower than the left one.
    if b < a {
        return Err(ValueError::RangeInverted);
    }
    Ok((a, b))
}

/// Writes a numeric-range.
pub fn encode_range(a: u64, b: u64) -> String {
    format!("{a}~{b}")
}

/// Checks a text-value: at most 255 bytes of letters, digits, '.', '-', '+',
/// '@', '_', '/', '[', ']' and ':' (RFC 7143 §6.1).
pub fn check_text(s: &str) -> Result<(), ValueError> {
    if s.len() > MAX_SIMPLE_LEN {
        return Err(ValueError::TooLong {
            len: s.len(),
            max: MAX_SIMPLE_LEN,
        });
    }
    match s.bytes().position(|b| {
        !(b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'.' | b'-' | b'+' | b'@' | b'_' | b'/' | b'[' | b']' | b':'
            ))
    }) {
        Some(at) => Err(ValueError::BadTextChar { at }),
        None => Ok(()),
    }
}

/// Checks a simple value of any kind against the 255 byte bound of §6.1.
pub fn check_simple_len(s: &str) -> Result<(), ValueError> {
    if s.len() > MAX_SIMPLE_LEN {
        return Err(ValueError::TooLong {
            len: s.len(),
            max: MAX_SIMPLE_LEN,
        });
    }
    Ok(())
}

/// Parses a list-of-values: text-values separated by commas (RFC 7143 §6.1).
pub fn parse_list(s: &str) -> Result<Vec<&str>, ValueError> {
    let items: Vec<&str> = s.split(',').collect();
    for item in &items {
        check_text(item)?;
    }
    Ok(items)
}

/// Joins list elements with commas.
pub fn encode_list<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_decimal("0"), Ok(0));
        assert_eq!(parse_decimal("65536"), Ok(65536));
        assert_eq!(parse_decimal("010"), Err(ValueError::LeadingZero));
        assert_eq!(parse_decimal(""), Err(ValueError::Empty));
        assert_eq!(parse_decimal("-1"), Err(ValueError::NotNumber));
        assert_eq!(parse_decimal("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_decimal("18446744073709551616"),
            Err(ValueError::Overflow)
        );
        assert_eq!(parse_numerical("0x10"), Ok(16));
        assert_eq!(parse_numerical("0X0000000000000000000fF"), Ok(255));
        assert_eq!(
            parse_numerical("0x1ffffffffffffffff"),
            Err(ValueError::Overflow)
        );
        assert_eq!(parse_numerical("0x"), Err(ValueError::BadHex));
        assert_eq!(parse_numerical("0xg"), Err(ValueError::BadHex));
        // RFC 7143 §6.1: numerical values are decimal or hex, not base64.
        assert_eq!(parse_numerical("0bAQ=="), Err(ValueError::NotNumber));
        assert_eq!(parse_regular_binary("0bAQ=="), Ok(1));
        assert_eq!(
            parse_regular_binary("0bAAAAAAAAAAAB"),
            Err(ValueError::TooLong { len: 9, max: 8 })
        );
    }

    #[test]
    fn binary() {
        assert_eq!(parse_binary("0x0a0B", 4), Ok(vec![10, 11]));
        assert_eq!(parse_binary("0x123", 4), Ok(vec![1, 0x23]));
        assert_eq!(parse_binary("0Bq80=", 4), Ok(vec![0xab, 0xcd]));
        assert_eq!(parse_binary("0bq80", 4), Err(ValueError::BadBase64));
        assert_eq!(
            parse_binary("0x0102030405", 4),
            Err(ValueError::TooLong { len: 5, max: 4 })
        );
        assert_eq!(
            parse_binary("0bAQIDBAU=", 4),
            Err(ValueError::TooLong { len: 5, max: 4 })
        );
        assert_eq!(parse_binary("12", 4), Err(ValueError::NotBinary));
        assert_eq!(encode_hex(&[0, 0xff]), "0x00ff");
        assert_eq!(encode_base64(&[0xab, 0xcd]), "0bq80=");
    }

    #[test]
    fn others() {
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert_eq!(parse_bool("yes"), Err(ValueError::NotBoolean));
        assert_eq!(parse_range("1~0x10"), Ok((1, 16)));
        assert_eq!(parse_range("5~4"), Err(ValueError::RangeInverted));
        assert_eq!(parse_range("5"), Err(ValueError::NotRange));
        assert_eq!(parse_list("CRC32C,None"), Ok(vec!["CRC32C", "None"]));
        assert_eq!(parse_list("a b"), Err(ValueError::BadTextChar { at: 1 }));
        assert!(check_text(&"a".repeat(255)).is_ok());
        assert_eq!(
            check_text(&"a".repeat(256)),
            Err(ValueError::TooLong { len: 256, max: 255 })
        );
        assert_eq!(Special::parse_answer("None"), None);
        assert_eq!(Special::parse("Irrelevant"), Some(Special::Irrelevant));
    }
}

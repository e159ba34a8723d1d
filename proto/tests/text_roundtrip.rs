//! Encode-then-decode identities for the text layer (RFC 7143 §6.1).

use proptest::prelude::*;
use rtgt_proto::text::value::{self, MAX_SIMPLE_LEN};
use rtgt_proto::text::{decode, encode, split_segments, Pair, TextAccumulator};

/// A legal key: a capital letter then up to 62 allowed characters, or an
/// extension key.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z][A-Za-z0-9.+@_-]{0,62}",
        "X-[a-z0-9.]{1,20}",
        "X#[a-z0-9.]{1,20}",
    ]
}

/// Any UTF-8 value without NUL, up to a few hundred bytes.
fn any_value() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,300}"
}

fn pairs() -> impl Strategy<Value = Vec<Pair>> {
    prop::collection::vec(
        (key(), any_value()).prop_map(|(k, v)| Pair::new(k, v)),
        0..20,
    )
}

proptest! {
    #[test]
    fn key_sets(ps in pairs()) {
        prop_assert_eq!(decode(&encode(&ps)).unwrap(), ps);
    }

    #[test]
    fn continuation_any_segment_size(ps in pairs(), max in 1usize..600) {
        let bytes = encode(&ps);
        let segs = split_segments(&bytes, max);
        let mut acc = TextAccumulator::new(bytes.len());
        let mut got = None;
        for (i, s) in segs.iter().enumerate() {
            prop_assert!(s.data.len() <= max);
            prop_assert_eq!(s.continues, i + 1 != segs.len());
            got = acc.push(s.data, s.continues).unwrap();
        }
        prop_assert_eq!(got, Some(ps));
    }

    #[test]
    fn decimal(n: u64) {
        prop_assert_eq!(value::parse_decimal(&n.to_string()), Ok(n));
        prop_assert_eq!(value::parse_numerical(&n.to_string()), Ok(n));
    }

    #[test]
    fn hex_number(n: u64) {
        prop_assert_eq!(value::parse_numerical(&value::encode_hex_number(n)), Ok(n));
        prop_assert_eq!(value::parse_regular_binary(&value::encode_hex_number(n)), Ok(n));
    }

    #[test]
    fn base64_number(n: u64) {
        let s = value::encode_base64(&n.to_be_bytes());
        prop_assert_eq!(value::parse_regular_binary(&s), Ok(n));
    }

    #[test]
    fn binary(bytes in prop::collection::vec(any::<u8>(), 1..1100)) {
        let max = 1024;
        let hex = value::parse_binary(&value::encode_hex(&bytes), max);
        let b64 = value::parse_binary(&value::encode_base64(&bytes), max);
        if bytes.len() <= max {
            prop_assert_eq!(hex, Ok(bytes.clone()));
            prop_assert_eq!(b64, Ok(bytes));
        } else {
            prop_assert!(hex.is_err() && b64.is_err());
        }
    }

    #[test]
    fn boolean(b: bool) {
        prop_assert_eq!(value::parse_bool(value::encode_bool(b)), Ok(b));
    }

    #[test]
    fn range(a: u64, b: u64) {
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert_eq!(value::parse_range(&value::encode_range(lo, hi)), Ok((lo, hi)));
    }

    #[test]
    fn list(items in prop::collection::vec("[A-Za-z0-9.+@_/:\\[\\]-]{0,40}", 1..10)) {
        let s = value::encode_list(&items);
        let got: Vec<String> = value::parse_list(&s).unwrap().into_iter().map(String::from).collect();
        prop_assert_eq!(got, items);
    }

    #[test]
    fn simple_text(s in "[A-Za-z0-9.+@_/:\\[\\]-]{0,300}") {
        let r = value::check_text(&s);
        prop_assert_eq!(r.is_ok(), s.len() <= MAX_SIMPLE_LEN);
    }

    /// Decoding never panics on arbitrary bytes, and what it accepts
    /// encodes back to the same bytes.
    #[test]
    fn decode_total(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(ps) = decode(&bytes) {
            prop_assert_eq!(encode(&ps), bytes);
        }
    }
}

//! Unit tests of the stream decoder: each error, its answer, and staying in
//! sync.

use bytes::Bytes;

use super::*;
use crate::pdu::{NopOut, Opcode, Pdu};

fn nop(itt: u32, data: &'static [u8]) -> RawPdu {
    Pdu::from(NopOut {
        itt,
        data: Bytes::from_static(data),
        ..NopOut::default()
    })
    .to_raw()
}

fn drain(dec: &mut StreamDecoder) -> Vec<Result<RawPdu, DecodeError>> {
    std::iter::from_fn(|| dec.next_frame()).collect()
}

const FULL: DecoderConfig = DecoderConfig {
    digests: Digests::BOTH,
    max_data_segment_length: 65536,
};

#[test]
fn frames_whole_and_byte_by_byte() {
    let a = nop(1, b"hello");
    let b = nop(2, b"");
    let mut wire = a.encode(Digests::BOTH);
    wire.extend(b.encode(Digests::BOTH));
    let mut dec = StreamDecoder::new(FULL);
    dec.feed(&wire);
    assert_eq!(drain(&mut dec), vec![Ok(a.clone()), Ok(b.clone())]);
    assert_eq!(dec.buffered(), 0);
    let mut dec = StreamDecoder::new(FULL);
    let mut got = Vec::new();
    for byte in &wire {
        dec.feed(std::slice::from_ref(byte));
        got.extend(drain(&mut dec));
    }
    assert_eq!(got, vec![Ok(a), Ok(b)]);
}

#[test]
fn header_digest_error_closes_and_desynchronizes() {
    let mut wire = nop(1, b"x").encode(Digests::BOTH);
    wire[20] ^= 1; // corrupt the TTT: the header digest no longer matches
    wire.extend(nop(2, b"").encode(Digests::BOTH));
    let mut dec = StreamDecoder::new(FULL);
    dec.feed(&wire);
    let err = dec.next_frame().unwrap().unwrap_err();
    assert!(matches!(err, DecodeError::HeaderDigest { .. }));
    assert_eq!(err.answer(), Answer::CloseConnection);
    assert_eq!(err.answer_for(Role::Initiator), Answer::CloseConnection);
    assert!(!err.stream_in_sync());
    assert_eq!(err.header()[0], 0x00);
    assert!(dec.is_desynchronized());
    assert_eq!(dec.next_frame(), None);
    dec.feed(&[0; 100]);
    assert_eq!(dec.buffered(), 0);
}

#[test]
fn data_digest_error_rejects_and_stays_in_sync() {
    let mut wire = nop(1, b"payload").encode(Digests::BOTH);
    wire[52] ^= 0x80; // first data byte
    let second = nop(2, b"ok");
    wire.extend(second.encode(Digests::BOTH));
    let mut dec = StreamDecoder::new(FULL);
    dec.feed(&wire);
    let err = dec.next_frame().unwrap().unwrap_err();
    let DecodeError::DataDigest { ref frame, .. } = err else {
        panic!("expected a data digest error, got {err:?}");
    };
    assert_eq!(frame.opcode(), Opcode::NopOut);
    assert_eq!(frame.itt(), 1);
    assert_eq!(err.answer(), Answer::Reject(RejectReason::DataDigestError));
    assert_eq!(err.answer_for(Role::Initiator), Answer::Discard);
    assert!(err.stream_in_sync());
    assert_eq!(dec.next_frame(), Some(Ok(second)));
}

#[test]
fn over_long_data_segment_is_skipped_without_buffering() {
    let big = Bytes::from(vec![7u8; 10_000]);
    let mut raw = nop(1, b"");
    raw.data = big;
    raw.set_lengths();
    raw.padding = Bytes::new();
    let wire = raw.encode(Digests::NONE);
    let after = nop(3, b"next");
    let mut dec = StreamDecoder::new(DecoderConfig::LOGIN);
    dec.feed(&wire[..100]);
    let err = dec.next_frame().unwrap().unwrap_err();
    assert_eq!(
        err,
        DecodeError::DataSegmentTooLong {
            bhs: Box::new(raw.bhs),
            length: 10_000,
            max: LOGIN_MAX_DATA_SEGMENT_LENGTH
        }
    );
    assert_eq!(err.answer(), Answer::Reject(RejectReason::ProtocolError));
    assert_eq!(err.answer_for(Role::Initiator), Answer::CloseConnection);
    assert!(err.stream_in_sync());
    // The rest of the big segment is dropped as it arrives.
    dec.feed(&wire[100..]);
    assert_eq!(dec.buffered(), 0);
    assert_eq!(dec.next_frame(), None);
    dec.feed(&after.encode(Digests::NONE));
    assert_eq!(dec.next_frame(), Some(Ok(after)));
}

#[test]
fn config_changes_between_frames() {
    // Login PDU without digests, then digests on for the next frame.
    let login = nop(1, b"a");
    let ffp = nop(2, b"bb");
    let mut wire = login.encode(Digests::NONE);
    wire.extend(ffp.encode(Digests::BOTH));
    let mut dec = StreamDecoder::new(DecoderConfig::default());
    dec.feed(&wire);
    assert_eq!(dec.next_frame(), Some(Ok(login)));
    dec.set_digests(Digests::BOTH);
    dec.set_max_data_segment_length(262_144);
    assert_eq!(dec.config().max_data_segment_length, 262_144);
    assert_eq!(dec.next_frame(), Some(Ok(ffp)));
    dec.set_config(DecoderConfig::LOGIN);
    assert_eq!(dec.config(), DecoderConfig::LOGIN);
}

#[test]
fn incomplete_input_yields_nothing() {
    let wire = nop(1, b"abc").encode(Digests::BOTH);
    for cut in 0..wire.len() {
        let mut dec = StreamDecoder::new(FULL);
        dec.feed(&wire[..cut]);
        assert_eq!(dec.next_frame(), None, "cut at {cut}");
        assert_eq!(dec.buffered(), cut);
    }
}

#[test]
fn ahs_area_is_framed_and_covered_by_the_header_digest() {
    let mut raw = nop(1, b"");
    raw.ahs = Bytes::from_static(&[0, 1, 0x3c, 0, 1, 2, 3, 4]);
    raw.set_lengths();
    let wire = raw.encode(Digests::BOTH);
    assert_eq!(wire.len(), 48 + 8 + 4);
    let mut dec = StreamDecoder::new(FULL);
    dec.feed(&wire);
    assert_eq!(dec.next_frame(), Some(Ok(raw)));
    let mut bad = wire.clone();
    bad[50] ^= 1;
    let mut dec = StreamDecoder::new(FULL);
    dec.feed(&bad);
    assert!(matches!(
        dec.next_frame(),
        Some(Err(DecodeError::HeaderDigest { .. }))
    ));
}

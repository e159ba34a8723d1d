//! Property tests: every opcode's typed PDU round-trips through the wire,
//! with and without digests, and decoding arbitrary header bytes then
//! encoding reproduces them (reserved bits included).

use bytes::Bytes;
use proptest::prelude::*;
use rtgt_proto::pdu::{Ahs, DecoderConfig, Digests, Opcode, Pdu, RawPdu, StreamDecoder, BHS_LEN};

fn named_opcode() -> impl Strategy<Value = Opcode> {
    proptest::sample::select(Opcode::NAMED.to_vec())
}

fn digests() -> impl Strategy<Value = Digests> {
    (any::<bool>(), any::<bool>()).prop_map(|(header, data)| Digests { header, data })
}

fn ahs_list() -> impl Strategy<Value = Vec<Ahs>> {
    proptest::collection::vec(
        (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..24)),
        0..3,
    )
    .prop_map(|list| {
        list.into_iter()
            .map(|(ahs_type, specific)| {
                let pad = (4 - (3 + specific.len()) % 4) % 4;
                Ahs {
                    ahs_type,
                    specific: specific.into(),
                    padding: Bytes::from(vec![0u8; pad]),
                }
            })
            .collect()
    })
}

/// A consistent frame of the given opcode: arbitrary BHS bytes (reserved
/// bits included), lengths matching the contents, zero padding.
fn frame_of(opcode: Opcode) -> impl Strategy<Value = RawPdu> {
    (
        proptest::collection::vec(any::<u8>(), BHS_LEN),
        proptest::collection::vec(any::<u8>(), 0..80),
        ahs_list(),
    )
        .prop_map(move |(bhs_vec, data, ahs)| {
            let mut bhs = [0u8; BHS_LEN];
            bhs.copy_from_slice(&bhs_vec);
            bhs[0] = (bhs[0] & 0xc0) | opcode.raw();
            let ahs = if opcode == Opcode::ScsiCommand {
                Bytes::from(Ahs::encode_list(&ahs))
            } else {
                Bytes::new()
            };
            RawPdu::new(bhs, ahs, Bytes::from(data))
        })
}

fn any_frame() -> impl Strategy<Value = RawPdu> {
    named_opcode().prop_flat_map(frame_of)
}

fn decode_stream(wire: &[u8], digests: Digests) -> RawPdu {
    let mut dec = StreamDecoder::new(DecoderConfig {
        digests,
        max_data_segment_length: 1 << 20,
    });
    dec.feed(wire);
    let frame = dec
        .next_frame()
        .expect("a whole frame")
        .expect("a valid frame");
    assert_eq!(dec.buffered(), 0);
    frame
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Wire bytes -> typed -> wire bytes is the identity, and typed -> wire
    /// -> typed is the identity, for every opcode and digest setting.
    #[test]
    fn typed_round_trip(raw in any_frame(), digests in digests()) {
        let wire = raw.encode(digests);
        let framed = decode_stream(&wire, digests);
        prop_assert_eq!(&framed, &raw);
        let pdu = Pdu::decode(&framed).expect("every named opcode decodes");
        prop_assert_eq!(pdu.opcode(), raw.opcode());
        prop_assert!(!matches!(pdu, Pdu::Unknown(_)));
        prop_assert_eq!(pdu.encode(digests), wire.clone());
        let again = Pdu::decode(&decode_stream(&pdu.encode(digests), digests)).unwrap();
        prop_assert_eq!(&again, &pdu);
        let parts = pdu.encode_parts(digests);
        prop_assert_eq!(parts.slices().concat(), wire);
    }

    /// Any 48 bytes decode for every opcode (named or not) and encode back
    /// to the same bytes; only the two length fields are recomputed.
    #[test]
    fn arbitrary_bhs_reencodes(bhs_vec in proptest::collection::vec(any::<u8>(), BHS_LEN)) {
        let mut bhs = [0u8; BHS_LEN];
        bhs.copy_from_slice(&bhs_vec);
        let raw = RawPdu { bhs, ahs: Bytes::new(), data: Bytes::new(), padding: Bytes::new() };
        let pdu = Pdu::decode(&raw).expect("no AHS, so every opcode decodes");
        let back = pdu.to_raw();
        let mut expected = bhs;
        if !matches!(pdu, Pdu::Unknown(_)) {
            expected[4..8].fill(0);
        }
        prop_assert_eq!(back.bhs, expected);
        prop_assert_eq!(Pdu::decode(&back).unwrap(), pdu.clone());
        // The dump never panics and names the opcode.
        prop_assert!(pdu.dump().starts_with("opcode"));
    }
}

#[test]
fn every_named_opcode_decodes_to_its_variant() {
    for &opcode in Opcode::NAMED {
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = opcode.raw();
        let pdu = Pdu::decode(&RawPdu::new(bhs, Bytes::new(), Bytes::new())).unwrap();
        assert_eq!(pdu.opcode(), opcode);
        assert!(!matches!(pdu, Pdu::Unknown(_)), "{opcode}");
    }
}

//! Property tests of the stream decoder: never panics, and yields the same
//! frames and errors whatever the split of the byte stream.

use bytes::Bytes;
use proptest::prelude::*;
use rtgt_proto::pdu::{DecodeError, DecoderConfig, Digests, RawPdu, StreamDecoder, BHS_LEN};

fn config() -> impl Strategy<Value = DecoderConfig> {
    (any::<bool>(), any::<bool>(), 0u32..600).prop_map(|(header, data, max)| DecoderConfig {
        digests: Digests { header, data },
        max_data_segment_length: max,
    })
}

fn frame() -> impl Strategy<Value = RawPdu> {
    (
        any::<[u8; 32]>(),
        0u8..0x40,
        proptest::collection::vec(any::<u8>(), 0..700),
        0u8..3,
    )
        .prop_map(|(seed, opcode, data, ahs_words)| {
            let mut bhs = [0u8; BHS_LEN];
            bhs[..32].copy_from_slice(&seed);
            bhs[0] = opcode;
            RawPdu::new(
                bhs,
                Bytes::from(vec![0xa5u8; usize::from(ahs_words) * 4]),
                Bytes::from(data),
            )
        })
}

/// Feeds `wire` cut at `cuts` (positions, any order), draining after each
/// chunk.
fn run(config: DecoderConfig, wire: &[u8], cuts: &[usize]) -> Vec<Result<RawPdu, DecodeError>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    points.push(0);
    points.push(wire.len());
    points.sort_unstable();
    let mut dec = StreamDecoder::new(config);
    let mut out = Vec::new();
    for pair in points.windows(2) {
        dec.feed(&wire[pair[0]..pair[1]]);
        while let Some(item) = dec.next_frame() {
            out.push(item);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Valid frames come out whole and equal for every split.
    #[test]
    fn same_frames_for_any_split(
        frames in proptest::collection::vec(frame(), 1..5),
        digests in (any::<bool>(), any::<bool>()),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let digests = Digests { header: digests.0, data: digests.1 };
        let config = DecoderConfig { digests, max_data_segment_length: 1 << 12 };
        let wire: Vec<u8> = frames.iter().flat_map(|f| f.encode(digests)).collect();
        let whole = run(config, &wire, &[]);
        let split = run(config, &wire, &cuts);
        let expected: Vec<_> = frames.into_iter().map(Ok).collect();
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(split, expected);
    }

    /// Arbitrary bytes under any configuration: no panic, and the same
    /// output for every split.
    #[test]
    fn arbitrary_bytes_any_split(
        config in config(),
        wire in proptest::collection::vec(any::<u8>(), 0..2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let whole = run(config, &wire, &[]);
        let split = run(config, &wire, &cuts);
        prop_assert_eq!(&whole, &split);
        for frame in whole.into_iter().flatten() {
            prop_assert!(frame.data.len() <= config.max_data_segment_length as usize);
        }
    }

    /// Frames with too-long data segments are skipped and later frames still
    /// come out, for any split.
    #[test]
    fn oversized_frames_skip_cleanly(
        frames in proptest::collection::vec(frame(), 1..5),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        max in 0u32..700,
    ) {
        let config = DecoderConfig { digests: Digests::BOTH, max_data_segment_length: max };
        let wire: Vec<u8> = frames.iter().flat_map(|f| f.encode(Digests::BOTH)).collect();
        let out = run(config, &wire, &cuts);
        prop_assert_eq!(out.len(), frames.len());
        for (item, frame) in out.iter().zip(&frames) {
            match item {
                Ok(got) => prop_assert_eq!(got, frame),
                Err(DecodeError::DataSegmentTooLong { length, .. }) => {
                    prop_assert_eq!(*length as usize, frame.data.len());
                    prop_assert!(*length > max);
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}

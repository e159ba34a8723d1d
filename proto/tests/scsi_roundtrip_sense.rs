//! Property tests: status, sense keys, ASC names and sense data round trips.

use proptest::collection::vec;
use proptest::prelude::*;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::sense::{RawDescriptor, Sense, SenseFormat, SenseKeySpecific};
use rtgt_proto::scsi::status::Status;

fn sks(key: u8) -> impl Strategy<Value = Option<SenseKeySpecific>> {
    proptest::option::of(any::<[u8; 3]>()).prop_map(move |b| {
        b.and_then(|[a, b, c]| SenseKeySpecific::decode(SenseKey(key), [a | 0x80, b, c]))
    })
}

/// The fields both sense formats carry: key, ASC/ASCQ, sense-key specific
/// bytes, FRU and the four flags; the format-specific fields are empty.
fn common_sense(format: SenseFormat) -> impl Strategy<Value = Sense> {
    (0u8..16, any::<(bool, u8, u8, u8)>())
        .prop_flat_map(|(key, rest)| (Just(key), Just(rest), sks(key), any::<[bool; 4]>()))
        .prop_map(move |(key, (deferred, asc, ascq, fru), sks, f)| Sense {
            format,
            deferred,
            key: SenseKey(key),
            asc: AscAscq::new(asc, ascq),
            information: None,
            command_specific: None,
            sks,
            fru,
            filemark: f[0],
            eom: f[1],
            ili: f[2],
            sdat_ovfl: f[3],
            obsolete: 0,
            additional_bytes: Vec::new(),
            other_descriptors: Vec::new(),
        })
}

fn fixed_sense() -> impl Strategy<Value = Sense> {
    (
        common_sense(SenseFormat::Fixed),
        any::<u8>(),
        proptest::option::of(any::<u32>()),
        proptest::option::of(1u32..),
        vec(any::<u8>(), 0..40),
    )
        .prop_map(|(s, obsolete, info, csi, extra)| Sense {
            information: info.map(u64::from),
            command_specific: csi.map(u64::from),
            obsolete,
            additional_bytes: extra,
            ..s
        })
}

fn descriptor_sense() -> impl Strategy<Value = Sense> {
    (
        common_sense(SenseFormat::Descriptor),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
        vec((6u8.., vec(any::<u8>(), 0..24)), 0..5),
    )
        .prop_map(|(s, info, csi, raw)| Sense {
            information: info,
            command_specific: csi,
            other_descriptors: raw
                .into_iter()
                .map(|(descriptor_type, data)| RawDescriptor {
                    descriptor_type,
                    data,
                })
                .collect(),
            ..s
        })
}

proptest! {
    #[test]
    fn status_bytes_survive(b in any::<u8>()) {
        let s = Status::from_byte(b);
        prop_assert_eq!(s.to_byte(), b);
        prop_assert_eq!(s.is_known(), s.name().is_some());
    }

    #[test]
    fn asc_display_never_panics(asc in any::<u8>(), ascq in any::<u8>(), key in any::<u8>()) {
        let a = AscAscq::new(asc, ascq);
        let prefix = format!("{asc:02x}/{ascq:02x}");
        prop_assert!(a.to_string().starts_with(&prefix));
        prop_assert!(!SenseKey(key).name().is_empty());
    }

    #[test]
    fn fixed_sense_round_trips(s in fixed_sense()) {
        let b = s.encode();
        prop_assert_eq!(b.len(), 18 + s.additional_bytes.len());
        let d = Sense::decode(&b).unwrap();
        prop_assert!(!d.is_truncated());
        prop_assert_eq!(d.value, s);
    }

    #[test]
    fn descriptor_sense_round_trips(s in descriptor_sense()) {
        let b = s.encode();
        let d = Sense::decode(&b).unwrap();
        prop_assert!(!d.is_truncated());
        prop_assert_eq!(d.value, s);
    }

    #[test]
    fn truncated_sense_reports_truncation(s in descriptor_sense(), cut in 8usize..64) {
        let b = s.encode();
        let cut = cut.min(b.len());
        let d = Sense::decode(&b[..cut]).unwrap();
        prop_assert_eq!(d.is_truncated(), cut < b.len());
        prop_assert_eq!((d.value.key, d.value.asc), (s.key, s.asc));
    }

    #[test]
    fn either_format_reads_the_same_key_and_code(s in fixed_sense(), d_sense in any::<bool>()) {
        let b = s.encode_for(d_sense);
        let d = Sense::decode(&b).unwrap().value;
        prop_assert_eq!((d.key, d.asc, d.sks, d.information), (s.key, s.asc, s.sks, s.information));
    }
}

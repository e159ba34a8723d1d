//! Every SCSI data decoder is total: arbitrary bytes give a value or an
//! error, never a panic, and a decoded value re-encodes without panicking.

use proptest::collection::vec;
use proptest::prelude::*;
use rtgt_proto::scsi::mode::{HeaderKind, ModePage, ModeParameters};
use rtgt_proto::scsi::params::*;
use rtgt_proto::scsi::sense::{Sense, SenseKeySpecific};
use rtgt_proto::scsi::vpd::Vpd;

/// Biases the first bytes towards the values the decoders branch on.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..300),
        (
            prop_oneof![Just(0x70u8), Just(0x71), Just(0x72), Just(0x73)],
            vec(any::<u8>(), 0..300)
        )
            .prop_map(|(c, mut v)| {
                v.insert(0, c);
                v
            }),
        (
            prop_oneof![
                Just(0x00u8),
                Just(0x80),
                Just(0x83),
                Just(0x86),
                Just(0xb0),
                Just(0xb1),
                Just(0xb2)
            ],
            vec(any::<u8>(), 0..300)
        )
            .prop_map(|(page, mut v)| {
                v.splice(0..0, [0, page]);
                v
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn sense_and_pages_never_panic(b in input()) {
        if let Ok(d) = Sense::decode(&b) {
            prop_assert!(d.available <= d.declared);
            let _ = d.value.encode_for(true);
            let _ = d.value.encode_for(false);
        }
        if let Ok(d) = Vpd::decode(&b) {
            let again = Vpd::decode(&d.value.encode());
            prop_assert!(again.is_ok());
        }
        for kind in [HeaderKind::Six, HeaderKind::Ten] {
            if let Ok(d) = ModeParameters::decode(&b, kind) {
                let _ = d.value.encode(kind);
            }
            let _ = ModeParameters::decode_select(&b, kind);
        }
        let _ = ModePage::decode_list(&b, false);
        let _ = ModePage::decode_list(&b, true);
        if let [k, x, y, z, ..] = b[..] {
            let _ = SenseKeySpecific::decode(rtgt_proto::scsi::asc::SenseKey(k), [x, y, z]);
        }
    }

    #[test]
    fn parameter_data_never_panics(b in vec(any::<u8>(), 0..400)) {
        if let Ok(d) = StandardInquiry::decode(&b) { let _ = d.value.encode(); }
        let _ = ReadCapacity10::decode(&b);
        let _ = ReadCapacity16::decode(&b);
        if let Ok(d) = ReportLuns::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = UnmapList::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = LbaStatus::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = ReadKeys::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = ReadReservation::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = ReportCapabilities::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = ReadFullStatus::decode(&b) { let _ = d.value.encode(); }
        if let Ok(p) = PrOutBasic::decode(&b) { let _ = p.encode(); }
        if let Ok(p) = PrOutRegisterAndMove::decode(&b) { let _ = p.encode(); }
        if let Ok(t) = TransportId::decode(&b) { let _ = t.encode(); }
        let _ = TransportId::decode_list(&b);
        if let Ok(d) = SupportedOpcodes::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = OneCommand::decode(&b) { let _ = d.value.encode(); }
        if let Ok(d) = SupportedTmfs::decode(&b) { let _ = d.value.encode(); }
        for ext in [false, true] {
            if let Ok(d) = TargetPortGroups::decode(&b, ext) { let _ = d.value.encode(); }
        }
        if let Ok(x) = ExtendedCopy::decode(&b) {
            prop_assert_eq!(ExtendedCopy::decode(&x.encode()), Ok(x));
        }
        if let Ok(d) = CopyOperatingParameters::decode(&b) { let _ = d.value.encode(); }
    }

    #[test]
    fn huge_length_fields_do_not_allocate(len in (u32::MAX - 64)..=u32::MAX, tail in vec(any::<u8>(), 0..64)) {
        let mut b = len.to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&tail);
        if let Ok(d) = ReportLuns::decode(&b) {
            prop_assert!(d.value.luns.len() <= 8);
            prop_assert!(d.is_truncated());
        }
        if let Ok(d) = SupportedOpcodes::decode(&b) {
            prop_assert!(d.is_truncated());
        }
    }
}

//! Byte-level properties of CDB decoding: total on any input, and decode then
//! encode reproduces the bytes exactly, reserved bits included.

use proptest::prelude::*;
use rtgt_proto::scsi::cdb::{Cdb, CdbError, OPERATIONS};

/// A CDB of the right length for one table entry, every other bit random.
fn table_cdb() -> impl Strategy<Value = Vec<u8>> {
    (
        0..OPERATIONS.len(),
        proptest::collection::vec(any::<u8>(), 16),
    )
        .prop_map(|(i, mut b)| {
            let o = OPERATIONS[i];
            b.truncate(usize::from(o.cdb_len));
            b[0] = o.opcode;
            if let Some(sa) = o.service_action {
                b[1] = (b[1] & 0xe0) | sa;
            }
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn every_command_reproduces_its_bytes(b in table_cdb()) {
        let c = Cdb::decode(&b);
        prop_assert!(c.is_ok(), "{:x?}: {:?}", b, c);
        let c = c.unwrap();
        prop_assert_eq!(c.encode(), b.clone());
        // Padding to the 16-byte iSCSI CDB field changes nothing.
        let mut padded = b.clone();
        padded.resize(16, 0xa5);
        prop_assert_eq!(Cdb::decode(&padded), Ok(c));
    }

    #[test]
    fn decode_is_total(b in proptest::collection::vec(any::<u8>(), 0..48)) {
        match Cdb::decode(&b) {
            Ok(c) => {
                let e = c.encode();
                prop_assert_eq!(&b[..e.len()], &e[..]);
                let _ = (c.name(), c.block_io(), c.reserved_violation(), c.field_values());
            }
            Err(e) => {
                let _ = e.answer();
                prop_assert!(!e.to_string().is_empty());
            }
        }
        match Cdb::decode_or_unknown(&b) {
            Ok(c) => {
                let e = c.encode();
                prop_assert_eq!(&b[..e.len()], &e[..]);
            }
            Err(e) => {
                let unknown = matches!(e, CdbError::InvalidOpcode { .. });
                prop_assert!(!unknown, "{:?}", e);
            }
        }
    }

    #[test]
    fn short_cdbs_are_truncated_not_panics(b in table_cdb(), cut in 1usize..16) {
        let cut = cut.min(b.len() - 1);
        let e = Cdb::decode(&b[..cut]);
        prop_assert_eq!(
            e,
            Err(CdbError::Truncated { opcode: b[0], needed: b.len(), got: cut })
        );
    }
}

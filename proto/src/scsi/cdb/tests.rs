//! Typed round trips for every command (encode then decode is the identity)
//! and the error cases of [`Cdb::decode`].

use super::*;
use proptest::prelude::*;

macro_rules! typed_round_trips {
    ($( $t:ident ),* $(,)?) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            $(
                #[test]
                #[allow(non_snake_case)]
                fn $t(c in $t::strategy()) {
                    let bytes = c.encode();
                    prop_assert_eq!(bytes.len(), $t::LEN);
                    prop_assert_eq!($t::decode(&bytes), Ok(c));
                    // Through the enum too, unless a reserved service action
                    // makes the dispatcher refuse it.
                    match Cdb::decode(&bytes) {
                        Ok(d) => {
                            prop_assert_eq!(&d, &Cdb::from(c));
                            prop_assert_eq!(d.encode(), bytes.to_vec());
                        }
                        Err(e) => prop_assert!(
                            matches!(e, CdbError::InvalidServiceAction { .. }),
                            "{:?}", e
                        ),
                    }
                }
            )*
        }
    };
}

for_each_cdb!(typed_round_trips);

#[test]
fn fields_cover_every_bit_once() {
    // Each layout accounts for bytes 1 to LEN-1 exactly (byte 1 bits 4-0 are
    // the selecting service action where there is one).
    fn check(name: &str, len: usize, sa: Option<u8>, fields: &[FieldInfo]) {
        let mut seen = vec![0u8; len];
        seen[0] = 0xff;
        if sa.is_some() {
            seen[1] = 0x1f;
        }
        for f in fields {
            for bit in f.shift..f.shift + f.width {
                let byte = f.byte + f.nbytes - 1 - (bit / 8) as usize;
                let m = 1u8 << (bit % 8);
                assert_eq!(seen[byte] & m, 0, "{name}.{} overlaps byte {byte}", f.name);
                seen[byte] |= m;
            }
        }
        assert!(
            seen.iter().all(|&b| b == 0xff),
            "{name} leaves bits undescribed: {seen:x?}"
        );
    }
    macro_rules! all {
        ($( $t:ident ),*) => { $( check(stringify!($t), $t::LEN, $t::SERVICE_ACTION, $t::FIELDS); )* };
    }
    for_each_cdb!(all);
}

#[test]
fn every_table_entry_decodes() {
    for o in OPERATIONS {
        let mut b = vec![0u8; usize::from(o.cdb_len)];
        b[0] = o.opcode;
        b[1] = o.service_action.unwrap_or(0);
        let c = Cdb::decode(&b).unwrap_or_else(|e| panic!("{}: {e}", o.name));
        assert_eq!(c.name(), o.name);
        assert_eq!(c.encode(), b);
        assert_eq!(c.opcode(), o.opcode);
        assert_eq!(c.service_action(), o.service_action);
    }
}

#[test]
fn errors() {
    assert_eq!(Cdb::decode(&[]), Err(CdbError::Empty));
    assert_eq!(
        Cdb::decode(&[0x7f; 32]),
        Err(CdbError::InvalidOpcode { opcode: 0x7f })
    );
    assert_eq!(
        Cdb::decode(&[0xc0; 16]),
        Err(CdbError::InvalidOpcode { opcode: 0xc0 })
    );
    // READ (10) given as six bytes.
    let e = Cdb::decode(&[0x28, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(
        e,
        CdbError::Truncated {
            opcode: 0x28,
            needed: 10,
            got: 6
        }
    );
    assert_eq!(e.answer(), CdbAnswer::InvalidField(FieldPointer::byte(0)));
    // SERVICE ACTION IN (16) with an unknown service action, and short.
    let mut b = [0u8; 16];
    b[0] = 0x9e;
    b[1] = 0x11;
    let e = Cdb::decode(&b).unwrap_err();
    assert_eq!(
        e,
        CdbError::InvalidServiceAction {
            opcode: 0x9e,
            service_action: 0x11
        }
    );
    assert_eq!(e.answer(), CdbAnswer::InvalidField(FieldPointer::bit(1, 4)));
    assert_eq!(
        Cdb::decode(&b[..2]),
        Err(CdbError::Truncated {
            opcode: 0x9e,
            needed: 16,
            got: 2
        })
    );
    // MAINTENANCE IN service action 0x05 (REPORT IDENTIFYING INFORMATION) is not served.
    let e = Cdb::decode(&[0xa3, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(e.answer().asc_ascq(), (0x24, 0x00));
    // Reserved service actions of PR IN, PR OUT, SANITIZE, RECEIVE COPY RESULTS.
    for b in [
        &[0x5e, 0x04, 0, 0, 0, 0, 0, 0, 0, 0][..],
        &[0x5f, 0x09, 0, 0, 0, 0, 0, 0, 0, 0][..],
        &[0x48, 0x00, 0, 0, 0, 0, 0, 0, 0, 0][..],
        &[0x84, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..],
        &[0x83, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..],
    ] {
        let e = Cdb::decode(b).unwrap_err();
        assert!(
            matches!(e, CdbError::InvalidServiceAction { .. }),
            "{b:x?}: {e:?}"
        );
    }
    // The per-command decoder keeps what the dispatcher refuses.
    let p = PersistentReserveIn::decode(&[0x5e, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(p.service_action, PrInAction::Reserved(4));
    assert_eq!(
        Read10::decode(&[0x2a, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(CdbError::InvalidOpcode { opcode: 0x2a })
    );
}

#[test]
fn unknown_keeps_bytes() {
    let b = [0xc5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    let c = Cdb::decode_or_unknown(&b).unwrap();
    assert_eq!(
        c,
        Cdb::Unknown {
            opcode: 0xc5,
            bytes: b[1..].to_vec()
        }
    );
    assert_eq!(c.encode(), b);
    assert_eq!(c.name(), "UNKNOWN");
    // A group 0 opcode keeps six bytes of a padded 16-byte CDB field.
    let c = Cdb::decode_or_unknown(&[0x01, 1, 2, 3, 4, 5, 0, 0, 0]).unwrap();
    assert_eq!(c.encode(), [0x01, 1, 2, 3, 4, 5]);
    assert_eq!(Cdb::decode_or_unknown(&[]), Err(CdbError::Empty));
}

#[test]
fn control_and_reserved_through_the_enum() {
    let c = Cdb::decode(&[0x00, 0, 0, 0, 0, 0x05]).unwrap();
    let ctl = c.control().unwrap();
    assert!(ctl.naca && ctl.link && !ctl.flag);
    assert_eq!(c.reserved_violation(), None);
    let c = Cdb::decode(&[0x12, 0x04, 0, 0, 36, 0]).unwrap();
    assert_eq!(c.reserved_violation(), Some(FieldPointer::bit(1, 7)));
    assert_eq!(Control::from_byte(0xff).to_byte(), 0xff);
}

//! NOP-Out (RFC 7143 §11.18) and NOP-In (RFC 7143 §11.19).

use bytes::Bytes;

use super::bhs::{Lun, ITT_RESERVED, TTT_RESERVED};
use super::layout::pdu;

pdu! {
    /// NOP-Out (opcode 0x00, RFC 7143 §11.18): a ping from the initiator, or
    /// the answer to a target's NOP-In.
    pub struct NopOut {
        /// I bit: immediate delivery.
        pub immediate: bool => immediate,
        /// Reserved bit 7 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN (§11.18.2: meaningful when answering a NOP-In with a valid TTT).
        pub lun: Lun => lun,
        /// Initiator Task Tag; 0xffffffff when no NOP-In answer is wanted
        /// (§11.18.1).
        pub itt: u32 = ITT_RESERVED => itt,
        /// Target Transfer Tag: copied from the NOP-In being answered, else
        /// 0xffffffff (§11.18.2).
        pub ttt: u32 = TTT_RESERVED => ttt,
        ..initiator_sns,
        /// Bytes 32-47, reserved.
        pub reserved32: [u8; 16] => reserved(32),
        /// Ping data (§11.18.3), echoed by the target.
        pub data: Bytes => data,
    }
}

pdu! {
    /// NOP-In (opcode 0x20, RFC 7143 §11.19): the target's answer to a
    /// NOP-Out, or its own ping.
    pub struct NopIn {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN (§11.19.2: meaningful with a valid TTT).
        pub lun: Lun => lun,
        /// Initiator Task Tag: the NOP-Out's ITT, or 0xffffffff for a ping from
        /// the target (§11.19.1).
        pub itt: u32 = ITT_RESERVED => itt,
        /// Target Transfer Tag: 0xffffffff unless the target wants a NOP-Out
        /// back (§11.19.2).
        pub ttt: u32 = TTT_RESERVED => ttt,
        ..target_sns,
        /// Bytes 36-47, reserved.
        pub reserved36: [u8; 12] => reserved(36),
        /// Ping data, echoed from the NOP-Out (§11.19.3).
        pub data: Bytes => data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::bhs::be32;
    use super::super::pdu_enum::Codec;
    use super::super::{Digests, Pdu, RawPdu};
    use super::*;

    #[test]
    fn nonzero_reserved_fields_are_named_by_their_bytes() {
        let mut n = NopIn {
            reserved_flags: 0x01,
            ..NopIn::default()
        };
        n.reserved36[11] = 0xaa;
        let mut expected36 = vec![0; 12];
        expected36[11] = 0xaa;
        assert_eq!(
            Pdu::NopIn(n).nonzero_reserved(),
            [
                ("byte 1".to_owned(), vec![0x01]),
                ("bytes 36-47".to_owned(), expected36)
            ]
        );
        assert!(Pdu::NopIn(NopIn::default()).nonzero_reserved().is_empty());
    }

    #[test]
    fn nop_out_ping_bytes() {
        let ping = NopOut {
            immediate: true,
            itt: 0x10,
            cmd_sn: 5,
            exp_stat_sn: 9,
            data: Bytes::from_static(b"ping"),
            ..NopOut::default()
        };
        let wire = Pdu::from(ping.clone()).encode(Digests::NONE);
        assert_eq!(&wire[..8], &[0x40, 0x80, 0, 0, 0, 0, 0, 4]);
        assert_eq!(&wire[16..24], &[0, 0, 0, 0x10, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&wire[48..], b"ping");
        let (raw, _) = RawPdu::parse(&Bytes::from(wire), Digests::NONE).unwrap();
        assert_eq!(Pdu::decode(&raw), Ok(Pdu::NopOut(ping)));
    }

    #[test]
    fn nop_in_defaults() {
        let nop = NopIn::default();
        let b = nop.to_bhs();
        assert_eq!(b[0], 0x20);
        assert_eq!(b[1], 0x80);
        assert_eq!(be32(&b, 16), ITT_RESERVED);
        assert_eq!(NopIn::from_bhs(&b, Bytes::new()), nop);
    }
}

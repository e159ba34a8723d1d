//! Extended INQUIRY Data VPD page (86h, SPC-5 §7.7.7), page length 3Ch.
//!
//! The page is a field of flags, many added revision by revision; it is
//! kept as its 60 body bytes, with accessors for the fields a disk target
//! and its initiators use, so no bit is ever lost.

use crate::scsi::accessors::{bits, flag, int};
use crate::scsi::params::wire::{arr_at, u16_at};

/// The 60 bytes after the page header (page bytes 4-63).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedInquiry {
    pub body: [u8; 60],
}

impl Default for ExtendedInquiry {
    fn default() -> Self {
        ExtendedInquiry { body: [0; 60] }
    }
}

impl ExtendedInquiry {
    /// Bytes before `body`: the page header.
    const HEADER: usize = 4;

    bits!(
        /// SPT: supported protection types (page byte 4 bits 5-3).
        spt, with_spt, 4, 3, 3);
    /// ACTIVATE MICROCODE (page byte 4 bits 7-6).
    pub fn activate_microcode(&self) -> u8 {
        self.body[0] >> 6
    }
    flag!(grd_chk, with_grd_chk, 4, 2);
    flag!(app_chk, with_app_chk, 4, 1);
    flag!(ref_chk, with_ref_chk, 4, 0);
    flag!(uask_sup, with_uask_sup, 5, 5);
    flag!(group_sup, with_group_sup, 5, 4);
    flag!(prior_sup, with_prior_sup, 5, 3);
    flag!(
        /// HEADSUP: HEAD OF QUEUE task attribute supported.
        headsup, with_headsup, 5, 2);
    flag!(
        /// ORDSUP: ORDERED task attribute supported.
        ordsup, with_ordsup, 5, 1);
    flag!(
        /// SIMPSUP: SIMPLE task attribute supported.
        simpsup, with_simpsup, 5, 0);
    flag!(wu_sup, with_wu_sup, 6, 3);
    flag!(crd_sup, with_crd_sup, 6, 2);
    flag!(
        /// NV_SUP: a non-volatile cache is present.
        nv_sup, with_nv_sup, 6, 1);
    flag!(
        /// V_SUP: a volatile cache is present.
        v_sup, with_v_sup, 6, 0);
    flag!(p_i_i_sup, with_p_i_i_sup, 7, 4);
    flag!(luiclr, with_luiclr, 7, 0);
    flag!(r_sup, with_r_sup, 8, 4);
    flag!(cbcs, with_cbcs, 8, 0);

    /// EXTENDED SELF-TEST COMPLETION MINUTES (page bytes 10-11).
    pub fn extended_self_test_minutes(&self) -> u16 {
        u16_at(&self.body, 6)
    }
    int!(
        /// MAXIMUM SUPPORTED SENSE DATA LENGTH (page byte 13).
        max_sense_length, with_max_sense_length, u8, 13, 1);

    pub(super) fn encode_body(&self) -> Vec<u8> {
        self.body.to_vec()
    }

    pub(super) fn decode_body(b: &[u8]) -> Self {
        ExtendedInquiry { body: arr_at(b, 0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_land_on_their_bits() {
        let e = ExtendedInquiry::default()
            .with_headsup(true)
            .with_ordsup(true)
            .with_simpsup(true)
            .with_v_sup(true)
            .with_spt(1)
            .with_grd_chk(true);
        assert_eq!(e.body[0], 0x0c);
        assert_eq!(e.body[1], 0x07);
        assert_eq!(e.body[2], 0x01);
        assert!(e.simpsup() && !e.nv_sup() && e.spt() == 1);
        let d = ExtendedInquiry::decode_body(&e.encode_body());
        assert_eq!(d, e);
        assert_eq!(e.with_simpsup(false).body[1], 0x06);
    }
}

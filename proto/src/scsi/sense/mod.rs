//! Sense data (SPC-5 §4.4): fixed format (response codes 70h/71h) and
//! descriptor format (72h/73h), read into and written from one typed view.
//!
//! The target builds a [`Sense`] with the builder methods and encodes it in
//! the format the D_SENSE bit of the Control mode page asks for
//! ([`Sense::encode_for`]); the initiator decodes either format with
//! [`Sense::decode`] and reads the same fields.

mod descriptor;
mod fixed;
mod sks;

pub use descriptor::RawDescriptor;
pub use sks::SenseKeySpecific;

use crate::scsi::asc::{AscAscq, SenseKey};
use crate::scsi::params::{Decoded, ParamError};

/// Which of the two sense data formats (SPC-5 §4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SenseFormat {
    /// Response codes 70h (current) and 71h (deferred).
    #[default]
    Fixed,
    /// Response codes 72h (current) and 73h (deferred).
    Descriptor,
}

/// Sense data, in either format.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sense {
    /// The format this sense was decoded from, or will be encoded in by
    /// [`Sense::encode`].
    pub format: SenseFormat,
    /// Deferred error (71h/73h) rather than current (70h/72h).
    pub deferred: bool,
    pub key: SenseKey,
    pub asc: AscAscq,
    /// INFORMATION, present when VALID is set (fixed) or an Information
    /// descriptor with VALID set is present (descriptor format).
    pub information: Option<u64>,
    /// COMMAND-SPECIFIC INFORMATION (fixed: zero means absent; descriptor:
    /// the Command-specific information descriptor).
    pub command_specific: Option<u64>,
    /// The sense-key specific field when SKSV is set.
    pub sks: Option<SenseKeySpecific>,
    /// FIELD REPLACEABLE UNIT CODE (zero means none).
    pub fru: u8,
    /// FILEMARK, EOM, ILI (fixed byte 2; Stream or Block commands descriptors).
    pub filemark: bool,
    pub eom: bool,
    pub ili: bool,
    /// SDAT_OVFL: the sense data did not fit the device's sense buffer.
    pub sdat_ovfl: bool,
    /// Fixed format: byte 1 (obsolete), kept for round trips.
    pub obsolete: u8,
    /// Fixed format: ADDITIONAL SENSE BYTES after byte 17.
    pub additional_bytes: Vec<u8>,
    /// Descriptor format: descriptors without a typed field, in order.
    pub other_descriptors: Vec<RawDescriptor>,
}

impl Default for SenseKey {
    fn default() -> Self {
        SenseKey::NO_SENSE
    }
}

impl Sense {
    /// Current sense data with the given key and additional sense code.
    pub fn new(key: SenseKey, asc: impl Into<AscAscq>) -> Self {
        Sense {
            key,
            asc: asc.into(),
            ..Sense::default()
        }
    }

    /// ILLEGAL REQUEST / INVALID FIELD IN CDB pointing at `byte` (and `bit`).
    pub fn invalid_field_in_cdb(byte: u16, bit: Option<u8>) -> Self {
        Sense::new(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB)
            .with_field_pointer(true, byte, bit)
    }

    /// ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST pointing at `byte`.
    pub fn invalid_field_in_parameter_list(byte: u16, bit: Option<u8>) -> Self {
        Sense::new(
            SenseKey::ILLEGAL_REQUEST,
            AscAscq::INVALID_FIELD_IN_PARAMETER_LIST,
        )
        .with_field_pointer(false, byte, bit)
    }

    /// Sets the format [`Sense::encode`] uses.
    pub fn with_format(mut self, format: SenseFormat) -> Self {
        self.format = format;
        self
    }

    /// Marks the sense as a deferred error.
    pub fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }

    /// Sets INFORMATION (e.g. the first LBA in error, SBC-4 §4.18).
    pub fn with_information(mut self, info: u64) -> Self {
        self.information = Some(info);
        self
    }

    /// Sets COMMAND-SPECIFIC INFORMATION.
    pub fn with_command_specific(mut self, csi: u64) -> Self {
        self.command_specific = Some(csi);
        self
    }

    /// Sets a field pointer (SPC-5 §4.4.2.4.2): `cdb` is the C/D bit.
    pub fn with_field_pointer(mut self, cdb: bool, byte: u16, bit: Option<u8>) -> Self {
        self.sks = Some(SenseKeySpecific::FieldPointer {
            cdb,
            bit_pointer: bit,
            field_pointer: byte,
        });
        self
    }

    /// Sets a progress indication (SPC-5 §4.4.2.4.4).
    pub fn with_progress(mut self, progress: u16) -> Self {
        self.sks = Some(SenseKeySpecific::Progress(progress));
        self
    }

    /// Sets any sense-key specific value.
    pub fn with_sks(mut self, sks: SenseKeySpecific) -> Self {
        self.sks = Some(sks);
        self
    }

    /// Sets the FIELD REPLACEABLE UNIT CODE.
    pub fn with_fru(mut self, fru: u8) -> Self {
        self.fru = fru;
        self
    }

    /// Sets ILI (incorrect length indicator).
    pub fn with_ili(mut self) -> Self {
        self.ili = true;
        self
    }

    /// Encodes in [`Sense::format`].
    pub fn encode(&self) -> Vec<u8> {
        match self.format {
            SenseFormat::Fixed => fixed::encode(self),
            SenseFormat::Descriptor => descriptor::encode(self),
        }
    }

    /// Encodes as the Control mode page's D_SENSE bit asks (SPC-5 §7.5.8):
    /// descriptor format when set, fixed format when clear.
    pub fn encode_for(&self, d_sense: bool) -> Vec<u8> {
        if d_sense {
            descriptor::encode(self)
        } else {
            fixed::encode(self)
        }
    }

    /// Decodes sense data of either format.
    ///
    /// SPC-5 §4.4.1: the RESPONSE CODE selects the format; 7Fh (vendor
    /// specific) and anything else is refused. The data may be truncated by
    /// the allocation length or the sense buffer; fields past the end read as
    /// zero and the truncation is reported.
    pub fn decode(buf: &[u8]) -> Result<Decoded<Sense>, ParamError> {
        let code = buf.first().ok_or(ParamError::Short {
            what: "sense data",
            need: 1,
            have: 0,
        })? & 0x7f;
        match code {
            0x70 | 0x71 => fixed::decode(buf, code == 0x71),
            0x72 | 0x73 => descriptor::decode(buf, code == 0x73),
            other => Err(ParamError::BadValue {
                what: "sense response code",
                value: u64::from(other),
            }),
        }
    }

    /// The RESPONSE CODE this sense encodes with (SPC-5 table 43).
    pub fn response_code(&self) -> u8 {
        match (self.format, self.deferred) {
            (SenseFormat::Fixed, false) => 0x70,
            (SenseFormat::Fixed, true) => 0x71,
            (SenseFormat::Descriptor, false) => 0x72,
            (SenseFormat::Descriptor, true) => 0x73,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_both_formats_read_back_the_same() {
        let s = Sense::new(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB)
            .with_field_pointer(true, 2, Some(1))
            .with_information(0x1234);
        for d_sense in [false, true] {
            let bytes = s.encode_for(d_sense);
            let back = Sense::decode(&bytes).unwrap();
            assert!(!back.is_truncated());
            let mut want = s.clone();
            want.format = if d_sense {
                SenseFormat::Descriptor
            } else {
                SenseFormat::Fixed
            };
            assert_eq!(back.value, want);
        }
    }

    #[test]
    fn refuses_unknown_response_codes() {
        assert!(matches!(
            Sense::decode(&[0x7f; 18]),
            Err(ParamError::BadValue { .. })
        ));
        assert!(matches!(Sense::decode(&[]), Err(ParamError::Short { .. })));
    }
}

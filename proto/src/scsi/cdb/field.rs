//! Bit-field plumbing shared by every CDB layout: where a field sits, how its
//! raw bits become a typed value and back, and the CONTROL byte.
//!
//! Every CDB struct in this module is declared with [`cdb_struct!`], which
//! lists each field of the standard's table as `(byte, bytes, shift, width)`:
//! the field is the big-endian integer in `bytes` bytes starting at `byte`,
//! shifted right by `shift` and masked to `width` bits. Reserved and obsolete
//! bits are fields like any other, so decode followed by encode gives back the
//! exact bytes.

use super::error::FieldPointer;

/// Where one field of a CDB sits, for dumps, for REPORT SUPPORTED OPERATION
/// CODES usage data, and for finding reserved bits that are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// Field name, as the Rust field is named.
    pub name: &'static str,
    /// First byte of the big-endian integer holding the field.
    pub byte: usize,
    /// Number of bytes of that integer (1 to 8).
    pub nbytes: usize,
    /// Bit position of the field's least significant bit inside that integer.
    pub shift: u32,
    /// Width of the field in bits.
    pub width: u32,
    /// The standard marks the field reserved: a device server that checks
    /// reserved fields answers INVALID FIELD IN CDB when it is not zero.
    pub reserved: bool,
}

impl FieldInfo {
    /// The sense-key-specific field pointer of this field: its first byte and
    /// its left-most bit (SPC-5 §4.4.2.2: the bit pointer names the most
    /// significant bit of a multi-bit field).
    pub fn pointer(&self) -> FieldPointer {
        let top = self.shift + self.width - 1;
        let byte_in_field = (self.nbytes as u32 - 1).saturating_sub(top / 8);
        FieldPointer {
            byte: (self.byte + byte_in_field as usize) as u16,
            bit: Some((top % 8) as u8),
        }
    }

    /// The raw value of this field in `cdb`; zero where `cdb` is too short.
    pub fn get(&self, cdb: &[u8]) -> u64 {
        get_bits(cdb, self.byte, self.nbytes, self.shift, self.width)
    }
}

/// Mask of the low `width` bits.
pub(crate) const fn mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

fn read_be(b: &[u8], start: usize, n: usize) -> u64 {
    match b.get(start..start + n) {
        Some(s) => s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
        None => 0,
    }
}

/// Reads a field; out-of-range positions read as zero (never panics).
pub(crate) fn get_bits(b: &[u8], start: usize, n: usize, shift: u32, width: u32) -> u64 {
    (read_be(b, start, n) >> shift) & mask(width)
}

/// Writes a field, truncating `value` to `width` bits; out-of-range positions
/// are ignored (never panics).
pub(crate) fn set_bits(b: &mut [u8], start: usize, n: usize, shift: u32, width: u32, value: u64) {
    let m = mask(width) << shift;
    let cur = read_be(b, start, n);
    let new = (cur & !m) | ((value << shift) & m);
    if let Some(s) = b.get_mut(start..start + n) {
        for (i, x) in s.iter_mut().enumerate() {
            *x = (new >> (8 * (n - 1 - i))) as u8;
        }
    }
}

/// The first reserved field of `fields` that is not zero in `cdb`, then the
/// reserved bits of the CONTROL byte (the last byte).
pub(crate) fn first_reserved_set(cdb: &[u8], fields: &[FieldInfo]) -> Option<FieldPointer> {
    fields
        .iter()
        .filter(|f| f.reserved && f.get(cdb) != 0)
        .map(FieldInfo::pointer)
        .next()
        .or_else(|| {
            let last = cdb.len().checked_sub(1)?;
            let c = Control::from_byte(*cdb.get(last)?);
            // SAM-5 and SPC-5 §4.2.5 (CONTROL byte): bits 5 to 3 are reserved.
            (c.reserved != 0).then_some(FieldPointer {
                byte: last as u16,
                bit: Some(5),
            })
        })
}

/// A CDB field's value type: built from the field's raw bits and turned back
/// into them, with no loss for any value that fits the field's width.
pub trait FieldValue: Sized {
    /// Builds the value from the raw bits of the field.
    fn from_raw(raw: u64) -> Self;
    /// The raw bits of the value.
    fn to_raw(&self) -> u64;
}

impl FieldValue for bool {
    fn from_raw(raw: u64) -> Self {
        raw & 1 != 0
    }
    fn to_raw(&self) -> u64 {
        u64::from(*self)
    }
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn from_raw(raw: u64) -> Self {
                // Truncation is the point: the raw value was masked to the
                // field's width, which fits the type chosen for the field.
                raw as $t
            }
            fn to_raw(&self) -> u64 {
                u64::from(*self)
            }
        }
    )*};
}
int_field!(u8, u16, u32, u64);

/// The CONTROL byte, last byte of every fixed-length CDB (SPC-5 §4.2.5, defined
/// by SAM-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Control {
    /// Bits 7-6: vendor specific.
    pub vendor: u8,
    /// Bits 5-3: reserved.
    pub reserved: u8,
    /// Bit 2: NACA (normal ACA). A device that does not support ACA answers
    /// INVALID FIELD IN CDB when it is set (SAM-5, ACA).
    pub naca: bool,
    /// Bit 1: obsolete (once FLAG).
    pub flag: bool,
    /// Bit 0: obsolete (once LINK, linked commands). Targets answer
    /// INVALID FIELD IN CDB when it is set.
    pub link: bool,
}

impl Control {
    /// Splits a CONTROL byte into its fields.
    pub fn from_byte(b: u8) -> Self {
        Control {
            vendor: b >> 6,
            reserved: (b >> 3) & 7,
            naca: b & 4 != 0,
            flag: b & 2 != 0,
            link: b & 1 != 0,
        }
    }

    /// The CONTROL byte; fields wider than their bits are truncated.
    pub fn to_byte(self) -> u8 {
        ((self.vendor & 3) << 6)
            | ((self.reserved & 7) << 3)
            | (u8::from(self.naca) << 2)
            | (u8::from(self.flag) << 1)
            | u8::from(self.link)
    }
}

impl FieldValue for Control {
    fn from_raw(raw: u64) -> Self {
        Control::from_byte(raw as u8)
    }
    fn to_raw(&self) -> u64 {
        u64::from(self.to_byte())
    }
}

/// Declares an enumeration carried in a CDB field, with a catch-all variant
/// for the values the standard reserves, so that every raw value round-trips.
macro_rules! field_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value the standard reserves (kept so it can be sent and seen).
            Reserved(u8),
        }

        impl $name {
            /// The raw value.
            pub fn value(self) -> u8 {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Reserved(v) => v,
                }
            }

            /// The variant for a raw value.
            pub fn from_value(v: u8) -> Self {
                match v {
                    $( x if x == $value => $name::$variant, )*
                    other => $name::Reserved(other),
                }
            }

            /// True for the values the standard reserves.
            pub fn is_reserved(self) -> bool {
                matches!(self, $name::Reserved(_))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::from_value(0)
            }
        }

        impl $crate::scsi::cdb::field::FieldValue for $name {
            fn from_raw(raw: u64) -> Self {
                $name::from_value(raw as u8)
            }
            fn to_raw(&self) -> u64 {
                u64::from(self.value())
            }
        }
    };
}
pub(crate) use field_enum;

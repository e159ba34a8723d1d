//! The declaration macro of CDB layouts.

/// Declares one CDB: a struct whose public fields are every field of the
/// standard's table (reserved and obsolete ones included), with `decode`,
/// `encode`, `FIELDS` and `reserved_violation`.
///
/// Field syntax: `field name: Type = (byte, bytes, shift, width)` or
/// `reserved name: Type = (...)`; see [`super::field`]. The CONTROL byte is
/// not listed: every CDB ends with it (SPC-5 §4.2.5), so the macro adds it as
/// the last field, `control`, at byte `len - 1`.
///
/// Commands whose tables are the same but for the operation code (RESERVE
/// and RELEASE, READ (6) and WRITE (6)) are declared together, each struct
/// with its documentation and operation code, then their one table:
/// `pub struct A = op::A; pub struct B = op::B; service_action: ..., len:
/// ..., { fields }`. A `protection: name,` line after `len` adds the
/// protection field and DPO that begin byte 1 of the SBC-4 read and write
/// commands.
macro_rules! cdb_struct {
    // `protection: name,` after `len`: byte 1 starts with the protection
    // field (RDPROTECT, WRPROTECT, VRPROTECT or ORPROTECT) in bits 7-5 and
    // DPO in bit 4, as in READ, WRITE, VERIFY, WRITE AND VERIFY, COMPARE AND
    // WRITE, ORWRITE and WRITE ATOMIC (SBC-4).
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            opcode: $op:expr,
            service_action: $sa:expr,
            len: $len:expr,
            protection: $prot:ident,
            $($fields:tt)*
        }
    ) => {
        cdb_struct! {
            $(#[$meta])*
            pub struct $name {
                opcode: $op,
                service_action: $sa,
                len: $len,
                /// Protection field (RDPROTECT, WRPROTECT, VRPROTECT or
                /// ORPROTECT), byte 1 bits 7-5.
                field $prot: u8 = (1, 1, 5, 3),
                /// DPO (disable page out), byte 1 bit 4.
                field dpo: bool = (1, 1, 4, 1),
                $($fields)*
            }
        }
    };
    (
        $(
            $(#[$meta:meta])*
            pub struct $name:ident = $op:expr;
        )+
        service_action: $sa:expr,
        len: $len:expr,
        $table:tt
    ) => {
        $( cdb_struct!(@one [$(#[$meta])*] $name, $op, $sa, $len, $table); )+
    };
    (@one [$($meta:tt)*] $name:ident, $op:expr, $sa:expr, $len:expr, { $($fields:tt)* }) => {
        cdb_struct! {
            $($meta)*
            pub struct $name {
                opcode: $op,
                service_action: $sa,
                len: $len,
                $($fields)*
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            opcode: $op:expr,
            service_action: $sa:expr,
            len: $len:expr,
            $(
                $(#[$fmeta:meta])*
                $kind:ident $field:ident : $ty:ty = ($byte:expr, $nbytes:expr, $shift:expr, $width:expr)
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// CONTROL, the last byte (SPC-5 §4.2.5).
            pub control: $crate::scsi::cdb::field::Control,
        }

        impl $name {
            /// OPERATION CODE, byte 0.
            pub const OPCODE: u8 = $op;
            /// SERVICE ACTION (byte 1, bits 4-0) when it selects this command
            /// among others sharing the operation code.
            pub const SERVICE_ACTION: Option<u8> = $sa;
            /// CDB length in bytes.
            pub const LEN: usize = $len;
            /// Layout of every field after the operation code (and the
            /// selecting service action).
            pub const FIELDS: &'static [$crate::scsi::cdb::field::FieldInfo] = &[
                $( $crate::scsi::cdb::field::FieldInfo {
                    name: stringify!($field),
                    byte: $byte,
                    nbytes: $nbytes,
                    shift: $shift,
                    width: $width,
                    reserved: cdb_struct!(@reserved $kind),
                }, )*
                $crate::scsi::cdb::field::FieldInfo {
                    name: "control",
                    byte: $len - 1,
                    nbytes: 1,
                    shift: 0,
                    width: 8,
                    reserved: false,
                },
            ];

            /// Decodes the first `LEN` bytes of `bytes` (more bytes, such as
            /// the padding of a 16-byte iSCSI CDB field, are ignored).
            pub fn decode(bytes: &[u8]) -> Result<Self, $crate::scsi::cdb::error::CdbError> {
                let b = $crate::scsi::cdb::check_header(bytes, Self::OPCODE, Self::SERVICE_ACTION, Self::LEN)?;
                Ok($name {
                    $( $field: <$ty as $crate::scsi::cdb::field::FieldValue>::from_raw(
                        $crate::scsi::cdb::field::get_bits(b, $byte, $nbytes, $shift, $width),
                    ), )*
                    control: $crate::scsi::cdb::field::FieldValue::from_raw(
                        $crate::scsi::cdb::field::get_bits(b, $len - 1, 1, 0, 8),
                    ),
                })
            }

            /// Encodes the CDB. A value wider than its field is truncated to
            /// the field's width.
            pub fn encode(&self) -> [u8; $len] {
                let mut b = [0u8; $len];
                b[0] = Self::OPCODE;
                if let Some(sa) = Self::SERVICE_ACTION {
                    b[1] = sa & 0x1f;
                }
                $( $crate::scsi::cdb::field::set_bits(
                    &mut b, $byte, $nbytes, $shift, $width,
                    $crate::scsi::cdb::field::FieldValue::to_raw(&self.$field),
                ); )*
                $crate::scsi::cdb::field::set_bits(
                    &mut b, $len - 1, 1, 0, 8,
                    $crate::scsi::cdb::field::FieldValue::to_raw(&self.control),
                );
                b
            }

            /// The first reserved field (or reserved CONTROL bit) that is not
            /// zero, as the field pointer of INVALID FIELD IN CDB.
            pub fn reserved_violation(&self) -> Option<$crate::scsi::cdb::error::FieldPointer> {
                $crate::scsi::cdb::field::first_reserved_set(&self.encode(), Self::FIELDS)
            }
        }

        #[cfg(test)]
        impl $name {
            /// Any value whose fields fit their widths.
            pub(crate) fn strategy() -> impl proptest::strategy::Strategy<Value = Self> {
                use proptest::strategy::Strategy;
                proptest::collection::vec(proptest::num::u64::ANY, Self::FIELDS.len()).prop_map(|raw| {
                    let mut it = raw.into_iter().zip(Self::FIELDS.iter());
                    $name {
                        $( $field: {
                            let v = it.next().map_or(0, |(r, f)| r & $crate::scsi::cdb::field::mask(f.width));
                            <$ty as $crate::scsi::cdb::field::FieldValue>::from_raw(v)
                        }, )*
                        control: {
                            let v = it.next().map_or(0, |(r, f)| r & $crate::scsi::cdb::field::mask(f.width));
                            $crate::scsi::cdb::field::FieldValue::from_raw(v)
                        },
                    }
                })
            }
        }
    };
    (@reserved reserved) => { true };
    (@reserved field) => { false };
}
pub(crate) use cdb_struct;

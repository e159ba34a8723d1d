//! One declarative description per BHS layout.
//!
//! Each opcode file states its PDU once, with [`pdu!`]: the public struct
//! (fields, their documentation and their `Default` values) and, for every
//! field, where it sits in the BHS and how a dump shows it. Decoding,
//! encoding and the dump are generated from that one list, in field order,
//! so the three cannot disagree.
//!
//! A field is written `pub name: Type [= default] => kind(args),`; a
//! missing default is `Default::default()`. Groups stand for several
//! fields each:
//!
//! | group | fields |
//! |---|---|
//! | `..final_always,` | byte 1: F always 1, bits 6-0 reserved (`final_bit`, `reserved_flags`) |
//! | `..login_flags,` | byte 1 and Version-max of both login PDUs (T, C, CSG, NSG; §11.12-§11.13) |
//! | `..initiator_sns,` | CmdSN and ExpStatSN, bytes 24-31 of initiator PDUs |
//! | `..target_sns,` | StatSN, ExpCmdSN and MaxCmdSN, bytes 24-35 of target PDUs |
//! | `..text_data,` | a data segment of text key=value pairs (`data`, and `Codec::text_data`) |
//!
//! The kinds (see [`pdu_field!`]):
//!
//! | kind | where | dump line |
//! |---|---|---|
//! | `immediate` | I bit of byte 0 (RFC 7143 §11.2.1.1) | none: [`Pdu::dump`](super::Pdu::dump) shows it |
//! | `reserved0` | reserved bits of byte 0, in place | none: [`Pdu::dump`](super::Pdu::dump) shows it |
//! | `flag(BIT, label, meaning)` | one bit of byte 1 | `d.flag` |
//! | `final_bit` | the F bit (§11.2.1.3) | `F (final)`, "always 1" |
//! | `rbits(MASK)` | reserved bits of byte 1, in place | `byte 1 reserved bits` |
//! | `code_bits(MASK, SHIFT, label)` | a code in bits of byte 1 | raw value and name |
//! | `code(off, label)`, `code_hex(off, label)` | a whole-byte (or 16-bit) code | raw value (decimal or hex) and name |
//! | `u32(off, label)` | a 32-bit number | hex and decimal |
//! | `value(off, label, meaning)` | a number or LUN, shown with `Display` | value and meaning |
//! | `hex(off, label)` | one byte shown in hex | value |
//! | `bytes(off, label)` | a byte array shown in hex | value |
//! | `reserved(off)` | a reserved byte or byte array | `byte N` / `bytes N-M`, flagged if not zero |
//! | `custom(off, fn)` | any [`Wire`] value | `fn(&mut Dump, value)` |
//! | `lun`, `itt`, `ttt` | bytes 8-15, 16-19, 20-23 (§11.2.1.6-§11.2.1.8) | `LUN`, `ITT`, `TTT` |
//! | `cmd_sn`, `exp_stat_sn` | bytes 24-27, 28-31 of initiator PDUs | `CmdSN`, `ExpStatSN` |
//! | `stat_sn`, `exp_cmd_sn`, `max_cmd_sn` | bytes 24-35 of target PDUs | `StatSN`, `ExpCmdSN`, `MaxCmdSN` |
//! | `data` | the data segment | none: shown after the BHS fields |
//! | `none` | not on the wire (the SCSI Command's AHS list) | none |
//!
//! Opcode-specific extras (text data segments, the AHS, lines a dump adds
//! after the BHS fields) go in an optional `codec { ... }` block, spliced into
//! the generated `Codec` impl.

use core::slice;

use super::bhs::{arr, be16, be32, put16, put32, put_arr, Bhs, Lun};
use super::dump::Dump;

/// A value that sits whole in the BHS at a byte offset, big-endian (RFC 7143
/// §11.2.1: all multi-byte fields are in network byte order). Offsets are
/// constants of the format, always inside the 48 bytes.
pub(crate) trait Wire: Sized {
    /// Reads the value at `off`.
    fn get(b: &Bhs, off: usize) -> Self;
    /// Writes the value at `off`.
    fn put(&self, b: &mut Bhs, off: usize);
}

impl Wire for u8 {
    fn get(b: &Bhs, off: usize) -> Self {
        b.get(off).copied().unwrap_or_default()
    }
    fn put(&self, b: &mut Bhs, off: usize) {
        if let Some(byte) = b.get_mut(off) {
            *byte = *self;
        }
    }
}

impl Wire for u16 {
    fn get(b: &Bhs, off: usize) -> Self {
        be16(b, off)
    }
    fn put(&self, b: &mut Bhs, off: usize) {
        put16(b, off, *self);
    }
}

impl Wire for u32 {
    fn get(b: &Bhs, off: usize) -> Self {
        be32(b, off)
    }
    fn put(&self, b: &mut Bhs, off: usize) {
        put32(b, off, *self);
    }
}

impl<const N: usize> Wire for [u8; N] {
    fn get(b: &Bhs, off: usize) -> Self {
        arr(b, off)
    }
    fn put(&self, b: &mut Bhs, off: usize) {
        put_arr(b, off, self);
    }
}

impl Wire for Lun {
    fn get(b: &Bhs, off: usize) -> Self {
        Lun(arr(b, off))
    }
    fn put(&self, b: &mut Bhs, off: usize) {
        put_arr(b, off, &self.0);
    }
}

/// A reserved field as its bytes: one byte or a byte array.
pub(crate) trait ReservedBytes {
    /// The bytes as they stand on the wire.
    fn reserved_bytes(&self) -> &[u8];
}

impl ReservedBytes for u8 {
    fn reserved_bytes(&self) -> &[u8] {
        slice::from_ref(self)
    }
}

impl<const N: usize> ReservedBytes for [u8; N] {
    fn reserved_bytes(&self) -> &[u8] {
        self
    }
}

/// A reserved field at `off` of `len` bytes, named by its byte range.
fn reserved_name(off: usize, len: usize) -> String {
    match len {
        1 => format!("byte {off}"),
        n => format!("bytes {off}-{}", off + n - 1),
    }
}

/// The dump line of a reserved field at `off`, named by its byte range.
pub(crate) fn dump_reserved(d: &mut Dump, off: usize, v: &impl ReservedBytes) {
    let bytes = v.reserved_bytes();
    d.reserved(&reserved_name(off, bytes.len()), bytes);
}

/// Calls `f` with the name of the reserved field at `off` (its byte range)
/// and its bytes.
pub(crate) fn visit_reserved(f: &mut dyn FnMut(&str, &[u8]), off: usize, v: &impl ReservedBytes) {
    let bytes = v.reserved_bytes();
    f(&reserved_name(off, bytes.len()), bytes);
}

/// Defines a PDU struct, its `Default` and its `Codec` impl from one field
/// list (see the module documentation). The struct's name is its opcode's.
macro_rules! pdu {
    // Entry: expand the field groups in place, then emit.
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
        $(codec { $($extra:tt)* })?
    ) => {
        $crate::pdu::layout::pdu!(
            @expand [$(#[$meta])* pub struct $name] [$($($extra)*)?] [] $($body)*
        );
    };
    // RFC 7143 §11.2.1.3: byte 1 of the PDUs that are always final holds
    // the F bit, set, and reserved bits.
    (@expand $head:tt $extra:tt [$($done:tt)*] ..final_always, $($rest:tt)*) => {
        $crate::pdu::layout::pdu!(@expand $head $extra [$($done)*
            /// F bit; always 1.
            pub final_bit: bool = true => final_bit,
            /// Reserved bits 6-0 of byte 1.
            pub reserved_flags: u8 => rbits(!$crate::pdu::bhs::F_BIT),
        ] $($rest)*);
    };
    // Byte 1 and byte 2 of the Login Request and Response (RFC 7143
    // §11.12.1-§11.12.4, §11.13.1-§11.13.3): T, C, two reserved bits, CSG,
    // NSG, then Version-max. The bit constants are the login module's.
    (@expand $head:tt $extra:tt [$($done:tt)*] ..login_flags, $($rest:tt)*) => {
        $crate::pdu::layout::pdu!(@expand $head $extra [$($done)*
            /// T bit (§11.12.1, §11.13.3): move to the next stage.
            pub transit: bool => flag(T_BIT, "T (transit)", "move to the next stage"),
            /// C bit (§11.12.2): the text continues in the next PDU.
            pub continue_bit: bool => flag(C_BIT, "C (continue)", "text continues in the next PDU"),
            /// Reserved bits 5-4 of byte 1, in place.
            pub reserved_flags: u8 => rbits(FLAGS_RESERVED),
            /// CSG, current stage (§11.12.3).
            pub csg: LoginStage = LoginStage::SecurityNegotiation => code_bits(3, 2, "CSG"),
            /// NSG, next stage; meaningful only with T (§11.12.3).
            pub nsg: LoginStage = LoginStage::SecurityNegotiation => code_bits(3, 0, "NSG"),
            /// Version-max (§11.12.4, §11.13.1).
            pub version_max: u8 => value(2, "Version-max", ""),
        ] $($rest)*);
    };
    // A data segment of text key=value pairs, NUL-separated (RFC 7143
    // §6.1): the Login and Text PDUs.
    (@expand $head:tt [$($extra:tt)*] [$($done:tt)*] ..text_data, $($rest:tt)*) => {
        $crate::pdu::layout::pdu!(@expand $head [$($extra)*
            fn text_data() -> bool {
                true
            }
        ] [$($done)*
            /// Text key=value pairs, NUL-separated.
            pub data: ::bytes::Bytes => data,
        ] $($rest)*);
    };
    // CmdSN and ExpStatSN, bytes 24-31 of most initiator PDUs.
    (@expand $head:tt $extra:tt [$($done:tt)*] ..initiator_sns, $($rest:tt)*) => {
        $crate::pdu::layout::pdu!(@expand $head $extra [$($done)*
            /// CmdSN.
            pub cmd_sn: u32 => cmd_sn,
            /// ExpStatSN.
            pub exp_stat_sn: u32 => exp_stat_sn,
        ] $($rest)*);
    };
    // StatSN, ExpCmdSN and MaxCmdSN, bytes 24-35 of target PDUs.
    (@expand $head:tt $extra:tt [$($done:tt)*] ..target_sns, $($rest:tt)*) => {
        $crate::pdu::layout::pdu!(@expand $head $extra [$($done)*
            /// StatSN.
            pub stat_sn: u32 => stat_sn,
            /// ExpCmdSN.
            pub exp_cmd_sn: u32 => exp_cmd_sn,
            /// MaxCmdSN.
            pub max_cmd_sn: u32 => max_cmd_sn,
        ] $($rest)*);
    };
    (
        @expand $head:tt $extra:tt [$($done:tt)*]
        $(#[$fmeta:meta])*
        pub $field:ident : $ty:ty $(= $default:expr)? => $kind:ident $(( $($arg:expr),* ))?,
        $($rest:tt)*
    ) => {
        $crate::pdu::layout::pdu!(@expand $head $extra [$($done)*
            $(#[$fmeta])*
            pub $field: $ty $(= $default)? => $kind $(( $($arg),* ))?,
        ] $($rest)*);
    };
    (@expand [$($head:tt)*] [$($extra:tt)*] [$($done:tt)*]) => {
        $crate::pdu::layout::pdu!(@emit $($head)* { $($done)* } codec { $($extra)* });
    };
    (
        @emit
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty $(= $default:expr)? => $kind:ident $(( $($arg:expr),* ))?,
            )*
        }
        $(codec { $($extra:tt)* })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $( $field: $crate::pdu::layout::pdu_field!(@default $($default)?), )*
                }
            }
        }

        impl $crate::pdu::pdu_enum::Codec for $name {
            const OPCODE: $crate::pdu::Opcode = $crate::pdu::Opcode::$name;

            fn from_bhs(b: &$crate::pdu::bhs::Bhs, data: ::bytes::Bytes) -> Self {
                $name {
                    $( $field: $crate::pdu::layout::pdu_field!(
                        get $kind
                        [b, data, $ty, $crate::pdu::layout::pdu_field!(@default $($default)?)]
                        ($($($arg),*)?)
                    ), )*
                }
            }

            fn to_bhs(&self) -> $crate::pdu::bhs::Bhs {
                let mut b = $crate::pdu::bhs::start(Self::OPCODE, false, 0);
                $( $crate::pdu::layout::pdu_field!(put $kind [b, self.$field] ($($($arg),*)?)); )*
                b
            }

            fn data(&self) -> &::bytes::Bytes {
                &self.data
            }

            fn dump_fields(&self, d: &mut $crate::pdu::dump::Dump) {
                $( $crate::pdu::layout::pdu_field!(dump $kind [d, self.$field] ($($($arg),*)?)); )*
                $crate::pdu::pdu_enum::Codec::dump_extra(self, d);
            }

            fn reserved_fields(&self, f: &mut dyn FnMut(&str, &[u8])) {
                $( $crate::pdu::layout::pdu_field!(reserved $kind [f, self.$field] ($($($arg),*)?)); )*
            }

            $($($extra)*)?
        }
    };
}

/// One field of a [`pdu!`] layout: `get` (decode), `put` (encode into a BHS
/// whose byte 0 holds the opcode and whose other bytes are zero) and `dump`.
macro_rules! pdu_field {
    (@default) => { ::core::default::Default::default() };
    (@default $default:expr) => { $default };

    // The fields many BHSs share: offset and label stated once here.
    // RFC 7143 §11.2.1.3: the F bit is bit 7 of byte 1.
    ($op:ident final_bit $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!(
            $op flag $ctx ($crate::pdu::bhs::F_BIT, "F (final)", "always 1")
        )
    };
    // RFC 7143 §11.2.1.6: the LUN is bytes 8-15 where the opcode has one.
    ($op:ident lun $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!($op value $ctx (8, "LUN", ""))
    };
    // RFC 7143 §11.2.1.8: the Initiator Task Tag is bytes 16-19 of every BHS.
    ($op:ident itt $ctx:tt ()) => { $crate::pdu::layout::pdu_field!($op u32 $ctx (16, "ITT")) };
    ($op:ident ttt $ctx:tt ()) => { $crate::pdu::layout::pdu_field!($op u32 $ctx (20, "TTT")) };
    // RFC 7143 §11.3 and following: CmdSN and ExpStatSN at bytes 24-31 of
    // initiator PDUs; StatSN, ExpCmdSN and MaxCmdSN at bytes 24-35 of
    // target PDUs.
    ($op:ident cmd_sn $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!($op u32 $ctx (24, "CmdSN"))
    };
    ($op:ident exp_stat_sn $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!($op u32 $ctx (28, "ExpStatSN"))
    };
    ($op:ident stat_sn $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!($op u32 $ctx (24, "StatSN"))
    };
    ($op:ident exp_cmd_sn $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!($op u32 $ctx (28, "ExpCmdSN"))
    };
    ($op:ident max_cmd_sn $ctx:tt ()) => {
        $crate::pdu::layout::pdu_field!($op u32 $ctx (32, "MaxCmdSN"))
    };

    // Decoding: any byte pattern gives a value.
    (get immediate [$b:ident, $data:ident, $ty:ty, $def:expr] ()) => {
        $crate::pdu::bhs::immediate($b)
    };
    (get reserved0 [$b:ident, $data:ident, $ty:ty, $def:expr] ()) => {
        $crate::pdu::bhs::reserved0($b)
    };
    (get flag [$b:ident, $data:ident, $ty:ty, $def:expr]
        ($bit:expr, $label:expr, $meaning:expr)) => {
        $b[1] & $bit != 0
    };
    (get rbits [$b:ident, $data:ident, $ty:ty, $def:expr] ($mask:expr)) => {
        $b[1] & $mask
    };
    (get code_bits [$b:ident, $data:ident, $ty:ty, $def:expr]
        ($mask:expr, $shift:expr, $label:expr)) => {
        <$ty>::from_raw(($b[1] >> $shift) & $mask)
    };
    (get data [$b:ident, $data:ident, $ty:ty, $def:expr] ()) => {
        $data
    };
    (get none [$b:ident, $data:ident, $ty:ty, $def:expr] ()) => {
        $def
    };
    (get $kind:ident [$b:ident, $data:ident, $ty:ty, $def:expr] ($off:expr $(, $rest:expr)*)) => {
        <$ty as $crate::pdu::layout::Wire>::get($b, $off)
    };

    // Encoding: bits outside a field's mask are dropped.
    (put immediate [$b:ident, $v:expr] ()) => {
        $crate::pdu::bhs::set_immediate(&mut $b, Self::OPCODE, $v)
    };
    (put reserved0 [$b:ident, $v:expr] ()) => {
        $crate::pdu::bhs::set_reserved0(&mut $b, Self::OPCODE, $v)
    };
    (put flag [$b:ident, $v:expr] ($bit:expr, $label:expr, $meaning:expr)) => {
        if $v {
            $b[1] |= $bit;
        }
    };
    (put rbits [$b:ident, $v:expr] ($mask:expr)) => {
        $b[1] |= $v & $mask
    };
    (put code_bits [$b:ident, $v:expr] ($mask:expr, $shift:expr, $label:expr)) => {
        $b[1] |= ($v.raw() & $mask) << $shift
    };
    (put data [$b:ident, $v:expr] ()) => {};
    (put none [$b:ident, $v:expr] ()) => {};
    (put $kind:ident [$b:ident, $v:expr] ($off:expr $(, $rest:expr)*)) => {
        $crate::pdu::layout::Wire::put(&$v, &mut $b, $off)
    };

    // Dumping: one line per field (none for byte 0, which the PDU dump
    // shows, nor for the data segment).
    (dump immediate [$d:ident, $v:expr] ()) => {};
    (dump reserved0 [$d:ident, $v:expr] ()) => {};
    (dump data [$d:ident, $v:expr] ()) => {};
    (dump none [$d:ident, $v:expr] ()) => {};
    (dump flag [$d:ident, $v:expr] ($bit:expr, $label:expr, $meaning:expr)) => {
        $d.flag($label, $v, $meaning)
    };
    (dump rbits [$d:ident, $v:expr] ($mask:expr)) => {
        $d.reserved("byte 1 reserved bits", &[$v])
    };
    (dump code_bits [$d:ident, $v:expr] ($mask:expr, $shift:expr, $label:expr)) => {
        $d.field($label, $v.raw(), $v.name())
    };
    (dump code [$d:ident, $v:expr] ($off:expr, $label:expr)) => {
        $d.field($label, $v.raw(), $v.name())
    };
    (dump code_hex [$d:ident, $v:expr] ($off:expr, $label:expr)) => {
        $d.field($label, format_args!("{:#04x}", $v.raw()), $v.name())
    };
    (dump u32 [$d:ident, $v:expr] ($off:expr, $label:expr)) => {
        $d.u32($label, $v)
    };
    (dump value [$d:ident, $v:expr] ($off:expr, $label:expr, $meaning:expr)) => {
        $d.field($label, $v, $meaning)
    };
    (dump hex [$d:ident, $v:expr] ($off:expr, $label:expr)) => {
        $d.field($label, format_args!("{:#04x}", $v), "")
    };
    (dump bytes [$d:ident, $v:expr] ($off:expr, $label:expr)) => {
        $d.field($label, $crate::pdu::dump::hex(&$v), "")
    };
    (dump reserved [$d:ident, $v:expr] ($off:expr)) => {
        $crate::pdu::layout::dump_reserved($d, $off, &$v)
    };
    (dump custom [$d:ident, $v:expr] ($off:expr, $show:expr)) => {
        $show($d, $v)
    };

    // Reserved fields, for a receiver's check that they are zero (RFC 7143
    // §11: reserved fields are sent as zero); every other kind has none.
    (reserved reserved0 [$f:ident, $v:expr] ()) => { $f("byte 0", &[$v]) };
    (reserved rbits [$f:ident, $v:expr] ($mask:expr)) => { $f("byte 1", &[$v]) };
    (reserved reserved [$f:ident, $v:expr] ($off:expr)) => {
        $crate::pdu::layout::visit_reserved($f, $off, &$v)
    };
    (reserved $kind:ident $ctx:tt $args:tt) => {};
}

pub(crate) use {pdu, pdu_field};

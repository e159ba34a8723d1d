//! A macro for the many one-byte (or two-byte) code points of RFC 7143: each
//! becomes an enum of the named values plus `Other(raw)` for any value the RFC
//! reserves or leaves unassigned, so decoding never fails and re-encoding
//! reproduces the byte. Each code is a [`Wire`](super::layout::Wire) value, so
//! a PDU layout places it by offset.

/// Defines a code enum: named variants with their wire value and their RFC
/// name, and `Other(raw)` for everything else.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $desc:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* #[doc = $desc] $variant, )*
            /// A value RFC 7143 reserves or does not assign, kept as received.
            Other($repr),
        }

        impl $name {
            /// Every named value, in wire order.
            pub const NAMED: &'static [$name] = &[$($name::$variant),*];

            /// The code for a wire value; unknown values become `Other`.
            pub fn from_raw(raw: $repr) -> Self {
                match raw {
                    $( $value => $name::$variant, )*
                    other => $name::Other(other),
                }
            }

            /// The wire value.
            pub fn raw(self) -> $repr {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Other(raw) => raw,
                }
            }

            /// The name RFC 7143 gives this value, or "unassigned".
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $desc, )*
                    $name::Other(_) => "unassigned",
                }
            }
        }

        impl From<$repr> for $name {
            fn from(raw: $repr) -> Self {
                $name::from_raw(raw)
            }
        }

        impl From<$name> for $repr {
            fn from(code: $name) -> $repr {
                code.raw()
            }
        }

        impl $crate::pdu::layout::Wire for $name {
            fn get(b: &$crate::pdu::bhs::Bhs, off: usize) -> Self {
                $name::from_raw(<$repr as $crate::pdu::layout::Wire>::get(b, off))
            }
            fn put(&self, b: &mut $crate::pdu::bhs::Bhs, off: usize) {
                $crate::pdu::layout::Wire::put(&self.raw(), b, off)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    code_enum! {
        /// Test codes.
        pub enum Sample: u8 {
            One = 1 => "one",
            Two = 2 => "two",
        }
    }

    #[test]
    fn known_and_unknown_values_round_trip() {
        for raw in 0..=255u8 {
            assert_eq!(Sample::from_raw(raw).raw(), raw);
        }
        assert_eq!(Sample::from_raw(2), Sample::Two);
        assert_eq!(Sample::from_raw(7), Sample::Other(7));
        assert_eq!(Sample::Two.name(), "two");
        assert_eq!(Sample::Other(9).to_string(), "unassigned");
        assert_eq!(Sample::NAMED, &[Sample::One, Sample::Two]);
    }
}

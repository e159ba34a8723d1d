//! Getters and builder-style setters for fields of pages kept as their
//! wire bytes (mode pages, the Extended INQUIRY Data VPD page).
//!
//! The type holds its bytes after the page header in `body` and states the
//! header's length in a `HEADER` constant, so that the accessors take the
//! page's own byte numbers, as the standard's tables give them.

/// Getter and builder-style setter of a bit field: page byte, shift, width.
macro_rules! bits {
    ($(#[$doc:meta])* $get:ident, $set:ident, $byte:expr, $shift:expr, $width:expr) => {
        $(#[$doc])*
        pub fn $get(&self) -> u8 {
            (self.body[$byte - Self::HEADER] >> $shift) & ((1u16 << $width) - 1) as u8
        }
        #[doc = concat!("Sets the field read by [`Self::", stringify!($get), "`].")]
        pub fn $set(mut self, v: u8) -> Self {
            let mask = (((1u16 << $width) - 1) as u8) << $shift;
            let b = &mut self.body[$byte - Self::HEADER];
            *b = (*b & !mask) | ((v << $shift) & mask);
            self
        }
    };
}

/// Getter and setter of a one-bit flag.
macro_rules! flag {
    ($(#[$doc:meta])* $get:ident, $set:ident, $byte:expr, $bit:expr) => {
        $(#[$doc])*
        pub fn $get(&self) -> bool {
            self.body[$byte - Self::HEADER] & (1 << $bit) != 0
        }
        #[doc = concat!("Sets the flag read by [`Self::", stringify!($get), "`].")]
        pub fn $set(mut self, on: bool) -> Self {
            let b = &mut self.body[$byte - Self::HEADER];
            *b = (*b & !(1 << $bit)) | (u8::from(on) << $bit);
            self
        }
    };
}

/// Getter and setter of a big-endian integer field of `$n` bytes.
macro_rules! int {
    ($(#[$doc:meta])* $get:ident, $set:ident, $ty:ty, $byte:expr, $n:expr) => {
        $(#[$doc])*
        pub fn $get(&self) -> $ty {
            crate::scsi::params::wire::uint_at(&self.body, $byte - Self::HEADER, $n) as $ty
        }
        #[doc = concat!("Sets the field read by [`Self::", stringify!($get), "`].")]
        pub fn $set(mut self, v: $ty) -> Self {
            let bytes = (v as u64).to_be_bytes();
            self.body[$byte - Self::HEADER..$byte - Self::HEADER + $n].copy_from_slice(&bytes[8 - $n..]);
            self
        }
    };
}

pub(crate) use {bits, flag, int};

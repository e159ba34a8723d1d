//! The Basic Header Segment (RFC 7143 §11.2.1): 48 bytes, big-endian fields.
//!
//! Byte 0 holds the reserved bit, the I bit and the opcode; byte 1 the F bit
//! and opcode-specific flags; byte 4 TotalAHSLength (in 4-byte words); bytes
//! 5-7 DataSegmentLength; bytes 8-15 the LUN or opcode-specific fields; bytes
//! 16-19 the Initiator Task Tag; bytes 20-47 opcode-specific fields.

use core::fmt;

use super::opcode::Opcode;

/// Length of the BHS in bytes (RFC 7143 §11.2.1).
pub const BHS_LEN: usize = 48;

/// The reserved Initiator Task Tag value 0xffffffff (RFC 7143 §11.2.1.8):
/// used by NOP-Out pings that want no answer and by unsolicited target PDUs.
pub const ITT_RESERVED: u32 = 0xffff_ffff;

/// The reserved Target Transfer Tag value 0xffffffff (RFC 7143 §11.18.4).
pub const TTT_RESERVED: u32 = 0xffff_ffff;

/// The raw bytes of a BHS.
pub(crate) type Bhs = [u8; BHS_LEN];

/// Offsets of the fields common to every BHS (RFC 7143 §11.2.1).
pub(crate) const OFF_TOTAL_AHS: usize = 4;
pub(crate) const OFF_ITT: usize = 16;

/// I bit of byte 0 (RFC 7143 §11.2.1.1).
pub(crate) const I_BIT: u8 = 0x40;
/// F bit of byte 1 (RFC 7143 §11.2.1.3).
pub(crate) const F_BIT: u8 = 0x80;

pub(crate) fn be16(b: &Bhs, off: usize) -> u16 {
    u16::from_be_bytes(arr(b, off))
}

pub(crate) fn be32(b: &Bhs, off: usize) -> u32 {
    u32::from_be_bytes(arr(b, off))
}

pub(crate) fn put16(b: &mut Bhs, off: usize, v: u16) {
    put_arr(b, off, &v.to_be_bytes());
}

pub(crate) fn put32(b: &mut Bhs, off: usize, v: u32) {
    put_arr(b, off, &v.to_be_bytes());
}

/// `N` bytes of the BHS starting at `off`. Offsets are constants of the
/// format, always inside the 48 bytes; one that is not reads zeros (and
/// fails a debug build), never panics on peer input.
pub(crate) fn arr<const N: usize>(b: &Bhs, off: usize) -> [u8; N] {
    debug_assert!(off + N <= b.len(), "BHS field {off}+{N} outside the BHS");
    b.get(off..off + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .unwrap_or([0; N])
}

/// Writes `v` into the BHS at `off` (a constant of the format; see [`arr`]).
pub(crate) fn put_arr(b: &mut Bhs, off: usize, v: &[u8]) {
    debug_assert!(
        off + v.len() <= b.len(),
        "BHS field {off}+{} outside the BHS",
        v.len()
    );
    if let Some(field) = b.get_mut(off..off + v.len()) {
        field.copy_from_slice(v);
    }
}

/// DataSegmentLength, bytes 5-7 (RFC 7143 §11.2.1.5).
pub(crate) fn data_segment_length(b: &Bhs) -> u32 {
    u32::from_be_bytes([0, b[5], b[6], b[7]])
}

/// Writes DataSegmentLength; only the low 24 bits fit on the wire.
pub(crate) fn set_data_segment_length(b: &mut Bhs, len: u32) {
    let v = len.to_be_bytes();
    b[5..8].copy_from_slice(&v[1..4]);
}

/// TotalAHSLength in bytes (the wire value counts 4-byte words, §11.2.1.4).
pub(crate) fn total_ahs_bytes(b: &Bhs) -> usize {
    usize::from(b[OFF_TOTAL_AHS]) * 4
}

/// A BHS with byte 0 set: the opcode, the I bit where the opcode has one, and
/// the reserved bits of byte 0 as given (bits outside the reserved positions
/// of `reserved0` are ignored).
pub(crate) fn start(opcode: Opcode, immediate: bool, reserved0: u8) -> Bhs {
    let mut b = [0u8; BHS_LEN];
    b[0] = opcode.raw() & Opcode::MASK;
    set_immediate(&mut b, opcode, immediate);
    set_reserved0(&mut b, opcode, reserved0);
    b
}

/// Sets the I bit of byte 0 if `immediate` and the opcode has one (RFC 7143
/// §11.2.1.1); elsewhere bit 6 is reserved and left as it is.
pub(crate) fn set_immediate(b: &mut Bhs, opcode: Opcode, immediate: bool) {
    if immediate && opcode.has_immediate_bit() {
        b[0] |= I_BIT;
    }
}

/// Sets the reserved bits of byte 0 for this opcode from `reserved0`, in
/// place; bits outside the reserved positions are ignored.
pub(crate) fn set_reserved0(b: &mut Bhs, opcode: Opcode, reserved0: u8) {
    b[0] |= reserved0 & opcode.reserved_byte0_mask();
}

/// The I bit of byte 0.
pub(crate) fn immediate(b: &Bhs) -> bool {
    b[0] & I_BIT != 0
}

/// The reserved bits of byte 0 for this opcode, in place.
pub(crate) fn reserved0(b: &Bhs) -> u8 {
    b[0] & Opcode::from_byte0(b[0]).reserved_byte0_mask()
}

/// A Logical Unit Number, the 8-byte SAM LUN structure carried in bytes 8-15
/// (RFC 7143 §11.2.1.6), kept as its wire bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Lun(pub [u8; 8]);

impl Lun {
    /// LUN 0.
    pub const ZERO: Lun = Lun([0; 8]);

    /// The single-level LUN `n` (SAM-5 §4.7): peripheral device addressing
    /// below 256, flat space addressing from 256 to 16383. Larger values are
    /// truncated to 14 bits.
    pub fn single_level(n: u16) -> Lun {
        let mut b = [0u8; 8];
        if n < 256 {
            b[1] = n as u8;
        } else {
            b[0] = 0x40 | ((n >> 8) as u8 & 0x3f);
            b[1] = n as u8;
        }
        Lun(b)
    }

    /// The number of a single-level LUN in peripheral or flat space
    /// addressing, or None for any other form.
    pub fn single_level_number(&self) -> Option<u16> {
        let b = self.0;
        if b[2..].iter().any(|&x| x != 0) {
            return None;
        }
        match b[0] >> 6 {
            0 if b[0] == 0 => Some(u16::from(b[1])),
            1 => Some(u16::from(b[0] & 0x3f) << 8 | u16::from(b[1])),
            _ => None,
        }
    }

    /// The eight bytes as one big-endian number.
    pub fn to_u64(&self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// A LUN from eight bytes given as one big-endian number.
    pub fn from_u64(v: u64) -> Lun {
        Lun(v.to_be_bytes())
    }
}

impl fmt::Display for Lun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.to_u64())?;
        if let Some(n) = self.single_level_number() {
            write!(f, " (LUN {n})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_fields() {
        let mut b = start(Opcode::ScsiCommand, true, 0xff);
        assert_eq!(b[0], 0xc1);
        assert!(immediate(&b));
        assert_eq!(reserved0(&b), 0x80);
        set_data_segment_length(&mut b, 0x0123_4567);
        assert_eq!(&b[4..8], &[0, 0x23, 0x45, 0x67]);
        assert_eq!(data_segment_length(&b), 0x23_4567);
        b[OFF_TOTAL_AHS] = 3;
        assert_eq!(total_ahs_bytes(&b), 12);
        put32(&mut b, OFF_ITT, 0xdead_beef);
        assert_eq!(be32(&b, OFF_ITT), 0xdead_beef);
        put16(&mut b, 20, 0x1234);
        assert_eq!(be16(&b, 20), 0x1234);
        assert_eq!(arr::<2>(&b, 20), [0x12, 0x34]);
        // Data-Out has no I bit: bit 6 is reserved and kept as such.
        let d = start(Opcode::DataOut, true, 0x40);
        assert_eq!(d[0], 0x45);
        assert_eq!(reserved0(&d), 0x40);
    }

    #[test]
    fn lun_forms() {
        assert_eq!(Lun::single_level(5).0, [0, 5, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Lun::single_level(0x123).0, [0x41, 0x23, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Lun::single_level(0x123).single_level_number(), Some(0x123));
        assert_eq!(Lun::single_level(7).single_level_number(), Some(7));
        assert_eq!(Lun([0x81, 0, 0, 0, 0, 0, 0, 1]).single_level_number(), None);
        assert_eq!(Lun::single_level(2).to_string(), "0002000000000000 (LUN 2)");
        assert_eq!(Lun::from_u64(42).to_u64(), 42);
    }
}

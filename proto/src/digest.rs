//! iSCSI header and data digests (RFC 7143 §11.1, §13.1): CRC32C, as defined in
//! RFC 3720 appendix B.4, computed by the hardware-accelerated `crc32c` crate.

/// Length in bytes of a CRC32C digest on the wire.
pub const DIGEST_LEN: usize = 4;

/// The CRC32C of `bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// Continues a CRC32C over more bytes, so that header plus data or a data
/// segment plus its padding can be digested in one pass without copying.
pub fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, bytes)
}

/// Digest bytes as they appear on the wire.
///
/// RFC 7143 §11.1 and RFC 3720 B.4: the CRC is sent least significant byte first.
pub fn to_wire(crc: u32) -> [u8; DIGEST_LEN] {
    crc.to_le_bytes()
}

/// Reads a digest as it appears on the wire.
pub fn from_wire(bytes: [u8; DIGEST_LEN]) -> u32 {
    u32::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3720 appendix B.4 gives CRC32C test vectors with their wire bytes.
    #[test]
    fn rfc3720_vectors() {
        assert_eq!(to_wire(crc32c(&[0u8; 32])), [0xaa, 0x36, 0x91, 0x8a]);
        assert_eq!(to_wire(crc32c(&[0xffu8; 32])), [0x43, 0xab, 0xa8, 0x62]);
        let incrementing: Vec<u8> = (0u8..32).collect();
        assert_eq!(to_wire(crc32c(&incrementing)), [0x4e, 0x79, 0xdd, 0x46]);
        let decrementing: Vec<u8> = (0u8..32).rev().collect();
        assert_eq!(to_wire(crc32c(&decrementing)), [0x5c, 0xdb, 0x3f, 0x11]);
    }

    #[test]
    fn append_equals_whole() {
        let data: Vec<u8> = (0u16..300).map(|i| i as u8).collect();
        let (a, b) = data.split_at(117);
        assert_eq!(crc32c_append(crc32c(a), b), crc32c(&data));
        assert_eq!(from_wire(to_wire(0x1234_5678)), 0x1234_5678);
    }
}

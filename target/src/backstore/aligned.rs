//! Buffers aligned for O_DIRECT, without `unsafe`: a buffer is allocated
//! [`ALIGN`] bytes larger than needed and the aligned window inside it is
//! used; a [`Bytes`] of that window shares the allocation, so the read data
//! goes to the socket without a copy.

use bytes::BytesMut;

/// Alignment of every buffer handed to a direct file: 4096 bytes, which is
/// at least the logical block size of any disk and the page size here.
pub const ALIGN: usize = 4096;

/// A zeroed buffer of `len` bytes whose first byte lies on an [`ALIGN`]
/// boundary, and the offset of that window in the returned `BytesMut`.
pub fn aligned_read_buffer(len: usize) -> (BytesMut, usize) {
    let buf = BytesMut::zeroed(len + ALIGN);
    let addr = buf.as_ptr() as usize;
    let skip = (ALIGN - addr % ALIGN) % ALIGN;
    (buf, skip)
}

/// True when `buf` starts on an [`ALIGN`] boundary and its length is a
/// multiple of `block`.
pub(crate) fn is_aligned(buf: &[u8], block: usize) -> bool {
    (buf.as_ptr() as usize) % ALIGN == 0 && buf.len() % block.max(1) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_aligned_and_shared() {
        for len in [512, 4096, 65536, 1 << 20] {
            let (mut buf, skip) = aligned_read_buffer(len);
            let window = &mut buf[skip..skip + len];
            assert!(is_aligned(window, 512));
            window[0] = 7;
            let b = buf.freeze().slice(skip..skip + len);
            assert_eq!(b.len(), len);
            assert_eq!(b[0], 7);
            assert_eq!(b.as_ptr() as usize % ALIGN, 0);
        }
    }
}

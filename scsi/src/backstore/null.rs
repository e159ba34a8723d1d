//! A backstore that holds nothing: reads give zeroes, writes are dropped.

use super::{check_range, Backstore, BackstoreError};
use bytes::Bytes;

/// Zeros shared by every read of at most its length (it takes no memory
/// until read).
static ZEROS: [u8; 1 << 20] = [0; 1 << 20];

/// A backstore of a given size that stores nothing, for benchmarks of the
/// protocol path: reads return zeroes, writes and deallocations succeed and
/// are discarded.
#[derive(Debug, Clone, Copy)]
pub struct NullBackstore {
    size: u64,
}

impl NullBackstore {
    /// A null store of `size` bytes.
    pub fn new(size: u64) -> Self {
        NullBackstore { size }
    }
}

impl Backstore for NullBackstore {
    fn len(&self) -> u64 {
        self.size
    }

    fn block_size(&self) -> u32 {
        512
    }

    fn is_thin(&self) -> bool {
        true
    }

    fn never_waits(&self) -> bool {
        true
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), BackstoreError> {
        check_range(offset, buf.len() as u64, self.size)?;
        buf.fill(0);
        Ok(())
    }

    fn read_to_bytes(&self, offset: u64, len: usize) -> Result<Bytes, BackstoreError> {
        check_range(offset, len as u64, self.size)?;
        Ok(match ZEROS.get(..len) {
            Some(zeros) => Bytes::from_static(zeros),
            None => Bytes::from(vec![0u8; len]),
        })
    }

    fn write_at(&self, offset: u64, data: &[u8], _fua: bool) -> Result<(), BackstoreError> {
        check_range(offset, data.len() as u64, self.size)
    }

    fn flush(&self) -> Result<(), BackstoreError> {
        Ok(())
    }

    fn deallocate(&self, offset: u64, len: u64) -> Result<(), BackstoreError> {
        check_range(offset, len, self.size)
    }

    fn write_zeroes(&self, offset: u64, len: u64, _fua: bool) -> Result<(), BackstoreError> {
        check_range(offset, len, self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_zeros_of_any_length() {
        let null = NullBackstore::new(4 << 20);
        for len in [512, 1 << 20, (2 << 20) + 512] {
            let b = null.read_to_bytes(512, len).unwrap();
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|&x| x == 0));
        }
        assert!(null.read_to_bytes(4 << 20, 1).is_err());
    }

    #[test]
    fn reads_zero_after_writes() {
        let n = NullBackstore::new(1024);
        n.write_at(0, &[9; 512], true).unwrap();
        let mut b = [1u8; 512];
        n.read_at(0, &mut b).unwrap();
        assert_eq!(b, [0; 512]);
        assert!(n.read_at(1000, &mut b).is_err());
        assert!(n.is_thin() && n.len() == 1024 && !n.is_empty());
    }
}

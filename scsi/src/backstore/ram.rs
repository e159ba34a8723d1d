//! A sparse RAM backstore: memory is taken in chunks, only when written.

use super::{check_range, Backstore, BackstoreError, Extent};
use bytes::{Bytes, BytesMut};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Bytes per allocation chunk.
pub const CHUNK: u64 = 64 * 1024;

/// A backstore in memory, sized at creation, thin: a chunk of [`CHUNK`]
/// bytes is allocated the first time a byte of it is written with a
/// non-zero value; unwritten bytes read as zero; deallocating a whole chunk
/// frees it. An optional space limit makes allocation fail with
/// [`BackstoreError::NoSpace`] past that many chunks, like a full pool.
#[derive(Debug)]
pub struct RamBackstore {
    size: u64,
    limit_chunks: Option<u64>,
    chunks: Mutex<BTreeMap<u64, Box<[u8]>>>,
}

impl RamBackstore {
    /// A zeroed store of `size` bytes with no space limit.
    pub fn new(size: u64) -> Self {
        RamBackstore {
            size,
            limit_chunks: None,
            chunks: Mutex::new(BTreeMap::new()),
        }
    }

    /// Limits the memory to `bytes` (rounded up to whole chunks).
    pub fn with_space_limit(mut self, bytes: u64) -> Self {
        self.limit_chunks = Some(bytes.div_ceil(CHUNK));
        self
    }

    /// Bytes of memory currently allocated.
    pub fn allocated(&self) -> u64 {
        self.lock().len() as u64 * CHUNK
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Box<[u8]>>> {
        // A panic while holding the lock leaves whole chunks behind, never a
        // half-built map entry, so the data is still usable.
        self.chunks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls `f(chunk index, offset in chunk, offset in the request, length)`
    /// for each piece of `len` bytes at `offset`.
    fn pieces(offset: u64, len: u64, mut f: impl FnMut(u64, usize, usize, usize)) {
        let mut at = 0u64;
        while at < len {
            let pos = offset + at;
            let idx = pos / CHUNK;
            let in_chunk = pos % CHUNK;
            let n = (CHUNK - in_chunk).min(len - at);
            f(idx, in_chunk as usize, at as usize, n as usize);
            at += n;
        }
    }
}

/// True when every byte of `s` is zero. ORs 4 KiB at a time (a loop the
/// compiler vectorises) and stops at the first block that is not zero.
fn is_zero(s: &[u8]) -> bool {
    s.chunks(4096)
        .all(|block| block.iter().fold(0u8, |acc, &b| acc | b) == 0)
}

impl Backstore for RamBackstore {
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
        let chunks = self.lock();
        Self::pieces(offset, buf.len() as u64, |idx, from, at, n| {
            // `pieces` keeps each piece inside its chunk and the buffer.
            let Some(out) = buf.get_mut(at..at + n) else {
                return;
            };
            match chunks.get(&idx).and_then(|c| c.get(from..from + n)) {
                Some(c) => out.copy_from_slice(c),
                None => out.fill(0),
            }
        });
        Ok(())
    }

    fn read_to_bytes(&self, offset: u64, len: usize) -> Result<Bytes, BackstoreError> {
        check_range(offset, len as u64, self.size)?;
        let chunks = self.lock();
        let mut out = BytesMut::with_capacity(len);
        Self::pieces(offset, len as u64, |idx, from, _, n| {
            match chunks.get(&idx).and_then(|c| c.get(from..from + n)) {
                Some(c) => out.extend_from_slice(c),
                None => out.resize(out.len() + n, 0),
            }
        });
        Ok(out.freeze())
    }

    fn write_at(&self, offset: u64, data: &[u8], _fua: bool) -> Result<(), BackstoreError> {
        check_range(offset, data.len() as u64, self.size)?;
        let mut chunks = self.lock();
        // Check space first so a failed write changes nothing.
        let mut new = 0u64;
        Self::pieces(offset, data.len() as u64, |idx, _, at, n| {
            if !chunks.contains_key(&idx) && data.get(at..at + n).is_some_and(|s| !is_zero(s)) {
                new += 1;
            }
        });
        if let Some(limit) = self.limit_chunks {
            if chunks.len() as u64 + new > limit {
                return Err(BackstoreError::NoSpace);
            }
        }
        Self::pieces(offset, data.len() as u64, |idx, from, at, n| {
            let Some(src) = data.get(at..at + n) else {
                return;
            };
            let chunk = match chunks.get_mut(&idx) {
                Some(c) => c,
                None if is_zero(src) => return,
                None => chunks
                    .entry(idx)
                    .or_insert_with(|| vec![0u8; CHUNK as usize].into_boxed_slice()),
            };
            if let Some(dst) = chunk.get_mut(from..from + n) {
                dst.copy_from_slice(src);
            }
        });
        Ok(())
    }

    fn flush(&self) -> Result<(), BackstoreError> {
        Ok(())
    }

    fn deallocate(&self, offset: u64, len: u64) -> Result<(), BackstoreError> {
        check_range(offset, len, self.size)?;
        let mut chunks = self.lock();
        Self::pieces(offset, len, |idx, from, _, n| {
            if n as u64 == CHUNK {
                chunks.remove(&idx);
            } else if let Some(range) = chunks.get_mut(&idx).and_then(|c| c.get_mut(from..from + n))
            {
                range.fill(0);
            }
        });
        Ok(())
    }

    fn allocation(&self, offset: u64, len: u64) -> Result<Vec<Extent>, BackstoreError> {
        check_range(offset, len, self.size)?;
        let chunks = self.lock();
        let mut out: Vec<Extent> = Vec::new();
        Self::pieces(offset, len, |idx, from, _, n| {
            let mapped = chunks.contains_key(&idx);
            let at = idx * CHUNK + from as u64;
            match out.last_mut() {
                Some(e) if e.mapped == mapped => e.len += n as u64,
                _ => out.push(Extent {
                    offset: at,
                    len: n as u64,
                    mapped,
                }),
            }
        });
        Ok(out)
    }

    fn write_zeroes(&self, offset: u64, len: u64, _fua: bool) -> Result<(), BackstoreError> {
        // Zeroes need no memory: the same as deallocating.
        self.deallocate(offset, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_to_bytes_matches_read_at_across_chunks_and_holes() {
        let ram = RamBackstore::new(4 * CHUNK);
        ram.write_at(CHUNK - 512, &[7; 1024], false).unwrap();
        ram.write_at(3 * CHUNK, &[0; 512], false).unwrap();
        let (offset, len) = (CHUNK - 4096, 2 * CHUNK as usize + 8192);
        let mut expected = vec![1u8; len];
        ram.read_at(offset, &mut expected).unwrap();
        assert_eq!(ram.read_to_bytes(offset, len).unwrap(), expected);
        assert!(matches!(
            ram.read_to_bytes(4 * CHUNK - 512, 1024),
            Err(BackstoreError::OutOfRange { .. })
        ));
    }

    #[test]
    fn zero_test_sees_a_late_nonzero_byte() {
        let mut data = vec![0u8; 3 * 4096 + 5];
        assert!(is_zero(&data));
        *data.last_mut().unwrap() = 1;
        assert!(!is_zero(&data));
    }

    #[test]
    fn unwritten_reads_zero_and_takes_no_memory() {
        let r = RamBackstore::new(1 << 30);
        let mut b = vec![0xffu8; 4096];
        r.read_at(5 << 20, &mut b).unwrap();
        assert!(b.iter().all(|&x| x == 0));
        assert_eq!(r.allocated(), 0);
        r.write_at(0, &[0; 4096], false).unwrap();
        assert_eq!(r.allocated(), 0, "zero writes allocate nothing");
    }

    #[test]
    fn writes_across_chunks_read_back() {
        let r = RamBackstore::new(4 * CHUNK);
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8 + 1).collect();
        let at = CHUNK - 1000;
        r.write_at(at, &data, true).unwrap();
        assert_eq!(r.allocated(), 2 * CHUNK);
        let mut back = vec![0u8; 3000];
        r.read_at(at, &mut back).unwrap();
        assert_eq!(back, data);
        r.deallocate(at, 1000).unwrap();
        r.read_at(at, &mut back).unwrap();
        assert!(back[..1000].iter().all(|&x| x == 0));
        assert_eq!(&back[1000..], &data[1000..]);
        r.deallocate(CHUNK, CHUNK).unwrap();
        assert_eq!(r.allocated(), CHUNK);
    }

    #[test]
    fn allocation_reports_chunks() {
        let r = RamBackstore::new(4 * CHUNK);
        r.write_at(CHUNK + 10, &[1], false).unwrap();
        let ext = r.allocation(512, 3 * CHUNK).unwrap();
        assert_eq!(
            ext,
            vec![
                Extent {
                    offset: 512,
                    len: CHUNK - 512,
                    mapped: false
                },
                Extent {
                    offset: CHUNK,
                    len: CHUNK,
                    mapped: true
                },
                Extent {
                    offset: 2 * CHUNK,
                    len: CHUNK + 512,
                    mapped: false
                },
            ]
        );
        assert!(r.allocation(4 * CHUNK, 1).is_err());
    }

    #[test]
    fn space_limit_gives_no_space_and_changes_nothing() {
        let r = RamBackstore::new(8 * CHUNK).with_space_limit(CHUNK);
        r.write_at(0, &[1; 10], false).unwrap();
        assert_eq!(
            r.write_at(CHUNK - 5, &[2; 10], false),
            Err(BackstoreError::NoSpace)
        );
        let mut b = [0u8; 10];
        r.read_at(CHUNK - 5, &mut b).unwrap();
        assert_eq!(b, [0; 10]);
        assert!(r.write_at(8 * CHUNK, &[1], false).is_err());
    }
}

//! Backstores: where a virtual disk's blocks live, and the requests a
//! [`crate::Disk`] emits for a driver to run against one.
//!
//! The disk never touches its backstore. It emits [`IoRequest`]s from
//! `poll_io`; the driver (the tokio server, the simulator, the test
//! executor) runs each one, typically with [`IoRequest::execute`] on a
//! thread that is not a network thread, and hands the result back with
//! `handle_io_complete`. The simulator instead delays, fails, reorders or
//! drops the requests to model a disk.
//!
//! A [`Backstore`] is synchronous and shared (`Send + Sync`, `&self`
//! methods): a driver may run several requests on it at once from several
//! threads. The disk never emits two requests that overlap while one of them
//! writes (see the ordering rules in [`crate::device`]), so a backstore needs
//! no ordering of its own between requests in flight.

mod null;
mod ram;

pub use null::NullBackstore;
pub use ram::{RamBackstore, CHUNK as RAM_CHUNK};

use bytes::Bytes;

/// Why a backstore request failed; the disk turns each into the sense data
/// SBC-4 names ([`crate::sense::backstore_sense`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BackstoreError {
    /// The medium failed the transfer (EIO): MEDIUM ERROR, UNRECOVERED READ
    /// ERROR on reads, WRITE ERROR on writes.
    #[error("backstore input/output error: check the underlying device")]
    Io,
    /// A thin backstore could not allocate space (ENOSPC): DATA PROTECT,
    /// SPACE ALLOCATION FAILED WRITE PROTECT.
    #[error("backstore out of space: grow the pool or unmap blocks")]
    NoSpace,
    /// The backstore refuses writes (EROFS or a read-only file): DATA
    /// PROTECT, WRITE PROTECTED.
    #[error("backstore is read-only: configure the lun read-only or fix permissions")]
    ReadOnly,
    /// The request runs past the end of the backstore: the LUN is configured
    /// larger than its backstore (HARDWARE ERROR, INTERNAL TARGET FAILURE).
    #[error("request at byte {offset} of {len} bytes runs past the backstore end {size}: configure a smaller lun")]
    OutOfRange {
        /// Byte offset of the request.
        offset: u64,
        /// Length of the request in bytes.
        len: u64,
        /// Size of the backstore in bytes.
        size: u64,
    },
    /// The backstore cannot do this kind of request (deallocate on a thick
    /// file): HARDWARE ERROR, INTERNAL TARGET FAILURE.
    #[error("backstore does not support {op}: configure the lun thick")]
    Unsupported {
        /// The request kind, e.g. "deallocate".
        op: &'static str,
    },
}

/// A virtual disk's storage: a byte array of [`Backstore::len`] bytes.
///
/// Offsets and lengths are in bytes; the disk only issues requests aligned
/// to its logical block size and within [`Backstore::len`], but an
/// implementation must answer [`BackstoreError::OutOfRange`] rather than
/// panic if that is ever broken.
pub trait Backstore: Send + Sync + std::fmt::Debug {
    /// Size in bytes.
    fn len(&self) -> u64;

    /// True when the backstore holds no byte.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block size the backstore prefers (its physical block or page);
    /// informational, the LUN's logical block size is configured.
    fn block_size(&self) -> u32;

    /// True when blocks take space only once written and
    /// [`Backstore::deallocate`] gives space back.
    fn is_thin(&self) -> bool;

    /// Reads `buf.len()` bytes at `offset`. Bytes never written read as zero.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), BackstoreError>;

    /// Writes `data` at `offset`. With `fua` the data must be on stable
    /// storage when this returns (O_DSYNC or a flush of the range).
    fn write_at(&self, offset: u64, data: &[u8], fua: bool) -> Result<(), BackstoreError>;

    /// Makes every write that has returned so far stable (fsync).
    fn flush(&self) -> Result<(), BackstoreError>;

    /// Reads `len` bytes at `offset` into a new buffer. The default fills
    /// a zeroed buffer with [`Backstore::read_at`]; a store in memory
    /// copies its blocks into an empty buffer instead, or shares them.
    fn read_to_bytes(&self, offset: u64, len: usize) -> Result<Bytes, BackstoreError> {
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf)?;
        Ok(Bytes::from(buf))
    }

    /// True when no request ever waits for a device: the blocks are in
    /// memory (the RAM and null stores). A driver may then run requests on
    /// its own thread instead of a pool where blocking is allowed.
    fn never_waits(&self) -> bool {
        false
    }

    /// Reads as [`Backstore::read_at`] does, but only if the bytes are at
    /// hand without waiting for a device (a file's page cache): true when
    /// `buf` was filled. False leaves `buf` undefined and reports nothing,
    /// not even an error: the caller then runs `read_at` where blocking is
    /// allowed, which answers as it always does. The default never reads.
    fn read_at_nowait(&self, _offset: u64, _buf: &mut [u8]) -> bool {
        false
    }

    /// Writes as [`Backstore::write_at`] does without FUA, but only if it
    /// needs no wait for a device (space in the page cache): true when all
    /// of `data` was written. False reports nothing; part of `data` may
    /// have been written, so the caller runs `write_at` with the same data
    /// where blocking is allowed. The default never writes.
    fn write_at_nowait(&self, _offset: u64, _data: &[u8]) -> bool {
        false
    }

    /// Gives back the space of `len` bytes at `offset` (hole punch); they
    /// read as zero afterwards.
    fn deallocate(&self, offset: u64, len: u64) -> Result<(), BackstoreError>;

    /// The allocation of `len` bytes at `offset`, for GET LBA STATUS (SBC-4
    /// §5.8): extents in ascending order, adjacent, covering the range
    /// exactly. A mapped extent holds space; an unmapped one reads as zero
    /// and holds none. The default, for thick backstores, is one mapped
    /// extent; a file backstore answers with SEEK_DATA/SEEK_HOLE, a thin
    /// one from its allocation map.
    fn allocation(&self, offset: u64, len: u64) -> Result<Vec<Extent>, BackstoreError> {
        check_range(offset, len, self.len())?;
        Ok(vec![Extent {
            offset,
            len,
            mapped: true,
        }])
    }

    /// Writes `len` zero bytes at `offset`. The default writes a zero buffer
    /// in pieces; a backstore with a cheaper way (FALLOC_FL_ZERO_RANGE,
    /// BLKZEROOUT) overrides it.
    fn write_zeroes(&self, offset: u64, len: u64, fua: bool) -> Result<(), BackstoreError> {
        const PIECE: u64 = 1 << 20;
        let zero = vec![0u8; PIECE.min(len) as usize];
        let mut at = 0;
        while at < len {
            let n = PIECE.min(len - at);
            self.write_at(offset + at, zero.get(..n as usize).unwrap_or(&[]), fua)?;
            at += n;
        }
        Ok(())
    }
}

/// A run of bytes with one allocation state (see [`Backstore::allocation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub offset: u64,
    pub len: u64,
    /// True when the bytes hold space (written), false when deallocated.
    pub mapped: bool,
}

/// Checks that `len` bytes at `offset` fit in `size` bytes: every
/// backstore answers [`BackstoreError::OutOfRange`] through it.
pub fn check_range(offset: u64, len: u64, size: u64) -> Result<(), BackstoreError> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(BackstoreError::OutOfRange { offset, len, size }),
    }
}

/// Identifies one backstore request of one disk until it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IoId(pub u64);

/// What a backstore request does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoOp {
    /// Read `len` bytes at `offset`; completes with [`IoData::Read`].
    Read { offset: u64, len: u64 },
    /// Write `data` at `offset`, stable on return when `fua`.
    Write { offset: u64, data: Bytes, fua: bool },
    /// Write `len` zero bytes at `offset`.
    WriteZeroes { offset: u64, len: u64, fua: bool },
    /// Give back `len` bytes at `offset`; they read as zero afterwards.
    Deallocate { offset: u64, len: u64 },
    /// Make all completed writes stable.
    Flush,
    /// Report the allocation of `len` bytes at `offset`; completes with
    /// [`IoData::Allocation`].
    Allocation { offset: u64, len: u64 },
}

impl IoOp {
    /// True for requests that change the medium.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            IoOp::Read { .. } | IoOp::Flush | IoOp::Allocation { .. }
        )
    }
}

/// A request the disk asks its driver to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoRequest {
    /// Hand this back to `handle_io_complete`.
    pub id: IoId,
    pub op: IoOp,
    /// Part of a long operation that runs in the background of the LU's
    /// other work (SANITIZE): a driver may pace it (rtgtd's
    /// `sanitize_rate`) so that it leaves the storage to other LUNs.
    pub background: bool,
    /// Run on the backstore of this other LUN of the target (EXTENDED COPY
    /// between LUNs); the completion still goes to the disk that issued
    /// it. `None`: the issuing disk's own backstore.
    pub lun: Option<u16>,
}

impl IoRequest {
    /// The LUN whose backstore runs this request, for a request the disk
    /// at `own` issued.
    pub fn backstore_lun(&self, own: u16) -> u16 {
        self.lun.unwrap_or(own)
    }
}

/// The result of a successful request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoData {
    /// The bytes of an [`IoOp::Read`].
    Read(Bytes),
    /// The extents of an [`IoOp::Allocation`].
    Allocation(Vec<Extent>),
    /// Any other request.
    Done,
}

impl IoRequest {
    /// Runs the request on `store`, synchronously.
    pub fn execute(&self, store: &dyn Backstore) -> Result<IoData, BackstoreError> {
        match &self.op {
            IoOp::Read { offset, len } => {
                check_range(*offset, *len, store.len())?;
                store
                    .read_to_bytes(*offset, *len as usize)
                    .map(IoData::Read)
            }
            IoOp::Write { offset, data, fua } => {
                store.write_at(*offset, data, *fua).map(|()| IoData::Done)
            }
            IoOp::WriteZeroes { offset, len, fua } => store
                .write_zeroes(*offset, *len, *fua)
                .map(|()| IoData::Done),
            IoOp::Deallocate { offset, len } => {
                store.deallocate(*offset, *len).map(|()| IoData::Done)
            }
            IoOp::Flush => store.flush().map(|()| IoData::Done),
            IoOp::Allocation { offset, len } => {
                store.allocation(*offset, *len).map(IoData::Allocation)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_runs_each_op() {
        let ram = RamBackstore::new(8192);
        let w = IoRequest {
            id: IoId(1),
            background: false,
            lun: None,
            op: IoOp::Write {
                offset: 512,
                data: Bytes::from_static(&[7; 512]),
                fua: true,
            },
        };
        assert_eq!(w.execute(&ram), Ok(IoData::Done));
        let r = IoRequest {
            id: IoId(2),
            background: false,
            lun: None,
            op: IoOp::Read {
                offset: 0,
                len: 1024,
            },
        };
        let Ok(IoData::Read(b)) = r.execute(&ram) else {
            panic!("read failed")
        };
        assert_eq!(&b[..512], &[0; 512][..]);
        assert_eq!(&b[512..], &[7; 512][..]);
        let past = IoRequest {
            id: IoId(3),
            background: false,
            lun: None,
            op: IoOp::Read {
                offset: 8000,
                len: 512,
            },
        };
        assert_eq!(
            past.execute(&ram),
            Err(BackstoreError::OutOfRange {
                offset: 8000,
                len: 512,
                size: 8192
            })
        );
        assert!(w.op.is_write() && !r.op.is_write() && !IoOp::Flush.is_write());
    }
}

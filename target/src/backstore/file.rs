//! A file or block device as a backstore: positional reads and writes
//! (`pread`/`pwrite`), FUA and SYNCHRONIZE CACHE made durable with
//! `fdatasync`, optional O_DIRECT, and thin provisioning by punching holes.
//!
//! # O_DIRECT alignment rule
//!
//! With [`FileOptions::direct`] the kernel wants the buffer address, the
//! file offset and the length to be multiples of the device's logical block
//! size. Offsets and lengths are multiples of the LUN's block size, so the
//! LUN's `block_size` must be a multiple of the backing device's logical
//! block size (4096 is always safe; 512 only on 512-byte devices). Buffers
//! are aligned to [`super::ALIGN`] (4096): reads from the daemon land in an
//! aligned buffer directly; write data from the network is not aligned and
//! is copied once into an aligned buffer.

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, IoSliceMut, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use rtgt_scsi::backstore::check_range;
use rtgt_scsi::{Backstore, BackstoreError, Extent};
use rustix::buffer::spare_capacity;
use rustix::fs::{fallocate, seek, FallocateFlags, OFlags, SeekFrom as Whence};
use rustix::io::{preadv2, pwritev2, Errno, ReadWriteFlags};

use super::aligned::{aligned_read_buffer, is_aligned};
use super::nowait::{in_memory_fs, nowait_done};
use super::{os_error, sizing, Sizing};

/// How to open a file backstore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileOptions {
    /// Size in bytes; a missing regular file is created sparse with this
    /// size and a smaller one is extended (sparse). `None` takes the size of
    /// the file or device.
    pub size: Option<u64>,
    /// Opened read-only.
    pub read_only: bool,
    /// O_DIRECT: bypass the page cache (see the module docs for alignment).
    pub direct: bool,
    /// Thin: deallocation punches holes.
    pub thin: bool,
    /// The LUN's logical block size in bytes.
    pub block_size: u32,
}

/// Why a file backstore cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open {path}: {source}: check the path and its permissions")]
    Open { path: PathBuf, source: io::Error },
    #[error("{path} has no size and none is configured: set size")]
    NoSize { path: PathBuf },
    #[error("{path} is a block device of {have} bytes, smaller than the configured size {want}: lower size")]
    DeviceTooSmall { path: PathBuf, have: u64, want: u64 },
    #[error("{path} is {have} bytes, smaller than the configured size {want}, and read-only: lower size or make it writable")]
    FileTooSmall { path: PathBuf, have: u64, want: u64 },
    #[error("cannot size {path}: {source}")]
    Resize { path: PathBuf, source: io::Error },
    #[error("{path} is neither a regular file nor a block device: use a file or a device")]
    NotAFile { path: PathBuf },
}

/// A file or block device.
#[derive(Debug)]
pub struct FileBackstore {
    file: File,
    size: u64,
    thin: bool,
    direct: bool,
    block_size: u32,
    /// Cleared when the kernel or filesystem refuses RWF_NOWAIT for
    /// reads, writes: the daemon then stops trying.
    nowait_reads: AtomicBool,
    nowait_writes: AtomicBool,
    /// The file lives in memory (tmpfs, ramfs): no call waits for a device.
    in_memory: bool,
}

impl FileBackstore {
    /// Opens (and when needed creates or extends) `path`.
    pub fn open(path: &Path, opts: &FileOptions) -> Result<Self, OpenError> {
        let open_err = |source| OpenError::Open {
            path: path.into(),
            source,
        };
        let exists = path.exists();
        let mut oo = OpenOptions::new();
        oo.read(true).write(!opts.read_only);
        if !exists && !opts.read_only && opts.size.is_some() {
            oo.create(true);
        }
        if opts.direct {
            oo.custom_flags(OFlags::DIRECT.bits() as i32);
        }
        let mut file = oo.open(path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        let is_block = meta.file_type().is_block_device();
        if !is_block && !meta.is_file() {
            return Err(OpenError::NotAFile { path: path.into() });
        }
        let have = if is_block {
            file.seek(SeekFrom::End(0)).map_err(open_err)?
        } else {
            meta.len()
        };
        let size = match sizing(have, opts.size, !is_block && !opts.read_only) {
            Sizing::NoSize => return Err(OpenError::NoSize { path: path.into() }),
            Sizing::Keep(size) => size,
            Sizing::TooSmall { have, want } if is_block => {
                return Err(OpenError::DeviceTooSmall {
                    path: path.into(),
                    have,
                    want,
                })
            }
            Sizing::TooSmall { have, want } => {
                return Err(OpenError::FileTooSmall {
                    path: path.into(),
                    have,
                    want,
                })
            }
            Sizing::Extend(want) => {
                // A sparse extension: no block is allocated until written.
                file.set_len(want).map_err(|source| OpenError::Resize {
                    path: path.into(),
                    source,
                })?;
                want
            }
        };
        let in_memory = !opts.direct && !is_block && in_memory_fs(&file);
        Ok(FileBackstore {
            in_memory,
            file,
            size,
            thin: opts.thin,
            direct: opts.direct,
            block_size: opts.block_size.max(512),
            // O_DIRECT always waits for the device.
            nowait_reads: AtomicBool::new(!opts.direct),
            nowait_writes: AtomicBool::new(!opts.direct && !opts.read_only),
        })
    }

    fn check(&self, offset: u64, len: u64) -> Result<(), BackstoreError> {
        check_range(offset, len, self.size)
    }

    fn sync(&self) -> Result<(), BackstoreError> {
        self.file.sync_data().map_err(|e| os_error(&e))
    }
}

impl Backstore for FileBackstore {
    fn len(&self) -> u64 {
        self.size
    }

    fn block_size(&self) -> u32 {
        self.block_size
    }

    fn is_thin(&self) -> bool {
        self.thin
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), BackstoreError> {
        self.check(offset, buf.len() as u64)?;
        if self.direct && !is_aligned(buf, self.block_size as usize) {
            // A bounce buffer for callers that did not align theirs.
            let (mut tmp, skip) = aligned_read_buffer(buf.len());
            let window = tmp
                .get_mut(skip..skip + buf.len())
                .ok_or(BackstoreError::Io)?;
            self.file
                .read_exact_at(window, offset)
                .map_err(|e| os_error(&e))?;
            buf.copy_from_slice(window);
            return Ok(());
        }
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| os_error(&e))
    }

    /// With O_DIRECT, into a buffer aligned for it whose window is handed
    /// on without a copy; otherwise into a buffer that is never zeroed
    /// first (pread fills its spare capacity).
    fn read_to_bytes(&self, offset: u64, len: usize) -> Result<Bytes, BackstoreError> {
        self.check(offset, len as u64)?;
        if self.direct {
            let (mut buf, skip) = aligned_read_buffer(len);
            let window = buf.get_mut(skip..skip + len).ok_or(BackstoreError::Io)?;
            self.read_at(offset, window)?;
            return Ok(buf.freeze().slice(skip..skip + len));
        }
        let mut buf = Vec::with_capacity(len);
        while buf.len() < len {
            let at = offset + buf.len() as u64;
            match rustix::io::pread(&self.file, spare_capacity(&mut buf), at) {
                // The file is at least `size` long (checked at open).
                Ok(0) => return Err(BackstoreError::Io),
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(os_error(&e.into())),
            }
        }
        Ok(Bytes::from(buf))
    }

    fn write_at(&self, offset: u64, data: &[u8], fua: bool) -> Result<(), BackstoreError> {
        self.check(offset, data.len() as u64)?;
        let res = if self.direct && !is_aligned(data, self.block_size as usize) {
            let (mut tmp, skip) = aligned_read_buffer(data.len());
            let window = tmp
                .get_mut(skip..skip + data.len())
                .ok_or(BackstoreError::Io)?;
            window.copy_from_slice(data);
            self.file.write_all_at(window, offset)
        } else {
            self.file.write_all_at(data, offset)
        };
        res.map_err(|e| os_error(&e))?;
        // SBC-4 §5.11 (FUA): the data is on the medium before GOOD status.
        if fua {
            self.sync()?;
        }
        Ok(())
    }

    fn never_waits(&self) -> bool {
        self.in_memory
    }

    fn read_at_nowait(&self, offset: u64, buf: &mut [u8]) -> bool {
        if !self.nowait_reads.load(Ordering::Relaxed)
            || self.check(offset, buf.len() as u64).is_err()
        {
            return false;
        }
        let want = buf.len();
        let res = preadv2(
            &self.file,
            &mut [IoSliceMut::new(buf)],
            offset,
            ReadWriteFlags::NOWAIT,
        );
        nowait_done(res, want, &self.nowait_reads)
    }

    fn write_at_nowait(&self, offset: u64, data: &[u8]) -> bool {
        if !self.nowait_writes.load(Ordering::Relaxed)
            || self.check(offset, data.len() as u64).is_err()
        {
            return false;
        }
        let res = pwritev2(
            &self.file,
            &[IoSlice::new(data)],
            offset,
            ReadWriteFlags::NOWAIT,
        );
        nowait_done(res, data.len(), &self.nowait_writes)
    }

    fn flush(&self) -> Result<(), BackstoreError> {
        // SBC-4 §5.27 SYNCHRONIZE CACHE: fdatasync covers every write done.
        self.sync()
    }

    fn deallocate(&self, offset: u64, len: u64) -> Result<(), BackstoreError> {
        self.check(offset, len)?;
        if !self.thin {
            return Err(BackstoreError::Unsupported { op: "deallocate" });
        }
        fallocate(
            &self.file,
            FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
            offset,
            len,
        )
        .map_err(|e| match e {
            rustix::io::Errno::OPNOTSUPP => BackstoreError::Unsupported { op: "deallocate" },
            e => os_error(&io::Error::from(e)),
        })
    }

    /// SBC-4 §5.8 GET LBA STATUS: the file's data and holes, found with
    /// SEEK_DATA and SEEK_HOLE, widened to whole logical blocks (a block
    /// with any data is mapped). Where the file system (or a block device)
    /// cannot tell, the whole range is mapped.
    fn allocation(&self, offset: u64, len: u64) -> Result<Vec<Extent>, BackstoreError> {
        self.check(offset, len)?;
        let whole = vec![Extent {
            offset,
            len,
            mapped: true,
        }];
        let bs = u64::from(self.block_size);
        let end = offset + len;
        let mut out: Vec<Extent> = Vec::new();
        let mut push = |from: u64, to: u64, mapped: bool| {
            if to <= from {
                return;
            }
            match out.last_mut() {
                Some(e) if e.mapped == mapped && e.offset + e.len == from => e.len += to - from,
                _ => out.push(Extent {
                    offset: from,
                    len: to - from,
                    mapped,
                }),
            }
        };
        let mut pos = offset;
        while pos < end {
            let data = match seek(&self.file, Whence::Data(pos)) {
                Ok(d) => d.min(end),
                // ENXIO: no data at or after `pos`.
                Err(Errno::NXIO) => end,
                Err(_) => return Ok(whole),
            };
            let data = (data / bs * bs).max(pos);
            push(pos, data, false);
            if data >= end {
                break;
            }
            let hole = match seek(&self.file, Whence::Hole(data)) {
                Ok(h) => h,
                Err(_) => return Ok(whole),
            };
            let hole = hole.div_ceil(bs).saturating_mul(bs).clamp(data + 1, end);
            push(data, hole, true);
            pos = hole;
        }
        Ok(out)
    }

    fn write_zeroes(&self, offset: u64, len: u64, fua: bool) -> Result<(), BackstoreError> {
        self.check(offset, len)?;
        // FALLOC_FL_ZERO_RANGE zeroes without writing; where the filesystem
        // lacks it, zero buffers are written.
        match fallocate(
            &self.file,
            FallocateFlags::ZERO_RANGE | FallocateFlags::KEEP_SIZE,
            offset,
            len,
        ) {
            Ok(()) => {
                if fua {
                    self.sync()?;
                }
                Ok(())
            }
            Err(_) => {
                const PIECE: u64 = 1 << 20;
                let (mut zero, skip) = aligned_read_buffer(PIECE.min(len) as usize);
                let zero = zero
                    .get_mut(skip..skip + PIECE.min(len) as usize)
                    .ok_or(BackstoreError::Io)?;
                let mut at = 0;
                while at < len {
                    let n = PIECE.min(len - at) as usize;
                    let piece = zero.get(..n).ok_or(BackstoreError::Io)?;
                    self.file
                        .write_all_at(piece, offset + at)
                        .map_err(|e| os_error(&e))?;
                    at += n as u64;
                }
                if fua {
                    self.sync()?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A thin file of `size` bytes with 512-byte blocks.
    pub(in crate::backstore) fn opts(size: u64) -> FileOptions {
        FileOptions {
            size: Some(size),
            thin: true,
            block_size: 512,
            ..FileOptions::default()
        }
    }

    #[test]
    fn creates_sparse_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lun.img");
        let store = FileBackstore::open(&path, &opts(1 << 20)).unwrap();
        assert_eq!(store.len(), 1 << 20);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 1 << 20);
        store.write_at(4096, &[9; 4096], true).unwrap();
        let mut buf = vec![0u8; 8192];
        store.read_at(0, &mut buf).unwrap();
        assert_eq!(&buf[..4096], &[0; 4096][..]);
        assert_eq!(&buf[4096..], &[9; 4096][..]);
        store.flush().unwrap();
        assert_eq!(
            store.read_at((1 << 20) - 512, &mut buf),
            Err(BackstoreError::OutOfRange {
                offset: (1 << 20) - 512,
                len: 8192,
                size: 1 << 20
            })
        );
    }

    #[test]
    fn deallocate_punches_a_hole() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("thin.img");
        let store = FileBackstore::open(&path, &opts(4 << 20)).unwrap();
        store.write_at(0, &vec![1u8; 2 << 20], false).unwrap();
        store.flush().unwrap();
        let before = std::fs::metadata(&path).unwrap().blocks();
        store.deallocate(0, 1 << 20).unwrap();
        let after = std::fs::metadata(&path).unwrap().blocks();
        assert!(after < before, "blocks {before} -> {after}");
        let mut buf = vec![7u8; 4096];
        store.read_at(0, &mut buf).unwrap();
        assert_eq!(buf, vec![0u8; 4096]);
        store.read_at(1 << 20, &mut buf).unwrap();
        assert_eq!(buf, vec![1u8; 4096]);
        store.write_zeroes(1 << 20, 4096, true).unwrap();
        store.read_at(1 << 20, &mut buf).unwrap();
        assert_eq!(buf, vec![0u8; 4096]);
    }

    #[test]
    fn allocation_reports_data_and_holes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alloc.img");
        let mb = 1u64 << 20;
        let f = FileBackstore::open(&path, &opts(4 * mb)).unwrap();
        // A fresh sparse file is one hole (where the file system keeps
        // holes; otherwise it is reported mapped).
        let a = f.allocation(0, 4 * mb).unwrap();
        let total: u64 = a.iter().map(|e| e.len).sum();
        assert_eq!(total, 4 * mb);
        if a.len() == 1 && a[0].mapped {
            return;
        }
        assert_eq!(
            a,
            vec![Extent {
                offset: 0,
                len: 4 * mb,
                mapped: false
            }]
        );
        f.write_at(mb, &vec![0xa5; mb as usize], false).unwrap();
        let a = f.allocation(0, 4 * mb).unwrap();
        let mapped: Vec<_> = a.iter().filter(|e| e.mapped).collect();
        assert_eq!(mapped.len(), 1, "{a:?}");
        assert!(mapped[0].offset <= mb && mapped[0].offset + mapped[0].len >= 2 * mb);
        assert!(a.windows(2).all(|w| w[0].offset + w[0].len == w[1].offset));
        assert_eq!(a.first().map(|e| e.offset), Some(0));
        // A sub-range starting inside the data.
        let a = f.allocation(mb + 512, 1024).unwrap();
        assert_eq!(
            a,
            vec![Extent {
                offset: mb + 512,
                len: 1024,
                mapped: true
            }]
        );
        f.deallocate(mb, mb).unwrap();
        assert!(f.allocation(0, 4 * mb).unwrap().iter().all(|e| !e.mapped));
        assert!(f.allocation(4 * mb, 1).is_err());
    }

    #[test]
    fn thick_refuses_deallocate_and_sizes_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("thick.img");
        let thick = FileOptions {
            thin: false,
            ..opts(65536)
        };
        let store = FileBackstore::open(&path, &thick).unwrap();
        assert_eq!(
            store.deallocate(0, 512),
            Err(BackstoreError::Unsupported { op: "deallocate" })
        );
        drop(store);
        // An existing file is extended to a larger configured size...
        let grown = FileBackstore::open(&path, &opts(1 << 20)).unwrap();
        assert_eq!(grown.len(), 1 << 20);
        // ...but not when read-only.
        let ro = FileOptions {
            read_only: true,
            ..opts(2 << 20)
        };
        assert!(matches!(
            FileBackstore::open(&path, &ro),
            Err(OpenError::FileTooSmall { .. })
        ));
        // Without a size, the file's own is taken; a missing file needs one.
        let own = FileOptions {
            size: None,
            ..opts(0)
        };
        assert_eq!(FileBackstore::open(&path, &own).unwrap().len(), 1 << 20);
        assert!(matches!(
            FileBackstore::open(&dir.path().join("missing"), &own),
            Err(OpenError::Open { .. })
        ));
    }

    #[test]
    fn direct_io_with_unaligned_buffers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("direct.img");
        let o = FileOptions {
            direct: true,
            block_size: 4096,
            ..opts(1 << 20)
        };
        // Some filesystems (tmpfs) refuse O_DIRECT; that is an open error.
        let Ok(store) = FileBackstore::open(&path, &o) else {
            assert!(FileBackstore::open(&path, &o).is_err());
            return;
        };
        let data = vec![5u8; 8192 + 1];
        store.write_at(8192, &data[1..], false).unwrap();
        let mut buf = vec![0u8; 8192 + 1];
        store.read_at(8192, &mut buf[1..]).unwrap();
        assert_eq!(&buf[1..], &data[1..]);
    }

    #[test]
    fn read_to_bytes_matches_read_at() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBackstore::open(&dir.path().join("r.img"), &opts(1 << 20)).unwrap();
        let data: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
        store.write_at(4096, &data, false).unwrap();
        let got = store.read_to_bytes(2048, 70_000).unwrap();
        let mut expected = vec![0u8; 70_000];
        store.read_at(2048, &mut expected).unwrap();
        assert_eq!(got, expected);
        assert!(store.read_to_bytes((1 << 20) - 512, 1024).is_err());
    }
}

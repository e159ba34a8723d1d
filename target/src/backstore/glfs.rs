//! A file on a GlusterFS volume as a backstore, through libgfapi
//! ([`rtgt_glfs`], loaded at run time): the file is the LUN, the LBA the
//! offset, as tgt's bs_glfs does.
//!
//! Calls are synchronous and run on the daemon's blocking threads like the
//! file backstore's; FUA and SYNCHRONIZE CACHE are `glfs_fdatasync`, UNMAP
//! is `glfs_discard`, WRITE SAME with zeroes `glfs_zerofill`. One gluster
//! connection per (volume, servers) is shared by every LUN on it.

use std::sync::Arc;

use rtgt_glfs::{Error, File, Server};
use rtgt_scsi::backstore::check_range;
use rtgt_scsi::{Backstore, BackstoreError};
use rustix::io::Errno;

use super::{sizing, Sizing};

/// Where and how to open a gluster file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlfsOptions {
    pub volume: String,
    /// Path inside the volume.
    pub path: String,
    /// Volfile servers, tried in order.
    pub servers: Vec<Server>,
    /// Size in bytes: a missing file is created with it, a smaller one is
    /// extended. `None` takes the file's size.
    pub size: Option<u64>,
    pub read_only: bool,
    /// Thin: UNMAP discards.
    pub thin: bool,
    /// The LUN's logical block size in bytes.
    pub block_size: u32,
}

/// A file on a gluster volume.
#[derive(Debug)]
pub struct GlfsBackstore {
    file: File,
    size: u64,
    thin: bool,
    block_size: u32,
}

/// Maps a libgfapi failure to the SBC-4 class the file backstore uses for
/// the same errno: EIO and a lost connection (ENOTCONN) are MEDIUM ERROR,
/// ENOSPC on a thin LUN SPACE ALLOCATION FAILED WRITE PROTECT.
fn gl_error(e: &Error) -> BackstoreError {
    let Some(errno) = e.errno() else {
        return BackstoreError::Io;
    };
    match Errno::from_raw_os_error(errno) {
        Errno::NOSPC | Errno::DQUOT => BackstoreError::NoSpace,
        Errno::ROFS | Errno::ACCESS | Errno::PERM => BackstoreError::ReadOnly,
        Errno::OPNOTSUPP | Errno::NOSYS => BackstoreError::Unsupported { op: "this request" },
        _ => BackstoreError::Io,
    }
}

impl GlfsBackstore {
    /// Connects (or reuses the connection to the volume) and opens, creates
    /// or extends the file.
    pub fn open(o: &GlfsOptions) -> Result<Self, String> {
        let at = || {
            let servers: Vec<String> = o.servers.iter().map(ToString::to_string).collect();
            format!(
                "gluster volume {} file {} (servers {})",
                o.volume,
                o.path,
                servers.join(", ")
            )
        };
        if o.servers.is_empty() {
            return Err(format!("{}: no volfile server: set servers", at()));
        }
        rtgt_glfs::check_available().map_err(|e| e.to_string())?;
        let vol = rtgt_glfs::shared_volume(&o.volume, &o.servers, "-").map_err(|e| {
            format!(
                "{}: {e}: check that the volume is started and the servers reachable",
                at()
            )
        })?;
        let file = match Arc::clone(&vol).open(&o.path, o.read_only, false) {
            Ok(f) => f,
            Err(e)
                if e.errno() == Some(Errno::NOENT.raw_os_error())
                    && o.size.is_some()
                    && !o.read_only =>
            {
                vol.open(&o.path, false, true)
                    .map_err(|e| format!("{}: {e}", at()))?
            }
            Err(e) => return Err(format!("{}: {e}", at())),
        };
        let have = file.len().map_err(|e| format!("{}: {e}", at()))?;
        let size = match sizing(have, o.size, !o.read_only) {
            Sizing::NoSize => return Err(format!("{}: empty and no size is configured: set size", at())),
            Sizing::Keep(size) => size,
            Sizing::TooSmall { have, want } => {
                return Err(format!(
                    "{}: {have} bytes, smaller than the configured size {want}, and read-only: lower size",
                    at()
                ))
            }
            Sizing::Extend(want) => {
                file.set_len(want).map_err(|e| format!("{}: cannot size it: {e}", at()))?;
                want
            }
        };
        Ok(GlfsBackstore {
            file,
            size,
            thin: o.thin,
            block_size: o.block_size.max(512),
        })
    }

    fn check(&self, offset: u64, len: u64) -> Result<(), BackstoreError> {
        check_range(offset, len, self.size)
    }

    fn sync(&self) -> Result<(), BackstoreError> {
        self.file.sync_data().map_err(|e| gl_error(&e))
    }
}

impl Backstore for GlfsBackstore {
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
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| gl_error(&e))
    }

    fn write_at(&self, offset: u64, data: &[u8], fua: bool) -> Result<(), BackstoreError> {
        self.check(offset, data.len() as u64)?;
        self.file
            .write_all_at(data, offset)
            .map_err(|e| gl_error(&e))?;
        // SBC-4 §5.11 (FUA): the data is on the medium before GOOD status.
        if fua {
            self.sync()?;
        }
        Ok(())
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
        self.file
            .discard(offset, len)
            .map_err(|e| match gl_error(&e) {
                BackstoreError::Unsupported { .. } => {
                    BackstoreError::Unsupported { op: "deallocate" }
                }
                other => other,
            })
    }

    fn write_zeroes(&self, offset: u64, len: u64, fua: bool) -> Result<(), BackstoreError> {
        self.check(offset, len)?;
        if self.file.zerofill(offset, len).is_err() {
            // Where the brick's file system cannot zero a range, zero
            // buffers are written.
            const PIECE: u64 = 1 << 20;
            let zero = vec![0u8; PIECE.min(len) as usize];
            let mut at = 0;
            while at < len {
                let n = PIECE.min(len - at) as usize;
                let piece = zero.get(..n).ok_or(BackstoreError::Io)?;
                self.file
                    .write_all_at(piece, offset + at)
                    .map_err(|e| gl_error(&e))?;
                at += n as u64;
            }
        }
        if fua {
            self.sync()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_maps_to_sense_classes() {
        let e = |errno: Errno| {
            gl_error(&Error::Call {
                op: "glfs_pwrite",
                errno: errno.raw_os_error(),
            })
        };
        assert_eq!(e(Errno::NOSPC), BackstoreError::NoSpace);
        assert_eq!(e(Errno::DQUOT), BackstoreError::NoSpace);
        assert_eq!(e(Errno::ROFS), BackstoreError::ReadOnly);
        assert_eq!(e(Errno::IO), BackstoreError::Io);
        assert_eq!(e(Errno::NOTCONN), BackstoreError::Io);
        assert_eq!(
            gl_error(&Error::Unavailable("x".into())),
            BackstoreError::Io
        );
    }

    #[test]
    fn no_server_is_refused() {
        let o = GlfsOptions {
            volume: "v".into(),
            path: "/f".into(),
            servers: vec![],
            size: Some(1 << 20),
            read_only: false,
            thin: true,
            block_size: 512,
        };
        let e = GlfsBackstore::open(&o).unwrap_err();
        assert!(e.contains("no volfile server"), "{e}");
    }
}

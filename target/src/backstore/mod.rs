//! Backstores the daemon opens: files and block devices ([`FileBackstore`]),
//! files on GlusterFS volumes ([`GlfsBackstore`]),
//! and the RAM and null stores of `rtgt-scsi`.
//!
//! Every store is a [`rtgt_scsi::Backstore`]: synchronous, shared, run by
//! the daemon on blocking threads, never on the network threads.

mod aligned;
mod file;
mod glfs;
mod nowait;

pub use aligned::{aligned_read_buffer, ALIGN};
pub use file::{FileBackstore, FileOptions, OpenError};
pub use glfs::{GlfsBackstore, GlfsOptions};

use std::io;

use rtgt_scsi::BackstoreError;

/// Maps an OS error to the backstore failure SBC-4 answers for it.
/// What opening a backstore of `have` bytes does with the configured size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sizing {
    /// No size configured and nothing there.
    NoSize,
    /// Serve this many bytes as they are.
    Keep(u64),
    /// Extend the file (sparse) to this many bytes first.
    Extend(u64),
    /// The configured size is larger and the backstore cannot grow.
    TooSmall { have: u64, want: u64 },
}

/// Decides [`Sizing`] for a backstore of `have` bytes, a configured size
/// `want`, and whether it may be extended.
pub(crate) fn sizing(have: u64, want: Option<u64>, can_grow: bool) -> Sizing {
    match want {
        None if have == 0 => Sizing::NoSize,
        None => Sizing::Keep(have),
        Some(want) if want <= have => Sizing::Keep(want),
        Some(want) if !can_grow => Sizing::TooSmall { have, want },
        Some(want) => Sizing::Extend(want),
    }
}

pub(crate) fn os_error(e: &io::Error) -> BackstoreError {
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => BackstoreError::NoSpace,
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
            BackstoreError::ReadOnly
        }
        io::ErrorKind::Unsupported => BackstoreError::Unsupported { op: "this request" },
        _ => BackstoreError::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizing_keeps_extends_or_refuses() {
        assert_eq!(sizing(0, None, true), Sizing::NoSize);
        assert_eq!(sizing(4096, None, false), Sizing::Keep(4096));
        assert_eq!(sizing(4096, Some(512), false), Sizing::Keep(512));
        assert_eq!(sizing(512, Some(4096), true), Sizing::Extend(4096));
        assert_eq!(
            sizing(512, Some(4096), false),
            Sizing::TooSmall {
                have: 512,
                want: 4096
            }
        );
    }

    #[test]
    fn os_errors_map_to_sense_classes() {
        let e = |k| os_error(&io::Error::from(k));
        assert_eq!(e(io::ErrorKind::StorageFull), BackstoreError::NoSpace);
        assert_eq!(
            e(io::ErrorKind::ReadOnlyFilesystem),
            BackstoreError::ReadOnly
        );
        assert_eq!(e(io::ErrorKind::UnexpectedEof), BackstoreError::Io);
    }
}

//! Backstores the daemon opens: files and block devices ([`FileBackstore`]),
//! files on GlusterFS volumes ([`GlfsBackstore`]),
//! and the RAM and null stores of `rtgt-scsi`.
//!
//! Every store is a [`rtgt_scsi::Backstore`]: synchronous, shared, run by
//! the daemon on blocking threads, never on the network threads.

mod aligned;
mod file;
mod glfs;

pub use aligned::{aligned_read_buffer, ALIGN};
pub use file::{FileBackstore, FileOptions, OpenError};
pub use glfs::{GlfsBackstore, GlfsOptions};

use std::io;

use rtgt_scsi::BackstoreError;

/// Maps an OS error to the backstore failure SBC-4 answers for it.
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

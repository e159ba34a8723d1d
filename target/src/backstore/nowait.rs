//! What lets a file request run on the daemon's engine thread: a file
//! held in memory (tmpfs, ramfs) never waits for a device, and elsewhere
//! `RWF_NOWAIT` serves a read or write from the page cache or declines.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::io::Errno;

/// statfs(2)'s f_type of tmpfs and ramfs (linux/magic.h).
pub(super) const TMPFS_MAGIC: u64 = 0x0102_1994;
pub(super) const RAMFS_MAGIC: u64 = 0x8584_58f6;

/// True when `file` is on a filesystem held in memory, whose page cache
/// is the storage: reads and writes there never wait for a device (tmpfs
/// has no `RWF_NOWAIT`, so this is how the daemon knows).
pub(super) fn in_memory_fs(file: &File) -> bool {
    rustix::fs::fstatfs(file).is_ok_and(|st| {
        let kind = st.f_type as u64;
        kind == TMPFS_MAGIC || kind == RAMFS_MAGIC
    })
}

/// Whether a `RWF_NOWAIT` transfer of `want` bytes moved them all. EAGAIN
/// (the data or the space is not at hand) and short transfers say "not
/// now"; any other error also leaves the request to the blocking path,
/// and EOPNOTSUPP or EINVAL (no RWF_NOWAIT for this file) turns `enabled`
/// off for good.
pub(super) fn nowait_done(
    res: rustix::io::Result<usize>,
    want: usize,
    enabled: &AtomicBool,
) -> bool {
    match res {
        Ok(n) => n == want,
        Err(e) if e == Errno::OPNOTSUPP || e == Errno::INVAL => {
            enabled.store(false, Ordering::Relaxed);
            false
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backstore::file::tests::opts;
    use crate::backstore::file::FileBackstore;
    use rtgt_scsi::Backstore;
    use std::path::Path;

    #[test]
    fn nowait_calls_move_all_bytes_or_none() {
        // /tmp here is ext4, which serves RWF_NOWAIT from its page cache;
        // elsewhere the calls may decline, never fail or move part.
        let dir = tempfile::tempdir().unwrap();
        let store = FileBackstore::open(&dir.path().join("nowait.img"), &opts(1 << 20)).unwrap();
        let data = vec![9u8; 8192];
        if !store.write_at_nowait(4096, &data) {
            store.write_at(4096, &data, false).unwrap();
        }
        let mut buf = vec![0u8; 8192];
        if store.read_at_nowait(4096, &mut buf) {
            assert_eq!(buf, data);
        }
        // Past the end: declined, so the blocking path answers OutOfRange.
        assert!(!store.read_at_nowait((1 << 20) - 512, &mut buf));
        assert!(!store.write_at_nowait((1 << 20) - 512, &data));
    }

    #[test]
    fn files_on_tmpfs_never_wait() {
        let shm = Path::new("/dev/shm");
        if !shm.is_dir() {
            return;
        }
        let dir = tempfile::tempdir_in(shm).unwrap();
        let store = FileBackstore::open(&dir.path().join("shm.img"), &opts(1 << 20)).unwrap();
        assert!(store.never_waits());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk.img");
        let on_disk = FileBackstore::open(&path, &opts(1 << 20)).unwrap();
        let tmp_in_memory = rustix::fs::statfs(dir.path())
            .is_ok_and(|st| [TMPFS_MAGIC, RAMFS_MAGIC].contains(&(st.f_type as u64)));
        assert_eq!(on_disk.never_waits(), tmp_in_memory);
    }
}

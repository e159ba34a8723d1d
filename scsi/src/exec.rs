//! A synchronous driver: runs a disk's requests on a backstore in the
//! calling thread, for tests, tools and the Pair harness.

use crate::backstore::{Backstore, BackstoreError, IoRequest};
use crate::device::Disk;
use crate::task::{Command, Completion};

/// Runs every request `disk` has, and those they lead to, on `store`;
/// gives the completions that came out.
pub fn run(disk: &mut Disk, store: &dyn Backstore) -> Vec<Completion> {
    run_with(disk, store, |_| None)
}

/// Like [`run`], but `fault` sees each request first and may fail it
/// instead of running it.
pub fn run_with(
    disk: &mut Disk,
    store: &dyn Backstore,
    mut fault: impl FnMut(&IoRequest) -> Option<BackstoreError>,
) -> Vec<Completion> {
    while let Some(io) = disk.poll_io() {
        let result = match fault(&io) {
            Some(e) => Err(e),
            None => io.execute(store),
        };
        disk.handle_io_complete(io.id, result);
    }
    std::iter::from_fn(|| disk.poll_completion()).collect()
}

/// Submits one command and runs it to completion; `None` if it did not
/// complete (an earlier task still blocks it).
pub fn submit_and_run(disk: &mut Disk, store: &dyn Backstore, cmd: Command) -> Option<Completion> {
    let (nexus, tag) = (cmd.nexus.clone(), cmd.tag);
    disk.submit(cmd);
    run(disk, store)
        .into_iter()
        .find(|c| c.tag == tag && c.nexus == nexus)
}

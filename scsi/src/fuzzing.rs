//! Fuzz harness bodies for a [`Disk`], shared by the cargo-fuzz targets in
//! fuzz/ and by this crate's tests, so they always compile on the stable
//! toolchain.
//!
//! A harness panics only when an invariant breaks: the disk panics, or a
//! plain READ(10) gives back other data than the last plain WRITE(10) of
//! those blocks stored.

use std::sync::Arc;

use bytes::Bytes;
use rtgt_proto::scsi::params::Lun;
use rtgt_proto::scsi::status::Status;

use crate::backstore::RamBackstore;
use crate::config::{BlockSize, DiskConfig};
use crate::device::Disk;
use crate::exec;
use crate::task::{Command, Nexus, Reply, TaskAttribute};

/// Blocks the plain WRITE(10)/READ(10) operations touch: few, so that they
/// overlap often.
const TRACKED_BLOCKS: u8 = 32;
const BLOCK: usize = 512;

/// The first `n` bytes of `data` (fewer if it is shorter), and the rest.
fn split(data: &[u8], n: usize) -> (&[u8], &[u8]) {
    data.split_at(n.min(data.len()))
}

/// A disk on a RAM backstore, two nexuses, and what the tracked blocks
/// hold when known.
struct DiskRig {
    disk: Disk,
    store: RamBackstore,
    nexus: [Arc<Nexus>; 2],
    tag: u64,
    /// The content of each tracked block, `None` once unknown.
    shadow: Vec<Option<Vec<u8>>>,
}

impl DiskRig {
    fn new() -> Option<DiskRig> {
        let cfg = DiskConfig::new(1, "SN0001", BlockSize::B512, 2048).thin(true);
        let store = RamBackstore::new(cfg.size_bytes());
        let nexus = |i: u8| {
            Nexus::new(
                &format!("iqn.2024-01.org.rtgt:i{i},i,0x00023d00000{i}"),
                "iqn.2024-01.org.rtgt:disk0",
                1,
            )
        };
        Some(DiskRig {
            disk: Disk::new(cfg).ok()?,
            store,
            nexus: [nexus(0), nexus(1)],
            tag: 0,
            shadow: vec![None; usize::from(TRACKED_BLOCKS)],
        })
    }

    /// Submits one command and runs the disk until it is quiet; the reply,
    /// if the command completed with one.
    fn run(
        &mut self,
        nexus: usize,
        attr: TaskAttribute,
        cdb: &[u8],
        out: &[u8],
        expected_len: u32,
    ) -> Option<Reply> {
        self.tag += 1;
        let nexus = self.nexus.get(nexus)?.clone();
        let cmd = Command {
            nexus,
            tag: self.tag,
            attr,
            lun: Lun::from_index(0),
            cdb: Bytes::copy_from_slice(cdb),
            data_out: Bytes::copy_from_slice(out),
            expected_len,
        };
        exec::submit_and_run(&mut self.disk, &self.store, cmd)?.reply
    }

    fn forget(&mut self, lba: usize, blocks: usize) {
        for block in self.shadow.iter_mut().skip(lba).take(blocks) {
            *block = None;
        }
    }
}

fn rw10(opcode: u8, lba: u8, blocks: u8) -> [u8; 10] {
    [opcode, 0, 0, 0, 0, lba, 0, 0, blocks, 0]
}

/// SCSI commands into a disk over its RAM backstore.
///
/// Input layout: repeated records, each a 4-byte header `[op][x][y][z]`
/// and then
/// - `op % 4 == 0`: a plain WRITE(10) of `y % 4 + 1` blocks at LBA `x`,
///   the data a pattern of the next `z % 16 + 1` bytes repeated;
/// - `op % 4 == 1`: a plain READ(10) of the same shape, checked against
///   the last data written there;
/// - otherwise any command: a CDB of the next `x % 33` bytes, a Data-Out
///   of the `y * 16` bytes after it, an expected length of `z * 512`, from the first nexus (`op % 4 == 2`) or the second, with
///   the task attribute `op >> 2`. It may change any block, so the tracked
///   content is forgotten.
pub fn scsi_disk(data: &[u8]) {
    let Some(mut rig) = DiskRig::new() else {
        return;
    };
    let mut rest = data;
    while let Some((&[op, x, y, z], tail)) = rest.split_first_chunk::<4>() {
        rest = tail;
        match op % 4 {
            0 | 1 => {
                let lba = x % TRACKED_BLOCKS;
                let blocks = (y % 4 + 1).min(TRACKED_BLOCKS - lba);
                let (first, count) = (usize::from(lba), usize::from(blocks));
                if op % 4 == 0 {
                    let pattern;
                    (pattern, rest) = split(rest, usize::from(z % 16) + 1);
                    let out: Vec<u8> = pattern
                        .iter()
                        .copied()
                        .cycle()
                        .take(count * BLOCK)
                        .collect();
                    // An empty pattern (input over) writes zeroes.
                    let out = if out.is_empty() {
                        vec![0; count * BLOCK]
                    } else {
                        out
                    };
                    let cdb = rw10(0x2a, lba, blocks);
                    let expected = u32::from(blocks) * BLOCK as u32;
                    let reply = rig.run(0, TaskAttribute::Simple, &cdb, &out, expected);
                    if reply.is_some_and(|r| r.status == Status::GOOD) {
                        let chunks = out.chunks(BLOCK).map(|c| Some(c.to_vec()));
                        for (block, data) in rig.shadow.iter_mut().skip(first).zip(chunks) {
                            *block = data;
                        }
                    } else {
                        // A write that failed may have stored part of its data.
                        rig.forget(first, count);
                    }
                } else {
                    let cdb = rw10(0x28, lba, blocks);
                    let expected = u32::from(blocks) * BLOCK as u32;
                    let reply = rig.run(0, TaskAttribute::Simple, &cdb, &[], expected);
                    let Some(reply) = reply.filter(|r| r.status == Status::GOOD) else {
                        continue;
                    };
                    if reply.data_in.len() != count * BLOCK {
                        continue;
                    }
                    let known = rig.shadow.iter().skip(first).take(count);
                    for (i, (block, got)) in known.zip(reply.data_in.chunks(BLOCK)).enumerate() {
                        if let Some(want) = block {
                            assert!(
                                want.as_slice() == got,
                                "READ(10) of LBA {} gives other data than last written",
                                first + i
                            );
                        }
                    }
                }
            }
            which => {
                let attr = match op >> 2 & 7 {
                    0 | 5 => TaskAttribute::Simple,
                    1 | 6 => TaskAttribute::Ordered,
                    2 | 7 => TaskAttribute::HeadOfQueue,
                    3 => TaskAttribute::Untagged,
                    _ => TaskAttribute::Aca,
                };
                let (cdb, tail) = split(rest, usize::from(x % 33));
                let (out, tail) = split(tail, usize::from(y) * 16);
                rest = tail;
                let expected = u32::from(z) << 9;
                let _ = rig.run(usize::from(which == 3), attr, cdb, out, expected);
                rig.forget(0, usize::from(TRACKED_BLOCKS));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scsi_disk;

    #[test]
    fn scsi_disk_runs_fixed_inputs() {
        scsi_disk(&[]);
        // Takes the unit attention, writes LBA 3..5, reads it back.
        let tur = [2, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        let write = [0, 3, 1, 1, 0xa5, 0x5a];
        let read = [1, 3, 1, 0];
        scsi_disk(&[&tur[..], &write, &read].concat());
        // A write, then INQUIRY from the second nexus, then a read.
        let inquiry = [3, 6, 0, 1, 0x12, 0, 0, 0, 0xff, 0];
        scsi_disk(&[&write[..], &inquiry, &tur, &write, &read].concat());
        // Writes and reads over each other, and truncated records.
        let mut data = Vec::new();
        for i in 0..64u8 {
            data.extend_from_slice(&[i % 2, i % 40, i, 2, i, !i, i]);
        }
        scsi_disk(&data);
        scsi_disk(&[3, 33]);
    }
}

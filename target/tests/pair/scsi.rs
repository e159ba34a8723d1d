//! SCSI commands over the pair: submit, wait, and read the outcome.

use bytes::Bytes;
use rtgt_initiator::{Event as IEvent, ScsiRequest, ScsiResult, TaskHandle, TaskOutcome};
use rtgt_proto::pdu::{Lun, ScsiStatus};
use rtgt_proto::scsi::cdb::{Read16, Write16};

use super::Pair;

/// Block size of the test disks.
pub const BS: usize = 512;

/// A READ (16) of `blocks` blocks at `lba` on LUN 0.
pub fn read_req(lba: u64, blocks: u32) -> ScsiRequest {
    let cdb = Read16 {
        lba,
        transfer_length: blocks,
        ..Read16::default()
    }
    .encode();
    ScsiRequest::read(Lun::single_level(0), &cdb, blocks * BS as u32)
}

/// A WRITE (16) of `data` (whole blocks) at `lba` on LUN 0.
pub fn write_req(lba: u64, data: &[u8]) -> ScsiRequest {
    let cdb = Write16 {
        lba,
        transfer_length: (data.len() / BS) as u32,
        ..Write16::default()
    }
    .encode();
    ScsiRequest::write(Lun::single_level(0), &cdb, Bytes::copy_from_slice(data))
}

/// `len` bytes of a pattern seeded with `seed`.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8))
        .collect()
}

impl Pair {
    /// Submits `req` on link `l` (without running).
    pub fn submit(&mut self, l: usize, req: ScsiRequest) -> TaskHandle {
        let now = self.now();
        self.links[l].ini.submit(now, req).expect("submit")
    }

    /// How task `t` of link `l` ended, if it did.
    pub fn outcome(&self, l: usize, t: TaskHandle) -> Option<TaskOutcome> {
        self.links[l].events.iter().find_map(|e| match e {
            IEvent::TaskComplete { task, outcome } if *task == t => Some(outcome.clone()),
            _ => None,
        })
    }

    /// The result of task `t`, which must have completed with a response.
    pub fn result(&self, l: usize, t: TaskHandle) -> ScsiResult {
        match self.outcome(l, t) {
            Some(TaskOutcome::Completed(r)) => r,
            other => panic!(
                "task {t:?}: {other:?}\ninitiator {:#?}\ntarget {:#?}",
                self.links[l].events, self.target_events
            ),
        }
    }

    /// Runs `req` on link `l` to its result.
    pub fn exec(&mut self, l: usize, req: ScsiRequest) -> ScsiResult {
        let t = self.submit(l, req);
        self.run();
        self.result(l, t)
    }

    /// Runs `req`, which must end with GOOD status.
    pub fn exec_good(&mut self, l: usize, req: ScsiRequest) -> ScsiResult {
        let r = self.exec(l, req);
        assert_eq!(r.status, ScsiStatus::Good, "{r:#?}");
        r
    }

    /// Reads `blocks` blocks at `lba`; GOOD status required.
    pub fn read(&mut self, l: usize, lba: u64, blocks: u32) -> Bytes {
        self.exec_good(l, read_req(lba, blocks)).data
    }

    /// Writes `data` at `lba`; GOOD status required.
    pub fn write(&mut self, l: usize, lba: u64, data: &[u8]) {
        self.exec_good(l, write_req(lba, data));
    }

    /// Writes `blocks` blocks of [`pattern`]`(_, seed)` at `lba` and reads
    /// them back, requiring the same bytes: the session still moves data.
    pub fn write_read_back(&mut self, l: usize, lba: u64, blocks: usize, seed: u8) {
        let data = pattern(blocks * BS, seed);
        self.write(l, lba, &data);
        assert_eq!(self.read(l, lba, blocks as u32).as_ref(), data.as_slice());
    }

    /// A TEST UNIT READY, to take the unit attention of a new nexus.
    pub fn clear_ua(&mut self, l: usize) {
        let _ = self.exec(l, ScsiRequest::none(Lun::single_level(0), &[0u8; 6]));
    }

    /// The bytes of the RAM disk behind LUN 0 of target 0.
    pub fn disk_bytes(&self, offset: u64, len: usize) -> Vec<u8> {
        use rtgt_scsi::Backstore;
        let mut buf = vec![0u8; len];
        self.stores[&(rtgt_target::TargetId(1), 0)]
            .read_at(offset, &mut buf)
            .expect("disk read");
        buf
    }
}

//! REQUEST SENSE (SPC-5 §6.39), SYNCHRONIZE CACHE (SBC-4 §5.24, §5.25).

use crate::backstore::IoOp;
use crate::dispatch::LuState;
use crate::plan::{cut, Access, Plan, Work};
use crate::sense::{lba_out_of_range, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::RequestSense;
use rtgt_proto::scsi::sense::Sense;

impl LuState {
    /// SPC-5 §6.39: the sense data of a pending unit attention (which is
    /// then cleared), or NO SENSE; in the format DESC asks for.
    pub(crate) fn request_sense(&mut self, nexus: &Nexus, cdb: &RequestSense) -> CmdResult<Plan> {
        // SPC-5 §6.39: with no unit attention, the sense data describes the
        // logical unit's state: a sanitize in progress or an ejected medium
        // (SBC-4 §4.11, §4.3), else NO SENSE.
        let sense = match self.ua.take(nexus) {
            Some(code) => Sense::new(SenseKey::UNIT_ATTENTION, code),
            None if self.sanitizing => crate::sanitize::in_progress(),
            None if !self.medium.loaded => crate::medium::no_medium(),
            None => Sense::new(SenseKey::NO_SENSE, AscAscq::NO_ADDITIONAL_SENSE),
        };
        let data = sense.encode_for(cdb.desc);
        Ok(Plan::data(cut(data, cdb.allocation_length.into())))
    }

    /// Checks an LBA range of a command whose zero length means "to the
    /// last LBA"; gives the number of blocks.
    pub(crate) fn range_to_end(&self, lba: u64, blocks: u64) -> CmdResult<u64> {
        let cap = self.cfg.blocks;
        // SBC-4 §4.5: an LBA past the last one, or a range running past it,
        // is LOGICAL BLOCK ADDRESS OUT OF RANGE.
        if lba >= cap {
            return Err(lba_out_of_range());
        }
        if blocks == 0 {
            return Ok(cap - lba);
        }
        match lba.checked_add(blocks) {
            Some(end) if end <= cap => Ok(blocks),
            _ => Err(lba_out_of_range()),
        }
    }

    /// SBC-4 §5.24: makes the cache of the range stable; rtgt flushes the
    /// whole backstore, after every earlier write (the flush reads the whole
    /// medium for ordering). IMMED is honoured by the stronger answer: the
    /// command completes after the flush.
    pub(crate) fn sync_cache(&self, lba: u64, blocks: u64) -> CmdResult<Plan> {
        self.range_to_end(lba, blocks)?;
        Ok(Plan::io(
            Work::Writes(vec![IoOp::Flush]),
            Access::read(0, self.cfg.blocks),
        ))
    }
}

//! SYNCHRONIZE CACHE (SBC-4 §5.24, §5.25) and the LBA range check of
//! commands whose zero length means "to the last LBA".

use crate::backstore::IoOp;
use crate::plan::{Access, Plan, Work};
use crate::rw::Blocks;
use crate::sense::{lba_out_of_range, CmdResult};

impl Blocks<'_> {
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
        // Test only: with `broken-flush`, GOOD without flushing anything.
        if cfg!(feature = "broken-flush") && rtgt_proto::mutant::on("broken-flush") {
            return Ok(Plan::good());
        }
        Ok(Plan::io(
            Work::Writes(vec![IoOp::Flush]),
            Access::read(0, self.cfg.blocks),
        ))
    }
}

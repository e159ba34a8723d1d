//! COMPARE AND WRITE (SBC-4 §5.3), and the comparison VERIFY uses too.

use crate::dispatch::data_out;
use crate::plan::{Access, Plan, Work};
use crate::rw::Blocks;
use crate::sense::{invalid_named, CmdResult};
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Cdb, CompareAndWrite};
use rtgt_proto::scsi::sense::Sense;

/// Compares the expected bytes with what the medium holds. SBC-4 §5.3 (and
/// §5.30 for VERIFY): on the first difference, MISCOMPARE, MISCOMPARE
/// DURING VERIFY OPERATION, with INFORMATION the offset of that byte from
/// the start of the compared data.
pub(crate) fn compare(expect: &[u8], got: &[u8]) -> Result<(), Sense> {
    let first = expect
        .iter()
        .zip(got.iter())
        .position(|(a, b)| a != b)
        .or((got.len() < expect.len()).then_some(got.len()));
    match first {
        None => Ok(()),
        Some(i) => Err(
            Sense::new(SenseKey::MISCOMPARE, AscAscq::MISCOMPARE_DURING_VERIFY)
                .with_information(i as u64),
        ),
    }
}

impl Blocks<'_> {
    pub(crate) fn compare_and_write(
        &self,
        cdb: &Cdb,
        c: &CompareAndWrite,
        out: &Bytes,
    ) -> CmdResult<Plan> {
        let Some(io) = cdb.block_io() else {
            return Err(crate::sense::invalid_opcode());
        };
        // SBC-4 §5.3: more than MAXIMUM COMPARE AND WRITE LENGTH blocks is
        // INVALID FIELD IN CDB at NUMBER OF LOGICAL BLOCKS.
        if c.number_of_blocks > self.cfg.max_compare_and_write_blocks {
            return Err(invalid_named(cdb, "number_of_blocks"));
        }
        self.check_block_io(cdb, &io, u64::from(self.cfg.max_compare_and_write_blocks))?;
        let blocks = u64::from(c.number_of_blocks);
        let bs = self.cfg.block_bytes();
        let n = blocks * bs;
        // SBC-4 §5.3: the Data-Out holds the verify blocks, then the write
        // blocks, 2 × NUMBER OF LOGICAL BLOCKS blocks in all. A Data-Out of
        // another length cannot be split into the two halves: the CDB that
        // disagrees with the data sent is refused at NUMBER OF LOGICAL
        // BLOCKS (a zero count with data sent too).
        if out.len() as u64 != 2 * n {
            return Err(invalid_named(cdb, "number_of_blocks"));
        }
        // SBC-4 §5.3: zero blocks compares and writes nothing.
        if blocks == 0 {
            return Ok(Plan::good());
        }
        let data = data_out(out, 2 * n)?;
        let fua = c.fua || !self.mode.wce();
        let work = Work::CompareAndWrite {
            offset: io.lba * bs,
            verify: data.slice(..n as usize),
            write: data.slice(n as usize..),
            fua,
        };
        let mut plan = Plan::io(work, Access::write(io.lba, blocks)).taking(2 * n);
        // Test only: with `broken-caw-fence`, the task declares no access,
        // so an overlapping write may run between the compare and the
        // write.
        if cfg!(feature = "broken-caw-fence") && rtgt_proto::mutant::on("broken-caw-fence") {
            plan.access = None;
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miscompare_gives_the_offset() {
        assert!(compare(&[1, 2, 3], &[1, 2, 3]).is_ok());
        let s = compare(&[1, 2, 3], &[1, 9, 3]).unwrap_err();
        assert_eq!(
            (s.key, s.asc),
            (SenseKey::MISCOMPARE, AscAscq::new(0x1d, 0))
        );
        assert_eq!(s.information, Some(1));
        assert_eq!(compare(&[1, 2], &[1]).unwrap_err().information, Some(1));
    }
}

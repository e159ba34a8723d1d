//! READ, WRITE, VERIFY and WRITE AND VERIFY (6), (10), (12), (16)
//! (SBC-4 §5.14-§5.17, §5.39-§5.45), through proto's normalised
//! [`BlockIo`] view.

use crate::backstore::IoOp;
use crate::config::DiskConfig;
use crate::dispatch::data_out;
use crate::mode::ModeState;
use crate::plan::{Access, Plan, Work};
use crate::sense::{invalid_named, lba_out_of_range, write_protected, CmdResult};
use bytes::{Bytes, BytesMut};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{BlockIo, BlockIoKind, Cdb, BYTCHK_RESERVED};
use rtgt_proto::scsi::sense::Sense;

/// The block commands of a logical unit (SBC-4): the commands that read,
/// write or describe its medium, over its configuration and mode pages.
/// They keep no state of their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blocks<'a> {
    pub cfg: &'a DiskConfig,
    pub mode: &'a ModeState,
}

/// Why writes to a logical unit are refused (SBC-4 §4.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteProtect {
    /// Configured read-only.
    ReadOnly,
    /// SWP of the Control mode page is set (SPC-5 §7.5.8).
    Software,
}

impl WriteProtect {
    /// DATA PROTECT, WRITE PROTECTED or SOFTWARE WRITE PROTECTED.
    pub(crate) fn sense(self) -> Sense {
        match self {
            WriteProtect::ReadOnly => write_protected(),
            WriteProtect::Software => {
                Sense::new(SenseKey::DATA_PROTECT, AscAscq::SOFTWARE_WRITE_PROTECTED)
            }
        }
    }
}

/// The name of the length field of a block command in proto's CDB structs.
pub(crate) fn length_field(cdb: &Cdb) -> &'static str {
    match cdb {
        Cdb::Verify10(_)
        | Cdb::Verify12(_)
        | Cdb::Verify16(_)
        | Cdb::WriteAndVerify10(_)
        | Cdb::WriteAndVerify12(_)
        | Cdb::WriteAndVerify16(_) => "length",
        Cdb::WriteSame10(_) | Cdb::WriteSame16(_) | Cdb::CompareAndWrite(_) => "number_of_blocks",
        _ => "transfer_length",
    }
}

/// The name of the protection field.
fn protect_field(io: &BlockIo) -> &'static str {
    match io.kind {
        BlockIoKind::Read => "rdprotect",
        BlockIoKind::Verify => "vrprotect",
        BlockIoKind::OrWrite => "orprotect",
        _ => "wrprotect",
    }
}

impl Blocks<'_> {
    /// Checks an LBA range that must lie within the medium.
    pub(crate) fn check_range(&self, lba: u64, blocks: u64) -> CmdResult<()> {
        // SBC-4 §4.5: a range that starts or runs past the last LBA is
        // LOGICAL BLOCK ADDRESS OUT OF RANGE.
        match lba.checked_add(blocks) {
            Some(end) if lba < self.cfg.blocks && end <= self.cfg.blocks => Ok(()),
            _ => Err(lba_out_of_range()),
        }
    }

    /// The write protection of the LU: configured read-only first, then
    /// SWP of the Control mode page (SPC-5 §7.5.8).
    pub(crate) fn write_protect(&self) -> Option<WriteProtect> {
        if self.cfg.read_only {
            Some(WriteProtect::ReadOnly)
        } else if self.mode.control.swp() {
            Some(WriteProtect::Software)
        } else {
            None
        }
    }

    /// SBC-4 §4.11: a write-protected LU answers DATA PROTECT to commands
    /// that write: WRITE PROTECTED when configured read-only, SOFTWARE
    /// WRITE PROTECTED when the Control mode page has SWP set.
    pub(crate) fn check_writable(&self) -> CmdResult<()> {
        match self.write_protect() {
            Some(p) => Err(p.sense()),
            None => Ok(()),
        }
    }

    /// The checks shared by block commands: protection field, write
    /// protection, transfer length limit, LBA range.
    pub(crate) fn check_block_io(&self, cdb: &Cdb, io: &BlockIo, max: u64) -> CmdResult<()> {
        // SBC-4 §4.22.1 (and each command's protect field table): with no
        // protection information (PROTECT zero), a non-zero RDPROTECT,
        // WRPROTECT or VRPROTECT is INVALID FIELD IN CDB.
        if io.protect != 0 {
            return Err(invalid_named(cdb, protect_field(io)));
        }
        // SBC-4 §6.6.4: a transfer longer than the Block Limits page allows
        // is INVALID FIELD IN CDB, pointing at the length.
        if u64::from(io.blocks) > max {
            return Err(invalid_named(cdb, length_field(cdb)));
        }
        // SBC-4 §4.11: a write-protected LU answers DATA PROTECT, WRITE
        // PROTECTED to any command that writes.
        if !matches!(io.kind, BlockIoKind::Read | BlockIoKind::Verify) {
            self.check_writable()?;
        }
        if io.blocks == 0 {
            // SBC-4 §5.15: a zero TRANSFER LENGTH is not an error, but the
            // LBA is still checked.
            if io.lba >= self.cfg.blocks {
                return Err(lba_out_of_range());
            }
            return Ok(());
        }
        self.check_range(io.lba, io.blocks.into())
    }

    pub(crate) fn read_write(&self, cdb: &Cdb, out: &Bytes) -> CmdResult<Plan> {
        let Some(io) = cdb.block_io() else {
            return Err(crate::sense::invalid_opcode());
        };
        // SBC-4 §5.30 (VERIFY BYTCHK table): 10b is reserved. For WRITE
        // AND VERIFY (SBC-4 §5.42) 11b is reserved too.
        let bad_bytchk = match io.kind {
            BlockIoKind::Verify => io.bytchk == BYTCHK_RESERVED,
            BlockIoKind::WriteAndVerify => io.bytchk >= BYTCHK_RESERVED,
            _ => false,
        };
        if bad_bytchk {
            return Err(invalid_named(cdb, "bytchk"));
        }
        self.check_block_io(cdb, &io, self.cfg.max_transfer_blocks.into())?;
        let bs = self.cfg.block_bytes();
        let blocks = u64::from(io.blocks);
        let (offset, len) = (io.lba * bs, blocks * bs);
        if blocks == 0 {
            return Ok(Plan::good());
        }
        let out_bytes = io.data_out_blocks() * bs;
        let plan = match io.kind {
            BlockIoKind::Read => Plan::io(Work::Read { offset, len }, Access::read(io.lba, blocks)),
            BlockIoKind::Verify => {
                let expect = match io.bytchk {
                    0 => None,
                    // SBC-4 §5.30: BYTCHK 11b sends one block, compared
                    // with every block of the range.
                    3 => {
                        let one = data_out(out, bs)?;
                        let mut all = BytesMut::with_capacity(len as usize);
                        for _ in 0..blocks {
                            all.extend_from_slice(&one);
                        }
                        Some(all.freeze())
                    }
                    _ => Some(data_out(out, len)?),
                };
                Plan::io(
                    Work::Verify {
                        offset,
                        len,
                        expect,
                    },
                    Access::read(io.lba, blocks),
                )
                .taking(out_bytes)
            }
            _ => {
                // RFC 7143 §11.4.5.1: an expected data transfer length short
                // of the CDB's is a residual overflow: only the whole blocks
                // transferred are written (none is GOOD without a write). A
                // partial block cannot be written: INVALID FIELD IN COMMAND
                // INFORMATION UNIT, still with the overflow residual.
                let have = out.len() as u64;
                let plain = matches!(io.kind, BlockIoKind::Write | BlockIoKind::WriteAndVerify);
                let blocks = if plain && have < len && have % bs == 0 {
                    have / bs
                } else {
                    blocks
                };
                if blocks == 0 {
                    return Ok(Plan::good().taking(out_bytes));
                }
                let len = blocks * bs;
                let data = data_out(out, len)?;
                // SBC-4 §5.40: FUA makes the write reach the medium before
                // GOOD; with the write cache off (WCE zero) every write does.
                // WRITE AND VERIFY verifies the medium, so it writes through.
                let fua = io.fua || !self.mode.wce() || io.kind == BlockIoKind::WriteAndVerify;
                // Test only: with `broken-fua`, GOOD before the data is durable.
                let fua =
                    fua && !(cfg!(feature = "broken-fua") && rtgt_proto::mutant::on("broken-fua"));
                let op = IoOp::Write { offset, data, fua };
                Plan::io(Work::Writes(vec![op]), Access::write(io.lba, blocks)).taking(out_bytes)
            }
        };
        Ok(plan)
    }
}

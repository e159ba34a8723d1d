//! WRITE SAME (10) and (16) (SBC-4 §5.47, §5.48) and UNMAP (SBC-4 §5.32).

use crate::backstore::IoOp;
use crate::dispatch::{data_out, short_data_out};
use crate::plan::{Access, Plan, Work};
use crate::rw::Blocks;
use crate::sense::{
    invalid_named, invalid_opcode, invalid_param, parameter_list_length, CmdResult,
};
use bytes::{Bytes, BytesMut};
use rtgt_proto::scsi::cdb::{Cdb, Unmap};
use rtgt_proto::scsi::params::UnmapList;

/// The largest single write a repeated block is issued in.
const PATTERN_PIECE: u64 = 1 << 20;

/// The writes that fill `len` bytes at `offset` with `block` repeated
/// (WRITE SAME, SBC-4 §5.47; the OVERWRITE of SANITIZE, §5.30.2.2), in
/// pieces of at most [`PATTERN_PIECE`] bytes (or one block) sharing one
/// buffer.
pub(crate) fn repeat_block(block: &[u8], offset: u64, len: u64, fua: bool) -> Vec<IoOp> {
    if block.is_empty() {
        return Vec::new();
    }
    let piece = PATTERN_PIECE.max(block.len() as u64).min(len);
    let mut pattern = BytesMut::with_capacity(piece as usize);
    while (pattern.len() as u64) < piece {
        pattern.extend_from_slice(block);
    }
    let pattern = pattern.freeze();
    let mut ops = Vec::new();
    let mut at = 0;
    while at < len {
        let n = piece.min(len - at);
        ops.push(IoOp::Write {
            offset: offset + at,
            data: pattern.slice(..n as usize),
            fua,
        });
        at += n;
    }
    ops
}

impl Blocks<'_> {
    pub(crate) fn write_same(&self, cdb: &Cdb, out: &Bytes) -> CmdResult<Plan> {
        let Some(io) = cdb.block_io() else {
            return Err(invalid_opcode());
        };
        // SBC-4 §5.47: ANCHOR needs ANC_SUP (zero here).
        if io.anchor {
            return Err(invalid_named(cdb, "anchor"));
        }
        // SBC-4 §5.47: PBDATA and LBDATA are obsolete; rtgt does not
        // support them and refuses them set.
        for f in ["obsolete_1_2", "obsolete_1_1"] {
            if cdb.field_values().iter().any(|&(n, v)| n == f && v != 0) {
                return Err(invalid_named(cdb, f));
            }
        }
        // SBC-4 §5.47 with WSNZ zero (§6.6.4): NUMBER OF LOGICAL BLOCKS
        // zero writes from the LBA to the last LBA; more blocks than
        // MAXIMUM WRITE SAME LENGTH is INVALID FIELD IN CDB either way.
        self.check_block_io(cdb, &io, self.cfg.max_write_same_blocks)?;
        let blocks = if io.blocks == 0 {
            let n = self.cfg.blocks - io.lba;
            if n > self.cfg.max_write_same_blocks {
                return Err(invalid_named(cdb, crate::rw::length_field(cdb)));
            }
            n
        } else {
            u64::from(io.blocks)
        };
        let bs = self.cfg.block_bytes();
        let (offset, len) = (io.lba * bs, blocks * bs);
        // SBC-4 §5.47: the Data-Out is exactly one logical block (none with
        // NDOB, §5.48); a Data-Out of any other length is INVALID FIELD IN
        // COMMAND INFORMATION UNIT.
        let wanted = if io.ndob { 0 } else { bs };
        if out.len() as u64 != wanted {
            return Err(short_data_out());
        }
        let block = if io.ndob {
            // SBC-4 §5.48: NDOB, no Data-Out; the block is all zero.
            Bytes::from(vec![0u8; bs as usize])
        } else {
            out.clone()
        };
        let fua = !self.mode.wce();
        // SBC-4 §5.47, table "ANCHOR bit, UNMAP bit and ANC_SUP bit
        // relationships": UNMAP one with ANCHOR zero is an unmap operation,
        // whatever the block sent; a thin LU deallocates each LBA and,
        // LBPRZ being one, they read as zero afterwards. A fully
        // provisioned LU does not implement UNMAP and writes.
        let ops = if io.unmap && self.cfg.thin {
            vec![IoOp::Deallocate { offset, len }]
        } else if block.iter().all(|&b| b == 0) {
            vec![IoOp::WriteZeroes { offset, len, fua }]
        } else {
            repeat_block(&block, offset, len, fua)
        };
        let taken = if io.ndob { 0 } else { bs };
        Ok(Plan::io(Work::Writes(ops), Access::write(io.lba, blocks)).taking(taken))
    }

    pub(crate) fn unmap(&self, c: &Unmap, out: &Bytes) -> CmdResult<Plan> {
        let cdb = Cdb::Unmap(*c);
        // SBC-4 §5.32.1: UNMAP is served only when LBPU is one (thin LUs);
        // otherwise the command is not supported.
        if !self.cfg.thin {
            return Err(invalid_opcode());
        }
        // SBC-4 §5.32.1: ANCHOR needs ANC_SUP (zero here).
        if c.anchor {
            return Err(invalid_named(&cdb, "anchor"));
        }
        self.check_writable()?;
        let pll = u64::from(c.parameter_list_length);
        // SBC-4 §5.32.1: zero transfers nothing and is not an error; 1 to 7
        // is PARAMETER LIST LENGTH ERROR.
        if pll == 0 {
            return Ok(Plan::good());
        }
        if pll < 8 {
            return Err(parameter_list_length());
        }
        let list = data_out(out, pll)?;
        let decoded = UnmapList::decode(&list).map_err(|_| parameter_list_length())?;
        // SBC-4 §5.32.2: descriptors running past the parameter list length
        // are a PARAMETER LIST LENGTH ERROR.
        if decoded.is_truncated() {
            return Err(parameter_list_length());
        }
        let descs = decoded.value.descriptors;
        // SBC-4 §5.32.1: more descriptors than MAXIMUM UNMAP BLOCK
        // DESCRIPTOR COUNT is INVALID FIELD IN PARAMETER LIST.
        if descs.len() as u64 > u64::from(self.cfg.max_unmap_descriptors) {
            return Err(invalid_param(2, None));
        }
        let bs = self.cfg.block_bytes();
        let mut total = 0u64;
        let mut ops = Vec::new();
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for (i, d) in descs.iter().enumerate() {
            let at = 8 + 16 * i;
            // SBC-4 §5.32.2: LBA plus NUMBER OF LOGICAL BLOCKS past the
            // capacity is LOGICAL BLOCK ADDRESS OUT OF RANGE; zero blocks
            // at the capacity itself does not exceed it.
            if d.blocks == 0 {
                if d.lba > self.cfg.blocks {
                    return Err(crate::sense::lba_out_of_range());
                }
            } else {
                self.check_range(d.lba, u64::from(d.blocks))?;
            }
            total += u64::from(d.blocks);
            // SBC-4 §5.32.1: more blocks in all than MAXIMUM UNMAP LBA COUNT
            // is INVALID FIELD IN PARAMETER LIST.
            if total > u64::from(self.cfg.max_unmap_blocks) {
                return Err(invalid_param(at + 8, None));
            }
            if d.blocks == 0 {
                continue;
            }
            lo = lo.min(d.lba);
            hi = hi.max(d.lba + u64::from(d.blocks));
            ops.push(IoOp::Deallocate {
                offset: d.lba * bs,
                len: u64::from(d.blocks) * bs,
            });
        }
        // Test only: with `broken-unmap`, GOOD while the blocks keep their
        // data, though the LUN reports LBPRZ (reads of them must give zeros).
        if ops.is_empty()
            || cfg!(feature = "broken-unmap") && rtgt_proto::mutant::on("broken-unmap")
        {
            return Ok(Plan::good().taking(pll));
        }
        Ok(Plan::io(Work::Writes(ops), Access::write(lo, hi - lo)).taking(pll))
    }
}

//! A normalized view of the commands that address a range of logical blocks,
//! so the virtual disk handles READ (6) and READ (16) with one code path.

use super::Cdb;

/// What a block command does with its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockIoKind {
    /// READ (6/10/12/16): Data-In of `blocks` blocks.
    Read,
    /// WRITE (6/10/12/16): Data-Out of `blocks` blocks.
    Write,
    /// VERIFY (10/12/16); `bytchk` says what Data-Out comes.
    Verify,
    /// WRITE AND VERIFY (10/12/16).
    WriteAndVerify,
    /// COMPARE AND WRITE: Data-Out of twice `blocks` blocks.
    CompareAndWrite,
    /// ORWRITE (16).
    OrWrite,
    /// WRITE ATOMIC (16); `atomic_boundary` is in the command.
    WriteAtomic,
    /// WRITE SAME (10/16): one block of Data-Out (none with NDOB).
    WriteSame,
    /// PRE-FETCH (10/16).
    PreFetch,
    /// SYNCHRONIZE CACHE (10/16).
    SynchronizeCache,
}

/// The block range and the flags of a block command, normalized.
///
/// `blocks` is the length field with the 6-byte rule applied (SBC-4 READ (6)
/// and WRITE (6): TRANSFER LENGTH zero means 256 blocks). For the other
/// commands zero is kept as zero: READ, WRITE, VERIFY, WRITE AND VERIFY,
/// ORWRITE, WRITE ATOMIC and COMPARE AND WRITE then transfer nothing and it is
/// not an error; WRITE SAME, PRE-FETCH and SYNCHRONIZE CACHE then cover every
/// block from `lba` through the last LBA ([`BlockIo::to_end`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockIo {
    /// What the command does.
    pub kind: BlockIoKind,
    /// First logical block address.
    pub lba: u64,
    /// Number of logical blocks, normalized as above.
    pub blocks: u32,
    /// DPO (false where the command has none).
    pub dpo: bool,
    /// FUA (false where the command has none).
    pub fua: bool,
    /// RDPROTECT, WRPROTECT, VRPROTECT or ORPROTECT (0 where none).
    pub protect: u8,
    /// BYTCHK of VERIFY and WRITE AND VERIFY (0 elsewhere).
    pub bytchk: u8,
    /// GROUP NUMBER (0 where none).
    pub group_number: u8,
    /// IMMED of PRE-FETCH and SYNCHRONIZE CACHE.
    pub immed: bool,
    /// UNMAP of WRITE SAME.
    pub unmap: bool,
    /// ANCHOR of WRITE SAME.
    pub anchor: bool,
    /// NDOB of WRITE SAME (16).
    pub ndob: bool,
}

impl BlockIo {
    fn new(kind: BlockIoKind, lba: u64, blocks: u32) -> Self {
        BlockIo {
            kind,
            lba,
            blocks,
            dpo: false,
            fua: false,
            protect: 0,
            bytchk: 0,
            group_number: 0,
            immed: false,
            unmap: false,
            anchor: false,
            ndob: false,
        }
    }

    /// True when the range runs through the last LBA (`blocks` zero for
    /// WRITE SAME, PRE-FETCH and SYNCHRONIZE CACHE).
    pub fn to_end(&self) -> bool {
        self.blocks == 0
            && matches!(
                self.kind,
                BlockIoKind::WriteSame | BlockIoKind::PreFetch | BlockIoKind::SynchronizeCache
            )
    }

    /// Number of blocks of Data-Out the initiator sends (SBC-4: twice the
    /// blocks for COMPARE AND WRITE, one for WRITE SAME unless NDOB, per
    /// BYTCHK for VERIFY).
    pub fn data_out_blocks(&self) -> u64 {
        let n = u64::from(self.blocks);
        match self.kind {
            BlockIoKind::Write | BlockIoKind::WriteAndVerify | BlockIoKind::OrWrite => n,
            BlockIoKind::WriteAtomic => n,
            BlockIoKind::CompareAndWrite => 2 * n,
            BlockIoKind::WriteSame => u64::from(!self.ndob),
            // SBC-4 VERIFY (10), BYTCHK: 01b sends the range, 11b one block.
            BlockIoKind::Verify => match self.bytchk {
                0b01 => n,
                0b11 => 1,
                _ => 0,
            },
            BlockIoKind::Read | BlockIoKind::PreFetch | BlockIoKind::SynchronizeCache => 0,
        }
    }

    /// Number of blocks of Data-In the target returns.
    pub fn data_in_blocks(&self) -> u64 {
        match self.kind {
            BlockIoKind::Read => u64::from(self.blocks),
            _ => 0,
        }
    }
}

macro_rules! rw {
    ($kind:ident, $c:expr, $prot:ident, $len:expr) => {{
        let c = $c;
        BlockIo {
            dpo: c.dpo,
            fua: c.fua,
            protect: c.$prot,
            group_number: c.group_number,
            ..BlockIo::new(BlockIoKind::$kind, u64::from(c.lba), u32::from($len))
        }
    }};
}

macro_rules! verify {
    ($kind:ident, $c:expr, $prot:ident) => {{
        let c = $c;
        BlockIo {
            dpo: c.dpo,
            protect: c.$prot,
            bytchk: c.bytchk,
            group_number: c.group_number,
            ..BlockIo::new(BlockIoKind::$kind, c.lba, c.length)
        }
    }};
}

macro_rules! ranged {
    ($kind:ident, $c:expr, $len:ident) => {{
        let c = $c;
        BlockIo {
            immed: c.immed,
            group_number: c.group_number,
            ..BlockIo::new(BlockIoKind::$kind, u64::from(c.lba), u32::from(c.$len))
        }
    }};
}

impl Cdb {
    /// The normalized block range of a block command; `None` for others.
    pub fn block_io(&self) -> Option<BlockIo> {
        use BlockIoKind as K;
        Some(match self {
            // SBC-4 READ (6) and WRITE (6): TRANSFER LENGTH zero means 256.
            Cdb::Read6(c) => BlockIo::new(K::Read, c.lba.into(), six(c.transfer_length)),
            Cdb::Write6(c) => BlockIo::new(K::Write, c.lba.into(), six(c.transfer_length)),
            Cdb::Read10(c) => rw!(Read, c, rdprotect, c.transfer_length),
            Cdb::Read12(c) => rw!(Read, c, rdprotect, c.transfer_length),
            Cdb::Read16(c) => rw!(Read, c, rdprotect, c.transfer_length),
            Cdb::Write10(c) => rw!(Write, c, wrprotect, c.transfer_length),
            Cdb::Write12(c) => rw!(Write, c, wrprotect, c.transfer_length),
            Cdb::Write16(c) => rw!(Write, c, wrprotect, c.transfer_length),
            Cdb::OrWrite16(c) => rw!(OrWrite, c, orprotect, c.transfer_length),
            Cdb::WriteAtomic16(c) => rw!(WriteAtomic, c, wrprotect, c.transfer_length),
            Cdb::CompareAndWrite(c) => rw!(CompareAndWrite, c, wrprotect, c.number_of_blocks),
            Cdb::Verify10(c) => verify!(Verify, c, vrprotect),
            Cdb::Verify12(c) => verify!(Verify, c, vrprotect),
            Cdb::Verify16(c) => verify!(Verify, c, vrprotect),
            Cdb::WriteAndVerify10(c) => verify!(WriteAndVerify, c, wrprotect),
            Cdb::WriteAndVerify12(c) => verify!(WriteAndVerify, c, wrprotect),
            Cdb::WriteAndVerify16(c) => verify!(WriteAndVerify, c, wrprotect),
            Cdb::WriteSame10(c) => BlockIo {
                protect: c.wrprotect,
                unmap: c.unmap,
                anchor: c.anchor,
                group_number: c.group_number,
                ..BlockIo::new(K::WriteSame, c.lba.into(), c.number_of_blocks.into())
            },
            Cdb::WriteSame16(c) => BlockIo {
                protect: c.wrprotect,
                unmap: c.unmap,
                anchor: c.anchor,
                ndob: c.ndob,
                group_number: c.group_number,
                ..BlockIo::new(K::WriteSame, c.lba, c.number_of_blocks)
            },
            Cdb::PreFetch10(c) => ranged!(PreFetch, c, prefetch_length),
            Cdb::PreFetch16(c) => ranged!(PreFetch, c, prefetch_length),
            Cdb::SynchronizeCache10(c) => ranged!(SynchronizeCache, c, number_of_blocks),
            Cdb::SynchronizeCache16(c) => ranged!(SynchronizeCache, c, number_of_blocks),
            _ => return None,
        })
    }
}

fn six(transfer_length: u8) -> u32 {
    if transfer_length == 0 {
        256
    } else {
        u32::from(transfer_length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read6_zero_means_256() {
        let c = Cdb::decode(&[0x08, 0, 0, 7, 0, 0]).unwrap();
        let io = c.block_io().unwrap();
        assert_eq!((io.kind, io.lba, io.blocks), (BlockIoKind::Read, 7, 256));
        assert_eq!(io.data_in_blocks(), 256);
        let c = Cdb::decode(&[0x0a, 0, 0, 7, 1, 0]).unwrap();
        assert_eq!(c.block_io().unwrap().blocks, 1);
    }

    #[test]
    fn read10_zero_stays_zero() {
        let c = Cdb::decode(&[0x28, 0x18, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap();
        let io = c.block_io().unwrap();
        assert_eq!((io.blocks, io.dpo, io.fua), (0, true, true));
        assert!(!io.to_end());
    }

    #[test]
    fn data_out_counts() {
        let cw = Cdb::decode(&[0x89, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0]).unwrap();
        assert_eq!(cw.block_io().unwrap().data_out_blocks(), 8);
        let ws = Cdb::decode(&[0x93, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        let io = ws.block_io().unwrap();
        assert!(io.ndob && io.unmap && io.to_end());
        assert_eq!(io.data_out_blocks(), 0);
        let v = Cdb::decode(&[0x2f, 0x06, 0, 0, 0, 0, 0, 0, 9, 0]).unwrap();
        let io = v.block_io().unwrap();
        assert_eq!((io.bytchk, io.data_out_blocks()), (3, 1));
        let sc = Cdb::decode(&[0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(sc.block_io().unwrap().immed && sc.block_io().unwrap().to_end());
        assert_eq!(Cdb::decode(&[0, 0, 0, 0, 0, 0]).unwrap().block_io(), None);
    }
}

//! What a command decoded and checked turns into: data ready at once, or
//! backstore work over a block range.

use crate::backstore::IoOp;
use bytes::Bytes;

/// Whether a command reads or writes the blocks it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessKind {
    Read,
    Write,
}

/// The blocks a command touches, for ordering (see [`crate::device`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Access {
    pub first: u64,
    pub blocks: u64,
    pub kind: AccessKind,
}

impl Access {
    pub(crate) fn read(first: u64, blocks: u64) -> Self {
        Access {
            first,
            blocks,
            kind: AccessKind::Read,
        }
    }

    pub(crate) fn write(first: u64, blocks: u64) -> Self {
        Access {
            first,
            blocks,
            kind: AccessKind::Write,
        }
    }

    /// Two accesses conflict when their ranges overlap and one writes.
    pub(crate) fn conflicts(&self, other: &Access) -> bool {
        let a_end = self.first.saturating_add(self.blocks);
        let b_end = other.first.saturating_add(other.blocks);
        let writes = self.kind == AccessKind::Write || other.kind == AccessKind::Write;
        writes && self.first < b_end && other.first < a_end
    }
}

/// The kind of task a checked command becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// Completes when its work does; task management aborts it.
    Ordinary,
    /// A SANITIZE that starts an operation: the LU is in the sanitize state
    /// until its work ends, and task management does not end the operation
    /// (SBC-4 §4.11). With `immediate` (IMMED, SBC-4 §5.30.1) the command
    /// completes with GOOD as soon as the work is issued, which then runs
    /// on detached.
    Sanitize { immediate: bool },
}

/// The backstore work of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Work {
    /// Nothing to do on the backstore: GOOD with this Data-In.
    Ready(Bytes),
    /// One read; its bytes are the Data-In.
    Read { offset: u64, len: u64 },
    /// Requests issued together; GOOD when all succeed.
    Writes(Vec<IoOp>),
    /// A read, then a comparison with `expect` (VERIFY with BYTCHK), or
    /// nothing more (BYTCHK zero: the medium is readable).
    Verify {
        offset: u64,
        len: u64,
        expect: Option<Bytes>,
    },
    /// A read, a comparison with `verify`, then a write of `write`.
    CompareAndWrite {
        offset: u64,
        verify: Bytes,
        write: Bytes,
        fua: bool,
    },
    /// This status (RESERVATION CONFLICT, CONDITION MET), no sense, no data.
    Status(rtgt_proto::scsi::status::Status),
    /// Query the allocation of `len` bytes at `offset`, then answer GET LBA
    /// STATUS from LBA `lba` with at most `alloc` bytes.
    LbaStatus {
        lba: u64,
        offset: u64,
        len: u64,
        alloc: u32,
    },
    /// ORWRITE: read, OR `data` in, write back.
    OrWrite { offset: u64, data: Bytes, fua: bool },
    /// Hand this persistent reservation state to the driver to store
    /// (APTPL), then GOOD.
    Persist(Box<crate::pr::PrState>),
    /// EXTENDED COPY: each chunk read, then written.
    Copy(std::sync::Arc<crate::xcopy::CopyJob>),
}

/// A checked command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub work: Work,
    pub access: Option<Access>,
    /// The first LBA, for INFORMATION in medium error sense data.
    pub lba: u64,
    /// Bytes of Data-Out the command takes, for the residual.
    pub out_wanted: u64,
    pub kind: TaskKind,
}

impl Plan {
    /// GOOD with `data` and no backstore work.
    pub(crate) fn data(data: impl Into<Bytes>) -> Self {
        Plan {
            work: Work::Ready(data.into()),
            access: None,
            lba: 0,
            out_wanted: 0,
            kind: TaskKind::Ordinary,
        }
    }

    /// GOOD, no data.
    pub(crate) fn good() -> Self {
        Plan::data(Bytes::new())
    }

    /// RESERVATION CONFLICT.
    pub(crate) fn conflict() -> Self {
        Plan {
            work: Work::Status(rtgt_proto::scsi::status::Status::RESERVATION_CONFLICT),
            ..Plan::good()
        }
    }

    /// CONDITION MET (PRE-FETCH, SBC-4 §5.18).
    pub(crate) fn condition_met() -> Self {
        Plan {
            work: Work::Status(rtgt_proto::scsi::status::Status::CONDITION_MET),
            ..Plan::good()
        }
    }

    /// Sets the Data-Out the command takes.
    pub(crate) fn taking(mut self, out: u64) -> Self {
        self.out_wanted = out;
        self
    }

    /// Backstore work over `access`.
    pub(crate) fn io(work: Work, access: Access) -> Self {
        Plan {
            work,
            access: Some(access),
            lba: access.first,
            out_wanted: 0,
            kind: TaskKind::Ordinary,
        }
    }
}

/// Cuts parameter data to the ALLOCATION LENGTH (SPC-5 §4.2.5.6: the
/// device returns no more than that, and it is not an error).
pub(crate) fn cut(mut data: Vec<u8>, allocation_length: u64) -> Bytes {
    data.truncate(usize::try_from(allocation_length).unwrap_or(usize::MAX));
    Bytes::from(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_need_overlap_and_a_write() {
        let w = Access::write(10, 5);
        assert!(w.conflicts(&Access::read(14, 1)));
        assert!(!w.conflicts(&Access::read(15, 1)));
        assert!(!Access::read(0, 100).conflicts(&Access::read(0, 100)));
        assert!(Access::read(0, u64::MAX).conflicts(&Access::write(u64::MAX - 1, 1)));
        assert!(!w.conflicts(&Access::write(0, 10)));
        assert_eq!(cut(vec![1, 2, 3], 2), Bytes::from_static(&[1, 2]));
        assert_eq!(cut(vec![1], 200), Bytes::from_static(&[1]));
    }
}

//! EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (SPC-4 §6.3, §6.18; kept
//! as the LID1 commands in SPC-5): a copy manager for block-to-block
//! copies within the logical unit that receives the command.
//!
//! A CSCD is an identification descriptor (E4h) naming a logical unit by
//! its NAA designator (as VPD page 83h reports it); only this LU's
//! designator is reachable. Segments are block-to-block (02h). A copy runs
//! as a read then a write per chunk, with every other command on the LU
//! ordered around it (it claims the whole medium for writing). Results of
//! copies whose LIST ID USAGE asks to hold them are kept per I_T nexus and
//! list identifier until COPY STATUS reports them.

use crate::dispatch::LuState;
use crate::plan::{cut, Access, Plan, Work};
use crate::sense::{invalid_named, invalid_param, parameter_list_length, CmdResult};
use crate::task::Nexus;
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Cdb, CopyResultsAction, ExtendedCopy as XcopyCdb, ReceiveCopyResults};
use rtgt_proto::scsi::params::copy::{
    COPY_STATUS_ERROR, COPY_STATUS_GOOD, CSCD_IDENTIFICATION, SEGMENT_BLOCK_TO_BLOCK,
    TRANSFER_COUNT_BLOCKS,
};
use rtgt_proto::scsi::params::{
    CopyOperatingParameters, CopyStatus, CscdDescriptor, ExtendedCopy, SegmentDescriptor,
};
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::scsi::vpd::{Designation, DESIGNATOR_NAA};

/// MAXIMUM CSCD DESCRIPTOR COUNT advertised and enforced.
pub(crate) const MAX_CSCDS: u16 = 8;
/// MAXIMUM SEGMENT DESCRIPTOR COUNT advertised and enforced.
pub(crate) const MAX_SEGMENTS: u16 = 16;
/// MAXIMUM DESCRIPTOR LIST LENGTH: room for the most of both kinds.
pub(crate) const MAX_LIST_LENGTH: u32 = MAX_CSCDS as u32 * 32 + MAX_SEGMENTS as u32 * 28;
/// MAXIMUM SEGMENT LENGTH in bytes.
pub(crate) const MAX_SEGMENT_BYTES: u32 = 64 << 20;
/// Bytes one read-then-write step of a copy moves at most.
const CHUNK_BYTES: u64 = 1 << 20;
/// Held results kept at most (the oldest goes first).
const MAX_HELD: usize = 64;

/// LIST ID USAGE (SPC-4 table 104): 00b hold, 10b do not hold, 11b no
/// list identifier; 01b is reserved.
const USAGE_RESERVED: u8 = 0b01;
const USAGE_NONE: u8 = 0b11;

/// One read-then-write step: `len` bytes from `src` to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub src: u64,
    pub dst: u64,
    pub len: u64,
}

/// The plan of a checked copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CopyJob {
    pub chunks: Vec<Chunk>,
    /// The list identifier whose result is held, if any.
    pub hold: Option<u8>,
    pub segments: u16,
    pub blocks: u64,
}

/// COPY ABORTED with `asc` (SPC-4 §6.3.4: errors met while processing
/// segment descriptors).
fn aborted(asc: AscAscq) -> Sense {
    Sense::new(SenseKey::COPY_ABORTED, asc)
}

/// COPY ABORTED, UNREACHABLE COPY TARGET (08h/04h).
fn unreachable() -> Sense {
    aborted(AscAscq::new(0x08, 0x04))
}

fn illegal(asc: AscAscq) -> Sense {
    Sense::new(SenseKey::ILLEGAL_REQUEST, asc)
}

impl LuState {
    /// SPC-4 §6.18.4: the limits this copy manager enforces.
    pub(crate) fn copy_parameters(&self) -> CopyOperatingParameters {
        CopyOperatingParameters {
            snlid: false,
            max_cscd_descriptors: MAX_CSCDS,
            max_segment_descriptors: MAX_SEGMENTS,
            max_descriptor_list_length: MAX_LIST_LENGTH,
            max_segment_length: MAX_SEGMENT_BYTES,
            // No inline or held data, no stream devices.
            max_inline_data_length: 0,
            held_data_limit: 0,
            max_stream_device_transfer_size: 0,
            // Copies on one LU run one after another.
            total_concurrent_copies: 1,
            max_concurrent_copies: 1,
            data_segment_granularity: self.cfg.block_size.bytes().trailing_zeros() as u8,
            inline_data_granularity: 0,
            held_data_granularity: 0,
            implemented_descriptors: vec![SEGMENT_BLOCK_TO_BLOCK, CSCD_IDENTIFICATION],
        }
    }

    /// SPC-4 §6.3: EXTENDED COPY (LID1).
    pub(crate) fn extended_copy(&self, c: &XcopyCdb, out: &Bytes) -> CmdResult<Plan> {
        let len = u64::from(c.parameter_list_length);
        // SPC-4 §6.3.1: a PARAMETER LIST LENGTH of zero is not an error;
        // nothing is copied.
        if len == 0 {
            return Ok(Plan::good());
        }
        let data = Self::data_out(out, len)?;
        // SPC-4 §6.3.1: a list too short for its header, or shorter than
        // the descriptor lists it declares, is PARAMETER LIST LENGTH ERROR.
        if data.len() < 16 {
            return Err(parameter_list_length());
        }
        let cscd_len = u32::from(u16::from_be_bytes([data[2], data[3]]));
        let seg_len = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
        // SPC-4 §6.3.1: the two lists together past MAXIMUM DESCRIPTOR
        // LIST LENGTH is PARAMETER LIST LENGTH ERROR.
        if u64::from(cscd_len) + u64::from(seg_len) > u64::from(MAX_LIST_LENGTH) {
            return Err(parameter_list_length());
        }
        let x = ExtendedCopy::decode(&data).map_err(|_| parameter_list_length())?;
        let usage = (x.flags >> 3) & 0b11;
        // SPC-4 §6.3.1: LIST ID USAGE 01b is reserved; 11b needs a zero
        // LIST IDENTIFIER.
        if usage == USAGE_RESERVED {
            return Err(invalid_param(1, Some(4)));
        }
        if usage == USAGE_NONE && x.list_id != 0 {
            return Err(invalid_param(0, None));
        }
        // SPC-4 §6.3.1: more descriptors than advertised.
        if x.cscds.len() > usize::from(MAX_CSCDS) {
            return Err(illegal(AscAscq::TOO_MANY_TARGET_DESCRIPTORS));
        }
        if x.segments.len() > usize::from(MAX_SEGMENTS) {
            return Err(illegal(AscAscq::TOO_MANY_SEGMENT_DESCRIPTORS));
        }
        // SPC-4 §6.3.1: inline data past MAXIMUM INLINE DATA LENGTH (0).
        if !x.inline_data.is_empty() {
            return Err(invalid_param(12, None));
        }
        let reachable = x
            .cscds
            .iter()
            .enumerate()
            .map(|(i, d)| self.cscd_is_this_lu(d, 16 + i * 32))
            .collect::<CmdResult<Vec<bool>>>()?;
        let bs = self.cfg.block_bytes();
        let mut job = CopyJob {
            chunks: Vec::new(),
            hold: (usage == 0b00).then_some(x.list_id),
            segments: 0,
            blocks: 0,
        };
        for s in &x.segments {
            let SegmentDescriptor::BlockToBlock {
                source,
                destination,
                blocks,
                source_lba,
                destination_lba,
                ..
            } = *s
            else {
                // SPC-4 §6.3.7: segment types other than block to block.
                return Err(illegal(AscAscq::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE));
            };
            // SPC-4 §6.3.4: a CSCD index with no descriptor, or naming a
            // logical unit the copy manager cannot reach.
            for i in [source, destination] {
                if !reachable.get(usize::from(i)).copied().unwrap_or(false) {
                    return Err(unreachable());
                }
            }
            let n = u64::from(blocks);
            // MAXIMUM SEGMENT LENGTH (SPC-4 §6.18.4) is enforced per segment.
            if n * bs > u64::from(MAX_SEGMENT_BYTES) {
                return Err(aborted(AscAscq::NO_ADDITIONAL_SENSE));
            }
            // SBC-4 §4.5: the source and destination ranges must lie on the
            // medium; SPC-4 §6.3.4 ends the copy with COPY ABORTED.
            for lba in [source_lba, destination_lba] {
                if lba.checked_add(n).is_none_or(|end| end > self.cfg.blocks) {
                    return Err(aborted(AscAscq::NO_ADDITIONAL_SENSE));
                }
            }
            let (mut src, mut dst, mut left) = (source_lba * bs, destination_lba * bs, n * bs);
            while left > 0 {
                let len = left.min(CHUNK_BYTES);
                job.chunks.push(Chunk { src, dst, len });
                src += len;
                dst += len;
                left -= len;
            }
            job.segments += 1;
            job.blocks += n;
        }
        if !job.chunks.is_empty() {
            self.check_writable()?;
        }
        Ok(Plan::io(
            Work::Copy(std::sync::Arc::new(job)),
            Access::write(0, self.cfg.blocks),
        ))
    }

    /// Checks one CSCD descriptor (at byte `at` of the parameter list):
    /// true when it names this logical unit.
    fn cscd_is_this_lu(&self, d: &CscdDescriptor, at: usize) -> CmdResult<bool> {
        let CscdDescriptor::Identification {
            byte1,
            code_set,
            designator_byte,
            designator,
            device_specific,
            ..
        } = d
        else {
            // SPC-4 §6.3.6: CSCD types other than identification.
            return Err(illegal(AscAscq::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE));
        };
        // SPC-4 §6.3.6.2: PERIPHERAL DEVICE TYPE 00h (block device) is the
        // only one with block device parameters here. (LU ID TYPE is
        // ignored, SPC-4 §6.3.6.1; NUL is obsolete.)
        if byte1 & 0x1f != 0 {
            return Err(invalid_param(at + 1, Some(4)));
        }
        // SPC-4 §6.3.6.5: DISK BLOCK LENGTH must be the LU's block size.
        let disk_block = u32::from_be_bytes([
            0,
            device_specific[1],
            device_specific[2],
            device_specific[3],
        ]);
        let ours = Designation::naa_registered_extended(
            self.cfg.naa().0,
            self.cfg.naa().1,
            self.cfg.naa().2,
        );
        let is_ours = *code_set == ours.code_set
            && designator_byte & 0x0f == DESIGNATOR_NAA
            && (designator_byte >> 4) & 0b11 == ours.association
            && *designator == ours.designator;
        if is_ours && disk_block != self.cfg.block_size.bytes() {
            return Err(invalid_param(at + 29, None));
        }
        Ok(is_ours)
    }

    /// Records the end of a copy whose result is held.
    pub(crate) fn copy_done(&mut self, nexus: &Nexus, job: &CopyJob, ok: bool) {
        let Some(list) = job.hold else {
            return;
        };
        if self.copies.len() >= MAX_HELD {
            self.copies.remove(0);
        }
        self.copies.retain(|(n, l, _)| !(n == nexus && *l == list));
        let status = CopyStatus {
            hdd: false,
            status: if ok {
                COPY_STATUS_GOOD
            } else {
                COPY_STATUS_ERROR
            },
            segments_processed: if ok { job.segments } else { 0 },
            transfer_count_units: TRANSFER_COUNT_BLOCKS,
            transfer_count: if ok {
                u32::try_from(job.blocks).unwrap_or(u32::MAX)
            } else {
                0
            },
        };
        self.copies.push((nexus.clone(), list, status));
    }

    /// SPC-4 §6.18: RECEIVE COPY RESULTS, the LID1 service actions.
    pub(crate) fn receive_copy_results(
        &mut self,
        nexus: &Nexus,
        c: &ReceiveCopyResults,
    ) -> CmdResult<Plan> {
        let cdb = Cdb::ReceiveCopyResults(*c);
        let data = match c.service_action {
            CopyResultsAction::OperatingParameters => self.copy_parameters().encode(),
            CopyResultsAction::CopyStatus => {
                // SPC-4 §6.18.2: a LIST IDENTIFIER of no held copy of this
                // I_T nexus is INVALID FIELD IN CDB; a reported status is
                // then discarded.
                let Some(i) = self
                    .copies
                    .iter()
                    .position(|(n, l, _)| n == nexus && *l == c.list_identifier)
                else {
                    return Err(invalid_named(&cdb, "list_identifier"));
                };
                self.copies.remove(i).2.encode()
            }
            // SPC-4 §6.18.3, §6.18.5: no copy holds data (HELD DATA LIMIT
            // zero) and no failed segment details are kept.
            _ => return Err(invalid_named(&cdb, "service_action")),
        };
        Ok(Plan::data(cut(data, c.allocation_length.into())))
    }
}

//! EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (SPC-4 §6.3, §6.18; kept
//! as the LID1 commands in SPC-5): a copy manager for block-to-block
//! copies between the logical units of the target that receives the
//! command.
//!
//! A CSCD is an identification descriptor (E4h) naming a logical unit by
//! its NAA designator (as VPD page 83h reports it): this LU's or another of
//! the target's ([`PeerLu`], kept by [`crate::LunMap`]). Segments are
//! block-to-block (02h). A copy runs as a read then a write per chunk, with
//! every other command on the receiving LU ordered around it (it claims the
//! whole medium for writing). Requests on another LU run on its backstore
//! directly (`IoRequest::lun`): they are not ordered with that LU's own
//! commands and do not see its reservations; a write-protected or ejected
//! destination is refused. Results of copies whose LIST ID USAGE asks to
//! hold them are kept per I_T nexus and list identifier until COPY STATUS
//! reports them.

use crate::dispatch::data_out;
use crate::plan::{cut, Access, Plan, Work};
use crate::rw::WriteProtect;
use crate::sense::{
    invalid_named, invalid_param, parameter_list_length, write_protected, CmdResult,
};
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

/// One read-then-write step: `len` bytes from `src` to `dst`, on the
/// receiving LU or (`Some(lun)`) another of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub src: u64,
    pub dst: u64,
    pub len: u64,
    pub src_lun: Option<u16>,
    pub dst_lun: Option<u16>,
}

/// A logical unit of the target as a copy reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PeerLu {
    /// Its LUN; `None` for the logical unit that received the copy.
    pub lun: Option<u16>,
    /// Its NAA designator (company, vendor specific, extension).
    pub naa: (u32, u64, u64),
    pub block_bytes: u64,
    pub blocks: u64,
    /// Why writes are refused, if they are.
    pub write_protect: Option<WriteProtect>,
    /// No medium (ejected): nothing to copy from or to.
    pub no_medium: bool,
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

/// The copy manager of a logical unit (SPC-4 §6.3, §6.18): the other
/// logical units of the target a copy reaches, and the held results.
#[derive(Debug, Default)]
pub(crate) struct CopyManager {
    /// Held EXTENDED COPY results by I_T nexus and list identifier
    /// (SPC-4 §6.18.2), oldest first.
    held: Vec<(Nexus, u8, CopyStatus)>,
    /// The other logical units of the target (kept by [`crate::LunMap`]).
    pub peers: Vec<PeerLu>,
}

/// SPC-4 §6.18.4: the limits this copy manager enforces, for a LU of
/// `block_bytes` bytes per block.
fn copy_parameters(block_bytes: u64) -> CopyOperatingParameters {
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
        data_segment_granularity: block_bytes.trailing_zeros() as u8,
        inline_data_granularity: 0,
        held_data_granularity: 0,
        implemented_descriptors: vec![SEGMENT_BLOCK_TO_BLOCK, CSCD_IDENTIFICATION],
    }
}

impl CopyManager {
    /// SPC-4 §6.3: EXTENDED COPY (LID1) received by the LU `this`.
    pub(crate) fn extended_copy(&self, this: PeerLu, c: &XcopyCdb, out: &Bytes) -> CmdResult<Plan> {
        let len = u64::from(c.parameter_list_length);
        // SPC-4 §6.3.1: a PARAMETER LIST LENGTH of zero is not an error;
        // nothing is copied.
        if len == 0 {
            return Ok(Plan::good());
        }
        let data = data_out(out, len)?;
        // SPC-4 §6.3.1: a list too short for its header, or shorter than
        // the descriptor lists it declares, is PARAMETER LIST LENGTH ERROR.
        let [_, _, c0, c1, _, _, _, _, s0, s1, s2, s3, _, _, _, _, ..] = *data else {
            return Err(parameter_list_length());
        };
        let cscd_len = u32::from(u16::from_be_bytes([c0, c1]));
        let seg_len = u32::from_be_bytes([s0, s1, s2, s3]);
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
        let named = x
            .cscds
            .iter()
            .enumerate()
            .map(|(i, d)| self.cscd_lu(this, d, 16 + i * 32))
            .collect::<CmdResult<Vec<Option<PeerLu>>>>()?;
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
            let lu = |i: u16| {
                named
                    .get(usize::from(i))
                    .copied()
                    .flatten()
                    .ok_or_else(unreachable)
            };
            let (from, to) = (lu(source)?, lu(destination)?);
            // SPC-4 §6.3.4: a copy source or destination without its medium
            // is unreachable; a write-protected destination is refused as a
            // write to it would be (SBC-4 §4.14).
            if from.no_medium || to.no_medium {
                return Err(unreachable());
            }
            if let (Some(p), true) = (to.write_protect, blocks > 0) {
                // This LU says which protection (software or not).
                return Err(match to.lun {
                    None => p.sense(),
                    Some(_) => write_protected(),
                });
            }
            // SPC-4 §6.3.7.5: NUMBER OF BLOCKS counts source blocks; the
            // bytes must fill whole destination blocks.
            let bytes = u64::from(blocks) * from.block_bytes;
            // MAXIMUM SEGMENT LENGTH (SPC-4 §6.18.4) is enforced per segment.
            if bytes > u64::from(MAX_SEGMENT_BYTES) || bytes % to.block_bytes != 0 {
                return Err(aborted(AscAscq::NO_ADDITIONAL_SENSE));
            }
            // SBC-4 §4.5: the source and destination ranges must lie on
            // their media; SPC-4 §6.3.4 ends the copy with COPY ABORTED.
            for (lba, n, on) in [
                (source_lba, u64::from(blocks), from),
                (destination_lba, bytes / to.block_bytes, to),
            ] {
                if lba.checked_add(n).is_none_or(|end| end > on.blocks) {
                    return Err(aborted(AscAscq::NO_ADDITIONAL_SENSE));
                }
            }
            let (mut src, mut dst, mut left) = (
                source_lba * from.block_bytes,
                destination_lba * to.block_bytes,
                bytes,
            );
            while left > 0 {
                let len = left.min(CHUNK_BYTES);
                job.chunks.push(Chunk {
                    src,
                    dst,
                    len,
                    src_lun: from.lun,
                    dst_lun: to.lun,
                });
                src += len;
                dst += len;
                left -= len;
            }
            job.segments += 1;
            job.blocks += u64::from(blocks);
        }
        Ok(Plan::io(
            Work::Copy(std::sync::Arc::new(job)),
            Access::write(0, this.blocks),
        ))
    }

    /// Checks one CSCD descriptor (at byte `at` of the parameter list) and
    /// finds the logical unit it names: this one, another of the target, or
    /// none (`None`: unreachable if a segment uses it).
    fn cscd_lu(&self, this: PeerLu, d: &CscdDescriptor, at: usize) -> CmdResult<Option<PeerLu>> {
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
        let disk_block = u64::from(u32::from_be_bytes([
            0,
            device_specific[1],
            device_specific[2],
            device_specific[3],
        ]));
        let names = |naa: (u32, u64, u64)| {
            let d = Designation::naa_registered_extended(naa.0, naa.1, naa.2);
            *code_set == d.code_set
                && designator_byte & 0x0f == DESIGNATOR_NAA
                && (designator_byte >> 4) & 0b11 == d.association
                && *designator == d.designator
        };
        let lu = if names(this.naa) {
            this
        } else if let Some(p) = self.peers.iter().find(|p| names(p.naa)) {
            *p
        } else {
            return Ok(None);
        };
        // SPC-4 §6.3.6.5: DISK BLOCK LENGTH must be the LU's block size.
        if disk_block != lu.block_bytes {
            return Err(invalid_param(at + 29, None));
        }
        Ok(Some(lu))
    }

    /// Records the end of a copy whose result is held.
    pub(crate) fn copy_done(&mut self, nexus: &Nexus, job: &CopyJob, ok: bool) {
        let Some(list) = job.hold else {
            return;
        };
        if self.held.len() >= MAX_HELD {
            self.held.remove(0);
        }
        self.held.retain(|(n, l, _)| !(n == nexus && *l == list));
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
        self.held.push((nexus.clone(), list, status));
    }

    /// SPC-4 §6.18: RECEIVE COPY RESULTS, the LID1 service actions.
    pub(crate) fn receive_copy_results(
        &mut self,
        nexus: &Nexus,
        c: &ReceiveCopyResults,
        block_bytes: u64,
    ) -> CmdResult<Plan> {
        let cdb = Cdb::ReceiveCopyResults(*c);
        let data = match c.service_action {
            CopyResultsAction::OperatingParameters => copy_parameters(block_bytes).encode(),
            CopyResultsAction::CopyStatus => {
                // SPC-4 §6.18.2: a LIST IDENTIFIER of no held copy of this
                // I_T nexus is INVALID FIELD IN CDB; a reported status is
                // then discarded.
                let Some(i) = self
                    .held
                    .iter()
                    .position(|(n, l, _)| n == nexus && *l == c.list_identifier)
                else {
                    return Err(invalid_named(&cdb, "list_identifier"));
                };
                self.held.remove(i).2.encode()
            }
            // SPC-4 §6.18.3, §6.18.5: no copy holds data (HELD DATA LIMIT
            // zero) and no failed segment details are kept.
            _ => return Err(invalid_named(&cdb, "service_action")),
        };
        Ok(Plan::data(cut(data, c.allocation_length.into())))
    }
}

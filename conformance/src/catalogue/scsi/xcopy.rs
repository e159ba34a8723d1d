//! EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (SPC-4 §6.3 and §6.18,
//! kept as the LID1 commands in SPC-5): block to block copies (segment
//! descriptor 02h) between logical units named by identification CSCD
//! descriptors (E4h, the NAA designator of VPD page 83h), the results a
//! copy leaves, the limits the copy manager reports, and the rule that a
//! copy reaches only the logical units the copy manager can identify
//! (SPC-4 §6.3.4: a CSCD descriptor that names no reachable logical unit
//! ends the copy with COPY ABORTED; the Linux target's CVE-2020-28374 was a
//! copy manager that looked designators up among every LU of the system).
//!
//! Not applicable where standard INQUIRY reports 3PC zero. The SPC-4 text
//! was not at hand: the requirement sentences paraphrase the clauses cited,
//! and the COPY MANAGER STATUS code of a good copy (01h) is the one
//! sg3_utils' sg_copy_results prints as "completed without errors".
//! Everything is written inside the scratch range and restored after.

use super::basics::reported_luns;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{CopyResultsAction, ExtendedCopy as XcopyCdb, ReceiveCopyResults};
use rtgt_proto::scsi::params::copy::{
    CopyOperatingParameters, CopyStatus, CscdDescriptor, ExtendedCopy, SegmentDescriptor,
    COPY_STATUS_GOOD,
};
use rtgt_proto::scsi::vpd::{Designation, VpdPage, DESIGNATOR_NAA};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.xcopy.same-lun",
        "SPC-4 §6.3 EXTENDED COPY (LID1), §6.3.7.5 block device to block device",
        Level::Must,
        "EXTENDED COPY of 2 blocks from one scratch LBA to another of the same LUN (one \
         identification CSCD descriptor as source and destination) is GOOD and the destination \
         then reads as the source",
        same_lun,
    ),
    Scenario::new(
        "scsi.xcopy.copy-status",
        "SPC-4 §6.18.2 RECEIVE COPY RESULTS (COPY STATUS)",
        Level::Must,
        "after a copy sent with LIST ID USAGE 00b, RECEIVE COPY RESULTS (COPY STATUS) for its \
         LIST IDENTIFIER is GOOD with COPY MANAGER STATUS 01h (completed without errors) and \
         SEGMENTS PROCESSED 1",
        copy_status,
    ),
    Scenario::new(
        "scsi.xcopy.too-many-segments",
        "SPC-4 §6.3.1, §6.18.4 (MAXIMUM SEGMENT DESCRIPTOR COUNT)",
        Level::Must,
        "a copy with one segment descriptor more than OPERATING PARAMETERS' MAXIMUM SEGMENT \
         DESCRIPTOR COUNT is ILLEGAL REQUEST, TOO MANY SEGMENT DESCRIPTORS (26h/08h) and \
         copies nothing",
        too_many_segments,
    ),
    Scenario::new(
        "scsi.xcopy.unreachable-source",
        "SPC-4 §6.3.4, §6.3.6.2 (identification CSCD descriptor)",
        Level::Must,
        "a copy whose source CSCD descriptor names an NAA designator of no logical unit the \
         target serves ends CHECK CONDITION, COPY ABORTED (UNREACHABLE COPY TARGET 08h/04h or \
         COPY TARGET DEVICE NOT REACHABLE 0Dh/02h), and the destination blocks are unchanged",
        unreachable_source,
    ),
    Scenario::new(
        "scsi.xcopy.beyond-end",
        "SPC-4 §6.3.4, SBC-4 §4.5",
        Level::Must,
        "a copy whose source range runs past the last LBA is not GOOD (CHECK CONDITION) and the \
         destination blocks are unchanged",
        beyond_end,
    ),
    Scenario::new(
        "scsi.xcopy.other-lun",
        "SPC-4 §6.3, §6.3.7.5 block device to block device",
        Level::Must,
        "where the target lists several LUNs, a copy from another LUN (named by its NAA \
         designator) into the scratch range of the LUN under test is GOOD and the blocks then \
         read as that LUN's",
        other_lun,
    ),
];

/// The copy's blocks; the scratch blocks used.
const BLOCKS: u16 = 2;
const SCRATCH: u32 = 8;
/// LIST ID USAGE 11b: no list identifier, nothing held (SPC-4 §6.3.1).
const NO_LIST_ID: u8 = 0b11 << 3;

/// Runs `body` with the scratch range saved, when the device reports 3PC.
fn with_copy(
    ctx: &mut Context,
    body: impl FnOnce(&mut Context, &mut Scsi, &Scratch, CscdDescriptor) -> Verdict,
) -> Verdict {
    with_scratch(ctx, SCRATCH, |ctx, s, sc| {
        if !standard_inquiry(ctx, s)?.0.three_pc {
            return Ok(Outcome::not_applicable(
                "3PC zero: the device has no copy manager",
            ));
        }
        let Some(me) = naa(ctx, s)? else {
            return Ok(Outcome::not_applicable(
                "no NAA logical unit designator in VPD page 83h to name the LUN with",
            ));
        };
        let cscd = cscd_of(&me, sc.cap.block_len);
        body(ctx, s, sc, cscd)
    })
}

/// The NAA logical unit designator of the session's LUN.
fn naa(ctx: &mut Context, s: &mut Scsi) -> Result<Option<Designation>, ScenarioError> {
    Ok(match vpd_page(ctx, s, 0x83)? {
        Some(VpdPage::DeviceId(ids)) => ids
            .into_iter()
            .find(|d| d.association == 0 && d.designator_type == DESIGNATOR_NAA),
        _ => None,
    })
}

/// An identification CSCD descriptor naming `d`, a block device of
/// `block_len` bytes per block (SPC-4 §6.3.6.2, §6.3.6.5).
fn cscd_of(d: &Designation, block_len: u32) -> CscdDescriptor {
    let [_, b1, b2, b3] = block_len.to_be_bytes();
    CscdDescriptor::Identification {
        byte1: 0,
        relative_initiator_port: 0,
        code_set: d.code_set,
        designator_byte: (d.association & 0b11) << 4 | (d.designator_type & 0x0f),
        designator: d.designator.clone(),
        device_specific: [0, b1, b2, b3],
    }
}

fn segment(
    source: u16,
    destination: u16,
    source_lba: u64,
    destination_lba: u64,
) -> SegmentDescriptor {
    SegmentDescriptor::BlockToBlock {
        flags: 0,
        source,
        destination,
        reserved: 0,
        blocks: BLOCKS,
        source_lba,
        destination_lba,
    }
}

/// EXTENDED COPY (LID1) with `list`.
fn xcopy(ctx: &mut Context, s: &mut Scsi, list: &ExtendedCopy) -> Result<Reply, ScenarioError> {
    let data = list.encode();
    let cdb = XcopyCdb {
        parameter_list_length: data.len() as u32,
        ..Default::default()
    }
    .encode();
    s.write(ctx, &cdb, data)
}

/// RECEIVE COPY RESULTS with `action` for list `id`.
fn results(
    ctx: &mut Context,
    s: &mut Scsi,
    action: CopyResultsAction,
    id: u8,
) -> Result<Reply, ScenarioError> {
    let cdb = ReceiveCopyResults {
        service_action: action,
        list_identifier: id,
        allocation_length: 1024,
        ..Default::default()
    }
    .encode();
    s.read(ctx, &cdb, 1024)
}

/// Writes a pattern over the first `2 * BLOCKS` scratch blocks: the source
/// and the destination of the copies differ.
fn prepare(ctx: &mut Context, s: &mut Scsi, sc: &Scratch) -> Result<Vec<u8>, ScenarioError> {
    let n = 2 * u32::from(BLOCKS);
    let data = pattern(n, sc.cap.block_len, 0x3c);
    let w = s.write(ctx, &write16(sc.lba, n), data.clone())?;
    if !w.good() {
        return Err(setup("WRITE (16) of the scratch blocks", &w));
    }
    Ok(data)
}

fn same_lun(ctx: &mut Context) -> Verdict {
    with_copy(ctx, |ctx, s, sc, me| {
        let data = prepare(ctx, s, sc)?;
        let (src, dst) = (sc.lba, sc.lba + u64::from(BLOCKS));
        let list = ExtendedCopy {
            flags: NO_LIST_ID,
            cscds: vec![me],
            segments: vec![segment(0, 0, src, dst)],
            ..Default::default()
        };
        let r = xcopy(ctx, s, &list)?;
        let want = &data[..sc.bytes(BLOCKS.into())];
        reads_back(
            ctx,
            s,
            (sc.cap, dst),
            &r,
            want,
            "the destination as the source",
        )
    })
}

fn copy_status(ctx: &mut Context) -> Verdict {
    with_copy(ctx, |ctx, s, sc, me| {
        prepare(ctx, s, sc)?;
        let id = 0x5a;
        let list = ExtendedCopy {
            list_id: id,
            flags: 0,
            cscds: vec![me],
            segments: vec![segment(0, 0, sc.lba, sc.lba + u64::from(BLOCKS))],
            ..Default::default()
        };
        if let Some(failed) = not_good(&xcopy(ctx, s, &list)?) {
            return Ok(failed);
        }
        let r = results(ctx, s, CopyResultsAction::CopyStatus, id)?;
        let Ok(st) = CopyStatus::decode(&r.data) else {
            return Ok(Outcome::fail("GOOD with COPY STATUS data", r.describe()));
        };
        Ok(Outcome::check(
            r.good() && st.status == COPY_STATUS_GOOD && st.segments_processed == 1,
            "GOOD, COPY MANAGER STATUS 01h, SEGMENTS PROCESSED 1",
            format!(
                "{}, COPY MANAGER STATUS {:02X}h, SEGMENTS PROCESSED {}",
                r.describe(),
                st.status,
                st.segments_processed
            ),
        ))
    })
}

/// The destination blocks after a refused copy: unchanged (`before`).
fn unchanged(
    ctx: &mut Context,
    s: &mut Scsi,
    sc: &Scratch,
    before: &[u8],
) -> Result<bool, ScenarioError> {
    let at = sc.lba + u64::from(BLOCKS);
    Ok(read_blocks(ctx, s, sc.cap, at, BLOCKS.into())? == before)
}

fn too_many_segments(ctx: &mut Context) -> Verdict {
    with_copy(ctx, |ctx, s, sc, me| {
        let r = results(ctx, s, CopyResultsAction::OperatingParameters, 0)?;
        let Ok(params) = CopyOperatingParameters::decode(&r.data).map(|d| d.value) else {
            return Ok(Outcome::fail(
                "GOOD with OPERATING PARAMETERS data",
                r.describe(),
            ));
        };
        let n = usize::from(params.max_segment_descriptors) + 1;
        let len = 32 + n * 28;
        if !r.good() || n > 256 || len > params.max_descriptor_list_length as usize {
            return Ok(Outcome::not_applicable(format!(
                "{} segment descriptors do not fit MAXIMUM DESCRIPTOR LIST LENGTH {}",
                n, params.max_descriptor_list_length
            )));
        }
        let data = prepare(ctx, s, sc)?;
        let before = &data[sc.bytes(BLOCKS.into())..];
        let seg = segment(0, 0, sc.lba, sc.lba + u64::from(BLOCKS));
        let list = ExtendedCopy {
            flags: NO_LIST_ID,
            cscds: vec![me],
            segments: vec![seg; n],
            ..Default::default()
        };
        let r = xcopy(ctx, s, &list)?;
        Ok(
            match expect_illegal(&r, AscAscq::TOO_MANY_SEGMENT_DESCRIPTORS) {
                Outcome::Pass => Outcome::check(
                    unchanged(ctx, s, sc, before)?,
                    "the destination blocks unchanged",
                    "the destination blocks changed",
                ),
                failed => failed,
            },
        )
    })
}

fn unreachable_source(ctx: &mut Context) -> Verdict {
    with_copy(ctx, |ctx, s, sc, me| {
        let data = prepare(ctx, s, sc)?;
        let before = &data[sc.bytes(BLOCKS.into())..];
        // An NAA 6 designator no logical unit here has: this LU's with its
        // last bytes inverted.
        let CscdDescriptor::Identification { designator, .. } = &me else {
            return Err(ScenarioError::Setup("an identification descriptor".into()));
        };
        let mut other = designator.clone();
        for b in other.iter_mut().skip(4) {
            *b = !*b;
        }
        let ghost = match me.clone() {
            CscdDescriptor::Identification {
                byte1,
                relative_initiator_port,
                code_set,
                designator_byte,
                device_specific,
                ..
            } => CscdDescriptor::Identification {
                byte1,
                relative_initiator_port,
                code_set,
                designator_byte,
                designator: other,
                device_specific,
            },
            raw => raw,
        };
        let list = ExtendedCopy {
            flags: NO_LIST_ID,
            cscds: vec![me, ghost],
            segments: vec![segment(1, 0, sc.lba, sc.lba + u64::from(BLOCKS))],
            ..Default::default()
        };
        refused(ctx, (s, sc), before, &list, |r| {
            r.is(SenseKey::COPY_ABORTED, AscAscq::new(0x08, 0x04))
                || r.is(SenseKey::COPY_ABORTED, AscAscq::COPY_TARGET_NOT_REACHABLE)
        })
        .map(|(ok, seen)| {
            Outcome::check(
                ok,
                "CHECK CONDITION, COPY ABORTED 08h/04h or 0Dh/02h, the destination unchanged",
                seen,
            )
        })
    })
}

/// Sends `list`; whether `answer` accepts the reply and the destination
/// blocks stayed `before`, and what was seen.
fn refused(
    ctx: &mut Context,
    (s, sc): (&mut Scsi, &Scratch),
    before: &[u8],
    list: &ExtendedCopy,
    answer: impl Fn(&Reply) -> bool,
) -> Result<(bool, String), ScenarioError> {
    let r = xcopy(ctx, s, list)?;
    let same = unchanged(ctx, s, sc, before)?;
    let seen = format!(
        "{}, the destination {}",
        r.describe(),
        if same { "unchanged" } else { "changed" }
    );
    Ok((answer(&r) && same, seen))
}

fn beyond_end(ctx: &mut Context) -> Verdict {
    with_copy(ctx, |ctx, s, sc, me| {
        let data = prepare(ctx, s, sc)?;
        let before = &data[sc.bytes(BLOCKS.into())..];
        // The last block and one past it.
        let list = ExtendedCopy {
            flags: NO_LIST_ID,
            cscds: vec![me],
            segments: vec![segment(0, 0, sc.cap.last_lba, sc.lba + u64::from(BLOCKS))],
            ..Default::default()
        };
        refused(ctx, (s, sc), before, &list, |r| {
            r.status == rtgt_proto::pdu::ScsiStatus::CheckCondition
        })
        .map(|(ok, seen)| Outcome::check(ok, "CHECK CONDITION, the destination unchanged", seen))
    })
}

fn other_lun(ctx: &mut Context) -> Verdict {
    with_copy(ctx, |ctx, s, sc, me| {
        let home = s.lun;
        let Some(other) = reported_luns(ctx, s)?
            .into_iter()
            .map(|l| rtgt_proto::pdu::Lun(l.0))
            .find(|l| *l != home)
        else {
            return Ok(Outcome::not_applicable(
                "the target lists one LUN; the suite cannot create more",
            ));
        };
        s.lun = other;
        let found = (|| -> Result<_, ScenarioError> {
            let cap = capacity(ctx, s)?;
            let id = naa(ctx, s)?;
            let blocks = read_blocks(ctx, s, cap, 0, BLOCKS.into())?;
            Ok((cap, id, blocks))
        })();
        s.lun = home;
        let (cap, id, theirs) = found?;
        let Some(id) = id else {
            return Ok(Outcome::not_applicable(
                "the other LUN gives no NAA designator to name it with",
            ));
        };
        if cap.block_len != sc.cap.block_len {
            return Ok(Outcome::not_applicable(
                "the other LUN's block length differs",
            ));
        }
        prepare(ctx, s, sc)?;
        let list = ExtendedCopy {
            flags: NO_LIST_ID,
            cscds: vec![me, cscd_of(&id, cap.block_len)],
            segments: vec![segment(1, 0, 0, sc.lba)],
            ..Default::default()
        };
        let r = xcopy(ctx, s, &list)?;
        reads_back(
            ctx,
            s,
            (sc.cap, sc.lba),
            &r,
            &theirs,
            "the other LUN's first blocks",
        )
    })
}

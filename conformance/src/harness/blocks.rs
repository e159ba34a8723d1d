//! Block-level helpers over a [`RawSession`]: the LUN, READ (10) and
//! WRITE (10), the block size, and the status and data of a command's
//! PDUs.

use super::session::RawSession;
use crate::context::Context;
use crate::scenario::ScenarioError;
use bytes::Bytes;
use rtgt_proto::pdu::{Lun, Pdu, ScsiStatus};
use rtgt_proto::scsi::cdb::{Read10, ReadCapacity10, Write10};
use rtgt_proto::scsi::params::ReadCapacity10 as Capacity;

/// The LUN under test.
pub(crate) fn lun(ctx: &Context) -> Lun {
    Lun::single_level(ctx.target.lun as u16)
}

/// READ (10) of `blocks` at `lba`.
pub(crate) fn read10(lba: u64, blocks: u16) -> Vec<u8> {
    Read10 {
        lba: lba as u32,
        transfer_length: blocks,
        ..Read10::default()
    }
    .encode()
    .to_vec()
}

/// WRITE (10) of `blocks` at `lba`.
pub(crate) fn write10(lba: u64, blocks: u16) -> Vec<u8> {
    Write10 {
        lba: lba as u32,
        transfer_length: blocks,
        ..Write10::default()
    }
    .encode()
    .to_vec()
}

/// The status and data of a finished command's PDUs.
pub(crate) fn status_of(pdus: &[Pdu]) -> Option<ScsiStatus> {
    pdus.iter().rev().find_map(|p| match p {
        Pdu::ScsiResponse(r) => Some(r.status),
        Pdu::DataIn(d) if d.status_present => Some(d.status),
        _ => None,
    })
}

/// The Data-In payload of a finished command, in offset order.
pub(crate) fn data_of(pdus: &[Pdu]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pdus {
        if let Pdu::DataIn(d) = p {
            let at = d.buffer_offset as usize;
            if out.len() < at + d.data.len() {
                out.resize(at + d.data.len(), 0);
            }
            out[at..at + d.data.len()].copy_from_slice(&d.data);
        }
    }
    out
}

/// Whether `pdus` end with CHECK CONDITION and UNIT ATTENTION sense.
pub(crate) fn unit_attention(pdus: &[Pdu]) -> bool {
    pdus.iter().any(|p| match p {
        Pdu::ScsiResponse(r) if r.status == ScsiStatus::CheckCondition => r
            .sense_data()
            .and_then(|b| rtgt_proto::scsi::sense::Sense::decode(b).ok())
            .is_some_and(|d| d.value.key == rtgt_proto::scsi::asc::SenseKey::UNIT_ATTENTION),
        _ => false,
    })
}

/// Runs the command `make` builds, again while a unit attention answers it
/// (SPC-5 §5.14: reported once per condition).
pub(crate) fn run_past_ua(
    ctx: &mut Context,
    s: &mut RawSession,
    make: impl Fn(&mut RawSession) -> rtgt_proto::pdu::ScsiCommand,
    write: Option<&Bytes>,
) -> Result<Vec<Pdu>, ScenarioError> {
    let mut pdus = Vec::new();
    for _ in 0..4 {
        let cmd = make(s);
        pdus = s.run(ctx, cmd, write)?;
        if !unit_attention(&pdus) {
            break;
        }
    }
    Ok(pdus)
}

fn good(pdus: &[Pdu], what: &str) -> Result<(), ScenarioError> {
    match status_of(pdus) {
        Some(ScsiStatus::Good) => Ok(()),
        other => Err(ScenarioError::Setup(format!("{what} ended with {other:?}"))),
    }
}

/// The logical block length (READ CAPACITY (10)).
pub(crate) fn block_size(ctx: &mut Context, s: &mut RawSession) -> Result<u32, ScenarioError> {
    Ok(capacity(ctx, s)?.block_length)
}

/// READ CAPACITY (10): the last LBA (0xffffffff when larger) and the
/// logical block length, never 0.
pub(crate) fn capacity(ctx: &mut Context, s: &mut RawSession) -> Result<Capacity, ScenarioError> {
    let cdb = ReadCapacity10::default().encode();
    let l = lun(ctx);
    let pdus = run_past_ua(ctx, s, |s| s.command(l, &cdb, 8, true, false), None)?;
    good(&pdus, "READ CAPACITY (10)")?;
    let cap = Capacity::decode(&data_of(&pdus))
        .map_err(|e| ScenarioError::Setup(format!("READ CAPACITY (10) data: {e}")))?;
    if cap.block_length == 0 {
        return Err(ScenarioError::Setup("block length 0".into()));
    }
    Ok(cap)
}

/// Reads `blocks` blocks at `lba`.
pub(crate) fn read(
    ctx: &mut Context,
    s: &mut RawSession,
    lba: u64,
    blocks: u16,
    bs: u32,
) -> Result<Bytes, ScenarioError> {
    let len = u32::from(blocks) * bs;
    let (l, cdb) = (lun(ctx), read10(lba, blocks));
    let pdus = run_past_ua(ctx, s, |s| s.command(l, &cdb, len, true, false), None)?;
    good(&pdus, "READ (10)")?;
    Ok(Bytes::from(data_of(&pdus)))
}

/// Writes `data` at `lba` (answering R2Ts, no unsolicited data).
pub(crate) fn write(
    ctx: &mut Context,
    s: &mut RawSession,
    lba: u64,
    data: &Bytes,
    bs: u32,
) -> Result<(), ScenarioError> {
    let blocks = (data.len() as u32 / bs) as u16;
    let (l, cdb, len) = (lun(ctx), write10(lba, blocks), data.len() as u32);
    let pdus = run_past_ua(ctx, s, |s| s.command(l, &cdb, len, false, true), Some(data))?;
    good(&pdus, "WRITE (10)")
}

/// A recognisable pattern of `len` bytes.
pub(crate) fn pattern(len: usize, seed: u8) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect::<Vec<u8>>(),
    )
}

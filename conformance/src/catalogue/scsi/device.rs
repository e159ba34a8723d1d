//! What the scenarios read of the device before they judge it: capacity,
//! INQUIRY and VPD data, mode pages, REPORT SUPPORTED OPERATION CODES, and
//! the scratch range saved before a write and restored after it.

use super::support::{setup, Reply, Scsi};
use crate::context::Context;
use crate::scenario::{Outcome, ScenarioError, Verdict};
use rtgt_proto::scsi::cdb::{
    reporting_options, Inquiry, ModeSense6, PageControl, Read16, ReadCapacity10, ReadCapacity16,
    ReportSupportedOperationCodes, Write16,
};
use rtgt_proto::scsi::mode::{HeaderKind, ModeParameters, PAGE_ALL};
use rtgt_proto::scsi::params;
use rtgt_proto::scsi::vpd::{BlockLimits, LogicalBlockProvisioning, Vpd, VpdPage};

/// The LUN's size as READ CAPACITY reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub last_lba: u64,
    pub block_len: u32,
}

impl Capacity {
    pub fn blocks(&self) -> u64 {
        self.last_lba.saturating_add(1)
    }

    pub fn bytes(&self, blocks: u64) -> u32 {
        u32::try_from(blocks.saturating_mul(u64::from(self.block_len))).unwrap_or(u32::MAX)
    }
}

/// READ CAPACITY (16), or (10) when (16) is refused.
pub fn capacity(ctx: &mut Context, s: &mut Scsi) -> Result<Capacity, ScenarioError> {
    let cdb = ReadCapacity16 {
        allocation_length: 32,
        ..Default::default()
    }
    .encode();
    let reply = s.read(ctx, &cdb, 32)?;
    if reply.good() {
        if let Ok(rc) = params::ReadCapacity16::decode(&reply.data) {
            if rc.block_length > 0 {
                return Ok(Capacity {
                    last_lba: rc.returned_lba,
                    block_len: rc.block_length,
                });
            }
        }
    }
    let reply = s.read(ctx, &ReadCapacity10::default().encode(), 8)?;
    match params::ReadCapacity10::decode(&reply.data) {
        Ok(rc) if reply.good() && rc.block_length > 0 => Ok(Capacity {
            last_lba: u64::from(rc.returned_lba),
            block_len: rc.block_length,
        }),
        _ => Err(setup("READ CAPACITY", &reply)),
    }
}

/// The standard INQUIRY data (255 bytes asked).
pub fn standard_inquiry(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<(params::StandardInquiry, Vec<u8>), ScenarioError> {
    let cdb = Inquiry {
        allocation_length: 255,
        ..Default::default()
    }
    .encode();
    let reply = s.read(ctx, &cdb, 255)?;
    match params::StandardInquiry::decode(&reply.data) {
        Ok(d) if reply.good() => Ok((d.value, reply.data)),
        _ => Err(setup("standard INQUIRY", &reply)),
    }
}

/// Room for any VPD page a block device returns in one answer, and well
/// under the 64 KiB transfers some targets never answer.
const VPD_ALLOCATION: u16 = 4096;

/// The raw answer to INQUIRY with EVPD for `page`.
pub fn vpd_reply(ctx: &mut Context, s: &mut Scsi, page: u8) -> Result<Reply, ScenarioError> {
    let cdb = Inquiry {
        evpd: true,
        page_code: page,
        allocation_length: VPD_ALLOCATION,
        ..Default::default()
    }
    .encode();
    s.read(ctx, &cdb, u32::from(VPD_ALLOCATION))
}

/// The VPD pages the LUN lists in page 00h (empty when it does not answer).
pub fn supported_pages(ctx: &mut Context, s: &mut Scsi) -> Result<Vec<u8>, ScenarioError> {
    let reply = vpd_reply(ctx, s, 0)?;
    Ok(match Vpd::decode(&reply.data) {
        Ok(d) if reply.good() => match d.value.page {
            VpdPage::Supported(list) => list,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    })
}

/// Page `page` decoded, when page 00h lists it.
pub fn vpd_page(
    ctx: &mut Context,
    s: &mut Scsi,
    page: u8,
) -> Result<Option<VpdPage>, ScenarioError> {
    if !supported_pages(ctx, s)?.contains(&page) {
        return Ok(None);
    }
    let reply = vpd_reply(ctx, s, page)?;
    match Vpd::decode(&reply.data) {
        Ok(d) if reply.good() => Ok(Some(d.value.page)),
        _ => Err(setup(
            &format!("VPD page {page:02X}h, which page 00h lists"),
            &reply,
        )),
    }
}

pub fn block_limits(ctx: &mut Context, s: &mut Scsi) -> Result<Option<BlockLimits>, ScenarioError> {
    Ok(match vpd_page(ctx, s, 0xb0)? {
        Some(VpdPage::BlockLimits(b)) => Some(b),
        _ => None,
    })
}

pub fn provisioning(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Option<LogicalBlockProvisioning>, ScenarioError> {
    Ok(match vpd_page(ctx, s, 0xb2)? {
        Some(VpdPage::LogicalBlockProvisioning(p)) => Some(p),
        _ => None,
    })
}

/// A recognisable pattern for `blocks` blocks: every block differs, and so
/// does every run of the same scenario with another `seed`.
pub fn pattern(blocks: u32, block_len: u32, seed: u8) -> Vec<u8> {
    let n = blocks as usize * block_len as usize;
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31) ^ ((i / block_len.max(1) as usize) as u8) ^ seed)
        .collect()
}

pub fn read16(lba: u64, blocks: u32) -> [u8; 16] {
    Read16 {
        lba,
        transfer_length: blocks,
        ..Default::default()
    }
    .encode()
}

pub fn write16(lba: u64, blocks: u32) -> [u8; 16] {
    Write16 {
        lba,
        transfer_length: blocks,
        ..Default::default()
    }
    .encode()
}

/// Reads `blocks` blocks at `lba`.
pub fn read_blocks(
    ctx: &mut Context,
    s: &mut Scsi,
    cap: Capacity,
    lba: u64,
    blocks: u32,
) -> Result<Vec<u8>, ScenarioError> {
    let reply = s.read(ctx, &read16(lba, blocks), cap.bytes(blocks.into()))?;
    if !reply.good() || reply.data.len() != cap.bytes(blocks.into()) as usize {
        return Err(setup(
            &format!("READ (16) of {blocks} blocks at LBA {lba}"),
            &reply,
        ));
    }
    Ok(reply.data)
}

/// The first `blocks` scratch blocks, read before a scenario writes them.
#[derive(Debug)]
pub struct Scratch {
    pub lba: u64,
    pub blocks: u32,
    pub cap: Capacity,
    pub saved: Vec<u8>,
}

/// Saves the first `blocks` blocks of the scratch range, or says why the
/// scenario cannot run (a skip: the suite was given too small a range).
pub fn scratch(
    ctx: &mut Context,
    s: &mut Scsi,
    blocks: u32,
) -> Result<Result<Scratch, Outcome>, ScenarioError> {
    let lba = match crate::harness::scratch::claim(ctx, blocks)? {
        Ok(lba) => lba,
        Err(given) => {
            return Ok(Err(Outcome::skip(format!(
                "needs {blocks} scratch blocks, the suite was given {given}"
            ))))
        }
    };
    let cap = capacity(ctx, s)?;
    if lba.saturating_add(u64::from(blocks)) > cap.blocks() {
        return Err(ScenarioError::Setup(format!(
            "the scratch range {lba}+{blocks} runs past the last LBA {}",
            cap.last_lba
        )));
    }
    let saved = read_blocks(ctx, s, cap, lba, blocks)?;
    Ok(Ok(Scratch {
        lba,
        blocks,
        cap,
        saved,
    }))
}

impl Scratch {
    /// Writes the saved blocks back and checks them; a failure to restore
    /// overrides the scenario's outcome.
    pub fn restore(&self, ctx: &mut Context, s: &mut Scsi, outcome: Outcome) -> Verdict {
        let reply = s.write(ctx, &write16(self.lba, self.blocks), self.saved.clone())?;
        if !reply.good() {
            return Ok(Outcome::fail(
                "the scratch range restored with WRITE (16)",
                reply.describe(),
            ));
        }
        let back = read_blocks(ctx, s, self.cap, self.lba, self.blocks)?;
        if back != self.saved {
            return Ok(Outcome::fail(
                "the scratch range to read back as it was before the scenario",
                "different data after the restoring WRITE (16)",
            ));
        }
        Ok(outcome)
    }

    pub fn bytes(&self, blocks: u32) -> usize {
        self.cap.bytes(blocks.into()) as usize
    }
}

/// Opens a session, saves `blocks` scratch blocks, runs `body`, restores the
/// blocks and logs out.
pub fn with_scratch(
    ctx: &mut Context,
    blocks: u32,
    body: impl FnOnce(&mut Context, &mut Scsi, &Scratch) -> Verdict,
) -> Verdict {
    let mut s = Scsi::open(ctx)?;
    let sc = match scratch(ctx, &mut s, blocks)? {
        Ok(sc) => sc,
        Err(outcome) => return Ok(outcome),
    };
    // The blocks are restored whatever the body ended with.
    let result = body(ctx, &mut s, &sc);
    let restored = sc.restore(
        ctx,
        &mut s,
        result.as_ref().cloned().unwrap_or(Outcome::Pass),
    );
    s.close(ctx);
    match result {
        Err(e) => Err(e),
        Ok(_) => restored,
    }
}

/// MODE SENSE (6) of `page` (3Fh for all), 255 bytes asked.
pub fn mode_sense6(
    ctx: &mut Context,
    s: &mut Scsi,
    page: u8,
    pc: PageControl,
    dbd: bool,
) -> Result<Reply, ScenarioError> {
    let cdb = ModeSense6 {
        dbd,
        pc,
        page_code: page,
        allocation_length: 255,
        ..Default::default()
    }
    .encode();
    s.read(ctx, &cdb, 255)
}

/// MODE SENSE (6) of every page, decoded.
pub fn mode_pages(
    ctx: &mut Context,
    s: &mut Scsi,
    pc: PageControl,
) -> Result<ModeParameters, ScenarioError> {
    let reply = mode_sense6(ctx, s, PAGE_ALL, pc, false)?;
    match ModeParameters::decode(&reply.data, HeaderKind::Six) {
        Ok(m) if reply.good() => Ok(m.value),
        _ => Err(setup("MODE SENSE (6) of every page", &reply)),
    }
}

/// The DPOFUA bit of the mode parameter header (SBC-4 §6.5.1): the device
/// server supports DPO and FUA.
pub fn dpofua(ctx: &mut Context, s: &mut Scsi) -> Result<bool, ScenarioError> {
    Ok(mode_pages(ctx, s, PageControl::Current)?.header.dpofua())
}

/// What REPORT SUPPORTED OPERATION CODES says of one command: `Some(true)`
/// supported, `Some(false)` not, `None` when the device does not answer the
/// one-command format (SPC-5 §6.35).
pub fn reported_support(
    ctx: &mut Context,
    s: &mut Scsi,
    opcode: u8,
    service_action: Option<u16>,
) -> Result<Option<bool>, ScenarioError> {
    let cdb = ReportSupportedOperationCodes {
        reporting_options: if service_action.is_some() {
            reporting_options::OPCODE_AND_SERVICE_ACTION
        } else {
            reporting_options::OPCODE
        },
        requested_opcode: opcode,
        requested_service_action: service_action.unwrap_or(0),
        allocation_length: 512,
        ..Default::default()
    }
    .encode();
    let reply = s.read(ctx, &cdb, 512)?;
    if !reply.good() {
        return Ok(None);
    }
    Ok(match params::OneCommand::decode(&reply.data) {
        // SPC-5 §6.35.3, SUPPORT field: 001b not supported, 011b and 101b
        // supported.
        Ok(d) => match d.value.support {
            0b001 => Some(false),
            0b011 | 0b101 => Some(true),
            _ => None,
        },
        Err(_) => None,
    })
}

//! Block and inquiry helpers over [`Session::scsi_command`]: READ (16),
//! WRITE (16), READ CAPACITY, INQUIRY and VPD, REPORT LUNS, TEST UNIT READY.
//! Every CDB and every parameter format comes from `rtgt_proto::scsi`.

use bytes::Bytes;
use rtgt_proto::pdu::{Lun, ScsiResponseCode, ScsiStatus};
use rtgt_proto::scsi::cdb;
use rtgt_proto::scsi::params::{self, StandardInquiry};
use rtgt_proto::scsi::vpd::Vpd;

use super::error::{ClientError, Result};
use super::session::Session;
use crate::core::{Residual, ScsiRequest, ScsiResult};

/// How often a command that met a UNIT ATTENTION is sent again.
const UNIT_ATTENTION_RETRIES: usize = 8;

/// A logical unit's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Number of logical blocks.
    pub blocks: u64,
    /// Bytes per logical block.
    pub block_length: u32,
}

impl Capacity {
    /// Size in bytes.
    pub fn bytes(&self) -> u64 {
        self.blocks.saturating_mul(u64::from(self.block_length))
    }
}

/// Fails unless the command completed with GOOD status.
pub fn check_good(r: ScsiResult) -> Result<ScsiResult> {
    if r.response != ScsiResponseCode::CommandCompleted {
        return Err(ClientError::TargetFailure(r.response));
    }
    if !matches!(r.status, ScsiStatus::Good | ScsiStatus::ConditionMet) {
        return Err(ClientError::Scsi {
            status: r.status,
            sense: r.sense,
        });
    }
    Ok(r)
}

fn bad(what: &'static str, e: impl std::fmt::Display) -> ClientError {
    ClientError::BadData {
        what,
        reason: e.to_string(),
    }
}

impl Session {
    /// Runs a command until it completes with GOOD status, sending it again
    /// after a UNIT ATTENTION (SAM-5 §5.14: the command was not run; the
    /// condition is cleared by reporting it).
    pub async fn command_good(&self, req: ScsiRequest) -> Result<ScsiResult> {
        let mut tries = 0;
        loop {
            match self.scsi_command(req.clone()).await.and_then(check_good) {
                Err(e) if e.is_unit_attention() && tries < UNIT_ATTENTION_RETRIES => {
                    tracing::debug!(error = %e, "retrying after a unit attention");
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    /// TEST UNIT READY.
    pub async fn test_unit_ready(&self, lun: Lun) -> Result<()> {
        let cdb = cdb::TestUnitReady::default().encode();
        self.command_good(ScsiRequest::none(lun, &cdb)).await?;
        Ok(())
    }

    /// READ CAPACITY (16), or (10) when the device refuses (16). A TEST UNIT
    /// READY goes first so that a pending UNIT ATTENTION is reported on a
    /// command without data (some targets, Debian's tgtd 1.0.85 among them,
    /// answer a data-in command that meets one with Data-In followed by a
    /// SCSI Response whose ExpDataSN does not count it, RFC 7143 §11.4.6).
    pub async fn read_capacity(&self, lun: Lun) -> Result<Capacity> {
        self.test_unit_ready(lun).await?;
        let c16 = cdb::ReadCapacity16 {
            allocation_length: 32,
            ..Default::default()
        };
        let cap = match self
            .command_good(ScsiRequest::read(lun, &c16.encode(), 32))
            .await
        {
            Ok(r) => {
                let p = params::ReadCapacity16::decode(&r.data)
                    .map_err(|e| bad("READ CAPACITY (16) data", e))?;
                Capacity {
                    blocks: p.block_count(),
                    block_length: p.block_length,
                }
            }
            Err(ClientError::Scsi {
                status: ScsiStatus::CheckCondition,
                ..
            }) => {
                let c10 = cdb::ReadCapacity10::default();
                let r = self
                    .command_good(ScsiRequest::read(lun, &c10.encode(), 8))
                    .await?;
                let p = params::ReadCapacity10::decode(&r.data)
                    .map_err(|e| bad("READ CAPACITY (10) data", e))?;
                Capacity {
                    blocks: u64::from(p.returned_lba) + 1,
                    block_length: p.block_length,
                }
            }
            Err(e) => return Err(e),
        };
        if cap.block_length == 0 {
            return Err(bad("READ CAPACITY data", "a block length of 0"));
        }
        if let Ok(mut m) = self.block_lengths.lock() {
            m.insert(lun, cap.block_length);
        }
        Ok(cap)
    }

    /// The block length of `lun`, asked once with READ CAPACITY.
    pub async fn block_length(&self, lun: Lun) -> Result<u32> {
        let known = self
            .block_lengths
            .lock()
            .ok()
            .and_then(|m| m.get(&lun).copied());
        match known {
            Some(b) => Ok(b),
            None => Ok(self.read_capacity(lun).await?.block_length),
        }
    }

    /// The READ (16) request for `blocks` blocks at `lba`.
    pub async fn read_request(&self, lun: Lun, lba: u64, blocks: u32) -> Result<ScsiRequest> {
        let bl = self.block_length(lun).await?;
        let len = blocks.checked_mul(bl).ok_or_else(|| {
            ClientError::Argument(format!(
                "{blocks} blocks of {bl} bytes pass 4 GiB; read less at once"
            ))
        })?;
        let c = cdb::Read16 {
            lba,
            transfer_length: blocks,
            ..Default::default()
        };
        Ok(ScsiRequest::read(lun, &c.encode(), len))
    }

    /// The WRITE (16) request for `data` at `lba` (a whole number of blocks).
    pub async fn write_request(&self, lun: Lun, lba: u64, data: Bytes) -> Result<ScsiRequest> {
        let bl = self.block_length(lun).await?;
        let n = data.len();
        if n % bl as usize != 0 {
            return Err(ClientError::Argument(format!(
                "{n} bytes is not a whole number of {bl}-byte blocks; pad the data"
            )));
        }
        let blocks = u32::try_from(n / bl as usize).map_err(|_| {
            ClientError::Argument(format!("{n} bytes is too much for one WRITE (16)"))
        })?;
        let c = cdb::Write16 {
            lba,
            transfer_length: blocks,
            ..Default::default()
        };
        Ok(ScsiRequest::write(lun, &c.encode(), data))
    }

    /// Reads `blocks` blocks at `lba`.
    pub async fn read(&self, lun: Lun, lba: u64, blocks: u32) -> Result<Bytes> {
        let req = self.read_request(lun, lba, blocks).await?;
        let want = match req.data {
            crate::core::DataDirection::Read(n) => n as usize,
            _ => 0,
        };
        let r = self.command_good(req).await?;
        if r.data.len() != want {
            return Err(bad(
                "READ (16) data",
                format!(
                    "{} bytes instead of {want} ({:?})",
                    r.data.len(),
                    r.residual
                ),
            ));
        }
        Ok(r.data)
    }

    /// Writes `data` (a whole number of blocks) at `lba`.
    pub async fn write(&self, lun: Lun, lba: u64, data: Bytes) -> Result<()> {
        let req = self.write_request(lun, lba, data).await?;
        let r = self.command_good(req).await?;
        if r.residual != Residual::None {
            return Err(bad(
                "WRITE (16) status",
                format!("residual {:?}", r.residual),
            ));
        }
        Ok(())
    }

    /// Standard INQUIRY data.
    pub async fn inquiry(&self, lun: Lun) -> Result<StandardInquiry> {
        let c = cdb::Inquiry {
            allocation_length: 255,
            ..Default::default()
        };
        let r = self
            .command_good(ScsiRequest::read(lun, &c.encode(), 255))
            .await?;
        StandardInquiry::decode(&r.data)
            .map(|d| d.into_value())
            .map_err(|e| bad("standard INQUIRY data", e))
    }

    /// A VPD page (INQUIRY with EVPD).
    pub async fn vpd(&self, lun: Lun, page: u8) -> Result<Vpd> {
        let c = cdb::Inquiry {
            evpd: true,
            page_code: page,
            allocation_length: 4096,
            ..Default::default()
        };
        let r = self
            .command_good(ScsiRequest::read(lun, &c.encode(), 4096))
            .await?;
        Vpd::decode(&r.data)
            .map(|d| d.into_value())
            .map_err(|e| bad("VPD page", e))
    }

    /// REPORT LUNS (all LUNs, SELECT REPORT 00h), sent to LUN 0.
    pub async fn report_luns(&self) -> Result<Vec<params::Lun>> {
        let len = 16 + 8 * 1024;
        let c = cdb::ReportLuns {
            allocation_length: len,
            ..Default::default()
        };
        let r = self
            .command_good(ScsiRequest::read(Lun::ZERO, &c.encode(), len))
            .await?;
        params::ReportLuns::decode(&r.data)
            .map(|d| d.into_value().luns)
            .map_err(|e| bad("REPORT LUNS data", e))
    }
}

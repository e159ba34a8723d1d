//! Residuals (RFC 7143 §11.4.5): the U and O bits and the Residual Count of
//! reads and writes whose Expected Data Transfer Length differs from what
//! the CDB moves, checked through the strict initiator core.

use crate::context::Context;
use crate::driven::Driven;
use crate::harness::blocks::{read10, write10};
use crate::harness::scratch::with_scratch;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use bytes::Bytes;
use rtgt_initiator::{Residual, ScsiRequest, TaskOutcome, ViolationKind};
use rtgt_proto::pdu::ScsiStatus;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.residual.read-underflow",
        clause: "RFC 7143 §11.4.5",
        level: Level::Must,
        requirement: "a one-block read with an expected length of two blocks ends with the U \
                      bit and a residual count of one block",
        needs: Needs::NONE,
        run: read_under,
    },
    Scenario {
        id: "iscsi.residual.read-overflow",
        clause: "RFC 7143 §11.4.5",
        level: Level::Must,
        requirement: "a two-block read with an expected length of one block ends with the O \
                      bit and a residual count of one block, sending no more than expected",
        needs: Needs::NONE,
        run: read_over,
    },
    Scenario {
        id: "iscsi.residual.exact",
        clause: "RFC 7143 §11.4.5",
        level: Level::Must,
        requirement: "a read whose expected length is what it moves sets neither U nor O",
        needs: Needs::NONE,
        run: exact,
    },
    Scenario {
        id: "iscsi.residual.write-underflow",
        clause: "RFC 7143 §11.4.5",
        level: Level::Must,
        requirement: "a one-block write with an expected length of two blocks that ends GOOD \
                      carries the U bit and a residual count of one block",
        needs: Needs::NONE,
        run: write_under,
    },
    Scenario {
        id: "iscsi.residual.write-overflow",
        clause: "RFC 7143 §11.4.5",
        level: Level::Must,
        requirement: "a two-block write with an expected length of one block that ends GOOD \
                      carries the O bit and a residual count of one block",
        needs: Needs::NONE,
        run: write_over,
    },
    Scenario {
        id: "iscsi.residual.write-verify-underflow",
        clause: "RFC 7143 §11.4.5, SBC-4 WRITE AND VERIFY (10)",
        level: Level::Must,
        requirement: "a one-block WRITE AND VERIFY (10) with an expected length of two blocks \
                      that ends GOOD carries the U bit and a residual count of one block",
        needs: Needs::NONE,
        run: write_verify_under,
    },
    Scenario {
        id: "iscsi.residual.write-verify-overflow",
        clause: "RFC 7143 §11.4.5, SBC-4 WRITE AND VERIFY (10)",
        level: Level::Must,
        requirement: "a two-block WRITE AND VERIFY (10) with an expected length of one block \
                      that ends GOOD carries the O bit and a residual count of one block",
        needs: Needs::NONE,
        run: write_verify_over,
    },
];

/// A logged-in core session and the block size, past unit attentions.
fn session(ctx: &mut Context) -> Result<(Driven, u32), ScenarioError> {
    // MD5 alone: the algorithm every target runs (the scenario is not about CHAP).
    let mut config = Driven::normal_config(ctx);
    if let rtgt_initiator::Auth::Chap(chap) = &mut config.auth {
        chap.algorithms = vec![rtgt_proto::chap::ChapAlgorithm::Md5];
    }
    let mut d = Driven::connect(ctx, config)?;
    if let crate::driven::LoginResult::Failed(e) = d.login(ctx)? {
        return Err(ScenarioError::Login(format!("{e:?}")));
    }
    // Deviations outside residuals are other scenarios' business: keep going.
    d.core.set_strictness(rtgt_initiator::Strictness::Lenient);
    let cdb = rtgt_proto::scsi::cdb::ReadCapacity10::default().encode();
    for _ in 0..4 {
        let out = d.command(ctx, ScsiRequest::read(Driven::lun(ctx), &cdb, 8))?;
        if let TaskOutcome::Completed(r) = out {
            if r.status == ScsiStatus::Good {
                let cap = rtgt_proto::scsi::params::ReadCapacity10::decode(&r.data)
                    .map_err(|e| ScenarioError::Setup(e.to_string()))?;
                return Ok((d, cap.block_length.max(1)));
            }
        }
    }
    Err(ScenarioError::Setup(
        "READ CAPACITY (10) did not succeed".into(),
    ))
}

/// Runs `req` and judges its residual with `want`.
fn judge(
    ctx: &mut Context,
    mut d: Driven,
    req: ScsiRequest,
    want: Residual,
    good_only: bool,
) -> Verdict {
    let out = d.command(ctx, req)?;
    let relevant = d
        .violations
        .iter()
        .find(|v| matches!(v.kind, ViolationKind::Residual | ViolationKind::DataOverrun));
    if let Some(v) = relevant {
        return Ok(Outcome::fail("consistent residual fields", v.to_string()));
    }
    let TaskOutcome::Completed(r) = out else {
        return Ok(Outcome::fail("a completed command", format!("{out:?}")));
    };
    let _ = d.core.logout(
        std::time::Instant::now(),
        rtgt_proto::pdu::LogoutReason::CloseSession,
    );
    let _ = d.wait_for(ctx, "the logout", |e| {
        matches!(e, rtgt_initiator::Event::Closed(_))
    });
    if good_only && r.status != ScsiStatus::Good {
        // The requirement is about a write that ends GOOD; a target may
        // refuse the mismatched length instead, which checks nothing here.
        return Ok(Outcome::not_applicable(format!(
            "the write ended {:?}, not GOOD",
            r.status
        )));
    }
    Ok(Outcome::check(
        r.residual == want,
        format!("{want:?}"),
        format!("{:?} with {:?}", r.residual, r.status),
    ))
}

fn read_under(ctx: &mut Context) -> Verdict {
    let (d, bs) = session(ctx)?;
    let req = ScsiRequest::read(Driven::lun(ctx), &read10(ctx.target.scratch_lba, 1), 2 * bs);
    judge(ctx, d, req, Residual::Underflow(bs), false)
}

fn read_over(ctx: &mut Context) -> Verdict {
    let (d, bs) = session(ctx)?;
    let req = ScsiRequest::read(Driven::lun(ctx), &read10(ctx.target.scratch_lba, 2), bs);
    judge(ctx, d, req, Residual::Overflow(bs), false)
}

fn exact(ctx: &mut Context) -> Verdict {
    let (d, bs) = session(ctx)?;
    let req = ScsiRequest::read(Driven::lun(ctx), &read10(ctx.target.scratch_lba, 1), bs);
    judge(ctx, d, req, Residual::None, false)
}

/// A write of `cdb_blocks` blocks (the CDB `cdb` builds) carrying
/// `data_blocks` blocks of Data-Out, judged against `want` (given the block
/// size).
fn mismatched_write(
    ctx: &mut Context,
    cdb: fn(u64, u16) -> Vec<u8>,
    (cdb_blocks, data_blocks): (u16, usize),
    want: fn(u32) -> Residual,
) -> Verdict {
    with_scratch(ctx, 2, |ctx, lba, _| {
        let (d, bs) = session(ctx)?;
        let data = Bytes::from(vec![0x33u8; data_blocks * bs as usize]);
        let req = ScsiRequest::write(Driven::lun(ctx), &cdb(lba, cdb_blocks), data);
        judge(ctx, d, req, want(bs), true)
    })
}

fn write_under(ctx: &mut Context) -> Verdict {
    mismatched_write(ctx, write10, (1, 2), Residual::Underflow)
}

fn write_over(ctx: &mut Context) -> Verdict {
    mismatched_write(ctx, write10, (2, 1), Residual::Overflow)
}

fn write_verify10(lba: u64, blocks: u16) -> Vec<u8> {
    rtgt_proto::scsi::cdb::WriteAndVerify10 {
        lba,
        length: blocks.into(),
        // BYTCHK 01b: the blocks written are compared with the Data-Out.
        bytchk: 1,
        ..Default::default()
    }
    .encode()
    .to_vec()
}

fn write_verify_under(ctx: &mut Context) -> Verdict {
    mismatched_write(ctx, write_verify10, (1, 2), Residual::Underflow)
}

fn write_verify_over(ctx: &mut Context) -> Verdict {
    mismatched_write(ctx, write_verify10, (2, 1), Residual::Overflow)
}

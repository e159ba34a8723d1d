//! The suite's scratch range: the blocks a scenario may write, claimed for
//! a scenario that runs alone ([`crate::runner::claim_lun`]), saved before
//! it writes them and restored after.

use super::blocks::{block_size, read, write};
use super::session::RawSession;
use crate::context::Context;
use crate::scenario::{ScenarioError, Verdict};

/// Claims the scratch range for the running scenario: its first LBA, or
/// the number of blocks the suite was given when that is fewer than
/// `blocks` (the caller says what that makes of the scenario).
pub(crate) fn claim(ctx: &Context, blocks: u32) -> Result<Result<u64, u32>, ScenarioError> {
    crate::runner::claim_lun("the scratch range")?;
    if ctx.target.scratch_blocks < blocks {
        return Ok(Err(ctx.target.scratch_blocks));
    }
    Ok(Ok(ctx.target.scratch_lba))
}

/// Claims `blocks` scratch blocks; too few is an error of the set-up.
pub(crate) fn scratch(ctx: &Context, blocks: u32) -> Result<u64, ScenarioError> {
    claim(ctx, blocks)?.map_err(|given| {
        ScenarioError::Setup(format!(
            "needs {blocks} scratch blocks, the suite allows {given}"
        ))
    })
}

/// Runs `body` with `blocks` scratch blocks saved first (over a session of
/// its own) and written back after, whatever `body` did to its sessions.
pub(crate) fn with_scratch(
    ctx: &mut Context,
    blocks: u16,
    body: impl FnOnce(&mut Context, u64, u32) -> Verdict,
) -> Verdict {
    let lba = scratch(ctx, u32::from(blocks))?;
    let mut s = RawSession::open(ctx, &[])?;
    let bs = block_size(ctx, &mut s)?;
    let saved = read(ctx, &mut s, lba, blocks, bs)?;
    s.logout(ctx);
    let verdict = body(ctx, lba, bs);
    let mut s = RawSession::open(ctx, &[])?;
    write(ctx, &mut s, lba, &saved, bs)?;
    s.logout(ctx);
    verdict
}

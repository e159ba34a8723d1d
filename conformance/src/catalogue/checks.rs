//! Checks that scenarios of several areas share.

use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Outcome, Verdict};

/// The session still answers a ping (RFC 7143 §11.18: a NOP-Out with a
/// valid ITT gets its NOP-In), then logs out; `expected` says when.
pub(crate) fn still_answers(ctx: &mut Context, mut s: RawSession, expected: &str) -> Verdict {
    let alive = s.ping(ctx)?;
    s.logout(ctx);
    Ok(Outcome::check(alive, expected, "no answer"))
}

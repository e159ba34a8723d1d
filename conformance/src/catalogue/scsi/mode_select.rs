//! MODE SELECT (6) (SPC-5 §6.11): current values sent back, a changeable
//! field changed and restored, a field that is not changeable refused.

use super::mode::raw_pages;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{ModeSelect6, PageControl};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.modeselect6.current-values",
        clause: "SPC-5 §6.11 MODE SELECT (6)",
        level: Level::Must,
        requirement: "MODE SELECT (6) sending a page's current values unchanged is GOOD",
        needs: Needs::NONE,
        run: current_values,
    },
    Scenario {
        id: "scsi.modeselect6.changeable-field",
        clause: "SPC-5 §6.11 MODE SELECT (6), §7.5",
        level: Level::Must,
        requirement: "a field the changeable values mark (WCE, RCD or D_SENSE) changed with MODE \
                      SELECT (6) reads back changed from MODE SENSE; it is then restored",
        needs: Needs::NONE,
        run: changeable_field,
    },
    Scenario {
        id: "scsi.modeselect6.unchangeable-field",
        clause: "SPC-5 §6.11 MODE SELECT (6), §7.5",
        level: Level::Must,
        requirement: "a field the changeable values do not mark, sent different from its current \
                      value, is ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST",
        needs: Needs::NONE,
        run: unchangeable_field,
    },
];

/// A page's current bytes and its changeable mask.
type PagePair = (Vec<u8>, Vec<u8>);

/// Current and changeable raw bytes of the Caching (08h) and Control (0Ah)
/// pages the device has.
fn pages(ctx: &mut Context, s: &mut Scsi) -> Result<Vec<PagePair>, ScenarioError> {
    let current = raw_pages(&mode_pages(ctx, s, PageControl::Current)?);
    let changeable = raw_pages(&mode_pages(ctx, s, PageControl::Changeable)?);
    Ok(current
        .into_iter()
        .zip(changeable)
        .filter(|(c, _)| matches!(c.first().map(|b| b & 0x7f), Some(0x08 | 0x0a)))
        .collect())
}

/// MODE SELECT (6), PF set, of one page (PS cleared: reserved there).
fn select(ctx: &mut Context, s: &mut Scsi, page: &[u8]) -> Result<Reply, ScenarioError> {
    let mut list = vec![0u8, 0, 0, 0];
    list.extend_from_slice(page);
    if let Some(b) = list.get_mut(4) {
        *b &= 0x7f;
    }
    let cdb = ModeSelect6 {
        pf: true,
        parameter_list_length: list.len() as u8,
        ..Default::default()
    }
    .encode();
    s.write(ctx, &cdb, list)
}

const NO_SELECT: &str = "the device does not implement MODE SELECT (6)";

/// MODE SELECT (6) of `page` with the bits `mask` of byte `byte` flipped:
/// the page sent and the reply, or not applicable when the device does not
/// implement MODE SELECT (6).
fn select_flipped(
    ctx: &mut Context,
    s: &mut Scsi,
    page: &[u8],
    (byte, mask): (usize, u8),
) -> Result<Result<(Vec<u8>, Reply), Outcome>, ScenarioError> {
    let mut flipped = page.to_vec();
    flipped[byte] ^= mask;
    let r = select(ctx, s, &flipped)?;
    if unsupported(&r) {
        return Ok(Err(Outcome::not_applicable(NO_SELECT)));
    }
    Ok(Ok((flipped, r)))
}

fn current_values(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some((page, _)) = pages(ctx, s)?.into_iter().next() else {
            return Ok(Outcome::not_applicable("no Caching or Control page"));
        };
        let r = select(ctx, s, &page)?;
        if unsupported(&r) {
            return Ok(Outcome::not_applicable(NO_SELECT));
        }
        Ok(expect_good(&r))
    })
}

/// (page code, byte, mask) of the fields this suite may flip and restore.
const FLIPPABLE: [(u8, usize, u8); 3] = [(0x08, 2, 0x04), (0x08, 2, 0x01), (0x0a, 2, 0x04)];

fn changeable_field(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let found = pages(ctx, s)?.into_iter().find_map(|(cur, chg)| {
            FLIPPABLE.iter().find_map(|&(code, byte, mask)| {
                (cur.first().map(|b| b & 0x3f) == Some(code)
                    && chg.get(byte).is_some_and(|b| b & mask != 0))
                .then(|| (cur.clone(), byte, mask))
            })
        });
        let Some((page, byte, mask)) = found else {
            return Ok(Outcome::not_applicable(
                "WCE, RCD and D_SENSE are not changeable",
            ));
        };
        let (flipped, r) = match select_flipped(ctx, s, &page, (byte, mask))? {
            Ok(sent) => sent,
            Err(na) => return Ok(na),
        };
        if !r.good() {
            return Ok(expect_good(&r));
        }
        let code = page[0] & 0x3f;
        let now = pages(ctx, s)?
            .into_iter()
            .find(|(c, _)| c.first().map(|b| b & 0x3f) == Some(code))
            .map(|(c, _)| c);
        let restored = select(ctx, s, &page)?;
        if !restored.good() {
            return Ok(Outcome::fail("the page restored", restored.describe()));
        }
        let got = now.as_ref().and_then(|c| c.get(byte)).map(|b| b & mask);
        Ok(Outcome::check(
            got == Some(flipped[byte] & mask),
            format!("page {code:02X}h byte {byte} bits {mask:02X}h changed"),
            format!(
                "byte {byte} of the page read back: {:02x?}",
                now.and_then(|c| c.get(byte).copied())
            ),
        ))
    })
}

fn unchangeable_field(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        // The first bit of a page body (after the two header bytes) that
        // the changeable values do not mark.
        let found = pages(ctx, s)?.into_iter().find_map(|(cur, chg)| {
            (2..cur.len()).find_map(|i| {
                let fixed = !chg.get(i).copied().unwrap_or(0xff);
                (fixed != 0).then(|| (cur.clone(), i, 1u8 << (7 - fixed.leading_zeros())))
            })
        });
        let Some((page, byte, bit)) = found else {
            return Ok(Outcome::not_applicable(
                "every bit of the pages is changeable",
            ));
        };
        let r = match select_flipped(ctx, s, &page, (byte, bit))? {
            Ok((_, r)) => r,
            Err(na) => return Ok(na),
        };
        if r.good() {
            // Put the page back before reporting.
            let _ = select(ctx, s, &page)?;
        }
        Ok(expect_illegal(&r, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST))
    })
}

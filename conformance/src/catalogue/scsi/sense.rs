//! REQUEST SENSE (SPC-5 §6.39) and the sense data itself (SPC-5 §4.4): its
//! format, its lengths, and the format the Control mode page asks for.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{PageControl, RequestSense};
use rtgt_proto::scsi::mode::Page;
use rtgt_proto::scsi::sense::{Sense, SenseFormat};

/// An operation code no disk serves (an obsolete MMC command).
const UNKNOWN_OPCODE: [u8; 10] = [0x59, 0, 0, 0, 0, 0, 0, 0, 0, 0];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.requestsense.no-sense-fixed",
        clause: "SPC-5 §6.39 REQUEST SENSE",
        level: Level::Must,
        requirement: "with nothing to report, REQUEST SENSE with DESC zero returns fixed format \
                      sense (70h) with NO SENSE and 00h/00h",
        needs: Needs::NONE,
        run: no_sense_fixed,
    },
    Scenario {
        id: "scsi.requestsense.no-sense-descriptor",
        clause: "SPC-5 §6.39 REQUEST SENSE",
        // SPC-5 (as Seagate's SCSI Commands Reference, Rev. J, §3.37 gives
        // it): "If DESC is set to one and descriptor format sense data is
        // supported, descriptor format sense data shall be returned". The
        // answer of a device without descriptor format is not in the text
        // read: a MAY.
        level: Level::May,
        requirement: "REQUEST SENSE with DESC one returns descriptor format sense (72h) with NO \
                      SENSE and 00h/00h, or, without descriptor format support, INVALID FIELD IN \
                      CDB (the text read gives only the answer of a device that supports \
                      descriptor format)",
        needs: Needs::NONE,
        run: no_sense_descriptor,
    },
    Scenario {
        id: "scsi.sense.well-formed",
        clause: "SPC-5 §4.4.1, §4.4.2, §4.4.3",
        level: Level::Must,
        requirement: "sense data carries response code 70h or 72h and an ADDITIONAL SENSE LENGTH \
                      that accounts for exactly the bytes sent (at least 10 in fixed format)",
        needs: Needs::NONE,
        run: sense_well_formed,
    },
    Scenario {
        id: "scsi.sense.format-follows-d-sense",
        clause: "SPC-5 §4.4.1, §7.5.8",
        level: Level::Must,
        requirement: "sense data comes in the format the Control mode page's D_SENSE asks for: \
                      fixed (70h) when zero, descriptor (72h) when one",
        needs: Needs::NONE,
        run: format_follows_d_sense,
    },
];

pub(super) fn request_sense(
    ctx: &mut Context,
    s: &mut Scsi,
    desc: bool,
) -> Result<Reply, ScenarioError> {
    let cdb = RequestSense {
        desc,
        allocation_length: 252,
        ..Default::default()
    };
    s.read(ctx, &cdb.encode(), 252)
}

fn no_sense(r: &Reply, code: u8) -> Outcome {
    let decoded = Sense::decode(&r.data).ok().map(|d| d.value);
    let ok = r.good()
        && r.data.first().map(|b| b & 0x7f) == Some(code)
        && decoded
            .as_ref()
            .is_some_and(|s| s.key == SenseKey::NO_SENSE && s.asc == AscAscq::NO_ADDITIONAL_SENSE);
    Outcome::check(
        ok,
        format!("GOOD, sense data {code:02X}h, NO SENSE, 00h/00h"),
        format!("{}: {:02x?}", r.describe(), r.data),
    )
}

fn no_sense_fixed(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        Ok(no_sense(&request_sense(ctx, s, false)?, 0x70))
    })
}

fn no_sense_descriptor(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = request_sense(ctx, s, true)?;
        if r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB) {
            return Ok(Outcome::Pass);
        }
        Ok(no_sense(&r, 0x72))
    })
}

/// Whether sense bytes hold exactly what their length field says.
fn sense_consistent(bytes: &[u8]) -> bool {
    let Some(&len) = bytes.get(7) else {
        return false;
    };
    let code = bytes.first().map_or(0, |b| b & 0x7f);
    let whole = bytes.len() == 8 + usize::from(len);
    match code {
        0x70 => whole && len >= 10,
        0x72 => {
            // The descriptors fill the additional bytes exactly.
            let mut at = 8;
            while at + 2 <= bytes.len() {
                at += 2 + usize::from(bytes[at + 1]);
            }
            whole && at == bytes.len()
        }
        _ => false,
    }
}

fn sense_well_formed(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &UNKNOWN_OPCODE)?;
        Ok(Outcome::check(
            sense_consistent(&r.sense_bytes),
            "sense data 70h/72h whose ADDITIONAL SENSE LENGTH covers exactly the bytes sent",
            format!("{:02x?}", r.sense_bytes),
        ))
    })
}

fn format_follows_d_sense(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let pages = mode_pages(ctx, s, PageControl::Current)?;
        let Some(d_sense) = pages.pages.iter().find_map(|p| match &p.page {
            Page::Control(c) => Some(c.d_sense()),
            _ => None,
        }) else {
            return Ok(Outcome::not_applicable("no Control mode page"));
        };
        let r = s.none(ctx, &UNKNOWN_OPCODE)?;
        let want = if d_sense {
            SenseFormat::Descriptor
        } else {
            SenseFormat::Fixed
        };
        let got = r.sense.as_ref().map(|s| s.format);
        Ok(Outcome::check(
            got == Some(want),
            format!("{want:?} format sense (D_SENSE {})", u8::from(d_sense)),
            format!("{got:?}: {:02x?}", r.sense_bytes),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::sense_consistent;

    #[test]
    fn sense_lengths() {
        let mut fixed = vec![0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0];
        assert!(sense_consistent(&fixed));
        fixed.push(0);
        assert!(!sense_consistent(&fixed));
        let desc = [0x72, 5, 0x24, 0, 0, 0, 0, 8, 2, 6, 0, 0, 0xc0, 0, 2, 0];
        assert!(sense_consistent(&desc));
        assert!(!sense_consistent(&desc[..12]));
        assert!(!sense_consistent(&[0x71]));
    }
}

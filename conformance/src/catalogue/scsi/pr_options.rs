//! The options of a persistent reservation registration (SPC-5 §6.17.3,
//! the PERSISTENT RESERVE OUT parameter list: ALL_TG_PT, SPEC_I_PT with
//! iSCSI TransportIDs, SPC-5 §7.6.4.6, and APTPL) judged against what
//! REPORT CAPABILITIES (SPC-5 §6.16.4) says of each: ATP_C, SIP_C, PTPL_C
//! and the PERSISTENT RESERVATION TYPE MASK. A device that says it does not
//! support an option must refuse it (APTPL with INVALID FIELD IN PARAMETER
//! LIST, as Seagate's Fibre Channel Interface Manual carries SPC's rule;
//! ALL_TG_PT and SPEC_I_PT with that or INVALID FIELD IN CDB, the text
//! naming one was not read; a reservation type with INVALID FIELD IN CDB);
//! one that says it does must honour it.
//!
//! The SPC-5 text was not at hand: the requirement sentences paraphrase the
//! clauses cited. Whether a reservation made with APTPL survives a power
//! loss needs the target restarted, which the suite cannot do: not covered.
//! Every scenario removes what it registered, whatever its outcome.

use super::pr_actions::{listed, pr_in_decoded, with_two, TWO, WE};
use super::pr_matrix::{reserve, KEY_2};
use super::reservations::{out, pr_in, unregister, with_pr, KEY};
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{pr_type, PersistentReserveOut, PrInAction, PrOutAction};
use rtgt_proto::scsi::params::{PrOutBasic, ReadFullStatus, ReportCapabilities, TransportId};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.pr.caps.all-tg-pt",
        "SPC-5 §6.16.4 (ATP_C), §6.17.3 (ALL_TG_PT)",
        Level::Must,
        "with ATP_C zero a REGISTER with ALL_TG_PT one is ILLEGAL REQUEST, INVALID FIELD IN \
         PARAMETER LIST or INVALID FIELD IN CDB (which one was not read in the text); with \
         ATP_C one it is GOOD and READ FULL STATUS (where implemented) shows the \
         registration with ALL_TG_PT set",
        all_tg_pt,
    ),
    Scenario::new(
        "scsi.pr.caps.spec-i-pt",
        "SPC-5 §6.16.4 (SIP_C), §6.17.3 (SPEC_I_PT), §7.6.4.6 (iSCSI TransportID)",
        Level::Must,
        "with SIP_C zero a REGISTER with SPEC_I_PT one is ILLEGAL REQUEST, INVALID FIELD IN \
         PARAMETER LIST or INVALID FIELD IN CDB; with SIP_C one a REGISTER naming the second \
         initiator's port in an iSCSI TransportID (format 01b: its name and its session's \
         ISID) registers both initiators with the key: the second may RESERVE with it",
        spec_i_pt,
    )
    .needing(TWO),
    Scenario::new(
        "scsi.pr.spec-i-pt-other-action",
        "SPC-5 §6.17.3 (SPEC_I_PT)",
        Level::Must,
        "SPEC_I_PT one with a service action other than REGISTER (REGISTER AND IGNORE EXISTING \
         KEY) is ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (or INVALID FIELD IN CDB: \
         the text was not read) and registers nothing",
        spec_i_pt_other_action,
    ),
    Scenario::new(
        "scsi.pr.spec-i-pt-registered-nexus",
        "SPC-5 §5.14.7.3, §6.17.3 (SPEC_I_PT)",
        Level::Must,
        "a REGISTER with SPEC_I_PT one from an I_T nexus already registered is ILLEGAL \
         REQUEST, INVALID FIELD IN PARAMETER LIST (or INVALID FIELD IN CDB: the text was not \
         read) and leaves its key as it was",
        spec_i_pt_registered,
    ),
    Scenario::new(
        "scsi.pr.caps.aptpl",
        "SPC-5 §6.16.4 (PTPL_C, PTPL_A), §6.17.3 (APTPL), §5.14.5",
        Level::Must,
        "with PTPL_C zero, REGISTER with APTPL one is ILLEGAL REQUEST, INVALID FIELD IN \
         PARAMETER LIST; with PTPL_C one, it is GOOD, REPORT CAPABILITIES then shows PTPL_A \
         one, and after a REGISTER of the same key with APTPL zero PTPL_A is zero again \
         (whether the registration survives a power loss is not covered: the suite cannot \
         restart the target)",
        aptpl,
    ),
    Scenario::new(
        "scsi.pr.caps.type-mask",
        "SPC-5 §6.16.4 (TMV, PERSISTENT RESERVATION TYPE MASK), §6.17.2",
        Level::Must,
        "with TMV one, RESERVE accepts each of the six reservation types the type mask lists \
         and refuses each one it leaves out (ILLEGAL REQUEST, INVALID FIELD IN CDB)",
        type_mask,
    ),
];

/// REPORT CAPABILITIES, or the outcome when the device does not implement
/// it (not applicable).
fn capabilities(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Result<ReportCapabilities, Outcome>, ScenarioError> {
    let action = PrInAction::ReportCapabilities;
    pr_in_decoded(ctx, s, action, "REPORT CAPABILITIES", |b| {
        ReportCapabilities::decode(b).ok().map(|d| d.value)
    })
}

/// Whether REPORT CAPABILITIES offers an option, and how a refusal of it
/// is judged where it does not.
type Judged = (fn(&ReportCapabilities) -> bool, fn(&Reply) -> Outcome);

/// REGISTER with `list`, which asks for an option `offered` says whether
/// the device supports: `Ok` with the capabilities once it is registered;
/// `Err` with the outcome when the device does not report its
/// capabilities, does not offer the option (a refusal with INVALID FIELD
/// IN PARAMETER LIST passes) or fails the registration.
fn register_option(
    ctx: &mut Context,
    s: &mut Scsi,
    list: &PrOutBasic,
    (offered, refusal): Judged,
) -> Result<Result<ReportCapabilities, Outcome>, ScenarioError> {
    let caps = match capabilities(ctx, s)? {
        Ok(c) => c,
        Err(outcome) => return Ok(Err(outcome)),
    };
    let r = out_with(ctx, s, PrOutAction::Register, list)?;
    if !offered(&caps) {
        return Ok(Err(refusal(&r)));
    }
    Ok(not_good(&r).map_or(Ok(caps), Err))
}

/// PERSISTENT RESERVE OUT `action` with this parameter list.
fn out_with(
    ctx: &mut Context,
    s: &mut Scsi,
    action: PrOutAction,
    list: &PrOutBasic,
) -> Result<Reply, ScenarioError> {
    let data = list.encode();
    let len = data.len() as u32;
    let cdb = PersistentReserveOut {
        service_action: action,
        parameter_list_length: len,
        ..Default::default()
    };
    s.write(ctx, &cdb.encode(), data)
}

/// In a PR session ([`with_pr`]), REGISTER of [`KEY`] with the option
/// `option` sets, which `offered` tells of ([`register_option`]), then `then`.
fn with_option(
    ctx: &mut Context,
    option: fn(&mut PrOutBasic),
    judged: Judged,
    then: impl FnOnce(&mut Context, &mut Scsi) -> Verdict,
) -> Verdict {
    let mut list = register_list(KEY);
    option(&mut list);
    with_pr(ctx, |ctx, s| {
        match register_option(ctx, s, &list, judged)? {
            Ok(_) => then(ctx, s),
            Err(outcome) => Ok(outcome),
        }
    })
}

fn register_list(sa_key: u64) -> PrOutBasic {
    PrOutBasic {
        service_action_key: sa_key,
        ..Default::default()
    }
}

fn invalid_param_list(r: &Reply) -> Outcome {
    expect_illegal(r, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST)
}

/// ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST or INVALID FIELD IN CDB:
/// which one SPC-5 names for an unsupported ALL_TG_PT or SPEC_I_PT was not
/// read in its text, so either passes.
fn invalid_field(r: &Reply) -> Outcome {
    let in_cdb = AscAscq::INVALID_FIELD_IN_CDB;
    match invalid_param_list(r) {
        Outcome::Pass => Outcome::Pass,
        _ if r.is(rtgt_proto::scsi::asc::SenseKey::ILLEGAL_REQUEST, in_cdb) => Outcome::Pass,
        _ => Outcome::fail(
            "CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (26h/00h) or \
             INVALID FIELD IN CDB (24h/00h)",
            r.describe(),
        ),
    }
}

fn all_tg_pt(ctx: &mut Context) -> Verdict {
    with_option(
        ctx,
        |l| l.all_tg_pt = true,
        (|c| c.atp_c, invalid_field),
        all_tg_pt_shown,
    )
}

/// What the device shows once registered with ALL_TG_PT one.
fn all_tg_pt_shown(ctx: &mut Context, s: &mut Scsi) -> Verdict {
    let full = pr_in(ctx, s, PrInAction::ReadFullStatus)?;
    let Ok(status) = ReadFullStatus::decode(&full.data).map(|d| d.value) else {
        // READ FULL STATUS not implemented: the key is listed at least.
        let listed = listed(ctx, s)?;
        return Ok(Outcome::check(
            listed.contains(&KEY),
            format!("{KEY:#x} registered"),
            format!("keys {listed:x?}"),
        ));
    };
    let mine: Vec<bool> = status
        .descriptors
        .iter()
        .filter(|d| d.key == KEY)
        .map(|d| d.all_tg_pt)
        .collect();
    Ok(Outcome::check(
        !mine.is_empty() && mine.iter().all(|a| *a),
        format!("a READ FULL STATUS descriptor for {KEY:#x} with ALL_TG_PT one"),
        format!("ALL_TG_PT of the descriptors for {KEY:#x}: {mine:?}"),
    ))
}

fn spec_i_pt(ctx: &mut Context) -> Verdict {
    with_two(ctx, |ctx, a, b| {
        let list = PrOutBasic {
            spec_i_pt: true,
            transport_ids: vec![second_port(ctx, b)?],
            ..register_list(KEY)
        };
        let judged: Judged = (|c| c.sip_c, invalid_field);
        if let Err(outcome) = register_option(ctx, a, &list, judged)? {
            return Ok(outcome);
        }
        let after = listed(ctx, a)?;
        // The second initiator holds the key now: its RESERVE with it is
        // that of a registrant.
        let reserved = out(ctx, b, PrOutAction::Reserve, WE, KEY, 0)?;
        let _ = out(ctx, b, PrOutAction::Release, WE, KEY, 0);
        Ok(Outcome::check(
            after.iter().filter(|k| **k == KEY).count() >= 2 && reserved.good(),
            format!("{KEY:#x} listed for both initiators, the second's RESERVE with it GOOD"),
            format!(
                "keys {after:x?}, the second's RESERVE {}",
                reserved.describe()
            ),
        ))
    })
}

/// The second initiator's port as an iSCSI TransportID of format 01b
/// (SPC-5 §7.6.4.6): its name and the ISID of its session.
fn second_port(ctx: &Context, b: &Scsi) -> Result<TransportId, ScenarioError> {
    let name = ctx
        .target
        .initiator_name_2
        .clone()
        .ok_or_else(|| ScenarioError::Setup("no second initiator name".into()))?;
    let isid = b.session.core.session().isid.to_bytes();
    Ok(TransportId::iscsi_port(&name, isid))
}

/// `action` with SPEC_I_PT one naming the suite's own initiator, from a
/// nexus holding `keys`: refused ([`invalid_field`]), the
/// keys listed afterwards still `keys`.
fn spec_i_pt_refused(
    ctx: &mut Context,
    s: &mut Scsi,
    action: PrOutAction,
    keys: &[u64],
) -> Verdict {
    let name = ctx.target.initiator_name.clone();
    let list = PrOutBasic {
        key: keys.first().copied().unwrap_or(0),
        spec_i_pt: true,
        transport_ids: vec![TransportId::Iscsi { name, isid: None }],
        ..register_list(KEY_2)
    };
    let r = out_with(ctx, s, action, &list)?;
    let after = listed(ctx, s)?;
    Ok(match invalid_field(&r) {
        Outcome::Pass => Outcome::check(
            after == keys,
            format!("the keys {keys:x?}, as before"),
            format!("keys {after:x?}"),
        ),
        failed => failed,
    })
}

fn spec_i_pt_other_action(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        spec_i_pt_refused(ctx, s, PrOutAction::RegisterAndIgnoreExistingKey, &[])
    })
}

fn spec_i_pt_registered(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        if let Some(failed) = not_good(&out(ctx, s, PrOutAction::Register, 0, 0, KEY)?) {
            return Ok(failed);
        }
        spec_i_pt_refused(ctx, s, PrOutAction::Register, &[KEY])
    })
}

fn aptpl(ctx: &mut Context) -> Verdict {
    with_option(
        ctx,
        |l| l.aptpl = true,
        (|c| c.ptpl_c, invalid_param_list),
        aptpl_shown,
    )
}

/// What the device shows once registered with APTPL one.
fn aptpl_shown(ctx: &mut Context, s: &mut Scsi) -> Verdict {
    let on = capabilities(ctx, s)?.map(|c| c.ptpl_a);
    // The same key again, APTPL zero: persistence is off again.
    let again = PrOutBasic {
        key: KEY,
        ..register_list(KEY)
    };
    let off_reply = out_with(ctx, s, PrOutAction::Register, &again)?;
    let off = capabilities(ctx, s)?.map(|c| c.ptpl_a);
    Ok(Outcome::check(
        on == Ok(true) && off_reply.good() && off == Ok(false),
        "PTPL_A one after APTPL one, zero after APTPL zero",
        format!(
            "PTPL_A {on:?} after APTPL one; REGISTER with APTPL zero {}, PTPL_A {off:?}",
            off_reply.describe()
        ),
    ))
}

/// The six reservation types and their bits in the type mask as on the
/// wire (SPC-5 §6.16.4).
const TYPES: [(u8, u16); 6] = [
    (pr_type::WRITE_EXCLUSIVE, 0x0200),
    (pr_type::EXCLUSIVE_ACCESS, 0x0800),
    (pr_type::WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0x2000),
    (pr_type::EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, 0x4000),
    (pr_type::WRITE_EXCLUSIVE_ALL_REGISTRANTS, 0x8000),
    (pr_type::EXCLUSIVE_ACCESS_ALL_REGISTRANTS, 0x0001),
];

fn type_mask(ctx: &mut Context) -> Verdict {
    with_pr(ctx, |ctx, s| {
        let caps = match capabilities(ctx, s)? {
            Ok(c) => c,
            Err(outcome) => return Ok(outcome),
        };
        if !caps.tmv {
            return Ok(Outcome::not_applicable(
                "TMV zero: the type mask says nothing",
            ));
        }
        let mut wrong = Vec::new();
        for (ty, bit) in TYPES {
            let listed = caps.type_mask & bit != 0;
            let accepted = reserve(ctx, s, ty)?;
            let _ = out(ctx, s, PrOutAction::Release, ty, KEY, 0);
            unregister(ctx, s);
            let fine = match (&accepted, listed) {
                (Ok(()), true) => true,
                // `reserve` makes INVALID FIELD IN CDB not applicable.
                (Err(Outcome::NotApplicable { .. }), false) => true,
                _ => false,
            };
            if !fine {
                wrong.push(format!(
                    "type {ty:X}h {} and {}",
                    if listed { "listed" } else { "not listed" },
                    match accepted {
                        Ok(()) => "accepted".to_owned(),
                        Err(o) => format!("refused ({o:?})"),
                    }
                ));
            }
        }
        Ok(Outcome::check(
            wrong.is_empty(),
            format!(
                "RESERVE to accept exactly the types of mask {:04X}h",
                caps.type_mask
            ),
            if wrong.is_empty() {
                "as the mask says".to_owned()
            } else {
                wrong.join("; ")
            },
        ))
    })
}

//! Boolean negotiations: InitialR2T and the in-order keys (result function
//! OR), ImmediateData (AND) (RFC 7143 §6.2.2, §13.10, §13.11, §13.18,
//! §13.19).

use super::answer::{expect_one_of, expect_reject, offer};
use crate::context::Context;
use crate::scenario::{Level, Scenario, Verdict};

const Q: u16 = 0x6200;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("iscsi.negotiation.initial-r2t-or-yes", "RFC 7143 §13.10", Level::Must, "InitialR2T is an OR: an offer of Yes decides the result, so any answer is Yes", initial_r2t_yes),
    Scenario::new("iscsi.negotiation.initial-r2t-or-no-answered", "RFC 7143 §6.2.2", Level::Must, "an offer of InitialR2T=No leaves the result to the target, which must answer Yes or No", initial_r2t_no),
    Scenario::new("iscsi.negotiation.immediate-data-and-no", "RFC 7143 §13.11", Level::Must, "ImmediateData is an AND: an offer of No decides the result, so any answer is No", immediate_data_no),
    Scenario::new("iscsi.negotiation.immediate-data-and-yes-answered", "RFC 7143 §6.2.2", Level::Must, "an offer of ImmediateData=Yes leaves the result to the target, which must answer Yes or No", immediate_data_yes),
    Scenario::new("iscsi.negotiation.data-pdu-in-order-or-yes", "RFC 7143 §13.18", Level::Must, "DataPDUInOrder is an OR: an offer of Yes makes any answer Yes", data_pdu_in_order),
    Scenario::new("iscsi.negotiation.data-sequence-in-order-or-yes", "RFC 7143 §13.19", Level::Must, "DataSequenceInOrder is an OR: an offer of Yes makes any answer Yes", data_sequence_in_order),
    Scenario::new("iscsi.negotiation.boolean-not-yes-or-no", "RFC 7143 §6.2.2", Level::Must, "InitialR2T=Maybe (not a Boolean value) is answered Reject, or the login is refused", initial_r2t_maybe),
    Scenario::new("iscsi.negotiation.boolean-numeric", "RFC 7143 §6.2.2", Level::Must, "ImmediateData=1 (a number, not Yes or No) is answered Reject, or the login is refused", immediate_data_numeric),
];

fn initial_r2t_yes(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q, &[("InitialR2T", "Yes")], "InitialR2T")?;
    Ok(expect_one_of(&a, "InitialR2T", &["Yes"], true))
}

fn initial_r2t_no(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 1, &[("InitialR2T", "No")], "InitialR2T")?;
    Ok(expect_one_of(&a, "InitialR2T", &["Yes", "No"], false))
}

fn immediate_data_no(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 2, &[("ImmediateData", "No")], "ImmediateData")?;
    Ok(expect_one_of(&a, "ImmediateData", &["No"], true))
}

fn immediate_data_yes(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 3, &[("ImmediateData", "Yes")], "ImmediateData")?;
    Ok(expect_one_of(&a, "ImmediateData", &["Yes", "No"], false))
}

fn data_pdu_in_order(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 4, &[("DataPDUInOrder", "Yes")], "DataPDUInOrder")?;
    Ok(expect_one_of(&a, "DataPDUInOrder", &["Yes"], true))
}

fn data_sequence_in_order(ctx: &mut Context) -> Verdict {
    let a = offer(
        ctx,
        Q + 5,
        &[("DataSequenceInOrder", "Yes")],
        "DataSequenceInOrder",
    )?;
    Ok(expect_one_of(&a, "DataSequenceInOrder", &["Yes"], true))
}

fn initial_r2t_maybe(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 6, &[("InitialR2T", "Maybe")], "InitialR2T")?;
    Ok(expect_reject(&a, "InitialR2T"))
}

fn immediate_data_numeric(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 7, &[("ImmediateData", "1")], "ImmediateData")?;
    Ok(expect_reject(&a, "ImmediateData"))
}

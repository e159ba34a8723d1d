//! Boolean negotiations: InitialR2T and the in-order keys (result function
//! OR), ImmediateData (AND) (RFC 7143 §6.2.2, §13.10, §13.11, §13.18,
//! §13.19).

use super::answer::{answered_one_of, rejected};
use crate::scenario::{Level, Scenario};

const Q: u16 = 0x6200;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("iscsi.negotiation.initial-r2t-or-yes", "RFC 7143 §13.10", Level::Must, "InitialR2T is an OR: an offer of Yes decides the result, so any answer is Yes", initial_r2t_yes),
    Scenario::new("iscsi.negotiation.initial-r2t-or-no-answered", "RFC 7143 §6.2.2", Level::Must, "an offer of InitialR2T=No leaves the result to the target, which must answer Yes or No", initial_r2t_no),
    Scenario::new("iscsi.negotiation.immediate-data-and-no", "RFC 7143 §13.11", Level::Must, "ImmediateData is an AND: an offer of No decides the result, so any answer is No", immediate_data_no),
    Scenario::new("iscsi.negotiation.immediate-data-and-yes-answered", "RFC 7143 §6.2.2", Level::Must, "an offer of ImmediateData=Yes leaves the result to the target, which must answer Yes or No", immediate_data_yes),
    Scenario::new("iscsi.negotiation.data-pdu-in-order-or-yes", "RFC 7143 §13.18", Level::Must, "DataPDUInOrder is an OR: an offer of Yes makes any answer Yes", data_pdu_in_order),
    Scenario::new("iscsi.negotiation.data-sequence-in-order-or-yes", "RFC 7143 §13.19", Level::Must, "DataSequenceInOrder is an OR: an offer of Yes makes any answer Yes", data_sequence_in_order),
    Scenario::new("iscsi.negotiation.boolean-not-yes-or-no", "RFC 7143 §6.2.2", Level::Must, "InitialR2T=Maybe (not a Boolean value) is answered Reject or with Yes or No (a value the key admits), or the login is refused", initial_r2t_maybe),
    Scenario::new("iscsi.negotiation.boolean-numeric", "RFC 7143 §6.2.2", Level::Must, "ImmediateData=1 (a number, not Yes or No) is answered Reject or with Yes or No (a value the key admits), or the login is refused", immediate_data_numeric),
];

cases! {
    initial_r2t_yes => answered_one_of((Q, "InitialR2T", "Yes"), &["Yes"], true);
    initial_r2t_no => answered_one_of((Q + 1, "InitialR2T", "No"), &["Yes", "No"], false);
    immediate_data_no => answered_one_of((Q + 2, "ImmediateData", "No"), &["No"], true);
    immediate_data_yes => answered_one_of((Q + 3, "ImmediateData", "Yes"), &["Yes", "No"], false);
    data_pdu_in_order => answered_one_of((Q + 4, "DataPDUInOrder", "Yes"), &["Yes"], true);
    data_sequence_in_order => answered_one_of((Q + 5, "DataSequenceInOrder", "Yes"), &["Yes"], true);
    initial_r2t_maybe => rejected(Q + 6, "InitialR2T", "Maybe");
    immediate_data_numeric => rejected(Q + 7, "ImmediateData", "1");
}

//! List negotiations: HeaderDigest, DataDigest, TaskReporting, AuthMethod
//! (RFC 7143 §6.2.1, §12.1, §13.1, §13.23).

use super::answer::{answered_one_of, expect_reject, of, offer, rejected, Answer};
use crate::context::Context;
use crate::harness::login::{RawLogin, Reply};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use crate::wire::{keys_of, value_of};
use rtgt_proto::pdu::LoginStage;

const Q: u16 = 0x6100;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.negotiation.header-digest-answer-from-offer",
        "RFC 7143 §6.2.1",
        Level::Must,
        "HeaderDigest=CRC32C,None is answered with exactly one of the offered values",
        header_digest_from_offer,
    ),
    Scenario::new(
        "iscsi.negotiation.data-digest-answer-from-offer",
        "RFC 7143 §6.2.1",
        Level::Must,
        "DataDigest=CRC32C,None is answered with exactly one of the offered values",
        data_digest_from_offer,
    ),
    Scenario::new(
        "iscsi.negotiation.list-order-respected",
        "RFC 7143 §6.2.1",
        Level::Must,
        "the answer to a list is the first offered value the target supports: offering \
       None,CRC32C never yields CRC32C when CRC32C,None yielded None",
        list_order,
    ),
    Scenario::new(
        "iscsi.negotiation.header-digest-unknown-value",
        "RFC 7143 §6.2.1",
        Level::Must,
        "a HeaderDigest offer with no value the target supports (MD5) is answered Reject",
        header_digest_unknown,
    ),
    Scenario::new(
        "iscsi.negotiation.data-digest-unknown-value",
        "RFC 7143 §6.2.1",
        Level::Must,
        "a DataDigest offer with no value the target supports (Adler32) is answered Reject",
        data_digest_unknown,
    ),
    Scenario::new(
        "iscsi.negotiation.list-skips-unknown-values",
        "RFC 7143 §6.2.1",
        Level::Must,
        "HeaderDigest=MD5,None skips the unknown value: the answer is None (or Reject from a \
       target that insists on CRC32C), never MD5",
        list_skips_unknown,
    ),
    Scenario::new(
        "iscsi.negotiation.task-reporting-answer-from-offer",
        "RFC 7143 §13.23",
        Level::Must,
        "TaskReporting=ResponseFence,RFC3720 is answered with one of the offered values \
       (an RFC 7143 key, so never NotUnderstood)",
        task_reporting,
    ),
    Scenario::new(
        "iscsi.negotiation.auth-method-unknown",
        "RFC 7143 §6.2.1",
        Level::Must,
        "an AuthMethod offer naming only an unknown method is answered AuthMethod=Reject, or \
       the login fails as an initiator error (0x0201 or another class 2 status)",
        auth_method_unknown,
    ),
];

cases! {
    header_digest_from_offer => answered_one_of((Q, "HeaderDigest", "CRC32C,None"), &["CRC32C", "None"], false);
    data_digest_from_offer => answered_one_of((Q + 1, "DataDigest", "CRC32C,None"), &["CRC32C", "None"], false);
}

fn list_order(ctx: &mut Context) -> Verdict {
    let mut header_digest = |q, list| offer(ctx, q, &[("HeaderDigest", list)], "HeaderDigest");
    let crc_first = header_digest(Q + 2, "CRC32C,None")?;
    let none_first = header_digest(Q + 3, "None,CRC32C")?;
    Ok(match (crc_first.value(), none_first.value()) {
        (Some("None"), Some("CRC32C")) => Outcome::fail(
            "None for None,CRC32C (CRC32C,None showed CRC32C unsupported)",
            "CRC32C",
        ),
        (Some(_), Some(_)) => Outcome::Pass,
        _ => Outcome::fail(
            "answers to both offers",
            format!(
                "{}; {}",
                crc_first.describe("HeaderDigest"),
                none_first.describe("HeaderDigest")
            ),
        ),
    })
}

cases! {
    header_digest_unknown => rejected(Q + 4, "HeaderDigest", "MD5");
    data_digest_unknown => rejected(Q + 5, "DataDigest", "Adler32");
    list_skips_unknown => answered_one_of((Q + 6, "HeaderDigest", "MD5,None"), &["None", "Reject"], false);
}

cases! {
    task_reporting => answered_one_of(
        (Q + 7, "TaskReporting", "ResponseFence,RFC3720"),
        &["ResponseFence", "RFC3720"],
        false,
    );
}

fn auth_method_unknown(ctx: &mut Context) -> Verdict {
    let mut login = RawLogin::connect(ctx, Q + 8)?;
    let reply = login.send_first(
        ctx,
        Some("Kerberos9"),
        LoginStage::LoginOperationalNegotiation,
        true,
    )?;
    let answer = match &reply {
        Reply::Response(r) if r.status.raw() == 0 => {
            match value_of(&keys_of(&r.data), "AuthMethod") {
                Some(v) => Answer::Value(v.to_owned()),
                None => Answer::Absent,
            }
        }
        _ => of(&crate::harness::login::Step::Refused(reply), "AuthMethod"),
    };
    Ok(expect_reject(&answer, "AuthMethod"))
}

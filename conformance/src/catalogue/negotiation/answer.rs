//! Offering keys in a login and judging the target's answers (RFC 7143
//! §6.2): shared by the negotiation scenarios.

use crate::context::Context;
use crate::harness::login::{RawLogin, Reply, Step};
use crate::scenario::{Outcome, ScenarioError, Verdict};
use crate::wire::last_value;
use rtgt_proto::text::{self, value, KeyKind, ValueSpec};

/// What the target made of an offer.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The login succeeded and the target answered the key with this value.
    Value(String),
    /// The login succeeded without an answer to the key.
    Absent,
    /// The login did not succeed.
    Refused(Reply),
}

impl Answer {
    /// One of `values`, or the login refused as an initiator error (the
    /// protocol-error reading of an illegal offer, RFC 7143 §6.2).
    pub(crate) fn one_of_or_refused(&self, values: &[&str]) -> bool {
        match self {
            Answer::Value(v) => values.contains(&v.as_str()),
            Answer::Absent => false,
            Answer::Refused(reply) => reply.is_refusal(),
        }
    }

    pub(crate) fn describe(&self, key: &str) -> String {
        match self {
            Answer::Value(v) => format!("{key}={v}"),
            Answer::Absent => format!("no answer to {key}"),
            Answer::Refused(reply) => format!("the login failed: {}", reply.describe()),
        }
    }

    pub(crate) fn value(&self) -> Option<&str> {
        match self {
            Answer::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Logs in offering `keys` in the operational stage; the answer to `key`.
pub(crate) fn offer(
    ctx: &mut Context,
    q: u16,
    keys: &[(&str, &str)],
    key: &str,
) -> Result<Answer, ScenarioError> {
    let (_, step) = RawLogin::full(ctx, q, keys)?;
    Ok(of(&step, key))
}

/// Offers `key=value` alone; pass when the answer is one of `allowed`
/// ([`expect_one_of`]).
pub(crate) fn answered_one_of(
    ctx: &mut Context,
    (q, key, value): (u16, &str, &str),
    allowed: &[&str],
    optional: bool,
) -> Verdict {
    let a = offer(ctx, q, &[(key, value)], key)?;
    Ok(expect_one_of(&a, key, allowed, optional))
}

/// Offers `key=value` alone, a value the key does not admit: pass on
/// `key=Reject`, on a value the key admits or on a refused login
/// ([`expect_reject_or_admissible`]).
pub(crate) fn rejected(ctx: &mut Context, q: u16, key: &str, value: &str) -> Verdict {
    let a = offer(ctx, q, &[(key, value)], key)?;
    Ok(expect_reject_or_admissible(&a, key))
}

/// The answer to `key` in a finished stage.
pub(crate) fn of(step: &Step, key: &str) -> Answer {
    match step {
        Step::Done(pairs) => match last_value(pairs, key) {
            Some(v) => Answer::Value(v.to_owned()),
            None => Answer::Absent,
        },
        Step::Refused(reply) => Answer::Refused(match reply {
            Reply::Response(r) => Reply::Response(r.clone()),
            Reply::Closed => Reply::Closed,
            Reply::Timeout => Reply::Timeout,
            other => Reply::Junk(other.describe()),
        }),
    }
}

/// Pass on `key=Reject` or on a refusal of the login as an initiator error
/// (the protocol-error reading of an illegal offer).
pub(crate) fn expect_reject(answer: &Answer, key: &str) -> Outcome {
    Outcome::check(
        answer.one_of_or_refused(&["Reject"]),
        format!("{key}=Reject, or the login refused as an initiator error"),
        answer.describe(key),
    )
}

/// Pass on `key=Reject`, on a value a simple-value key admits (Yes or No for
/// a Boolean key, a number in its range for a numerical one) or on a
/// refusal of the login as an initiator error. RFC 3720 §5.2.2 (the
/// sentence RFC 7143 §6.2.2 carries on; that wording not read here):
/// "Proposing a value not admissible (e.g., not within the specified
/// bounds) MAY be answered with the constant "Reject" or the acceptor MAY
/// select an admissible value". A list key admits no such choice here.
pub(crate) fn expect_reject_or_admissible(answer: &Answer, key: &str) -> Outcome {
    let spec = text::lookup(key).map(|def| def.spec);
    let admissible = |v: &str| match spec {
        Some(ValueSpec::Bool) => v == "Yes" || v == "No",
        Some(ValueSpec::Number { min, max }) => {
            value::parse_numerical(v).is_ok_and(|n| (min..=max).contains(&n))
        }
        _ => false,
    };
    let which = match spec {
        Some(ValueSpec::Bool) => format!("{key}=Reject, Yes or No"),
        Some(ValueSpec::Number { min, max }) => {
            format!("{key}=Reject or a number from {min} to {max}")
        }
        _ => format!("{key}=Reject"),
    };
    Outcome::check(
        answer.one_of_or_refused(&["Reject"]) || answer.value().is_some_and(admissible),
        format!("{which}, or the login refused as an initiator error"),
        answer.describe(key),
    )
}

/// Pass when the answer to a numerical offer is a legal result: a number in
/// the key's range, not above the offer for a Minimum key and not below it
/// for a Maximum key (RFC 7143 §6.2.2). `also` lists other accepted answers.
pub(crate) fn expect_number(answer: &Answer, key: &str, offered: u64, also: &[&str]) -> Outcome {
    let Some(def) = text::lookup(key) else {
        return Outcome::fail(format!("{key} in the key table"), "unknown key");
    };
    let ValueSpec::Number { min, max } = def.spec else {
        return Outcome::fail(format!("{key} to be numerical"), "another kind");
    };
    let rule = match def.kind {
        KeyKind::Max => "at least",
        _ => "at most",
    };
    let expected = format!("{key}= a number from {min} to {max}, {rule} the offered {offered}");
    let Some(v) = answer.value() else {
        return Outcome::fail(expected, answer.describe(key));
    };
    if also.contains(&v) {
        return Outcome::Pass;
    }
    let ok = value::parse_numerical(v).is_ok_and(|n| {
        (min..=max).contains(&n)
            && match def.kind {
                KeyKind::Max => n >= offered,
                _ => n <= offered,
            }
    });
    Outcome::check(ok, expected, answer.describe(key))
}

/// Pass when the answer is one of `allowed`; `optional` accepts no answer.
pub(crate) fn expect_one_of(
    answer: &Answer,
    key: &str,
    allowed: &[&str],
    optional: bool,
) -> Outcome {
    let ok = match answer {
        Answer::Value(v) => allowed.contains(&v.as_str()),
        Answer::Absent => optional,
        Answer::Refused(_) => false,
    };
    let expected = format!(
        "{key} answered with one of {}{}",
        allowed.join(", "),
        if optional { " (or not answered)" } else { "" }
    );
    Outcome::check(ok, expected, answer.describe(key))
}

/// Whether `v` is a legal value for `key` as the target sends it: a
/// reserved answer constant, or a value of the key's type and range.
pub(crate) fn legal_value(key: &str, v: &str) -> bool {
    if value::Special::parse_answer(v).is_some() || v == "None" {
        return true;
    }
    let Some(def) = text::lookup(key) else {
        return true;
    };
    match def.spec {
        ValueSpec::Text => value::check_text(v).is_ok(),
        ValueSpec::IscsiName => !v.is_empty() && v.len() <= 223,
        ValueSpec::LocalName | ValueSpec::TargetAddress => value::check_simple_len(v).is_ok(),
        ValueSpec::Bool => value::parse_bool(v).is_ok(),
        ValueSpec::Number { min, max } => {
            value::parse_numerical(v).is_ok_and(|n| (min..=max).contains(&n))
        }
        ValueSpec::Binary { min, max } => {
            value::parse_regular_binary(v).is_ok_and(|n| (min..=max).contains(&n))
        }
        ValueSpec::ListOf(items) | ValueSpec::OneOf(items) => {
            value::parse_list(v).is_ok_and(|l| l.iter().all(|i| items.contains(i)))
        }
        ValueSpec::Range { min, max } => {
            value::parse_range(v).is_ok_and(|(a, b)| a >= min && b <= max)
        }
        ValueSpec::LargeBinary { .. } | ValueSpec::NumberList => true,
    }
}

#[cfg(test)]
mod tests {
    use super::{expect_reject_or_admissible, Answer};
    use crate::harness::login::Reply;
    use crate::scenario::Outcome;

    fn judged(key: &str, answer: Answer) -> bool {
        matches!(expect_reject_or_admissible(&answer, key), Outcome::Pass)
    }

    fn value(v: &str) -> Answer {
        Answer::Value(v.to_owned())
    }

    #[test]
    fn a_boolean_key_admits_yes_no_and_reject() {
        for v in ["Yes", "No", "Reject"] {
            assert!(judged("InitialR2T", value(v)), "{v}");
        }
        for v in ["Maybe", "1", "NotUnderstood"] {
            assert!(!judged("InitialR2T", value(v)), "{v}");
        }
        assert!(!judged("InitialR2T", Answer::Absent));
        assert!(!judged("InitialR2T", Answer::Refused(Reply::Timeout)));
    }

    #[test]
    fn a_numerical_key_admits_a_number_in_its_range() {
        assert!(judged("MaxConnections", value("1")));
        assert!(judged("MaxConnections", value("65535")));
        assert!(judged("MaxConnections", value("Reject")));
        assert!(!judged("MaxConnections", value("0")));
        assert!(!judged("MaxConnections", value("65536")));
        assert!(!judged("MaxConnections", value("lots")));
    }

    #[test]
    fn a_list_key_admits_only_reject() {
        assert!(judged("HeaderDigest", value("Reject")));
        assert!(!judged("HeaderDigest", value("None")));
    }
}

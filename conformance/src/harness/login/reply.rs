//! What a Login Request got back, and how a refused login is judged.

use crate::scenario::{Outcome, ScenarioError};
use crate::wire::keys_of;
use rtgt_proto::pdu::{LoginResponse, LoginStatus, LoginStatusClass, Pdu};
use rtgt_proto::text::Pair;
use std::time::Duration;

/// What came back for one Login Request.
#[derive(Debug)]
pub(crate) enum Reply {
    Response(LoginResponse),
    Other(Pdu),
    Closed,
    Timeout,
    Junk(String),
}

impl Reply {
    pub(crate) fn describe(&self) -> String {
        match self {
            Reply::Response(r) => format!(
                "a Login Response with status {:#06x} ({})",
                r.status.raw(),
                r.status.name()
            ),
            Reply::Other(p) => format!("a {} PDU", p.opcode().name()),
            Reply::Closed => "the connection closed".into(),
            Reply::Timeout => "nothing within the timeout".into(),
            Reply::Junk(what) => what.clone(),
        }
    }

    /// A refusal of an initiator error: a Login Response of class 2
    /// (RFC 7143 §11.13.5: "2 Initiator Error (not a format error)"). A bare
    /// close is not one: the target refuses with a status, and "If the
    /// Status-Class is not 0, the initiator and target MUST close the TCP
    /// connection" after it.
    pub(crate) fn is_refusal(&self) -> bool {
        self.is_initiator_error()
    }

    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Reply::Response(r) => Some(r.status.raw()),
            _ => None,
        }
    }

    /// A Login Response of status class 2, an initiator error (RFC 7143
    /// §11.13.5), and nothing else: not a close.
    pub(crate) fn is_initiator_error(&self) -> bool {
        matches!(self, Reply::Response(r) if is_initiator_error(r))
    }
}

/// RFC 7143 §11.13.5: Status-Class 2, an initiator error.
fn is_initiator_error(r: &LoginResponse) -> bool {
    r.status.class() == LoginStatusClass::InitiatorError
}

/// A Login Response with the keys it carried, or the connection closed:
/// what a step of a login expects, anything else being an error of the
/// exchange ([`super::RawLogin::step`]).
#[derive(Debug)]
pub(crate) enum Answer {
    Response(LoginResponse, Vec<Pair>),
    Closed,
}

impl Answer {
    /// The answer in `reply`: a Login Response or a close; silence within
    /// `timeout` or another PDU is an error of the exchange.
    pub(crate) fn of(reply: Reply, timeout: Duration) -> Result<Answer, ScenarioError> {
        let received = match reply {
            Reply::Response(r) => {
                let keys = keys_of(&r.data);
                return Ok(Answer::Response(r, keys));
            }
            Reply::Closed => return Ok(Answer::Closed),
            Reply::Timeout => {
                return Err(ScenarioError::Timeout(timeout, "a Login Response".into()))
            }
            Reply::Other(pdu) => pdu.opcode().name().to_owned(),
            Reply::Junk(what) => what,
        };
        Err(ScenarioError::Setup(format!(
            "waiting for a Login Response, received {received}"
        )))
    }

    /// `"status 0x0201"`, `"the connection closed"`...
    pub(crate) fn describe(&self) -> String {
        match self {
            Answer::Response(r, keys) => format!(
                "status {:#06x}, T={}, NSG={:?}, keys {:?}",
                r.status.raw(),
                r.transit,
                r.nsg,
                keys.iter()
                    .map(|p| format!("{}={}", p.key, p.value))
                    .collect::<Vec<_>>()
            ),
            Answer::Closed => "the connection closed".to_owned(),
        }
    }

    /// A Login Response of class 2 (initiator error) or the connection
    /// closed: the ways a target refuses a login.
    pub(crate) fn refused(&self) -> bool {
        match self {
            Answer::Response(r, _) => is_initiator_error(r),
            Answer::Closed => true,
        }
    }

    /// The raw status, when a response came.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Answer::Response(r, _) => Some(r.status.raw()),
            Answer::Closed => None,
        }
    }
}

/// How a refused login is judged. RFC 7143 §11.13.5: the Status-Class is
/// what an initiator acts on (2: initiator error), the Status-Detail the
/// finer reason. A scenario checks the class at its own level; a sibling
/// `-detail` scenario checks the detail at SHOULD.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// A Login Response of status class 2.
    Class,
    /// A Login Response with this status, named.
    Detail(u16, &'static str),
}

impl Refusal {
    /// A Login Response with `status`, named as RFC 7143 §11.13.5 names it.
    pub(crate) fn detail(status: LoginStatus) -> Refusal {
        Refusal::Detail(status.raw(), status.name())
    }

    fn expected(self) -> String {
        match self {
            Refusal::Class => "a Login Response of status class 2 (initiator error)".into(),
            Refusal::Detail(code, name) => format!("status {code:#06x} ({name})"),
        }
    }

    /// The verdict on how a login ended.
    pub(crate) fn judge(self, step: &Step) -> Outcome {
        let expected = self.expected();
        match (self, step) {
            (Refusal::Class, Step::Refused(reply @ Reply::Response(r))) => {
                Outcome::check(is_initiator_error(r), expected, reply.describe())
            }
            (Refusal::Detail(code, _), Step::Refused(reply @ Reply::Response(r))) => {
                Outcome::check(r.status.raw() == code, expected, reply.describe())
            }
            (_, Step::Refused(reply)) => Outcome::fail(expected, reply.describe()),
            (_, Step::Done(_)) => Outcome::fail(expected, "a successful login"),
        }
    }
}

/// How a stage ended.
#[derive(Debug)]
pub(crate) enum Step {
    /// The stage ended with the transition asked for; the target's keys of
    /// the stage, in order.
    Done(Vec<Pair>),
    /// The target refused (or the exchange broke off) with this reply.
    Refused(Reply),
}

/// Pass when `reply` is a refusal of an initiator error: a Login Response
/// of status class 2 ([`Reply::is_refusal`]).
pub(crate) fn expect_refusal(reply: &Reply, what: &str) -> Outcome {
    Outcome::check(
        reply.is_refusal(),
        format!("{what}: a Login Response with an initiator-error status (class 2)"),
        reply.describe(),
    )
}

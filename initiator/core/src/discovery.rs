//! SendTargets (RFC 7143 §13.3, Appendix C) over Text Requests (§11.10),
//! following both kinds of continuation: the C bit (§11.11.2) and a Target
//! Transfer Tag with F=0 (§11.11.4).

use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{Opcode, TextResponse, TTT_RESERVED};
use rtgt_proto::text::{self, Pair, TextAccumulator};

use super::address::TargetAddress;
use super::event::{Event, TaskHandle, UsageError};
use super::reaction::Reaction;
use super::session::Session;
use super::tasks::{Task, TaskKind};
use super::violation::{ProtocolViolation, ViolationKind};
use super::Initiator;

/// What to ask SendTargets for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendTargets {
    /// `SendTargets=All` (discovery sessions).
    All,
    /// `SendTargets=<iSCSI name>`.
    Target(String),
    /// `SendTargets=` (the session's own target, in a normal session).
    Current,
}

/// One target of a SendTargets answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredTarget {
    /// TargetName.
    pub name: String,
    /// Its TargetAddress values, parsed, in order.
    pub addresses: Vec<TargetAddress>,
}

/// Text exchange state kept in the task.
#[derive(Debug, Clone)]
pub(crate) struct TextTask {
    pub acc: TextAccumulator,
    /// The request's text (sent once) and the TTT of the next request.
    pub first: Option<Bytes>,
    pub ttt: u32,
    pub pairs: Vec<Pair>,
}

impl Initiator {
    /// Asks the target for its targets; the answer comes as
    /// [`Event::Discovery`].
    pub fn send_targets(
        &mut self,
        now: Instant,
        query: SendTargets,
    ) -> Result<TaskHandle, UsageError> {
        self.state.can_start()?;
        let value = match &query {
            SendTargets::All => "All",
            SendTargets::Target(n) => n.as_str(),
            SendTargets::Current => "",
        };
        let data = Bytes::from(text::encode(&[Pair::new("SendTargets", value)]));
        let itt = self.session.tasks.alloc_itt()?;
        let task = TextTask {
            acc: TextAccumulator::default(),
            first: Some(data),
            ttt: TTT_RESERVED,
            pairs: Vec::new(),
        };
        self.session
            .tasks
            .insert(itt, None, TaskKind::Text(Box::new(task)));
        self.session.tasks.wait(itt);
        self.pump(now);
        Ok(TaskHandle(itt))
    }
}

impl Session {
    /// A Text Response (RFC 7143 §11.11): more text asked for, or the
    /// SendTargets answer.
    pub(crate) fn on_text_response(&mut self, r: TextResponse) -> Reaction {
        let mut re = Reaction::default();
        let itt = r.itt;
        let v = |kind, clause, expected: &str, received: String| {
            ProtocolViolation::new(kind, clause, expected, received).on(Opcode::TextResponse, itt)
        };
        if !matches!(self.tasks.kind(itt), Some(TaskKind::Text(_))) {
            // RFC 7143 §11.11: the response carries our request's ITT.
            return Reaction::violation(v(
                ViolationKind::UnknownItt,
                "RFC 7143 §11.11",
                "the ITT of an outstanding Text Request",
                format!("ITT {itt:#010x}"),
            ));
        }
        if r.continue_bit && r.final_bit {
            // RFC 7143 §11.11.2: C=1 requires F=0.
            re.report(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.11.2",
                "F=0 when C=1",
                "F=1 C=1".into(),
            ));
        }
        if r.final_bit && r.ttt != TTT_RESERVED {
            // RFC 7143 §11.11.4: the final response has TTT 0xffffffff...
            re.report(v(
                ViolationKind::TargetTransferTag,
                "RFC 7143 §11.11.4",
                "TTT 0xffffffff with F=1",
                format!("TTT {:#010x}", r.ttt),
            ));
        } else if !r.final_bit && r.ttt == TTT_RESERVED {
            // ...and any other a tag the initiator returns to continue.
            re.report(v(
                ViolationKind::TargetTransferTag,
                "RFC 7143 §11.11.4",
                "a TTT other than 0xffffffff with F=0",
                "TTT 0xffffffff".into(),
            ));
        }
        let Some(TaskKind::Text(t)) = self.tasks.get_mut(itt).map(|t| &mut t.kind) else {
            return re;
        };
        let pushed = t.acc.push(&r.data, r.continue_bit);
        if let Ok(Some(pairs)) = &pushed {
            t.pairs.extend(pairs.iter().cloned());
        }
        if let Err(e) = pushed {
            // RFC 7143 §6.1: key=value pairs, each NUL-terminated.
            re.report(v(
                ViolationKind::Text,
                "RFC 7143 §6.1",
                "well-formed key=value text",
                e.to_string(),
            ));
        }
        if !r.final_bit || r.continue_bit {
            if let Some(TaskKind::Text(t)) = self.tasks.get_mut(itt).map(|t| &mut t.kind) {
                t.ttt = r.ttt;
            }
            self.tasks.wait(itt);
            return re;
        }
        let Some(Task {
            kind: TaskKind::Text(t),
            ..
        }) = self.tasks.remove(itt)
        else {
            return re;
        };
        let mut targets: Vec<DiscoveredTarget> = Vec::new();
        for p in &t.pairs {
            match p.key.as_str() {
                "TargetName" => targets.push(DiscoveredTarget {
                    name: p.value.clone(),
                    addresses: Vec::new(),
                }),
                "TargetAddress" => {
                    let parsed = p.value.parse::<TargetAddress>();
                    match (targets.last_mut(), parsed) {
                        (Some(last), Ok(a)) => last.addresses.push(a),
                        (last, parsed) => {
                            // RFC 7143 §13.8 and Appendix C: each TargetAddress
                            // follows its TargetName and reads as
                            // host[:port][,tag].
                            let received = match (last, parsed) {
                                (None, _) => "TargetAddress before any TargetName".to_owned(),
                                (_, Err(e)) => e.to_string(),
                                _ => String::new(),
                            };
                            re.report(v(
                                ViolationKind::Text,
                                "RFC 7143 §13.8",
                                "TargetAddress=host[:port][,tag] after its TargetName",
                                received,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        re.event(Event::Discovery {
            task: super::TaskHandle(itt),
            targets,
        });
        re
    }
}

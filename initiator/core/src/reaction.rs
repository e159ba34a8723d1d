//! What a target PDU calls for, worked out by the type that owns the data
//! it concerns (the session and its tasks) and carried out by the
//! initiator: the violations are reported first, in order, then the actions
//! follow in order. Under `Strict` the first violation ends the session and
//! no action is taken.

use rtgt_proto::pdu::{Pdu, ITT_RESERVED};

use super::event::{CloseReason, Event, TaskHandle, TaskOutcome};
use super::timers::Timer;
use super::violation::{Flow, ProtocolViolation};
use super::Initiator;

/// One thing a reaction does once its violations are reported.
#[derive(Debug)]
enum Action {
    /// Queue a frame; the second field names the task whose R2T the frame
    /// answers last.
    Send(Pdu, Option<u32>),
    /// Raise an event.
    Event(Event),
    /// End task `itt` with this outcome.
    Complete(u32, TaskOutcome),
    /// Disarm a timer.
    Disarm(Timer),
    /// Close the session.
    Close(CloseReason),
}

/// Violations to report, then actions to take.
#[derive(Debug, Default)]
pub(crate) struct Reaction {
    violations: Vec<ProtocolViolation>,
    actions: Vec<Action>,
}

impl Reaction {
    /// Only a violation.
    pub(crate) fn violation(v: ProtocolViolation) -> Self {
        Reaction {
            violations: vec![v],
            actions: Vec::new(),
        }
    }

    /// Only the end of task `itt`.
    pub(crate) fn completed(itt: u32, outcome: TaskOutcome) -> Self {
        let mut r = Reaction::default();
        r.complete(itt, outcome);
        r
    }

    pub(crate) fn report(&mut self, v: ProtocolViolation) {
        self.violations.push(v);
    }

    pub(crate) fn send(&mut self, pdu: Pdu, ends_r2t_of: Option<u32>) {
        self.actions.push(Action::Send(pdu, ends_r2t_of));
    }

    pub(crate) fn event(&mut self, e: Event) {
        self.actions.push(Action::Event(e));
    }

    pub(crate) fn complete(&mut self, itt: u32, outcome: TaskOutcome) {
        self.actions.push(Action::Complete(itt, outcome));
    }

    pub(crate) fn disarm(&mut self, timer: Timer) {
        self.actions.push(Action::Disarm(timer));
    }

    pub(crate) fn close(&mut self, reason: CloseReason) {
        self.actions.push(Action::Close(reason));
    }
}

impl Initiator {
    /// Carries out a reaction.
    pub(crate) fn react(&mut self, r: Reaction) -> Flow {
        for v in r.violations {
            self.violation(v)?;
        }
        for action in r.actions {
            match action {
                Action::Send(pdu, ends) => self.conn.push_raw(&pdu.to_raw(), None, ends),
                Action::Event(e) => self.events.push_back(e),
                Action::Complete(itt, outcome) => {
                    if itt != ITT_RESERVED {
                        self.session.tasks.finish(itt);
                    }
                    self.events.push_back(Event::TaskComplete {
                        task: TaskHandle(itt),
                        outcome,
                    });
                }
                Action::Disarm(timer) => {
                    self.timers.cancel(timer);
                }
                Action::Close(reason) => self.close(reason),
            }
        }
        Ok(())
    }
}

//! Target-initiated PDUs: Asynchronous Messages (RFC 7143 §11.9) and
//! Rejects (§11.17).

use std::time::{Duration, Instant};

use rtgt_proto::pdu::{AsyncEvent, AsyncMessage, Opcode, Reject, RejectReason};

use super::event::{CloseReason, Event, TaskOutcome};
use super::issue::Retry;
use super::reaction::Reaction;
use super::state::State;
use super::tasks::TaskKind;
use super::timers::Timer;
use super::violation::{Flow, ProtocolViolation, ViolationKind};
use super::Initiator;

impl Initiator {
    pub(crate) fn on_async(&mut self, now: Instant, a: AsyncMessage) -> Flow {
        self.events.push_back(Event::Async(a.clone()));
        match a.async_event {
            // RFC 7143 §11.9.1: log out as early as possible and within
            // Parameter3 seconds; we wait for our tasks to end but no longer
            // than that.
            AsyncEvent::LogoutRequest
                if matches!(self.state, State::FullFeature)
                    && !self.timers.is_armed(Timer::AsyncLogout) =>
            {
                let within = Duration::from_secs(u64::from(a.parameter3));
                self.events.push_back(Event::LogoutRequested { within });
                self.timers.set(Timer::AsyncLogout, now + within);
            }
            AsyncEvent::ConnectionDrop | AsyncEvent::SessionDrop => {
                // RFC 7143 §11.9.1: the target drops the connection (our only
                // one) or every connection of the session.
                self.close(CloseReason::TargetDropped);
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn on_reject(&mut self, r: Reject) -> Flow {
        let Some(header) = r.rejected_header() else {
            // RFC 7143 §11.17.3: the data segment holds the rejected header.
            return self.violation(
                ProtocolViolation::new(
                    ViolationKind::RejectHeader,
                    "RFC 7143 §11.17.3",
                    "the 48-byte header of the rejected PDU",
                    format!("{} bytes", r.data.len()),
                )
                .on(Opcode::Reject, r.itt),
            );
        };
        let itt = u32::from_be_bytes([header[16], header[17], header[18], header[19]]);
        let opcode = Opcode::from_byte0(header[0]);
        self.events.push_back(Event::Rejected {
            reason: r.reason,
            itt: Some(itt),
        });
        // RFC 7143 §7.3: a Reject of a PDU other than the command itself
        // leaves the task alive, and its response will come (for a Data-Out
        // digest error at ErrorRecoveryLevel 0, CHECK CONDITION with
        // PROTOCOL SERVICE CRC ERROR, §7.8).
        if opcode == Opcode::DataOut || opcode == Opcode::SnackRequest {
            return Ok(());
        }
        if opcode == Opcode::ScsiCommand && r.reason == RejectReason::DataDigestError {
            // RFC 7143 §7.3 and §7.8: the target discarded the command and
            // did not count its CmdSN; we must plug the gap. §11.17.1 lets
            // the whole command, immediate data included, be sent again.
            match self.session.retry_command(itt, &self.conn) {
                Retry::Send(pdus) => {
                    self.conn.push_pdus(pdus);
                    return Ok(());
                }
                Retry::Exhausted => {
                    // RFC 7143 §7.8: either side may escalate a digest error
                    // to session recovery, the only recovery at
                    // ErrorRecoveryLevel 0 (§7.1.5).
                    self.close(CloseReason::DataDigest);
                    return Ok(());
                }
                Retry::NotApplicable => {}
            }
        }
        // A rejected command, ping, function or logout will get no other
        // answer (RFC 7143 §7.3).
        // FIXME: RFC 7143 §7.3 also asks the initiator to plug the CmdSN gap
        // a non-immediate command rejected for another reason leaves (by
        // ABORT TASK with its RefCmdSN); the task just ends here.
        match self.session.tasks.kind(itt) {
            Some(TaskKind::Scsi(_)) => {
                self.react(Reaction::completed(itt, TaskOutcome::Rejected(r.reason)))?
            }
            Some(TaskKind::Logout) => {
                self.session.tasks.remove(itt);
                // The logout disarmed the keepalive and requested-logout
                // timers; they stay disarmed.
                self.state = State::FullFeature;
            }
            Some(TaskKind::Raw) | None => {}
            Some(_) => {
                self.session.tasks.remove(itt);
                self.timers.cancel(Timer::Nop(itt));
            }
        }
        Ok(())
    }
}

//! NOP-Out and NOP-In (RFC 7143 §11.18, §11.19): our pings with their
//! timeout, and answers to the target's pings.

use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{Lun, NopIn, NopOut, Opcode, Pdu, ITT_RESERVED, TTT_RESERVED};

use super::connection::Connection;
use super::event::{Event, TaskHandle, UsageError};
use super::reaction::Reaction;
use super::session::Session;
use super::tasks::TaskKind;
use super::timers::Timer;
use super::violation::{ProtocolViolation, ViolationKind};
use super::Initiator;

impl Initiator {
    /// Sends a NOP-Out ping carrying `data` (echoed by the target). The
    /// answer comes as [`Event::PingReply`]; none within the NOP timeout
    /// gives [`Event::PingTimeout`] and closes the session.
    pub fn ping(&mut self, now: Instant, data: Bytes) -> Result<TaskHandle, UsageError> {
        self.state.can_start()?;
        let itt = self.session.tasks.alloc_itt()?;
        // RFC 7143 §11.18: a ping that wants an answer has a real ITT and
        // TTT 0xffffffff; sent immediate, it carries the next CmdSN without
        // taking it (§4.2.2.1).
        let nop = NopOut {
            immediate: true,
            itt,
            ttt: TTT_RESERVED,
            lun: Lun::ZERO,
            cmd_sn: self.session.cmd_sn,
            exp_stat_sn: self.conn.exp_stat_sn_value(),
            data: data.clone(),
            ..NopOut::default()
        };
        self.conn.push_pdu(&Pdu::NopOut(nop));
        self.session.tasks.insert(
            itt,
            Some(self.session.cmd_sn),
            TaskKind::Nop { sent: now, data },
        );
        self.timers
            .set(Timer::Nop(itt), now + self.config.nop_timeout);
        Ok(TaskHandle(itt))
    }
}

impl Session {
    /// A NOP-In: the target's ping, answered, or the answer to ours.
    pub(crate) fn on_nop_in(&mut self, now: Instant, n: NopIn, conn: &Connection) -> Reaction {
        let mut re = Reaction::default();
        if n.itt == ITT_RESERVED {
            if n.ttt != TTT_RESERVED {
                // RFC 7143 §11.19.2: a valid TTT asks for a NOP-Out with the
                // same TTT and LUN and ITT 0xffffffff (§11.18.1).
                let nop = NopOut {
                    immediate: true,
                    itt: ITT_RESERVED,
                    ttt: n.ttt,
                    lun: n.lun,
                    cmd_sn: self.cmd_sn,
                    exp_stat_sn: conn.exp_stat_sn_value(),
                    ..NopOut::default()
                };
                re.send(Pdu::NopOut(nop), None);
                re.event(Event::TargetPing { ttt: n.ttt });
            }
            return re;
        }
        let v = |kind, clause, expected: String, received: String| {
            ProtocolViolation::new(kind, clause, expected, received).on(Opcode::NopIn, n.itt)
        };
        let Some(TaskKind::Nop { sent, data, .. }) = self.tasks.kind(n.itt).cloned() else {
            // RFC 7143 §11.19.1: a NOP-In with a real ITT answers our ping.
            return Reaction::violation(v(
                ViolationKind::UnknownItt,
                "RFC 7143 §11.19.1",
                "the ITT of an outstanding ping".into(),
                format!("ITT {:#010x}", n.itt),
            ));
        };
        if n.ttt != TTT_RESERVED {
            // RFC 7143 §11.19.2: an answer to a ping has TTT 0xffffffff.
            re.report(v(
                ViolationKind::TargetTransferTag,
                "RFC 7143 §11.19.2",
                "TTT 0xffffffff".into(),
                format!("TTT {:#010x}", n.ttt),
            ));
        }
        if n.data != data {
            // RFC 7143 §11.19.3: the ping data is returned as sent.
            re.report(v(
                ViolationKind::NopData,
                "RFC 7143 §11.19.3",
                format!("{} bytes echoed", data.len()),
                format!("{} bytes, differing", n.data.len()),
            ));
        }
        self.tasks.remove(n.itt);
        re.disarm(Timer::Nop(n.itt));
        re.event(Event::PingReply {
            task: TaskHandle(n.itt),
            data: n.data,
            rtt: now.saturating_duration_since(sent),
        });
        re
    }
}

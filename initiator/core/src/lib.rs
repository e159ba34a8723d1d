//! rtgt's iSCSI initiator engine, sans-IO: one session over one connection.
//!
//! Bytes from the target go in through [`Initiator::handle_bytes`], bytes for
//! the target come out of [`Initiator::poll_transmit`], time enters as an
//! argument and randomness from an injected [`RandomSource`]. It is "the
//! strictest initiator there is": every field a target sends is checked
//! against RFC 7143 and each deviation is reported as a
//! [`ProtocolViolation`] naming its clause. Nothing here reads the clock, a
//! socket or a global RNG; the tokio client is in `rtgt-initiator`.
//!
//! A driver runs it like this:
//!
//! ```text
//! let mut ini = Initiator::new(config, rng);
//! ini.login(now)?;
//! loop {
//!     while let Some(out) = ini.poll_transmit() { socket.write_all_vectored(out.slices()) }
//!     while let Some(ev) = ini.poll_event() { act on ev; Event::Closed(_) ends the loop }
//!     select {
//!         bytes = socket.read() => ini.handle_bytes(now(), &bytes),
//!         _ = sleep_until(ini.poll_timeout()) => ini.handle_timeout(now()),
//!         request = caller => ini.submit(now(), request) / ping / logout ...,
//!     }
//! }
//! ```
//!
//! Every PDU from the target is checked (see `validate`, `window`, and the
//! checks next to each handler); a deviation becomes an
//! [`Event::Violation`] and, under [`Strictness::Strict`], ends the session.
//!
//! Inside, [`Initiator`] is the driver API and the dispatch: it holds the
//! connection state (`state::State`, whose login variant owns the login's
//! `LoginState`), the timer table (`timers::Timers`), the [`Session`] with
//! its CmdSN window and task table (`tasks::TaskTable`), and the
//! [`Connection`]. The session answers the PDUs about its tasks with a
//! `reaction::Reaction` (violations, then actions) that the initiator
//! reports and carries out.
#![forbid(unsafe_code)]
// Target input never panics the initiator (RFC 7143 peers are untrusted):
// no unwrap, expect, panic or unchecked indexing outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod address;
mod async_msg;
mod command;
mod config;
mod connection;
mod discovery;
mod event;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod issue;
mod login;
mod logout;
pub mod multipath;
mod nop;
mod r2t;
mod raw;
mod reaction;
mod session;
mod state;
mod tasks;
mod timers;
mod tmf;
mod validate;
mod violation;
mod window;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::Instant;

use rtgt_proto::pdu::{
    EncodedParts, Isid, IsidType, LoginStatusClass, LogoutReason, Pdu, RawPdu, Role,
};

pub use address::{AddressError, Host, TargetAddress, ISCSI_PORT};
pub use config::{
    Auth, ChapConfig, InitiatorConfig, MutualChap, RandomSource, ReceiveMode, SeededRandom,
    Strictness, DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH,
};
pub use connection::Connection;
pub use discovery::{DiscoveredTarget, SendTargets};
pub use event::{CloseReason, Event, Residual, ScsiResult, TaskHandle, TaskOutcome, UsageError};
pub use login::LoginError;
pub use session::{DataDirection, ScsiRequest, Session};
pub use state::Phase;
pub use violation::{ProtocolViolation, ViolationKind};

use config::Rng;
use state::State;
use tasks::TaskKind;
use timers::{Timer, Timers};
use violation::{Flow, Stop};

/// The initiator core: one session, one connection; the public driver API
/// and the dispatch of what the target sends.
#[derive(Debug)]
pub struct Initiator {
    config: InitiatorConfig,
    rng: Rng,
    session: Session,
    conn: Connection,
    state: State,
    timers: Timers,
    events: VecDeque<Event>,
}

impl Initiator {
    /// A new initiator. Nothing is sent before [`Initiator::login`], so raw
    /// PDUs can be sent first.
    pub fn new(config: InitiatorConfig, rng: impl RandomSource + 'static) -> Self {
        let mut rng = Rng(Box::new(rng));
        let isid = config.isid.unwrap_or_else(|| {
            // RFC 7143 §11.12.5: T=10b "Random": A reserved, B and C random,
            // D the qualifier.
            let r: [u8; 5] = rng.bytes();
            Isid {
                t: IsidType::Random,
                a: 0,
                b: u16::from_be_bytes([r[0], r[1]]),
                c: r[2],
                d: u16::from_be_bytes([r[3], r[4]]),
            }
        });
        let session = Session::new(isid, config.session_type(), config.initial_cmd_sn);
        let conn = Connection::new(config.cid);
        Initiator {
            config,
            rng,
            session,
            conn,
            state: State::Idle,
            timers: Timers::default(),
            events: VecDeque::new(),
        }
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.state.phase()
    }

    /// Session state (CmdSN window, parameters, ISID, TSIH).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Connection state (StatSN, digests).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The configuration.
    pub fn config(&self) -> &InitiatorConfig {
        &self.config
    }

    /// Changes what a violation costs, from the next PDU on.
    pub fn set_strictness(&mut self, s: Strictness) {
        self.config.strictness = s;
    }

    /// Changes raw delivery of received PDUs, from the next PDU on.
    pub fn set_receive_mode(&mut self, m: ReceiveMode) {
        self.config.receive_mode = m;
    }

    /// Bytes from the target, in any split.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.state.is_closed() {
            return;
        }
        self.conn.decoder.feed(bytes);
        while !self.state.is_closed() {
            let Some(frame) = self.conn.decoder.next_frame() else {
                break;
            };
            let _ = match frame {
                Ok(raw) => self.handle_frame(now, raw),
                Err(e) => self.handle_decode_error(now, e),
            };
            if !self.state.is_closed() {
                self.pump(now);
            }
        }
    }

    /// Time has reached a deadline given by [`Initiator::poll_timeout`]:
    /// the timers due fire, login first, then pings, the logout the target
    /// asked for, the keepalive and our own logout's deadline.
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in self.timers.due(now) {
            if self.state.is_closed() {
                return;
            }
            // A timer an earlier one disarmed (a logout drops the
            // keepalive) does not fire.
            if self.timers.cancel(timer) {
                self.fire(now, timer);
            }
        }
    }

    fn fire(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Login => self.login_failed(LoginError::Timeout),
            Timer::Nop(itt) => {
                self.session.tasks.remove(itt);
                self.events.push_back(Event::PingTimeout {
                    task: TaskHandle(itt),
                });
                self.close(CloseReason::PingTimeout);
            }
            // RFC 7143 §11.9.1: the logout closes the connection or the
            // session; with one connection both end the session.
            Timer::AsyncLogout if matches!(self.state, State::FullFeature) => {
                let _ = self.logout(now, LogoutReason::CloseSession);
            }
            Timer::AsyncLogout => {}
            // A target that neither answers our Logout Request (RFC 7143
            // §11.14, §11.15) nor ends the connection does not hold the
            // session open for ever.
            Timer::Logout => self.close(CloseReason::LogoutTimeout),
            Timer::Keepalive => {
                if let Some(k) = self.config.keepalive {
                    self.timers.set(Timer::Keepalive, now + k);
                }
                let _ = self.ping(now, bytes::Bytes::new());
            }
        }
    }

    /// The next frame to write: header, data segment (shared, not copied)
    /// and trailer.
    pub fn poll_transmit(&mut self) -> Option<EncodedParts> {
        let out = self.conn.queue.pop_front()?;
        if let Some(itt) = out.ends_r2t_of {
            self.session.tasks.r2t_answered(itt);
        }
        Some(out.parts)
    }

    /// The earliest deadline at which [`Initiator::handle_timeout`] must be
    /// called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Ends the session locally (e.g. the driver saw the socket close).
    pub fn close_local(&mut self) {
        self.close(CloseReason::Local);
    }

    /// Reports a violation; under `Strict` the session closes and processing
    /// of the PDU stops.
    pub(crate) fn violation(&mut self, v: ProtocolViolation) -> Flow {
        self.events.push_back(Event::Violation(v));
        match self.config.strictness {
            Strictness::Strict => {
                self.close(CloseReason::Violation);
                Err(Stop)
            }
            Strictness::Lenient => Ok(()),
        }
    }

    /// Closes the session: every task still outstanding ends.
    pub(crate) fn close(&mut self, reason: CloseReason) {
        if self.state.is_closed() {
            return;
        }
        self.state = State::Closed;
        self.timers.clear();
        self.conn.queue.clear();
        for itt in self.session.tasks.clear() {
            self.events.push_back(Event::TaskComplete {
                task: TaskHandle(itt),
                outcome: TaskOutcome::SessionClosed,
            });
        }
        self.events.push_back(Event::Closed(reason));
    }

    fn handle_frame(&mut self, now: Instant, raw: RawPdu) -> Flow {
        match self.config.receive_mode {
            ReceiveMode::Process => {}
            ReceiveMode::Also => self.events.push_back(Event::Received(raw.clone())),
            ReceiveMode::Only => {
                self.events.push_back(Event::Received(raw));
                return Ok(());
            }
        }
        let pdu = match Pdu::decode_from(&raw, Role::Target) {
            Ok(p) => p,
            Err(e) => {
                // RFC 7143 §11.2.1.2: opcodes 0x20-0x3f are the target's;
                // only those RFC 7143 defines may be sent.
                return self.violation(
                    ProtocolViolation::new(
                        ViolationKind::IllegalOpcode,
                        "RFC 7143 §11.2.1.2",
                        "a target opcode defined by RFC 7143",
                        e.to_string(),
                    )
                    .on(raw.opcode(), raw.itt()),
                );
            }
        };
        // RFC 7143 §11.13.5: a failure status says why the target refused
        // the login; it is reported even when the response also breaks a
        // rule and the session closes for that.
        let refused = match (&self.state, &pdu) {
            (State::Login(_), Pdu::LoginResponse(r))
                if matches!(
                    r.status.class(),
                    LoginStatusClass::InitiatorError | LoginStatusClass::TargetError
                ) =>
            {
                Some(r.status)
            }
            _ => None,
        };
        let flow = self.handle_pdu(now, raw, pdu);
        if let (Err(_), Some(status)) = (&flow, refused) {
            if !self
                .events
                .iter()
                .any(|e| matches!(e, Event::LoginFailed(_)))
            {
                self.events
                    .push_back(Event::LoginFailed(LoginError::from_status(status)));
            }
        }
        flow
    }

    fn handle_pdu(&mut self, now: Instant, raw: RawPdu, pdu: Pdu) -> Flow {
        if let Some(v) = validate::reserved_violation(&raw, &pdu) {
            self.violation(v)?;
        }
        self.apply_sequence(&pdu)?;
        if let Some(TaskKind::Raw) = self.session.tasks.kind(raw.itt()) {
            if self.config.receive_mode == ReceiveMode::Process {
                self.events.push_back(Event::Received(raw));
            }
            return Ok(());
        }
        match (self.state.phase(), pdu) {
            (Phase::Login, Pdu::LoginResponse(r)) => self.on_login_response(now, r),
            (Phase::FullFeature | Phase::LoggingOut, pdu) => match pdu {
                Pdu::AsyncMessage(p) => self.on_async(now, p),
                Pdu::Reject(p) => self.on_reject(p),
                pdu => {
                    let r = self.session.on_response(now, pdu, &self.conn);
                    self.react(r)
                }
            },
            (Phase::Login, other) => self.violation(ProtocolViolation::unexpected(
                &other,
                "RFC 7143 §6.3",
                "only Login Responses during the login phase",
            )),
            (_, other) => self.violation(ProtocolViolation::unexpected(
                &other,
                "RFC 7143 §6.3",
                "no PDU before a Login Request",
            )),
        }
    }

    /// Sends whatever the CmdSN window admits, and a logout the target asked
    /// for once our tasks are done.
    fn pump(&mut self, now: Instant) {
        while !self.state.is_closed() && self.session.window_open() {
            let Some(itt) = self.session.tasks.next_waiting() else {
                break;
            };
            match self.session.tasks.kind(itt) {
                Some(TaskKind::Scsi(_)) => {
                    let pdus = self.session.issue_command(itt, false, &self.conn);
                    self.conn.push_pdus(pdus);
                }
                Some(TaskKind::Text(_)) => {
                    if let Some(req) = self.session.text_request(itt, &self.conn) {
                        self.conn.push_pdu(&req);
                    }
                }
                _ => {}
            }
        }
        // RFC 7143 §11.9.1: the logout the target asked for goes as soon as
        // our commands are done (the timer is disarmed as it goes).
        if matches!(self.state, State::FullFeature)
            && !self.session.tasks.scsi_outstanding()
            && self.timers.cancel(Timer::AsyncLogout)
        {
            let _ = self.logout(now, LogoutReason::CloseSession);
        }
    }
}

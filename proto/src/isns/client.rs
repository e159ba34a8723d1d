//! The iSNS client of an iSCSI target, sans-IO: registers its entity with
//! DevAttrReg (replace), keeps the registration alive with a DevAttrQry
//! for one of its own attributes within the registration period (RFC 4171
//! §6.2.6), registers again when what it serves changes, answers ESI and
//! SCN messages, deregisters with DevDereg at shutdown, and reconnects
//! with exponential back-off when the connection fails or a request goes
//! unanswered.
//!
//! The driver connects when told ([`Action::Connect`]), reports the
//! outcome (`handle_connected` or `handle_closed`), feeds received bytes
//! to `handle_bytes`, sends [`Action::Send`] bytes, closes on
//! [`Action::Close`] and calls `handle_timeout` at `poll_timeout`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::attr::tag;
use super::message::{self, Message};
use super::objects::Registration;
use super::stream::PduStream;
use super::{flags, Function, Status};

/// Timing of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long a connect or a request may go unanswered before the
    /// connection is dropped and retried.
    pub response_timeout: Duration,
    /// The keep-alive query's interval; shortened to half the
    /// registration period the server grants when that is shorter.
    pub keepalive: Duration,
    /// The first reconnect delay; doubled after each failure.
    pub backoff_min: Duration,
    /// The longest reconnect delay.
    pub backoff_max: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            response_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a TCP connection to the server.
    Connect,
    /// Write these bytes on the connection.
    Send(Vec<u8>),
    /// Close the connection.
    Close,
}

/// What happened, for the driver's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server accepted the registration; the period it granted, if it
    /// said.
    Registered { period: Option<u32> },
    /// The server refused a request.
    Refused { function: Function, status: Status },
    /// The keep-alive found the entity gone; registering again.
    RegistrationLost,
    /// The entity is deregistered; the client is stopped.
    Deregistered,
    /// The connection failed or broke; the next try is `retry_in` away.
    Disconnected { reason: String, retry_in: Duration },
    /// The server checked the entity is alive (ESI) and was answered.
    EsiAnswered,
    /// The server notified a state change (SCN) and was answered.
    ScnReceived(Message),
    /// Shutdown ended without a DevDereg answered.
    Stopped,
}

/// Where the client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// Waiting to reconnect.
    BackingOff,
    /// Connect asked for, not yet reported.
    Connecting,
    /// DevAttrReg sent, not yet answered.
    Registering,
    /// Registered; keep-alives run.
    Registered,
    /// DevDereg sent, not yet answered.
    Deregistering,
    /// Finished: deregistered, or shut down.
    Stopped,
}

/// The iSNS client state machine.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    registration: Registration,
    state: ClientState,
    stream: PduStream,
    next_xid: u16,
    /// The request awaited: transaction id, function, deadline.
    pending: Option<(u16, Function, Instant)>,
    /// When to reconnect (BackingOff) or connect by (Connecting).
    deadline: Option<Instant>,
    keepalive_at: Option<Instant>,
    keepalive: Duration,
    backoff: Duration,
    /// The registration changed while a request was in flight.
    dirty: bool,
    stopping: bool,
    actions: VecDeque<Action>,
    events: VecDeque<ClientEvent>,
}

impl Client {
    /// A client that connects at once to register `registration`.
    pub fn new(config: ClientConfig, registration: Registration, now: Instant) -> Client {
        let keepalive = config.keepalive;
        let backoff = config.backoff_min;
        let mut client = Client {
            config,
            registration,
            state: ClientState::BackingOff,
            stream: PduStream::new(),
            next_xid: 1,
            pending: None,
            deadline: None,
            keepalive_at: None,
            keepalive,
            backoff,
            dirty: false,
            stopping: false,
            actions: VecDeque::new(),
            events: VecDeque::new(),
        };
        client.connect(now);
        client
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline: a reconnect, a connect or request timing
    /// out, or the next keep-alive.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.deadline,
            self.pending.map(|(_, _, at)| at),
            self.keepalive_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The connection asked for is up: register (or deregister when
    /// shutting down).
    pub fn handle_connected(&mut self, now: Instant) {
        if self.state != ClientState::Connecting {
            return;
        }
        self.deadline = None;
        self.stream = PduStream::new();
        if self.stopping {
            self.send_dereg(now);
        } else {
            self.send_register(now);
        }
    }

    /// The connection failed, closed or broke.
    pub fn handle_closed(&mut self, now: Instant, reason: &str) {
        match self.state {
            ClientState::Stopped | ClientState::BackingOff => {}
            _ if self.stopping => self.stop(ClientEvent::Stopped),
            _ => self.back_off(now, reason),
        }
    }

    /// Bytes the server sent.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if matches!(self.state, ClientState::Stopped | ClientState::BackingOff) {
            return;
        }
        self.stream.push(bytes);
        loop {
            match self.stream.next_message() {
                Ok(Some(msg)) => self.handle_message(now, msg),
                Ok(None) => return,
                Err(e) => {
                    self.actions.push_back(Action::Close);
                    self.handle_closed(now, &e.to_string());
                    return;
                }
            }
            if matches!(self.state, ClientState::Stopped | ClientState::BackingOff) {
                return;
            }
        }
    }

    /// Time passed: retries, timeouts and keep-alives that are due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, function, at)) = self.pending {
            if at <= now {
                self.actions.push_back(Action::Close);
                let reason = format!(
                    "no answer to {function:?} within {:?}",
                    self.config.response_timeout
                );
                self.handle_closed(now, &reason);
                return;
            }
        }
        match (self.state, self.deadline) {
            (ClientState::BackingOff, Some(at)) if at <= now => self.connect(now),
            (ClientState::Connecting, Some(at)) if at <= now => {
                self.actions.push_back(Action::Close);
                self.handle_closed(now, "connect timed out");
            }
            _ => {}
        }
        if let Some(at) = self.keepalive_at {
            if at <= now && self.state == ClientState::Registered && self.pending.is_none() {
                self.keepalive_at = None;
                let xid = self.xid();
                let reg = &self.registration;
                let msg = message::keepalive_query(xid, &reg.source(), &reg.entity_id);
                self.send(msg, Function::DevAttrQry, now);
            }
        }
    }

    /// What the entity serves changed: registered again (replace) as soon
    /// as no request is in flight.
    pub fn update(&mut self, registration: Registration, now: Instant) {
        if registration == self.registration {
            return;
        }
        self.registration = registration;
        if self.state == ClientState::Registered && self.pending.is_none() {
            self.send_register(now);
        } else {
            self.dirty = true;
        }
    }

    /// Deregisters and stops: DevDereg on the connection if it is up, on
    /// a new one otherwise; the driver bounds how long it waits.
    pub fn shutdown(&mut self, now: Instant) {
        if self.stopping || self.state == ClientState::Stopped {
            return;
        }
        self.stopping = true;
        match self.state {
            ClientState::Registering | ClientState::Registered => self.send_dereg(now),
            ClientState::BackingOff => self.connect(now),
            ClientState::Connecting | ClientState::Deregistering | ClientState::Stopped => {}
        }
    }

    fn handle_message(&mut self, now: Instant, msg: Message) {
        let Some((function, response)) = msg.kind() else {
            return;
        };
        if !response {
            self.answer_server(function, &msg);
            return;
        }
        // RFC 4171 §5.1.5: a response carries its request's Transaction ID.
        let Some((xid, awaited, _)) = self.pending else {
            return;
        };
        if xid != msg.xid || awaited != function {
            return;
        }
        self.pending = None;
        let status = msg.status.unwrap_or(Status::Successful);
        if status != Status::Successful {
            self.events
                .push_back(ClientEvent::Refused { function, status });
        }
        match function {
            Function::DevAttrReg if status == Status::Successful => {
                let period = msg
                    .operating()
                    .iter()
                    .find(|a| a.tag == tag::REGISTRATION_PERIOD)
                    .and_then(|a| a.as_u32());
                self.registered(now, period);
            }
            Function::DevAttrQry if self.state == ClientState::Registered => {
                // RFC 4171 §6.2.6: the registration is removed when the
                // period expires; a keep-alive that no longer finds the
                // entity registers it again.
                let found = msg
                    .operating()
                    .iter()
                    .any(|a| a.tag == tag::ENTITY_PROTOCOL);
                if status == Status::Successful && found && !self.dirty {
                    self.keepalive_at = Some(now + self.keepalive);
                } else {
                    if !found {
                        self.events.push_back(ClientEvent::RegistrationLost);
                    }
                    self.dirty = false;
                    self.send_register(now);
                }
            }
            Function::DevDereg => {
                self.actions.push_back(Action::Close);
                self.stop(if status == Status::Successful {
                    ClientEvent::Deregistered
                } else {
                    ClientEvent::Stopped
                });
            }
            _ => {
                self.actions.push_back(Action::Close);
                self.back_off(now, &format!("{function:?} refused: {status}"));
            }
        }
    }

    /// A request the server sent on this connection.
    fn answer_server(&mut self, function: Function, msg: &Message) {
        let reply = match function {
            // RFC 4171 §5.6.5.13: the client answers ESI with ESIRsp.
            Function::ESI => {
                self.events.push_back(ClientEvent::EsiAnswered);
                message::esi_response(msg)
            }
            // RFC 4171 §5.6.5.8: an SCN is answered with SCNRsp.
            Function::SCN => {
                self.events.push_back(ClientEvent::ScnReceived(msg.clone()));
                message::scn_response(msg)
            }
            _ => Message::response(function, msg.xid, Status::MessageNotSupported, Vec::new()),
        };
        self.actions
            .push_back(Action::Send(reply.encode(flags::CLIENT)));
    }

    fn registered(&mut self, now: Instant, period: Option<u32>) {
        self.state = ClientState::Registered;
        self.backoff = self.config.backoff_min;
        self.keepalive = self.config.keepalive;
        if let Some(p) = period.filter(|p| *p > 0) {
            // RFC 4171 §6.2.6: refresh "at intervals shorter than the
            // registration period".
            self.keepalive = self.keepalive.min(Duration::from_secs(u64::from(p)) / 2);
        }
        self.events.push_back(ClientEvent::Registered { period });
        if self.dirty {
            self.dirty = false;
            self.send_register(now);
        } else {
            self.keepalive_at = Some(now + self.keepalive);
        }
    }

    fn connect(&mut self, now: Instant) {
        self.state = ClientState::Connecting;
        self.deadline = Some(now + self.config.response_timeout);
        self.actions.push_back(Action::Connect);
    }

    fn back_off(&mut self, now: Instant, reason: &str) {
        let retry_in = self.backoff;
        self.state = ClientState::BackingOff;
        self.pending = None;
        self.keepalive_at = None;
        self.deadline = Some(now + retry_in);
        self.backoff = (self.backoff * 2).min(self.config.backoff_max);
        self.dirty = false;
        self.events.push_back(ClientEvent::Disconnected {
            reason: reason.to_owned(),
            retry_in,
        });
    }

    fn stop(&mut self, event: ClientEvent) {
        self.state = ClientState::Stopped;
        self.pending = None;
        self.deadline = None;
        self.keepalive_at = None;
        self.events.push_back(event);
    }

    fn send_register(&mut self, now: Instant) {
        self.dirty = false;
        self.keepalive_at = None;
        let xid = self.xid();
        let msg = message::dev_attr_reg(xid, &self.registration, true);
        self.state = ClientState::Registering;
        self.send(msg, Function::DevAttrReg, now);
    }

    fn send_dereg(&mut self, now: Instant) {
        self.keepalive_at = None;
        let xid = self.xid();
        let reg = &self.registration;
        let msg = message::dev_dereg(xid, &reg.source(), &reg.entity_id);
        self.state = ClientState::Deregistering;
        self.send(msg, Function::DevDereg, now);
    }

    fn send(&mut self, msg: Message, function: Function, now: Instant) {
        self.pending = Some((msg.xid, function, now + self.config.response_timeout));
        self.actions
            .push_back(Action::Send(msg.encode(flags::CLIENT)));
    }

    fn xid(&mut self) -> u16 {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        xid
    }
}

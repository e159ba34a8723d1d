//! rtgt's strict initiator core driven over a blocking TCP connection, for
//! scenarios that need a working session: log in, run commands, ping, log
//! out, and send crafted PDUs in between with the session's own sequence
//! numbers.
//!
//! Every PDU both ways goes into the scenario's transcript, and every
//! deviation the core detects (`Event::Violation`) is kept so a scenario can
//! fail on it or, in lenient mode, look at it.

use crate::context::Context;
use crate::scenario::ScenarioError;
use crate::transcript::Direction;
use crate::wire::read_once;
use bytes::Bytes;
use rtgt_initiator::{
    Event, Initiator, InitiatorConfig, ProtocolViolation, ReceiveMode, ScsiRequest, SeededRandom,
    TaskHandle, TaskOutcome,
};
use rtgt_proto::pdu::{Lun, RawPdu};
use std::collections::VecDeque;
use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A session of the initiator core over one connection.
#[derive(Debug)]
pub struct Driven {
    stream: TcpStream,
    pub core: Initiator,
    events: VecDeque<Event>,
    /// Every violation the core reported, in order.
    pub violations: Vec<ProtocolViolation>,
    closed: bool,
}

/// How a login through the core ended.
#[derive(Debug)]
pub enum LoginResult {
    /// Full feature phase reached; the event carries the parameters.
    Complete(Event),
    /// The target refused (or the core gave up); the event says why.
    Failed(Event),
}

impl Driven {
    /// Connects (without logging in) with `config`; the core records every
    /// received PDU raw too, so scenarios can read fields the core consumed.
    pub fn connect(
        ctx: &mut Context,
        mut config: InitiatorConfig,
    ) -> Result<Driven, ScenarioError> {
        let wire = crate::wire::Wire::connect(ctx)?;
        let stream = wire.into_stream();
        config.receive_mode = ReceiveMode::Also;
        // The ISID comes from this seed: one per scenario and worker.
        let seed = crate::runner::session_seed().rotate_left(13);
        Ok(Driven {
            stream,
            core: Initiator::new(config, SeededRandom::new(seed)),
            events: VecDeque::new(),
            violations: Vec::new(),
            closed: false,
        })
    }

    /// The usual normal-session configuration for this target, with CHAP
    /// when the suite has an account.
    pub fn normal_config(ctx: &Context) -> InitiatorConfig {
        let t = &ctx.target;
        let mut config = InitiatorConfig::normal(&t.initiator_name, &t.iqn);
        if let Some(chap) = &t.chap {
            let mut chap_config = rtgt_initiator::ChapConfig::one_way(&chap.user, &chap.secret);
            // MD5 alone, the algorithm every target must support (RFC 7143
            // §12.1.3): the suite's own sessions must log in wherever they
            // can; the CHAP area tests the other algorithms.
            chap_config.algorithms = vec![rtgt_proto::chap::ChapAlgorithm::Md5];
            if let Some(mutual) = &t.mutual_chap {
                chap_config = chap_config.with_mutual(Some(&mutual.user), &mutual.secret);
            }
            config = config.with_chap(chap_config);
        }
        config
    }

    /// Connects and logs in with [`Driven::normal_config`]; a failed login
    /// is a setup error.
    pub fn login_normal(ctx: &mut Context) -> Result<Driven, ScenarioError> {
        let config = Self::normal_config(ctx);
        let mut session = Self::connect(ctx, config)?;
        match session.login(ctx)? {
            LoginResult::Complete(_) => Ok(session),
            LoginResult::Failed(event) => Err(ScenarioError::Login(format!("{event:?}"))),
        }
    }

    /// Runs the login to its end.
    pub fn login(&mut self, ctx: &mut Context) -> Result<LoginResult, ScenarioError> {
        self.core
            .login(Instant::now())
            .map_err(|e| ScenarioError::Setup(format!("login: {e}")))?;
        let event = self.wait_for(ctx, "the end of the login", |e| {
            matches!(
                e,
                Event::LoginComplete { .. } | Event::LoginFailed(_) | Event::Redirected { .. }
            ) || matches!(e, Event::Closed(_))
        })?;
        Ok(match event {
            Event::LoginComplete { .. } => LoginResult::Complete(event),
            other => LoginResult::Failed(other),
        })
    }

    /// Submits a command and waits for its outcome.
    pub fn command(
        &mut self,
        ctx: &mut Context,
        req: ScsiRequest,
    ) -> Result<TaskOutcome, ScenarioError> {
        let task = self
            .core
            .submit(Instant::now(), req)
            .map_err(|e| ScenarioError::Setup(format!("submit: {e}")))?;
        self.task_outcome(ctx, task)
    }

    /// Waits for the outcome of `task`.
    pub fn task_outcome(
        &mut self,
        ctx: &mut Context,
        task: TaskHandle,
    ) -> Result<TaskOutcome, ScenarioError> {
        match self.wait_for(
            ctx,
            "the command's outcome",
            |e| matches!(e, Event::TaskComplete { task: t, .. } if *t == task),
        )? {
            Event::TaskComplete { outcome, .. } => Ok(outcome),
            _ => unreachable!("wait_for returns the matching event"),
        }
    }

    /// A NOP-Out ping; `Ok(true)` when the target answered in time. This is
    /// how a scenario proves the connection still works after the target
    /// had to ignore something.
    pub fn ping(&mut self, ctx: &mut Context) -> Result<bool, ScenarioError> {
        let task = self
            .core
            .ping(Instant::now(), Bytes::from_static(b"rtgt conformance ping"))
            .map_err(|e| ScenarioError::Setup(format!("ping: {e}")))?;
        match self.wait_for(ctx, "the NOP-In answering our ping", |e| {
            matches!(e, Event::PingReply { task: t, .. } if *t == task)
                || matches!(e, Event::PingTimeout { .. })
        }) {
            Ok(Event::PingReply { .. }) => Ok(true),
            Ok(_) | Err(ScenarioError::Timeout(..)) | Err(ScenarioError::Closed(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sends a frame as it is, outside the core's bookkeeping (for CmdSN
    /// window tests and the like), with the session's digests.
    pub fn send_raw(&mut self, ctx: &mut Context, raw: &RawPdu) -> Result<(), ScenarioError> {
        let digests = self.core.digests();
        self.core.send_raw(raw, Some(digests));
        self.flush(ctx)
    }

    /// Waits until an event matching `want` arrives, driving the core;
    /// other events stay queued for later calls.
    pub fn wait_for(
        &mut self,
        ctx: &mut Context,
        what: &str,
        want: impl Fn(&Event) -> bool,
    ) -> Result<Event, ScenarioError> {
        let timeout = ctx.target.timeout;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.events.iter().position(&want) {
                return Ok(self.events.remove(i).expect("position is in range"));
            }
            if self.closed {
                return Err(ScenarioError::Closed(what.to_owned()));
            }
            if Instant::now() >= deadline {
                return Err(ScenarioError::Timeout(timeout, what.to_owned()));
            }
            self.step(ctx, deadline)?;
        }
    }

    /// The events not yet taken by `wait_for`, removing them.
    pub fn drain_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    /// Writes what the core queued, reads once (until `deadline` or the
    /// core's own next timer), and collects events.
    fn step(&mut self, ctx: &mut Context, deadline: Instant) -> Result<(), ScenarioError> {
        self.flush(ctx)?;
        let now = Instant::now();
        let until = self
            .core
            .poll_timeout()
            .map_or(deadline, |t| t.min(deadline));
        let wait = until
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        let core = &mut self.core;
        if read_once(&mut self.stream, ctx, wait, |bytes| {
            core.handle_bytes(Instant::now(), bytes)
        })? {
            self.closed = true;
        }
        self.core.handle_timeout(Instant::now());
        self.collect(ctx);
        self.flush(ctx)
    }

    fn collect(&mut self, ctx: &mut Context) {
        while let Some(event) = self.core.poll_event() {
            match event {
                // Kept queued too, so replies to a claimed raw tag can be
                // waited for with `wait_for`.
                Event::Received(raw) => {
                    ctx.transcript.pdu(Direction::FromTarget, &raw);
                    self.events.push_back(Event::Received(raw));
                }
                Event::Violation(v) => {
                    ctx.transcript.note(format!("violation: {v}"));
                    self.violations.push(v.clone());
                    self.events.push_back(Event::Violation(v));
                }
                Event::Closed(reason) => {
                    self.closed = true;
                    self.events.push_back(Event::Closed(reason));
                }
                other => self.events.push_back(other),
            }
        }
    }

    fn flush(&mut self, ctx: &mut Context) -> Result<(), ScenarioError> {
        while let Some(parts) = self.core.poll_transmit() {
            let bytes: Vec<u8> = parts.slices().concat();
            if let Some(raw) = frame_of(&bytes, self.core.digests()) {
                ctx.transcript.pdu(Direction::ToTarget, &raw);
            } else {
                ctx.transcript.bytes(Direction::ToTarget, &bytes);
            }
            if let Err(e) = self.stream.write_all(&bytes) {
                if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) {
                    self.closed = true;
                    return Ok(());
                }
                return Err(e.into());
            }
        }
        Ok(())
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The LUN the SCSI scenarios use.
    pub fn lun(ctx: &Context) -> Lun {
        Lun::single_level(ctx.target.lun as u16)
    }
}

/// The frame in `bytes`, for the transcript (login PDUs have no digests).
fn frame_of(bytes: &[u8], digests: rtgt_proto::pdu::Digests) -> Option<RawPdu> {
    let bytes = Bytes::copy_from_slice(bytes);
    RawPdu::parse(&bytes, digests)
        .or_else(|_| RawPdu::parse(&bytes, rtgt_proto::pdu::Digests::NONE))
        .ok()
        .map(|(raw, _)| raw)
}

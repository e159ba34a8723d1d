//! rtgt's iSCSI target engine (RFC 7143), sans-IO.
//!
//! One [`TargetCore`] serves a portal group: every connection, session and
//! logical unit of it. A driver runs it like this:
//!
//! ```text
//! let mut core = TargetCore::new(config, Box::new(os_random));
//! on accept:        core.accept(conn, peer, local, now)
//! on bytes read:    core.handle_bytes(conn, now, &bytes)
//! on EOF or error:  core.handle_closed(conn, now)
//! on timer:         core.handle_timeout(now)
//! on IO done:       core.handle_io_complete(tag, result)
//! then, each time:
//!   while let Some((conn, parts)) = core.poll_transmit() { write parts to conn }
//!   while let Some((tag, io)) = core.poll_io() { run io, later handle_io_complete }
//!   while let Some((tag, pr)) = core.poll_persist() { store pr, later handle_io_complete }
//!   while let Some(ev) = core.poll_event() { log it; on Event::Close, close conn
//!                                             after writing what was queued }
//!   arm a timer for core.poll_timeout()
//! ```
//!
//! Nothing here reads the clock, a socket, a file or a global RNG; this
//! crate's dependencies (rtgt-proto, rtgt-scsi) hold no IO crate either.
//! SCSI semantics come from `rtgt-scsi`, every byte format from `rtgt-proto`.
#![forbid(unsafe_code)]
// Peer input never panics the target:
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

mod admin;
mod async_msg;
mod command;
mod config;
mod conn;
mod data_in;
mod data_out;
mod discovery;
mod events;
mod frames;
// The fuzz harness bodies report a broken invariant by panicking: that is
// how libFuzzer and the tests learn of it.
#[cfg(feature = "fuzzing")]
#[allow(clippy::expect_used, clippy::panic)]
pub mod fuzzing;
mod limits;
mod login;
mod logout;
mod nop;
mod r2t;
mod registry;
mod reject;
mod session;
mod tables;
mod tasks;
mod timers;
mod tmf;
mod window;

#[cfg(test)]
mod tests;

pub use admin::{ConnInfo, SessionInfo};
pub use config::{
    AuthConfig, ChapAccount, Cidr, CidrError, Limits, NopConfig, PortalGroupConfig, Redirect,
    SessionLimits, TargetConfig,
};
pub use events::{CloseReason, ConnId, Event};
pub use registry::{RegistryError, TargetId, MAX_LUN};
pub use rtgt_proto::random::{RandomSource, SeededRandom};

use std::net::SocketAddr;
use std::time::Instant;

use rtgt_proto::pdu::{DecoderConfig, Digests, EncodedParts, StreamDecoder};
use rtgt_scsi::{BackstoreError, IoData, IoId, IoRequest};

use conn::{Conn, ConnState};
use registry::Registry;
use tables::Tables;
use timers::Timer;

/// Names one backstore request: the target, the LUN and the disk's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IoTag {
    /// The target's id.
    pub target: TargetId,
    pub lun: u16,
    pub id: IoId,
    /// The instance of the LUN's disk the request belongs to: a LUN removed
    /// and added again has a new one, and completions of the old one's
    /// requests are dropped.
    pub instance: u64,
}

/// The iSCSI target engine of one portal group. See the module docs.
///
/// It drives the parts that own the state, gathered in its tables: the
/// connection table (each connection's stage, StatSN and queued frames),
/// the session table (each session's CmdSN window, tasks and pending task
/// management), the registry of targets, the timer table and the event
/// queue. It routes each PDU to them; closing connections and ending
/// sessions belong to the tables.
#[derive(Debug)]
pub struct TargetCore {
    /// The configuration, its targets moved to `reg`.
    cfg: PortalGroupConfig,
    rng: Box<dyn RandomSource>,
    /// The targets, connections, sessions, timers and events.
    tables: Tables,
    /// Set by [`TargetCore::shutdown`]: logins are refused and new
    /// connections closed.
    shutting_down: bool,
}

impl TargetCore {
    /// A core serving `cfg`, with randomness from `rng`. The targets of
    /// `cfg` get ids 1, 2, 3... in order ([`TargetId::from_position`]).
    pub fn new(mut cfg: PortalGroupConfig, rng: Box<dyn RandomSource>) -> Self {
        let mut targets = std::mem::take(&mut cfg.targets);
        for t in &mut targets {
            t.luns.set_alua(cfg.alua.clone());
        }
        let reg = Registry::new(targets);
        TargetCore {
            cfg,
            rng,
            tables: Tables::new(reg),
            shutting_down: false,
        }
    }

    /// The configuration of the portal group; its `targets` are empty,
    /// the live targets are given by [`TargetCore::targets`].
    pub fn config(&self) -> &PortalGroupConfig {
        &self.cfg
    }

    /// A new transport connection from `peer` to our `local` address.
    pub fn accept(&mut self, conn: ConnId, peer: SocketAddr, local: SocketAddr, now: Instant) {
        let stat_sn = self.rng.next_u32();
        self.tables.conns.insert(
            conn,
            Conn {
                peer,
                local,
                decoder: StreamDecoder::new(DecoderConfig::LOGIN),
                digests: Digests::NONE,
                state: ConnState::Login { login: None },
                cid: 0,
                stat_sn,
                exp_stat_sn: 0,
                max_send: rtgt_proto::pdu::LOGIN_MAX_DATA_SEGMENT_LENGTH,
                accepted: 0,
            },
        );
        let limits = &self.cfg.limits;
        let timers = &mut self.tables.timers;
        timers.set(conn, Timer::Login, now + limits.login_timeout);
        timers.set(conn, Timer::FirstPdu, now + limits.first_pdu_timeout);
        if self.shutting_down {
            // Nothing is closed to make room for a connection refused anyway.
            self.tables.close_conn(conn, CloseReason::Shutdown);
        } else {
            self.tables.admit(conn, limits);
        }
    }

    /// Bytes received on `conn`, in any split.
    pub fn handle_bytes(&mut self, conn: ConnId, now: Instant, bytes: &[u8]) {
        let Some(c) = self.tables.conns.get_mut(&conn) else {
            return;
        };
        if !c.is_open() {
            return;
        }
        c.decoder.feed(bytes);
        while self.tables.conns.is_open(conn) {
            let Some(c) = self.tables.conns.get_mut(&conn) else {
                break;
            };
            match c.decoder.next_frame() {
                None => break,
                Some(Ok(raw)) => self.on_frame(conn, now, raw),
                Some(Err(e)) => self.on_decode_error(conn, now, e),
            }
        }
        if self
            .tables
            .conns
            .get(&conn)
            .is_some_and(|c| c.login().is_some() || c.full().is_some())
        {
            // The Login Request came (RFC 7143 §6.1): the login timeout
            // alone bounds the rest.
            self.tables.timers.cancel(conn, Timer::FirstPdu);
        }
        self.tables
            .conns
            .rearm_nop(&mut self.tables.timers, conn, self.cfg.nop.interval, now);
        let held = self.tables.conns.held_bytes(conn, &self.tables.sessions);
        if held.is_some_and(|n| n > self.cfg.limits.max_buffered_bytes) {
            // Limits::max_buffered_bytes: unframed input plus the write
            // data of the connection's tasks.
            self.tables.limit_hit(conn, "buffered bytes");
        }
        self.pump(now);
    }

    /// The transport connection closed (EOF, reset, or after our own close).
    pub fn handle_closed(&mut self, conn: ConnId, now: Instant) {
        if self.tables.conns.is_open(conn) {
            self.tables.drop_conn(
                conn,
                CloseReason::StreamLost("closed by the peer".into()),
                false,
            );
        }
        self.tables.conns.remove(&conn);
        self.pump(now);
    }

    /// Time passed: login timeouts, NOP-In pings and their timeouts, the end
    /// of a shutdown's grace period.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (id, timer) in self.tables.timers.due(now) {
            // An earlier timer may have closed this connection.
            if !self.tables.conns.is_open(id) {
                continue;
            }
            match timer {
                Timer::Login => self.tables.close_conn(id, CloseReason::LoginTimeout),
                Timer::FirstPdu => self.tables.limit_hit(id, "first PDU deadline"),
                Timer::CloseAfterLogout => self.tables.close_conn(id, CloseReason::Shutdown),
                Timer::PingAnswer => self.tables.close_conn(id, CloseReason::NopTimeout),
                Timer::NopDue => {
                    let deadline = now + self.cfg.nop.timeout;
                    self.tables.conns.ping(
                        &mut self.tables.sessions,
                        &mut self.tables.timers,
                        id,
                        deadline,
                    )
                }
            }
        }
        self.pump(now);
    }

    /// A backstore request finished.
    pub fn handle_io_complete(
        &mut self,
        tag: IoTag,
        result: Result<IoData, BackstoreError>,
        now: Instant,
    ) {
        // A request of a removed LUN (or of a disk since replaced at its
        // number) has nobody to complete: it is dropped.
        if self.tables.reg.instance(tag.target, tag.lun) == tag.instance {
            if let Some(t) = self.tables.reg.get_mut(tag.target) {
                t.luns.handle_io_complete(tag.lun, tag.id, result);
            }
        }
        self.pump(now);
    }

    /// The next frame to write, in three parts for a vectored write (the
    /// data segment is shared, not copied).
    pub fn poll_transmit(&mut self) -> Option<(ConnId, EncodedParts)> {
        self.tables.conns.pop_tx()
    }

    /// The next backstore request to run.
    pub fn poll_io(&mut self) -> Option<(IoTag, IoRequest)> {
        let (target, (lun, io)) = self.tables.reg.poll_luns(|l| l.poll_io())?;
        let tag = self.tables.reg.io_tag(target, lun, io.id);
        Some((tag, io))
    }

    /// The next persistent reservation state to store durably (a LUN whose
    /// reservations have APTPL set, SPC-5 §5.14.5): the driver writes and
    /// syncs it, then completes it like a backstore request with
    /// [`TargetCore::handle_io_complete`] (`Ok(IoData::Done)`, or an error,
    /// which fails the PERSISTENT RESERVE OUT command).
    pub fn poll_persist(&mut self) -> Option<(IoTag, rtgt_scsi::PrState)> {
        let (target, (lun, p)) = self.tables.reg.poll_luns(|l| l.poll_persist())?;
        let tag = self.tables.reg.io_tag(target, lun, p.id);
        Some((tag, p.state))
    }

    /// The next event: connections to close and lines to log.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.tables.events.pop_front()
    }

    /// The earliest deadline, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.tables.timers.earliest()
    }

    /// Sessions in full feature phase.
    pub fn session_count(&self) -> usize {
        self.tables.sessions.len()
    }

    /// Connections not yet closed.
    pub fn connection_count(&self) -> usize {
        self.tables.conns.open_count()
    }

    /// Moves disk completions to the initiators.
    pub(crate) fn pump(&mut self, _now: Instant) {
        while let Some((target, completion)) = self.tables.reg.poll_luns(|l| l.poll_completion()) {
            self.on_completion(target, completion);
        }
    }
}

//! The engine task: the one [`TargetCore`] of the portal group, fed by the
//! connection tasks over a channel. It never blocks: backstore requests run
//! on tokio's blocking pool and come back over another channel.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtgt_scsi::{Backstore, BackstoreError, IoData, IoOp, IoRequest};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn, Span};

use super::conn::{ConnHandle, Input, Out};
use super::control::AdminCall;
use super::control_engine;
use super::persist::ConfigFile;
use crate::admin::AdminState;
use crate::config::{AdminSeed, LunBackend, Source};
use crate::core::{CloseReason, ConnId, Event, IoTag, TargetCore, TargetId};

type Luns = BTreeMap<(TargetId, u16), LunBackend>;
type IoDone = (IoTag, Result<IoData, BackstoreError>);

/// Input messages handled per wake-up before the outputs are drained.
const INPUT_BATCH: usize = 64;

struct Engine {
    core: TargetCore,
    luns: Luns,
    /// Per LUN with a `sanitize_rate`: when its pacing lets the next
    /// background request start.
    background_next: BTreeMap<(TargetId, u16), Instant>,
    conns: BTreeMap<ConnId, Conn>,
    sessions: BTreeMap<u16, Span>,
    io_tx: mpsc::UnboundedSender<IoDone>,
    in_flight: usize,
    /// tgtd's view of the targets, for the control socket.
    admin: AdminState,
    /// The configuration file, for `--dump` and `persist`.
    file: ConfigFile,
}

struct Conn {
    /// `None` once the core asked for the connection to be closed.
    handle: Option<ConnHandle>,
    span: Span,
}

/// The engine's channels to the rest of the daemon.
pub(crate) struct Channels {
    /// From the connection tasks.
    pub input: mpsc::Receiver<Input>,
    /// From the control socket.
    pub admin: mpsc::Receiver<AdminCall>,
    /// The shutdown signal.
    pub stop: oneshot::Receiver<()>,
    /// To the iSNS client: the targets served, after each control request.
    pub nodes: watch::Sender<Vec<super::isns::Node>>,
}

/// Runs the core until `stop` fires (or tgtadm's `--op delete --mode
/// system`) and every connection and request is gone (or `grace` plus a
/// margin passed), then makes every backstore's writes durable. Gives
/// whether tgtadm stopped it.
pub(crate) async fn run(
    core: TargetCore,
    luns: Luns,
    channels: Channels,
    (seed, source): (AdminSeed, Option<Source>),
    grace: Duration,
) -> bool {
    let Channels {
        mut input,
        admin: mut admin_rx,
        mut stop,
        nodes,
    } = channels;
    let (io_tx, mut io_rx) = mpsc::unbounded_channel();
    let mut core = core;
    let admin = control_engine::seed(&mut core, &luns, &seed);
    let (file, writer) = ConfigFile::new(source.as_ref());
    let mut e = Engine {
        admin,
        file,
        core,
        luns,
        background_next: BTreeMap::new(),
        conns: BTreeMap::new(),
        sessions: BTreeMap::new(),
        io_tx,
        in_flight: 0,
    };
    let mut stopping: Option<Instant> = None;
    let mut deleted = false;
    loop {
        let far = Instant::now() + Duration::from_secs(3600);
        let deadline = e.core.poll_timeout().unwrap_or(far);
        tokio::select! {
            biased;
            Some(done) = io_rx.recv() => {
                e.io_done(done);
                while let Ok(done) = io_rx.try_recv() {
                    e.io_done(done);
                }
            }
            msg = input.recv() => {
                let Some(msg) = msg else { break };
                e.input(msg);
                for _ in 0..INPUT_BATCH {
                    match input.try_recv() {
                        Ok(msg) => e.input(msg),
                        Err(_) => break,
                    }
                }
            }
            Some(call) = admin_rx.recv() => {
                let stop_now = control_engine::handle(&mut e.core, &mut e.luns, &mut e.admin, &mut e.file, call, Instant::now());
                let now_serving = nodes_of(&e.core);
                nodes.send_if_modified(|v| {
                    let changed = *v != now_serving;
                    *v = now_serving;
                    changed
                });
                if stop_now && stopping.is_none() {
                    deleted = true;
                    let now = Instant::now();
                    e.core.shutdown(now, grace);
                    stopping = Some(now);
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                e.core.handle_timeout(Instant::now());
            }
            _ = &mut stop, if stopping.is_none() => {
                info!(connections = e.conns.len(), "shutting down: asking initiators to log out");
                let now = Instant::now();
                e.core.shutdown(now, grace);
                stopping = Some(now);
            }
        }
        e.drain();
        if let Some(at) = stopping {
            let idle = e.conns.is_empty() && e.in_flight == 0;
            if idle || at.elapsed() > grace + Duration::from_secs(5) {
                break;
            }
        }
    }
    e.sync_all().await;
    // The files of the last changes are written before the daemon exits.
    drop(e);
    if let Some(w) = writer {
        let _ = w.await;
    }
    deleted
}

/// The targets the core serves, by name and alias, for iSNS.
pub(crate) fn nodes_of(core: &TargetCore) -> Vec<super::isns::Node> {
    core.targets()
        .map(|(_, t)| (t.name.clone(), t.alias.clone()))
        .collect()
}

impl Engine {
    fn input(&mut self, msg: Input) {
        let now = Instant::now();
        match msg {
            Input::Accepted {
                id,
                peer,
                local,
                handle,
            } => {
                handle.span.in_scope(|| debug!(%local, "accepted"));
                let span = handle.span.clone();
                self.conns.insert(
                    id,
                    Conn {
                        handle: Some(handle),
                        span,
                    },
                );
                self.core.accept(id, peer, local, now);
            }
            Input::Bytes(id, bytes) => self.core.handle_bytes(id, now, &bytes),
            Input::Closed(id) => {
                self.core.handle_closed(id, now);
                self.conns.remove(&id);
            }
        }
    }

    fn io_done(&mut self, (tag, res): IoDone) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.complete(tag, res);
    }

    /// Hands a request's result to the core.
    fn complete(&mut self, tag: IoTag, res: Result<IoData, BackstoreError>) {
        if let Err(err) = &res {
            warn!(
                tid = tag.target.0,
                lun = tag.lun,
                "backstore request failed: {err}"
            );
        }
        self.core.handle_io_complete(tag, res, Instant::now());
    }

    /// Moves everything the core produced to the writers, the blocking
    /// pool and the log.
    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some((id, parts)) = self.core.poll_transmit() {
                progressed = true;
                if let Some(h) = self.conns.get(&id).and_then(|c| c.handle.as_ref()) {
                    h.queued.fetch_add(parts.len(), Ordering::AcqRel);
                    let _ = h.tx.send(Out::Frame(parts));
                }
            }
            while let Some((tag, io)) = self.core.poll_io() {
                progressed = true;
                self.spawn_io(tag, io);
            }
            while let Some((tag, state)) = self.core.poll_persist() {
                progressed = true;
                self.spawn_persist(tag, state);
            }
            while let Some(ev) = self.core.poll_event() {
                progressed = true;
                self.event(ev);
            }
            if !progressed {
                break;
            }
        }
    }

    fn spawn_io(&mut self, tag: IoTag, io: IoRequest) {
        // EXTENDED COPY between LUNs: the request may run on another LUN's
        // backstore; its pacing is the issuing LUN's.
        let store = self
            .luns
            .get(&(tag.target, io.backstore_lun(tag.lun)))
            .map(|l| l.store.clone());
        let lun = self.luns.get(&(tag.target, tag.lun));
        let start = match lun.and_then(|l| l.sanitize_rate) {
            Some(rate) if io.background => Some(self.pace(tag, &io.op, rate)),
            _ => None,
        };
        if start.is_none() && !io.background {
            if let Some(res) = store.as_deref().and_then(|s| run_inline(&io, s)) {
                self.complete(tag, res);
                return;
            }
        }
        let tx = self.io_tx.clone();
        self.in_flight += 1;
        let run = move || {
            let res = match store {
                Some(s) => io.execute(s.as_ref()),
                None => Err(BackstoreError::Io),
            };
            let _ = tx.send((tag, res));
        };
        match start {
            Some(at) => {
                tokio::spawn(async move {
                    tokio::time::sleep_until(at.into()).await;
                    let _ = tokio::task::spawn_blocking(run).await;
                });
            }
            None => {
                tokio::task::spawn_blocking(run);
            }
        }
    }

    /// When a background request of `rate` bytes per second may start:
    /// each one holds the LUN's pacing for its length's worth of time.
    fn pace(&mut self, tag: IoTag, op: &IoOp, rate: u64) -> Instant {
        let bytes = op_bytes(op);
        let now = Instant::now();
        let next = self
            .background_next
            .entry((tag.target, tag.lun))
            .or_insert(now);
        let start = (*next).max(now);
        // Saturates instead of overflowing on a tiny rate and a huge request.
        let hold = Duration::try_from_secs_f64(bytes as f64 / rate as f64).unwrap_or(Duration::MAX);
        *next = start
            .checked_add(hold)
            .unwrap_or(start + Duration::from_secs(86_400 * 365));
        start
    }

    /// Stores a LUN's reservation state (APTPL) on the blocking pool; the
    /// PERSISTENT RESERVE OUT completes once it is synced, or fails with a
    /// write error when it cannot be (no state file for the LUN: a LUN that
    /// offers APTPL without one is a configuration bug).
    fn spawn_persist(&mut self, tag: IoTag, state: rtgt_scsi::PrState) {
        let path = self
            .luns
            .get(&(tag.target, tag.lun))
            .and_then(|l| l.state_file.clone());
        let tx = self.io_tx.clone();
        self.in_flight += 1;
        tokio::task::spawn_blocking(move || {
            let res = match path {
                Some(p) => crate::config::state::save(&p, &state).map_err(|e| {
                    warn!(path = %p.display(), "cannot store reservation state: {e}");
                    BackstoreError::Io
                }),
                None => {
                    warn!("no state file for this lun: reservation state not stored");
                    Err(BackstoreError::Io)
                }
            };
            let _ = tx.send((tag, res.map(|()| IoData::Done)));
        });
    }

    fn event(&mut self, ev: Event) {
        match ev {
            Event::Close { conn, peer, reason } => {
                let span = self.conn_span(conn);
                let _g = span.enter();
                match &reason {
                    CloseReason::Logout
                    | CloseReason::Shutdown
                    | CloseReason::SessionEnded
                    | CloseReason::Reinstated
                    | CloseReason::TargetRemoved
                    | CloseReason::LoginFailed(_) => info!(%peer, ?reason, "closing"),
                    _ => warn!(%peer, ?reason, "closing"),
                }
                if let Some(h) = self.conns.get_mut(&conn).and_then(|c| c.handle.take()) {
                    let _ = h.tx.send(Out::Close);
                }
            }
            Event::LoginFailed {
                conn,
                peer,
                status,
                why,
            } => {
                let span = self.conn_span(conn);
                span.in_scope(|| warn!(%peer, ?status, "login failed: {why}"));
            }
            Event::SessionCreated {
                tsih,
                isid,
                initiator,
                target,
                peer,
            } => {
                let target = target.unwrap_or_else(|| "discovery".into());
                let span = tracing::info_span!("session", tsih, %initiator, %target);
                span.in_scope(|| info!(%peer, ?isid, "session created"));
                self.sessions.insert(tsih, span);
            }
            Event::ConnectionAdded { tsih, cid, conn } => {
                let span = self.sessions.get(&tsih).cloned().unwrap_or_else(Span::none);
                span.in_scope(|| info!(cid, conn = conn.0, "connection added"));
            }
            Event::SessionEnded { tsih, reason, .. } => {
                let span = self.sessions.remove(&tsih).unwrap_or_else(Span::none);
                span.in_scope(|| info!(%reason, "session ended"));
            }
            Event::LimitExceeded { conn, peer, limit } => {
                let span = self.conn_span(conn);
                span.in_scope(|| warn!(%peer, limit, "limit exceeded"));
            }
            Event::PeerError { conn, peer, what } => {
                let span = self.conn_span(conn);
                span.in_scope(|| warn!(%peer, "peer error: {what}"));
            }
        }
    }

    fn conn_span(&self, conn: ConnId) -> Span {
        self.conns
            .get(&conn)
            .map_or_else(Span::none, |c| c.span.clone())
    }

    /// SBC-4 §5.27: what was acknowledged reaches stable storage before the
    /// daemon exits.
    async fn sync_all(&self) {
        for (&(t, lun), backend) in &self.luns {
            let store = backend.store.clone();
            let res = tokio::task::spawn_blocking(move || store.flush()).await;
            match res {
                Ok(Ok(())) => debug!(tid = t.0, lun, "synced"),
                Ok(Err(e)) => warn!(tid = t.0, lun, "sync failed: {e}"),
                Err(e) => warn!(tid = t.0, lun, "sync task failed: {e}"),
            }
        }
    }
}

/// The most bytes a request may move on the engine's thread: larger
/// ones go to the blocking pool even on a RAM disk, so that one command
/// does not hold up every connection for long.
const INLINE_MAX: u64 = 1 << 20;

/// The bytes a request reads, writes or covers.
fn op_bytes(op: &IoOp) -> u64 {
    match op {
        IoOp::Read { len, .. }
        | IoOp::WriteZeroes { len, .. }
        | IoOp::Deallocate { len, .. }
        | IoOp::Allocation { len, .. } => *len,
        IoOp::Write { data, .. } => data.len() as u64,
        IoOp::Flush => 0,
    }
}

/// Runs a request on the engine's thread when it cannot wait for a
/// device: any request of at most [`INLINE_MAX`] bytes on a store held in
/// memory, and reads and writes without FUA a file serves from its page
/// cache (`RWF_NOWAIT`). `None`: run it on the blocking pool.
fn run_inline(io: &IoRequest, store: &dyn Backstore) -> Option<Result<IoData, BackstoreError>> {
    if op_bytes(&io.op) > INLINE_MAX {
        return None;
    }
    if store.never_waits() {
        return Some(io.execute(store));
    }
    match &io.op {
        IoOp::Read { offset, len } => {
            let mut buf = BytesMut::zeroed(usize::try_from(*len).ok()?);
            store
                .read_at_nowait(*offset, &mut buf)
                .then(|| Ok(IoData::Read(buf.freeze())))
        }
        IoOp::Write {
            offset,
            data,
            fua: false,
        } => store
            .write_at_nowait(*offset, data)
            .then_some(Ok(IoData::Done)),
        _ => None,
    }
}

//! The task that owns one TCP connection and its [`Initiator`] core.
//!
//! Requests arrive over a channel; the driver hands them to the core, writes
//! what the core queues (vectored, through a writer task so that reading never
//! waits on a full send buffer), feeds the core what the socket reads, calls
//! its timeout, and turns its events into the answers the callers wait for.
//! Every protocol decision is the core's: this file only moves bytes and
//! events.

use std::collections::BTreeMap;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtgt_proto::pdu::{EncodedParts, Isid, LogoutReason, Lun, TmfFunction, TmfResponseCode};
use rtgt_proto::text::{OperationalParams, Pair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::error::{ClientError, Result};
use crate::core::{
    CloseReason, DiscoveredTarget, Event, Initiator, ProtocolViolation, ScsiRequest, ScsiResult,
    SendTargets, TargetAddress, TaskHandle, TaskOutcome,
};

/// What a login gave.
#[derive(Debug, Clone)]
pub struct LoginInfo {
    /// The ISID used.
    pub isid: Isid,
    /// The TSIH the target gave the session.
    pub tsih: u16,
    /// The operational parameters in force.
    pub params: OperationalParams,
    /// Every key the target sent during the login, in order.
    pub target_keys: Vec<Pair>,
}

/// How a login attempt on one connection ended.
#[derive(Debug)]
pub(crate) enum LoginOutcome {
    Complete(LoginInfo),
    Redirected(TargetAddress),
}

type Reply<T> = oneshot::Sender<Result<T>>;

/// A request from a [`Session`](super::Session) handle.
#[derive(Debug)]
pub(crate) enum Request {
    Scsi {
        req: ScsiRequest,
        started: oneshot::Sender<Result<TaskHandle>>,
        done: Reply<ScsiResult>,
    },
    Ping {
        data: Bytes,
        done: Reply<Duration>,
    },
    Tmf {
        function: TmfFunction,
        lun: Lun,
        referenced: Option<TaskHandle>,
        done: Reply<TmfResponseCode>,
    },
    SendTargets {
        query: SendTargets,
        done: Reply<Vec<DiscoveredTarget>>,
    },
    Logout {
        done: Reply<()>,
    },
}

/// Who waits for a task of the core.
#[derive(Debug)]
enum Waiter {
    Scsi(Reply<ScsiResult>),
    Ping(Reply<Duration>),
    Tmf(Reply<TmfResponseCode>),
    Discovery(Reply<Vec<DiscoveredTarget>>),
    Logout(Reply<()>),
}

/// Why the connection ended, kept to answer every waiter left.
#[derive(Debug, Clone)]
enum Ending {
    Closed(CloseReason),
    Violation(ProtocolViolation),
    Io(std::io::ErrorKind, String),
    Eof,
}

impl Ending {
    fn error(&self) -> ClientError {
        match self {
            Ending::Closed(reason) => ClientError::SessionClosed {
                reason: reason.clone(),
            },
            Ending::Violation(v) => ClientError::Violation(v.clone()),
            Ending::Io(kind, msg) => ClientError::Io(std::io::Error::new(*kind, msg.clone())),
            Ending::Eof => ClientError::ConnectionClosed,
        }
    }
}

/// How many frames one vectored write gathers at most.
const WRITE_BATCH: usize = 64;
/// Read buffer size.
const READ_CHUNK: usize = 1024 * 1024;

pub(crate) struct Driver {
    ini: Initiator,
    requests: mpsc::Receiver<Request>,
    login: Option<oneshot::Sender<Result<LoginOutcome>>>,
    waiters: BTreeMap<TaskHandle, Waiter>,
    ending: Option<Ending>,
}

impl Driver {
    /// Runs the core over `stream` until the session ends. The login result
    /// goes to `login`.
    pub(crate) async fn run(
        ini: Initiator,
        stream: TcpStream,
        requests: mpsc::Receiver<Request>,
        login: oneshot::Sender<Result<LoginOutcome>>,
    ) {
        let (read, write) = stream.into_split();
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (werr_tx, werr_rx) = oneshot::channel();
        let writer = tokio::spawn(writer(write, out_rx, werr_tx));
        let mut driver = Driver {
            ini,
            requests,
            login: Some(login),
            waiters: BTreeMap::new(),
            ending: None,
        };
        driver.main(read, &out_tx, werr_rx).await;
        // Whatever the core queued last (a Logout Request's answer needs
        // none) is flushed by the writer before it closes our half.
        drop(out_tx);
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    }

    async fn main(
        &mut self,
        mut read: OwnedReadHalf,
        out: &mpsc::UnboundedSender<EncodedParts>,
        mut werr: oneshot::Receiver<std::io::Error>,
    ) {
        if let Err(e) = self.ini.login(Instant::now()) {
            self.finish_login(Err(e.into()));
            return;
        }
        let mut buf = vec![0u8; READ_CHUNK];
        let mut accepting = true;
        loop {
            while let Some(parts) = self.ini.poll_transmit() {
                if out.send(parts).is_err() {
                    break;
                }
            }
            if self.dispatch_events() {
                break;
            }
            let deadline = self.ini.poll_timeout();
            let sleep_to = deadline.map_or_else(
                || tokio::time::Instant::now() + Duration::from_secs(3600),
                tokio::time::Instant::from_std,
            );
            tokio::select! {
                r = read.read(&mut buf) => match r {
                    Ok(0) => {
                        tracing::debug!("the target closed the connection");
                        self.ending.get_or_insert(Ending::Eof);
                        self.ini.close_local();
                    }
                    Ok(n) => self.ini.handle_bytes(Instant::now(), buf.get(..n).unwrap_or_default()),
                    Err(e) => {
                        self.ending.get_or_insert(Ending::Io(e.kind(), e.to_string()));
                        self.ini.close_local();
                    }
                },
                req = self.requests.recv(), if accepting => match req {
                    Some(req) => self.request(req),
                    None => {
                        // Every handle is gone: nobody can wait for anything.
                        accepting = false;
                        self.ini.close_local();
                    }
                },
                _ = tokio::time::sleep_until(sleep_to), if deadline.is_some() => {
                    self.ini.handle_timeout(Instant::now());
                }
                e = &mut werr => {
                    if let Ok(e) = e {
                        self.ending.get_or_insert(Ending::Io(e.kind(), e.to_string()));
                    }
                    self.ini.close_local();
                }
            }
        }
        let ending = self
            .ending
            .clone()
            .unwrap_or(Ending::Closed(CloseReason::Local));
        if let Some(login) = self.login.take() {
            let _ = login.send(Err(ending.error()));
        }
        for (_, w) in std::mem::take(&mut self.waiters) {
            let e = ending.error();
            match w {
                Waiter::Scsi(r) => drop(r.send(Err(e))),
                Waiter::Ping(r) => drop(r.send(Err(e))),
                Waiter::Tmf(r) => drop(r.send(Err(e))),
                Waiter::Discovery(r) => drop(r.send(Err(e))),
                Waiter::Logout(r) => drop(r.send(Err(e))),
            }
        }
        // Requests still queued: their senders drop here and their callers
        // see the session gone.
        self.requests.close();
    }

    fn finish_login(&mut self, r: Result<LoginOutcome>) {
        if let Some(login) = self.login.take() {
            let _ = login.send(r);
        }
    }

    /// Hands a request to the core.
    fn request(&mut self, req: Request) {
        let now = Instant::now();
        match req {
            Request::Scsi { req, started, done } => match self.ini.submit(now, req) {
                Ok(h) => {
                    self.waiters.insert(h, Waiter::Scsi(done));
                    let _ = started.send(Ok(h));
                }
                Err(e) => drop(started.send(Err(e.into()))),
            },
            Request::Ping { data, done } => match self.ini.ping(now, data) {
                Ok(h) => drop(self.waiters.insert(h, Waiter::Ping(done))),
                Err(e) => drop(done.send(Err(e.into()))),
            },
            Request::Tmf {
                function,
                lun,
                referenced,
                done,
            } => match self.ini.task_management(now, function, lun, referenced) {
                Ok(h) => drop(self.waiters.insert(h, Waiter::Tmf(done))),
                Err(e) => drop(done.send(Err(e.into()))),
            },
            Request::SendTargets { query, done } => match self.ini.send_targets(now, query) {
                Ok(h) => drop(self.waiters.insert(h, Waiter::Discovery(done))),
                Err(e) => drop(done.send(Err(e.into()))),
            },
            Request::Logout { done } => match self.ini.logout(now, LogoutReason::CloseSession) {
                Ok(h) => drop(self.waiters.insert(h, Waiter::Logout(done))),
                Err(e) => drop(done.send(Err(e.into()))),
            },
        }
    }

    /// Answers waiters from the core's events; true once the session closed.
    fn dispatch_events(&mut self) -> bool {
        let mut closed = false;
        while let Some(ev) = self.ini.poll_event() {
            match ev {
                Event::LoginComplete {
                    isid,
                    tsih,
                    params,
                    target_keys,
                } => self.finish_login(Ok(LoginOutcome::Complete(LoginInfo {
                    isid,
                    tsih,
                    params,
                    target_keys,
                }))),
                Event::Redirected { address, .. } => {
                    self.finish_login(Ok(LoginOutcome::Redirected(address)))
                }
                Event::LoginFailed(e) => self.finish_login(Err(ClientError::Login(e))),
                Event::TaskComplete { task, outcome } => {
                    if let Some(Waiter::Scsi(r)) = self.waiters.remove(&task) {
                        let _ = r.send(self.outcome(outcome));
                    }
                }
                Event::TmfComplete { task, response, .. } => {
                    if let Some(Waiter::Tmf(r)) = self.waiters.remove(&task) {
                        let _ = r.send(Ok(response));
                    }
                }
                Event::PingReply { task, rtt, .. } => {
                    if let Some(Waiter::Ping(r)) = self.waiters.remove(&task) {
                        let _ = r.send(Ok(rtt));
                    }
                }
                Event::Discovery { task, targets } => {
                    if let Some(Waiter::Discovery(r)) = self.waiters.remove(&task) {
                        let _ = r.send(Ok(targets));
                    }
                }
                Event::LoggedOut { .. } => {
                    let logout = self
                        .waiters
                        .iter()
                        .find(|(_, w)| matches!(w, Waiter::Logout(_)))
                        .map(|(h, _)| *h);
                    if let Some(Waiter::Logout(r)) = logout.and_then(|h| self.waiters.remove(&h)) {
                        let _ = r.send(Ok(()));
                    }
                }
                Event::Violation(v) => {
                    tracing::warn!(violation = %v, "target protocol violation");
                    if self.ending.is_none() {
                        self.ending = Some(Ending::Violation(v));
                    }
                }
                Event::PingTimeout { .. } => {
                    tracing::warn!("the target did not answer our NOP-Out in time");
                }
                Event::DigestError { header, itt } => {
                    tracing::warn!(header, ?itt, "digest error");
                }
                Event::Rejected { reason, itt } => {
                    tracing::warn!(%reason, ?itt, "the target rejected a PDU");
                }
                Event::LogoutRequested { within } => {
                    tracing::info!(?within, "the target asked for a logout");
                }
                Event::Async(m) => tracing::debug!(?m, "asynchronous message"),
                Event::TargetPing { ttt } => tracing::trace!(ttt, "answered the target's ping"),
                Event::Received(_) => {}
                Event::Closed(reason) => {
                    tracing::debug!(?reason, "session closed");
                    if self.ending.is_none() {
                        self.ending = Some(Ending::Closed(reason));
                    }
                    closed = true;
                }
            }
        }
        closed
    }

    fn outcome(&self, outcome: TaskOutcome) -> Result<ScsiResult> {
        match outcome {
            TaskOutcome::Completed(r) => Ok(r),
            TaskOutcome::Aborted { function, .. } => Err(ClientError::Aborted { function }),
            TaskOutcome::Rejected(reason) => Err(ClientError::Rejected(reason)),
            TaskOutcome::DataDigestError => Err(ClientError::DataDigest),
            TaskOutcome::SessionClosed => Err(self
                .ending
                .clone()
                .unwrap_or(Ending::Closed(CloseReason::Local))
                .error()),
        }
    }
}

/// Writes every frame it receives, gathering up to [`WRITE_BATCH`] frames
/// into one vectored write; reports the first error.
async fn writer(
    mut w: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<EncodedParts>,
    err: oneshot::Sender<std::io::Error>,
) {
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    while rx.recv_many(&mut batch, WRITE_BATCH).await > 0 {
        if let Err(e) = write_frames(&mut w, &batch).await {
            let _ = err.send(e);
            return;
        }
        batch.clear();
    }
    let _ = w.shutdown().await;
}

async fn write_frames(w: &mut OwnedWriteHalf, frames: &[EncodedParts]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = frames
        .iter()
        .flat_map(|f| f.slices())
        .filter(|s| !s.is_empty())
        .map(IoSlice::new)
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        let n = w.write_vectored(rest).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    Ok(())
}

//! [`Session`]: a logged-in iSCSI session driven by a tokio task, with
//! requests that complete independently.

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rtgt_os::OsRandom;
use rtgt_proto::pdu::{Lun, TmfFunction, TmfResponseCode};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::driver::{Driver, LoginInfo, LoginOutcome, Request};
use super::error::{ClientError, Result};
use crate::core::{
    Host, Initiator, InitiatorConfig, ScsiRequest, ScsiResult, TargetAddress, TaskHandle,
};

/// How a [`Session`] connects and how long it waits.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Names, credentials and keys for the core (its `login_timeout` bounds
    /// the login, its `nop_timeout` each ping).
    pub initiator: InitiatorConfig,
    /// Time allowed for the TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for each command, task management function and logout;
    /// `None` waits for ever.
    pub command_timeout: Option<Duration>,
    /// How many login redirects (RFC 7143 §11.13.5, status class 1) to follow.
    pub max_redirects: usize,
    /// Requests that may wait for the driver before callers are held back.
    pub queue: usize,
}

impl ClientConfig {
    /// Defaults around `initiator`: 10 s to connect, 60 s per command, four
    /// redirects.
    pub fn new(initiator: InitiatorConfig) -> Self {
        ClientConfig {
            initiator,
            connect_timeout: Duration::from_secs(10),
            command_timeout: Some(Duration::from_secs(60)),
            max_redirects: 4,
            queue: 1024,
        }
    }
}

/// A logged-in session. Cloning gives another handle to the same session, so
/// that several tasks can issue commands at once; the session ends with
/// [`Session::logout`], or without a logout when every handle is dropped.
#[derive(Debug, Clone)]
pub struct Session {
    tx: mpsc::Sender<Request>,
    info: Arc<LoginInfo>,
    portal: TargetAddress,
    command_timeout: Option<Duration>,
    pub(crate) block_lengths: Arc<Mutex<BTreeMap<Lun, u32>>>,
}

/// A SCSI command sent and not yet answered: await it (it implements
/// [`IntoFuture`]) or keep its [`TaskHandle`] to abort it.
#[derive(Debug)]
pub struct PendingCommand {
    handle: TaskHandle,
    rx: oneshot::Receiver<Result<ScsiResult>>,
    timeout: Option<Duration>,
}

impl PendingCommand {
    /// The command's task (its Initiator Task Tag), for ABORT TASK.
    pub fn handle(&self) -> TaskHandle {
        self.handle
    }

    /// Waits for the command's outcome.
    pub async fn wait(self) -> Result<ScsiResult> {
        wait_reply(self.rx, self.timeout, "the SCSI command").await
    }
}

impl IntoFuture for PendingCommand {
    type Output = Result<ScsiResult>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<ScsiResult>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}

async fn wait_reply<T>(
    rx: oneshot::Receiver<Result<T>>,
    timeout: Option<Duration>,
    what: &'static str,
) -> Result<T> {
    let r = match timeout {
        Some(after) => tokio::time::timeout(after, rx)
            .await
            .map_err(|_| ClientError::Timeout { what, after })?,
        None => rx.await,
    };
    r.map_err(|_| ClientError::DriverGone)?
}

/// Resolves `addr` and opens a TCP connection with TCP_NODELAY.
pub(crate) async fn connect(addr: &TargetAddress, timeout: Duration) -> Result<TcpStream> {
    let host = match &addr.host {
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
        Host::Name(n) => n.clone(),
    };
    let shown = addr.to_string();
    let fut = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), addr.port))
            .await
            .map_err(|error| ClientError::Resolve {
                addr: shown.clone(),
                error,
            })?
            .collect();
        let mut last = None;
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(ClientError::Connect {
            addr: shown.clone(),
            error: last.unwrap_or_else(|| std::io::ErrorKind::NotFound.into()),
        })
    };
    let stream =
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| ClientError::ConnectTimeout {
                addr: shown.clone(),
                after: timeout,
            })??;
    // Commands are small and latency-bound: never hold them back (Nagle).
    stream.set_nodelay(true).map_err(ClientError::Io)?;
    Ok(stream)
}

/// Parses `host[:port]` (IPv6 in brackets; port 3260 when absent).
pub fn parse_portal(addr: &str) -> Result<TargetAddress> {
    addr.parse::<TargetAddress>()
        .map_err(|e| ClientError::Argument(format!("{e}; write host[:port], IPv6 as [addr]:port")))
}

impl Session {
    /// Connects to `addr` (`host[:port]`, IPv6 in brackets), logs in, and
    /// returns once in full feature phase. Redirects are followed.
    pub async fn login(addr: &str, config: ClientConfig) -> Result<Session> {
        let mut portal = parse_portal(addr)?;
        let mut redirects = 0;
        loop {
            let stream = connect(&portal, config.connect_timeout).await?;
            let ini = Initiator::new(
                config.initiator.clone(),
                OsRandom::new().map_err(ClientError::Random)?,
            );
            let (tx, rx) = mpsc::channel(config.queue.max(1));
            let (login_tx, login_rx) = oneshot::channel();
            tokio::spawn(Driver::run(ini, stream, rx, login_tx));
            match login_rx.await.map_err(|_| ClientError::DriverGone)?? {
                LoginOutcome::Complete(info) => {
                    tracing::debug!(%portal, tsih = info.tsih, "logged in");
                    return Ok(Session {
                        tx,
                        info: Arc::new(info),
                        portal,
                        command_timeout: config.command_timeout,
                        block_lengths: Arc::default(),
                    });
                }
                LoginOutcome::Redirected(to) => {
                    redirects += 1;
                    if redirects > config.max_redirects {
                        return Err(ClientError::TooManyRedirects {
                            count: redirects,
                            last: to,
                        });
                    }
                    tracing::info!(from = %portal, %to, "login redirected");
                    portal = to;
                }
            }
        }
    }

    /// What the login negotiated.
    pub fn info(&self) -> &LoginInfo {
        &self.info
    }

    /// The portal this session is connected to (after redirects).
    pub fn portal(&self) -> &TargetAddress {
        &self.portal
    }

    async fn send(&self, req: Request) -> Result<()> {
        self.tx.send(req).await.map_err(|_| ClientError::DriverGone)
    }

    /// Sends a SCSI command and returns once the core has taken it (it may
    /// still wait for the CmdSN window); await the [`PendingCommand`] for
    /// its outcome. Any status comes back as a [`ScsiResult`], CHECK
    /// CONDITION included.
    pub async fn start(&self, req: ScsiRequest) -> Result<PendingCommand> {
        let (started, started_rx) = oneshot::channel();
        let (done, rx) = oneshot::channel();
        self.send(Request::Scsi { req, started, done }).await?;
        let handle = started_rx.await.map_err(|_| ClientError::DriverGone)??;
        Ok(PendingCommand {
            handle,
            rx,
            timeout: self.command_timeout,
        })
    }

    /// Sends a SCSI command and waits for its outcome (any status).
    pub async fn scsi_command(&self, req: ScsiRequest) -> Result<ScsiResult> {
        self.start(req).await?.wait().await
    }

    /// A NOP-Out ping carrying `data`; returns the round trip time.
    pub async fn nop(&self, data: Bytes) -> Result<Duration> {
        let (done, rx) = oneshot::channel();
        self.send(Request::Ping { data, done }).await?;
        // The core closes the session after its own NOP timeout.
        wait_reply(rx, None, "the NOP-Out ping").await
    }

    /// A task management function; `referenced` names the task of ABORT
    /// TASK. Returns the target's answer, whatever it is.
    pub async fn task_management(
        &self,
        function: TmfFunction,
        lun: Lun,
        referenced: Option<TaskHandle>,
    ) -> Result<TmfResponseCode> {
        let (done, rx) = oneshot::channel();
        self.send(Request::Tmf {
            function,
            lun,
            referenced,
            done,
        })
        .await?;
        wait_reply(rx, self.command_timeout, "the task management function").await
    }

    /// Logs the session out (reason: close the session) and waits for the
    /// answer; the connection closes afterwards.
    pub async fn logout(&self) -> Result<()> {
        let (done, rx) = oneshot::channel();
        self.send(Request::Logout { done }).await?;
        wait_reply(rx, self.command_timeout, "the logout").await
    }

    pub(crate) async fn request_send_targets(
        &self,
        query: crate::core::SendTargets,
    ) -> Result<Vec<crate::core::DiscoveredTarget>> {
        let (done, rx) = oneshot::channel();
        self.send(Request::SendTargets { query, done }).await?;
        wait_reply(rx, self.command_timeout, "SendTargets").await
    }
}

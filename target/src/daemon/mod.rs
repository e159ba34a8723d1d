//! The tokio server behind `rtgtd`: a thin driver of the sans-IO core.
//!
//! One engine task owns the portal group's [`TargetCore`]; each TCP
//! connection has a reader task that hands it bytes over a bounded channel
//! and a writer task that writes its frames with vectored writes. Backstore
//! requests run on tokio's blocking pool, never on a network thread. A
//! single owner was chosen over a core behind a mutex: connection tasks
//! never contend for a lock, the core's outputs are routed in one place,
//! and the core stays as deterministic as in the simulator. tgtadm's
//! requests, from the optional control socket (`control`), reach the
//! same engine task over a channel of their own (`control_engine`).

mod conn;
mod control;
mod control_engine;
mod demo;
mod engine;
mod isns;
mod logging;
mod persist;
mod reload;

pub use control::tgt_socket_path;
pub use demo::{demo, DemoOptions, DEMO_IQN, DEMO_MOVED_IQN};
pub use logging::init_logging;
pub use rtgt_os::OsRandom;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{info, warn};

use crate::config::Built;
use crate::core::{ConnId, TargetCore};

/// Messages queued from the connections to the engine at most.
const INPUT_QUEUE: usize = 1024;

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Server {
    built: Built,
    listeners: Vec<TcpListener>,
    /// The control socket for tgtadm, and its path.
    control: Option<(std::os::unix::net::UnixListener, PathBuf)>,
    /// How long initiators get to log out at shutdown.
    pub grace: Duration,
    /// SIGHUP, registered at bind so that none is missed once the caller
    /// says it is ready.
    hup: Option<tokio::signal::unix::Signal>,
}

impl Server {
    /// Binds every portal of `built`.
    pub fn bind(mut built: Built) -> Result<Server> {
        let mut listeners = Vec::new();
        for addr in &built.listen {
            listeners.push(listen(*addr).with_context(|| {
                format!("cannot listen on {addr}: is another target running there?")
            })?);
        }
        // SendTargets reports the bound addresses (port 0 became a real
        // port); an empty list (a wildcard portal) stays empty.
        if !built.group.portals.is_empty() {
            built.group.portals = listeners
                .iter()
                .filter_map(|l| l.local_addr().ok())
                .collect();
        }
        let hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                warn!("cannot handle SIGHUP: {e}");
                None
            }
        };
        Ok(Server {
            built,
            listeners,
            control: None,
            grace: Duration::from_secs(5),
            hup,
        })
    }

    /// Also serves tgtd's management protocol on the AF_LOCAL socket at
    /// `path`, for tgtadm (see `daemon::control`).
    pub fn listen_control(&mut self, path: &Path) -> Result<()> {
        self.control = Some((control::bind(path)?, path.to_path_buf()));
        Ok(())
    }

    /// The addresses listened on (with the ports the OS chose for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// The core's configuration.
    pub fn built(&self) -> &Built {
        &self.built
    }

    /// Serves until `shutdown` completes, then logs every initiator out,
    /// drains IO and syncs the backstores.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        raise_fd_limit();
        let bound: Vec<SocketAddr> = self
            .listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let Built {
            group,
            luns,
            admin,
            source,
            isns,
            ..
        } = self.built;
        let max_queued = group.limits.max_buffered_bytes;
        let tpgt = group.tpgt;
        let core = TargetCore::new(group, Box::new(OsRandom::new()?));
        let (nodes_tx, nodes_rx) = watch::channel(engine::nodes_of(&core));
        let (isns_stop_tx, isns_stop_rx) = oneshot::channel();
        let isns = isns.map(|s| isns::start(s, bound, tpgt, nodes_rx, isns_stop_rx));
        let (input_tx, input_rx) = mpsc::channel(INPUT_QUEUE);
        let (stop_tx, stop_rx) = oneshot::channel();
        let next = Arc::new(AtomicU64::new(1));
        let mut accepts = Vec::new();
        for l in self.listeners {
            let (tx, next) = (input_tx.clone(), next.clone());
            accepts.push(tokio::spawn(accept_loop(l, tx, next, max_queued)));
        }
        drop(input_tx);
        let (admin_tx, admin_rx) = mpsc::channel(control::CONTROL_QUEUE);
        let config = source.as_ref().map(|s| s.path.clone());
        let hup = match (self.hup, &config) {
            (Some(hup), Some(path)) => Some(tokio::spawn(reload_on_hup(
                hup,
                path.clone(),
                admin_tx.clone(),
            ))),
            _ => None,
        };
        let control = self.control.map(|(l, path)| {
            info!(path = %path.display(), "control socket");
            (tokio::spawn(control::serve(l, admin_tx, config)), path)
        });
        let isns_stop = Arc::new(Mutex::new(Some(isns_stop_tx)));
        let isns_stop_on_signal = isns_stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            // Deregistered from iSNS first, so no initiator discovers a
            // target that is going away.
            stop_isns(&isns_stop_on_signal);
            let _ = stop_tx.send(());
        });
        let channels = engine::Channels {
            input: input_rx,
            admin: admin_rx,
            stop: stop_rx,
            nodes: nodes_tx,
        };
        let deleted = engine::run(core, luns, channels, (admin, source), self.grace).await;
        // tgtadm's `--op delete --mode system` ends the engine without the
        // shutdown signal: iSNS deregisters then.
        stop_isns(&isns_stop);
        if let Some(task) = isns {
            let _ = task.await;
        }
        for a in accepts {
            a.abort();
        }
        if let Some(task) = hup {
            task.abort();
        }
        if let Some((task, path)) = control {
            task.abort();
            // After tgtadm's `--op delete --mode system` the socket stays, as
            // tgtd leaves it: tgtadm waits until connecting to it is refused.
            if !deleted {
                let _ = std::fs::remove_file(path);
            }
        }
        info!("stopped");
        Ok(())
    }
}

/// Tells the iSNS client to deregister and end, once.
fn stop_isns(stop: &Mutex<Option<oneshot::Sender<()>>>) {
    if let Some(tx) = stop.lock().ok().and_then(|mut s| s.take()) {
        let _ = tx.send(());
    }
}

/// Reads the configuration file at `path` again on each SIGHUP and has the
/// engine apply the difference (`daemon::reload`).
async fn reload_on_hup(
    mut hup: tokio::signal::unix::Signal,
    path: PathBuf,
    engine: mpsc::Sender<control::AdminCall>,
) {
    while hup.recv().await.is_some() {
        info!(path = %path.display(), "SIGHUP: reading the configuration again");
        let command = crate::admin::Command::Reload;
        match control::carry_out(command, &engine, Some(&path)).await {
            Ok(_) => info!("SIGHUP: reload done"),
            Err(e) => warn!("SIGHUP: reload refused: {e}"),
        }
    }
}

/// Raises the soft limit on open files to the hard one: each connection
/// holds a descriptor, and the usual soft limit of 1024 would stop accepts
/// (and with them the pre-login budget's turnover) well before the
/// configured connection limits.
fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    // Linux refuses an unlimited soft limit on files (above fs.nr_open,
    // 1,048,576 by default).
    const NR_OPEN: u64 = 1 << 20;
    let now = getrlimit(Resource::Nofile);
    let want = now.maximum.unwrap_or(NR_OPEN);
    if now.current.is_none_or(|c| c >= want) {
        return;
    }
    let raised = Rlimit {
        current: Some(want),
        maximum: now.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => info!(from = ?now.current, to = want, "raised the open file limit"),
        Err(e) => warn!(
            "cannot raise the open file limit from {:?}: {e}",
            now.current
        ),
    }
}

/// A listening socket; IPv6 sockets are IPv6-only so `0.0.0.0` and `[::]`
/// can both be listed.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(1024)?;
    TcpListener::from_std(sock.into())
}

async fn accept_loop(
    l: TcpListener,
    input: mpsc::Sender<conn::Input>,
    next: Arc<AtomicU64>,
    max_queued: usize,
) {
    loop {
        match l.accept().await {
            Ok((stream, peer)) => {
                let id = ConnId(next.fetch_add(1, Ordering::Relaxed));
                conn::start(id, stream, peer, input.clone(), max_queued).await;
            }
            Err(e) => {
                // Out of file descriptors and the like: wait and retry
                // rather than spin.
                warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Registers for SIGINT and SIGTERM now (so a signal that comes before the
/// server runs is not lost) and returns a future that completes on either.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM"),
            _ = int.recv() => info!("SIGINT"),
        }
    })
}

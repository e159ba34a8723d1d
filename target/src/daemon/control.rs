//! The control socket: tgtd's management protocol on an AF_LOCAL stream
//! socket, so that Debian's `tgtadm` drives `rtgtd` (`--control-socket`
//! or `--tgt-compat-port N`). One request per connection, as tgtd serves
//! them (`usr/mgmt.c`): the peer must run as the daemon's user
//! (SO_PEERCRED, as tgtd's `ipc_perm`), the request is bounded
//! ([`MAX_PARAMS`](crate::admin::codec::MAX_PARAMS)) and read within a
//! time limit, and the engine task, which owns the core, carries it out.

use std::os::unix::net::UnixListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rtgt_scsi::{Backstore, BlockSize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::admin::codec::{encode_reply, Header, Request, REQ_LEN};
use crate::admin::command::{parse, Backing, Command};
use crate::admin::AdmError;
use crate::backstore::{FileBackstore, FileOptions};
use crate::config::{Built, Config};

/// How long a client has to send its whole request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may wait for the engine.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests queued to the engine at most.
pub(crate) const CONTROL_QUEUE: usize = 16;

/// tgtd's socket for control port `port`: `$TGT_IPC_SOCKET.N`, or
/// `/var/run/tgtd/socket.N` (`usr/mgmt.c` `ipc_init`).
pub fn tgt_socket_path(port: u16) -> PathBuf {
    let base = std::env::var_os("TGT_IPC_SOCKET")
        .map_or_else(|| PathBuf::from("/var/run/tgtd/socket"), PathBuf::from);
    let mut s = base.into_os_string();
    s.push(format!(".{port}"));
    PathBuf::from(s)
}

/// A LUN's backing file, opened off the engine task.
pub(crate) struct OpenedLun {
    pub store: Arc<dyn Backstore>,
    pub block_size: BlockSize,
    pub path: String,
    pub direct: bool,
}

/// One request for the engine.
pub(crate) struct AdminCall {
    pub command: Command,
    /// For `LunNew`: its backing file, or why it could not be opened (told
    /// only after the target and LUN checks, as tgtd orders them).
    pub lun: Option<Result<OpenedLun, AdmError>>,
    /// For `Reload`: the configuration file read again and its
    /// backstores opened, or why not.
    pub reload: Option<Result<Built, String>>,
    pub reply: oneshot::Sender<Result<String, AdmError>>,
}

/// Binds the socket at `path`, replacing a stale one (as tgtd does) and
/// making its folder when missing.
pub(crate) fn bind(path: &Path) -> Result<StdListener> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(path);
    let l = StdListener::bind(path)
        .with_context(|| format!("cannot listen on control socket {}", path.display()))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Accepts clients until the task is aborted.
pub(crate) async fn serve(
    l: StdListener,
    engine: mpsc::Sender<AdminCall>,
    config: Option<PathBuf>,
) {
    let l = match UnixListener::from_std(l) {
        Ok(l) => l,
        Err(e) => {
            warn!("control socket: {e}");
            return;
        }
    };
    loop {
        match l.accept().await {
            Ok((stream, _)) => {
                let (engine, config) = (engine.clone(), config.clone());
                tokio::spawn(async move {
                    if let Err(e) = client(stream, engine, config).await {
                        debug!("control client: {e:#}");
                    }
                });
            }
            Err(e) => {
                warn!("control socket accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Whether the peer runs as our user (tgtd's `ipc_perm`).
fn same_user(stream: &UnixStream) -> bool {
    match rustix::net::sockopt::socket_peercred(stream) {
        Ok(cred) => cred.uid == rustix::process::getuid(),
        Err(e) => {
            warn!("control socket: cannot read the peer's credentials: {e}");
            false
        }
    }
}

async fn read_request(stream: &mut UnixStream) -> Result<Request> {
    let mut head = [0u8; REQ_LEN];
    stream.read_exact(&mut head).await?;
    let header = Header::decode(&head)?;
    let mut params = vec![0u8; header.params_len()?];
    stream.read_exact(&mut params).await?;
    Ok(Request::decode(header, &params))
}

async fn client(
    mut stream: UnixStream,
    engine: mpsc::Sender<AdminCall>,
    config: Option<PathBuf>,
) -> Result<()> {
    if !same_user(&stream) {
        warn!("control socket: refused a client running as another user");
        return Ok(());
    }
    // A request that cannot be read is not answered (tgtd closes too).
    let req = tokio::time::timeout(REQUEST_TIMEOUT, read_request(&mut stream))
        .await
        .context("request not sent in time")??;
    let command = parse(&req);
    let stop = command == Ok(Command::SystemDelete);
    let result = match command {
        Ok(command) => carry_out(command, &engine, config.as_deref()).await,
        Err(e) => Err(e),
    };
    match &result {
        Ok(_) => info!(
            mode = req.header.mode,
            op = req.header.op,
            tid = req.header.tid,
            "tgtadm request done"
        ),
        Err(e) => info!(
            mode = req.header.mode,
            op = req.header.op,
            tid = req.header.tid,
            "tgtadm request refused: {e}"
        ),
    }
    let reply = encode_reply(result.as_deref().map_err(|e| *e));
    let sent = async {
        stream.write_all(&reply).await?;
        stream.shutdown().await
    }
    .await;
    if stop && result.is_ok() {
        // The daemon stops once tgtadm has its answer.
        let _ = carry_out(Command::Stop, &engine, None).await;
    }
    sent?;
    Ok(())
}

pub(crate) async fn carry_out(
    command: Command,
    engine: &mpsc::Sender<AdminCall>,
    config: Option<&Path>,
) -> Result<String, AdmError> {
    let reload = match (&command, config) {
        (Command::Reload, Some(path)) => {
            let path = path.to_path_buf();
            let read = tokio::task::spawn_blocking(move || {
                Config::load(&path)
                    .and_then(|c| c.build())
                    .map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            Some(read)
        }
        (Command::Reload, None) => Some(Err("rtgtd runs without a configuration file".into())),
        _ => None,
    };
    let lun = match &command {
        Command::LunNew { backing, .. } => {
            let backing = backing.clone();
            let opened = tokio::task::spawn_blocking(move || open_lun(&backing))
                .await
                .unwrap_or(Err(AdmError::Unknown));
            Some(opened)
        }
        _ => None,
    };
    let (tx, rx) = oneshot::channel();
    let call = AdminCall {
        command,
        lun,
        reload,
        reply: tx,
    };
    engine.send(call).await.map_err(|_| AdmError::Unknown)?;
    match tokio::time::timeout(ENGINE_TIMEOUT, rx).await {
        Ok(Ok(r)) => r,
        _ => Err(AdmError::Unknown),
    }
}

/// Opens `-b PATH` as a file backstore. tgt's `rdwr` is the only backing
/// store type offered; `--bsoflags direct` is O_DIRECT; `--blocksize` 512
/// or 4096. A LUN without `-b` (tgt's offline removable medium) is not
/// offered.
fn open_lun(b: &Backing) -> Result<OpenedLun, AdmError> {
    if !matches!(b.bstype.as_deref(), None | Some("rdwr")) {
        return Err(AdmError::InvalidRequest);
    }
    let direct = match b.bsoflags.as_deref() {
        None | Some("") => false,
        Some("direct") => true,
        Some(_) => return Err(AdmError::InvalidRequest),
    };
    let block_size = match b.blocksize.as_deref() {
        None | Some("512") => BlockSize::B512,
        Some("4096") => BlockSize::B4096,
        Some(_) => return Err(AdmError::InvalidRequest),
    };
    let path = b.path.clone().ok_or(AdmError::InvalidRequest)?;
    let opts = FileOptions {
        size: None,
        read_only: false,
        direct,
        thin: false,
        block_size: block_size.bytes(),
    };
    let store = FileBackstore::open(Path::new(&path), &opts).map_err(|e| {
        warn!(%path, "cannot open the backing store: {e}");
        AdmError::InvalidRequest
    })?;
    Ok(OpenedLun {
        store: Arc::new(store),
        block_size,
        path,
        direct,
    })
}

//! The IO of tgtadm's `ipc_mgmt_req` and `ipc_mgmt_rsp` (`usr/tgtadm.c`):
//! one request per connection on the daemon's AF_LOCAL socket, the reply's
//! text to stdout, failures to stderr with tgtadm's words and statuses.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use super::tgtadm::{Exit, Send, Target, EINVAL};
use crate::admin::codec::{decode_reply, REQ_LEN, RSP_LEN};
use crate::admin::AdmError;

/// `ENOTCONN`: tgtadm writes to a socket it failed to connect and reports
/// the write's error.
const ENOTCONN: i32 = 107;
/// `sizeof(sockaddr_un.sun_path) - 1`.
const SUN_PATH_MAX: usize = 107;
/// How long `--op delete --mode system` waits for the daemon to stop
/// listening (tgtadm waits without a limit).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(60);
/// The largest reply read, far above any `show` text.
const MAX_REPLY: usize = 64 << 20;

/// The socket `target` names: `--socket PATH` as given, or tgtadm's
/// `$TGT_IPC_SOCKET.N` (default `/var/run/tgtd/socket.N`).
pub fn socket_path(target: &Target) -> PathBuf {
    match target {
        Target::Socket(p) => PathBuf::from(p),
        Target::ControlPort(n) => {
            let base = std::env::var("TGT_IPC_SOCKET")
                .unwrap_or_else(|_| "/var/run/tgtd/socket".to_owned());
            PathBuf::from(format!("{base}.{n}"))
        }
    }
}

/// Connects as `ipc_mgmt_connect`; `stderr` gets its complaint about a
/// too long path.
fn connect(target: &Target, program: &str, stderr: &mut String) -> Option<UnixStream> {
    let path = socket_path(target);
    if path.as_os_str().len() > SUN_PATH_MAX {
        stderr.push_str(&format!(
            "{program}: management path too long: {}\n",
            path.display()
        ));
        return None;
    }
    UnixStream::connect(&path).ok()
}

/// `strerror(code)` for the few errors tgtadm reports itself.
fn not_connected(program: &str, mut stderr: String) -> Exit {
    stderr.push_str(&format!(
        "{program}: failed to send request hdr to tgt daemon, Transport endpoint is not connected\n"
    ));
    Exit {
        stdout: String::new(),
        stderr,
        code: ENOTCONN,
    }
}

/// Sends `send` and gives what tgtadm would print and its status.
pub fn run(send: &Send, program: &str) -> Exit {
    let mut stderr = String::new();
    let Some(mut sock) = connect(&send.target, program, &mut stderr) else {
        return not_connected(program, stderr);
    };
    let bytes = send.request.encode();
    let (head, body) = bytes.split_at(REQ_LEN.min(bytes.len()));
    if sock.write_all(head).is_err() {
        return not_connected(program, stderr);
    }
    if !body.is_empty() {
        if let Err(e) = sock.write_all(body) {
            stderr.push_str(&format!(
                "{program}: failed to send request buf to tgt daemon, {e}\n"
            ));
            return exit(stderr, e.raw_os_error().unwrap_or(EINVAL));
        }
    }
    if send.debug {
        // tgtadm's dprintf names its function and source line.
        stderr.push_str(&format!("ipc_mgmt_req 348: sent to tgtd {}\n", bytes.len()));
    }
    receive(&mut sock, send, program, stderr)
}

fn exit(stderr: String, code: i32) -> Exit {
    Exit {
        stdout: String::new(),
        stderr,
        code,
    }
}

/// `ipc_mgmt_rsp`.
fn receive(sock: &mut UnixStream, send: &Send, program: &str, mut stderr: String) -> Exit {
    let mut rsp = [0u8; RSP_LEN];
    let mut got = 0;
    while got < RSP_LEN {
        match sock.read(rsp.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                stderr.push_str(&format!("{program}: can't get the response, {e}\n"));
                return exit(stderr, e.raw_os_error().unwrap_or(EINVAL));
            }
        }
    }
    if got == 0 {
        stderr.push_str(&format!("{program}: tgtd closed the socket\n"));
        return exit(stderr, 0);
    }
    if got < RSP_LEN {
        stderr.push_str(&format!("{program}: a partial response\n"));
        return exit(stderr, 0);
    }
    if let Ok(Err(code)) = decode_reply(&rsp) {
        let msg = AdmError::from_code(code).map_or("(unknown tgtadm_errno)", AdmError::message);
        stderr.push_str(&format!("{program}: {msg}\n"));
        return exit(stderr, EINVAL);
    }
    if send.waits_for_shutdown() {
        wait_for_shutdown(&send.target);
    }
    let len = u32::from_ne_bytes([rsp[4], rsp[5], rsp[6], rsp[7]]) as usize;
    let want = len.saturating_sub(RSP_LEN).min(MAX_REPLY);
    let mut text = Vec::with_capacity(want);
    let _ = sock.take(want as u64).read_to_end(&mut text);
    let mut stdout = String::new();
    if text.len() == want {
        let end = text.iter().position(|&c| c == 0).unwrap_or(text.len());
        stdout = String::from_utf8_lossy(text.get(..end).unwrap_or_default()).into_owned();
    }
    Exit {
        stdout,
        stderr,
        code: 0,
    }
}

/// Polls the socket every 100 ms until nothing listens on it.
fn wait_for_shutdown(target: &Target) {
    let path = socket_path(target);
    let step = Duration::from_millis(100);
    let tries = SHUTDOWN_WAIT.as_millis() / step.as_millis();
    for _ in 0..tries {
        if UnixStream::connect(&path).is_err() {
            return;
        }
        std::thread::sleep(step);
    }
}

/// tgtadm's `bus_to_host`: `-B BUS,ADDR` names
/// `/sys/bus/BUS/devices/ADDR`, whose `hostN` entry gives the host number.
pub fn bus_to_host(bus: &str, program: &str) -> Result<u32, Exit> {
    let Some((name, addr)) = bus.split_once(',') else {
        // tgtadm stores -EINVAL in its uint32_t.
        return Ok((-22i32) as u32);
    };
    let dir = format!("/sys/bus/{name}/devices/{addr}");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(d) => d
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    if names.is_empty() && std::path::Path::new(&dir).is_dir() {
        // scandir found nothing: tgtadm stores -ENOENT.
        return Ok((-2i32) as u32);
    }
    names.sort();
    let host = names
        .iter()
        .rev()
        .find_map(|n| n.strip_prefix("host"))
        .map(|n| super::numbers::strtoull(n).0 as u32);
    host.ok_or_else(|| Exit {
        stdout: String::new(),
        stderr: format!("{program}: can't find bus: {name}\n"),
        code: EINVAL,
    })
}

//! rtgtd's iSNS client task (RFC 4171): drives the sans-IO
//! [`rtgt_proto::isns::Client`] over one TCP connection to the server.
//!
//! It registers the entity (EID, iSCSI protocol), every portal rtgtd
//! listens on, every target as an iSCSI target node and one portal group
//! per target and portal with the portal group tag, keeps the registration
//! alive, registers again (replace) when the engine reports that the
//! targets changed, and deregisters when rtgtd stops. A portal on a
//! wildcard address is registered with the local address of the
//! connection to the iSNS server.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtgt_proto::isns::{
    Action, Client, ClientConfig, ClientEvent, RegisteredNode, RegisteredPortal, Registration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tracing::{info, warn};

use crate::config::IsnsSettings;

/// How long deregistration at shutdown may take.
const DEREGISTER_WITHIN: Duration = Duration::from_secs(5);

/// A target as registered: its name and alias.
pub(crate) type Node = (String, Option<String>);

/// Starts the task; it runs until `stop` fires and the entity is
/// deregistered (or [`DEREGISTER_WITHIN`] passed).
pub(crate) fn start(
    settings: IsnsSettings,
    portals: Vec<SocketAddr>,
    tpgt: u16,
    nodes: watch::Receiver<Vec<Node>>,
    stop: oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(settings, portals, tpgt, nodes, stop))
}

fn registration(
    settings: &IsnsSettings,
    portals: &[SocketAddr],
    tpgt: u16,
    nodes: &[Node],
    local: Option<IpAddr>,
) -> Registration {
    let mut regd: Vec<RegisteredPortal> = Vec::new();
    for p in portals {
        let ip = match local {
            Some(l) if p.ip().is_unspecified() => l,
            _ => p.ip(),
        };
        let portal = RegisteredPortal {
            addr: SocketAddr::new(ip, p.port()),
            tag: tpgt,
        };
        if !regd.contains(&portal) {
            regd.push(portal);
        }
    }
    Registration {
        entity_id: settings.entity_id.clone(),
        registration_period: None,
        portals: regd,
        nodes: nodes
            .iter()
            .map(|(name, alias)| RegisteredNode {
                name: name.clone(),
                alias: alias.clone(),
            })
            .collect(),
    }
}

async fn run(
    settings: IsnsSettings,
    portals: Vec<SocketAddr>,
    tpgt: u16,
    mut nodes: watch::Receiver<Vec<Node>>,
    mut stop: oneshot::Receiver<()>,
) {
    let config = ClientConfig {
        keepalive: settings.keepalive,
        ..ClientConfig::default()
    };
    let mut local = None;
    let first = registration(&settings, &portals, tpgt, &nodes.borrow(), local);
    let mut client = Client::new(config.clone(), first, Instant::now());
    let mut stream: Option<TcpStream> = None;
    let mut give_up: Option<Instant> = None;
    let mut buf = vec![0u8; 16 * 1024];
    info!(server = %settings.server, eid = %settings.entity_id, "iSNS: registering");
    loop {
        while let Some(action) = client.poll_action() {
            match action {
                Action::Connect => {
                    stream = None;
                    let now = Instant::now();
                    let connect = TcpStream::connect(settings.server.as_str());
                    // At shutdown, no longer than deregistration may take.
                    let limit = give_up.map_or(config.response_timeout, |at| {
                        at.saturating_duration_since(now)
                            .min(config.response_timeout)
                    });
                    match tokio::time::timeout(limit, connect).await {
                        Ok(Ok(s)) => {
                            local = s.local_addr().ok().map(|a| a.ip());
                            stream = Some(s);
                            let reg =
                                registration(&settings, &portals, tpgt, &nodes.borrow(), local);
                            client.update(reg, now);
                            client.handle_connected(Instant::now());
                        }
                        Ok(Err(e)) => client.handle_closed(Instant::now(), &e.to_string()),
                        Err(_) => client.handle_closed(Instant::now(), "connect timed out"),
                    }
                }
                Action::Send(bytes) => {
                    let sent = match stream.as_mut() {
                        Some(s) => s.write_all(&bytes).await,
                        None => Err(std::io::ErrorKind::NotConnected.into()),
                    };
                    if let Err(e) = sent {
                        stream = None;
                        client.handle_closed(Instant::now(), &e.to_string());
                    }
                }
                Action::Close => stream = None,
            }
        }
        while let Some(event) = client.poll_event() {
            log(&settings, event);
        }
        if client.state() == rtgt_proto::isns::ClientState::Stopped {
            return;
        }
        let far = Instant::now() + Duration::from_secs(3600);
        let wake = client
            .poll_timeout()
            .unwrap_or(far)
            .min(give_up.unwrap_or(far));
        tokio::select! {
            read = async {
                match stream.as_mut() {
                    Some(s) => s.read(&mut buf).await,
                    None => std::future::pending().await,
                }
            } => {
                let now = Instant::now();
                match read {
                    Ok(0) => {
                        stream = None;
                        client.handle_closed(now, "the server closed the connection");
                    }
                    Ok(n) => client.handle_bytes(now, buf.get(..n).unwrap_or_default()),
                    Err(e) => {
                        stream = None;
                        client.handle_closed(now, &e.to_string());
                    }
                }
            }
            changed = nodes.changed(), if give_up.is_none() => {
                if changed.is_ok() {
                    let reg = registration(&settings, &portals, tpgt, &nodes.borrow_and_update(), local);
                    client.update(reg, Instant::now());
                }
            }
            _ = &mut stop, if give_up.is_none() => {
                let now = Instant::now();
                info!("iSNS: deregistering");
                client.shutdown(now);
                give_up = Some(now + DEREGISTER_WITHIN);
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                let now = Instant::now();
                if give_up.is_some_and(|at| at <= now) {
                    warn!(server = %settings.server, "iSNS: no answer to the deregistration; stopping anyway");
                    return;
                }
                client.handle_timeout(now);
            }
        }
    }
}

fn log(settings: &IsnsSettings, event: ClientEvent) {
    let server = &settings.server;
    match event {
        ClientEvent::Registered { period } => {
            info!(%server, period = ?period, "iSNS: registered")
        }
        ClientEvent::Refused { function, status } => {
            warn!(%server, ?function, %status, "iSNS: request refused")
        }
        ClientEvent::RegistrationLost => {
            warn!(%server, "iSNS: registration gone from the server; registering again")
        }
        ClientEvent::Deregistered => info!(%server, "iSNS: deregistered"),
        ClientEvent::Disconnected { reason, retry_in } => {
            warn!(%server, %reason, ?retry_in, "iSNS: connection lost; retrying")
        }
        ClientEvent::EsiAnswered => info!(%server, "iSNS: answered ESI"),
        ClientEvent::ScnReceived(_) => info!(%server, "iSNS: state change notification"),
        ClientEvent::Stopped => warn!(%server, "iSNS: stopped without deregistering"),
    }
}

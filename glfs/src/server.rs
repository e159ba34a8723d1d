//! Volfile servers and the ways a gluster file is named: separate
//! volume/path/servers, a `gluster://host[:port]/volume/path` URL (qemu's
//! form) and tgt's `volume@host:path`.

use std::fmt;

/// glusterd's volfile port.
pub const DEFAULT_PORT: u16 = 24007;

/// A volfile server.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Server {
    /// TCP to glusterd.
    Tcp { host: String, port: u16 },
    /// glusterd's unix socket (e.g. `/run/glusterd.socket`).
    Unix { path: String },
}

impl Server {
    /// `host`, `host:port`, `[v6addr]:port` or `unix:/path`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            if !path.starts_with('/') {
                return Err(format!(
                    "server {s:?}: a unix socket needs an absolute path"
                ));
            }
            return Ok(Server::Unix { path: path.into() });
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, tail) = rest
                .split_once(']')
                .ok_or_else(|| format!("server {s:?}: missing ]"))?;
            match tail {
                "" => (h, None),
                t => (
                    h,
                    Some(
                        t.strip_prefix(':')
                            .ok_or_else(|| format!("server {s:?}: expected :port after ]"))?,
                    ),
                ),
            }
        } else {
            match s.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(format!(
                "server {s:?}: expected host, host:port or unix:/path"
            ));
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| format!("server {s:?}: port {p:?} is not 1..65535"))?,
        };
        Ok(Server::Tcp {
            host: host.into(),
            port,
        })
    }

    /// libgfapi's transport name.
    pub fn transport(&self) -> &str {
        match self {
            Server::Tcp { .. } => "tcp",
            Server::Unix { .. } => "unix",
        }
    }

    /// The host name or socket path.
    pub fn host(&self) -> &str {
        match self {
            Server::Tcp { host, .. } => host,
            Server::Unix { path } => path,
        }
    }

    /// The port (0 for a unix socket).
    pub fn port(&self) -> u16 {
        match self {
            Server::Tcp { port, .. } => *port,
            Server::Unix { .. } => 0,
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Server::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Server::Tcp { host, port } => write!(f, "{host}:{port}"),
            Server::Unix { path } => write!(f, "unix:{path}"),
        }
    }
}

/// A file on a gluster volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub volume: String,
    /// Path inside the volume, starting with `/`.
    pub path: String,
    pub servers: Vec<Server>,
}

/// Parses `gluster://host[:port]/volume/path` or tgt's `volume@host:path`;
/// `None` when `s` is in neither form (a plain path).
pub fn parse_location(s: &str) -> Option<Result<Location, String>> {
    if let Some(rest) = s.strip_prefix("gluster://") {
        return Some(parse_url(s, rest));
    }
    let (volume, rest) = s.split_once('@')?;
    if volume.is_empty() || volume.contains('/') {
        return None;
    }
    let (host, path) = rest.split_once(':')?;
    Some((|| {
        let server = Server::parse(host)?;
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return Err(format!("{s:?}: expected volume@host:file"));
        }
        Ok(Location {
            volume: volume.into(),
            path: format!("/{path}"),
            servers: vec![server],
        })
    })())
}

fn parse_url(s: &str, rest: &str) -> Result<Location, String> {
    let bad = || format!("{s:?}: expected gluster://host[:port]/volume/path");
    let (authority, tail) = rest.split_once('/').ok_or_else(bad)?;
    let (volume, path) = tail.split_once('/').ok_or_else(bad)?;
    let path = path.trim_start_matches('/');
    if volume.is_empty() || path.is_empty() {
        return Err(bad());
    }
    let servers = if authority.is_empty() {
        vec![Server::Tcp {
            host: "localhost".into(),
            port: DEFAULT_PORT,
        }]
    } else {
        vec![Server::parse(authority)?]
    };
    Ok(Location {
        volume: volume.into(),
        path: format!("/{path}"),
        servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(h: &str, p: u16) -> Server {
        Server::Tcp {
            host: h.into(),
            port: p,
        }
    }

    #[test]
    fn servers_parse() {
        assert_eq!(Server::parse("g1"), Ok(tcp("g1", 24007)));
        assert_eq!(Server::parse("g2:24008"), Ok(tcp("g2", 24008)));
        assert_eq!(Server::parse("[fd00::1]:24007"), Ok(tcp("fd00::1", 24007)));
        assert_eq!(
            Server::parse("unix:/run/glusterd.socket"),
            Ok(Server::Unix {
                path: "/run/glusterd.socket".into()
            })
        );
        assert!(Server::parse("g1:0").is_err());
        assert!(Server::parse("g1:x").is_err());
        assert!(Server::parse("").is_err());
        assert!(Server::parse("unix:rel").is_err());
        assert_eq!(tcp("fd00::1", 1).to_string(), "[fd00::1]:1");
    }

    #[test]
    fn locations_parse() {
        let want = Location {
            volume: "vol0".into(),
            path: "/luns/a.img".into(),
            servers: vec![tcp("10.0.0.5", 24007)],
        };
        assert_eq!(
            parse_location("vol0@10.0.0.5:luns/a.img"),
            Some(Ok(want.clone()))
        );
        assert_eq!(
            parse_location("gluster://10.0.0.5/vol0/luns/a.img"),
            Some(Ok(want.clone()))
        );
        let mut p = want.clone();
        p.servers = vec![tcp("g", 24008)];
        assert_eq!(
            parse_location("gluster://g:24008/vol0/luns/a.img"),
            Some(Ok(p))
        );
        assert_eq!(parse_location("/srv/plain.img"), None);
        assert!(matches!(parse_location("gluster://g/vol0"), Some(Err(_))));
        assert!(matches!(parse_location("vol@host:"), Some(Err(_))));
    }
}

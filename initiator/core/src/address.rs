//! TargetAddress values (RFC 7143 §13.8): `domainname[:port][,portal-group-tag]`,
//! where the domain name is a DNS host name, a dotted-decimal IPv4 address
//! or a bracketed IPv6 address (RFC 7143 §13.8 and RFC 3986 §3.2.2).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

/// The well-known iSCSI port (RFC 7143 §13.8: the default when none is
/// given).
pub const ISCSI_PORT: u16 = 3260;

/// The host part of a TargetAddress.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Host {
    /// Dotted-decimal IPv4.
    Ipv4(Ipv4Addr),
    /// IPv6, written in brackets.
    Ipv6(Ipv6Addr),
    /// A DNS name.
    Name(String),
}

/// A parsed TargetAddress.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetAddress {
    /// Where.
    pub host: Host,
    /// TCP port (3260 when not given).
    pub port: u16,
    /// The portal group tag after the comma, when given.
    pub portal_group_tag: Option<u16>,
}

/// Why a TargetAddress value does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    /// Empty value or empty host.
    #[error("TargetAddress has no host")]
    NoHost,
    /// `[` without `]`, or text after `]` that is not `:port`.
    #[error("TargetAddress has a malformed bracketed IPv6 address: {0:?}")]
    BadBrackets(String),
    /// The bracketed text is not an IPv6 address.
    #[error("TargetAddress {0:?} is not an IPv6 address")]
    BadIpv6(String),
    /// The port is not a number from 0 to 65535.
    #[error("TargetAddress port {0:?} is not a number from 0 to 65535")]
    BadPort(String),
    /// The portal group tag is not a number from 0 to 65535 (RFC 7143 §13.9).
    #[error("TargetAddress portal group tag {0:?} is not a number from 0 to 65535")]
    BadTag(String),
    /// The host name holds characters a DNS name cannot.
    #[error("TargetAddress host {0:?} is not a host name or address")]
    BadHost(String),
}

fn number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for TargetAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The portal group tag follows the last comma (host names and IPv6
        // addresses hold none).
        let (hostport, tag) = match s.rsplit_once(',') {
            Some((hp, t)) => (hp, Some(number(t).ok_or(AddressError::BadTag(t.into()))?)),
            None => (s, None),
        };
        let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
            let (inner, after) = rest
                .split_once(']')
                .ok_or(AddressError::BadBrackets(hostport.into()))?;
            let ip = Ipv6Addr::from_str(inner).map_err(|_| AddressError::BadIpv6(inner.into()))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or(AddressError::BadBrackets(hostport.into()))?,
                ),
            };
            (Host::Ipv6(ip), port)
        } else {
            let (h, p) = match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            };
            if h.is_empty() {
                return Err(AddressError::NoHost);
            }
            let host = match Ipv4Addr::from_str(h) {
                Ok(ip) => Host::Ipv4(ip),
                Err(_) => {
                    let ok = h
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
                    if !ok {
                        return Err(AddressError::BadHost(h.into()));
                    }
                    Host::Name(h.into())
                }
            };
            (host, p)
        };
        let port = match port {
            None => ISCSI_PORT,
            Some(p) => number(p).ok_or(AddressError::BadPort(p.into()))?,
        };
        Ok(TargetAddress {
            host,
            port,
            portal_group_tag: tag,
        })
    }
}

impl fmt::Display for TargetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ipv4(ip) => write!(f, "{ip}")?,
            Host::Ipv6(ip) => write!(f, "[{ip}]")?,
            Host::Name(n) => f.write_str(n)?,
        }
        write!(f, ":{}", self.port)?;
        if let Some(t) = self.portal_group_tag {
            write!(f, ",{t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<TargetAddress, AddressError> {
        s.parse()
    }

    #[test]
    fn forms() {
        let a = p("10.0.0.1:3261,2").unwrap();
        assert_eq!(a.host, Host::Ipv4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!((a.port, a.portal_group_tag), (3261, Some(2)));
        assert_eq!(a.to_string(), "10.0.0.1:3261,2");
        let b = p("[fe80::1]:860,1").unwrap();
        assert_eq!(b.host, Host::Ipv6("fe80::1".parse().unwrap()));
        assert_eq!((b.port, b.portal_group_tag), (860, Some(1)));
        let c = p("[::1]").unwrap();
        assert_eq!((c.port, c.portal_group_tag), (3260, None));
        let d = p("storage.example.com").unwrap();
        assert_eq!(d.host, Host::Name("storage.example.com".into()));
        assert_eq!(d.to_string(), "storage.example.com:3260");
        assert_eq!(p("h,7").unwrap().portal_group_tag, Some(7));
    }

    #[test]
    fn errors() {
        assert_eq!(p(""), Err(AddressError::NoHost));
        assert_eq!(p(":3260"), Err(AddressError::NoHost));
        assert!(matches!(p("[::1"), Err(AddressError::BadBrackets(_))));
        assert!(matches!(p("[::1]x"), Err(AddressError::BadBrackets(_))));
        assert!(matches!(p("[nope]"), Err(AddressError::BadIpv6(_))));
        assert!(matches!(p("h:99999"), Err(AddressError::BadPort(_))));
        assert!(matches!(p("h:"), Err(AddressError::BadPort(_))));
        assert!(matches!(p("h,x"), Err(AddressError::BadTag(_))));
        assert!(matches!(p("a b"), Err(AddressError::BadHost(_))));
    }
}

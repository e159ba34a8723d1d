//! The configuration of a portal group: plain structs a loader fills.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rtgt_proto::chap::{ChapAlgorithm, ChapSecret};
use rtgt_proto::text::DigestKind;
use rtgt_scsi::LunMap;
use thiserror::Error;

/// One portal group: its portals, targets and limits.
#[derive(Debug)]
pub struct PortalGroupConfig {
    /// Target Portal Group Tag (RFC 7143 §13.9), sent at login and in
    /// SendTargets answers.
    pub tpgt: u16,
    /// The addresses SendTargets reports (RFC 7143 §13.8 TargetAddress).
    pub portals: Vec<SocketAddr>,
    /// The targets, in the order SendTargets lists them.
    pub targets: Vec<TargetConfig>,
    /// Whether discovery sessions are accepted (RFC 7143 §13.21).
    pub discovery_enabled: bool,
    /// Authentication of discovery sessions.
    pub discovery_auth: AuthConfig,
    /// Resource limits.
    pub limits: Limits,
    /// Pings of idle connections.
    pub nop: NopConfig,
    /// RELATIVE TARGET PORT IDENTIFIER of this portal group's target
    /// port (SPC-5 §7.7.6.7), from one; VPD page 83h and the target port
    /// groups name the port with it.
    pub relative_target_port: u16,
    /// The target port groups every LU of every target reports, this
    /// node's and its peers' (SPC-5, asymmetric logical unit access);
    /// the default makes the portal group one active/optimized group.
    pub alua: rtgt_scsi::alua::Alua,
}

/// One target.
#[derive(Debug)]
pub struct TargetConfig {
    /// iSCSI name (RFC 7143 §4.2.7).
    pub name: String,
    /// TargetAlias (RFC 7143 §13.7), declared at login when set.
    pub alias: Option<String>,
    /// The logical units, built by the caller.
    pub luns: LunMap,
    /// Initiator names allowed in; empty allows every name.
    pub allowed_initiators: Vec<String>,
    /// Networks allowed in; empty allows every address.
    pub allowed_networks: Vec<Cidr>,
    /// Authentication of this target's sessions.
    pub auth: AuthConfig,
    /// What the target accepts in negotiation.
    pub session: SessionLimits,
    /// Where logins to this target are sent instead (RFC 7143 §11.13.5,
    /// status class 1); None serves them here.
    pub redirect: Option<Redirect>,
}

/// A target that has moved: every login naming it is answered with a
/// redirection and the new address (RFC 7143 §11.13.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The TargetAddress value sent: `domainname[:port][,portal-group-tag]`
    /// (RFC 7143 §13.8).
    pub address: String,
    /// Moved permanently (0x0102) rather than temporarily (0x0101).
    pub permanent: bool,
}

/// CHAP accounts for one target or for discovery.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Accounts initiators may authenticate as (CHAP_N / secret). When any
    /// is set, CHAP is required (AuthMethod=CHAP only).
    pub incoming: Vec<ChapAccount>,
    /// Our name and secret for mutual CHAP; without it mutual CHAP fails.
    pub outgoing: Option<ChapAccount>,
    /// CHAP algorithms accepted; empty means all (RFC 7143 §12.1.3).
    pub algorithms: Vec<ChapAlgorithm>,
}

impl AuthConfig {
    /// Whether CHAP is required.
    pub fn requires_chap(&self) -> bool {
        !self.incoming.is_empty()
    }

    /// The algorithms accepted.
    pub fn algorithms(&self) -> Vec<ChapAlgorithm> {
        if self.algorithms.is_empty() {
            ChapAlgorithm::ALL.to_vec()
        } else {
            self.algorithms.clone()
        }
    }
}

/// A CHAP name and secret.
#[derive(Debug, Clone)]
pub struct ChapAccount {
    pub name: String,
    pub secret: ChapSecret,
}

impl ChapAccount {
    /// An account from a name and a secret.
    pub fn new(name: &str, secret: &[u8]) -> Self {
        ChapAccount {
            name: name.into(),
            secret: ChapSecret::new(secret.to_vec()),
        }
    }
}

/// What a target accepts in negotiation (RFC 7143 §13); the outcome is
/// never beyond these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLimits {
    /// Our MaxRecvDataSegmentLength declaration (§13.12).
    pub max_recv_data_segment_length: u32,
    /// §13.13.
    pub max_burst_length: u32,
    /// §13.14.
    pub first_burst_length: u32,
    /// §13.17.
    pub max_outstanding_r2t: u16,
    /// §13.2.
    pub max_connections: u16,
    /// §13.10: Yes forces it (an OR key).
    pub initial_r2t: bool,
    /// §13.11: No forces it (an AND key).
    pub immediate_data: bool,
    /// §13.1: header digests accepted, in order of preference.
    pub header_digests: Vec<DigestKind>,
    /// §13.1: data digests accepted, in order of preference.
    pub data_digests: Vec<DigestKind>,
    /// Commands in flight per session: MaxCmdSN = ExpCmdSN + this - 1
    /// when none is in flight (RFC 7143 §4.2.2.1).
    pub queue_depth: u32,
    /// §13.15, seconds.
    pub default_time2wait: u16,
    /// §13.16, seconds.
    pub default_time2retain: u16,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_recv_data_segment_length: 262_144,
            max_burst_length: 262_144,
            first_burst_length: 65_536,
            max_outstanding_r2t: 1,
            max_connections: 1,
            initial_r2t: true,
            immediate_data: true,
            header_digests: vec![DigestKind::None, DigestKind::Crc32c],
            data_digests: vec![DigestKind::None, DigestKind::Crc32c],
            queue_depth: 32,
            default_time2wait: 2,
            default_time2retain: 20,
        }
    }
}

/// Resource limits; a peer that exceeds one loses only its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections at once, in any phase; a new one over it is refused.
    /// Connections still in the login phase hold at most
    /// `max_prelogin_connections` of these places, so with that below this
    /// they never keep a login out.
    pub max_connections: usize,
    /// Connections in the login phase at once (RFC 7143 §6.3: not yet in
    /// full feature phase): past it the oldest of them is closed to admit
    /// the new one, so idle or slow peers cannot hold every place.
    pub max_prelogin_connections: usize,
    /// Connections in the login phase at once from one IP address: past it
    /// the oldest of that address is closed to admit the new one.
    pub max_prelogin_per_address: usize,
    /// Time from accept to the first Login Request (RFC 7143 §6.1: the
    /// first PDU of a connection); `login_timeout` bounds the rest.
    pub first_pdu_timeout: Duration,
    /// Sessions at once.
    pub max_sessions: usize,
    /// Time from accept to the end of login.
    pub login_timeout: Duration,
    /// Commands in flight per session, immediate ones included.
    pub max_outstanding_commands: usize,
    /// Bytes held per connection: unframed input plus write data awaiting
    /// its command.
    pub max_buffered_bytes: usize,
    /// Joined text of one login or text exchange (C bit).
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            max_prelogin_connections: 64,
            max_prelogin_per_address: 16,
            max_sessions: 128,
            login_timeout: Duration::from_secs(15),
            first_pdu_timeout: Duration::from_secs(5),
            max_outstanding_commands: 256,
            max_buffered_bytes: 64 << 20,
            max_text_bytes: 64 << 10,
        }
    }
}

/// NOP-In pings (RFC 7143 §11.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NopConfig {
    /// Ping after this long without a PDU from the initiator; `None` never.
    pub interval: Option<Duration>,
    /// Close the connection when a ping is not answered within this.
    pub timeout: Duration,
}

impl Default for NopConfig {
    fn default() -> Self {
        NopConfig {
            interval: Some(Duration::from_secs(10)),
            timeout: Duration::from_secs(15),
        }
    }
}

impl Default for PortalGroupConfig {
    fn default() -> Self {
        PortalGroupConfig {
            tpgt: 1,
            portals: Vec::new(),
            targets: Vec::new(),
            discovery_enabled: true,
            discovery_auth: AuthConfig::default(),
            limits: Limits::default(),
            nop: NopConfig::default(),
            relative_target_port: 1,
            alua: rtgt_scsi::alua::Alua::default(),
        }
    }
}

/// An address block, `10.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Why a CIDR string is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CidrError {
    #[error("{0:?} is not an address or address/prefix")]
    BadAddress(String),
    #[error("prefix {prefix} is longer than the {max} bits of the address")]
    PrefixTooLong { prefix: u8, max: u8 },
}

impl Cidr {
    /// Parses `addr` or `addr/prefix`.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.parse().map_err(|_| CidrError::BadAddress(s.into()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse().map_err(|_| CidrError::BadAddress(s.into()))?
        };
        if prefix > max {
            return Err(CidrError::PrefixTooLong { prefix, max });
        }
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` lies in the block (IPv4-mapped IPv6 addresses count as
    /// IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let (a, b, bits) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)), 32u32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            _ => return false,
        };
        let p = u32::from(self.prefix).min(bits);
        if p == 0 {
            return true;
        }
        let shift = bits - p;
        (a >> shift) == (b >> shift)
    }
}

impl TargetConfig {
    /// A target open to everyone, without CHAP, with default limits.
    pub fn new(name: &str, luns: LunMap) -> Self {
        TargetConfig {
            name: name.into(),
            alias: None,
            luns,
            allowed_initiators: Vec::new(),
            allowed_networks: Vec::new(),
            auth: AuthConfig::default(),
            session: SessionLimits::default(),
            redirect: None,
        }
    }

    /// Whether `initiator` at `addr` may log in.
    pub fn allows(&self, initiator: &str, addr: IpAddr) -> bool {
        let name_ok = self.allowed_initiators.is_empty()
            || self
                .allowed_initiators
                .iter()
                .any(|n| n.eq_ignore_ascii_case(initiator));
        let addr_ok = self.allowed_networks.is_empty()
            || self.allowed_networks.iter().any(|c| c.contains(addr));
        name_ok && addr_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.9.9".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("1.2.3.4".parse().unwrap()));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert_eq!(
            Cidr::parse("1.2.3.4/33"),
            Err(CidrError::PrefixTooLong {
                prefix: 33,
                max: 32
            })
        );
        assert!(Cidr::parse("nonsense").is_err());
        assert_eq!(Cidr::parse("1.2.3.4").unwrap().prefix, 32);
    }
}

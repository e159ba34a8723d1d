//! One connection: its stage ([`ConnState`]) with the data of that stage,
//! and the connection table that stamps StatSN on outgoing PDUs and queues
//! them.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use rtgt_proto::pdu::{Digests, EncodedParts, Pdu, StreamDecoder};

use super::events::ConnId;
use super::login::Login;
use crate::TargetId;

/// The rest of a Text Response split with the C bit (RFC 7143 §11.11.2).
#[derive(Debug)]
pub(crate) struct TextPending {
    pub itt: u32,
    pub ttt: u32,
    pub rest: Bytes,
}

/// Where a connection is in its life (RFC 7143 §6.3, §4.2.1), each stage
/// with the data that exists only in it.
#[derive(Debug)]
pub(crate) enum ConnState {
    /// Login phase: the login from its first request on (its deadline is
    /// the connection's [`Timer::Login`](crate::timers::Timer)).
    Login { login: Option<Box<Login>> },
    /// Full feature phase, in a session.
    Full(FullFeature),
    /// Closed or being closed: nothing more is read or sent.
    Closed,
}

/// What a connection in full feature phase holds.
#[derive(Debug)]
pub(crate) struct FullFeature {
    /// The session's serial.
    pub session: u64,
    /// The TTT of an outstanding NOP-In ping (its deadline is the
    /// connection's [`Timer::PingAnswer`](crate::timers::Timer)).
    pub ping: Option<u32>,
    /// The rest of a Text Response split with the C bit.
    pub text: Option<TextPending>,
    /// A Text Request being received in parts with the C bit (RFC 7143
    /// §11.10.2): its ITT, the TTT we gave, and the text so far.
    pub text_in: Option<TextPending>,
}

impl FullFeature {
    pub fn new(session: u64) -> Self {
        FullFeature {
            session,
            ping: None,
            text: None,
            text_in: None,
        }
    }
}

/// One transport connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub decoder: StreamDecoder,
    /// Digests on what we send.
    pub digests: Digests,
    pub state: ConnState,
    pub cid: u16,
    /// The next StatSN to give (RFC 7143 §4.2.2.2, per connection).
    pub stat_sn: u32,
    /// The initiator's acknowledgement of our StatSN.
    pub exp_stat_sn: u32,
    /// The initiator's MaxRecvDataSegmentLength (RFC 7143 §13.12).
    pub max_send: u32,
    /// Its place in the order of acceptance, stamped by
    /// [`ConnTable::insert`]: lower is older.
    pub accepted: u64,
}

impl Conn {
    /// Not closed (nor being closed).
    pub fn is_open(&self) -> bool {
        !matches!(self.state, ConnState::Closed)
    }

    /// In the login phase.
    pub fn in_login(&self) -> bool {
        matches!(self.state, ConnState::Login { .. })
    }

    /// The session, in full feature phase.
    pub fn session(&self) -> Option<u64> {
        self.full().map(|f| f.session)
    }

    pub fn full(&self) -> Option<&FullFeature> {
        match &self.state {
            ConnState::Full(f) => Some(f),
            _ => None,
        }
    }

    pub fn full_mut(&mut self) -> Option<&mut FullFeature> {
        match &mut self.state {
            ConnState::Full(f) => Some(f),
            _ => None,
        }
    }

    /// The login in progress, once its first request came.
    pub fn login(&self) -> Option<&Login> {
        match &self.state {
            ConnState::Login { login, .. } => login.as_deref(),
            _ => None,
        }
    }

    pub fn login_mut(&mut self) -> Option<&mut Login> {
        match &mut self.state {
            ConnState::Login { login, .. } => login.as_deref_mut(),
            _ => None,
        }
    }

    /// Keeps the login started by a first request.
    pub fn set_login(&mut self, l: Login) {
        if let ConnState::Login { login, .. } = &mut self.state {
            *login = Some(Box::new(l));
        }
    }

    /// Takes the finished login out of the connection.
    pub fn take_login(&mut self) -> Option<Box<Login>> {
        match &mut self.state {
            ConnState::Login { login, .. } => login.take(),
            _ => None,
        }
    }
}

/// The connections by id, and the frames encoded for them waiting to be
/// written.
#[derive(Debug, Default)]
pub(crate) struct ConnTable {
    conns: BTreeMap<ConnId, Conn>,
    tx: VecDeque<(ConnId, EncodedParts)>,
    /// Connections accepted so far.
    accepted: u64,
}

impl ConnTable {
    pub fn get(&self, conn: &ConnId) -> Option<&Conn> {
        self.conns.get(conn)
    }

    pub fn get_mut(&mut self, conn: &ConnId) -> Option<&mut Conn> {
        self.conns.get_mut(conn)
    }

    /// Adds a connection just accepted, stamping its place in the order of
    /// acceptance.
    pub fn insert(&mut self, id: ConnId, mut conn: Conn) {
        conn.accepted = self.accepted;
        self.accepted += 1;
        self.conns.insert(id, conn);
    }

    /// Forgets a connection the driver closed.
    pub fn remove(&mut self, conn: &ConnId) {
        self.conns.remove(conn);
    }

    /// Every connection id, ascending.
    pub fn ids(&self) -> Vec<ConnId> {
        self.conns.keys().copied().collect()
    }

    /// The connections in the login phase of a login for `target`.
    pub fn logins_for(&self, target: TargetId) -> Vec<ConnId> {
        self.conns
            .iter()
            .filter(|(_, c)| c.login().is_some_and(|l| l.target == Some(target)))
            .map(|(&k, _)| k)
            .collect()
    }

    /// Connections not closed.
    pub fn open_count(&self) -> usize {
        self.conns.values().filter(|c| c.is_open()).count()
    }

    /// Open connections in the login phase (from `ip` only, if given).
    pub fn prelogin_count(&self, ip: Option<IpAddr>) -> usize {
        self.prelogin(ip).count()
    }

    /// The connection in the login phase (from `ip` only, if given, and
    /// other than `spare`) to close first for room: one that sent no Login
    /// Request yet before one that did, then the oldest.
    pub fn prelogin_victim(&self, ip: Option<IpAddr>, spare: ConnId) -> Option<ConnId> {
        self.prelogin(ip)
            .filter(|(&k, _)| k != spare)
            .min_by_key(|(_, c)| (c.login().is_some(), c.accepted))
            .map(|(&k, _)| k)
    }

    fn prelogin(&self, ip: Option<IpAddr>) -> impl Iterator<Item = (&ConnId, &Conn)> {
        self.conns
            .iter()
            .filter(move |(_, c)| c.in_login() && ip.is_none_or(|ip| c.peer.ip() == ip))
    }

    pub fn is_open(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(Conn::is_open)
    }

    /// Encodes `pdu` with the connection's digests and queues it.
    pub fn send(&mut self, conn: ConnId, pdu: Pdu) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if !c.is_open() {
            return;
        }
        self.tx.push_back((conn, pdu.encode_parts(c.digests)));
    }

    /// The next frame to write.
    pub fn pop_tx(&mut self) -> Option<(ConnId, EncodedParts)> {
        self.tx.pop_front()
    }

    /// The StatSN for a new status on `conn`, advancing it.
    pub fn take_stat_sn(&mut self, conn: ConnId) -> u32 {
        match self.conns.get_mut(&conn) {
            Some(c) => {
                let s = c.stat_sn;
                c.stat_sn = s.wrapping_add(1);
                s
            }
            None => 0,
        }
    }

    /// The StatSN to put in a PDU that does not advance it (R2T, NOP-In
    /// ping, RFC 7143 §11.8.3 and §11.19.3).
    pub fn peek_stat_sn(&self, conn: ConnId) -> u32 {
        self.conns.get(&conn).map_or(0, |c| c.stat_sn)
    }

    /// The session of a connection in full feature phase.
    pub fn session_of(&self, conn: ConnId) -> Option<u64> {
        self.conns.get(&conn).and_then(Conn::session)
    }

    pub fn peer_of(&self, conn: ConnId) -> SocketAddr {
        self.conns
            .get(&conn)
            .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.peer)
    }

    /// The initiator's MaxRecvDataSegmentLength on `conn` (RFC 7143
    /// §13.12), `default` for a connection gone.
    pub fn max_send(&self, conn: ConnId, default: u32) -> u32 {
        self.conns.get(&conn).map_or(default, |c| c.max_send)
    }
}

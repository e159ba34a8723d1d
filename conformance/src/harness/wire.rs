//! A raw iSCSI connection: send any PDU, any frame or any bytes, and read
//! back whatever the target sends, with a timeout. Nothing here checks the
//! target; scenarios decide what is right.

use crate::context::Context;
use crate::scenario::ScenarioError;
use crate::transcript::Direction;
use bytes::Bytes;
use rtgt_proto::pdu::{
    DecodeError, DecoderConfig, Digests, Isid, IsidType, LoginRequest, LoginResponse, LoginStage,
    Pdu, RawPdu, StreamDecoder, MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
use rtgt_proto::text::{self, Pair};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// What came back.
#[derive(Debug)]
pub enum Received {
    Pdu(Pdu),
    /// A frame that did not decode as a PDU (unknown opcode kept raw by
    /// `Pdu::decode`, so this is a malformed header).
    Undecodable(RawPdu, String),
    /// The stream decoder refused what arrived (digest error, oversize segment).
    DecodeError(DecodeError),
    /// The target closed (or reset) the connection.
    Closed,
    /// Nothing arrived in time.
    Timeout,
}

impl Received {
    pub fn describe(&self) -> String {
        match self {
            Received::Pdu(pdu) => pdu.opcode().name().to_owned(),
            Received::Undecodable(_, why) => format!("an undecodable PDU ({why})"),
            Received::DecodeError(e) => format!("a stream error ({e})"),
            Received::Closed => "the connection closed".to_owned(),
            Received::Timeout => "nothing".to_owned(),
        }
    }

    /// The PDU awaited as `what` within `timeout`; anything else is an
    /// error naming it.
    pub fn into_pdu(self, timeout: Duration, what: &str) -> Result<Pdu, ScenarioError> {
        match self {
            Received::Pdu(pdu) => Ok(pdu),
            Received::Timeout => Err(ScenarioError::Timeout(timeout, what.to_owned())),
            Received::Closed => Err(ScenarioError::Closed(what.to_owned())),
            other => Err(ScenarioError::Setup(format!(
                "waiting for {what}, received {}",
                other.describe()
            ))),
        }
    }
}

/// A TCP connection to the target with a PDU decoder on the receive side.
#[derive(Debug)]
pub struct Wire {
    stream: TcpStream,
    decoder: StreamDecoder,
    digests: Digests,
    closed: bool,
}

impl Wire {
    /// Connects to the target, with login-phase framing (no digests).
    pub fn connect(ctx: &mut Context) -> Result<Wire, ScenarioError> {
        let addr = ctx.target.addr.clone();
        let connect = || -> std::io::Result<TcpStream> {
            let mut last = None;
            for a in addr.to_socket_addrs()? {
                match TcpStream::connect_timeout(&a, ctx.target.timeout) {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no address")))
        };
        let stream = connect().map_err(|source| ScenarioError::Connect {
            addr: addr.clone(),
            source,
        })?;
        stream.set_nodelay(true)?;
        Ok(Wire {
            stream,
            decoder: StreamDecoder::new(DecoderConfig {
                digests: Digests::NONE,
                max_data_segment_length: MAX_DATA_SEGMENT_LENGTH_LIMIT,
            }),
            digests: Digests::NONE,
            closed: false,
        })
    }

    /// Digests for both directions from now on (after a login that
    /// negotiated them).
    pub fn set_digests(&mut self, digests: Digests) {
        self.digests = digests;
        self.decoder.set_digests(digests);
    }

    pub fn digests(&self) -> Digests {
        self.digests
    }

    /// Sends a typed PDU with the current digests.
    pub fn send(&mut self, ctx: &mut Context, pdu: impl Into<Pdu>) -> Result<(), ScenarioError> {
        let raw = pdu.into().to_raw();
        self.send_raw(ctx, &raw, self.digests)
    }

    /// Sends a frame exactly as it is (lengths and padding as set), with
    /// `digests` (which may differ from the negotiated ones on purpose).
    pub fn send_raw(
        &mut self,
        ctx: &mut Context,
        raw: &RawPdu,
        digests: Digests,
    ) -> Result<(), ScenarioError> {
        ctx.transcript.pdu(Direction::ToTarget, raw);
        self.write(&raw.encode(digests))
    }

    /// Sends bytes that need not form a PDU.
    pub fn send_bytes(&mut self, ctx: &mut Context, bytes: &[u8]) -> Result<(), ScenarioError> {
        ctx.transcript.bytes(Direction::ToTarget, bytes);
        self.write(bytes)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ScenarioError> {
        match self.stream.write_all(bytes) {
            Ok(()) => Ok(()),
            // The target may already have closed: the scenario reads that next.
            Err(e) if is_closed(&e) => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The next thing from the target within `timeout`.
    pub fn recv(
        &mut self,
        ctx: &mut Context,
        timeout: Duration,
    ) -> Result<Received, ScenarioError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(frame) = self.decoder.next_frame() {
                let received = match frame {
                    Ok(raw) => {
                        ctx.transcript.pdu(Direction::FromTarget, &raw);
                        match Pdu::decode(&raw) {
                            Ok(pdu) => Received::Pdu(pdu),
                            Err(e) => Received::Undecodable(raw, e.to_string()),
                        }
                    }
                    Err(e) => {
                        ctx.transcript
                            .note(format!("stream error from the target: {e}"));
                        Received::DecodeError(e)
                    }
                };
                return Ok(received);
            }
            if self.closed {
                return Ok(Received::Closed);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Received::Timeout);
            }
            if read_once(&mut self.stream, ctx, left, |bytes| {
                self.decoder.feed(bytes)
            })? {
                self.closed = true;
            }
        }
    }

    /// The next PDU, within the target's timeout; anything else is an error
    /// naming `what` was awaited.
    pub fn expect_pdu(&mut self, ctx: &mut Context, what: &str) -> Result<Pdu, ScenarioError> {
        let timeout = ctx.target.timeout;
        self.recv(ctx, timeout)?.into_pdu(timeout, what)
    }

    /// Waits for a Login Response.
    pub fn expect_login_response(
        &mut self,
        ctx: &mut Context,
    ) -> Result<Result<LoginResponse, Pdu>, ScenarioError> {
        match self.expect_pdu(ctx, "a Login Response")? {
            Pdu::LoginResponse(r) => Ok(Ok(r)),
            other => Ok(Err(other)),
        }
    }

    /// Whether the target dropped the connection within `quiet` (reading
    /// and discarding anything that arrives first).
    pub fn closed_within(
        &mut self,
        ctx: &mut Context,
        quiet: Duration,
    ) -> Result<bool, ScenarioError> {
        wait_within(quiet, |left| {
            Ok(match self.recv(ctx, left)? {
                Received::Closed => Some(true),
                Received::Timeout => Some(false),
                _ => None,
            })
        })
    }
}

/// Calls `step` with the time left of `within` (from now) until it
/// decides: a deadline for waits that read several PDUs, so that a target
/// sending other PDUs cannot stretch the wait. `step` must decide once no
/// time is left (a read then gives [`Received::Timeout`]).
pub fn wait_within<T>(
    within: Duration,
    mut step: impl FnMut(Duration) -> Result<Option<T>, ScenarioError>,
) -> Result<T, ScenarioError> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Some(decided) = step(left)? {
            return Ok(decided);
        }
    }
}

/// Reads once from `stream`, waiting up to `wait`, and hands what arrived
/// to `feed`. True when the connection ended (closed or reset, noted in
/// the transcript); nothing arriving in time is no end.
pub(crate) fn read_once(
    stream: &mut TcpStream,
    ctx: &mut Context,
    wait: Duration,
    feed: impl FnOnce(&[u8]),
) -> Result<bool, ScenarioError> {
    stream.set_read_timeout(Some(wait))?;
    let mut buf = [0u8; 65536];
    match stream.read(&mut buf) {
        Ok(0) => {
            ctx.transcript.note("the target closed the connection");
            Ok(true)
        }
        Ok(n) => {
            feed(&buf[..n]);
            Ok(false)
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(false),
        Err(e) if is_closed(&e) => {
            ctx.transcript.note(format!("the connection ended: {e}"));
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

fn is_closed(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// A random-looking but fixed ISID of type "random" (RFC 7143 §11.12.5:
/// B and C random, D the qualifier), distinct per `qualifier`, scenario
/// and worker ([`crate::runner::session_seed`]), for raw logins.
pub fn isid(qualifier: u16) -> Isid {
    let [b0, b1, c, ..] = crate::runner::session_seed().to_be_bytes();
    Isid {
        t: IsidType::Random,
        a: 0,
        b: u16::from_be_bytes([b0, b1]),
        c,
        d: qualifier,
    }
}

/// A Login Request with the given stages, transit bit and keys, CmdSN 1,
/// ITT 1, CID 0, version 0, ISID [`isid`]\(1), TSIH 0: the usual first
/// request, for scenarios to change one thing of.
pub fn login_request(
    csg: LoginStage,
    nsg: LoginStage,
    transit: bool,
    keys: &[(&str, &str)],
) -> LoginRequest {
    LoginRequest {
        transit,
        csg,
        nsg: if transit {
            nsg
        } else {
            LoginStage::SecurityNegotiation
        },
        isid: isid(1),
        itt: 1,
        cmd_sn: 1,
        data: encode_keys(keys),
        ..LoginRequest::default()
    }
}

/// The keys of a Login or Text data segment as the target wrote them: each
/// NUL-separated `key=value` (RFC 7143 §6.1), without the syntax checks of
/// `text::decode`. A target may rightly echo a key that check refuses (a
/// key of 64 characters answered `NotUnderstood`), and one bad pair must
/// not hide the others; a pair without `=` is left out.
pub fn keys_of(data: &[u8]) -> Vec<Pair> {
    data.split(|&b| b == 0)
        .filter_map(|raw| {
            let pair = String::from_utf8_lossy(raw);
            let (key, value) = pair.split_once('=')?;
            Some(Pair::new(key, value))
        })
        .collect()
}

/// `keys` as a text data segment (RFC 7143 §6.1).
pub fn encode_keys(keys: &[(&str, &str)]) -> Bytes {
    let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(*k, *v)).collect();
    Bytes::from(text::encode(&pairs))
}

/// `keys` as owned pairs.
pub fn kv(keys: &[(&str, &str)]) -> Vec<(String, String)> {
    keys.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `keys` borrowed as string slices, for the functions that take them so.
pub fn borrowed(keys: &[(String, String)]) -> Vec<(&str, &str)> {
    keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The value of `key` in `pairs`, if sent.
pub fn value_of<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

impl Wire {
    /// The TCP stream, for a driver that takes the connection over.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }
}

/// The value of `key` among `pairs`: the last one if sent twice, as the
/// last answer is the one that stands.
pub fn last_value<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

//! The connection side: rtgt's initiator core logs in over a blocking
//! `TcpStream` (as the conformance suite's driver does), then the fuzzer
//! owns the stream and sends its own frames, reading the target's answers
//! with rtgt's `StreamDecoder` and keeping the session numbers RFC 7143
//! §4.2.2 asks for (CmdSN, ExpStatSN) so its PDUs land where it means them.

use crate::seq::Numbers;
use anyhow::{anyhow, bail, Context, Result};
use rtgt_initiator_core::{
    ChapConfig, Event, Initiator, InitiatorConfig, SeededRandom, SendTargets, Strictness,
};
use rtgt_proto::pdu::{
    DecoderConfig, Digests, Opcode, RawPdu, StreamDecoder, MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The initiator name the fuzzer logs in with.
pub const INITIATOR_NAME: &str = "iqn.2024-01.org.rtgt:fuzz-net";

/// Where and how to log in.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub iqn: String,
    pub lun: u16,
    pub chap: Option<(String, String)>,
    /// How long an answer may take before the target counts as silent.
    pub timeout: Duration,
}

pub fn resolve(host_port: &str) -> Result<SocketAddr> {
    host_port
        .to_socket_addrs()
        .with_context(|| format!("resolving {host_port}"))?
        .next()
        .ok_or_else(|| anyhow!("{host_port} resolves to no address"))
}

pub fn connect(addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_nodelay(true)?;
    s.set_write_timeout(Some(timeout))?;
    Ok(s)
}

fn config(t: &Target, discovery: bool) -> InitiatorConfig {
    let mut c = if discovery {
        InitiatorConfig::discovery(INITIATOR_NAME)
    } else {
        InitiatorConfig::normal(INITIATOR_NAME, &t.iqn)
    };
    if let Some((user, secret)) = &t.chap {
        let mut chap = ChapConfig::one_way(user, secret.as_bytes());
        // MD5, the algorithm RFC 7143 §12.1.3 makes mandatory.
        chap.algorithms = vec![rtgt_proto::chap::ChapAlgorithm::Md5];
        c = c.with_chap(chap);
    }
    c.strictness = Strictness::Lenient;
    c
}

/// Runs the core over `stream` until `want` matches an event.
fn drive(
    core: &mut Initiator,
    stream: &mut TcpStream,
    timeout: Duration,
    want: impl Fn(&Event) -> bool,
) -> Result<Event> {
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65536];
    loop {
        while let Some(parts) = core.poll_transmit() {
            stream.write_all(&parts.slices().concat())?;
        }
        while let Some(e) = core.poll_event() {
            if want(&e) {
                return Ok(e);
            }
            if let Event::Closed(r) = e {
                bail!("the session closed: {r:?}");
            }
        }
        let now = Instant::now();
        if now >= deadline {
            bail!("no answer within {timeout:?}");
        }
        let until = core.poll_timeout().map_or(deadline, |t| t.min(deadline));
        stream.set_read_timeout(Some(
            until
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
        ))?;
        match stream.read(&mut buf) {
            Ok(0) => bail!("the target closed the connection"),
            Ok(n) => core.handle_bytes(Instant::now(), &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e.into()),
        }
        core.handle_timeout(Instant::now());
    }
}

fn login(core: &mut Initiator, stream: &mut TcpStream, timeout: Duration) -> Result<Event> {
    core.login(Instant::now())
        .map_err(|e| anyhow!("login: {e}"))?;
    match drive(core, stream, timeout, |e| {
        matches!(
            e,
            Event::LoginComplete { .. } | Event::LoginFailed(_) | Event::Redirected { .. }
        )
    })? {
        e @ Event::LoginComplete { .. } => Ok(e),
        other => bail!("login refused: {other:?}"),
    }
}

/// The targets a discovery session lists (RFC 7143 §13.3 SendTargets=All).
pub fn discover(t: &Target) -> Result<Vec<String>> {
    let mut stream = connect(t.addr, t.timeout)?;
    let mut core = Initiator::new(config(t, true), SeededRandom::new(1));
    if login(&mut core, &mut stream, t.timeout).is_err() {
        // A target without discovery authentication: try without CHAP.
        let mut plain = t.clone();
        plain.chap = None;
        stream = connect(t.addr, t.timeout)?;
        core = Initiator::new(config(&plain, true), SeededRandom::new(1));
        login(&mut core, &mut stream, t.timeout).context("discovery login")?;
    }
    core.send_targets(Instant::now(), SendTargets::All)
        .map_err(|e| anyhow!("SendTargets: {e}"))?;
    match drive(&mut core, &mut stream, t.timeout, |e| {
        matches!(e, Event::Discovery { .. })
    })? {
        Event::Discovery { targets, .. } => Ok(targets.into_iter().map(|d| d.name).collect()),
        _ => bail!("no SendTargets answer"),
    }
}

/// A connection the fuzzer sends its frames on.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    decoder: StreamDecoder,
    pub digests: Digests,
    pub closed: bool,
}

/// Every frame received, and whether the target closed the connection.
#[derive(Debug, Default)]
pub struct Answers {
    pub pdus: Vec<RawPdu>,
    pub closed: bool,
    /// The received stream did not split into frames.
    pub garbled: bool,
}

impl Conn {
    /// A bare connection, for login-phase cases.
    pub fn bare(t: &Target) -> Result<Conn> {
        let stream = connect(t.addr, t.timeout)?;
        Ok(Conn {
            stream,
            decoder: StreamDecoder::new(decoder_config(Digests::NONE)),
            digests: Digests::NONE,
            closed: false,
        })
    }

    /// A connection in full feature phase through rtgt's initiator core,
    /// and the session numbers it left.
    pub fn full_feature(t: &Target, seed: u64) -> Result<(Conn, Numbers)> {
        let mut stream = connect(t.addr, t.timeout)?;
        let mut core = Initiator::new(config(t, false), SeededRandom::new(seed));
        let Event::LoginComplete { isid, tsih, .. } = login(&mut core, &mut stream, t.timeout)?
        else {
            bail!("login did not complete");
        };
        let numbers = Numbers {
            cmd_sn: core.next_cmd_sn(),
            exp_stat_sn: core.exp_stat_sn(),
            max_cmd_sn: core.next_cmd_sn(),
            lun: t.lun,
            next_itt: 0x100,
            isid: isid.to_bytes(),
            tsih,
            initiator_name: INITIATOR_NAME.to_owned(),
            target_name: t.iqn.clone(),
            ..Numbers::default()
        };
        let receive = core.connection().receive_digests();
        Ok((
            Conn {
                stream,
                decoder: StreamDecoder::new(decoder_config(receive)),
                digests: core.digests(),
                closed: false,
            },
            numbers,
        ))
    }

    /// Writes `bytes`, cut at `cuts` into separate writes.
    pub fn send(&mut self, bytes: &[u8], cuts: &[u32]) {
        if self.closed {
            return;
        }
        let mut at = 0usize;
        let mut points: Vec<usize> = cuts
            .iter()
            .map(|&c| c as usize)
            .filter(|&c| c < bytes.len())
            .collect();
        points.sort_unstable();
        points.push(bytes.len());
        for p in points {
            if p <= at {
                continue;
            }
            if self.stream.write_all(&bytes[at..p]).is_err() {
                self.closed = true;
                return;
            }
            at = p;
        }
    }

    /// Reads what the target sends until it has been quiet for `quiet`
    /// (waiting at most `first` for the first bytes), updating `n` from
    /// every frame. With `until`, reads until the NOP-In with that ITT
    /// (at most `first` in all).
    pub fn receive(
        &mut self,
        n: &mut Numbers,
        first: Duration,
        quiet: Duration,
        until: Option<u32>,
    ) -> Answers {
        let mut out = Answers::default();
        let mut buf = vec![0u8; 65536];
        let mut wait = first;
        let hard = Instant::now() + first + Duration::from_secs(2);
        let end = Instant::now() + first;
        let mut done = false;
        while !self.closed && !done && Instant::now() < hard {
            if until.is_some() {
                wait = end.saturating_duration_since(Instant::now());
                if wait.is_zero() {
                    break;
                }
            }
            if self
                .stream
                .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
                .is_err()
            {
                self.closed = true;
                break;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => self.closed = true,
                Ok(k) => {
                    self.decoder.feed(&buf[..k]);
                    wait = quiet;
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(_) => self.closed = true,
            }
            while let Some(frame) = self.decoder.next_frame() {
                match frame {
                    Ok(raw) => {
                        done |= raw.opcode() == Opcode::NopIn && Some(raw.itt()) == until;
                        note(n, &raw);
                        out.pdus.push(raw);
                    }
                    Err(_) => out.garbled = true,
                }
            }
        }
        out.closed = self.closed;
        out
    }
}

fn decoder_config(digests: Digests) -> DecoderConfig {
    DecoderConfig {
        digests,
        max_data_segment_length: MAX_DATA_SEGMENT_LENGTH_LIMIT,
    }
}

fn be32(raw: &RawPdu, at: usize) -> u32 {
    u32::from_be_bytes([
        raw.bhs[at],
        raw.bhs[at + 1],
        raw.bhs[at + 2],
        raw.bhs[at + 3],
    ])
}

/// Keeps ExpStatSN and MaxCmdSN from a target PDU (RFC 7143 §4.2.2.1: every
/// response carries StatSN, ExpCmdSN and MaxCmdSN; an R2T and a Data-In
/// without status do not advance StatSN, §11.7.4, §11.8) and records R2Ts.
fn note(n: &mut Numbers, raw: &RawPdu) {
    let op = raw.opcode();
    let status = match op {
        Opcode::ReadyToTransfer => false,
        Opcode::DataIn => raw.bhs[1] & 0x01 != 0,
        Opcode::LoginResponse => false,
        _ => op.sender() == rtgt_proto::pdu::Role::Target,
    };
    if status {
        n.exp_stat_sn = be32(raw, 24).wrapping_add(1);
    }
    if op.sender() == rtgt_proto::pdu::Role::Target && op != Opcode::Reject {
        n.max_cmd_sn = be32(raw, 32);
    }
    if op == Opcode::ReadyToTransfer {
        n.r2ts.push((
            raw.itt(),
            be32(raw, 20),
            be32(raw, 40),
            be32(raw, 44),
            be32(raw, 36),
        ));
    }
}

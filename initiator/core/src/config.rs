//! What the caller decides before a login: names, credentials, the keys to
//! propose (legal or not), strictness, timers, and the source of randomness.

use std::time::Duration;

use rtgt_proto::chap::{ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::Isid;
use rtgt_proto::text::{LocalConfig, SessionType};

/// Randomness for the ISID qualifier and CHAP challenges and identifiers
/// comes from a [`RandomSource`]: the OS in production, a seed in the
/// simulator and tests.
pub use rtgt_proto::random::{RandomSource, SeededRandom};

/// What to do when the target breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Report the violation and close the session.
    #[default]
    Strict,
    /// Report the violation and carry on as well as possible.
    Lenient,
}

/// Whether received PDUs are also handed to the caller as
/// [`Event::Received`](super::Event::Received).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReceiveMode {
    /// PDUs are processed; none is delivered raw.
    #[default]
    Process,
    /// Every PDU is delivered raw, then processed.
    Also,
    /// Every PDU is delivered raw and not processed at all (no checks, no
    /// sequence tracking): for negative tests that read what came back.
    Only,
}

/// The mutual half of CHAP: what the target must prove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutualChap {
    /// The CHAP_N the target must answer with, if checked.
    pub target_user: Option<String>,
    /// The secret the target's CHAP_R is computed with.
    pub target_secret: ChapSecret,
    /// Bytes of our challenge (RFC 7143 §12.1.3: at most 1024).
    pub challenge_len: usize,
}

/// CHAP credentials (RFC 7143 §12.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapConfig {
    /// Our CHAP_N.
    pub user: String,
    /// Our secret.
    pub secret: ChapSecret,
    /// CHAP_A as offered, in order (one or several).
    pub algorithms: Vec<ChapAlgorithm>,
    /// Mutual authentication, when the target must prove itself too.
    pub mutual: Option<MutualChap>,
}

impl ChapConfig {
    /// One-way CHAP offering every algorithm, strongest first.
    pub fn one_way(user: &str, secret: &[u8]) -> Self {
        ChapConfig {
            user: user.to_owned(),
            secret: ChapSecret::new(secret),
            algorithms: ChapAlgorithm::ALL.to_vec(),
            mutual: None,
        }
    }

    /// Adds the mutual half.
    pub fn with_mutual(mut self, target_user: Option<&str>, target_secret: &[u8]) -> Self {
        self.mutual = Some(MutualChap {
            target_user: target_user.map(str::to_owned),
            target_secret: ChapSecret::new(target_secret),
            challenge_len: 16,
        });
        self
    }
}

/// How the security stage authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// AuthMethod=None.
    #[default]
    None,
    /// AuthMethod=CHAP.
    Chap(ChapConfig),
}

/// Everything an [`Initiator`](super::Initiator) needs before its login.
#[derive(Debug, Clone)]
pub struct InitiatorConfig {
    /// The keys we propose and answer with, by name: InitiatorName,
    /// TargetName, SessionType, AuthMethod and every operational key. Any
    /// value may be set, legal or not (see [`LocalConfig::set`]).
    pub keys: LocalConfig,
    /// Authentication.
    pub auth: Auth,
    /// The ISID; None draws a random-format ISID from the random source.
    /// Reusing an earlier session's ISID with TSIH 0 reinstates it.
    pub isid: Option<Isid>,
    /// TSIH: 0 for a new session, the target's value to add a connection.
    pub tsih: u16,
    /// Our connection ID.
    pub cid: u16,
    /// Version-max and Version-min of the Login Request (RFC 7143 §11.12.4).
    pub version: (u8, u8),
    /// The first CmdSN.
    pub initial_cmd_sn: u32,
    /// Start with the LoginOperationalNegotiation stage, skipping security.
    pub skip_security: bool,
    /// What a target's rule breaking costs.
    pub strictness: Strictness,
    /// Raw delivery of received PDUs.
    pub receive_mode: ReceiveMode,
    /// How long our NOP-Out ping waits for its NOP-In before the connection
    /// is declared dead.
    pub nop_timeout: Duration,
    /// Send a ping this often in full feature phase.
    pub keepalive: Option<Duration>,
    /// Give up a login that takes longer than this.
    pub login_timeout: Option<Duration>,
    /// Give up a logout the target neither answers nor ends within this:
    /// the session closes locally with `CloseReason::LogoutTimeout`.
    pub logout_timeout: Option<Duration>,
}

/// Our MaxRecvDataSegmentLength unless the caller sets another.
pub const DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH: u32 = 262_144;

impl InitiatorConfig {
    fn base(initiator_name: &str) -> Self {
        let mut keys = LocalConfig::rfc_defaults();
        keys.set("InitiatorName", initiator_name)
            .set("AuthMethod", "None")
            .set(
                "MaxRecvDataSegmentLength",
                &DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH.to_string(),
            );
        InitiatorConfig {
            keys,
            auth: Auth::None,
            isid: None,
            tsih: 0,
            cid: 0,
            version: (0, 0),
            initial_cmd_sn: 1,
            skip_security: false,
            strictness: Strictness::Strict,
            receive_mode: ReceiveMode::Process,
            nop_timeout: Duration::from_secs(10),
            keepalive: None,
            login_timeout: Some(Duration::from_secs(15)),
            logout_timeout: Some(Duration::from_secs(15)),
        }
    }

    /// A normal session to `target_name`.
    pub fn normal(initiator_name: &str, target_name: &str) -> Self {
        let mut c = Self::base(initiator_name);
        c.keys
            .set("TargetName", target_name)
            .set("SessionType", "Normal");
        c
    }

    /// A discovery session (RFC 7143 §13.21: no TargetName).
    pub fn discovery(initiator_name: &str) -> Self {
        let mut c = Self::base(initiator_name);
        c.keys.set("SessionType", "Discovery");
        c
    }

    /// Sets CHAP; AuthMethod becomes `CHAP` unless set otherwise later.
    pub fn with_chap(mut self, chap: ChapConfig) -> Self {
        self.keys.set("AuthMethod", "CHAP");
        self.auth = Auth::Chap(chap);
        self
    }

    /// The session type the keys declare.
    pub fn session_type(&self) -> SessionType {
        match self.keys.get("SessionType") {
            Some("Discovery") => SessionType::Discovery,
            _ => SessionType::Normal,
        }
    }

    /// Our declared MaxRecvDataSegmentLength, if it reads as a number.
    pub fn max_recv_data_segment_length(&self) -> u32 {
        self.keys
            .get("MaxRecvDataSegmentLength")
            .and_then(|v| rtgt_proto::text::value::parse_numerical(v).ok())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(8192)
    }
}

/// The session's random source.
#[derive(Debug)]
pub(crate) struct Rng(pub Box<dyn RandomSource>);

impl Rng {
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.0.fill(&mut b);
        b
    }

    pub(crate) fn vec(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        self.0.fill(&mut b);
        b
    }
}

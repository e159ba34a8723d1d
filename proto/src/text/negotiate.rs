//! Text negotiation for either side (RFC 7143 §6.2, §6.3, §13).
//!
//! One [`Negotiator`] covers one negotiation: a login on one connection, or one
//! text exchange in full feature phase. It answers the peer's offers
//! ([`Negotiator::handle`]), checks the peer's answers to ours, remembers what
//! was sent so that a key negotiated twice is caught, and yields the outcome as
//! [`OperationalParams`](super::params::OperationalParams).
//!
//! Driving it: the side that speaks first calls [`Negotiator::propose`] (or
//! [`Negotiator::offer`] for hand-made, possibly illegal offers), encodes the
//! pairs and sends them; every received set of pairs goes to `handle`, whose
//! [`Outcome::responses`] are sent back together with any new proposals. CHAP
//! keys come out in [`Outcome::auth`] for the authentication code. The
//! exchange may end when [`Negotiator::unanswered`] is empty on both sides.

use std::collections::BTreeMap;

use thiserror::Error;

use super::codec::Pair;
pub use super::config::LocalConfig;
use super::keys::{self, KeyDef, KeyKind};
use super::value;

/// Which end of the connection this negotiator speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The initiator.
    Initiator,
    /// The target.
    Target,
}

/// RFC 7143 §13.21: the two session types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionType {
    /// A normal session, to one target.
    Normal,
    /// A discovery session (SendTargets only).
    Discovery,
}

/// RFC 7143 §6.3: where in the life of a connection the negotiation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Login, SecurityNegotiation stage (CSG 0).
    Security,
    /// Login, LoginOperationalNegotiation stage (CSG 1).
    Operational,
    /// Text Request/Response in full feature phase.
    FullFeature,
}

impl Stage {
    fn allows(self, def: &KeyDef) -> bool {
        match self {
            Stage::Security => def.stages.security,
            Stage::Operational => def.stages.operational,
            Stage::FullFeature => def.stages.full_feature,
        }
    }
}

/// A protocol error that ends the negotiation. RFC 7143 §6.2 and §6.3: a
/// target answers it with a Login reject (Initiator Error, status 0x0200 or
/// the more specific one named in the variant's doc); an initiator drops the
/// connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NegotiationError {
    /// RFC 7143 §6.2: a key may be declared or negotiated only once per
    /// negotiation, except keys that allow repetition (TargetAddress).
    #[error("key {key} was negotiated twice; a peer must send each key once")]
    Duplicate { key: String },
    /// RFC 7143 §13 "Senders": the peer's role may not send this key.
    #[error("key {key} may not be sent by the {peer:?}")]
    WrongSender { key: String, peer: Role },
    /// RFC 7143 §13 "Use" and §6.3: the key is not allowed in this stage.
    #[error("key {key} may not be sent in the {stage:?} stage")]
    WrongStage { key: String, stage: Stage },
    /// RFC 7143 §6.2: Reject, Irrelevant and NotUnderstood are answers only.
    #[error("key {key} was offered with the reserved answer value {value}")]
    ReservedValueOffered { key: String, value: String },
    /// A declarative key with a value outside its definition (status 0x0207
    /// for a missing one, 0x0200 here).
    #[error("key {key} declares an invalid value {value:?}")]
    InvalidDeclaration { key: String, value: String },
    /// RFC 7143 §6.2.1 and §6.2.2: the answer to our offer is not one the
    /// result function can give.
    #[error("answer {key}={value} is not a legal answer to our offer {offered:?}")]
    IllegalAnswer {
        key: String,
        value: String,
        offered: String,
    },
    /// RFC 7143 §13.4, §13.5, §13.21: a key that must be in the first Login
    /// Request is missing (Login reject status 0x0207, Missing Parameter).
    #[error("required key {key} is missing from the first login request")]
    MissingKey { key: &'static str },
    /// Our own configuration cannot be read for this key (a local mistake).
    #[error("our configured value {value:?} for key {key} cannot be used; fix the configuration")]
    BadLocalValue { key: String, value: String },
}

/// What [`Negotiator::handle`] produced from one set of received pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Answers to the peer's offers and our own new declarations, to send.
    pub responses: Vec<Pair>,
    /// CHAP keys (RFC 7143 §12.1.3), for the authentication code.
    pub auth: Vec<Pair>,
    /// SendTargets requests (RFC 7143 §13.3), for the discovery code.
    pub queries: Vec<Pair>,
}

/// How far one of our offers has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sent {
    /// Offered, answer awaited; `optional` when §6.2.2 makes the answer
    /// optional (AND offered No, OR offered Yes).
    Pending { value: String, optional: bool },
    /// Answered (or declared, for a declarative key).
    Done { value: String },
}

/// One side of one negotiation.
#[derive(Debug, Clone)]
pub struct Negotiator {
    pub(super) role: Role,
    pub(super) stage: Stage,
    pub(super) leading: bool,
    pub(super) config: LocalConfig,
    /// Answer booleans whose outcome the offer already decides (§6.2.2 makes
    /// this optional).
    pub(super) answer_decided_booleans: bool,
    /// Answer OFMarker/IFMarker with No instead of Reject (§13.25 allows both).
    pub(super) markers_answer_no: bool,
    /// Keys we sent, with their state.
    pub(super) ours: BTreeMap<String, Sent>,
    /// Keys the peer offered or declared, with the value it sent.
    pub(super) theirs: BTreeMap<String, String>,
    /// Negotiated outcomes (not declarations).
    pub(super) results: BTreeMap<String, String>,
}

impl Negotiator {
    /// A negotiator for the leading connection, starting in the given stage.
    pub fn new(role: Role, stage: Stage, config: LocalConfig) -> Self {
        Negotiator {
            role,
            stage,
            leading: true,
            config,
            answer_decided_booleans: true,
            markers_answer_no: false,
            ours: BTreeMap::new(),
            theirs: BTreeMap::new(),
            results: BTreeMap::new(),
        }
    }

    /// Marks the connection as non-leading: leading-only keys (RFC 7143 §13
    /// "Use: LO") are then answered Irrelevant and not proposed.
    pub fn non_leading(mut self) -> Self {
        self.leading = false;
        self
    }

    /// Whether to answer a Boolean whose outcome the offer already decides
    /// (RFC 7143 §6.2.2 makes that answer optional). Default: answer.
    pub fn answer_decided_booleans(mut self, yes: bool) -> Self {
        self.answer_decided_booleans = yes;
        self
    }

    /// Answer OFMarker/IFMarker with No (RFC 7143 §13.25 MAY) instead of
    /// Reject (its SHOULD). Default: Reject.
    pub fn markers_answer_no(mut self, yes: bool) -> Self {
        self.markers_answer_no = yes;
        self
    }

    /// Moves to another stage (after a stage transition, RFC 7143 §6.3).
    pub fn set_stage(&mut self, stage: Stage) {
        self.stage = stage;
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Our configuration.
    pub fn config(&self) -> &LocalConfig {
        &self.config
    }

    /// The session type: the initiator's SessionType declaration, ours or the
    /// peer's (RFC 7143 §13.21, default Normal).
    pub fn session_type(&self) -> SessionType {
        let declared = match self.role {
            Role::Initiator => self.config.get("SessionType"),
            Role::Target => self.theirs.get("SessionType").map(String::as_str),
        };
        match declared {
            Some("Discovery") => SessionType::Discovery,
            _ => SessionType::Normal,
        }
    }

    /// Our value for a key: the configured one, else the RFC default.
    pub(super) fn local_value(&self, def: &KeyDef) -> Option<&str> {
        self.config.get(def.name).or(def.default)
    }

    /// What the peer offered or declared for a key.
    pub fn peer_value(&self, key: &str) -> Option<&str> {
        self.theirs.get(key).map(String::as_str)
    }

    /// The negotiated outcome of a key, if it has one (not a declaration).
    pub fn result(&self, key: &str) -> Option<&str> {
        self.results.get(key).map(String::as_str)
    }

    /// What we declared or offered for a key.
    pub fn our_value(&self, key: &str) -> Option<&str> {
        self.ours.get(key).map(|s| match s {
            Sent::Pending { value, .. } | Sent::Done { value } => value.as_str(),
        })
    }

    /// Our offers still waiting for an answer that the RFC requires, in name
    /// order. A declaration needs no answer, nor does a Boolean whose outcome
    /// the offer decides (RFC 7143 §6.2.2).
    pub fn unanswered(&self) -> Vec<&str> {
        self.ours
            .iter()
            .filter(|(_, s)| {
                matches!(
                    s,
                    Sent::Pending {
                        optional: false,
                        ..
                    }
                )
            })
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// Whether a key was already sent by either side in this negotiation.
    pub fn seen(&self, key: &str) -> bool {
        self.ours.contains_key(key) || self.theirs.contains_key(key)
    }

    /// Processes one complete set of received pairs (joined across C-bit
    /// PDUs), in order.
    pub fn handle(&mut self, pairs: &[Pair]) -> Result<Outcome, NegotiationError> {
        let mut out = Outcome::default();
        for pair in pairs {
            self.handle_pair(pair, &mut out)?;
        }
        Ok(out)
    }

    fn handle_pair(&mut self, pair: &Pair, out: &mut Outcome) -> Result<(), NegotiationError> {
        let key = pair.key.as_str();
        let def = keys::lookup(key);
        if let Some(def) = def {
            self.check_allowed(def)?;
        }
        // RFC 7143 §12.1.3: CHAP keys go to the authentication code; each
        // may still come only once.
        if def.is_some_and(|d| d.kind == KeyKind::Auth) {
            if self.theirs.contains_key(key) {
                return Err(NegotiationError::Duplicate { key: key.into() });
            }
            if let Some(Sent::Pending { value, .. }) = self.ours.get(key) {
                let value = value.clone();
                self.ours.insert(key.into(), Sent::Done { value });
            }
            self.theirs.insert(key.into(), pair.value.clone());
            out.auth.push(pair.clone());
            return Ok(());
        }
        // An answer to one of our offers.
        if let Some(Sent::Pending { value, .. }) = self.ours.get(key) {
            let offered = value.clone();
            return self.take_answer(def, key, &offered, &pair.value);
        }
        let repeatable = def.is_some_and(|d| d.repeatable);
        // RFC 7143 §6.2: a parameter may not be declared or negotiated twice;
        // a target detecting it rejects the login, an initiator drops the
        // connection.
        let declared_by_us = def.is_some_and(|d| d.kind == KeyKind::Declarative);
        if !repeatable
            && (self.theirs.contains_key(key) || (!declared_by_us && self.ours.contains_key(key)))
        {
            return Err(NegotiationError::Duplicate { key: key.into() });
        }
        self.theirs.insert(key.into(), pair.value.clone());
        let Some(def) = def else {
            // RFC 7143 §6.2: a key not understood is answered NotUnderstood;
            // §13.22: so is an unknown X- or X# extension key.
            out.responses.push(Pair::new(key, "NotUnderstood"));
            return Ok(());
        };
        self.answer_offer(def, &pair.value, out)
    }

    /// RFC 7143 §13 "Senders" and "Use".
    fn check_allowed(&self, def: &KeyDef) -> Result<(), NegotiationError> {
        let peer = match self.role {
            Role::Initiator => Role::Target,
            Role::Target => Role::Initiator,
        };
        // An answer to our own offer comes from the other side by nature, and
        // in the stage where we chose to offer it.
        if matches!(self.ours.get(def.name), Some(Sent::Pending { .. })) {
            return Ok(());
        }
        if !def.sendable_by(peer == Role::Initiator) {
            return Err(NegotiationError::WrongSender {
                key: def.name.into(),
                peer,
            });
        }
        if !self.stage.allows(def) {
            return Err(NegotiationError::WrongStage {
                key: def.name.into(),
                stage: self.stage,
            });
        }
        Ok(())
    }

    /// Records and returns an offer of ours, exactly as given (no check: this
    /// is how illegal offers are built). A declarative key is recorded as
    /// declared; a Boolean whose outcome the offer decides (AND with No, OR
    /// with Yes) is recorded with that outcome, its answer being optional.
    pub fn offer(&mut self, key: &str, value: &str) -> Pair {
        let def = keys::lookup(key);
        let sent = match def.map(|d| d.kind) {
            Some(KeyKind::Declarative) => Sent::Done {
                value: value.into(),
            },
            Some(kind @ (KeyKind::And | KeyKind::Or)) => {
                let decided = (kind == KeyKind::And && value == "No")
                    || (kind == KeyKind::Or && value == "Yes");
                if decided {
                    self.results.insert(key.into(), value.into());
                }
                Sent::Pending {
                    value: value.into(),
                    optional: decided,
                }
            }
            _ => Sent::Pending {
                value: value.into(),
                optional: false,
            },
        };
        self.ours.insert(key.into(), sent);
        Pair::new(key, value)
    }

    /// Our proposals for the current stage: every configured key we may send
    /// here that neither side has sent yet, in table order (then any
    /// configured extension keys). A target proposes only its declarations.
    pub fn propose(&mut self) -> Vec<Pair> {
        let discovery = self.session_type() == SessionType::Discovery;
        let mut wanted: Vec<(String, String)> = Vec::new();
        for def in keys::KEYS {
            let Some(value) = self.config.get(def.name) else {
                continue;
            };
            let kind_ok = match self.role {
                Role::Initiator => !matches!(def.kind, KeyKind::Auth | KeyKind::Query),
                Role::Target => def.kind == KeyKind::Declarative,
            };
            let skip = !kind_ok
                || !def.sendable_by(self.role == Role::Initiator)
                || !self.stage.allows(def)
                || self.seen(def.name)
                || (discovery && def.irrelevant_in_discovery)
                || (def.leading_only && !self.leading)
                // RFC 7143 §13.4: the target sends TargetName only in
                // SendTargets answers; no TargetName in discovery logins.
                || (def.name == "TargetName"
                    && (self.role == Role::Target || discovery));
            if !skip {
                wanted.push((def.name.into(), value.into()));
            }
        }
        for key in self.config.keys() {
            if keys::is_extension(key) && !self.seen(key) && self.stage != Stage::Security {
                wanted.push((key.into(), self.config.get(key).unwrap_or_default().into()));
            }
        }
        wanted.iter().map(|(k, v)| self.offer(k, v)).collect()
    }

    /// Checks the first Login Request for the keys RFC 7143 requires there:
    /// InitiatorName (§13.5) always, TargetName (§13.4) in a normal session.
    pub fn check_first_request(pairs: &[Pair]) -> Result<(), NegotiationError> {
        let has = |k: &str| pairs.iter().any(|p| p.key == k);
        if !has("InitiatorName") {
            return Err(NegotiationError::MissingKey {
                key: "InitiatorName",
            });
        }
        let discovery = pairs
            .iter()
            .any(|p| p.key == "SessionType" && p.value == "Discovery");
        if !discovery && !has("TargetName") {
            return Err(NegotiationError::MissingKey { key: "TargetName" });
        }
        Ok(())
    }

    /// Validates a declaration against its key's value definition.
    pub(super) fn valid_declaration(def: &KeyDef, v: &str) -> bool {
        use keys::ValueSpec as V;
        match def.spec {
            V::Text => value::check_text(v).is_ok(),
            // RFC 7143 §4.2.7.1: iSCSI names are at most 223 bytes.
            V::IscsiName => !v.is_empty() && v.len() <= 223 && !v.contains(','),
            V::LocalName | V::TargetAddress => value::check_simple_len(v).is_ok(),
            V::Number { min, max } => {
                value::parse_numerical(v).is_ok_and(|n| (min..=max).contains(&n))
            }
            V::Binary { min, max } => {
                value::parse_regular_binary(v).is_ok_and(|n| (min..=max).contains(&n))
            }
            V::OneOf(vals) => vals.contains(&v),
            _ => true,
        }
    }
}

//! Every text key RFC 7143 defines, as data (§12 security keys, §13
//! operational keys, RFC 7144 iSCSIProtocolLevel).
//!
//! Extension keys (`X-...` private, `X#...` IANA-registered, RFC 7143 §13.22)
//! are not in the table: each one is specific to whoever defined it, and a
//! responder that does not know one answers NotUnderstood (§6.2).

/// How a key's outcome is reached (RFC 7143 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// §6.2.1: the offer lists values by preference; the answer is the first
    /// one the responder supports, or Reject.
    List,
    /// §6.2.2: Boolean with result function AND.
    And,
    /// §6.2.2: Boolean with result function OR.
    Or,
    /// §6.2.2: numerical, result function Minimum.
    Min,
    /// §6.2.2: numerical, result function Maximum.
    Max,
    /// §6.2: declared by one side, never answered.
    Declarative,
    /// §12.1.3: part of the CHAP exchange, handed to the authentication code.
    Auth,
    /// §13.3: SendTargets, a request answered with a target list.
    Query,
    /// §13.25: obsolete marker keys, answered Reject (or No for the Booleans).
    Obsolete,
}

/// The values a key may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueSpec {
    /// A text-value (§6.1).
    Text,
    /// An iSCSI-name-value (§6.1), at most 223 bytes (§4.2.7.1).
    IscsiName,
    /// An iSCSI-local-name-value: any UTF-8 (§6.1), at most 255 bytes.
    LocalName,
    /// Yes or No.
    Bool,
    /// A numerical-value in `min..=max`.
    Number { min: u64, max: u64 },
    /// A regular-binary-value in `min..=max` (TargetPortalGroupTag, §13.9).
    Binary { min: u64, max: u64 },
    /// A large binary value in hex or base64 of at most this many bytes.
    LargeBinary { max_bytes: usize },
    /// A numeric range inside `min..=max` (the obsolete OFMarkInt/IFMarkInt).
    Range { min: u64, max: u64 },
    /// A list of these values (offer) or one of them (answer).
    ListOf(&'static [&'static str]),
    /// Exactly one of these values.
    OneOf(&'static [&'static str]),
    /// A list of numbers (CHAP_A).
    NumberList,
    /// `domainname[:port][,portal-group-tag]` (§13.8).
    TargetAddress,
}

/// Who may send a key (RFC 7143 §13, "Senders").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Senders {
    /// Only the initiator.
    Initiator,
    /// Only the target.
    Target,
    /// Either side.
    Both,
}

/// Where a key may be sent (RFC 7143 §13 "Use", §6.3 stages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stages {
    /// Login, security negotiation stage.
    pub security: bool,
    /// Login, operational negotiation stage.
    pub operational: bool,
    /// Text negotiation in full feature phase.
    pub full_feature: bool,
}

/// Whether a key applies to the whole session or to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Session wide (SW).
    Session,
    /// Connection only (CO).
    Connection,
}

/// One key of the RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDef {
    /// The key name, case sensitive.
    pub name: &'static str,
    /// How its outcome is reached.
    pub kind: KeyKind,
    /// Its legal values.
    pub spec: ValueSpec,
    /// The value in force when it is not negotiated, if the RFC gives one.
    pub default: Option<&'static str>,
    /// Who may send it.
    pub senders: Senders,
    /// Where it may be sent.
    pub stages: Stages,
    /// Session wide or per connection.
    pub scope: Scope,
    /// "Use: LO": only on the leading connection of a session.
    pub leading_only: bool,
    /// "Irrelevant when: SessionType=Discovery".
    pub irrelevant_in_discovery: bool,
    /// May appear several times in one exchange (TargetAddress, §6.2).
    pub repeatable: bool,
    /// The clause that defines it.
    pub clause: &'static str,
}

/// The stages a key may be sent in: security, operational, full feature.
const fn in_stages(security: bool, operational: bool, full_feature: bool) -> Stages {
    Stages {
        security,
        operational,
        full_feature,
    }
}

const SEC: Stages = in_stages(true, false, false);
const OPER: Stages = in_stages(false, true, false);
const LOGIN: Stages = in_stages(true, true, false);
const ALL: Stages = in_stages(true, true, true);
const OPER_FFP: Stages = in_stages(false, true, true);
const FFP: Stages = in_stages(false, false, true);

/// RFC 7143 §13.12-§13.14: 512 to 2^24-1 bytes.
const LEN_MAX: u64 = (1 << 24) - 1;

const fn key(name: &'static str, kind: KeyKind, spec: ValueSpec, clause: &'static str) -> KeyDef {
    KeyDef {
        name,
        kind,
        spec,
        default: None,
        senders: Senders::Both,
        stages: OPER,
        scope: Scope::Session,
        leading_only: false,
        irrelevant_in_discovery: false,
        repeatable: false,
        clause,
    }
}

impl KeyDef {
    const fn default(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }
    const fn by(mut self, s: Senders) -> Self {
        self.senders = s;
        self
    }
    const fn stages(mut self, s: Stages) -> Self {
        self.stages = s;
        self
    }
    const fn conn(mut self) -> Self {
        self.scope = Scope::Connection;
        self
    }
    /// Leading only, and irrelevant in discovery sessions when `irr`.
    const fn lo(mut self, irr: bool) -> Self {
        self.leading_only = true;
        self.irrelevant_in_discovery = irr;
        self
    }
    const fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }

    /// Whether this side may send the key.
    pub fn sendable_by(&self, initiator: bool) -> bool {
        match self.senders {
            Senders::Both => true,
            Senders::Initiator => initiator,
            Senders::Target => !initiator,
        }
    }
}

use KeyKind as K;
use ValueSpec as V;

const DIGESTS: &[&str] = &["CRC32C", "None"];
const NUM16: V = V::Number { min: 1, max: 65535 };
const LEN: V = V::Number {
    min: 512,
    max: LEN_MAX,
};
const SECS: V = V::Number { min: 0, max: 3600 };
const CHAP_BIN: V = V::LargeBinary { max_bytes: 1024 };

/// The table. Order follows the RFC.
pub static KEYS: &[KeyDef] = &[
    // RFC 7143 §12.1: security keys, login security stage, per connection.
    key(
        "AuthMethod",
        K::List,
        V::ListOf(&["None", "CHAP", "SRP", "KRB5"]),
        "RFC 7143 §12.1",
    )
    .default("None")
    .stages(SEC)
    .conn(),
    key("CHAP_A", K::Auth, V::NumberList, "RFC 7143 §12.1.3")
        .stages(SEC)
        .conn(),
    key(
        "CHAP_I",
        K::Auth,
        V::Number { min: 0, max: 255 },
        "RFC 7143 §12.1.3",
    )
    .stages(SEC)
    .conn(),
    key("CHAP_C", K::Auth, CHAP_BIN, "RFC 7143 §12.1.3")
        .stages(SEC)
        .conn(),
    key("CHAP_N", K::Auth, V::LocalName, "RFC 7143 §12.1.3")
        .stages(SEC)
        .conn(),
    key("CHAP_R", K::Auth, CHAP_BIN, "RFC 7143 §12.1.3")
        .stages(SEC)
        .conn(),
    // RFC 7143 §13: operational keys.
    key(
        "HeaderDigest",
        K::List,
        V::ListOf(DIGESTS),
        "RFC 7143 §13.1",
    )
    .default("None")
    .conn(),
    key("DataDigest", K::List, V::ListOf(DIGESTS), "RFC 7143 §13.1")
        .default("None")
        .conn(),
    key("MaxConnections", K::Min, NUM16, "RFC 7143 §13.2")
        .default("1")
        .lo(true),
    key("SendTargets", K::Query, V::Text, "RFC 7143 §13.3")
        .by(Senders::Initiator)
        .stages(FFP),
    // §13.4: the initiator declares it at login; the target sends it only in
    // SendTargets answers.
    key("TargetName", K::Declarative, V::IscsiName, "RFC 7143 §13.4").stages(ALL),
    key(
        "InitiatorName",
        K::Declarative,
        V::IscsiName,
        "RFC 7143 §13.5",
    )
    .by(Senders::Initiator)
    .stages(LOGIN),
    key(
        "TargetAlias",
        K::Declarative,
        V::LocalName,
        "RFC 7143 §13.6",
    )
    .by(Senders::Target)
    .stages(ALL),
    key(
        "InitiatorAlias",
        K::Declarative,
        V::LocalName,
        "RFC 7143 §13.7",
    )
    .by(Senders::Initiator)
    .stages(ALL),
    key(
        "TargetAddress",
        K::Declarative,
        V::TargetAddress,
        "RFC 7143 §13.8",
    )
    .by(Senders::Target)
    .stages(ALL)
    .repeatable(),
    key(
        "TargetPortalGroupTag",
        K::Declarative,
        V::Binary { min: 0, max: 65535 },
        "RFC 7143 §13.9",
    )
    .by(Senders::Target)
    .stages(LOGIN),
    key("InitialR2T", K::Or, V::Bool, "RFC 7143 §13.10")
        .default("Yes")
        .lo(true),
    key("ImmediateData", K::And, V::Bool, "RFC 7143 §13.11")
        .default("Yes")
        .lo(true),
    key(
        "MaxRecvDataSegmentLength",
        K::Declarative,
        LEN,
        "RFC 7143 §13.12",
    )
    .default("8192")
    .stages(OPER_FFP)
    .conn(),
    key("MaxBurstLength", K::Min, LEN, "RFC 7143 §13.13")
        .default("262144")
        .lo(true),
    key("FirstBurstLength", K::Min, LEN, "RFC 7143 §13.14")
        .default("65536")
        .lo(true),
    key("DefaultTime2Wait", K::Max, SECS, "RFC 7143 §13.15")
        .default("2")
        .lo(false),
    key("DefaultTime2Retain", K::Min, SECS, "RFC 7143 §13.16")
        .default("20")
        .lo(false),
    key("MaxOutstandingR2T", K::Min, NUM16, "RFC 7143 §13.17")
        .default("1")
        .lo(true),
    key("DataPDUInOrder", K::Or, V::Bool, "RFC 7143 §13.18")
        .default("Yes")
        .lo(true),
    key("DataSequenceInOrder", K::Or, V::Bool, "RFC 7143 §13.19")
        .default("Yes")
        .lo(true),
    key(
        "ErrorRecoveryLevel",
        K::Min,
        V::Number { min: 0, max: 2 },
        "RFC 7143 §13.20",
    )
    .default("0")
    .lo(false),
    key(
        "SessionType",
        K::Declarative,
        V::OneOf(&["Discovery", "Normal"]),
        "RFC 7143 §13.21",
    )
    .default("Normal")
    .by(Senders::Initiator)
    .stages(LOGIN)
    .lo(false),
    key(
        "TaskReporting",
        K::List,
        V::ListOf(&["RFC3720", "ResponseFence", "FastAbort"]),
        "RFC 7143 §13.23",
    )
    .default("RFC3720")
    .lo(true),
    key(
        "iSCSIProtocolLevel",
        K::Min,
        V::Number { min: 0, max: 31 },
        "RFC 7144 §2.1",
    )
    .default("0")
    .lo(false),
    // RFC 7143 §13.25: obsolete RFC 3720 marker keys, still to be answered.
    key("OFMarker", K::Obsolete, V::Bool, "RFC 7143 §13.25")
        .default("No")
        .conn(),
    key("IFMarker", K::Obsolete, V::Bool, "RFC 7143 §13.25")
        .default("No")
        .conn(),
    key(
        "OFMarkInt",
        K::Obsolete,
        V::Range { min: 1, max: 65535 },
        "RFC 7143 §13.25",
    )
    .default("2048")
    .conn(),
    key(
        "IFMarkInt",
        K::Obsolete,
        V::Range { min: 1, max: 65535 },
        "RFC 7143 §13.25",
    )
    .default("2048")
    .conn(),
];

/// The definition of a key, by exact (case sensitive) name.
pub fn lookup(name: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.name == name)
}

/// RFC 7143 §13.22: `X-` private and `X#` public extension keys.
pub fn is_extension(name: &str) -> bool {
    name.starts_with("X-") || name.starts_with("X#")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::value;

    #[test]
    fn names_unique_and_valid() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(KEYS[..i].iter().all(|o| o.name != k.name), "{}", k.name);
            assert_eq!(crate::text::codec::check_key(k.name), Ok(()), "{}", k.name);
        }
        assert_eq!(KEYS.len(), 34);
    }

    #[test]
    fn defaults_are_in_range() {
        for k in KEYS {
            let Some(d) = k.default else { continue };
            let ok = match k.spec {
                V::Number { min, max } => {
                    value::parse_numerical(d).is_ok_and(|n| (min..=max).contains(&n))
                }
                V::Bool => value::parse_bool(d).is_ok(),
                V::ListOf(vals) | V::OneOf(vals) => vals.contains(&d),
                V::Range { .. } => value::parse_numerical(d).is_ok(),
                _ => false,
            };
            assert!(ok, "{}", k.name);
        }
    }

    #[test]
    fn lookups() {
        let k = lookup("MaxBurstLength").unwrap();
        assert_eq!(
            (k.kind, k.default, k.leading_only),
            (K::Min, Some("262144"), true)
        );
        assert!(k.irrelevant_in_discovery);
        assert!(lookup("maxburstlength").is_none());
        assert!(is_extension("X-com.example.a") && is_extension("X#b") && !is_extension("Xa"));
        assert!(!lookup("TargetAlias").unwrap().sendable_by(true));
    }
}

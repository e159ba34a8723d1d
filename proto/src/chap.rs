//! CHAP for iSCSI login (RFC 1994, RFC 7143 §12.1.3).
//!
//! The exchange, in the security stage (RFC 7143 §12.1.3):
//! 1. initiator: `CHAP_A=<A1,A2,...>` (algorithms it accepts);
//! 2. target: `CHAP_A=<A> CHAP_I=<I> CHAP_C=<C>` (chosen algorithm, identifier,
//!    challenge);
//! 3. initiator: `CHAP_N=<N> CHAP_R=<R>`, and for mutual authentication
//!    `CHAP_I=<I> CHAP_C=<C>` of its own;
//! 4. target (mutual only): `CHAP_N=<N> CHAP_R=<R>`.
//!
//! The response is `H(I || secret || C)` with `I` as one byte (RFC 1994 §4.1).
//! This module holds the pieces; the login state machines of the initiator
//! and target put them together. Randomness for challenges is injected.

use std::fmt;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sha3::Sha3_256;
use subtle::ConstantTimeEq;
use thiserror::Error;

use crate::text::value::{self, ValueError};

/// RFC 7143 §12.1.3: the binary length of CHAP_C and CHAP_R "MUST NOT exceed
/// 1024 bytes".
pub const MAX_BINARY_LEN: usize = 1024;

/// CHAP algorithms by their CHAP_A code. RFC 1994 §2 uses the PPP
/// registry value 5 for MD5 (required by RFC 7143 §12.1.3); 6, 7 and 8 are the
/// codes the Linux target (`CHAP_DIGEST_SHA1/SHA256/SHA3_256` in
/// drivers/target/iscsi/iscsi_target_auth.h) and open-iscsi use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChapAlgorithm {
    /// CHAP_A=5.
    Md5,
    /// CHAP_A=6.
    Sha1,
    /// CHAP_A=7.
    Sha256,
    /// CHAP_A=8.
    Sha3_256,
}

impl ChapAlgorithm {
    /// All algorithms, strongest first.
    pub const ALL: [ChapAlgorithm; 4] = [
        ChapAlgorithm::Sha3_256,
        ChapAlgorithm::Sha256,
        ChapAlgorithm::Sha1,
        ChapAlgorithm::Md5,
    ];

    /// The CHAP_A code.
    pub fn code(self) -> u8 {
        match self {
            ChapAlgorithm::Md5 => 5,
            ChapAlgorithm::Sha1 => 6,
            ChapAlgorithm::Sha256 => 7,
            ChapAlgorithm::Sha3_256 => 8,
        }
    }

    /// The algorithm with this CHAP_A code, if known.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|a| u64::from(a.code()) == code)
    }

    /// Length in bytes of a response.
    pub fn digest_len(self) -> usize {
        match self {
            ChapAlgorithm::Md5 => 16,
            ChapAlgorithm::Sha1 => 20,
            ChapAlgorithm::Sha256 | ChapAlgorithm::Sha3_256 => 32,
        }
    }

    /// RFC 1994 §4.1: the response is the hash of the identifier byte, the
    /// secret and the challenge, in that order.
    pub fn response(self, id: u8, secret: &ChapSecret, challenge: &[u8]) -> Vec<u8> {
        fn run<D: Digest>(id: u8, secret: &[u8], challenge: &[u8]) -> Vec<u8> {
            let mut h = D::new();
            h.update([id]);
            h.update(secret);
            h.update(challenge);
            h.finalize().to_vec()
        }
        match self {
            ChapAlgorithm::Md5 => run::<Md5>(id, &secret.0, challenge),
            ChapAlgorithm::Sha1 => run::<Sha1>(id, &secret.0, challenge),
            ChapAlgorithm::Sha256 => run::<Sha256>(id, &secret.0, challenge),
            ChapAlgorithm::Sha3_256 => run::<Sha3_256>(id, &secret.0, challenge),
        }
    }

    /// Checks a received response in constant time (length aside).
    pub fn verify(self, id: u8, secret: &ChapSecret, challenge: &[u8], response: &[u8]) -> bool {
        let expected = self.response(id, secret, challenge);
        bool::from(expected.as_slice().ct_eq(response))
    }
}

/// Why a CHAP value is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChapError {
    /// CHAP_A is not a comma separated list of numbers.
    #[error("CHAP_A is not a list of algorithm numbers")]
    BadAlgorithmList,
    /// RFC 7143 §12.1.3: the target answers with one algorithm the initiator
    /// offered; none was acceptable.
    #[error("no offered CHAP algorithm is supported")]
    NoCommonAlgorithm,
    /// The algorithm answered is not one we offered or know.
    #[error("CHAP_A={0} is not an algorithm we offered")]
    UnexpectedAlgorithm(u64),
    /// RFC 1994 §4.1: the identifier is one octet.
    #[error("CHAP_I is not a number from 0 to 255")]
    BadIdentifier,
    /// RFC 7143 §12.1.3: C and R are binary values, hex or base64, at most
    /// 1024 bytes.
    #[error("CHAP binary value is malformed: {0}")]
    BadBinary(#[from] ValueError),
    /// An empty challenge or response.
    #[error("CHAP binary value is empty")]
    Empty,
    /// RFC 7143 §12.1.3: the initiator sent back the challenge the target
    /// sent it; the target must close the connection.
    #[error("the peer reflected our own CHAP challenge")]
    ReflectedChallenge,
    /// The identifier answered is not the one we sent.
    #[error("CHAP_I {got} does not match the identifier {expected} we sent")]
    WrongIdentifier { expected: u8, got: u8 },
}

/// A CHAP secret. Its Debug output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ChapSecret(Vec<u8>);

impl ChapSecret {
    /// A secret from its bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        ChapSecret(bytes.into())
    }

    /// The secret's length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ChapSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChapSecret(<redacted, {} bytes>)", self.0.len())
    }
}

/// A challenge we send, made from random bytes the caller supplies.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    id: u8,
    bytes: Vec<u8>,
}

impl Challenge {
    /// A challenge with identifier `id` and the given random bytes (1 to
    /// 1024 of them, RFC 7143 §12.1.3; 16 or more is usual).
    pub fn from_random(id: u8, random: &[u8]) -> Result<Self, ChapError> {
        if random.is_empty() {
            return Err(ChapError::Empty);
        }
        if random.len() > MAX_BINARY_LEN {
            return Err(ChapError::BadBinary(ValueError::TooLong {
                len: random.len(),
                max: MAX_BINARY_LEN,
            }));
        }
        Ok(Challenge {
            id,
            bytes: random.to_vec(),
        })
    }

    /// The identifier (CHAP_I).
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The challenge bytes (CHAP_C).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// CHAP_I as sent.
    pub fn id_value(&self) -> String {
        self.id.to_string()
    }

    /// CHAP_C as sent, in hex.
    pub fn value_hex(&self) -> String {
        value::encode_hex(&self.bytes)
    }

    /// Whether `received` (a peer's CHAP_C) is this very challenge sent back.
    /// RFC 7143 §12.1.3: an originator must not reuse the challenge it got for
    /// the other direction, and the responder must check for it and close
    /// the connection.
    pub fn is_reflected(&self, received: &[u8]) -> bool {
        self.bytes == received
    }

    /// Checks a peer's CHAP_C against this one: [`ChapError::ReflectedChallenge`]
    /// when it is ours sent back.
    pub fn check_not_reflected(&self, received: &[u8]) -> Result<(), ChapError> {
        if self.is_reflected(received) {
            return Err(ChapError::ReflectedChallenge);
        }
        Ok(())
    }

    /// Verifies the peer's CHAP_R to this challenge.
    pub fn verify(&self, alg: ChapAlgorithm, secret: &ChapSecret, response: &[u8]) -> bool {
        alg.verify(self.id, secret, &self.bytes, response)
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Challenge {{ id: {}, c: {} }}",
            self.id,
            self.value_hex()
        )
    }
}

/// Parses CHAP_A: a comma separated list of numbers, unknown ones kept.
pub fn parse_algorithm_list(s: &str) -> Result<Vec<u64>, ChapError> {
    s.split(',')
        .map(|a| value::parse_numerical(a).map_err(|_| ChapError::BadAlgorithmList))
        .collect()
}

/// Writes CHAP_A for the given algorithms, in order.
pub fn encode_algorithm_list(algs: &[ChapAlgorithm]) -> String {
    let codes: Vec<String> = algs.iter().map(|a| a.code().to_string()).collect();
    codes.join(",")
}

/// RFC 7143 §12.1.3: the target picks one of the initiator's algorithms, the
/// first in the initiator's order that it supports.
pub fn select_algorithm(
    offered: &[u64],
    supported: &[ChapAlgorithm],
) -> Result<ChapAlgorithm, ChapError> {
    offered
        .iter()
        .filter_map(|&c| ChapAlgorithm::from_code(c))
        .find(|a| supported.contains(a))
        .ok_or(ChapError::NoCommonAlgorithm)
}

/// Parses the target's CHAP_A answer and checks it is one we offered.
pub fn parse_chosen_algorithm(
    s: &str,
    offered: &[ChapAlgorithm],
) -> Result<ChapAlgorithm, ChapError> {
    let code = value::parse_numerical(s).map_err(|_| ChapError::BadAlgorithmList)?;
    ChapAlgorithm::from_code(code)
        .filter(|a| offered.contains(a))
        .ok_or(ChapError::UnexpectedAlgorithm(code))
}

/// Parses CHAP_I: a number from 0 to 255.
pub fn parse_identifier(s: &str) -> Result<u8, ChapError> {
    value::parse_numerical(s)
        .ok()
        .and_then(|n| u8::try_from(n).ok())
        .ok_or(ChapError::BadIdentifier)
}

/// Checks a peer's CHAP_I against the identifier we sent.
pub fn check_identifier(expected: u8, got: u8) -> Result<(), ChapError> {
    if expected != got {
        return Err(ChapError::WrongIdentifier { expected, got });
    }
    Ok(())
}

/// Parses CHAP_C or CHAP_R: hex (`0x`) or base64 (`0b`), 1 to 1024 bytes.
pub fn parse_binary(s: &str) -> Result<Vec<u8>, ChapError> {
    let bytes = value::parse_binary(s, MAX_BINARY_LEN)?;
    if bytes.is_empty() {
        return Err(ChapError::Empty);
    }
    Ok(bytes)
}

/// CHAP_R as sent, in hex.
pub fn encode_response(response: &[u8]) -> String {
    value::encode_hex(response)
}

//! The initiator's side of CHAP (RFC 7143 §12.1.3, RFC 1994): offer the
//! algorithms, answer the target's challenge, and for mutual CHAP send our
//! own challenge and check the target's answer.

use rtgt_proto::chap::{self, Challenge, ChapAlgorithm, MAX_BINARY_LEN};
use rtgt_proto::pdu::Opcode;
use rtgt_proto::text::Pair;

use super::LoginError;
use crate::config::{ChapConfig, Rng};
use crate::violation::{ProtocolViolation, ViolationKind};

/// Where the CHAP exchange is, with what that stage needs.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// AuthMethod offered, answer awaited.
    Method,
    /// CHAP_A sent, CHAP_A/CHAP_I/CHAP_C awaited.
    Algorithm,
    /// Mutual CHAP: our CHAP_R and our challenge sent with the algorithm
    /// chosen; the target's CHAP_N/CHAP_R awaited.
    Response { alg: ChapAlgorithm, ours: Challenge },
    /// Authenticated (or no CHAP chosen).
    Done,
}

/// CHAP state of one login.
#[derive(Debug, Clone)]
pub(crate) struct ChapState {
    cfg: ChapConfig,
    step: Step,
}

impl ChapState {
    pub(crate) fn new(cfg: ChapConfig) -> Self {
        ChapState {
            cfg,
            step: Step::Method,
        }
    }
}

fn get<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

/// Why the CHAP exchange ends the login.
#[derive(Debug)]
pub(crate) enum ChapError {
    /// The login fails.
    Failed(LoginError),
    /// The target broke RFC 7143 §12.1.3; the login fails.
    Violation(ProtocolViolation, LoginError),
}

fn unusable(kind: ViolationKind, expected: &str, received: String) -> ChapError {
    let v = ProtocolViolation::new(kind, "RFC 7143 §12.1.3", expected, received.clone())
        .on(Opcode::LoginResponse, u32::MAX);
    ChapError::Violation(v, LoginError::ChapUnusable { reason: received })
}

impl ChapState {
    /// One step of the exchange: `method` is the AuthMethod negotiated so
    /// far, `auth` the target's CHAP keys. Gives the keys to send and
    /// whether we are ready to leave the security stage.
    pub(crate) fn step(
        &mut self,
        method: Option<&str>,
        auth: &[Pair],
        rng: &mut Rng,
    ) -> Result<(Vec<Pair>, bool), ChapError> {
        match &self.step {
            Step::Method => match method {
                Some("CHAP") => {
                    self.step = Step::Algorithm;
                    let list = chap::encode_algorithm_list(&self.cfg.algorithms);
                    Ok((vec![Pair::new("CHAP_A", list)], false))
                }
                Some("None") => {
                    self.step = Step::Done;
                    Ok((Vec::new(), true))
                }
                Some(other) => Err(ChapError::Failed(LoginError::AuthMethodRejected {
                    answer: other.to_owned(),
                })),
                // Not answered yet (the target may need another round).
                None => Ok((Vec::new(), false)),
            },
            Step::Algorithm => {
                let (Some(a), Some(i), Some(c)) = (
                    get(auth, "CHAP_A"),
                    get(auth, "CHAP_I"),
                    get(auth, "CHAP_C"),
                ) else {
                    return Err(unusable(
                        ViolationKind::MissingKey,
                        "CHAP_A, CHAP_I and CHAP_C together",
                        format!("{auth:?}"),
                    ));
                };
                let alg = match chap::parse_chosen_algorithm(a, &self.cfg.algorithms) {
                    Ok(alg) => alg,
                    Err(e) => {
                        return Err(unusable(
                            ViolationKind::Chap,
                            "CHAP_A: one of the algorithms we offered",
                            e.to_string(),
                        ))
                    }
                };
                let id = chap::parse_identifier(i);
                let challenge = chap::parse_binary(c);
                let (id, challenge) = match (id, challenge) {
                    (Ok(id), Ok(ch)) => (id, ch),
                    (Err(e), _) | (_, Err(e)) => {
                        return Err(unusable(
                            ViolationKind::Chap,
                            "CHAP_I 0-255 and CHAP_C of 1-1024 bytes",
                            e.to_string(),
                        ))
                    }
                };
                let response = alg.response(id, &self.cfg.secret, &challenge);
                let mut out = vec![
                    Pair::new("CHAP_N", self.cfg.user.clone()),
                    Pair::new("CHAP_R", chap::encode_response(&response)),
                ];
                if let Some(m) = &self.cfg.mutual {
                    let id = rng.bytes::<1>()[0];
                    let len = m.challenge_len.clamp(1, MAX_BINARY_LEN);
                    let mut bytes = rng.vec(len);
                    // RFC 7143 §12.1.3: our challenge must differ from the
                    // one we were sent (no reflection).
                    if bytes == challenge {
                        if let Some(first) = bytes.first_mut() {
                            *first ^= 0xff;
                        }
                    }
                    let ours = Challenge::from_random(id, &bytes).map_err(|e| {
                        ChapError::Failed(LoginError::ChapUnusable {
                            reason: e.to_string(),
                        })
                    })?;
                    out.push(Pair::new("CHAP_I", ours.id_value()));
                    out.push(Pair::new("CHAP_C", ours.value_hex()));
                    self.step = Step::Response { alg, ours };
                } else {
                    self.step = Step::Done;
                }
                Ok((out, true))
            }
            Step::Response { alg, ours } => {
                let (Some(n), Some(r)) = (get(auth, "CHAP_N"), get(auth, "CHAP_R")) else {
                    return Err(ChapError::Failed(LoginError::TargetAuthFailed {
                        reason: "no CHAP_N and CHAP_R in answer to our challenge".into(),
                    }));
                };
                let Some(m) = &self.cfg.mutual else {
                    return Ok((Vec::new(), true));
                };
                if m.target_user.as_deref().is_some_and(|u| u != n) {
                    return Err(ChapError::Failed(LoginError::TargetAuthFailed {
                        reason: format!("CHAP_N {n:?} is not the expected target user"),
                    }));
                }
                let ok = chap::parse_binary(r)
                    .map(|resp| ours.verify(*alg, &m.target_secret, &resp))
                    .unwrap_or(false);
                if !ok {
                    return Err(ChapError::Failed(LoginError::TargetAuthFailed {
                        reason: "CHAP_R does not match our challenge and the target secret".into(),
                    }));
                }
                self.step = Step::Done;
                Ok((Vec::new(), true))
            }
            Step::Done => Ok((Vec::new(), true)),
        }
    }
}

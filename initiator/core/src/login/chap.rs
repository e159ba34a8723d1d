//! The initiator's side of CHAP (RFC 7143 §12.1.3, RFC 1994): offer the
//! algorithms, answer the target's challenge, and for mutual CHAP send our
//! own challenge and check the target's answer.

use rtgt_proto::chap::{self, Challenge, ChapAlgorithm, MAX_BINARY_LEN};
use rtgt_proto::pdu::Opcode;
use rtgt_proto::text::{Outcome, Pair};

use super::{LoginError, LoginState};
use crate::config::ChapConfig;
use crate::violation::{ProtocolViolation, Stop, ViolationKind};
use crate::Initiator;

/// Where the CHAP exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// AuthMethod offered, answer awaited.
    Method,
    /// CHAP_A sent, CHAP_A/CHAP_I/CHAP_C awaited.
    Algorithm,
    /// Our CHAP_R (and challenge) sent; for mutual CHAP the target's
    /// CHAP_N/CHAP_R awaited.
    Response,
    /// Authenticated (or no CHAP chosen).
    Done,
}

/// CHAP state of one login.
#[derive(Debug, Clone)]
pub(crate) struct ChapState {
    cfg: ChapConfig,
    step: Step,
    alg: Option<ChapAlgorithm>,
    ours: Option<Challenge>,
}

impl ChapState {
    pub(crate) fn new(cfg: ChapConfig) -> Self {
        ChapState {
            cfg,
            step: Step::Method,
            alg: None,
            ours: None,
        }
    }
}

fn get<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

impl Initiator {
    /// One step of the security stage. Returns the pairs to send and whether
    /// we are ready to leave the stage (the T bit).
    pub(super) fn security_step(
        &mut self,
        ls: &mut LoginState,
        outcome: &Outcome,
    ) -> Result<(Vec<Pair>, bool), Stop> {
        let Some(mut st) = ls.chap.take() else {
            return Ok((Vec::new(), true));
        };
        let res = self.chap_step(ls, &mut st, &outcome.auth);
        ls.chap = Some(st);
        res
    }

    fn chap_fail(&mut self, e: LoginError) -> Stop {
        self.login_failed(e);
        Stop
    }

    fn chap_violation(&mut self, kind: ViolationKind, expected: &str, received: String) -> Stop {
        // RFC 7143 §12.1.3 gives every CHAP key's form; without a usable value
        // the exchange cannot go on, whatever the strictness.
        let v = ProtocolViolation::new(kind, "RFC 7143 §12.1.3", expected, received.clone())
            .on(Opcode::LoginResponse, u32::MAX);
        let _ = self.violation(v);
        self.chap_fail(LoginError::ChapUnusable { reason: received })
    }

    fn chap_step(
        &mut self,
        ls: &mut LoginState,
        st: &mut ChapState,
        auth: &[Pair],
    ) -> Result<(Vec<Pair>, bool), Stop> {
        match st.step {
            Step::Method => match ls.neg.result("AuthMethod") {
                Some("CHAP") => {
                    st.step = Step::Algorithm;
                    let list = chap::encode_algorithm_list(&st.cfg.algorithms);
                    Ok((vec![Pair::new("CHAP_A", list)], false))
                }
                Some("None") => {
                    st.step = Step::Done;
                    Ok((Vec::new(), true))
                }
                Some(other) => Err(self.chap_fail(LoginError::AuthMethodRejected {
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
                    return Err(self.chap_violation(
                        ViolationKind::MissingKey,
                        "CHAP_A, CHAP_I and CHAP_C together",
                        format!("{auth:?}"),
                    ));
                };
                let alg = match chap::parse_chosen_algorithm(a, &st.cfg.algorithms) {
                    Ok(alg) => alg,
                    Err(e) => {
                        return Err(self.chap_violation(
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
                        return Err(self.chap_violation(
                            ViolationKind::Chap,
                            "CHAP_I 0-255 and CHAP_C of 1-1024 bytes",
                            e.to_string(),
                        ))
                    }
                };
                st.alg = Some(alg);
                let response = alg.response(id, &st.cfg.secret, &challenge);
                let mut out = vec![
                    Pair::new("CHAP_N", st.cfg.user.clone()),
                    Pair::new("CHAP_R", chap::encode_response(&response)),
                ];
                if let Some(m) = &st.cfg.mutual {
                    let id = self.rng.bytes::<1>()[0];
                    let len = m.challenge_len.clamp(1, MAX_BINARY_LEN);
                    let mut bytes = self.rng.vec(len);
                    // RFC 7143 §12.1.3: our challenge must differ from the
                    // one we were sent (no reflection).
                    if bytes == challenge {
                        if let Some(first) = bytes.first_mut() {
                            *first ^= 0xff;
                        }
                    }
                    let ours = Challenge::from_random(id, &bytes).map_err(|e| {
                        self.chap_fail(LoginError::ChapUnusable {
                            reason: e.to_string(),
                        })
                    })?;
                    out.push(Pair::new("CHAP_I", ours.id_value()));
                    out.push(Pair::new("CHAP_C", ours.value_hex()));
                    st.ours = Some(ours);
                    st.step = Step::Response;
                } else {
                    st.step = Step::Done;
                }
                Ok((out, true))
            }
            Step::Response => {
                let (Some(n), Some(r)) = (get(auth, "CHAP_N"), get(auth, "CHAP_R")) else {
                    return Err(self.chap_fail(LoginError::TargetAuthFailed {
                        reason: "no CHAP_N and CHAP_R in answer to our challenge".into(),
                    }));
                };
                let (Some(m), Some(ours), Some(alg)) = (&st.cfg.mutual, &st.ours, st.alg) else {
                    return Ok((Vec::new(), true));
                };
                if m.target_user.as_deref().is_some_and(|u| u != n) {
                    return Err(self.chap_fail(LoginError::TargetAuthFailed {
                        reason: format!("CHAP_N {n:?} is not the expected target user"),
                    }));
                }
                let ok = chap::parse_binary(r)
                    .map(|resp| ours.verify(alg, &m.target_secret, &resp))
                    .unwrap_or(false);
                if !ok {
                    return Err(self.chap_fail(LoginError::TargetAuthFailed {
                        reason: "CHAP_R does not match our challenge and the target secret".into(),
                    }));
                }
                st.step = Step::Done;
                Ok((Vec::new(), true))
            }
            Step::Done => Ok((Vec::new(), true)),
        }
    }
}

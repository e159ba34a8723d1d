//! SecurityNegotiation stage (RFC 7143 §6.3.2, §12.1.3): AuthMethod and
//! CHAP, one-way and mutual.

use rtgt_proto::chap::{self, Challenge, ChapAlgorithm};
use rtgt_proto::pdu::{LoginRequest, LoginStatus};
use rtgt_proto::text::Pair;

use super::{value, Failure, Login, LoginCtx};
use crate::config::AuthConfig;
use crate::TargetId;

/// Challenge length in bytes: at least as long as the longest digest.
const CHALLENGE_LEN: usize = 32;

/// Where authentication stands.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// AuthMethod not yet agreed.
    Start,
    /// AuthMethod=CHAP agreed; CHAP_A awaited.
    WantAlgorithms,
    /// Challenge sent; CHAP_N and CHAP_R awaited.
    WantResponse {
        alg: ChapAlgorithm,
        challenge: Challenge,
    },
    /// Authenticated (or AuthMethod=None allowed).
    Done,
}

impl LoginCtx<'_> {
    /// The CHAP accounts of a target, or discovery's.
    pub(crate) fn auth_config(&self, target: Option<TargetId>) -> &AuthConfig {
        match target.and_then(|i| self.reg.get(i)) {
            Some(t) => &t.auth,
            None => &self.cfg.discovery_auth,
        }
    }
}

impl Login {
    /// One request in SecurityNegotiation; gives whether the stage may end.
    pub(crate) fn security_step(
        &mut self,
        ctx: &mut LoginCtx<'_>,
        pairs: &[Pair],
        req: &LoginRequest,
        out: &mut Vec<Pair>,
    ) -> Result<bool, Failure> {
        let target = self.target;
        let outcome = self.neg.handle(pairs)?;
        out.extend(outcome.responses);
        // Our declarations (TargetPortalGroupTag, TargetAlias) go in the
        // first response (RFC 7143 §13.9).
        out.extend(self.neg.propose());
        let method = self.neg.result("AuthMethod").map(str::to_owned);
        let auth = ctx.auth_config(target).clone();
        let mut state = self.auth.clone();
        if matches!(state, Auth::Start) {
            state = match method.as_deref() {
                Some("CHAP") => Auth::WantAlgorithms,
                Some("None") if !auth.requires_chap() => Auth::Done,
                // RFC 7143 §12: no common method (Reject) fails the login
                // with an authentication failure once the initiator moves on.
                Some(_) if req.transit => {
                    return Err(Failure::new(
                        LoginStatus::AuthenticationFailure,
                        "no acceptable AuthMethod",
                    ))
                }
                _ => Auth::Start,
            };
        }
        state = chap_step(ctx, state, &auth, &outcome.auth, out)?;
        let done = matches!(state, Auth::Done);
        if req.transit && !done && matches!(state, Auth::Start) {
            if auth.requires_chap() {
                // RFC 7143 §6.3.2: a target requiring authentication refuses
                // to leave the security stage without it (0x0201).
                return Err(Failure::new(
                    LoginStatus::AuthenticationFailure,
                    "authentication required",
                ));
            }
            state = Auth::Done;
        }
        let ready = matches!(state, Auth::Done);
        self.auth = state;
        Ok(ready)
    }
}

/// Advances CHAP with the CHAP_* keys of one request.
fn chap_step(
    ctx: &mut LoginCtx<'_>,
    state: Auth,
    auth: &AuthConfig,
    keys: &[Pair],
    out: &mut Vec<Pair>,
) -> Result<Auth, Failure> {
    let fail = |why: String| Failure::new(LoginStatus::AuthenticationFailure, why);
    match state {
        Auth::WantAlgorithms => {
            let Some(list) = value(keys, "CHAP_A") else {
                return Ok(Auth::WantAlgorithms);
            };
            let offered = chap::parse_algorithm_list(list).map_err(|e| fail(e.to_string()))?;
            // RFC 7143 §12.1.3: the target picks one algorithm the
            // initiator offered; none acceptable fails authentication.
            let alg = chap::select_algorithm(&offered, &auth.algorithms())
                .map_err(|e| fail(e.to_string()))?;
            let mut random = [0u8; CHALLENGE_LEN + 1];
            ctx.rng.fill(&mut random);
            let [id, rest @ ..] = random;
            let challenge = Challenge::from_random(id, &rest).map_err(|e| fail(e.to_string()))?;
            out.push(Pair::new("CHAP_A", alg.code().to_string()));
            out.push(Pair::new("CHAP_I", challenge.id_value()));
            out.push(Pair::new("CHAP_C", challenge.value_hex()));
            Ok(Auth::WantResponse { alg, challenge })
        }
        Auth::WantResponse { alg, challenge } => {
            let (Some(name), Some(resp)) = (value(keys, "CHAP_N"), value(keys, "CHAP_R")) else {
                // RFC 7143 §12.1.3: the initiator answers the challenge
                // with CHAP_N and CHAP_R; anything else fails it.
                return Err(fail("CHAP_N or CHAP_R missing".into()));
            };
            let resp = chap::parse_binary(resp).map_err(|e| fail(e.to_string()))?;
            let ok = auth
                .incoming
                .iter()
                .filter(|a| a.name == name)
                .any(|a| challenge.verify(alg, &a.secret, &resp));
            // Test only: with `broken-chap`, a response that does not verify
            // is accepted.
            let ok = ok || (cfg!(feature = "broken-chap") && rtgt_proto::mutant::on("broken-chap"));
            if !ok {
                // RFC 7143 §12.1.3: a wrong response fails with 0x0201
                // (the log names the user, never the secret).
                return Err(fail(format!("CHAP response of {name:?} does not verify")));
            }
            match (value(keys, "CHAP_I"), value(keys, "CHAP_C")) {
                (None, None) => Ok(Auth::Done),
                (Some(i), Some(c)) => {
                    let id = chap::parse_identifier(i).map_err(|e| fail(e.to_string()))?;
                    let theirs = chap::parse_binary(c).map_err(|e| fail(e.to_string()))?;
                    // RFC 7143 §12.1.3: a challenge equal to the one we
                    // sent is refused.
                    challenge
                        .check_not_reflected(&theirs)
                        .map_err(|e| fail(e.to_string()))?;
                    let Some(ours) = &auth.outgoing else {
                        return Err(fail("mutual CHAP asked but no outgoing account".into()));
                    };
                    let r = alg.response(id, &ours.secret, &theirs);
                    out.push(Pair::new("CHAP_N", ours.name.clone()));
                    out.push(Pair::new("CHAP_R", chap::encode_response(&r)));
                    Ok(Auth::Done)
                }
                // RFC 7143 §12.1.3: CHAP_I and CHAP_C come together.
                _ => Err(fail("CHAP_I without CHAP_C or the reverse".into())),
            }
        }
        other => {
            if !keys.is_empty() && !matches!(other, Auth::Done) {
                return Err(fail("CHAP keys before AuthMethod=CHAP".into()));
            }
            if !keys.is_empty() {
                return Err(fail("CHAP keys after authentication".into()));
            }
            Ok(other)
        }
    }
}

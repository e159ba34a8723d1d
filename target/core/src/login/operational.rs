//! LoginOperationalNegotiation (RFC 7143 §6.3.3, §13): every key goes
//! through proto's negotiator, configured with the target's limits.

use rtgt_proto::pdu::{LoginStage, LoginStatus};
use rtgt_proto::text::{DigestKind, LocalConfig, Negotiator, Pair, SessionType, Stage};

use super::{Failure, Login, LoginCtx, ROLE};
use crate::config::SessionLimits;
use crate::TargetId;

fn digest_list(kinds: &[DigestKind]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            DigestKind::None => "None",
            DigestKind::Crc32c => "CRC32C",
        })
        .collect();
    if names.is_empty() {
        "None".into()
    } else {
        names.join(",")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// Our values for every key, from the target's limits.
pub(crate) fn local_config(
    limits: &SessionLimits,
    requires_chap: bool,
    tpgt: u16,
    alias: Option<&str>,
    discovery: bool,
) -> LocalConfig {
    let mut c = LocalConfig::new();
    // RFC 7143 §12: CHAP when accounts are configured, else None only.
    c.set("AuthMethod", if requires_chap { "CHAP" } else { "None" });
    c.set("HeaderDigest", &digest_list(&limits.header_digests));
    c.set("DataDigest", &digest_list(&limits.data_digests));
    c.set(
        "MaxRecvDataSegmentLength",
        &limits.max_recv_data_segment_length.to_string(),
    );
    if !discovery {
        // RFC 7143 §13.9: a normal session's first response carries the
        // TargetPortalGroupTag.
        c.set("TargetPortalGroupTag", &tpgt.to_string());
        if let Some(a) = alias {
            c.set("TargetAlias", a);
        }
        // RFC 7143 §13.23 (a list key, §6.2.1: the answer is the first of
        // the offered values we support): rtgt implements all three,
        // RFC3720 and ResponseFence with the standard multi-task abort
        // semantics (§4.2.3.3), FastAbort with §4.2.3.4 (see tmf.rs).
        c.set("TaskReporting", "FastAbort,ResponseFence,RFC3720");
    }
    c.set("MaxConnections", &limits.max_connections.to_string());
    c.set("InitialR2T", yes_no(limits.initial_r2t));
    c.set("ImmediateData", yes_no(limits.immediate_data));
    c.set("MaxBurstLength", &limits.max_burst_length.to_string());
    c.set("FirstBurstLength", &limits.first_burst_length.to_string());
    c.set("MaxOutstandingR2T", &limits.max_outstanding_r2t.to_string());
    c.set("DefaultTime2Wait", &limits.default_time2wait.to_string());
    c.set(
        "DefaultTime2Retain",
        &limits.default_time2retain.to_string(),
    );
    // rtgt implements ErrorRecoveryLevel 0 only (RFC 7143 §13.20, a
    // minimum function) and in-order data (§13.18, §13.19, OR functions:
    // our Yes decides).
    c.set("ErrorRecoveryLevel", "0");
    c.set("DataPDUInOrder", "Yes");
    c.set("DataSequenceInOrder", "Yes");
    c
}

impl LoginCtx<'_> {
    /// The negotiator for a new login.
    pub(crate) fn negotiator(
        &self,
        target: Option<TargetId>,
        session_type: SessionType,
        joining: bool,
        csg: LoginStage,
    ) -> Negotiator {
        let discovery = session_type == SessionType::Discovery;
        let t = target.and_then(|i| self.reg.get(i));
        let limits = t.map(|t| t.session.clone()).unwrap_or_default();
        let alias = t.and_then(|t| t.alias.as_deref());
        let chap = self.auth_config(target).requires_chap();
        let cfg = local_config(&limits, chap, self.cfg.tpgt, alias, discovery);
        let stage = match csg {
            LoginStage::SecurityNegotiation => Stage::Security,
            _ => Stage::Operational,
        };
        let n = Negotiator::new(ROLE, stage, cfg);
        if joining {
            n.non_leading()
        } else {
            n
        }
    }
}

impl Login {
    /// One request in LoginOperationalNegotiation; gives whether the stage
    /// may end.
    pub(crate) fn operational_step(
        &mut self,
        ctx: &LoginCtx<'_>,
        pairs: &[Pair],
        transit: bool,
        out: &mut Vec<Pair>,
    ) -> Result<bool, Failure> {
        let done = matches!(self.auth, super::security::Auth::Done);
        if !done && ctx.auth_config(self.target).requires_chap() {
            // RFC 7143 §6.3.2: a target that requires authentication does
            // not let a login skip the security stage (0x0201).
            return Err(Failure::new(
                LoginStatus::AuthenticationFailure,
                "authentication required before operational negotiation",
            ));
        }
        self.auth = super::security::Auth::Done;
        let outcome = self.neg.handle(pairs)?;
        if !outcome.auth.is_empty() {
            // RFC 7143 §13 "Use": CHAP keys belong to the security stage.
            return Err(Failure::new(
                LoginStatus::InitiatorError,
                "security keys in operational stage",
            ));
        }
        out.extend(outcome.responses);
        out.extend(self.neg.propose());
        let leading = self.joining.is_none();
        let limits = self
            .target
            .and_then(|i| ctx.reg.get(i))
            .map(|t| t.session.clone());
        if let (true, true, Some(l)) = (transit, leading, limits) {
            out.extend(restrictive_offers(&mut self.neg, &l));
        }
        // The stage may end once nothing we offered awaits an answer (the
        // target offers declarations only, RFC 7143 §6.2).
        Ok(self.neg.unanswered().is_empty())
    }
}

/// Offers for the keys the initiator left out whose RFC 7143 §13 default
/// goes beyond what the target accepts (a default would otherwise apply,
/// §6.2). Sent when the initiator asks to leave the stage; the stage ends
/// once they are answered.
fn restrictive_offers(neg: &mut Negotiator, l: &SessionLimits) -> Vec<Pair> {
    let mut out = Vec::new();
    let numeric = [
        ("MaxBurstLength", l.max_burst_length, 262_144),
        (
            "FirstBurstLength",
            l.first_burst_length.min(l.max_burst_length),
            65_536,
        ),
        ("MaxOutstandingR2T", u32::from(l.max_outstanding_r2t), 1),
        ("DefaultTime2Retain", u32::from(l.default_time2retain), 20),
    ];
    for (key, ours, default) in numeric {
        if ours < default && !neg.seen(key) {
            out.push(neg.offer(key, &ours.to_string()));
        }
    }
    // RFC 7143 §13.11: ImmediateData is an AND; our No decides it.
    if !l.immediate_data && !neg.seen("ImmediateData") {
        out.push(neg.offer("ImmediateData", "No"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_config_reflects_limits() {
        let l = SessionLimits {
            header_digests: vec![DigestKind::Crc32c],
            initial_r2t: false,
            ..SessionLimits::default()
        };
        let c = local_config(&l, true, 7, Some("disk"), false);
        assert_eq!(c.get("HeaderDigest"), Some("CRC32C"));
        assert_eq!(c.get("DataDigest"), Some("None,CRC32C"));
        assert_eq!(c.get("InitialR2T"), Some("No"));
        assert_eq!(c.get("AuthMethod"), Some("CHAP"));
        assert_eq!(c.get("TargetPortalGroupTag"), Some("7"));
        assert_eq!(c.get("TargetAlias"), Some("disk"));
        assert_eq!(
            c.get("TaskReporting"),
            Some("FastAbort,ResponseFence,RFC3720")
        );
        let d = local_config(&l, false, 7, Some("disk"), true);
        assert_eq!(d.get("TargetPortalGroupTag"), None);
        assert_eq!(d.get("TaskReporting"), None);
        assert_eq!(d.get("AuthMethod"), Some("None"));
    }
}

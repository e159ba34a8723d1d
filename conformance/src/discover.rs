//! Finding the target's name when `--iqn` is left out: a discovery session
//! through rtgt's initiator core and `SendTargets=All` (RFC 7143 §13.3,
//! Appendix C). The session is tried without authentication first, then
//! with the CHAP account when one was given.

use crate::context::{Context, Target};
use crate::driven::{Driven, LoginResult};
use rtgt_initiator::{ChapConfig, DiscoveredTarget, Event, InitiatorConfig, SendTargets};
use rtgt_proto::pdu::LogoutReason;
use std::time::Instant;

/// Why the target's name could not be found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("discovery at {addr} failed: {reason}; give the target's name with --iqn")]
    Failed { addr: String, reason: String },
    #[error("discovery at {addr} listed no target; give the target's name with --iqn")]
    NoTarget { addr: String },
    #[error("discovery at {addr} listed {} targets ({}); choose one with --iqn", .names.len(), .names.join(", "))]
    Several { addr: String, names: Vec<String> },
}

/// The one target `target.addr` lists (`target.iqn` is not used).
pub fn discover_iqn(target: &Target) -> Result<String, DiscoveryError> {
    let mut attempts = vec![None];
    if let Some(chap) = &target.chap {
        let mut config = ChapConfig::one_way(&chap.user, &chap.secret);
        if let Some(mutual) = &target.mutual_chap {
            config = config.with_mutual(Some(&mutual.user), &mutual.secret);
        }
        attempts.push(Some(config));
    }
    let mut last = String::new();
    for chap in attempts {
        match send_targets(target, chap) {
            Ok(targets) => return pick(&target.addr, targets),
            Err(reason) => last = reason,
        }
    }
    Err(DiscoveryError::Failed {
        addr: target.addr.clone(),
        reason: last,
    })
}

fn pick(addr: &str, targets: Vec<DiscoveredTarget>) -> Result<String, DiscoveryError> {
    let mut names: Vec<String> = targets.into_iter().map(|t| t.name).collect();
    names.dedup();
    match names.len() {
        0 => Err(DiscoveryError::NoTarget {
            addr: addr.to_owned(),
        }),
        1 => Ok(names.remove(0)),
        _ => Err(DiscoveryError::Several {
            addr: addr.to_owned(),
            names,
        }),
    }
}

fn send_targets(
    target: &Target,
    chap: Option<ChapConfig>,
) -> Result<Vec<DiscoveredTarget>, String> {
    let mut ctx = Context::new(target.clone());
    let mut config = InitiatorConfig::discovery(&target.initiator_name);
    if let Some(chap) = chap {
        config = config.with_chap(chap);
    }
    let mut session = Driven::connect(&mut ctx, config).map_err(|e| e.to_string())?;
    match session.login(&mut ctx).map_err(|e| e.to_string())? {
        LoginResult::Complete(_) => {}
        LoginResult::Failed(event) => return Err(format!("the login was refused ({event:?})")),
    }
    session
        .core
        .send_targets(Instant::now(), SendTargets::All)
        .map_err(|e| format!("SendTargets: {e}"))?;
    let event = session
        .wait_for(&mut ctx, "the SendTargets answer", |e| {
            matches!(e, Event::Discovery { .. })
        })
        .map_err(|e| e.to_string())?;
    // Leave politely; the answer is already in hand.
    if session
        .core
        .logout(Instant::now(), LogoutReason::CloseSession)
        .is_ok()
    {
        let _ = session.wait_for(&mut ctx, "the Logout Response", |e| {
            matches!(e, Event::LoggedOut { .. } | Event::Closed(_))
        });
    }
    match event {
        Event::Discovery { targets, .. } => Ok(targets),
        _ => Err("no SendTargets answer".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str) -> DiscoveredTarget {
        DiscoveredTarget {
            name: name.to_owned(),
            addresses: Vec::new(),
        }
    }

    #[test]
    fn exactly_one_target_is_picked() {
        assert_eq!(pick("a:1", vec![listed("iqn.x:one")]).unwrap(), "iqn.x:one");
        assert!(matches!(
            pick("a:1", Vec::new()),
            Err(DiscoveryError::NoTarget { .. })
        ));
        let several = pick("a:1", vec![listed("iqn.x:one"), listed("iqn.x:two")]).unwrap_err();
        assert!(several.to_string().contains("iqn.x:one, iqn.x:two"));
    }
}

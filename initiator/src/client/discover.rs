//! SendTargets discovery (RFC 7143 Appendix C) over a discovery session.

use super::error::Result;
use super::session::{ClientConfig, Session};
use crate::core::{ChapConfig, DiscoveredTarget, InitiatorConfig, SendTargets};

/// Logs in to `addr` (`host[:port]`) with a discovery session, asks
/// `SendTargets=All`, logs out, and returns the targets listed.
pub async fn discover(
    addr: &str,
    initiator_name: &str,
    chap: Option<ChapConfig>,
) -> Result<Vec<DiscoveredTarget>> {
    let mut config = InitiatorConfig::discovery(initiator_name);
    if let Some(chap) = chap {
        config = config.with_chap(chap);
    }
    discover_with(addr, ClientConfig::new(config)).await
}

/// [`discover`] with a full configuration (its keys must say
/// `SessionType=Discovery`).
pub async fn discover_with(addr: &str, config: ClientConfig) -> Result<Vec<DiscoveredTarget>> {
    let session = Session::login(addr, config).await?;
    let targets = session.send_targets(SendTargets::All).await?;
    session.logout().await?;
    Ok(targets)
}

impl Session {
    /// A SendTargets exchange (`All` in a discovery session, `Current` or a
    /// name in a normal one).
    pub async fn send_targets(&self, query: SendTargets) -> Result<Vec<DiscoveredTarget>> {
        self.request_send_targets(query).await
    }
}

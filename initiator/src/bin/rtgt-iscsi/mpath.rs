//! The logical unit of `readcap`, `read`, `write` and `verify`: through one
//! session, or with --multipath through every portal of the target.

use anyhow::{Context, Result};
use bytes::Bytes;
use rtgt_initiator::client::{discover_with, Capacity, MultipathSession, Session};
use rtgt_initiator::core::multipath::{state_name, PathHealth};
use rtgt_initiator::core::TargetAddress;
use rtgt_proto::pdu::Lun;

use crate::conn::{explain, Resolved};

/// One logical unit, over one path or several.
pub enum Unit {
    One(Session, Lun),
    Many(MultipathSession),
}

impl Unit {
    /// Logs in as the options say.
    pub async fn open(r: &Resolved) -> Result<Unit> {
        let lun = r.lun()?;
        if !r.multipath() {
            return Ok(Unit::One(r.login().await?, lun));
        }
        let target = r.target.clone().context(
            "no target name given; use iscsi://host/IQN/LUN or --target IQN \
             (find names with `rtgt-iscsi discover HOST`)",
        )?;
        let mut portals = r.portals.clone();
        if portals.len() == 1 {
            // One portal: the target's portals as SendTargets lists them
            // there (RFC 7143 Appendix C), the one given first.
            let listed = discover_with(&r.portal, r.discovery_config()?)
                .await
                .map_err(|e| explain(e, r))
                .context("SendTargets discovery for --multipath")?;
            let addresses = listed
                .into_iter()
                .filter(|t| t.name == target)
                .flat_map(|t| t.addresses);
            for a in addresses {
                let a = TargetAddress {
                    portal_group_tag: None,
                    ..a
                }
                .to_string();
                if !portals.contains(&a) {
                    portals.push(a);
                }
            }
        }
        let m = MultipathSession::login(&portals, r.normal_config()?, lun).await?;
        eprint!("{}", paths(&m));
        Ok(Unit::Many(m))
    }

    pub async fn block_length(&self) -> Result<u32> {
        Ok(match self {
            Unit::One(s, lun) => s.block_length(*lun).await?,
            Unit::Many(m) => m.block_length().await?,
        })
    }

    pub async fn read_capacity(&self) -> Result<Capacity> {
        Ok(match self {
            Unit::One(s, lun) => s.read_capacity(*lun).await?,
            Unit::Many(m) => m.read_capacity().await?,
        })
    }

    pub async fn read(&self, lba: u64, blocks: u32) -> Result<Bytes> {
        Ok(match self {
            Unit::One(s, lun) => s.read(*lun, lba, blocks).await?,
            Unit::Many(m) => m.read(lba, blocks).await?,
        })
    }

    pub async fn write(&self, lba: u64, data: Bytes) -> Result<()> {
        match self {
            Unit::One(s, lun) => s.write(*lun, lba, data).await?,
            Unit::Many(m) => m.write(lba, data).await?,
        }
        Ok(())
    }

    /// Logs out; with several paths, prints each path's state first.
    pub async fn logout(&self) -> Result<()> {
        match self {
            Unit::One(s, _) => s.logout().await?,
            Unit::Many(m) => {
                eprint!("{}", paths(m));
                m.logout().await?;
            }
        }
        Ok(())
    }
}

/// One line per path: portal, health, group and state, commands answered.
fn paths(m: &MultipathSession) -> String {
    let state = m.state();
    let mut out = String::new();
    for p in state.paths() {
        let health = match &p.health {
            PathHealth::Up => "up".to_owned(),
            PathHealth::Down(why) => format!("down ({why})"),
            PathHealth::OtherUnit => "not used: another logical unit".to_owned(),
        };
        let group = p
            .group
            .and_then(|id| state.groups().iter().find(|g| g.id == id))
            .map_or(String::new(), |g| {
                format!(", target port group {} {}", g.id, state_name(g.state))
            });
        out.push_str(&format!(
            "path {}: {health}{group}, {} commands answered\n",
            p.portal, p.answered
        ));
    }
    if state.retries() > 0 {
        out.push_str(&format!("commands sent again: {}\n", state.retries()));
    }
    out
}

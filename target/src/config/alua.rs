//! `[alua]`: the target port groups of this portal group and of its peers
//! (SPC-5, asymmetric logical unit access), and how they become the
//! core's [`Alua`].

use std::collections::BTreeSet;
use std::ops::Range;

use rtgt_scsi::alua::{AccessState, AccessType, Alua, PortGroup};
use serde::Deserialize;
use toml::Spanned;

use super::values::Bounded;

/// `[alua]`. Without it the portal group is one active/optimized target
/// port group numbered by its tag, relative target port 1, implicit
/// access only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AluaToml {
    /// "implicit" (states change by configuration only), "explicit"
    /// (SET TARGET PORT GROUPS only) or "both".
    #[serde(default)]
    pub access: AccessToml,
    /// This portal group's target port group; default its `tpgt`.
    pub group: Option<Bounded<0, 65535>>,
    /// Its asymmetric access state; default active/optimized.
    #[serde(default)]
    pub state: StateToml,
    /// The PREF bit of REPORT TARGET PORT GROUPS.
    #[serde(default)]
    pub preferred: bool,
    /// This portal group's RELATIVE TARGET PORT IDENTIFIER; default 1.
    pub relative_port: Option<Bounded<1, 65535>>,
    /// Groups served by other nodes for the same logical units, reported
    /// so every node gives the whole picture.
    #[serde(default, rename = "peer")]
    pub peers: Vec<Spanned<PeerToml>>,
}

/// `[[alua.peer]]`: a target port group another node serves.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerToml {
    pub group: Bounded<0, 65535>,
    pub state: StateToml,
    #[serde(default)]
    pub preferred: bool,
    /// The relative target port identifiers of its ports.
    pub ports: Vec<Bounded<1, 65535>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessToml {
    #[default]
    Implicit,
    Explicit,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum StateToml {
    #[default]
    #[serde(rename = "active/optimized")]
    ActiveOptimized,
    #[serde(rename = "active/non-optimized")]
    ActiveNonOptimized,
    #[serde(rename = "standby")]
    Standby,
    #[serde(rename = "unavailable")]
    Unavailable,
    #[serde(rename = "transitioning")]
    Transitioning,
}

impl StateToml {
    fn state(self) -> AccessState {
        match self {
            StateToml::ActiveOptimized => AccessState::ActiveOptimized,
            StateToml::ActiveNonOptimized => AccessState::ActiveNonOptimized,
            StateToml::Standby => AccessState::Standby,
            StateToml::Unavailable => AccessState::Unavailable,
            StateToml::Transitioning => AccessState::Transitioning,
        }
    }
}

impl AluaToml {
    /// The relative target port of this portal group.
    pub fn relative_port(a: Option<&AluaToml>) -> u16 {
        a.and_then(|a| a.relative_port).map_or(1, |v| v.u16())
    }

    /// The core's groups: this portal group's first, then the peers.
    pub fn build(a: Option<&AluaToml>, tpgt: u16) -> Alua {
        let Some(a) = a else {
            return Alua::default();
        };
        let mut groups = vec![PortGroup {
            id: a.group.map_or(tpgt, |v| v.u16()),
            state: a.state.state(),
            preferred: a.preferred,
            ports: vec![AluaToml::relative_port(Some(a))],
            local: true,
        }];
        groups.extend(a.peers.iter().map(|p| {
            let p = p.get_ref();
            PortGroup {
                id: p.group.u16(),
                state: p.state.state(),
                preferred: p.preferred,
                ports: p.ports.iter().map(|v| v.u16()).collect(),
                local: false,
            }
        }));
        Alua {
            access: match a.access {
                AccessToml::Implicit => AccessType::Implicit,
                AccessToml::Explicit => AccessType::Explicit,
                AccessToml::Both => AccessType::Both,
            },
            groups,
        }
    }

    /// Each group and each relative target port once; a peer has ports.
    pub(super) fn check(&self, tpgt: u16) -> Result<(), (Range<usize>, String)> {
        let mut ids = BTreeSet::from([self.group.map_or(tpgt, |v| v.u16())]);
        let mut ports = BTreeSet::from([AluaToml::relative_port(Some(self))]);
        for p in &self.peers {
            let at = p.span();
            let peer = p.get_ref();
            if !ids.insert(peer.group.u16()) {
                return Err((
                    at,
                    format!(
                        "target port group {} is declared twice: give each group of [alua] its own number",
                        peer.group.0
                    ),
                ));
            }
            if peer.ports.is_empty() {
                return Err((
                    at,
                    "a peer group needs the relative target ports of its node: set ports = [N]"
                        .into(),
                ));
            }
            for port in &peer.ports {
                if !ports.insert(port.u16()) {
                    return Err((
                        at.clone(),
                        format!(
                            "relative target port {} is in two groups: give each port of [alua] one group",
                            port.0
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

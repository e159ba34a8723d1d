//! What an iSCSI target registers (entity, portals, nodes, portal groups)
//! and what a discovery query returns, as plain values.

use std::net::SocketAddr;

use super::attr::{tag, Attr, NODE_TYPE_TARGET};

/// A portal of the entity and the Portal Group Tag its nodes use there
/// (RFC 4171 §6.3.1, §6.3.2, §6.5.4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegisteredPortal {
    pub addr: SocketAddr,
    pub tag: u16,
}

/// An iSCSI target node (RFC 4171 §6.4.1-§6.4.3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegisteredNode {
    pub name: String,
    pub alias: Option<String>,
}

/// Everything one network entity registers: one DevAttrReg with replace
/// carries all of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registration {
    /// RFC 4171 §6.2.1: the Entity Identifier.
    pub entity_id: String,
    /// RFC 4171 §6.2.6: the Registration Period asked for, in seconds
    /// (the server may give another; None leaves it to the server).
    pub registration_period: Option<u32>,
    pub portals: Vec<RegisteredPortal>,
    pub nodes: Vec<RegisteredNode>,
}

impl Registration {
    /// The Source attribute of the entity's messages (RFC 4171 §5.6.1: an
    /// iSCSI Name of the entity): its first node, or the EID when it has
    /// none.
    pub fn source(&self) -> String {
        self.nodes
            .first()
            .map_or_else(|| self.entity_id.clone(), |n| n.name.clone())
    }
}

/// A target node a DevAttrQry returned, with the portals it may be
/// reached at and their Portal Group Tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DiscoveredTarget {
    pub name: String,
    pub alias: Option<String>,
    pub portals: Vec<(SocketAddr, Option<u16>)>,
}

#[derive(Default)]
struct Node {
    name: String,
    node_type: Option<u32>,
    alias: Option<String>,
}

#[derive(Default)]
struct Pg {
    name: String,
    ip: Option<std::net::IpAddr>,
    port: Option<u16>,
    tag: Option<u32>,
}

/// The iSCSI target nodes in a DevAttrQry response's operating attributes
/// (RFC 4171 §5.7.5.2: the objects' attributes in order, each object
/// starting with its key). A node is reached through the Portal Group
/// objects naming it that have a PGT (§6.5.4: a NULL PGT means no access
/// through that portal); a node no PG names is reached at every portal
/// listed.
pub fn targets_in(operating: &[Attr]) -> Vec<DiscoveredTarget> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut portals: Vec<SocketAddr> = Vec::new();
    let mut pgs: Vec<Pg> = Vec::new();
    let mut portal_ip = None;
    for attr in operating {
        match attr.tag {
            tag::ISCSI_NAME => nodes.push(Node {
                name: attr.as_string().unwrap_or_default(),
                ..Node::default()
            }),
            tag::ISCSI_NODE_TYPE => {
                if let Some(node) = nodes.last_mut() {
                    node.node_type = attr.as_u32();
                }
            }
            tag::ISCSI_ALIAS => {
                if let Some(node) = nodes.last_mut() {
                    node.alias = attr.as_string();
                }
            }
            tag::PORTAL_IP_ADDRESS => portal_ip = attr.as_ip(),
            tag::PORTAL_PORT => {
                if let (Some(ip), Some((port, true))) = (portal_ip.take(), attr.as_port()) {
                    let addr = SocketAddr::new(ip, port);
                    if !portals.contains(&addr) {
                        portals.push(addr);
                    }
                }
            }
            tag::PG_ISCSI_NAME => pgs.push(Pg {
                name: attr.as_string().unwrap_or_default(),
                ..Pg::default()
            }),
            tag::PG_PORTAL_IP_ADDR => {
                if let Some(pg) = pgs.last_mut() {
                    pg.ip = attr.as_ip();
                }
            }
            tag::PG_PORTAL_PORT => {
                if let Some(pg) = pgs.last_mut() {
                    pg.port = attr.as_port().filter(|p| p.1).map(|p| p.0);
                }
            }
            tag::PG_TAG => {
                if let Some(pg) = pgs.last_mut() {
                    pg.tag = attr.as_u32();
                }
            }
            _ => {}
        }
    }
    let mut targets: Vec<DiscoveredTarget> = Vec::new();
    for node in nodes {
        // RFC 4171 §6.4.2: bit 31 (0x1) is Target.
        let is_target = node.node_type.is_none_or(|t| t & NODE_TYPE_TARGET != 0);
        if node.name.is_empty() || !is_target || targets.iter().any(|t| t.name == node.name) {
            continue;
        }
        let named: Vec<&Pg> = pgs.iter().filter(|pg| pg.name == node.name).collect();
        let reach = if named.is_empty() {
            portals.iter().map(|a| (*a, None)).collect()
        } else {
            named
                .iter()
                .filter_map(|pg| {
                    let addr = SocketAddr::new(pg.ip?, pg.port?);
                    let pgt = u16::try_from(pg.tag?).ok()?;
                    Some((addr, Some(pgt)))
                })
                .collect()
        };
        targets.push(DiscoveredTarget {
            name: node.name,
            alias: node.alias,
            portals: reach,
        });
    }
    targets.sort();
    targets
}

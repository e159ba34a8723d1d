//! tgtd's sessions: the numbers it gives them and the text it shows for
//! them (`session_create`, `usr/iscsi/session.c`;
//! `iscsi_target_show_connections`, `usr/iscsi/target.c`).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::show::{TAB1, TAB2, TAB3};
use crate::core::SessionInfo;

/// tgt's `_TAB4` (`usr/util.h`).
const TAB4: &str = "                ";

/// What tgtd keeps of a session from its login: its number and the
/// I_T nexus text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Numbered {
    id: u16,
    info: String,
}

/// tgtd's session numbers, which are its TSIHs and its I_T nexus ids:
/// one counter for every target, each new session taking the number after
/// the last given, skipping 0 and numbers in use (`session_create`).
///
/// rtgtd learns of a session when tgtadm asks to see sessions, so those
/// logged in since the last such request are numbered then, in login
/// order; one that came and went in between takes no number, where tgtd
/// would have used one.
#[derive(Debug, Default)]
pub struct NexusIds {
    /// By the core's session serial.
    live: BTreeMap<u64, Numbered>,
    last: u16,
}

impl NexusIds {
    /// Forgets the sessions not in `live` and numbers the new ones of it,
    /// by ascending serial.
    pub fn number(&mut self, live: &[&SessionInfo]) {
        self.live
            .retain(|serial, _| live.iter().any(|s| s.serial == *serial));
        let mut new: Vec<&&SessionInfo> = live
            .iter()
            .filter(|s| !self.live.contains_key(&s.serial))
            .collect();
        new.sort_by_key(|s| s.serial);
        for s in new {
            let Some(id) = self.next() else { return };
            self.last = id;
            self.live.insert(
                s.serial,
                Numbered {
                    id,
                    info: nexus_info(s),
                },
            );
        }
    }

    /// `session_create`'s search: after the last number, round to it.
    fn next(&self) -> Option<u16> {
        let mut t = self.last.wrapping_add(1);
        while t != self.last {
            if t != 0 && !self.live.values().any(|n| n.id == t) {
                return Some(t);
            }
            t = t.wrapping_add(1);
        }
        None
    }

    fn get(&self, s: &SessionInfo) -> Option<&Numbered> {
        self.live.get(&s.serial)
    }

    /// The "I_T nexus information" lines of a target's `sessions`
    /// (`tgt_target_show_all`, `usr/target.c`): oldest first, as
    /// `it_nexus_create` appends them.
    pub fn target_lines(&self, out: &mut String, sessions: &[SessionInfo]) {
        for n in sessions.iter().filter_map(|s| self.get(s)) {
            let _ = write!(out, "{TAB2}I_T nexus: {}\n{}", n.id, n.info);
        }
    }

    /// `--op show --mode conn --tid N` (`iscsi_target_show_connections`):
    /// the newest session first and in each the newest connection first,
    /// as `list_add` keeps them.
    pub fn connections(&self, sessions: &[SessionInfo]) -> String {
        let mut out = String::new();
        for s in sessions.iter().rev() {
            let Some(n) = self.get(s) else { continue };
            for c in s.conns.iter().rev() {
                let _ = write!(
                    out,
                    "Session: {}\n\
                     {TAB1}Connection: {}\n\
                     {TAB2}Initiator: {}\n\
                     {TAB2}IP Address: {}\n",
                    n.id,
                    c.cid,
                    s.initiator,
                    c.peer.ip()
                );
            }
        }
        out
    }
}

/// The text `session_create` keeps for the I_T nexus, from the session's
/// first connection. rtgtd does not keep the InitiatorAlias key: the alias
/// shows as tgt's "none".
fn nexus_info(s: &SessionInfo) -> String {
    let mut out = format!("{TAB3}Initiator: {} alias: none\n", s.initiator);
    if let Some(c) = s.conns.first() {
        let _ = write!(
            out,
            "{TAB3}Connection: {}\n{TAB4}IP Address: {}\n",
            c.cid,
            c.peer.ip()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ConnId, ConnInfo};
    use rtgt_proto::pdu::{Isid, IsidType};

    fn session(serial: u64, cid: u16) -> SessionInfo {
        SessionInfo {
            serial,
            tsih: 0x4000 + cid,
            isid: Isid {
                t: IsidType::Random,
                a: 0,
                b: 1,
                c: 0,
                d: 2,
            },
            initiator: format!("iqn.2024-01.org.rtgt:h{serial}"),
            conns: vec![ConnInfo {
                conn: ConnId(serial),
                cid,
                peer: "127.0.0.1:50000".parse().unwrap(),
            }],
        }
    }

    #[test]
    fn sessions_show_as_tgtd_shows_them() {
        let mut ids = NexusIds::default();
        let (a, b) = (session(7, 0), session(9, 3));
        ids.number(&[&b, &a]);
        let mut text = String::new();
        ids.target_lines(&mut text, &[a.clone(), b.clone()]);
        assert_eq!(
            text,
            "        I_T nexus: 1\n\
             \x20           Initiator: iqn.2024-01.org.rtgt:h7 alias: none\n\
             \x20           Connection: 0\n\
             \x20               IP Address: 127.0.0.1\n\
             \x20       I_T nexus: 2\n\
             \x20           Initiator: iqn.2024-01.org.rtgt:h9 alias: none\n\
             \x20           Connection: 3\n\
             \x20               IP Address: 127.0.0.1\n"
        );
        assert_eq!(
            ids.connections(&[a.clone(), b]),
            "Session: 2\n    Connection: 3\n        Initiator: iqn.2024-01.org.rtgt:h9\n\
             \x20       IP Address: 127.0.0.1\n\
             Session: 1\n    Connection: 0\n        Initiator: iqn.2024-01.org.rtgt:h7\n\
             \x20       IP Address: 127.0.0.1\n"
        );
        // Numbers go on from the last given, not from the lowest free.
        let c = session(10, 0);
        ids.number(&[&a, &c]);
        assert_eq!(ids.get(&c).map(|n| n.id), Some(3));
        assert_eq!(ids.get(&a).map(|n| n.id), Some(1));
    }
}

//! tgtd's view of the targets, kept beside the core: tgtadm's target ids,
//! the global accounts and their bindings, the ACL rules as written and
//! what each LUN was made from. Every check answers as tgtd's
//! `usr/target.c` does; the driver (`daemon::control_engine`) makes the
//! matching change in the [`TargetCore`](crate::TargetCore).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::command::{AclRule, GLOBAL_TID};
use super::error::AdmError;
use super::nexus::NexusIds;
use crate::core::{Cidr, SessionInfo, TargetId};

/// How one LUN is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LunInfo {
    /// tgt's LUN 0 of every target it creates: a storage array controller
    /// without storage (`tgt_target_create` adds it with `TYPE_RAID`).
    pub controller: bool,
    pub size: u64,
    pub block_size: u32,
    pub read_only: bool,
    pub thin: bool,
    pub removable: bool,
    /// tgt's backing store name (`rdwr` for a file, `null`).
    pub bstype: String,
    pub path: Option<String>,
    /// tgt's `open_flags_to_str`: `sync`, `direct`, `sync:direct` or empty.
    pub flags: String,
}

impl LunInfo {
    /// tgt's LUN 0: type controller, no storage, block size 1, backing
    /// store `null`.
    pub fn controller() -> LunInfo {
        LunInfo {
            controller: true,
            size: 0,
            block_size: 1,
            read_only: false,
            thin: false,
            removable: false,
            bstype: "null".into(),
            path: None,
            flags: String::new(),
        }
    }
}

/// The accounts bound to a target, by account id: tgt's `in_aids` slots
/// (0: free; a slot freed by unbind is the next one filled) and `out_aid`.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    incoming: Vec<u32>,
    outgoing: u32,
}

/// One target as tgtd knows it.
#[derive(Debug, Clone)]
pub struct TargetEntry {
    /// The core's id for it.
    pub id: TargetId,
    pub name: String,
    pub luns: BTreeMap<u64, LunInfo>,
    /// `--initiator-address` rules as written, in the order bound.
    pub acl_addresses: Vec<String>,
    /// `--initiator-name` rules, in the order bound.
    pub acl_names: Vec<String>,
    pub bindings: Bindings,
    /// Targets from rtgt.toml admit every address while they have no
    /// address rule (rtgt's meaning); tgt's targets admit none until bound.
    pub open_without_rules: bool,
}

impl TargetEntry {
    /// A target as `tgt_target_create` makes it: LUN 0 the controller, no
    /// rules, no accounts.
    pub fn new(id: TargetId, name: &str) -> TargetEntry {
        TargetEntry {
            id,
            name: name.into(),
            luns: BTreeMap::from([(0, LunInfo::controller())]),
            acl_addresses: Vec::new(),
            acl_names: Vec::new(),
            bindings: Bindings::default(),
            open_without_rules: false,
        }
    }

    /// What the core's ACL becomes: the networks and names to admit. tgt
    /// admits an address matching a rule (`ALL` any), then, when name
    /// rules exist, a matching name (`usr/iscsi/iscsid.c` login checks).
    /// rtgt's empty network list admits all, so "no address admitted" is
    /// the unspecified addresses, which no initiator connects from.
    pub fn core_acl(&self) -> (Vec<String>, Vec<Cidr>) {
        let all = self.acl_addresses.iter().any(|a| a == "ALL")
            || (self.acl_addresses.is_empty() && self.open_without_rules);
        let nets: Vec<Cidr> = if all {
            Vec::new()
        } else {
            let parsed: Vec<Cidr> = self
                .acl_addresses
                .iter()
                .filter_map(|a| Cidr::parse(a).ok())
                .collect();
            if parsed.is_empty() {
                vec![
                    Cidr {
                        addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        prefix: 32,
                    },
                    Cidr {
                        addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                        prefix: 128,
                    },
                ]
            } else {
                parsed
            }
        };
        (self.acl_names.clone(), nets)
    }
}

/// A global CHAP account (`struct account_entry`).
#[derive(Debug, Clone)]
struct Account {
    aid: u32,
    user: String,
    password: String,
}

/// tgtd's management state.
#[derive(Debug, Default)]
pub struct AdminState {
    targets: BTreeMap<i32, TargetEntry>,
    /// Newest first, as tgt's `list_add` keeps them.
    accounts: Vec<Account>,
    /// Bindings of discovery sessions (`global_target`).
    global: Bindings,
    /// tgtd's numbers for the sessions.
    nexus: NexusIds,
}

/// Where an account binding changed: a target or discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingPlace {
    Target(TargetId),
    Discovery,
}

impl AdminState {
    /// Numbers the sessions of `sessions` (every target's, by tid) new
    /// since the last call as tgtd numbers sessions at login, and forgets
    /// those gone.
    pub fn number_sessions(&mut self, sessions: &BTreeMap<i32, Vec<SessionInfo>>) {
        let live: Vec<&SessionInfo> = sessions.values().flatten().collect();
        self.nexus.number(&live);
    }

    /// tgtd's numbers for the sessions.
    pub fn nexus_ids(&self) -> &NexusIds {
        &self.nexus
    }

    /// The targets by ascending tid.
    pub fn targets(&self) -> impl Iterator<Item = (i32, &TargetEntry)> {
        self.targets.iter().map(|(&t, e)| (t, e))
    }

    /// Target `tid`, or `NoTarget`.
    pub fn target(&self, tid: i32) -> Result<&TargetEntry, AdmError> {
        self.targets.get(&tid).ok_or(AdmError::NoTarget)
    }

    /// Target `tid`, to change, or `NoTarget`.
    pub fn target_mut(&mut self, tid: i32) -> Result<&mut TargetEntry, AdmError> {
        self.targets.get_mut(&tid).ok_or(AdmError::NoTarget)
    }

    /// `tgt_target_create`'s checks: the tid and the name are free.
    pub fn check_new_target(&self, tid: i32, name: &str) -> Result<(), AdmError> {
        if self.targets.contains_key(&tid) || self.targets.values().any(|t| t.name == name) {
            return Err(AdmError::TargetExist);
        }
        Ok(())
    }

    /// Records a target under `tid`.
    pub fn insert_target(&mut self, tid: i32, t: TargetEntry) {
        self.targets.insert(tid, t);
    }

    /// Forgets target `tid`.
    pub fn remove_target(&mut self, tid: i32) -> Option<TargetEntry> {
        self.targets.remove(&tid)
    }

    /// The rules `rule` gives (the address, then the name), each with the
    /// list of target `tid` it belongs in.
    fn rule_lists<'a>(
        &'a mut self,
        tid: i32,
        rule: &'a AclRule,
    ) -> Result<Vec<(&'a String, &'a mut Vec<String>)>, AdmError> {
        let t = self.target_mut(tid)?;
        let lists = [
            (&rule.address, &mut t.acl_addresses),
            (&rule.name, &mut t.acl_names),
        ];
        Ok(lists
            .into_iter()
            .filter_map(|(v, l)| v.as_ref().map(|v| (v, l)))
            .collect())
    }

    /// `acl_add` then `iqn_acl_add` (`target_mgmt`): the first refusal
    /// stops, what was added before it stays.
    pub fn bind(&mut self, tid: i32, rule: &AclRule) -> Result<(), AdmError> {
        for (v, list) in self.rule_lists(tid, rule)? {
            if list.contains(v) {
                return Err(AdmError::AclExist);
            }
            list.push(v.clone());
        }
        Ok(())
    }

    /// `acl_del` then `iqn_acl_del`.
    pub fn unbind(&mut self, tid: i32, rule: &AclRule) -> Result<(), AdmError> {
        for (v, list) in self.rule_lists(tid, rule)? {
            let i = list
                .iter()
                .position(|a| a == v)
                .ok_or(AdmError::AclNoExist)?;
            list.remove(i);
        }
        Ok(())
    }

    /// `account_add`: a new user gets the lowest free account id.
    pub fn account_new(&mut self, user: &str, password: &str) -> Result<(), AdmError> {
        if self.accounts.iter().any(|a| a.user == user) {
            return Err(AdmError::UserExist);
        }
        let aid = (1..u32::MAX)
            .find(|&id| self.accounts.iter().all(|a| a.aid != id))
            .ok_or(AdmError::TooManyUser)?;
        self.accounts.insert(
            0,
            Account {
                aid,
                user: user.into(),
                password: password.into(),
            },
        );
        Ok(())
    }

    /// The secret of `user`.
    pub fn secret(&self, user: &str) -> Option<&str> {
        self.account(user).ok().map(|a| a.password.as_str())
    }

    /// The accounts bound for discovery sessions.
    pub fn discovery(&self) -> &Bindings {
        &self.global
    }

    /// The users, newest first.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.accounts.iter().map(|a| a.user.as_str())
    }

    fn account(&self, user: &str) -> Result<&Account, AdmError> {
        self.accounts
            .iter()
            .find(|a| a.user == user)
            .ok_or(AdmError::NoUser)
    }

    fn name_of(&self, aid: u32) -> Option<&str> {
        self.accounts
            .iter()
            .find(|a| a.aid == aid)
            .map(|a| a.user.as_str())
    }

    /// The incoming users shown for `b`: tgt prints the first
    /// `nr_inaccount` slots.
    pub fn incoming_users<'a>(&'a self, b: &'a Bindings) -> impl Iterator<Item = &'a str> + 'a {
        let n = b.incoming.iter().filter(|&&a| a != 0).count();
        b.incoming
            .iter()
            .take(n)
            .filter_map(move |&aid| self.name_of(aid))
    }

    /// The outgoing user of `b`.
    pub fn outgoing_user(&self, b: &Bindings) -> Option<&str> {
        self.name_of(b.outgoing)
    }

    fn bindings_mut(&mut self, tid: i32) -> Result<(&mut Bindings, BindingPlace), AdmError> {
        if tid == GLOBAL_TID {
            return Ok((&mut self.global, BindingPlace::Discovery));
        }
        let t = self.target_mut(tid)?;
        Ok((&mut t.bindings, BindingPlace::Target(t.id)))
    }

    /// `account_ctl` binding: gives where it applies and the account's
    /// name and secret.
    pub fn account_bind(
        &mut self,
        tid: i32,
        user: &str,
        outgoing: bool,
    ) -> Result<(BindingPlace, String, String), AdmError> {
        self.bindings_mut(tid)?;
        let a = self.account(user)?.clone();
        let (b, place) = self.bindings_mut(tid)?;
        if outgoing {
            if b.outgoing != 0 {
                return Err(AdmError::OutAccountExist);
            }
            b.outgoing = a.aid;
        } else {
            if b.incoming.contains(&a.aid) {
                return Err(AdmError::UserExist);
            }
            match b.incoming.iter_mut().find(|s| **s == 0) {
                Some(slot) => *slot = a.aid,
                None => b.incoming.push(a.aid),
            }
        }
        Ok((place, a.user, a.password))
    }

    /// `account_ctl` unbinding.
    pub fn account_unbind(
        &mut self,
        tid: i32,
        user: &str,
        outgoing: bool,
    ) -> Result<BindingPlace, AdmError> {
        self.bindings_mut(tid)?;
        let aid = self.account(user)?.aid;
        let (b, place) = self.bindings_mut(tid)?;
        if outgoing {
            if b.outgoing != aid {
                return Err(AdmError::NoUser);
            }
            b.outgoing = 0;
        } else {
            let slot = b
                .incoming
                .iter_mut()
                .find(|s| **s == aid)
                .ok_or(AdmError::NoUser)?;
            *slot = 0;
        }
        Ok(place)
    }

    /// `account_del`: unbinds the user everywhere, then forgets it. Gives
    /// the places it was bound, each with whether as outgoing.
    pub fn account_delete(&mut self, user: &str) -> Result<Vec<(BindingPlace, bool)>, AdmError> {
        self.account(user)?;
        let mut places = Vec::new();
        let tids: Vec<i32> = self.targets.keys().copied().chain([GLOBAL_TID]).collect();
        for tid in tids {
            for outgoing in [false, true] {
                if let Ok(place) = self.account_unbind(tid, user, outgoing) {
                    places.push((place, outgoing));
                }
            }
        }
        self.accounts.retain(|a| a.user != user);
        Ok(places)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(a: &str) -> AclRule {
        AclRule {
            address: Some(a.into()),
            name: None,
        }
    }

    #[test]
    fn accounts_bind_as_tgt_binds_them() {
        let mut s = AdminState::default();
        s.insert_target(1, TargetEntry::new(TargetId(1), "iqn.a"));
        assert_eq!(s.check_new_target(1, "iqn.b"), Err(AdmError::TargetExist));
        assert_eq!(s.check_new_target(2, "iqn.a"), Err(AdmError::TargetExist));
        s.account_new("christina", "123456").unwrap();
        s.account_new("clyde", "123456").unwrap();
        assert_eq!(s.account_new("clyde", "x"), Err(AdmError::UserExist));
        assert_eq!(s.users().collect::<Vec<_>>(), ["clyde", "christina"]);
        s.account_bind(1, "christina", false).unwrap();
        assert_eq!(
            s.account_bind(1, "christina", false).unwrap_err(),
            AdmError::UserExist
        );
        s.account_bind(1, "clyde", true).unwrap();
        assert_eq!(
            s.account_bind(1, "christina", true).unwrap_err(),
            AdmError::OutAccountExist
        );
        assert_eq!(
            s.account_bind(2, "x", false).unwrap_err(),
            AdmError::NoTarget
        );
        assert_eq!(s.account_bind(1, "x", false).unwrap_err(), AdmError::NoUser);
        let (place, ..) = s.account_bind(GLOBAL_TID, "clyde", false).unwrap();
        assert_eq!(place, BindingPlace::Discovery);
        let t = s.target(1).unwrap();
        assert_eq!(
            s.incoming_users(&t.bindings).collect::<Vec<_>>(),
            ["christina"]
        );
        assert_eq!(s.outgoing_user(&t.bindings), Some("clyde"));
        let places = s.account_delete("clyde").unwrap();
        assert_eq!(
            places,
            [
                (BindingPlace::Target(TargetId(1)), true),
                (BindingPlace::Discovery, false)
            ]
        );
        assert_eq!(s.users().collect::<Vec<_>>(), ["christina"]);
    }

    #[test]
    fn acl_rules_map_to_the_core() {
        let mut t = TargetEntry::new(TargetId(1), "iqn.a");
        let (_, nets) = t.core_acl();
        assert_eq!(nets.len(), 2, "no rule admits no address");
        t.open_without_rules = true;
        assert!(t.core_acl().1.is_empty());
        let mut s = AdminState::default();
        s.insert_target(1, TargetEntry::new(TargetId(1), "iqn.a"));
        s.bind(1, &rule("172.16.0.0/16")).unwrap();
        assert_eq!(s.bind(1, &rule("172.16.0.0/16")), Err(AdmError::AclExist));
        let (_, nets) = s.target(1).unwrap().core_acl();
        assert_eq!(nets, [Cidr::parse("172.16.0.0/16").unwrap()]);
        s.bind(1, &rule("ALL")).unwrap();
        assert!(s.target(1).unwrap().core_acl().1.is_empty());
        s.unbind(1, &rule("ALL")).unwrap();
        assert_eq!(s.unbind(1, &rule("ALL")), Err(AdmError::AclNoExist));
    }
}

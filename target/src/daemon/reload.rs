//! SIGHUP and `rtgtadm --reload`: the configuration file read again (off
//! the engine, by `control`) and the difference applied to the live state
//! in the engine task: targets added and removed (a target with sessions
//! stays, as tgtd refuses to delete it without `--force`), LUNs added and
//! removed, ACL rules and CHAP accounts replaced, `[[account]]`s added.
//! Each change is logged and listed in the reply. What the file changes
//! otherwise (session keys, a LUN's backing, a tid) waits for a restart,
//! and the reply says so.

use std::collections::BTreeMap;
use std::time::Instant;

use tracing::{info, warn};

use super::control_engine::{lun_info, seed_accounts, seed_target, sync_acl};
use crate::admin::command::GLOBAL_TID;
use crate::admin::AdminState;
use crate::config::{Built, LunBackend, TargetSeed};
use crate::core::{TargetConfig, TargetCore, TargetId};

type Luns = BTreeMap<(TargetId, u16), LunBackend>;

/// What a reload did, line by line.
#[derive(Default)]
struct Notes(String);

impl Notes {
    fn done(&mut self, line: String) {
        info!("reload: {line}");
        self.0.push_str(&line);
        self.0.push('\n');
    }

    fn refused(&mut self, line: String) {
        warn!("reload: {line}");
        self.0.push_str(&line);
        self.0.push('\n');
    }
}

/// Applies `new` (the file read again) to the live state; gives the
/// changes made and refused, one a line.
pub(crate) fn apply(
    core: &mut TargetCore,
    luns: &mut Luns,
    admin: &mut AdminState,
    new: Built,
    now: Instant,
) -> String {
    let mut notes = Notes::default();
    let Built {
        group,
        luns: mut new_luns,
        admin: seed,
        ..
    } = new;
    let live: Vec<(i32, String, TargetId)> = admin
        .targets()
        .map(|(tid, t)| (tid, t.name.clone(), t.id))
        .collect();
    for (tid, name, id) in &live {
        if group.targets.iter().any(|t| &t.name == name) {
            continue;
        }
        // tgt's rule: a target with sessions is not deleted unless forced.
        match core.remove_target(*id, false, now) {
            Ok(_) => {
                luns.retain(|&(t, _), _| t != *id);
                admin.remove_target(*tid);
                notes.done(format!("target {tid} {name} removed"));
            }
            Err(e) => notes.refused(format!(
                "target {tid} {name} not removed: {e}: log its initiators out, or run \
                 tgtadm --op delete --mode target --tid {tid} --force"
            )),
        }
    }
    seed_accounts(admin, None, &seed.accounts);
    alua(core, &group, &mut notes);
    for (pos, mut cfg) in group.targets.into_iter().enumerate() {
        let Some(extra) = seed.targets.get(pos) else {
            continue;
        };
        let from = TargetId::from_position(pos);
        let mut backends: BTreeMap<u16, LunBackend> = BTreeMap::new();
        new_luns.retain(|&(t, n), b| {
            if t == from {
                backends.insert(n, b.clone());
            }
            t != from
        });
        match live.iter().find(|(_, n, _)| *n == cfg.name) {
            Some((tid, _, id)) => {
                let target = Live { tid: *tid, id: *id };
                update(
                    core, luns, admin, target, &mut cfg, extra, backends, now, &mut notes,
                );
            }
            None => add(core, luns, admin, cfg, extra, backends, &mut notes),
        }
    }
    let was = (
        admin
            .incoming_users(admin.discovery())
            .map(str::to_owned)
            .collect::<Vec<_>>(),
        admin.outgoing_user(admin.discovery()).map(str::to_owned),
    );
    let now_users = (
        seed.discovery
            .iter()
            .filter(|a| !a.outgoing)
            .map(|a| a.user.clone())
            .collect::<Vec<_>>(),
        seed.discovery
            .iter()
            .find(|a| a.outgoing)
            .map(|a| a.user.clone()),
    );
    if was != now_users {
        unbind_all(admin, GLOBAL_TID);
        seed_accounts(admin, Some(GLOBAL_TID), &seed.discovery);
        core.set_discovery_auth(group.discovery_auth);
        notes.done("discovery CHAP accounts replaced".into());
    }
    if notes.0.is_empty() {
        notes.done("no change".into());
    }
    notes.0
}

/// `[alua]`: new target port groups or states apply at once (each LU
/// then reports ASYMMETRIC ACCESS STATE CHANGED, SPC-5); a new relative
/// target port waits for a restart, since sessions name their port.
fn alua(core: &mut TargetCore, group: &crate::core::PortalGroupConfig, notes: &mut Notes) {
    let cfg = core.config();
    if cfg.relative_target_port != group.relative_target_port {
        notes.refused(format!(
            "relative target port {} not changed to {}: restart rtgtd to change it",
            cfg.relative_target_port, group.relative_target_port
        ));
    }
    if cfg.alua == group.alua {
        return;
    }
    let states: Vec<String> = group
        .alua
        .groups
        .iter()
        .map(|g| format!("{} {:?}", g.id, g.state))
        .collect();
    let changed = core.set_alua(group.alua.clone());
    notes.done(format!(
        "target port groups set ({}){}",
        states.join(", "),
        if changed {
            ", access state changed"
        } else {
            ""
        }
    ));
}

/// A live target: tgtadm's tid and the core's id.
#[derive(Clone, Copy)]
struct Live {
    tid: i32,
    id: TargetId,
}

fn add(
    core: &mut TargetCore,
    luns: &mut Luns,
    admin: &mut AdminState,
    cfg: TargetConfig,
    extra: &TargetSeed,
    backends: BTreeMap<u16, LunBackend>,
    notes: &mut Notes,
) {
    let (tid, name) = (extra.tid, cfg.name.clone());
    if admin.target(tid).is_ok() {
        notes.refused(format!(
            "target {name} not added: tid {tid} is taken: give it another tid"
        ));
        return;
    }
    match core.add_target(cfg) {
        Ok(id) => {
            for (n, b) in backends {
                luns.insert((id, n), b);
            }
            seed_target(core, luns, admin, id, extra);
            notes.done(format!("target {tid} {name} added"));
        }
        Err(e) => notes.refused(format!("target {name} not added: {e}")),
    }
}

/// Forgets every account binding of `tid` in tgtd's view.
fn unbind_all(admin: &mut AdminState, tid: i32) {
    let bindings = if tid == GLOBAL_TID {
        Some(admin.discovery().clone())
    } else {
        admin.target(tid).ok().map(|t| t.bindings.clone())
    };
    let Some(b) = bindings else { return };
    let incoming: Vec<String> = admin.incoming_users(&b).map(str::to_owned).collect();
    let outgoing = admin.outgoing_user(&b).map(str::to_owned);
    for u in incoming {
        let _ = admin.account_unbind(tid, &u, false);
    }
    if let Some(u) = outgoing {
        let _ = admin.account_unbind(tid, &u, true);
    }
}

#[allow(clippy::too_many_arguments)]
fn update(
    core: &mut TargetCore,
    luns: &mut Luns,
    admin: &mut AdminState,
    live: Live,
    cfg: &mut TargetConfig,
    extra: &TargetSeed,
    mut backends: BTreeMap<u16, LunBackend>,
    now: Instant,
    notes: &mut Notes,
) {
    let Live { tid, id } = live;
    if extra.tid != tid {
        notes.refused(format!(
            "target {tid} {}: tid {} not applied: restart rtgtd",
            cfg.name, extra.tid
        ));
    }
    let Ok(entry) = admin.target(tid) else { return };
    let had: Vec<u64> = entry
        .luns
        .iter()
        .filter(|(_, l)| !l.controller)
        .map(|(&n, _)| n)
        .collect();
    let want: Vec<u16> = cfg.luns.luns().iter().filter_map(|l| l.index()).collect();
    for n in had.iter().filter_map(|&n| u16::try_from(n).ok()) {
        if want.contains(&n) {
            continue;
        }
        match core.remove_lun(id, n, false, now) {
            Ok(_) => {
                if let Some(b) = luns.remove(&(id, n)) {
                    tokio::task::spawn_blocking(move || b.store.flush());
                }
                if let Ok(t) = admin.target_mut(tid) {
                    t.luns.remove(&u64::from(n));
                }
                notes.done(format!("target {tid} lun {n} removed"));
            }
            Err(e) => notes.refused(format!("target {tid} lun {n} not removed: {e}")),
        }
    }
    for &n in &want {
        if had.contains(&u64::from(n)) {
            continue;
        }
        let Some(disk) = cfg.luns.remove(n) else {
            continue;
        };
        let info = lun_info(&disk, backends.get(&n), extra, n);
        match core.add_lun(id, n, disk) {
            Ok(()) => {
                if let Some(b) = backends.remove(&n) {
                    luns.insert((id, n), b);
                }
                if let Ok(t) = admin.target_mut(tid) {
                    t.luns.insert(u64::from(n), info);
                }
                notes.done(format!("target {tid} lun {n} added"));
            }
            Err(e) => notes.refused(format!("target {tid} lun {n} not added: {e}")),
        }
    }
    if let Ok(t) = admin.target_mut(tid) {
        if t.acl_addresses != extra.addresses || t.acl_names != cfg.allowed_initiators {
            t.acl_addresses = extra.addresses.clone();
            t.acl_names = cfg.allowed_initiators.clone();
            match sync_acl(core, admin, tid) {
                Ok(()) => notes.done(format!("target {tid} ACL replaced")),
                Err(e) => notes.refused(format!("target {tid} ACL not replaced: {e}")),
            }
        }
    }
    let Ok(entry) = admin.target(tid) else { return };
    let was: Vec<(String, bool)> = admin
        .incoming_users(&entry.bindings)
        .map(|u| (u.to_owned(), false))
        .chain(
            admin
                .outgoing_user(&entry.bindings)
                .map(|u| (u.to_owned(), true)),
        )
        .collect();
    let now_users: Vec<(String, bool)> = extra
        .chap
        .iter()
        .map(|a| (a.user.clone(), a.outgoing))
        .collect();
    if was != now_users {
        unbind_all(admin, tid);
        seed_accounts(admin, Some(tid), &extra.chap);
        match core.set_target_auth(id, cfg.auth.clone()) {
            Ok(()) => notes.done(format!("target {tid} CHAP accounts replaced")),
            Err(e) => notes.refused(format!("target {tid} CHAP accounts not replaced: {e}")),
        }
    }
}

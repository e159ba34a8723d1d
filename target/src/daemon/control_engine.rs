//! The engine's side of the control socket: each tgtadm request checked
//! against tgtd's view ([`AdminState`]) and made in the [`TargetCore`]
//! through its registry API, in the engine task that owns both.

use std::collections::BTreeMap;
use std::time::Instant;

use rtgt_scsi::{Disk, DiskConfig, LunMap};
use tracing::{info, warn};

use super::control::{AdminCall, OpenedLun};
use super::persist::ConfigFile;
use crate::admin::command::Command;
use crate::admin::command::GLOBAL_TID;
use crate::admin::state::{BindingPlace, LunInfo, TargetEntry};
use crate::admin::{show, AdmError, AdminState};
use crate::config::{lun_id, Account, AdminSeed, LunBackend, TargetSeed};
use crate::core::{
    AuthConfig, ChapAccount, RegistryError, SessionInfo, TargetConfig, TargetCore, TargetId,
};

type Luns = BTreeMap<(TargetId, u16), LunBackend>;

/// RFC 7143 §12.1.3: a CHAP secret of fewer than 96 random bits needs
/// IPsec to protect the connection.
const CHAP_MIN_SECRET: usize = 12;

/// The tgtd error for a refusal of the core.
fn adm_error(e: &RegistryError) -> AdmError {
    match e {
        RegistryError::DuplicateName(_) => AdmError::TargetExist,
        RegistryError::NoTarget(_) => AdmError::NoTarget,
        RegistryError::TargetBusy { .. } => AdmError::TargetActive,
        RegistryError::IdsExhausted => AdmError::Unknown,
        RegistryError::DuplicateLun { .. } => AdmError::LunExist,
        RegistryError::NoLun { .. } => AdmError::NoLun,
        RegistryError::LunOutOfRange(_) => AdmError::InvalidRequest,
        RegistryError::LunBusy { .. } => AdmError::LunActive,
    }
}

fn refused(e: RegistryError) -> AdmError {
    warn!("tgtadm request refused: {e}");
    adm_error(&e)
}

/// tgtd's view of the targets the configuration file gave: tids, LUNs,
/// ACL rules as written and CHAP accounts from the file (`from`; the
/// core's ids as tids when it says nothing, as for `--demo`), and the
/// core's ACLs as those rules read.
pub(crate) fn seed(core: &mut TargetCore, luns: &Luns, from: &AdminSeed) -> AdminState {
    let mut s = AdminState::default();
    // `[[account]]` first: it gives the order the accounts were made in.
    seed_accounts(&mut s, None, &from.accounts);
    let ids: Vec<TargetId> = core.targets().map(|(id, _)| id).collect();
    for (pos, &id) in ids.iter().enumerate() {
        let Some(t) = core.target(id) else { continue };
        let default = TargetSeed {
            tid: i32::try_from(id.0).unwrap_or(i32::MAX),
            addresses: t
                .allowed_networks
                .iter()
                .map(|c| format!("{}/{}", c.addr, c.prefix))
                .collect(),
            ..TargetSeed::default()
        };
        let extra = from.targets.get(pos).unwrap_or(&default).clone();
        seed_target(core, luns, &mut s, id, &extra);
    }
    seed_accounts(&mut s, Some(GLOBAL_TID), &from.discovery);
    s
}

/// Records core target `id` in `s` as the file describes it (`extra`) and
/// gives the core its ACL as those rules read.
pub(crate) fn seed_target(
    core: &mut TargetCore,
    luns: &Luns,
    s: &mut AdminState,
    id: TargetId,
    extra: &TargetSeed,
) {
    let Some(t) = core.target(id) else { return };
    let mut e = TargetEntry::new(id, &t.name);
    if !extra.tgt_compat {
        e.luns.clear();
    }
    for n in t.luns.luns().iter().filter_map(|l| l.index()) {
        if let Some(d) = t.luns.disk(n) {
            e.luns
                .insert(u64::from(n), lun_info(d, luns.get(&(id, n)), extra, n));
        }
    }
    e.acl_addresses = extra.addresses.clone();
    e.acl_names = t.allowed_initiators.clone();
    e.open_without_rules = !extra.tgt_compat;
    s.insert_target(extra.tid, e);
    seed_accounts(s, Some(extra.tid), &extra.chap);
    if let Err(err) = sync_acl(core, s, extra.tid) {
        warn!(tid = extra.tid, "cannot set the target's ACL: {err}");
    }
}

/// How LUN `n` of a target from the file shows.
pub(crate) fn lun_info(
    d: &Disk,
    backend: Option<&LunBackend>,
    extra: &TargetSeed,
    n: u16,
) -> LunInfo {
    let c = d.config();
    let bs = c.block_size.bytes();
    let (path, direct) = extra.luns.get(&n).cloned().unwrap_or_default();
    LunInfo {
        controller: false,
        size: backend.map_or(c.blocks * u64::from(bs), |b| b.store.len()),
        block_size: bs,
        read_only: c.read_only,
        thin: c.thin,
        removable: c.removable,
        bstype: "rdwr".into(),
        path,
        flags: if direct {
            "direct".into()
        } else {
            String::new()
        },
    }
}

/// Makes tgtd's global accounts for `accounts` (a user already made keeps
/// its first secret) and binds them to `tid` (`GLOBAL_TID`: discovery),
/// or to nothing (`[[account]]`, which lists them oldest first).
pub(crate) fn seed_accounts(s: &mut AdminState, tid: Option<i32>, accounts: &[Account]) {
    for a in accounts {
        if !s.users().any(|u| u == a.user) {
            let _ = s.account_new(&a.user, &a.secret.0);
        }
        if let Some(tid) = tid {
            if let Err(e) = s.account_bind(tid, &a.user, a.outgoing) {
                warn!(tid, user = %a.user, "cannot show the account as bound: {e}");
            }
        }
    }
}

/// Carries out one request and answers it; a change is written to the
/// configuration file first when it persists. Gives whether the daemon is
/// to shut down (`Stop`, after `--op delete --mode system` was answered).
pub(crate) fn handle(
    core: &mut TargetCore,
    luns: &mut Luns,
    admin: &mut AdminState,
    file: &mut ConfigFile,
    call: AdminCall,
    now: Instant,
) -> bool {
    if call.command == Command::SystemDelete {
        // sys_mgmt: the system goes only once no target is left
        // (`is_system_inactive`), else the request is invalid.
        let r = if admin.targets().next().is_none() {
            Ok(String::new())
        } else {
            Err(AdmError::InvalidRequest)
        };
        let _ = call.reply.send(r);
        return false;
    }
    if call.command == Command::Stop {
        info!("tgtadm --op delete --mode system: shutting down");
        let _ = call.reply.send(Ok(String::new()));
        return true;
    }
    if call.command == Command::Dump {
        let _ = call.reply.send(Ok(file.dump(admin)));
        return false;
    }
    if call.command == Command::Reload {
        let r = match call.reload {
            Some(Ok(built)) => {
                let text = built.source.as_ref().map(|s| s.text.0.clone());
                let notes = super::reload::apply(core, luns, admin, built, now);
                if let Some(text) = text {
                    file.reread(&text);
                }
                Ok(notes)
            }
            Some(Err(e)) => {
                warn!("reload refused: {e}");
                Err(AdmError::InvalidRequest)
            }
            None => Err(AdmError::InvalidRequest),
        };
        let _ = call.reply.send(r);
        return false;
    }
    let query = call.command.is_query();
    let r = apply(core, luns, admin, call.command, call.lun, now);
    if r.is_ok() && !query {
        file.changed(admin, call.reply, r);
    } else {
        let _ = call.reply.send(r);
    }
    false
}

fn apply(
    core: &mut TargetCore,
    luns: &mut Luns,
    admin: &mut AdminState,
    command: Command,
    opened: Option<Result<OpenedLun, AdmError>>,
    now: Instant,
) -> Result<String, AdmError> {
    match command {
        Command::TargetNew { tid, name } => {
            admin.check_new_target(tid, &name)?;
            let mut entry = TargetEntry::new(TargetId(0), &name);
            let mut t = TargetConfig::new(&name, LunMap::new());
            (t.allowed_initiators, t.allowed_networks) = entry.core_acl();
            entry.id = core.add_target(t).map_err(refused)?;
            info!(tid, target = %name, id = entry.id.0, "target added");
            admin.insert_target(tid, entry);
        }
        Command::TargetDelete { tid, force } => {
            let id = admin.target(tid)?.id;
            core.remove_target(id, force, now).map_err(refused)?;
            luns.retain(|&(t, _), _| t != id);
            admin.remove_target(tid);
            info!(tid, "target removed");
        }
        Command::TargetShowAll => {
            let sessions = sessions(core, admin);
            return Ok(show::targets(admin, &sessions));
        }
        Command::ConnShow { tid } => {
            admin.target(tid)?;
            let mut sessions = sessions(core, admin);
            let s = sessions.remove(&tid).unwrap_or_default();
            return Ok(admin.nexus_ids().connections(&s));
        }
        Command::TargetShow { tid } => {
            let id = admin.target(tid)?.id;
            let t = core.target(id).ok_or(AdmError::NoTarget)?;
            return Ok(show::target_params(&t.session, &core.config().nop));
        }
        Command::HostBind { tid, bind } => {
            if !bind {
                return Err(AdmError::NoBinding);
            }
            admin.target(tid)?;
            return Err(AdmError::UnsupportedOperation);
        }
        Command::TargetBind { tid, rule } => {
            let r = admin.bind(tid, &rule);
            sync_acl(core, admin, tid)?;
            r?;
        }
        Command::TargetUnbind { tid, rule } => {
            let r = admin.unbind(tid, &rule);
            sync_acl(core, admin, tid)?;
            r?;
        }
        Command::LunNew { tid, lun, .. } => {
            add_lun(core, luns, admin, tid, lun, opened)?;
        }
        Command::LunDelete { tid, lun } => {
            // tgt_device_destroy: LUN 0 is the controller, not removed
            // alone; a missing target is a missing LUN.
            if lun == 0 {
                return Err(AdmError::InvalidRequest);
            }
            let t = admin.target_mut(tid).map_err(|_| AdmError::NoLun)?;
            let n = u16::try_from(lun).map_err(|_| AdmError::NoLun)?;
            if !t.luns.contains_key(&lun) {
                return Err(AdmError::NoLun);
            }
            core.remove_lun(t.id, n, false, now).map_err(refused)?;
            t.luns.remove(&lun);
            if let Some(b) = luns.remove(&(t.id, n)) {
                tokio::task::spawn_blocking(move || b.store.flush());
            }
            info!(tid, lun, "lun removed");
        }
        Command::AccountNew { user, password } => {
            if password.len() < CHAP_MIN_SECRET {
                warn!(
                    %user,
                    "CHAP secret of {} bytes accepted for tgtadm: RFC 7143 §12.1.3 asks for at \
                     least 96 random bits (12 bytes) unless IPsec protects the connection",
                    password.len()
                );
            }
            admin.account_new(&user, &password)?;
        }
        Command::AccountDelete { user } => {
            for (place, outgoing) in admin.account_delete(&user)? {
                edit_auth(core, place, |a| unbind_account(a, &user, outgoing))?;
            }
        }
        Command::AccountShow => return Ok(show::accounts(admin)),
        Command::SystemShow => return Ok(show::system()),
        Command::LldShow => return Ok(show::lld(admin)),
        Command::PortalShow => {
            let c = core.config();
            return Ok(show::portals(c.tpgt, &c.portals));
        }
        Command::AccountBind {
            tid,
            user,
            outgoing,
        } => {
            let (place, user, secret) = admin.account_bind(tid, &user, outgoing)?;
            let acc = ChapAccount::new(&user, secret.as_bytes());
            edit_auth(core, place, |a| {
                if outgoing {
                    a.outgoing = Some(acc);
                } else {
                    a.incoming.push(acc);
                }
            })?;
        }
        Command::AccountUnbind {
            tid,
            user,
            outgoing,
        } => {
            let place = admin.account_unbind(tid, &user, outgoing)?;
            edit_auth(core, place, |a| unbind_account(a, &user, outgoing))?;
        }
        Command::Dump | Command::Reload | Command::SystemDelete | Command::Stop => {
            return Err(AdmError::UnsupportedOperation)
        }
    }
    Ok(String::new())
}

/// Every target's sessions by tid, numbered in `admin` as tgtd numbers
/// them.
fn sessions(core: &TargetCore, admin: &mut AdminState) -> BTreeMap<i32, Vec<SessionInfo>> {
    let all = admin
        .targets()
        .map(|(tid, t)| (tid, core.sessions_of(t.id)))
        .collect();
    admin.number_sessions(&all);
    all
}

fn unbind_account(a: &mut AuthConfig, user: &str, outgoing: bool) {
    if outgoing {
        a.outgoing = None;
    } else {
        a.incoming.retain(|c| c.name != user);
    }
}

/// Changes the CHAP accounts of a target or of discovery, for the next
/// logins.
fn edit_auth(
    core: &mut TargetCore,
    place: BindingPlace,
    f: impl FnOnce(&mut AuthConfig),
) -> Result<(), AdmError> {
    match place {
        BindingPlace::Discovery => {
            let mut a = core.config().discovery_auth.clone();
            f(&mut a);
            core.set_discovery_auth(a);
        }
        BindingPlace::Target(id) => {
            let mut a = core.target(id).ok_or(AdmError::NoTarget)?.auth.clone();
            f(&mut a);
            core.set_target_auth(id, a).map_err(refused)?;
        }
    }
    Ok(())
}

/// Gives the core target `tid`'s ACL as its rules now read.
pub(crate) fn sync_acl(
    core: &mut TargetCore,
    admin: &AdminState,
    tid: i32,
) -> Result<(), AdmError> {
    let t = admin.target(tid)?;
    let (names, nets) = t.core_acl();
    core.set_target_acl(t.id, names, nets).map_err(refused)
}

/// `tgt_device_create`: the target, then the LUN number, then the
/// backing store.
fn add_lun(
    core: &mut TargetCore,
    luns: &mut Luns,
    admin: &mut AdminState,
    tid: i32,
    lun: u64,
    opened: Option<Result<OpenedLun, AdmError>>,
) -> Result<(), AdmError> {
    let t = admin.target_mut(tid)?;
    if t.luns.contains_key(&lun) {
        return Err(AdmError::LunExist);
    }
    let n = u16::try_from(lun).map_err(|_| AdmError::InvalidRequest)?;
    let o = opened.unwrap_or(Err(AdmError::InvalidRequest))?;
    let size = o.store.len();
    let bs = o.block_size.bytes();
    // The disk's identity: tgt's serial for it ("beaf" tid LUN, usr/spc.c)
    // and the number rtgt.toml gives the same target and LUN, so that
    // both survive a restart from the persisted file.
    let id = lun_id(&t.name, n);
    let dc = DiskConfig::new(
        id,
        &format!("beaf{tid}{lun}"),
        o.block_size,
        size / u64::from(bs),
    )
    .thin(false);
    let disk = Disk::new(dc).map_err(|e| {
        warn!(path = %o.path, "cannot serve the backing store: {e}");
        AdmError::InvalidRequest
    })?;
    core.add_lun(t.id, n, disk).map_err(refused)?;
    luns.insert((t.id, n), LunBackend::new(o.store));
    info!(tid, lun, path = %o.path, "lun added");
    t.luns.insert(
        lun,
        LunInfo {
            controller: false,
            size,
            block_size: bs,
            read_only: false,
            thin: false,
            removable: false,
            bstype: "rdwr".into(),
            path: Some(o.path),
            flags: if o.direct {
                "direct".into()
            } else {
                String::new()
            },
        },
    );
    Ok(())
}

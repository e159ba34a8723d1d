//! [`MultipathSession`]: one logical unit through sessions to several
//! portals, with the path chosen by the core's
//! [`Multipath`](crate::core::multipath::Multipath): I/O on the paths
//! whose target port group is active/optimized (else active/non-optimized),
//! and on path loss or a refusing state the groups read again (REPORT
//! TARGET PORT GROUPS) and the unanswered command sent again on another
//! path. When no path is active and the target serves SET TARGET PORT
//! GROUPS, a standby group is made active/optimized, as an explicit ALUA
//! initiator does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rtgt_proto::pdu::{Lun, ScsiStatus};
use rtgt_proto::scsi::cdb;
use rtgt_proto::scsi::params::{tpg, TargetPortGroups};
use rtgt_proto::scsi::vpd::{VpdPage, PAGE_DEVICE_ID};

use super::error::{ClientError, Result};
use super::scsi::check_good;
use super::session::{ClientConfig, Session};
use crate::core::multipath::{self, Multipath, NoUsablePath, PathHealth, PathId, Verdict};
use crate::core::{ScsiRequest, ScsiResult};

/// How often one command is sent before the client gives up on it.
const MAX_SENDS: usize = 16;
/// How often the groups are read again while every group is transitioning.
const TRANSITION_POLLS: usize = 20;
/// The wait between those reads.
const TRANSITION_POLL: Duration = Duration::from_millis(100);

/// Sessions to several portals of one target, used as one path set to
/// one logical unit. Clones share the sessions.
#[derive(Clone)]
pub struct MultipathSession {
    inner: Arc<Inner>,
}

struct Inner {
    lun: Lun,
    config: ClientConfig,
    core: Mutex<Multipath>,
    sessions: Mutex<Vec<Option<Session>>>,
    /// Held while the groups are read again, with the number of reads so
    /// far; a task that saw an older number skips its own read.
    refresh: tokio::sync::Mutex<u64>,
    /// The block length, once READ CAPACITY gave it.
    block_length: Mutex<Option<u32>>,
}

impl std::fmt::Debug for MultipathSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipathSession")
            .field("lun", &self.inner.lun)
            .finish_non_exhaustive()
    }
}

/// Whether an error means the path is gone (the command got no answer).
fn path_lost(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Io(_)
            | ClientError::ConnectionClosed
            | ClientError::SessionClosed { .. }
            | ClientError::DriverGone
            | ClientError::Timeout { .. }
            | ClientError::Violation(_)
    )
}

impl MultipathSession {
    /// Logs in to every portal in `portals` with `config` (a normal session
    /// to one target), identifies each path by INQUIRY and VPD page 83h,
    /// and reads the target port groups. Portals that refuse the login are
    /// kept as down paths; it fails only when no path is usable.
    pub async fn login(portals: &[String], config: ClientConfig, lun: Lun) -> Result<Self> {
        let mut core = Multipath::new();
        for portal in portals {
            core.add_path(portal.clone());
        }
        let m = MultipathSession {
            inner: Arc::new(Inner {
                lun,
                config,
                core: Mutex::new(core),
                sessions: Mutex::new(vec![None; portals.len()]),
                refresh: tokio::sync::Mutex::new(0),
                block_length: Mutex::new(None),
            }),
        };
        for id in 0..portals.len() {
            m.connect(id).await;
        }
        m.recover(0).await;
        m.pick().await?;
        Ok(m)
    }

    /// Logs in to path `id` and identifies it; on failure the path is
    /// down with the reason.
    async fn connect(&self, id: PathId) {
        let Some(portal) = self.core().paths().get(id).map(|p| p.portal.clone()) else {
            return;
        };
        let s = match Session::login(&portal, self.inner.config.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%portal, error = %e, "login failed");
                self.core().set_down(id, format!("login failed: {e}"));
                return;
            }
        };
        let known = match identify(&s, self.inner.lun).await {
            Ok((tpgs, ds)) => self.core().identify(id, tpgs, &ds),
            Err(e) => {
                tracing::warn!(%portal, error = %e, "path not identified");
                self.core().set_down(id, e.to_string());
                let _ = s.logout().await;
                return;
            }
        };
        match known {
            Ok(()) => self.set_session(id, Some(s)),
            Err(e) => {
                tracing::warn!("{e}");
                let _ = s.logout().await;
            }
        }
    }

    /// Logs in again to the paths that are down (not those to another
    /// logical unit) and reads the groups again, so that a path that came
    /// back carries I/O again when its group is the better one (failback).
    /// Returns how many paths came back.
    pub async fn probe(&self) -> usize {
        let down: Vec<PathId> = self
            .core()
            .paths()
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.health, PathHealth::Down(_)))
            .map(|(i, _)| i)
            .collect();
        let mut back = 0;
        for id in down {
            self.connect(id).await;
            if self.session(id).is_some() {
                back += 1;
            }
        }
        let mut done = self.inner.refresh.lock().await;
        *done += 1;
        self.read_groups().await;
        back
    }

    /// The logical unit.
    pub fn lun(&self) -> Lun {
        self.inner.lun
    }

    /// A copy of the path selection state (paths, groups, counters).
    pub fn state(&self) -> Multipath {
        self.core().clone()
    }

    fn core(&self) -> std::sync::MutexGuard<'_, Multipath> {
        self.inner
            .core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn session(&self, id: PathId) -> Option<Session> {
        let s = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.get(id).cloned().flatten()
    }

    fn set_session(&self, id: PathId, session: Option<Session>) {
        let mut all = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = all.get_mut(id) {
            *slot = session;
        }
    }

    /// Marks `id` down and drops this handle of its session, so that no
    /// new command goes there (the session ends when the commands still
    /// on it end).
    fn drop_path(&self, id: PathId, why: String) {
        self.core().set_down(id, why);
        self.set_session(id, None);
    }

    /// The path for the next command, reading the groups again (and
    /// activating a standby group) when none is usable.
    async fn pick(&self) -> Result<PathId> {
        for _ in 0..TRANSITION_POLLS {
            let seen = *self.inner.refresh.lock().await;
            let picked = self.core().select();
            match picked {
                Ok(id) => return Ok(id),
                Err(_) => {
                    if !self.recover(seen).await {
                        tokio::time::sleep(TRANSITION_POLL).await;
                    }
                }
            }
            if self.core().any_up().is_none() {
                break;
            }
        }
        let picked = self.core().select();
        picked.map_err(no_path)
    }

    /// Reads the groups again unless another task did since `seen`; when no
    /// path is active, sends SET TARGET PORT GROUPS to make a standby group
    /// active/optimized. Returns whether a path is usable now.
    async fn recover(&self, seen: u64) -> bool {
        let mut done = self.inner.refresh.lock().await;
        if *done != seen {
            return self.core().select().is_ok();
        }
        *done += 1;
        self.read_groups().await;
        if self.core().select().is_ok() {
            return true;
        }
        let activation = self.core().activation();
        if let Some((id, group)) = activation {
            if let Some(s) = self.session(id) {
                let (cdb, data) =
                    multipath::set_target_port_groups(group, tpg::ALUA_ACTIVE_OPTIMIZED);
                let req = ScsiRequest::write(self.inner.lun, &cdb, Bytes::from(data));
                match s.command_good(req).await {
                    Ok(_) => tracing::info!(
                        portal = %s.portal(),
                        group,
                        "SET TARGET PORT GROUPS: group made active/optimized"
                    ),
                    Err(e) if path_lost(&e) => self.drop_path(id, e.to_string()),
                    Err(e) => tracing::warn!(group, error = %e, "SET TARGET PORT GROUPS refused"),
                }
                self.read_groups().await;
            }
        }
        self.core().select().is_ok()
    }

    /// REPORT TARGET PORT GROUPS through every up path of a target with
    /// asymmetric access (TPGS not 00b); each group's state is taken from
    /// its own path when it has one up ([`Multipath::set_groups_from`]). A
    /// path lost meanwhile is down; a refusal leaves the path as it was.
    async fn read_groups(&self) {
        let up: Vec<PathId> = {
            let core = self.core();
            (0..core.paths().len())
                .filter(|&i| {
                    core.paths()
                        .get(i)
                        .is_some_and(|p| p.health == PathHealth::Up && p.tpgs != 0)
                })
                .collect()
        };
        let mut reports = Vec::new();
        for id in up {
            let Some(s) = self.session(id) else {
                self.core().set_down(id, "no session");
                continue;
            };
            let cdb = multipath::report_target_port_groups(4096);
            let req = ScsiRequest::read(self.inner.lun, &cdb, 4096);
            match s.command_good(req).await {
                Ok(r) => match TargetPortGroups::decode(&r.data, false) {
                    Ok(d) => reports.push((id, d.value)),
                    Err(e) => {
                        self.drop_path(id, format!("REPORT TARGET PORT GROUPS data: {e}"));
                    }
                },
                Err(e) if path_lost(&e) => {
                    self.drop_path(id, format!("REPORT TARGET PORT GROUPS: {e}"));
                }
                Err(e) => tracing::warn!(id, error = %e, "REPORT TARGET PORT GROUPS refused"),
            }
        }
        self.core().set_groups_from(&reports);
    }

    /// Sends a command on the selected path until it is answered; a
    /// command the target did not execute, or whose path was lost before
    /// its answer, is sent again on the path selected then.
    pub async fn scsi_command(&self, req: ScsiRequest) -> Result<ScsiResult> {
        let mut last = None;
        for _ in 0..MAX_SENDS {
            let seen = *self.inner.refresh.lock().await;
            let id = self.pick().await?;
            let Some(s) = self.session(id) else {
                self.core().set_down(id, "no session");
                continue;
            };
            let verdict = match s.scsi_command(req.clone()).await {
                Ok(r) => {
                    let v = self.core().on_answer(id, r.status, r.sense.as_ref());
                    if v == Verdict::Done {
                        return Ok(r);
                    }
                    last = Some(ClientError::Scsi {
                        status: r.status,
                        sense: r.sense,
                    });
                    v
                }
                Err(e) if path_lost(&e) => {
                    tracing::warn!(portal = %s.portal(), error = %e, "path lost");
                    let v = self.core().on_path_lost(id, e.to_string());
                    self.drop_path(id, e.to_string());
                    last = Some(e);
                    v
                }
                Err(e) => return Err(e),
            };
            if let Verdict::Retry { refresh: true } = verdict {
                self.recover(seen).await;
            }
        }
        Err(last.unwrap_or(ClientError::Argument(format!(
            "the command was sent {MAX_SENDS} times without an answer"
        ))))
    }

    /// [`Self::scsi_command`], failing unless GOOD.
    pub async fn command_good(&self, req: ScsiRequest) -> Result<ScsiResult> {
        self.scsi_command(req).await.and_then(check_good)
    }

    /// A usable path and its session.
    async fn any_session(&self) -> Result<(PathId, Session)> {
        for _ in 0..MAX_SENDS {
            let id = self.pick().await?;
            match self.session(id) {
                Some(s) => return Ok((id, s)),
                None => self.core().set_down(id, "no session"),
            }
        }
        let e = self.core().select().err();
        Err(no_path(e.unwrap_or(NoUsablePath { paths: Vec::new() })))
    }

    /// The logical unit's block length (READ CAPACITY once, through a
    /// usable path).
    pub async fn block_length(&self) -> Result<u32> {
        let known = *self
            .inner
            .block_length
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match known {
            Some(b) => Ok(b),
            None => Ok(self.read_capacity().await?.block_length),
        }
    }

    /// READ CAPACITY through a usable path.
    pub async fn read_capacity(&self) -> Result<super::Capacity> {
        let mut last = None;
        for _ in 0..MAX_SENDS {
            let (id, s) = self.any_session().await?;
            match s.read_capacity(self.inner.lun).await {
                Ok(c) => {
                    *self
                        .inner
                        .block_length
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(c.block_length);
                    return Ok(c);
                }
                Err(e) if path_lost(&e) || e.is_unit_attention() || refused(&e) => {
                    let seen = *self.inner.refresh.lock().await;
                    if path_lost(&e) {
                        self.drop_path(id, e.to_string());
                    }
                    self.recover(seen).await;
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(ClientError::Argument(
            "READ CAPACITY found no path that answers".into(),
        )))
    }

    /// The number of blocks in `len` bytes.
    async fn blocks(&self, len: usize) -> Result<u32> {
        let bl = self.block_length().await?;
        if len % bl as usize != 0 {
            return Err(ClientError::Argument(format!(
                "{len} bytes is not a whole number of {bl}-byte blocks; pad the data"
            )));
        }
        u32::try_from(len / bl as usize).map_err(|_| {
            ClientError::Argument(format!("{len} bytes is too much for one WRITE (16)"))
        })
    }

    /// Writes `data` (a whole number of blocks) at `lba` with WRITE (16);
    /// returns once a path acknowledged it with GOOD.
    pub async fn write(&self, lba: u64, data: Bytes) -> Result<()> {
        let c = cdb::Write16 {
            lba,
            transfer_length: self.blocks(data.len()).await?,
            ..Default::default()
        };
        let req = ScsiRequest::write(self.inner.lun, &c.encode(), data);
        self.command_good(req).await.map(|_| ())
    }

    /// Reads `blocks` blocks at `lba` with READ (16).
    pub async fn read(&self, lba: u64, blocks: u32) -> Result<Bytes> {
        let bl = self.block_length().await?;
        let len = blocks.checked_mul(bl).ok_or_else(|| {
            ClientError::Argument(format!("{blocks} blocks of {bl} bytes pass 4 GiB"))
        })?;
        let c = cdb::Read16 {
            lba,
            transfer_length: blocks,
            ..Default::default()
        };
        let r = self
            .command_good(ScsiRequest::read(self.inner.lun, &c.encode(), len))
            .await?;
        if r.data.len() != len as usize {
            return Err(ClientError::BadData {
                what: "READ (16) data",
                reason: format!("{} bytes instead of {len}", r.data.len()),
            });
        }
        Ok(r.data)
    }

    /// Logs every up path out.
    pub async fn logout(&self) -> Result<()> {
        let all: Vec<Session> = {
            let s = self
                .inner
                .sessions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            s.iter().flatten().cloned().collect()
        };
        let mut first = None;
        for s in all {
            if let Err(e) = s.logout().await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// NOT READY for a refusing asymmetric access state (04h/0Ah-0Ch).
fn refused(e: &ClientError) -> bool {
    match e {
        ClientError::Scsi {
            status: ScsiStatus::CheckCondition,
            sense: Some(s),
        } => s.key == rtgt_proto::scsi::asc::SenseKey::NOT_READY && s.asc.asc == 0x04,
        _ => false,
    }
}

fn no_path(e: NoUsablePath) -> ClientError {
    ClientError::NoUsablePath(e)
}

/// INQUIRY's TPGS and VPD page 83h of `lun` through `s`; a TEST UNIT READY
/// goes first to take the power-on unit attention (a standby port answers
/// it NOT READY, which is fine here).
async fn identify(s: &Session, lun: Lun) -> Result<(u8, Vec<rtgt_proto::scsi::vpd::Designation>)> {
    let tur = crate::core::ScsiRequest::none(lun, &[0; 6]);
    for _ in 0..4 {
        let r = s.scsi_command(tur.clone()).await?;
        if !(r.status == ScsiStatus::CheckCondition
            && r.sense
                .as_ref()
                .is_some_and(|x| x.key == rtgt_proto::scsi::asc::SenseKey::UNIT_ATTENTION))
        {
            break;
        }
    }
    let tpgs = s.inquiry(lun).await?.tpgs;
    let ds = match s.vpd(lun, PAGE_DEVICE_ID).await?.page {
        VpdPage::DeviceId(ds) => ds,
        _ => Vec::new(),
    };
    Ok((tpgs, ds))
}

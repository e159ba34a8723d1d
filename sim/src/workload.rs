//! The initiator hosts: a real `Initiator` core each, driven by a workload
//! of reads, writes, FUA writes, cache flushes, COMPARE AND WRITE, UNMAP and
//! task management, with the recovery a real initiator does (command
//! timeout, ABORT TASK, LOGICAL UNIT RESET, reconnect and session
//! reinstatement with the same ISID, retry).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtgt_initiator::{Event, Initiator, InitiatorConfig, ScsiRequest, TaskHandle, TaskOutcome};
use rtgt_proto::pdu::{
    Isid, IsidType, LogoutReason, Lun, ScsiStatus, TmfFunction, TmfResponseCode,
};
use rtgt_proto::scsi::asc::SenseKey;
use rtgt_proto::scsi::cdb::{CompareAndWrite, Read10, SynchronizeCache10, Unmap, Write10};
use rtgt_proto::scsi::params::{UnmapDescriptor, UnmapList};

use crate::net::{DOWN, UP};
use crate::oracle::{block_pattern, NEVER};
use crate::target_host::TARGET_NAME;
use crate::trace::HostId;
use crate::world::{Ev, World};

/// How long a command may take before the initiator aborts it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a task management request may take before the session is
/// dropped and reinstated.
pub const TMF_TIMEOUT: Duration = Duration::from_secs(20);

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Read,
    Write { fua: bool },
    Sync,
    CompareAndWrite { expect: u64 },
    Unmap,
}

/// One operation of the workload.
#[derive(Debug, Clone)]
pub struct OpSpec {
    pub kind: OpKind,
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
    pub token: u64,
    pub tries: u32,
}

/// An operation in flight.
#[derive(Debug, Clone)]
struct Op {
    spec: OpSpec,
    rec: Option<usize>,
    submit: u64,
    sent_at: Duration,
    abort_at: Option<Duration>,
}

/// One initiator host.
#[derive(Debug)]
pub struct IniHost {
    pub idx: usize,
    pub core: Option<Initiator>,
    pub link: Option<u64>,
    /// The host is running (not crashed).
    pub up: bool,
    logged_in: bool,
    logging_out: bool,
    done: bool,
    issued: u32,
    budget: u32,
    ops: BTreeMap<u32, Op>,
    /// Task management requests: (function, lun, sent at).
    tmfs: BTreeMap<u32, (TmfFunction, u16, Duration)>,
    retry: VecDeque<OpSpec>,
    next_token: u64,
    /// The last token this host knows it put at a block.
    known: BTreeMap<(u16, u64), u64>,
    reconnect_pending: bool,
    /// New operations start no earlier than this (the workload is spread
    /// over the faulty period).
    next_issue: Duration,
}

impl IniHost {
    pub fn new(idx: usize, budget: u32) -> Self {
        IniHost {
            idx,
            core: None,
            link: None,
            up: true,
            logged_in: false,
            logging_out: false,
            done: false,
            issued: 0,
            budget,
            ops: BTreeMap::new(),
            tmfs: BTreeMap::new(),
            retry: VecDeque::new(),
            next_token: 1,
            known: BTreeMap::new(),
            reconnect_pending: false,
            next_issue: Duration::ZERO,
        }
    }

    pub fn finished(&self) -> bool {
        self.done
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.as_ref().and_then(|c| c.poll_timeout())
    }

    /// The oldest outstanding task and since when it counts (not before
    /// `floor`).
    pub fn oldest(&self, floor: Duration) -> Option<(u32, Duration)> {
        self.ops
            .iter()
            .map(|(&h, o)| (h, o.sent_at.max(floor)))
            .min_by_key(|&(_, t)| t)
    }

    pub fn summary(&self) -> String {
        format!(
            "ini{}: up {} logged in {} issued {}/{} outstanding {} retry {} done {}",
            self.idx,
            self.up,
            self.logged_in,
            self.issued,
            self.budget,
            self.ops.len(),
            self.retry.len(),
            self.done
        )
    }

    fn name(&self) -> String {
        format!("iqn.2024-01.org.rtgt.sim:host{}", self.idx)
    }

    fn isid(&self) -> Isid {
        Isid {
            t: IsidType::Random,
            a: 0,
            b: 0x5100,
            c: 0,
            d: self.idx as u16 + 1,
        }
    }
}

fn lun(n: u16) -> Lun {
    Lun::single_level(n)
}

fn pattern(token: u64, lba: u64, blocks: u64) -> Bytes {
    let mut b = BytesMut::with_capacity(blocks as usize * 512);
    for k in 0..blocks {
        b.extend_from_slice(&block_pattern(token, lba + k));
    }
    b.freeze()
}

impl World {
    pub(crate) fn reconnect(&mut self, i: usize) {
        let h = &mut self.inis[i];
        h.reconnect_pending = false;
        if !h.up || h.core.is_some() || h.done {
            return;
        }
        let link = self.next_link;
        self.next_link += 1;
        let gen = self.target.gen;
        self.links
            .insert(link, crate::net::Link::new(link, i, gen, self.now));
        let mut cfg = InitiatorConfig::normal(&self.inis[i].name(), TARGET_NAME);
        cfg.isid = Some(self.inis[i].isid());
        let dg = |on: bool| if on { "CRC32C" } else { "None" };
        cfg.keys
            .set("HeaderDigest", dg(self.p.header_digest))
            .set("DataDigest", dg(self.p.data_digest));
        let yn = |b: bool| if b { "Yes" } else { "No" };
        cfg.keys
            .set("MaxRecvDataSegmentLength", &self.p.mrdsl.to_string())
            .set("MaxBurstLength", &self.p.max_burst.to_string())
            .set("FirstBurstLength", &self.p.first_burst.to_string())
            .set("ImmediateData", yn(self.p.immediate_data))
            .set("InitialR2T", yn(self.p.initial_r2t));
        cfg.nop_timeout = Duration::from_secs(10);
        cfg.keepalive = Some(Duration::from_secs(5));
        let mut core = Initiator::new(cfg, self.core_rng.fork());
        let now = self.instant();
        let _ = core.login(now);
        self.inis[i].core = Some(core);
        self.inis[i].link = Some(link);
        if let Some(p) = self.pcap.as_mut() {
            p.open(self.now, link, i);
        }
        self.trace
            .record(self.now, HostId::Initiator(i), "connect", &[], || {
                format!("link {link}")
            });
        if !self.target_accept(link, i) {
            // Nobody listens: the connect fails after a timeout.
            let l = self.links.get_mut(&link);
            if let Some(l) = l {
                l.reset = true;
            }
            self.at(
                self.now + Duration::from_secs(1),
                Ev::RstNotice { link, dir: DOWN },
            );
        }
    }

    pub(crate) fn ini_crash(&mut self, i: usize) {
        if !self.inis[i].up || !self.faulty() || self.inis[i].done {
            return;
        }
        self.stats.initiator_crashes += 1;
        self.trace
            .record(self.now, HostId::Initiator(i), "CRASH", &[], String::new);
        let h = &mut self.inis[i];
        h.up = false;
        h.core = None;
        h.logged_in = false;
        h.logging_out = false;
        h.tmfs.clear();
        h.retry.clear();
        let ops = std::mem::take(&mut h.ops);
        for op in ops.values() {
            if let Some(r) = op.rec {
                self.oracle.write_maybe(r, NEVER);
            }
        }
        // The budget is the host's, not the process's: lost work is redone.
        let lost = ops.len() as u32;
        self.inis[i].issued = self.inis[i].issued.saturating_sub(lost);
        if let Some(link) = self.inis[i].link.take() {
            if self.sched_rng.chance(0.5) {
                self.reset_link(link);
            } else if let Some(l) = self.links.get_mut(&link) {
                // Silent: the target finds out by its NOP-In timeout.
                l.pipes[DOWN].closed = true;
                l.pipes[UP].queue.clear();
            }
        }
        let down = Duration::from_millis(self.sched_rng.range(500, 20_000));
        self.at(self.now + down, Ev::IniRestart(i));
    }

    pub(crate) fn ini_restart(&mut self, i: usize) {
        self.inis[i].up = true;
        self.trace
            .record(self.now, HostId::Initiator(i), "restart", &[], String::new);
        self.at(self.now, Ev::Reconnect(i));
    }

    /// Drains initiator `i`'s core.
    pub(crate) fn pump_ini(&mut self, i: usize) -> bool {
        let mut progress = false;
        loop {
            let link = self.inis[i].link;
            let Some(core) = self.inis[i].core.as_mut() else {
                return progress;
            };
            if let Some(parts) = core.poll_transmit() {
                progress = true;
                self.stats.pdus += 1;
                let mut bytes = Vec::with_capacity(parts.len());
                bytes.extend_from_slice(&parts.header);
                bytes.extend_from_slice(&parts.data);
                bytes.extend_from_slice(&parts.trailer);
                self.stats.bytes += bytes.len() as u64;
                let op = bytes.first().map_or(0, |b| b & 0x3f);
                self.trace
                    .record(self.now, HostId::Initiator(i), "tx-pdu", &bytes, || {
                        format!("opcode {op:#04x} {} bytes", bytes.len())
                    });
                if let Some(link) = link {
                    self.send(link, UP, &bytes);
                }
                continue;
            }
            if let Some(ev) = core.poll_event() {
                progress = true;
                self.ini_event(i, ev);
                continue;
            }
            return progress;
        }
    }

    fn ini_event(&mut self, i: usize, ev: Event) {
        let host = HostId::Initiator(i);
        let line = match &ev {
            Event::TaskComplete { task, outcome } => {
                format!("task {:#x} {}", task.0, outcome_name(outcome))
            }
            other => format!("{other:?}"),
        };
        self.trace
            .record(self.now, host, "event", line.as_bytes(), || line.clone());
        match ev {
            Event::LoginComplete { params, .. } => {
                self.stats.logins += 1;
                let t = self.tick();
                self.oracle.reinstated(host, t);
                let h = &mut self.inis[i];
                h.logged_in = true;
                if let Some(l) = h.link.and_then(|l| self.links.get_mut(&l)) {
                    l.pipes[DOWN].protected_from = Some(l.pipes[DOWN].delivered);
                    l.pipes[UP].protected_from = Some(l.pipes[UP].sent);
                }
                let want = |on: bool| {
                    if on {
                        rtgt_proto::text::DigestKind::Crc32c
                    } else {
                        rtgt_proto::text::DigestKind::None
                    }
                };
                if params.header_digest != want(self.p.header_digest)
                    || params.data_digest != want(self.p.data_digest)
                {
                    self.fail(format!(
                        "ini{i}: digests negotiated {:?}/{:?}, both sides wanted the same",
                        params.header_digest, params.data_digest
                    ));
                }
                self.at(self.now, Ev::Tick(i));
            }
            Event::TaskComplete { task, outcome } => self.task_done(i, task, outcome),
            Event::TmfComplete {
                task,
                function,
                response,
            } => self.tmf_done(i, task, function, response),
            Event::Violation(v) => {
                self.fail(format!("ini{i}: protocol violation: {v:?}"));
            }
            Event::DigestError { .. } => self.stats.digest_errors += 1,
            Event::Closed(_) => self.ini_closed(i),
            _ => {}
        }
    }

    fn ini_closed(&mut self, i: usize) {
        let h = &mut self.inis[i];
        h.core = None;
        h.logged_in = false;
        h.tmfs.clear();
        if h.logging_out && h.ops.is_empty() && h.retry.is_empty() && h.issued >= h.budget {
            h.done = true;
        }
        h.logging_out = false;
        if let Some(link) = h.link.take() {
            if let Some(l) = self.links.get_mut(&link) {
                l.pipes[DOWN].closed = true;
            }
            self.send_fin(link, UP);
        }
        if !self.inis[i].done && !self.inis[i].reconnect_pending {
            self.inis[i].reconnect_pending = true;
            let wait = Duration::from_millis(self.work_rng.range(200, 3_000));
            self.at(self.now + wait, Ev::Reconnect(i));
        }
    }

    fn task_done(&mut self, i: usize, task: TaskHandle, outcome: TaskOutcome) {
        let t = self.tick();
        let Some(op) = self.inis[i].ops.remove(&task.0) else {
            self.fail(format!(
                "ini{i}: task {:#x} ended ({}) but was not outstanding: answered twice or never sent",
                task.0,
                outcome_name(&outcome)
            ));
            return;
        };
        self.stats.completed += 1;
        let s = &op.spec;
        let mut retry = false;
        match &outcome {
            TaskOutcome::Completed(r) if r.status == ScsiStatus::Good => match s.kind {
                OpKind::Read => {
                    if r.data.len() as u64 != s.blocks * 512 {
                        self.fail(format!(
                            "ini{i}: READ of {} blocks returned {} bytes with GOOD",
                            s.blocks,
                            r.data.len()
                        ));
                    } else if let Err(m) =
                        self.oracle.check_read(s.lun, s.lba, &r.data, op.submit, t)
                    {
                        self.fail(format!("ini{i}: read validity: {m}"));
                    } else if let Some(b) = r.data.get(..8) {
                        let tok = u64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
                        self.inis[i].known.insert((s.lun, s.lba), tok);
                    }
                }
                OpKind::Write { .. } | OpKind::Unmap => {
                    if let Some(rec) = op.rec {
                        self.oracle.write_good(rec, t);
                    }
                    let tok = if s.kind == OpKind::Unmap { 0 } else { s.token };
                    self.inis[i].known.insert((s.lun, s.lba), tok);
                }
                OpKind::CompareAndWrite { expect } => {
                    let data = pattern(expect, s.lba, 1);
                    if let Err(m) = self.oracle.check_read(s.lun, s.lba, &data, op.submit, t) {
                        self.fail(format!(
                            "ini{i}: COMPARE AND WRITE matched a value that could not be there: {m}"
                        ));
                    }
                    if let Some(rec) = op.rec {
                        self.oracle.write_good(rec, t);
                    }
                    self.inis[i].known.insert((s.lun, s.lba), s.token);
                }
                OpKind::Sync => self.oracle.flushed(s.lun, op.submit, t),
            },
            other => {
                self.stats.failed_commands += 1;
                if let Some(rec) = op.rec {
                    let end = if matches!(other, TaskOutcome::SessionClosed) {
                        NEVER
                    } else {
                        t
                    };
                    self.oracle.write_maybe(rec, end);
                }
                retry = match other {
                    TaskOutcome::Completed(r) => {
                        r.sense
                            .as_ref()
                            .is_some_and(|s| s.key == SenseKey::UNIT_ATTENTION)
                            || r.status == ScsiStatus::Busy
                            || r.status == ScsiStatus::TaskSetFull
                    }
                    TaskOutcome::SessionClosed | TaskOutcome::DataDigestError => true,
                    _ => false,
                };
            }
        }
        if retry && op.spec.tries < 5 {
            let mut spec = op.spec.clone();
            spec.tries += 1;
            self.inis[i].retry.push_back(spec);
        }
        let at = self.now + Duration::from_micros(self.work_rng.below(500));
        self.at(at, Ev::Tick(i));
    }

    fn tmf_done(
        &mut self,
        i: usize,
        task: TaskHandle,
        function: TmfFunction,
        response: TmfResponseCode,
    ) {
        let Some((_, lun_n, _)) = self.inis[i].tmfs.remove(&task.0) else {
            return;
        };
        let still = self.inis[i].ops.values().any(|o| o.abort_at.is_some());
        if response != TmfResponseCode::FunctionComplete && still {
            // Escalate: ABORT TASK failed, reset the LUN; a reset failed,
            // drop the session.
            let now = self.instant();
            if function == TmfFunction::AbortTask {
                if let Some(c) = self.inis[i].core.as_mut() {
                    if let Ok(h) =
                        c.task_management(now, TmfFunction::LogicalUnitReset, lun(lun_n), None)
                    {
                        self.inis[i]
                            .tmfs
                            .insert(h.0, (TmfFunction::LogicalUnitReset, lun_n, self.now));
                    }
                }
            } else if let Some(c) = self.inis[i].core.as_mut() {
                c.close_local();
            }
        }
    }

    pub(crate) fn work_tick(&mut self, i: usize) {
        if !self.inis[i].logged_in || self.inis[i].done {
            if self.inis[i].up && !self.inis[i].done {
                self.at(self.now + Duration::from_secs(1), Ev::Tick(i));
            }
            return;
        }
        let now = self.instant();
        let sim_now = self.now;
        // Command timeouts: abort, then drop the session.
        let mut abort = None;
        let mut drop_session = false;
        for (&h, op) in self.inis[i].ops.iter() {
            match op.abort_at {
                None if sim_now >= op.sent_at + COMMAND_TIMEOUT => {
                    abort = Some((h, op.spec.lun));
                    break;
                }
                Some(a) if sim_now >= a + TMF_TIMEOUT * 2 => drop_session = true,
                _ => {}
            }
        }
        if self.inis[i]
            .tmfs
            .values()
            .any(|&(_, _, at)| sim_now >= at + TMF_TIMEOUT)
        {
            drop_session = true;
        }
        if drop_session {
            self.trace.record(
                self.now,
                HostId::Initiator(i),
                "drop-session",
                &[],
                String::new,
            );
            if let Some(c) = self.inis[i].core.as_mut() {
                c.close_local();
            }
            return;
        }
        if let Some((h, l)) = abort {
            if let Some(op) = self.inis[i].ops.get_mut(&h) {
                op.abort_at = Some(sim_now);
            }
            self.send_tmf(i, TmfFunction::AbortTask, l, Some(TaskHandle(h)));
        }
        let qd = self.p.queue_depth as usize;
        while self.inis[i].logged_in && !self.inis[i].logging_out && self.inis[i].ops.len() < qd {
            let spec = match self.inis[i].retry.pop_front() {
                Some(s) => s,
                None if self.inis[i].issued < self.inis[i].budget
                    && self.now >= self.inis[i].next_issue =>
                {
                    self.inis[i].issued += 1;
                    let pace =
                        self.p.heal_at.as_micros() as u64 / u64::from(self.inis[i].budget.max(1));
                    let gap = Duration::from_micros(self.work_rng.below(2 * pace + 1));
                    self.inis[i].next_issue = self.now + gap;
                    self.at(self.now + gap, Ev::Tick(i));
                    match self.pick_op(i) {
                        Some(s) => s,
                        None => continue,
                    }
                }
                None => break,
            };
            self.submit(i, spec, now);
        }
        let h = &self.inis[i];
        if h.logged_in
            && !h.logging_out
            && h.ops.is_empty()
            && h.retry.is_empty()
            && h.issued >= h.budget
        {
            if let Some(c) = self.inis[i].core.as_mut() {
                if c.logout(now, LogoutReason::CloseSession).is_ok() {
                    self.inis[i].logging_out = true;
                }
            }
        }
        self.at(self.now + Duration::from_secs(1), Ev::Tick(i));
    }

    fn send_tmf(&mut self, i: usize, f: TmfFunction, lun_n: u16, task: Option<TaskHandle>) {
        let now = self.instant();
        if let Some(c) = self.inis[i].core.as_mut() {
            if let Ok(h) = c.task_management(now, f, lun(lun_n), task) {
                self.inis[i].tmfs.insert(h.0, (f, lun_n, self.now));
            }
        }
    }

    /// Picks the next operation from the mix; task management is issued
    /// here directly and gives `None`.
    fn pick_op(&mut self, i: usize) -> Option<OpSpec> {
        let m = self.p.mix.clone();
        let r = &mut self.work_rng;
        let weights = [
            m.read,
            m.write,
            m.write_fua,
            m.sync,
            m.compare_and_write,
            m.unmap,
            m.abort_task,
            m.lun_reset,
        ];
        let total: u32 = weights.iter().sum();
        let mut x = r.below(u64::from(total)) as u32;
        let mut which = 0;
        for (k, w) in weights.iter().enumerate() {
            if x < *w {
                which = k;
                break;
            }
            x -= w;
        }
        let lun_n = r.below(2) as u16;
        let blocks = r.range(1, self.p.max_op_blocks.min(self.p.lun_blocks));
        let lba = r.below(self.p.lun_blocks - blocks + 1);
        let h = &mut self.inis[i];
        let token = ((i as u64 + 1) << 40) | h.next_token;
        h.next_token += 1;
        let kind = match which {
            0 => OpKind::Read,
            1 => OpKind::Write { fua: false },
            2 => OpKind::Write { fua: true },
            3 => OpKind::Sync,
            4 => OpKind::CompareAndWrite {
                expect: h.known.get(&(lun_n, lba)).copied().unwrap_or(0),
            },
            5 => OpKind::Unmap,
            6 => {
                let target = h.ops.keys().copied().nth(r.index(h.ops.len().max(1)));
                if let Some(t) = target {
                    let l = h.ops.get(&t).map_or(0, |o| o.spec.lun);
                    self.send_tmf(i, TmfFunction::AbortTask, l, Some(TaskHandle(t)));
                }
                return None;
            }
            _ => {
                self.send_tmf(i, TmfFunction::LogicalUnitReset, lun_n, None);
                return None;
            }
        };
        let (lun_n, blocks) = match kind {
            OpKind::Unmap => (1, blocks),
            OpKind::CompareAndWrite { .. } => (lun_n, 1),
            _ => (lun_n, blocks),
        };
        Some(OpSpec {
            kind,
            lun: lun_n,
            lba,
            blocks,
            token,
            tries: 0,
        })
    }

    fn submit(&mut self, i: usize, spec: OpSpec, now: Instant) {
        let l = lun(spec.lun);
        let (lba, n) = (spec.lba, spec.blocks);
        let req = match spec.kind {
            OpKind::Read => {
                let cdb = Read10 {
                    lba: lba as u32,
                    transfer_length: n as u16,
                    ..Read10::default()
                };
                ScsiRequest::read(l, &cdb.encode(), (n * 512) as u32)
            }
            OpKind::Write { fua } => {
                let cdb = Write10 {
                    lba: lba as u32,
                    transfer_length: n as u16,
                    fua,
                    ..Write10::default()
                };
                ScsiRequest::write(l, &cdb.encode(), pattern(spec.token, lba, n))
            }
            OpKind::Sync => ScsiRequest::none(l, &SynchronizeCache10::default().encode()),
            OpKind::CompareAndWrite { expect } => {
                let cdb = CompareAndWrite {
                    lba,
                    number_of_blocks: 1,
                    ..CompareAndWrite::default()
                };
                let mut data = BytesMut::new();
                data.extend_from_slice(&pattern(expect, lba, 1));
                data.extend_from_slice(&pattern(spec.token, lba, 1));
                ScsiRequest::write(l, &cdb.encode(), data.freeze())
            }
            OpKind::Unmap => {
                let list = UnmapList {
                    reserved: 0,
                    descriptors: vec![UnmapDescriptor {
                        lba,
                        blocks: n as u32,
                        reserved: 0,
                    }],
                }
                .encode();
                let cdb = Unmap {
                    parameter_list_length: list.len() as u16,
                    ..Unmap::default()
                };
                ScsiRequest::write(l, &cdb.encode(), Bytes::from(list))
            }
        };
        let Some(core) = self.inis[i].core.as_mut() else {
            self.inis[i].retry.push_front(spec);
            return;
        };
        let Ok(handle) = core.submit(now, req) else {
            self.inis[i].retry.push_front(spec);
            return;
        };
        self.stats.commands += 1;
        let t = self.tick();
        let host = HostId::Initiator(i);
        let rec = match spec.kind {
            OpKind::Write { fua } => Some(
                self.oracle
                    .submit_write(spec.token, spec.lun, lba, n, fua, host, t),
            ),
            OpKind::CompareAndWrite { .. } => Some(
                self.oracle
                    .submit_write(spec.token, spec.lun, lba, 1, false, host, t),
            ),
            OpKind::Unmap => Some(
                self.oracle
                    .submit_write(0, spec.lun, lba, n, false, host, t),
            ),
            _ => None,
        };
        let kind = spec.kind;
        self.trace.record(self.now, host, "submit", &[], || {
            format!(
                "task {:#x} {kind:?} lun {} lba {lba} x{n}",
                handle.0, spec.lun
            )
        });
        self.inis[i].ops.insert(
            handle.0,
            Op {
                spec,
                rec,
                submit: t,
                sent_at: self.now,
                abort_at: None,
            },
        );
    }
}

fn outcome_name(o: &TaskOutcome) -> String {
    match o {
        TaskOutcome::Completed(r) => match &r.sense {
            Some(s) => format!("{:?} {:?} {:?}", r.status, s.key, s.asc),
            None => format!("{:?}", r.status),
        },
        other => format!("{other:?}"),
    }
}

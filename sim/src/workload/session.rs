//! An initiator host's session: logging in and reconnecting, crashes and
//! restarts, and driving its initiator core (pumping PDUs and events).

use super::outcome_name;
use std::time::Duration;

use rtgt_initiator::{ChapConfig, Event, Initiator, InitiatorConfig, LoginError};

use crate::net::{DOWN, UP};
use crate::swarm::ChapMode;
use crate::target_host::{chap_account, TARGET_CHAP, TARGET_NAME};
use crate::trace::HostId;
use crate::world::{Ev, World};

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
        self.inis[i].login_wrong = (false, false);
        if self.p.chap != ChapMode::None {
            // A wrong secret now and then: the login must fail (RFC 7143
            // §12.1.3), and a right one must pass.
            let wrong_ini = self.work_rng.chance(self.p.p_wrong_secret);
            let wrong_tgt =
                self.p.chap == ChapMode::Mutual && self.work_rng.chance(self.p.p_wrong_target);
            self.inis[i].login_wrong = (wrong_ini, wrong_tgt);
            let (user, mut secret) = chap_account(i);
            if wrong_ini {
                secret.push(b'!');
            }
            let mut chap = ChapConfig::one_way(&user, &secret);
            if self.p.chap == ChapMode::Mutual {
                let mut theirs = TARGET_CHAP.1.to_vec();
                if wrong_tgt {
                    theirs.push(b'!');
                }
                chap = chap.with_mutual(Some(TARGET_CHAP.0), &theirs);
            }
            cfg = cfg.with_chap(chap);
        }
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
        for (&task, op) in ops.iter() {
            self.task_lost(i, task, op);
        }
        self.ua.new_session(i);
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
                let (bytes, op) = self.outgoing_pdu(&parts);
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

    pub(super) fn ini_event(&mut self, i: usize, ev: Event) {
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
                self.pr.logged_in(i);
                self.ua.new_session(i);
                match self.inis[i].login_wrong {
                    (true, _) => self.fail(format!(
                        "chap: ini{i} logged in with a wrong CHAP secret (RFC 7143 §12.1.3)"
                    )),
                    (_, true) => self.fail(format!(
                        "chap: ini{i} logged in although the target's mutual CHAP response used a wrong secret (RFC 7143 §12.1.3)"
                    )),
                    _ => {}
                }
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
            Event::DigestError { .. } => {
                self.stats.digest_errors += 1;
                if let Some(link) = self.inis[i].link {
                    self.digest_error_seen(link, DOWN);
                }
            }
            Event::LoginFailed(e) => self.login_failed(i, &e),
            Event::Closed(_) => self.ini_closed(i),
            _ => {}
        }
    }

    /// A login failed: CHAP must refuse exactly the wrong secrets.
    fn login_failed(&mut self, i: usize, e: &LoginError) {
        let (wrong_ini, wrong_tgt) = self.inis[i].login_wrong;
        match e {
            LoginError::AuthenticationFailure if wrong_ini => self.stats.chap_refusals += 1,
            LoginError::TargetAuthFailed { .. } if wrong_tgt => self.stats.chap_refusals += 1,
            LoginError::AuthenticationFailure | LoginError::TargetAuthFailed { .. } => {
                self.fail(format!(
                    "chap: ini{i}'s login with the right secrets failed: {e}"
                ));
            }
            _ => {}
        }
    }

    pub(super) fn ini_closed(&mut self, i: usize) {
        self.ua.new_session(i);
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
}

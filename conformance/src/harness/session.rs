//! A session driven PDU by PDU over a raw connection, for scenarios that
//! must see every field the target sends or send what a well-behaved
//! initiator never would (wrong CmdSN, bad digests, a held R2T). The strict
//! core ([`crate::driven::Driven`]) is used where only the outcome matters.

use super::login::{authenticate, operational, RawLogin, Reply, Step};
use crate::context::Context;
use crate::scenario::ScenarioError;
use crate::wire::{encode_keys, kv, last_value, wait_within, Received, Wire};
use bytes::Bytes;
use rtgt_proto::pdu::{
    DataOut, Digests, Isid, Lun, NopOut, Pdu, ReadyToTransfer, Reject, ScsiCommand, TextResponse,
    ITT_RESERVED, TTT_RESERVED,
};
use rtgt_proto::serial::Serial;
use rtgt_proto::text::{self, Pair};
use std::time::Duration;

/// What one read of the connection gave.
#[derive(Debug)]
enum Incoming {
    /// Anything but a target NOP-In.
    Received(Received),
    /// A target ping, answered.
    AnsweredPing,
    /// A target NOP-In that asks no answer (both tags reserved).
    Unanswerable,
}

impl Incoming {
    /// What a plain read takes: anything but a target NOP-In.
    fn received(self) -> Option<Received> {
        match self {
            Incoming::Received(received) => Some(received),
            Incoming::AnsweredPing | Incoming::Unanswerable => None,
        }
    }
}

/// A full feature phase session on a raw connection.
#[derive(Debug)]
pub(crate) struct RawSession {
    pub wire: Wire,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    next_itt: u32,
    /// The target's operational answers.
    pub keys: Vec<Pair>,
    /// The largest data segment the target accepts.
    pub target_mrdsl: u32,
    /// Target NOP-In pings answered while reading.
    pub target_pings: u32,
}

impl RawSession {
    /// Logs in (with the suite's account if any) proposing `keys` in the
    /// operational stage.
    pub(crate) fn open(
        ctx: &mut Context,
        keys: &[(&str, &str)],
    ) -> Result<RawSession, ScenarioError> {
        Self::open_kind(ctx, keys, false)
    }

    /// The same for a discovery session.
    pub(crate) fn open_kind(
        ctx: &mut Context,
        keys: &[(&str, &str)],
        discovery: bool,
    ) -> Result<RawSession, ScenarioError> {
        let mut login = RawLogin::plain(ctx)?;
        authenticate(ctx, &mut login, discovery)?;
        let answers = operational(ctx, &mut login, &kv(keys))?;
        Ok(Self::from_login(login, answers))
    }

    /// As [`RawSession::open`], the leading login carrying CmdSN `first`
    /// (RFC 7143 §11.12.8: the session's numbering starts there, and the
    /// window follows the Final-Response); also gives the session's ISID
    /// and TSIH, for connections that join it.
    pub(crate) fn open_numbered(
        ctx: &mut Context,
        keys: &[(&str, &str)],
        first: u32,
    ) -> Result<(RawSession, Isid, u16), ScenarioError> {
        let mut login = RawLogin::plain(ctx)?;
        login.cmd_sn = first;
        authenticate(ctx, &mut login, false)?;
        let answers = operational(ctx, &mut login, &kv(keys))?;
        let (isid, tsih) = (login.isid, login.tsih);
        let window = login.responses.last().map(|r| (r.exp_cmd_sn, r.max_cmd_sn));
        let mut s = Self::from_login(login, answers);
        let (exp, max) = window.unwrap_or((first, first));
        (s.cmd_sn, s.exp_cmd_sn, s.max_cmd_sn) = (first, exp, max);
        Ok((s, isid, tsih))
    }

    /// Numbers this session's tasks from `base` on, so that two connections
    /// of one session never give one ITT twice (RFC 7143 §11.2.1.8).
    pub(crate) fn itts_from(&mut self, base: u32) {
        self.next_itt = base;
    }

    /// A second normal session beside one of [`RawSession::open`]: ISID
    /// qualifier `q` (not 7), so neither reinstates the other.
    pub(crate) fn open_beside(ctx: &mut Context, q: u16) -> Result<RawSession, ScenarioError> {
        let mut login = RawLogin::connect(ctx, q)?;
        login.itt = 1;
        login.cmd_sn = 1;
        authenticate(ctx, &mut login, false)?;
        let answers = operational(ctx, &mut login, &[])?;
        Ok(Self::from_login(login, answers))
    }

    /// As [`RawSession::open`], but a refusal of the operational stage
    /// comes back as the target's reply rather than as an error.
    pub(crate) fn open_or_refused(
        ctx: &mut Context,
        keys: &[(&str, &str)],
    ) -> Result<Result<RawSession, Reply>, ScenarioError> {
        let mut login = RawLogin::plain(ctx)?;
        authenticate(ctx, &mut login, false)?;
        Ok(match login.operational(ctx, keys)? {
            Step::Done(answers) => Ok(Self::from_login(login, answers)),
            Step::Refused(reply) => Err(reply),
        })
    }

    /// The session after a completed login.
    pub(crate) fn from_login(mut login: RawLogin, keys: Vec<Pair>) -> RawSession {
        let crc = |k: &str| last_value(&keys, k) == Some("CRC32C");
        login.wire.set_digests(Digests {
            header: crc("HeaderDigest"),
            data: crc("DataDigest"),
        });
        let target_mrdsl = last_value(&keys, "MaxRecvDataSegmentLength")
            .and_then(|v| v.parse().ok())
            .unwrap_or(8192);
        RawSession {
            wire: login.wire,
            cmd_sn: 1,
            exp_stat_sn: login.exp_stat_sn,
            exp_cmd_sn: 1,
            max_cmd_sn: 1,
            next_itt: 0x100,
            keys,
            target_mrdsl,
            target_pings: 0,
        }
    }

    /// A fresh Initiator Task Tag.
    pub(crate) fn itt(&mut self) -> u32 {
        self.next_itt = self.next_itt.wrapping_add(1);
        self.next_itt
    }

    /// The CmdSN for a non-immediate PDU, taken.
    pub(crate) fn take_cmd_sn(&mut self) -> u32 {
        let sn = self.cmd_sn;
        self.cmd_sn = self.cmd_sn.wrapping_add(1);
        sn
    }

    pub(crate) fn send(
        &mut self,
        ctx: &mut Context,
        pdu: impl Into<Pdu>,
    ) -> Result<(), ScenarioError> {
        self.wire.send(ctx, pdu)
    }

    /// Waits up to `within` for a target ping (RFC 7143 §11.19.1: a NOP-In
    /// with ITT 0xffffffff and a TTT other than 0xffffffff) and answers it;
    /// true when one came. Other PDUs arriving meanwhile are followed and
    /// dropped.
    pub(crate) fn await_target_ping(
        &mut self,
        ctx: &mut Context,
        within: Duration,
    ) -> Result<bool, ScenarioError> {
        self.wait_incoming(ctx, within, |incoming| match incoming {
            Incoming::AnsweredPing => Some(true),
            Incoming::Unanswerable | Incoming::Received(Received::Pdu(_)) => None,
            Incoming::Received(_) => Some(false),
        })
    }

    /// Reads until `decide` takes what came, `within` from now, following
    /// the target's sequence numbers and answering its pings on the way:
    /// a deadline, so a target that pings often cannot stretch the wait.
    fn wait_incoming<T>(
        &mut self,
        ctx: &mut Context,
        within: Duration,
        mut decide: impl FnMut(Incoming) -> Option<T>,
    ) -> Result<T, ScenarioError> {
        wait_within(within, |left| Ok(decide(self.recv_step(ctx, left)?)))
    }

    /// One thing from the target within `timeout`: a PDU (followed), the
    /// end of the wait, or a target ping, answered here.
    fn recv_step(
        &mut self,
        ctx: &mut Context,
        timeout: Duration,
    ) -> Result<Incoming, ScenarioError> {
        let received = self.wire.recv(ctx, timeout)?;
        let Received::Pdu(pdu) = &received else {
            return Ok(Incoming::Received(received));
        };
        self.follow(pdu);
        let Pdu::NopIn(n) = pdu else {
            return Ok(Incoming::Received(received));
        };
        if n.itt != ITT_RESERVED {
            return Ok(Incoming::Received(received));
        }
        if n.ttt == TTT_RESERVED {
            // RFC 7143 §11.19.1: a NOP-In with both tags reserved asks for
            // no answer (it only carries StatSN and the CmdSN window).
            return Ok(Incoming::Unanswerable);
        }
        // RFC 7143 §11.18.1: the answer to a target ping carries its TTT.
        self.target_pings += 1;
        let answer = NopOut {
            immediate: true,
            itt: ITT_RESERVED,
            ttt: n.ttt,
            lun: n.lun,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            ..NopOut::default()
        };
        self.send(ctx, answer)?;
        Ok(Incoming::AnsweredPing)
    }

    /// Follows StatSN, ExpCmdSN and MaxCmdSN.
    fn follow(&mut self, pdu: &Pdu) {
        let (stat, exp, max, status) = match pdu {
            Pdu::ScsiResponse(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, true),
            Pdu::DataIn(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, p.status_present),
            Pdu::ReadyToTransfer(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, false),
            Pdu::NopIn(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, p.itt != ITT_RESERVED),
            Pdu::TextResponse(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, true),
            Pdu::LogoutResponse(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, true),
            Pdu::TaskManagementResponse(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, true),
            Pdu::Reject(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, true),
            Pdu::AsyncMessage(p) => (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn, true),
            _ => return,
        };
        if status {
            self.exp_stat_sn = stat.wrapping_add(1);
        }
        if Serial(self.exp_cmd_sn).is_at_or_before(Serial(exp)) {
            self.exp_cmd_sn = exp;
        }
        self.max_cmd_sn = max;
    }

    /// The next PDU within the timeout; silence or a close is an error.
    pub(crate) fn next_pdu(&mut self, ctx: &mut Context, what: &str) -> Result<Pdu, ScenarioError> {
        let timeout = ctx.target.timeout;
        self.wait_incoming(ctx, timeout, Incoming::received)?
            .into_pdu(timeout, what)
    }

    /// A SCSI Command PDU (not sent) with the next CmdSN (taken unless
    /// immediate) and no data.
    pub(crate) fn command(
        &mut self,
        lun: Lun,
        cdb: &[u8],
        edtl: u32,
        read: bool,
        write: bool,
    ) -> ScsiCommand {
        let itt = self.itt();
        let mut cmd = ScsiCommand {
            read,
            write,
            lun,
            itt,
            expected_data_transfer_length: edtl,
            cmd_sn: self.take_cmd_sn(),
            exp_stat_sn: self.exp_stat_sn,
            ..ScsiCommand::default()
        };
        cmd.set_cdb(cdb);
        cmd
    }

    /// Data-Out PDUs for `data[offset..offset + len]` of task `itt`, each
    /// within the target's MaxRecvDataSegmentLength, DataSN from 0.
    pub(crate) fn data_out(
        &self,
        itt: u32,
        ttt: u32,
        lun: Lun,
        data: &Bytes,
        offset: u32,
        len: u32,
    ) -> Vec<DataOut> {
        let mut out = Vec::new();
        let end = (offset + len).min(data.len() as u32);
        let mut at = offset;
        let step = self.target_mrdsl.max(512);
        while at < end {
            let n = step.min(end - at);
            out.push(DataOut {
                final_bit: at + n == end,
                lun,
                itt,
                ttt,
                exp_stat_sn: self.exp_stat_sn,
                data_sn: out.len() as u32,
                buffer_offset: at,
                data: data.slice(at as usize..(at + n) as usize),
                ..DataOut::default()
            });
            at += n;
        }
        out
    }

    /// The first PDU `pick` takes (awaited as `what`), the PDUs before it
    /// followed and dropped; silence or a close is an error.
    pub(crate) fn await_pdu<T>(
        &mut self,
        ctx: &mut Context,
        what: &str,
        mut pick: impl FnMut(Pdu) -> Option<T>,
    ) -> Result<T, ScenarioError> {
        loop {
            if let Some(picked) = pick(self.next_pdu(ctx, what)?) {
                return Ok(picked);
            }
        }
    }

    /// The Text Response of task `itt` (awaited as `what`), or the Reject
    /// of its request.
    pub(crate) fn await_text(
        &mut self,
        ctx: &mut Context,
        itt: u32,
        what: &str,
    ) -> Result<Result<TextResponse, Reject>, ScenarioError> {
        self.await_pdu(ctx, what, |p| match p {
            Pdu::TextResponse(r) if r.itt == itt => Some(Ok(r)),
            Pdu::Reject(j) => Some(Err(j)),
            _ => None,
        })
    }

    /// The first R2T of task `itt` (awaited as `what`); the task ending
    /// first is an error of the set-up.
    pub(crate) fn await_r2t(
        &mut self,
        ctx: &mut Context,
        itt: u32,
        what: &str,
    ) -> Result<ReadyToTransfer, ScenarioError> {
        loop {
            match self.next_pdu(ctx, what)? {
                Pdu::ReadyToTransfer(r) if r.itt == itt => return Ok(r),
                Pdu::ScsiResponse(r) if r.itt == itt => {
                    return Err(ScenarioError::Setup(format!(
                        "the write ended at once: {:?}",
                        r.status
                    )))
                }
                _ => {}
            }
        }
    }

    /// Sends the Data-Out PDUs of [`RawSession::data_out`] for `len`
    /// bytes at `offset`.
    pub(crate) fn send_data(
        &mut self,
        ctx: &mut Context,
        (itt, ttt, lun): (u32, u32, Lun),
        data: &Bytes,
        (offset, len): (u32, u32),
    ) -> Result<(), ScenarioError> {
        for d in self.data_out(itt, ttt, lun, data, offset, len) {
            self.send(ctx, d)?;
        }
        Ok(())
    }

    /// Sends the data `r2t` asks for of task `itt`, from `data`
    /// (RFC 7143 §11.8: its TTT, offset and length).
    pub(crate) fn answer_r2t(
        &mut self,
        ctx: &mut Context,
        itt: u32,
        lun: Lun,
        r2t: &ReadyToTransfer,
        data: &Bytes,
    ) -> Result<(), ScenarioError> {
        let (offset, len) = (r2t.buffer_offset, r2t.desired_data_transfer_length);
        self.send_data(ctx, (itt, r2t.ttt, lun), data, (offset, len))
    }

    /// Sends `cmd` and gathers every PDU of its task until its status,
    /// answering R2Ts from `write` when given.
    pub(crate) fn run(
        &mut self,
        ctx: &mut Context,
        cmd: ScsiCommand,
        write: Option<&Bytes>,
    ) -> Result<Vec<Pdu>, ScenarioError> {
        let (itt, lun) = (cmd.itt, cmd.lun);
        self.send(ctx, cmd)?;
        let mut got = Vec::new();
        loop {
            let pdu = self.next_pdu(ctx, "the command's response")?;
            let done = match &pdu {
                Pdu::ScsiResponse(r) => r.itt == itt,
                Pdu::DataIn(d) => d.itt == itt && d.status_present,
                Pdu::Reject(_) => true,
                _ => false,
            };
            if let (Pdu::ReadyToTransfer(r), Some(data)) = (&pdu, write) {
                if r.itt == itt {
                    self.answer_r2t(ctx, itt, lun, r, data)?;
                }
            }
            got.push(pdu);
            if done {
                return Ok(got);
            }
        }
    }

    /// A NOP-Out ping with `data`; true when its NOP-In came back in time.
    pub(crate) fn ping_with(
        &mut self,
        ctx: &mut Context,
        data: &[u8],
    ) -> Result<Option<Pdu>, ScenarioError> {
        let itt = self.itt();
        let nop = NopOut {
            immediate: true,
            itt,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            data: Bytes::copy_from_slice(data),
            ..NopOut::default()
        };
        self.send(ctx, nop)?;
        let timeout = ctx.target.timeout;
        loop {
            match self.wait_incoming(ctx, timeout, Incoming::received)? {
                Received::Pdu(p @ Pdu::NopIn(_)) if p.itt() == itt => return Ok(Some(p)),
                Received::Pdu(_) => continue,
                _ => return Ok(None),
            }
        }
    }

    /// Whether the connection still answers a ping.
    pub(crate) fn ping(&mut self, ctx: &mut Context) -> Result<bool, ScenarioError> {
        Ok(self.ping_with(ctx, b"rtgt ping")?.is_some())
    }

    /// A Text Request exchange with `keys`, following the target's
    /// continuations (RFC 7143 §11.10, §11.11). Gives every response PDU
    /// and the keys of the whole answer, or why the exchange broke.
    pub(crate) fn text(
        &mut self,
        ctx: &mut Context,
        keys: &[(&str, &str)],
    ) -> Result<(Vec<TextResponse>, Vec<Pair>), ScenarioError> {
        let itt = self.itt();
        let mut data = encode_keys(keys);
        let mut ttt = TTT_RESERVED;
        let mut responses = Vec::new();
        let mut all = Vec::new();
        for _ in 0..64 {
            let req = rtgt_proto::pdu::TextRequest {
                itt,
                ttt,
                cmd_sn: self.take_cmd_sn(),
                exp_stat_sn: self.exp_stat_sn,
                data: std::mem::take(&mut data),
                ..Default::default()
            };
            self.send(ctx, req)?;
            let Ok(r) = self.await_text(ctx, itt, "a Text Response")? else {
                return Err(ScenarioError::Setup("the Text Request was rejected".into()));
            };
            all.extend_from_slice(&r.data);
            let done = r.final_bit && !r.continue_bit;
            ttt = r.ttt;
            responses.push(r);
            if done {
                let pairs = text::decode(&all)
                    .map_err(|e| ScenarioError::Setup(format!("text answer: {e}")))?;
                return Ok((responses, pairs));
            }
        }
        Err(ScenarioError::Setup(
            "a text answer of more than 64 PDUs".into(),
        ))
    }

    /// Closes the session politely (best effort: the scenario is decided).
    pub(crate) fn logout(mut self, ctx: &mut Context) {
        let itt = self.itt();
        let req = rtgt_proto::pdu::LogoutRequest {
            immediate: true,
            itt,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            ..Default::default()
        };
        if self.send(ctx, req).is_ok() {
            let _ = self.wire.closed_within(ctx, ctx.target.quiet);
        }
    }

    /// PDUs that arrive within `quiet`, for "nothing must come" checks;
    /// whether the connection closed.
    pub(crate) fn gather_quiet(
        &mut self,
        ctx: &mut Context,
    ) -> Result<(Vec<Pdu>, bool), ScenarioError> {
        self.gather_until(ctx, |_| false)
    }

    /// As [`RawSession::gather_quiet`], but done as soon as a PDU `enough`
    /// accepts arrives: an answer that decides the scenario needs no
    /// silence after it.
    pub(crate) fn gather_until(
        &mut self,
        ctx: &mut Context,
        enough: impl Fn(&Pdu) -> bool,
    ) -> Result<(Vec<Pdu>, bool), ScenarioError> {
        let mut got = Vec::new();
        let closed = wait_within(ctx.target.quiet, |left| {
            Ok(match self.wait_incoming(ctx, left, Incoming::received)? {
                Received::Pdu(p) => {
                    let done = enough(&p);
                    got.push(p);
                    done.then_some(false)
                }
                Received::Timeout => Some(false),
                Received::Closed | Received::Undecodable(..) | Received::DecodeError(_) => {
                    Some(true)
                }
            })
        })?;
        Ok((got, closed))
    }
}

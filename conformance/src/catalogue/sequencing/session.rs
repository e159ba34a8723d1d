//! A login and a session driven PDU by PDU over a raw connection, for
//! scenarios that must see every field the target sends or send what a
//! well-behaved initiator never would (wrong CmdSN, bad digests, a held
//! R2T). The strict core ([`crate::driven::Driven`]) is used where only the
//! outcome matters.

use crate::context::{Account, Context};
use crate::scenario::ScenarioError;
use crate::wire::{isid, keys_of, value_of, Received, Wire};
use bytes::Bytes;
use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::{
    DataOut, Digests, LoginRequest, LoginResponse, LoginStage, LoginStatusClass, Lun, NopOut, Pdu,
    ScsiCommand, ITT_RESERVED, TTT_RESERVED,
};
use rtgt_proto::text::{self, Pair};
use std::time::Duration;

/// What a Login Request got back.
#[derive(Debug)]
pub(crate) enum Answer {
    Response(LoginResponse, Vec<Pair>),
    Closed,
}

impl Answer {
    /// `"status 0x0201"`, `"the connection closed"`...
    pub(crate) fn describe(&self) -> String {
        match self {
            Answer::Response(r, keys) => format!(
                "status {:#06x}, T={}, NSG={:?}, keys {:?}",
                r.status.raw(),
                r.transit,
                r.nsg,
                keys.iter()
                    .map(|p| format!("{}={}", p.key, p.value))
                    .collect::<Vec<_>>()
            ),
            Answer::Closed => "the connection closed".to_owned(),
        }
    }

    /// A Login Response of class 2 (initiator error) or the connection
    /// closed: the ways a target refuses a login.
    pub(crate) fn refused(&self) -> bool {
        match self {
            Answer::Response(r, _) => r.status.class() == LoginStatusClass::InitiatorError,
            Answer::Closed => true,
        }
    }

    /// The raw status, when a response came.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Answer::Response(r, _) => Some(r.status.raw()),
            Answer::Closed => None,
        }
    }
}

/// A login under way on a raw connection: one ITT, CmdSN 1, ExpStatSN
/// following the target's StatSN.
#[derive(Debug)]
pub(crate) struct Login {
    pub wire: Wire,
    exp_stat_sn: u32,
    /// Every key the target sent, in order.
    pub target_keys: Vec<Pair>,
}

impl Login {
    pub(crate) fn connect(ctx: &mut Context) -> Result<Login, ScenarioError> {
        Ok(Login {
            wire: Wire::connect(ctx)?,
            exp_stat_sn: 0,
            target_keys: Vec::new(),
        })
    }

    /// The keys that open a login: names and session type.
    pub(crate) fn opening_keys(ctx: &Context, discovery: bool) -> Vec<(String, String)> {
        let mut keys = vec![(
            "InitiatorName".to_owned(),
            ctx.target.initiator_name.clone(),
        )];
        if discovery {
            keys.push(("SessionType".into(), "Discovery".into()));
        } else {
            keys.push(("TargetName".into(), ctx.target.iqn.clone()));
            keys.push(("SessionType".into(), "Normal".into()));
        }
        keys
    }

    /// Sends one Login Request and reads its answer.
    pub(crate) fn step(
        &mut self,
        ctx: &mut Context,
        csg: LoginStage,
        nsg: LoginStage,
        transit: bool,
        keys: &[(String, String)],
    ) -> Result<Answer, ScenarioError> {
        let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(k, v)).collect();
        let request = LoginRequest {
            transit,
            csg,
            nsg: if transit {
                nsg
            } else {
                LoginStage::SecurityNegotiation
            },
            isid: isid(7),
            itt: 1,
            cmd_sn: 1,
            exp_stat_sn: self.exp_stat_sn,
            data: Bytes::from(text::encode(&pairs)),
            ..LoginRequest::default()
        };
        self.wire.send(ctx, request)?;
        let timeout = ctx.target.timeout;
        match self.wire.recv(ctx, timeout)? {
            Received::Pdu(Pdu::LoginResponse(r)) => {
                self.exp_stat_sn = r.stat_sn.wrapping_add(1);
                let keys = keys_of(&r.data);
                self.target_keys.extend(keys.iter().cloned());
                Ok(Answer::Response(r, keys))
            }
            Received::Closed => Ok(Answer::Closed),
            Received::Timeout => Err(ScenarioError::Timeout(timeout, "a Login Response".into())),
            other => Err(ScenarioError::Setup(format!(
                "waiting for a Login Response, received {}",
                other.describe()
            ))),
        }
    }
}

/// `[(k, v)]` from string slices.
pub(crate) fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn accepted(answer: Answer, what: &str) -> Result<(LoginResponse, Vec<Pair>), ScenarioError> {
    match answer {
        Answer::Response(r, keys) if r.status.class() == LoginStatusClass::Success => Ok((r, keys)),
        other => Err(ScenarioError::Login(format!(
            "{what}: {}",
            other.describe()
        ))),
    }
}

/// The CHAP response of `account` to the target's challenge keys.
pub(crate) fn chap_answer(
    account: &Account,
    keys: &[Pair],
) -> Result<(ChapAlgorithm, u8, Vec<u8>, Vec<u8>), ScenarioError> {
    let get = |k: &str| {
        value_of(keys, k).ok_or_else(|| ScenarioError::Login(format!("no {k} in the challenge")))
    };
    let bad = |e: chap::ChapError| ScenarioError::Login(e.to_string());
    let alg = chap::parse_chosen_algorithm(get("CHAP_A")?, &ChapAlgorithm::ALL).map_err(bad)?;
    let id = chap::parse_identifier(get("CHAP_I")?).map_err(bad)?;
    let challenge = chap::parse_binary(get("CHAP_C")?).map_err(bad)?;
    let response = alg.response(id, &ChapSecret::new(account.secret.clone()), &challenge);
    Ok((alg, id, challenge, response))
}

/// The security stage with the suite's account (one-way CHAP, MD5) or
/// AuthMethod=None, ending with the move to the operational stage.
pub(crate) fn authenticate(
    ctx: &mut Context,
    login: &mut Login,
    discovery: bool,
) -> Result<(), ScenarioError> {
    use LoginStage::{LoginOperationalNegotiation as Op, SecurityNegotiation as Sec};
    let mut keys = Login::opening_keys(ctx, discovery);
    let account = ctx.target.chap.clone();
    let mut answer = match &account {
        None => {
            keys.push(("AuthMethod".into(), "None".into()));
            login.step(ctx, Sec, Op, true, &keys)?
        }
        Some(account) => {
            keys.push(("AuthMethod".into(), "CHAP".into()));
            accepted(login.step(ctx, Sec, Op, false, &keys)?, "AuthMethod=CHAP")?;
            let (_, challenge) = accepted(
                login.step(ctx, Sec, Op, false, &kv(&[("CHAP_A", "5")]))?,
                "CHAP_A=5",
            )?;
            let (_, _, _, response) = chap_answer(account, &challenge)?;
            let reply = vec![
                ("CHAP_N".to_owned(), account.user.clone()),
                ("CHAP_R".to_owned(), chap::encode_response(&response)),
            ];
            login.step(ctx, Sec, Op, true, &reply)?
        }
    };
    for _ in 0..4 {
        let (r, _) = accepted(answer, "the security stage")?;
        if r.transit {
            return Ok(());
        }
        answer = login.step(ctx, Sec, Op, true, &[])?;
    }
    Err(ScenarioError::Login(
        "the target never left the security stage".into(),
    ))
}

/// Keys the target may send without expecting an answer.
fn declarative(key: &str) -> bool {
    matches!(
        key,
        "TargetPortalGroupTag" | "TargetAlias" | "TargetAddress" | "MaxRecvDataSegmentLength"
    )
}

/// The operational stage with `keys`, answering what the target proposes
/// by echoing it, until full feature phase. Gives the target's keys.
pub(crate) fn operational(
    ctx: &mut Context,
    login: &mut Login,
    keys: &[(String, String)],
) -> Result<Vec<Pair>, ScenarioError> {
    use LoginStage::{FullFeaturePhase as Ffp, LoginOperationalNegotiation as Op};
    let mut sent: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let mut all = Vec::new();
    let mut next = keys.to_vec();
    for _ in 0..6 {
        let (r, answer) = accepted(
            login.step(ctx, Op, Ffp, true, &next)?,
            "the operational stage",
        )?;
        next = Vec::new();
        for p in &answer {
            if !sent.contains(&p.key) && !declarative(&p.key) {
                next.push((p.key.clone(), p.value.clone()));
                sent.push(p.key.clone());
            }
        }
        all.extend(answer);
        if r.transit && r.nsg == Ffp {
            return Ok(all);
        }
    }
    Err(ScenarioError::Login(
        "the target never reached full feature phase".into(),
    ))
}

/// The last value the target gave for `key`.
pub(crate) fn answer_of<'a>(keys: &'a [Pair], key: &str) -> Option<&'a str> {
    keys.iter()
        .rev()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
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
        let mut login = Login::connect(ctx)?;
        authenticate(ctx, &mut login, discovery)?;
        let answers = operational(ctx, &mut login, &kv(keys))?;
        Ok(Self::from_login(login, answers))
    }

    /// The session after a completed login.
    pub(crate) fn from_login(mut login: Login, keys: Vec<Pair>) -> RawSession {
        let crc = |k: &str| answer_of(&keys, k) == Some("CRC32C");
        login.wire.set_digests(Digests {
            header: crc("HeaderDigest"),
            data: crc("DataDigest"),
        });
        let target_mrdsl = answer_of(&keys, "MaxRecvDataSegmentLength")
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

    /// The next thing from the target; its pings are answered and its
    /// sequence numbers followed on the way.
    pub(crate) fn recv(
        &mut self,
        ctx: &mut Context,
        timeout: Duration,
    ) -> Result<Received, ScenarioError> {
        loop {
            let received = self.wire.recv(ctx, timeout)?;
            let Received::Pdu(pdu) = &received else {
                return Ok(received);
            };
            self.follow(pdu);
            if let Pdu::NopIn(n) = pdu {
                if n.itt == ITT_RESERVED {
                    if n.ttt != TTT_RESERVED {
                        // RFC 7143 §11.18.1: the answer to a target ping.
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
                    }
                    continue;
                }
            }
            return Ok(received);
        }
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
        if rtgt_initiator::serial_gt(exp, self.exp_cmd_sn) || exp == self.exp_cmd_sn {
            self.exp_cmd_sn = exp;
        }
        self.max_cmd_sn = max;
    }

    /// The next PDU within the timeout; silence or a close is an error.
    pub(crate) fn next_pdu(&mut self, ctx: &mut Context, what: &str) -> Result<Pdu, ScenarioError> {
        let timeout = ctx.target.timeout;
        match self.recv(ctx, timeout)? {
            Received::Pdu(p) => Ok(p),
            Received::Timeout => Err(ScenarioError::Timeout(timeout, what.to_owned())),
            Received::Closed => Err(ScenarioError::Closed(what.to_owned())),
            other => Err(ScenarioError::Setup(format!(
                "waiting for {what}, received {}",
                other.describe()
            ))),
        }
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
                    for d in self.data_out(
                        itt,
                        r.ttt,
                        lun,
                        data,
                        r.buffer_offset,
                        r.desired_data_transfer_length,
                    ) {
                        self.send(ctx, d)?;
                    }
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
            match self.recv(ctx, timeout)? {
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
    ) -> Result<(Vec<rtgt_proto::pdu::TextResponse>, Vec<Pair>), ScenarioError> {
        let itt = self.itt();
        let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(*k, *v)).collect();
        let mut data = Bytes::from(text::encode(&pairs));
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
            let r = loop {
                match self.next_pdu(ctx, "a Text Response")? {
                    Pdu::TextResponse(r) if r.itt == itt => break r,
                    Pdu::Reject(_) => {
                        return Err(ScenarioError::Setup("the Text Request was rejected".into()))
                    }
                    _ => continue,
                }
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

    /// PDUs that arrive within `quiet`, for "nothing must come" checks.
    pub(crate) fn gather_quiet(
        &mut self,
        ctx: &mut Context,
    ) -> Result<(Vec<Pdu>, bool), ScenarioError> {
        let deadline = std::time::Instant::now() + ctx.target.quiet;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.recv(ctx, left)? {
                Received::Pdu(p) => got.push(p),
                Received::Timeout => return Ok((got, false)),
                Received::Closed => return Ok((got, true)),
                Received::Undecodable(..) | Received::DecodeError(_) => return Ok((got, true)),
            }
        }
    }
}

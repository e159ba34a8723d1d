//! What every SCSI scenario shares: a logged-in session that absorbs the
//! unit attentions a new I_T nexus meets, one command at a time with its
//! answer described for a report, and the expectations on that answer. What
//! the scenarios read of the device is in [`super::device`], re-exported here.

pub use super::device::*;

use crate::context::Context;
use crate::driven::{Driven, LoginResult};
use crate::scenario::{Outcome, ScenarioError, Verdict};
use bytes::Bytes;
use rtgt_initiator::{Event, ScsiRequest, Strictness, TaskOutcome};
use rtgt_proto::pdu::{LogoutReason, Lun, ScsiStatus, TmfFunction, TmfResponseCode};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::TestUnitReady;
use rtgt_proto::scsi::sense::{Sense, SenseKeySpecific};

/// A session on the suite's LUN.
#[derive(Debug)]
pub struct Scsi {
    pub session: Driven,
    pub lun: Lun,
}

/// A command's answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: ScsiStatus,
    pub data: Vec<u8>,
    pub sense_bytes: Vec<u8>,
    pub sense: Option<Sense>,
}

impl Reply {
    pub fn good(&self) -> bool {
        self.status == ScsiStatus::Good
    }

    /// CHECK CONDITION with this sense key and additional sense code.
    pub fn is(&self, key: SenseKey, asc: AscAscq) -> bool {
        self.status == ScsiStatus::CheckCondition
            && self
                .sense
                .as_ref()
                .is_some_and(|s| s.key.0 & 0x0f == key.0 && s.asc == asc)
    }

    /// The answer as a report shows it.
    pub fn describe(&self) -> String {
        match (&self.status, &self.sense) {
            (ScsiStatus::CheckCondition, Some(s)) => format!(
                "CHECK CONDITION, {} {:02X}h/{:02X}h ({})",
                s.key.name(),
                s.asc.asc,
                s.asc.ascq,
                s.asc.name().unwrap_or("unnamed")
            ),
            (ScsiStatus::CheckCondition, None) => format!(
                "CHECK CONDITION with {} sense bytes that do not decode",
                self.sense_bytes.len()
            ),
            (status, _) => format!("{} with {} bytes of data", status.name(), self.data.len()),
        }
    }

    /// The field pointer of the sense data, when SKSV is set.
    pub fn field_pointer(&self) -> Option<(bool, u16, Option<u8>)> {
        match self.sense.as_ref()?.sks? {
            SenseKeySpecific::FieldPointer {
                cdb,
                field_pointer,
                bit_pointer,
            } => Some((cdb, field_pointer, bit_pointer)),
            _ => None,
        }
    }
}

const ILLEGAL: SenseKey = SenseKey::ILLEGAL_REQUEST;

/// Pass when the reply is CHECK CONDITION with `key` and `asc`.
pub fn expect(reply: &Reply, key: SenseKey, asc: AscAscq) -> Outcome {
    Outcome::check(
        reply.is(key, asc),
        format!(
            "CHECK CONDITION, {} {:02X}h/{:02X}h ({})",
            key.name(),
            asc.asc,
            asc.ascq,
            asc.name().unwrap_or("unnamed")
        ),
        reply.describe(),
    )
}

/// Pass when the reply is CHECK CONDITION, ILLEGAL REQUEST with `asc`.
pub fn expect_illegal(reply: &Reply, asc: AscAscq) -> Outcome {
    expect(reply, ILLEGAL, asc)
}

/// Pass when the reply is ILLEGAL REQUEST, INVALID FIELD IN CDB and, when the
/// sense carries a field pointer (SPC-5 §4.4.2.4.2), it names CDB byte `byte`.
pub fn expect_invalid_field(reply: &Reply, byte: u16) -> Outcome {
    let outcome = expect(reply, ILLEGAL, AscAscq::INVALID_FIELD_IN_CDB);
    if outcome != Outcome::Pass {
        return outcome;
    }
    match reply.field_pointer() {
        Some((true, b, _)) if b == byte => Outcome::Pass,
        Some((cdb, b, bit)) => Outcome::fail(
            format!("a field pointer, when given, at CDB byte {byte}"),
            format!("field pointer C/D={} byte {b} bit {bit:?}", u8::from(cdb)),
        ),
        None => Outcome::Pass,
    }
}

pub fn expect_lba_out_of_range(reply: &Reply) -> Outcome {
    expect(reply, ILLEGAL, AscAscq::LBA_OUT_OF_RANGE)
}

pub fn expect_good(reply: &Reply) -> Outcome {
    Outcome::check(reply.good(), "GOOD", reply.describe())
}

/// A failure of a step the scenario needed to reach its point.
pub fn setup(what: &str, reply: &Reply) -> ScenarioError {
    ScenarioError::Setup(format!("{what}: {}", reply.describe()))
}

/// The command was not recognised: INVALID COMMAND OPERATION CODE (or, for
/// a service action, INVALID FIELD IN CDB).
pub fn unsupported(reply: &Reply) -> bool {
    reply.is(ILLEGAL, AscAscq::INVALID_COMMAND_OPERATION_CODE)
}

impl Scsi {
    /// Logs in as the suite's initiator and clears the unit attentions of
    /// the new nexus (SAM-5: a power on or I_T nexus loss condition is
    /// reported once to each new nexus).
    pub fn open(ctx: &mut Context) -> Result<Scsi, ScenarioError> {
        let name = ctx.target.initiator_name.clone();
        Self::open_as(ctx, &name)
    }

    /// Logs in as the second initiator name.
    pub fn open_second(ctx: &mut Context) -> Result<Scsi, ScenarioError> {
        let name =
            ctx.target.initiator_name_2.clone().ok_or_else(|| {
                ScenarioError::Setup("no second initiator name was given".to_owned())
            })?;
        Self::open_as(ctx, &name)
    }

    fn open_as(ctx: &mut Context, name: &str) -> Result<Scsi, ScenarioError> {
        let mut scsi = Self::open_keeping_attentions(ctx, name)?;
        let tur = TestUnitReady::default().encode();
        for _ in 0..4 {
            let reply = scsi.once(ctx, ScsiRequest::none(scsi.lun, &tur))?;
            if !reply.is_unit_attention() {
                break;
            }
        }
        Ok(scsi)
    }

    /// Logs in as `name` and sends nothing: the unit attentions of the new
    /// I_T nexus are left for the caller to meet.
    pub fn open_keeping_attentions(ctx: &mut Context, name: &str) -> Result<Scsi, ScenarioError> {
        let mut config = Driven::normal_config(ctx);
        config.keys.set("InitiatorName", name);
        // These scenarios judge the SCSI layer; iSCSI deviations are noted
        // in the transcript without ending the session.
        config.strictness = Strictness::Lenient;
        let mut session = Driven::connect(ctx, config)?;
        if let LoginResult::Failed(event) = session.login(ctx)? {
            return Err(ScenarioError::Login(format!("{event:?}")));
        }
        Ok(Scsi {
            session,
            lun: Driven::lun(ctx),
        })
    }

    /// TEST UNIT READY, once: a UNIT ATTENTION is returned, not retried.
    pub fn tur_once(&mut self, ctx: &mut Context) -> Result<Reply, ScenarioError> {
        let tur = TestUnitReady::default().encode();
        self.once(ctx, ScsiRequest::none(self.lun, &tur))
    }

    /// Sends LOGICAL UNIT RESET for this session's LUN (RFC 7143 §11.5.1)
    /// and returns the target's response.
    pub fn lu_reset(&mut self, ctx: &mut Context) -> Result<TmfResponseCode, ScenarioError> {
        let task = self
            .session
            .core
            .task_management(
                std::time::Instant::now(),
                TmfFunction::LogicalUnitReset,
                self.lun,
                None,
            )
            .map_err(|e| ScenarioError::Setup(format!("LOGICAL UNIT RESET: {e}")))?;
        match self.session.wait_for(
            ctx,
            "the LOGICAL UNIT RESET response",
            |e| matches!(e, Event::TmfComplete { task: t, .. } if *t == task),
        )? {
            Event::TmfComplete { response, .. } => Ok(response),
            other => Err(ScenarioError::Setup(format!(
                "LOGICAL UNIT RESET ended with {other:?}"
            ))),
        }
    }

    /// Runs a command once: a UNIT ATTENTION is returned, not retried.
    pub fn once(&mut self, ctx: &mut Context, req: ScsiRequest) -> Result<Reply, ScenarioError> {
        match self.session.command(ctx, req)? {
            TaskOutcome::Completed(r) => Ok(Reply {
                status: r.status,
                data: r.data.to_vec(),
                sense_bytes: r.sense_bytes.to_vec(),
                sense: r.sense,
            }),
            other => Err(ScenarioError::Setup(format!(
                "the command ended without a SCSI status: {other:?}"
            ))),
        }
    }

    /// Runs a command; a UNIT ATTENTION is taken and the command sent once
    /// more.
    pub fn run(&mut self, ctx: &mut Context, req: ScsiRequest) -> Result<Reply, ScenarioError> {
        let reply = self.once(ctx, req.clone())?;
        if reply.is_unit_attention() {
            ctx.transcript
                .note(format!("{}; sending the command again", reply.describe()));
            return self.once(ctx, req);
        }
        Ok(reply)
    }

    pub fn none(&mut self, ctx: &mut Context, cdb: &[u8]) -> Result<Reply, ScenarioError> {
        let req = ScsiRequest::none(self.lun, cdb);
        self.run(ctx, req)
    }

    pub fn read(
        &mut self,
        ctx: &mut Context,
        cdb: &[u8],
        len: u32,
    ) -> Result<Reply, ScenarioError> {
        let req = ScsiRequest::read(self.lun, cdb, len);
        self.run(ctx, req)
    }

    pub fn write(
        &mut self,
        ctx: &mut Context,
        cdb: &[u8],
        data: Vec<u8>,
    ) -> Result<Reply, ScenarioError> {
        let req = ScsiRequest::write(self.lun, cdb, Bytes::from(data));
        self.run(ctx, req)
    }

    /// Logs out, bounded by the suite's timeout; a target that does not
    /// answer is left to notice the closed connection.
    pub fn close(mut self, ctx: &mut Context) {
        if self
            .session
            .core
            .logout(std::time::Instant::now(), LogoutReason::CloseSession)
            .is_ok()
        {
            let _ = self.session.wait_for(ctx, "the logout response", |e| {
                matches!(e, Event::LoggedOut { .. } | Event::Closed(_))
            });
        }
    }
}

impl Reply {
    pub fn is_unit_attention(&self) -> bool {
        self.status == ScsiStatus::CheckCondition
            && self
                .sense
                .as_ref()
                .is_some_and(|s| s.key.0 & 0x0f == SenseKey::UNIT_ATTENTION.0)
    }
}

/// [`with_scratch`] for a command of 32-bit LBAs (`name`): `body` gets the
/// scratch range's first LBA as one; not applicable when it lies beyond.
pub fn with_scratch32(
    ctx: &mut Context,
    blocks: u32,
    name: &str,
    body: impl FnOnce(&mut Context, &mut Scsi, &Scratch, u32) -> Verdict,
) -> Verdict {
    with_scratch(ctx, blocks, |ctx, s, sc| match u32::try_from(sc.lba) {
        Ok(lba) => body(ctx, s, sc, lba),
        Err(_) => Ok(Outcome::not_applicable(format!(
            "the scratch range is beyond {name}'s reach"
        ))),
    })
}

/// Not applicable when `reply` says the device does not implement `name`
/// (SPC-5 §4.5.3: INVALID COMMAND OPERATION CODE).
pub fn not_implemented(reply: &Reply, name: &str) -> Option<Outcome> {
    unsupported(reply)
        .then(|| Outcome::not_applicable(format!("the device does not implement {name}")))
}

/// The failed expectation of GOOD, when `reply` is not GOOD.
pub fn not_good(reply: &Reply) -> Option<Outcome> {
    (!reply.good()).then(|| expect_good(reply))
}

/// A read answered `r`: GOOD with `data`, the bytes written before it.
pub fn expect_data(r: &Reply, data: &[u8]) -> Outcome {
    let same = r.data == data;
    Outcome::check(
        r.good() && same,
        format!("GOOD and the {} bytes written", data.len()),
        format!(
            "{}{}",
            r.describe(),
            if same { "" } else { ", different bytes" }
        ),
    )
}

/// A write of `data` at `lba` answered `w`: GOOD, and the blocks then read
/// back as `data` (`expected` names them in a report).
pub fn reads_back(
    ctx: &mut Context,
    s: &mut Scsi,
    (cap, lba): (Capacity, u64),
    w: &Reply,
    data: &[u8],
    expected: &str,
) -> Verdict {
    if let Some(outcome) = not_good(w) {
        return Ok(outcome);
    }
    let blocks = u32::try_from(data.len() / cap.block_len as usize).unwrap_or(u32::MAX);
    let back = read_blocks(ctx, s, cap, lba, blocks)?;
    Ok(Outcome::check(back == data, expected, "other bytes"))
}

/// Opens a session, runs `body`, logs out (whatever the body ended with).
pub fn with_session<T>(
    ctx: &mut Context,
    body: impl FnOnce(&mut Context, &mut Scsi) -> Result<T, ScenarioError>,
) -> Result<T, ScenarioError> {
    let mut s = Scsi::open(ctx)?;
    let result = body(ctx, &mut s);
    s.close(ctx);
    result
}

/// The first outcome that is not a pass, else a pass.
pub fn all(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
    outcomes
        .into_iter()
        .find(|o| *o != Outcome::Pass)
        .unwrap_or(Outcome::Pass)
}

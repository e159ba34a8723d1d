//! What a fuzz case is: a [`Sequence`] of symbolic [`Step`]s, each a PDU
//! template plus field mutations, resolved against the session's real
//! numbers (CmdSN, ExpStatSN, the R2Ts the target sent) only when sent.
//! Sequences are what the corpus holds and what a reproducer file saves, so
//! a replay rebuilds the same PDUs from whatever the target answers then.

use bytes::Bytes;
use rtgt_proto::pdu::{
    DataOut, Isid, LoginRequest, LoginStage, LogoutReason, LogoutRequest, Lun, NopOut, Opcode, Pdu,
    RawPdu, ScsiCommand, SnackRequest, SnackType, TaskAttribute, TaskManagementRequest,
    TextRequest, TmfFunction, ITT_RESERVED, TTT_RESERVED,
};
use rtgt_proto::text::{self, Pair};
use serde::{Deserialize, Serialize};

/// How a sequence starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Start {
    /// A full login through rtgt's initiator core, then the steps in full
    /// feature phase.
    FullFeature,
    /// A bare connection: the steps are the login phase itself.
    Login,
}

/// One fuzz case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub start: Start,
    pub steps: Vec<Step>,
}

/// One PDU to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub op: Op,
    /// Applied in order to the frame the template gives.
    pub muts: Vec<Mutation>,
    /// Byte offsets at which the encoded PDU is cut into separate writes
    /// (TCP segments, with Nagle off).
    pub cuts: Vec<u32>,
}

/// Which task a Data-Out or TMF refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskRef {
    /// The n-th most recent SCSI command of this sequence (modulo their
    /// number).
    Recent(u8),
    /// A made-up tag.
    Tag(u32),
}

/// A PDU template (RFC 7143 §11: one per initiator opcode, plus a login
/// during full feature phase and opcodes no initiator sends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Nop {
        ping: bool,
        data_len: u16,
    },
    Scsi(ScsiOp),
    DataOut(DataOutOp),
    Tmf {
        function: u8,
        task: TaskRef,
    },
    Text(TextOp),
    Logout {
        reason: u8,
        cid: u16,
    },
    Snack(SnackOp),
    Login(LoginOp),
    /// Any opcode byte, with a random BHS and data.
    Other {
        opcode: u8,
        bhs: Vec<u8>,
        data_len: u16,
    },
}

/// A SCSI Command (RFC 7143 §11.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScsiOp {
    /// Up to 16 bytes in the BHS, the rest in an Extended CDB AHS.
    pub cdb: Vec<u8>,
    pub read: bool,
    pub write: bool,
    /// ExpectedDataTransferLength.
    pub edtl: u32,
    /// Bytes of immediate data.
    pub imm_len: u32,
    pub final_bit: bool,
    /// ATTR (three bits used).
    pub attr: u8,
    /// Added to the session's LUN.
    pub lun_delta: u8,
}

/// Data-Out answering the `r2t`-th R2T received (modulo), shifted by
/// `offset_delta` bytes; without an R2T, unsolicited data for `task`
/// (RFC 7143 §11.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataOutOp {
    pub r2t: Option<u8>,
    pub task: TaskRef,
    /// The TTT when no R2T is answered.
    pub ttt: u32,
    pub offset_delta: i32,
    /// Bytes of data; 0 takes the R2T's DesiredDataTransferLength.
    pub len: u32,
    pub data_sn: u32,
    pub final_bit: bool,
}

impl DataOutOp {
    /// All the data the `r2t`-th R2T asks for, as a well-behaved initiator
    /// sends it.
    pub fn for_r2t(r2t: u8) -> Self {
        DataOutOp {
            r2t: Some(r2t),
            task: TaskRef::Recent(0),
            ttt: NO_TTT,
            offset_delta: 0,
            len: 0,
            data_sn: 0,
            final_bit: true,
        }
    }
}

/// A Text Request (RFC 7143 §11.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextOp {
    pub pairs: Vec<(String, String)>,
    pub continue_bit: bool,
    pub final_bit: bool,
    pub ttt: u32,
}

/// A SNACK Request (RFC 7143 §11.16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnackOp {
    pub kind: u8,
    pub task: TaskRef,
    pub beg_run: u32,
    pub run_length: u32,
}

/// A Login Request (RFC 7143 §11.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOp {
    /// CSG and NSG (two bits each used).
    pub csg: u8,
    pub nsg: u8,
    pub transit: bool,
    pub continue_bit: bool,
    /// Version-max, Version-min.
    pub version: (u8, u8),
    pub isid: [u8; 6],
    pub tsih: u16,
    pub pairs: Vec<(String, String)>,
}

/// A field-level change to the frame before it is encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutation {
    /// CmdSN = the right one + delta (around, inside and outside the window).
    CmdSn(i64),
    /// CmdSN relative to the target's MaxCmdSN.
    CmdSnFromMax(i32),
    /// ExpStatSN = the right one + delta.
    ExpStatSn(i64),
    /// A DataSegmentLength that lies about the data sent.
    Dsl(u32),
    /// A TotalAHSLength that lies (no AHS bytes follow).
    TotalAhs(u8),
    /// AHS bytes really sent (type, length field, body), TotalAHSLength set.
    Ahs { kind: u8, len_field: u16, body: u16 },
    /// XOR a BHS byte: flags, reserved bits, opcode bits.
    Xor { at: u8, mask: u8 },
    /// The ITT of an earlier PDU of this sequence.
    ReuseItt(u8),
    /// The reserved ITT 0xffffffff.
    ReservedItt,
    /// Sets the I bit.
    Immediate,
    /// Only the first n bytes of the encoding are sent.
    Truncate(u32),
    /// Bytes appended after the PDU.
    Trailing(u16),
}

/// The session numbers and history a step is resolved against.
#[derive(Debug, Clone, Default)]
pub struct Numbers {
    /// The CmdSN the next non-immediate command takes (RFC 7143 §4.2.2.1).
    pub cmd_sn: u32,
    /// One past the last StatSN received (RFC 7143 §4.2.2.2).
    pub exp_stat_sn: u32,
    /// The window's end, from the last target PDU.
    pub max_cmd_sn: u32,
    /// The LUN given on the command line.
    pub lun: u16,
    /// The next fresh ITT.
    pub next_itt: u32,
    /// ITTs this sequence sent, oldest first.
    pub itts: Vec<u32>,
    /// SCSI commands this sequence sent: (ITT, CmdSN, EDTL).
    pub commands: Vec<(u32, u32, u32)>,
    /// R2Ts received: (ITT, TTT, BufferOffset, DesiredDataTransferLength, R2TSN).
    pub r2ts: Vec<(u32, u32, u32, u32, u32)>,
    pub isid: [u8; 6],
    pub tsih: u16,
    pub cid: u16,
    pub initiator_name: String,
    pub target_name: String,
}

impl Numbers {
    fn itt(&mut self) -> u32 {
        let itt = self.next_itt;
        self.next_itt = self.next_itt.wrapping_add(1) & 0x7fff_ffff;
        self.itts.push(itt);
        itt
    }

    fn task(&self, r: TaskRef) -> (u32, u32) {
        match r {
            TaskRef::Recent(n) if !self.commands.is_empty() => {
                let i = self.commands.len() - 1 - usize::from(n) % self.commands.len();
                (self.commands[i].0, self.commands[i].1)
            }
            TaskRef::Recent(_) => (0x1234, self.cmd_sn),
            TaskRef::Tag(t) => (t, self.cmd_sn.wrapping_sub(1)),
        }
    }
}

fn fill(len: usize, seed: u32) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed) as u8)
            .collect::<Vec<u8>>(),
    )
}

fn text_data(pairs: &[(String, String)]) -> Bytes {
    let pairs: Vec<Pair> = pairs.iter().map(|(k, v)| Pair::new(k, v)).collect();
    Bytes::from(text::encode(&pairs))
}

fn stage(v: u8) -> LoginStage {
    match v & 3 {
        0 => LoginStage::SecurityNegotiation,
        1 => LoginStage::LoginOperationalNegotiation,
        _ => LoginStage::FullFeaturePhase,
    }
}

/// The typed PDU for `op`, and whether it takes a CmdSN. CmdSN and
/// ExpStatSN are placed by [`build`].
fn typed(op: &Op, n: &mut Numbers) -> (Pdu, bool) {
    let lun = Lun::single_level(n.lun);
    match op {
        Op::Nop { ping, data_len } => {
            let itt = if *ping { n.itt() } else { ITT_RESERVED };
            let data = fill(usize::from(*data_len), itt);
            // RFC 7143 §11.18: an unsolicited NOP-Out (ITT 0xffffffff) is
            // immediate; a ping takes a CmdSN.
            let p = NopOut {
                immediate: !*ping,
                lun,
                itt,
                data,
                ..NopOut::default()
            };
            (p.into(), *ping)
        }
        Op::Scsi(c) => {
            let itt = n.itt();
            let mut p = ScsiCommand {
                final_bit: c.final_bit,
                read: c.read,
                write: c.write,
                attr: TaskAttribute::from_raw(c.attr & 7),
                lun: Lun::single_level(n.lun.wrapping_add(u16::from(c.lun_delta))),
                itt,
                expected_data_transfer_length: c.edtl,
                data: fill(c.imm_len as usize, itt),
                ..ScsiCommand::default()
            };
            p.set_cdb(&c.cdb);
            n.commands.push((itt, n.cmd_sn, c.edtl));
            (p.into(), true)
        }
        Op::DataOut(d) => (data_out(d, n, lun).into(), false),
        Op::Tmf { function, task } => {
            let (referenced_task_tag, ref_cmd_sn) = n.task(*task);
            let function = TmfFunction::from_raw(function & 0x7f);
            let itt = n.itt();
            let p = TaskManagementRequest {
                function,
                lun,
                itt,
                referenced_task_tag,
                ref_cmd_sn,
                ..Default::default()
            };
            (p.into(), false)
        }
        Op::Text(t) => {
            let (final_bit, continue_bit, ttt) = (t.final_bit, t.continue_bit, t.ttt);
            let (itt, data) = (n.itt(), text_data(&t.pairs));
            let p = TextRequest {
                final_bit,
                continue_bit,
                itt,
                ttt,
                data,
                ..TextRequest::default()
            };
            (p.into(), true)
        }
        Op::Logout { reason, cid } => {
            let reason = LogoutReason::from_raw(reason & 0x7f);
            let p = LogoutRequest {
                reason,
                itt: n.itt(),
                cid: *cid,
                ..LogoutRequest::default()
            };
            (p.into(), true)
        }
        Op::Snack(k) => {
            let (itt, _) = n.task(k.task);
            let snack_type = SnackType::from_raw(k.kind & 0x0f);
            let (beg_run, run_length) = (k.beg_run, k.run_length);
            let p = SnackRequest {
                snack_type,
                lun,
                itt,
                beg_run,
                run_length,
                ..Default::default()
            };
            (p.into(), false)
        }
        Op::Login(l) => (login(l, n).into(), false),
        Op::Other {
            opcode,
            bhs,
            data_len,
        } => {
            let mut b = [0u8; 48];
            for (d, s) in b.iter_mut().zip(bhs) {
                *d = *s;
            }
            b[0] = opcode & 0x3f;
            let mut raw = RawPdu::new(b, Bytes::new(), fill(usize::from(*data_len), 7));
            raw.set_lengths();
            (Pdu::Unknown(raw), false)
        }
    }
}

fn data_out(d: &DataOutOp, n: &Numbers, lun: Lun) -> DataOut {
    let (itt, ttt, offset, len) = match d.r2t {
        Some(i) if !n.r2ts.is_empty() => {
            let (itt, ttt, offset, desired, _) = n.r2ts[usize::from(i) % n.r2ts.len()];
            let len = if d.len == 0 { desired } else { d.len };
            (itt, ttt, offset.wrapping_add_signed(d.offset_delta), len)
        }
        _ => (
            n.task(d.task).0,
            d.ttt,
            d.offset_delta.unsigned_abs(),
            d.len,
        ),
    };
    DataOut {
        final_bit: d.final_bit,
        lun,
        itt,
        ttt,
        data_sn: d.data_sn,
        buffer_offset: offset,
        data: fill(len.min(1 << 20) as usize, offset),
        ..DataOut::default()
    }
}

fn login(l: &LoginOp, n: &mut Numbers) -> LoginRequest {
    LoginRequest {
        transit: l.transit,
        continue_bit: l.continue_bit,
        csg: stage(l.csg),
        nsg: stage(l.nsg),
        version_max: l.version.0,
        version_min: l.version.1,
        isid: Isid::from_bytes(l.isid),
        tsih: l.tsih,
        itt: n.itt(),
        cid: n.cid,
        data: text_data(&l.pairs),
        ..LoginRequest::default()
    }
}

/// RFC 7143 §11.2.1: every initiator PDU carries ExpStatSN in bytes 28-31;
/// all but Data-Out and SNACK (§11.7, §11.16: reserved) carry CmdSN in
/// bytes 24-27.
fn place_numbers(raw: &mut RawPdu, n: &Numbers) {
    let op = raw.opcode();
    if matches!(op, Opcode::Other(_)) {
        return;
    }
    if !matches!(op, Opcode::DataOut | Opcode::SnackRequest) {
        put_u32(&mut raw.bhs, 24, n.cmd_sn);
    }
    put_u32(&mut raw.bhs, 28, n.exp_stat_sn);
}

fn put_u32(b: &mut [u8; 48], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// The bytes of `step` for the session in `n`, which it updates (CmdSN
/// taken, ITT recorded), and the frame before any length lie, for the
/// transcript.
pub fn build(step: &Step, n: &mut Numbers, digests: rtgt_proto::pdu::Digests) -> (Vec<u8>, RawPdu) {
    let (pdu, takes_cmd_sn) = typed(&step.op, n);
    let mut raw = pdu.to_raw();
    raw.set_lengths();
    place_numbers(&mut raw, n);
    let right_cmd_sn = n.cmd_sn;
    let mut cmd_sn_changed = false;
    let mut trailing = 0u16;
    let mut truncate = None;
    let mut lies: Vec<(usize, u8)> = Vec::new();
    for m in &step.muts {
        match m {
            Mutation::CmdSn(d) => {
                put_u32(&mut raw.bhs, 24, right_cmd_sn.wrapping_add(*d as u32));
                cmd_sn_changed = true;
            }
            Mutation::CmdSnFromMax(d) => {
                put_u32(&mut raw.bhs, 24, n.max_cmd_sn.wrapping_add_signed(*d));
                cmd_sn_changed = true;
            }
            Mutation::ExpStatSn(d) => {
                put_u32(&mut raw.bhs, 28, n.exp_stat_sn.wrapping_add(*d as u32));
            }
            Mutation::Dsl(v) => {
                let v = v.to_be_bytes();
                lies.extend([(5, v[1]), (6, v[2]), (7, v[3])]);
            }
            Mutation::TotalAhs(v) => lies.push((4, *v)),
            Mutation::Ahs {
                kind,
                len_field,
                body,
            } => {
                let mut ahs = raw.ahs.to_vec();
                ahs.extend_from_slice(&len_field.to_be_bytes());
                ahs.push(*kind);
                ahs.push(0);
                ahs.extend(std::iter::repeat_n(0xa5, usize::from(*body)));
                while ahs.len() % 4 != 0 {
                    ahs.push(0);
                }
                ahs.truncate(1020);
                raw.ahs = Bytes::from(ahs);
                raw.set_lengths();
            }
            Mutation::Xor { at, mask } => {
                let at = usize::from(*at) % 48;
                raw.bhs[at] ^= mask;
            }
            Mutation::ReuseItt(k) => {
                if !n.itts.is_empty() {
                    let i = n.itts.len() - 1 - usize::from(*k) % n.itts.len();
                    put_u32(&mut raw.bhs, 16, n.itts[i]);
                }
            }
            Mutation::ReservedItt => put_u32(&mut raw.bhs, 16, ITT_RESERVED),
            Mutation::Immediate => raw.bhs[0] |= 0x40,
            Mutation::Truncate(t) => truncate = Some(*t as usize),
            Mutation::Trailing(t) => trailing = *t,
        }
    }
    if takes_cmd_sn && !cmd_sn_changed && raw.bhs[0] & 0x40 == 0 {
        n.cmd_sn = n.cmd_sn.wrapping_add(1);
    }
    let shown = raw.clone();
    for (at, v) in lies {
        raw.bhs[at] = v;
    }
    let mut bytes = raw.encode(digests);
    if let Some(t) = truncate {
        bytes.truncate(t);
    }
    bytes.extend(std::iter::repeat_n(0u8, usize::from(trailing)));
    (bytes, shown)
}

/// The TTT placeholder used when no tag is wanted.
pub const NO_TTT: u32 = TTT_RESERVED;

//! What a fuzz case is: a [`Sequence`] of symbolic [`Step`]s, each a PDU
//! template plus field mutations, resolved against the session's real
//! numbers (CmdSN, ExpStatSN, the R2Ts the target sent) only when sent.
//! Sequences are what the corpus holds and what a reproducer file saves, so
//! a replay rebuilds the same PDUs from whatever the target answers then.

use bytes::Bytes;
use rtgt_proto::pdu::{
    DataOut, Isid, LoginRequest, LoginStage, LogoutReason, LogoutRequest, Lun, NopOut, Pdu, RawPdu,
    ScsiCommand, SnackRequest, SnackType, TaskAttribute, TaskManagementRequest, TextRequest,
    TmfFunction, ITT_RESERVED, TTT_RESERVED,
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
    Scsi {
        cdb: Vec<u8>,
        read: bool,
        write: bool,
        edtl: u32,
        imm_len: u32,
        final_bit: bool,
        attr: u8,
        lun_delta: u8,
    },
    /// Data-Out answering the `r2t`-th R2T received (modulo), shifted by
    /// `offset_delta` bytes; without an R2T, unsolicited data for `task`.
    DataOut {
        r2t: Option<u8>,
        task: TaskRef,
        ttt: u32,
        offset_delta: i32,
        len: u32,
        data_sn: u32,
        final_bit: bool,
    },
    Tmf {
        function: u8,
        task: TaskRef,
    },
    Text {
        pairs: Vec<(String, String)>,
        continue_bit: bool,
        final_bit: bool,
        ttt: u32,
    },
    Logout {
        reason: u8,
        cid: u16,
    },
    Snack {
        kind: u8,
        task: TaskRef,
        beg_run: u32,
        run_length: u32,
    },
    Login {
        csg: u8,
        nsg: u8,
        transit: bool,
        continue_bit: bool,
        version: (u8, u8),
        isid: [u8; 6],
        tsih: u16,
        pairs: Vec<(String, String)>,
    },
    /// Any opcode byte, with a random BHS and data.
    Other {
        opcode: u8,
        bhs: Vec<u8>,
        data_len: u16,
    },
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
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub max_cmd_sn: u32,
    pub lun: u16,
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

/// The typed PDU for `op`, with the session's numbers, and whether it took
/// a CmdSN.
fn typed(op: &Op, n: &mut Numbers) -> (Pdu, bool) {
    let lun = Lun::single_level(n.lun);
    let (cmd_sn, exp_stat_sn) = (n.cmd_sn, n.exp_stat_sn);
    match op {
        Op::Nop { ping, data_len } => {
            let itt = if *ping { n.itt() } else { ITT_RESERVED };
            let p = NopOut {
                immediate: !*ping,
                lun,
                itt,
                cmd_sn,
                exp_stat_sn,
                data: fill(usize::from(*data_len), itt),
                ..NopOut::default()
            };
            (p.into(), *ping)
        }
        Op::Scsi {
            cdb,
            read,
            write,
            edtl,
            imm_len,
            final_bit,
            attr,
            lun_delta,
        } => {
            let itt = n.itt();
            let mut p = ScsiCommand {
                final_bit: *final_bit,
                read: *read,
                write: *write,
                attr: TaskAttribute::from_raw(attr & 7),
                lun: Lun::single_level(n.lun.wrapping_add(u16::from(*lun_delta))),
                itt,
                expected_data_transfer_length: *edtl,
                cmd_sn,
                exp_stat_sn,
                data: fill(*imm_len as usize, itt),
                ..ScsiCommand::default()
            };
            p.set_cdb(cdb);
            n.commands.push((itt, cmd_sn, *edtl));
            (p.into(), true)
        }
        Op::DataOut {
            r2t,
            task,
            ttt,
            offset_delta,
            len,
            data_sn,
            final_bit,
        } => {
            let (itt, ttt, offset, len, data_sn) = match r2t {
                Some(i) if !n.r2ts.is_empty() => {
                    let r = n.r2ts[usize::from(*i) % n.r2ts.len()];
                    let len = if *len == 0 { r.3 } else { *len };
                    (
                        r.0,
                        r.1,
                        r.2.wrapping_add_signed(*offset_delta),
                        len,
                        *data_sn,
                    )
                }
                _ => {
                    let (itt, _) = n.task(*task);
                    (itt, *ttt, offset_delta.unsigned_abs(), *len, *data_sn)
                }
            };
            let p = DataOut {
                final_bit: *final_bit,
                lun,
                itt,
                ttt,
                exp_stat_sn,
                data_sn,
                buffer_offset: offset,
                data: fill(len.min(1 << 20) as usize, offset),
                ..DataOut::default()
            };
            (p.into(), false)
        }
        Op::Tmf { function, task } => {
            let (rtt, ref_cmd_sn) = n.task(*task);
            let p = TaskManagementRequest {
                function: TmfFunction::from_raw(function & 0x7f),
                lun,
                itt: n.itt(),
                referenced_task_tag: rtt,
                cmd_sn,
                exp_stat_sn,
                ref_cmd_sn,
                ..TaskManagementRequest::default()
            };
            (p.into(), false)
        }
        Op::Text {
            pairs,
            continue_bit,
            final_bit,
            ttt,
        } => {
            let p = TextRequest {
                final_bit: *final_bit,
                continue_bit: *continue_bit,
                itt: n.itt(),
                ttt: *ttt,
                cmd_sn,
                exp_stat_sn,
                data: text_data(pairs),
                ..TextRequest::default()
            };
            (p.into(), true)
        }
        Op::Logout { reason, cid } => {
            let p = LogoutRequest {
                reason: LogoutReason::from_raw(reason & 0x7f),
                itt: n.itt(),
                cid: *cid,
                cmd_sn,
                exp_stat_sn,
                ..LogoutRequest::default()
            };
            (p.into(), true)
        }
        Op::Snack {
            kind,
            task,
            beg_run,
            run_length,
        } => {
            let (itt, _) = n.task(*task);
            let p = SnackRequest {
                snack_type: SnackType::from_raw(kind & 0x0f),
                lun,
                itt,
                exp_stat_sn,
                beg_run: *beg_run,
                run_length: *run_length,
                ..SnackRequest::default()
            };
            (p.into(), false)
        }
        Op::Login {
            csg,
            nsg,
            transit,
            continue_bit,
            version,
            isid,
            tsih,
            pairs,
        } => {
            let p = LoginRequest {
                transit: *transit,
                continue_bit: *continue_bit,
                csg: stage(*csg),
                nsg: stage(*nsg),
                version_max: version.0,
                version_min: version.1,
                isid: Isid::from_bytes(*isid),
                tsih: *tsih,
                itt: n.itt(),
                cid: n.cid,
                cmd_sn,
                exp_stat_sn,
                data: text_data(pairs),
                ..LoginRequest::default()
            };
            (p.into(), false)
        }
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

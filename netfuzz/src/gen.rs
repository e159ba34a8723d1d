//! Generation and mutation of [`Sequence`]s: every initiator opcode, SCSI
//! commands with edge CDBs, Data-Out against real and made-up R2Ts, task
//! management during I/O, text negotiation, logout, login-phase cases, and
//! field mutations (CmdSN window, ExpStatSN, lying lengths, flags and
//! reserved bits, ITT reuse), each PDU cut into random TCP segments.

use crate::rng::Rng;
use crate::seq::{
    DataOutOp, LoginOp, Mutation, Op, ScsiOp, Sequence, SnackOp, Start, Step, TaskRef, TextOp,
    NO_TTT,
};

/// The longest sequence kept.
pub const MAX_STEPS: usize = 12;

/// SCSI opcodes worth aiming at (SPC-5, SBC-4), beside random ones.
const SCSI_OPS: &[u8] = &[
    0x00, 0x03, 0x04, 0x08, 0x0a, 0x12, 0x15, 0x16, 0x17, 0x1a, 0x1b, 0x1d, 0x1e, 0x25, 0x28, 0x2a,
    0x2e, 0x2f, 0x34, 0x35, 0x37, 0x3b, 0x3c, 0x41, 0x42, 0x4d, 0x55, 0x5a, 0x5e, 0x5f, 0x7f, 0x83,
    0x84, 0x88, 0x89, 0x8a, 0x8e, 0x8f, 0x91, 0x93, 0x9e, 0xa0, 0xa3, 0xa8, 0xaa,
];

/// Keys a Text Request may negotiate or ask (RFC 7143 §13), and junk.
const TEXT_KEYS: &[&str] = &[
    "SendTargets",
    "MaxRecvDataSegmentLength",
    "MaxBurstLength",
    "FirstBurstLength",
    "HeaderDigest",
    "DataDigest",
    "InitialR2T",
    "ImmediateData",
    "MaxOutstandingR2T",
    "ErrorRecoveryLevel",
    "TargetAlias",
    "InitiatorAlias",
    "TaskReporting",
    "X-com.example.fuzz",
    "MaxConnections",
    "DefaultTime2Wait",
    "AuthMethod",
    "CHAP_A",
    "CHAP_R",
    "TargetName",
];

const TEXT_VALUES: &[&str] = &[
    "All",
    "",
    "0",
    "1",
    "512",
    "16777215",
    "16777216",
    "4294967296",
    "Yes",
    "No",
    "CRC32C,None",
    "None",
    "Irrelevant",
    "Reject",
    "NotUnderstood",
    "0x00",
    "0xffffffffffffffffffffffff",
    "A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P",
];

fn cdb(r: &mut Rng) -> Vec<u8> {
    let op = if r.chance(1, 8) {
        r.u8()
    } else {
        r.pick(SCSI_OPS)
    };
    let len = match op >> 5 {
        0 => 6,
        1 | 2 => 10,
        4 => 16,
        5 => 12,
        _ if op == 0x7f => 8 + 4 * r.below(8),
        _ => 16,
    };
    let len = if r.chance(1, 10) {
        1 + r.below(32)
    } else {
        len
    };
    let mut c = vec![0u8; len];
    c[0] = op;
    // Service actions, LBAs, lengths: often edges, sometimes noise.
    for b in c.iter_mut().skip(1) {
        *b = match r.below(6) {
            0 | 1 => 0,
            2 => 0xff,
            3 => 1,
            _ => r.u8(),
        };
    }
    if op == 0x12 && len > 4 && r.chance(1, 2) {
        // INQUIRY: EVPD with a real page, a sane allocation length.
        c[1] = 1;
        c[2] = r.pick(&[0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xc0]);
        c[3] = 0;
        c[4] = 0xff;
    }
    c
}

fn scsi(r: &mut Rng) -> Op {
    let cdb = cdb(r);
    let op = cdb[0];
    let write_op = matches!(
        op,
        0x0a | 0x2a
            | 0xaa
            | 0x8a
            | 0x2e
            | 0x8e
            | 0x15
            | 0x55
            | 0x3b
            | 0x41
            | 0x93
            | 0x42
            | 0x5f
            | 0x89
            | 0x83
            | 0x1d
    );
    let (read, write) = match r.below(10) {
        0 => (true, true),
        1 => (false, false),
        2 => (!write_op, write_op),
        _ => (!write_op && op != 0x00, write_op),
    };
    let edtl = match r.below(6) {
        0 => 0,
        1 => r.edge_u32(),
        2 => 512,
        _ => 512 * (1 + r.below(128) as u32),
    };
    let imm_len = if write && r.chance(1, 2) {
        match r.below(4) {
            0 => edtl.min(65536),
            1 => 512,
            2 => r.below(9000) as u32,
            _ => edtl.min(8192),
        }
    } else {
        0
    };
    Op::Scsi(ScsiOp {
        cdb,
        read,
        write,
        edtl,
        imm_len,
        final_bit: imm_len >= edtl || r.chance(1, 3),
        attr: if r.chance(1, 6) { r.u8() } else { 1 },
        lun_delta: if r.chance(1, 10) { r.u8() } else { 0 },
    })
}

fn pairs(r: &mut Rng, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|_| {
            let k = if r.chance(1, 12) {
                "K".repeat(1 + r.below(80))
            } else {
                r.pick(TEXT_KEYS).to_owned()
            };
            let v = if r.chance(1, 12) {
                "v".repeat(r.below(9000))
            } else {
                r.pick(TEXT_VALUES).to_owned()
            };
            (k, v)
        })
        .collect()
}

fn task(r: &mut Rng) -> TaskRef {
    if r.chance(3, 4) {
        TaskRef::Recent(r.u8() % 4)
    } else {
        TaskRef::Tag(r.edge_u32())
    }
}

/// A full-feature-phase operation.
pub fn op(r: &mut Rng) -> Op {
    match r.below(20) {
        0 | 1 => Op::Nop {
            ping: r.chance(3, 4),
            data_len: if r.chance(1, 3) {
                r.below(9000) as u16
            } else {
                0
            },
        },
        2..=7 => scsi(r),
        8..=10 => Op::DataOut(DataOutOp {
            r2t: if r.chance(3, 4) { Some(r.u8()) } else { None },
            task: task(r),
            ttt: if r.chance(1, 2) { NO_TTT } else { r.edge_u32() },
            offset_delta: match r.below(4) {
                0 | 1 => 0,
                2 => r.pick(&[-512, -1, 1, 512, 1 << 20]),
                _ => r.u32() as i32,
            },
            len: match r.below(4) {
                0 | 1 => 0,
                2 => 512,
                _ => r.below(70000) as u32,
            },
            data_sn: if r.chance(3, 4) { 0 } else { r.edge_u32() },
            final_bit: r.chance(3, 4),
        }),
        11 | 12 => Op::Tmf {
            function: if r.chance(7, 8) {
                1 + r.below(8) as u8
            } else {
                r.u8()
            },
            task: task(r),
        },
        13 | 14 => {
            let n = 1 + r.below(4);
            Op::Text(TextOp {
                pairs: pairs(r, n),
                continue_bit: r.chance(1, 6),
                final_bit: r.chance(5, 6),
                ttt: if r.chance(5, 6) { NO_TTT } else { r.edge_u32() },
            })
        }
        15 => Op::Logout {
            reason: if r.chance(5, 6) {
                r.below(3) as u8
            } else {
                r.u8()
            },
            cid: if r.chance(5, 6) { 0 } else { r.u32() as u16 },
        },
        16 => Op::Snack(SnackOp {
            kind: r.below(5) as u8,
            task: task(r),
            beg_run: r.edge_u32(),
            run_length: r.edge_u32(),
        }),
        17 => login_op(r),
        _ => Op::Other {
            opcode: r.u8(),
            bhs: r.bytes(48),
            data_len: if r.chance(1, 2) {
                0
            } else {
                r.below(2048) as u16
            },
        },
    }
}

/// A Login Request, mostly well-formed, its stages, version and keys varied.
pub fn login_op(r: &mut Rng) -> Op {
    let mut pairs = vec![
        (
            "InitiatorName".to_owned(),
            crate::wire::INITIATOR_NAME.to_owned(),
        ),
        (
            "SessionType".to_owned(),
            r.pick(&["Normal", "Discovery", "Bogus"]).to_owned(),
        ),
        (
            "AuthMethod".to_owned(),
            r.pick(&["None", "CHAP", "CHAP,None", "KRB5"]).to_owned(),
        ),
    ];
    if r.chance(1, 4) {
        let k = r.below(pairs.len());
        pairs.remove(k);
    }
    let n = r.below(5);
    pairs.extend(self::pairs(r, n));
    if r.chance(1, 3) {
        pairs.push(("CHAP_A".into(), r.pick(&["5", "7", "6,5", "0"]).into()));
    }
    Op::Login(LoginOp {
        csg: if r.chance(3, 4) { 0 } else { r.u8() & 3 },
        nsg: if r.chance(3, 4) { 1 } else { r.u8() & 3 },
        transit: r.chance(3, 4),
        continue_bit: r.chance(1, 8),
        version: if r.chance(7, 8) {
            (0, 0)
        } else {
            (r.u8(), r.u8())
        },
        isid: if r.chance(3, 4) {
            [0x80, 0, 0x12, 0x34, 0, r.u8()]
        } else {
            let b = r.bytes(6);
            [b[0], b[1], b[2], b[3], b[4], b[5]]
        },
        tsih: if r.chance(7, 8) { 0 } else { r.u32() as u16 },
        pairs,
    })
}

/// A field mutation.
pub fn mutation(r: &mut Rng) -> Mutation {
    match r.below(12) {
        0 => Mutation::CmdSn(r.pick(&[-1i64, 1, 2, -2, 64, -(1 << 31), 1 << 31, 1 << 32])),
        1 => Mutation::CmdSnFromMax(r.pick(&[0, 1, 2, -1, 1 << 30])),
        2 => Mutation::ExpStatSn(r.pick(&[-1i64, 1, 2, 1 << 31, -(1 << 20)])),
        3 => {
            let any = r.u32() & 0xff_ffff;
            Mutation::Dsl(r.pick(&[0, 1, 3, 8192, 65536, 0xff_ffff, any]))
        }
        4 => Mutation::TotalAhs(r.u8()),
        5 => Mutation::Ahs {
            kind: r.pick(&[0, 1, 2, 0x3f, 0x40, 0xff]),
            len_field: r.pick(&[0, 1, 3, 4, 255, 1020, 0xffff]),
            body: r.below(300) as u16,
        },
        6 | 7 => {
            let any = r.u8() % 48;
            Mutation::Xor {
                at: r.pick(&[0, 1, 1, 2, 3, 4, 5, 8, 15, 20, 36, 40, 44, any]),
                mask: 1 << r.below(8),
            }
        }
        8 => Mutation::ReuseItt(r.u8() % 4),
        9 => Mutation::ReservedItt,
        10 => Mutation::Immediate,
        _ => {
            if r.chance(1, 2) {
                Mutation::Truncate(r.below(60) as u32)
            } else {
                Mutation::Trailing(r.pick(&[1, 3, 4, 47, 48, 49, 600]))
            }
        }
    }
}

/// Random cut points within `len` bytes (mostly none).
pub fn cuts(r: &mut Rng) -> Vec<u32> {
    if r.chance(2, 3) {
        return Vec::new();
    }
    let n = 1 + r.below(4);
    (0..n)
        .map(|_| {
            let any = r.below(600) as u32;
            r.pick(&[1u32, 4, 8, 20, 47, 48, 49, 52, any])
        })
        .collect()
}

fn step(r: &mut Rng, op: Op) -> Step {
    let n = if r.chance(1, 2) { 0 } else { 1 + r.below(3) };
    Step {
        op,
        muts: (0..n).map(|_| mutation(r)).collect(),
        cuts: cuts(r),
    }
}

/// A new sequence: most in full feature phase, some in the login phase.
pub fn sequence(r: &mut Rng) -> Sequence {
    if r.chance(1, 8) {
        let n = 1 + r.below(3);
        return Sequence {
            start: Start::Login,
            steps: (0..n)
                .map(|_| {
                    let op = login_op(r);
                    step(r, op)
                })
                .collect(),
        };
    }
    let n = 1 + r.below(6);
    let mut steps = Vec::new();
    for _ in 0..n {
        let op = op(r);
        // A write, then data for its R2T: the shape a target's R2T
        // bookkeeping sees most.
        let write = matches!(&op, Op::Scsi(c) if c.write);
        steps.push(step(r, op));
        if write && r.chance(1, 2) {
            let data = Op::DataOut(DataOutOp::for_r2t(0));
            steps.push(step(r, data));
        }
    }
    Sequence {
        start: Start::FullFeature,
        steps,
    }
}

/// A variation of a corpus sequence: a step replaced, inserted, removed,
/// re-mutated or re-cut, or a splice with `other`.
pub fn mutate(r: &mut Rng, s: &Sequence, other: &Sequence) -> Sequence {
    let mut s = s.clone();
    let rounds = 1 + r.below(3);
    for _ in 0..rounds {
        let len = s.steps.len();
        let i = r.below(len.max(1));
        let login = s.start == Start::Login;
        let fresh = |r: &mut Rng| if login { login_op(r) } else { op(r) };
        match r.below(7) {
            0 if len < MAX_STEPS => {
                let o = fresh(r);
                s.steps.insert(i.min(len), step(r, o));
            }
            1 if len > 1 => {
                s.steps.remove(i);
            }
            2 if len > 0 => s.steps[i].muts.push(mutation(r)),
            3 if len > 0 => s.steps[i].muts.clear(),
            4 if len > 0 => s.steps[i].cuts = cuts(r),
            5 if other.start == s.start && !other.steps.is_empty() => {
                let j = r.below(other.steps.len());
                s.steps.truncate(i + 1);
                s.steps.extend(other.steps[j..].iter().cloned());
            }
            _ if len > 0 => {
                let o = fresh(r);
                s.steps[i] = step(r, o);
            }
            _ => {}
        }
    }
    s.steps.truncate(MAX_STEPS);
    if s.steps.is_empty() {
        return sequence(r);
    }
    s
}

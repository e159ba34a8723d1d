//! Generation is reproducible from the seed, covers every initiator
//! opcode, and builds PDUs with the session's numbers.

use rtgt_fuzz_net::gen;
use rtgt_fuzz_net::rng::Rng;
use rtgt_fuzz_net::seq::{self, Mutation, Numbers, Op, Sequence, Step};
use rtgt_proto::pdu::Digests;
use std::collections::BTreeSet;

fn sequences(seed: u64, n: usize) -> Vec<Sequence> {
    let mut r = Rng::new(seed);
    let mut out: Vec<Sequence> = Vec::new();
    for _ in 0..n {
        let s = if out.is_empty() || r.chance(1, 2) {
            gen::sequence(&mut r)
        } else {
            let (a, b) = (r.below(out.len()), r.below(out.len()));
            gen::mutate(&mut r, &out[a], &out[b])
        };
        out.push(s);
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_sequences() {
    assert_eq!(sequences(42, 500), sequences(42, 500));
    assert_ne!(sequences(42, 50), sequences(43, 50));
}

#[test]
fn sequences_survive_the_reproducer_file() {
    for s in sequences(9, 300) {
        let json = serde_json::to_string(&s).expect("serialises");
        let back: Sequence = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, s);
        assert!(!s.steps.is_empty() && s.steps.len() <= gen::MAX_STEPS);
    }
}

#[test]
fn every_initiator_opcode_is_sent() {
    let mut opcodes = BTreeSet::new();
    for s in sequences(1, 2000) {
        let mut n = Numbers::default();
        for step in &s.steps {
            let (_, frame) = seq::build(step, &mut n, Digests::NONE);
            opcodes.insert(frame.bhs[0] & 0x3f);
        }
    }
    for op in [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10] {
        assert!(opcodes.contains(&op), "opcode {op:#04x} never sent");
    }
    assert!(opcodes.len() > 20, "few unassigned opcodes: {opcodes:?}");
}

fn scsi_step(muts: Vec<Mutation>) -> Step {
    Step {
        op: Op::Scsi(seq::ScsiOp {
            cdb: vec![0x00; 6],
            read: false,
            write: false,
            edtl: 0,
            imm_len: 0,
            final_bit: true,
            attr: 1,
            lun_delta: 0,
        }),
        muts,
        cuts: Vec::new(),
    }
}

#[test]
fn commands_take_cmd_sn_and_mutations_change_the_frame() {
    let mut n = Numbers {
        cmd_sn: 10,
        exp_stat_sn: 5,
        max_cmd_sn: 20,
        next_itt: 0x100,
        ..Numbers::default()
    };
    let (bytes, _) = seq::build(&scsi_step(Vec::new()), &mut n, Digests::NONE);
    assert_eq!(&bytes[24..32], &[0, 0, 0, 10, 0, 0, 0, 5]);
    assert_eq!(n.cmd_sn, 11, "a non-immediate command takes its CmdSN");
    assert_eq!(n.commands, vec![(0x100, 10, 0)]);

    // Outside the window: CmdSN past MaxCmdSN, and not taken.
    let (bytes, _) = seq::build(
        &scsi_step(vec![Mutation::CmdSnFromMax(1)]),
        &mut n,
        Digests::NONE,
    );
    assert_eq!(&bytes[24..28], &21u32.to_be_bytes());
    assert_eq!(n.cmd_sn, 11);

    // A DataSegmentLength that lies: the header says 4096, no data follows.
    let (bytes, shown) = seq::build(&scsi_step(vec![Mutation::Dsl(4096)]), &mut n, Digests::NONE);
    assert_eq!(&bytes[5..8], &[0, 0x10, 0]);
    assert_eq!(bytes.len(), 48);
    assert_eq!(
        shown.data_segment_length(),
        0,
        "the transcript shows the frame as built"
    );

    // ITT reuse takes an earlier command's tag.
    let (bytes, _) = seq::build(
        &scsi_step(vec![Mutation::ReuseItt(3)]),
        &mut n,
        Digests::NONE,
    );
    assert_eq!(&bytes[16..20], &0x100u32.to_be_bytes());
}

#[test]
fn data_out_answers_the_r2t_received() {
    let mut n = Numbers {
        r2ts: vec![(0x100, 0xabcd, 512, 1024, 0)],
        ..Numbers::default()
    };
    let step = Step {
        op: Op::DataOut(seq::DataOutOp::for_r2t(0)),
        muts: Vec::new(),
        cuts: vec![1, 47],
    };
    let (bytes, frame) = seq::build(&step, &mut n, Digests::NONE);
    assert_eq!(frame.itt(), 0x100);
    assert_eq!(&bytes[20..24], &0xabcdu32.to_be_bytes());
    assert_eq!(&bytes[40..44], &512u32.to_be_bytes());
    assert_eq!(bytes.len(), 48 + 1024);
}

//! Random workloads over the pair under random negotiation and read splits:
//! every read returns what a byte-array model says.

mod pair;

use pair::*;
use proptest::prelude::*;
use rtgt_proto::pdu::ScsiStatus;
use rtgt_target::SessionLimits;

/// Blocks the workload touches (the first 256 KiB of the disk).
const SPAN: u64 = 512;

/// A command in flight: its task, LBA, blocks, and whether it writes.
type InFlight = (rtgt_initiator::TaskHandle, u64, u32, bool);

#[derive(Debug, Clone)]
enum Op {
    Write { lba: u64, blocks: u32, seed: u8 },
    Read { lba: u64, blocks: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    (0..SPAN, 1u32..=64, any::<u8>(), any::<bool>()).prop_map(|(lba, blocks, seed, w)| {
        let blocks = blocks.min((SPAN - lba) as u32).max(1);
        if w {
            Op::Write { lba, blocks, seed }
        } else {
            Op::Read { lba, blocks }
        }
    })
}

#[derive(Debug, Clone)]
struct Settings {
    mrdsl_ini: u32,
    mrdsl_tgt: u32,
    first_burst: u32,
    max_burst: u32,
    initial_r2t: bool,
    immediate: bool,
    max_r2t: u16,
    split_in: usize,
    split_out: usize,
    digests: bool,
    seed: u64,
}

fn settings() -> impl Strategy<Value = Settings> {
    let seg = prop_oneof![
        Just(512u32),
        Just(1024),
        Just(4096),
        Just(8192),
        Just(65536)
    ];
    (
        (seg.clone(), seg.clone(), seg.clone(), seg),
        (any::<bool>(), any::<bool>(), 1u16..=4),
        (1usize..=64, 1usize..=64, any::<bool>(), any::<u64>()),
    )
        .prop_map(
            |((a, b, c, d), (r2t, imm, mr), (si, so, dg, seed))| Settings {
                mrdsl_ini: a,
                mrdsl_tgt: b,
                first_burst: c.min(d),
                max_burst: d,
                initial_r2t: r2t,
                immediate: imm,
                max_r2t: mr,
                split_in: si,
                split_out: so,
                digests: dg,
                seed,
            },
        )
}

fn run(s: &Settings, ops: &[Op]) {
    let mut cfg = one_target();
    cfg.targets[0].session = SessionLimits {
        max_recv_data_segment_length: s.mrdsl_tgt,
        initial_r2t: false,
        max_outstanding_r2t: 4,
        queue_depth: 4,
        ..SessionLimits::default()
    };
    let mut p = Pair::seeded(cfg, s.seed);
    let yn = |b: bool| if b { "Yes" } else { "No" };
    let dg = if s.digests { "CRC32C" } else { "None" };
    let l = p.login(normal_with(&[
        ("MaxRecvDataSegmentLength", &s.mrdsl_ini.to_string()),
        ("FirstBurstLength", &s.first_burst.to_string()),
        ("MaxBurstLength", &s.max_burst.to_string()),
        ("InitialR2T", yn(s.initial_r2t)),
        ("ImmediateData", yn(s.immediate)),
        ("MaxOutstandingR2T", &s.max_r2t.to_string()),
        ("HeaderDigest", dg),
        ("DataDigest", dg),
    ]));
    p.clear_ua(l);
    p.split(l, Dir::ToTarget, Split::Random { max: s.split_out });
    p.split(l, Dir::ToInitiator, Split::Random { max: s.split_in });
    let mut model = vec![0u8; SPAN as usize * BS];
    // Up to four commands in flight. SIMPLE tasks may complete in any
    // order (SAM-5 §8.6), so a command that overlaps a write in flight
    // (or a write that overlaps a read in flight) waits for them.
    let mut flight: Vec<InFlight> = Vec::new();
    let overlap = |a: u64, n: u32, b: u64, m: u32| a < b + u64::from(m) && b < a + u64::from(n);
    let drain = |p: &mut Pair, flight: &mut Vec<InFlight>, model: &[u8]| {
        p.run();
        for (t, lba, blocks, write) in flight.drain(..) {
            let r = p.result(l, t);
            assert_eq!(r.status, ScsiStatus::Good, "{r:?}");
            if !write {
                let at = lba as usize * BS;
                assert_eq!(r.data.as_ref(), &model[at..at + blocks as usize * BS]);
            }
        }
    };
    for op in ops {
        let (lba, blocks, write) = match *op {
            Op::Write { lba, blocks, .. } => (lba, blocks, true),
            Op::Read { lba, blocks } => (lba, blocks, false),
        };
        let clash = flight
            .iter()
            .any(|&(_, a, n, w)| (w || write) && overlap(a, n, lba, blocks));
        if clash || flight.len() == 4 {
            drain(&mut p, &mut flight, &model);
        }
        let t = match *op {
            Op::Write { lba, blocks, seed } => {
                let data = pattern(blocks as usize * BS, seed);
                let at = lba as usize * BS;
                model[at..at + data.len()].copy_from_slice(&data);
                p.submit(l, write_req(lba, &data))
            }
            Op::Read { lba, blocks } => p.submit(l, read_req(lba, blocks)),
        };
        flight.push((t, lba, blocks, write));
    }
    drain(&mut p, &mut flight, &model);
    let all = p.read(l, 0, SPAN as u32);
    assert!(
        all.as_ref() == model.as_slice(),
        "final contents differ from the model"
    );
    p.assert_clean();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_io_matches_the_model(s in settings(), ops in proptest::collection::vec(op(), 1..24)) {
        run(&s, &ops);
    }
}

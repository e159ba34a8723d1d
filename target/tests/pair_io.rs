//! Data transfer over the pair (RFC 7143 §4.2.5, §10.7, §11.7, §11.8):
//! reads in many Data-In, writes with immediate, unsolicited and solicited
//! data, several R2Ts in flight, large transfers, and more commands than the
//! CmdSN window holds.

mod pair;

use pair::*;
use rtgt_proto::pdu::{Opcode, Pdu, ScsiStatus};
use rtgt_target::SessionLimits;

/// A pair whose target accepts what `f` sets.
fn pair_with(f: impl FnOnce(&mut SessionLimits)) -> Pair {
    let mut cfg = one_target();
    f(&mut cfg.targets[0].session);
    Pair::new(cfg)
}

/// Logs in with `keys` and takes the unit attention.
fn ready(p: &mut Pair, keys: &[(&str, &str)]) -> usize {
    let l = p.login(normal_with(keys));
    p.clear_ua(l);
    l
}

#[test]
fn read_split_across_many_data_in_with_status_in_the_last() {
    let mut p = Pair::new(one_target());
    let l = ready(
        &mut p,
        &[
            ("MaxRecvDataSegmentLength", "4096"),
            ("MaxBurstLength", "16384"),
        ],
    );
    let data = pattern(64 << 10, 9);
    p.write(l, 100, &data);
    let m = p.mark();
    let r = p.exec_good(l, read_req(100, 128));
    assert_eq!(r.data.as_ref(), data.as_slice());
    assert!(
        r.status_in_data_in,
        "RFC 7143 §11.7.4: status may ride the last Data-In"
    );
    let ins: Vec<_> = p
        .pdus_since(m, l, Dir::ToInitiator)
        .into_iter()
        .filter_map(|p| match p {
            Pdu::DataIn(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ins.len(), 16);
    assert!(ins.iter().all(|d| d.data.len() == 4096));
    assert_eq!(
        ins.iter().filter(|d| d.final_bit).count(),
        4,
        "one F per 16 KiB burst"
    );
    assert!(ins.iter().enumerate().all(|(i, d)| d.data_sn == i as u32));
    assert!(ins.last().unwrap().status_present);
    assert_eq!(ins.iter().filter(|d| d.status_present).count(), 1);
    assert_eq!(
        p.count_since(m, l, Dir::ToInitiator, Opcode::ScsiResponse),
        0
    );
    p.assert_clean();
}

#[test]
fn read_with_random_splits_both_ways() {
    let mut p = Pair::seeded(one_target(), 77);
    let l = ready(&mut p, &[("MaxRecvDataSegmentLength", "1024")]);
    p.split(l, Dir::ToTarget, Split::Random { max: 5 });
    p.split(l, Dir::ToInitiator, Split::Random { max: 7 });
    let data = pattern(20 * BS, 4);
    p.write(l, 3, &data);
    assert_eq!(p.read(l, 3, 20).as_ref(), data.as_slice());
    p.split(l, Dir::ToInitiator, Split::Every(1));
    assert_eq!(p.read(l, 3, 20).as_ref(), data.as_slice());
    p.assert_clean();
}

/// Writes 64 KiB under InitialR2T/ImmediateData and counts the PDUs:
/// (immediate bytes, unsolicited Data-Out, R2Ts, Data-Out in all).
fn write_64k(initial_r2t: bool, immediate: bool) -> (usize, usize, usize, usize) {
    let mut p = pair_with(|s| {
        s.initial_r2t = false;
        s.max_recv_data_segment_length = 8192;
    });
    let yn = |b: bool| if b { "Yes" } else { "No" };
    let l = ready(
        &mut p,
        &[
            ("InitialR2T", yn(initial_r2t)),
            ("ImmediateData", yn(immediate)),
            ("FirstBurstLength", "16384"),
            ("MaxBurstLength", "32768"),
        ],
    );
    let params = p.params(l);
    assert_eq!(params.initial_r2t, initial_r2t);
    assert_eq!(params.immediate_data, immediate);
    assert_eq!(params.target_max_recv_data_segment_length, 8192);
    let data = pattern(64 << 10, 2);
    let m = p.mark();
    p.write(l, 40, &data);
    assert_eq!(p.disk_bytes(40 * 512, data.len()), data);
    let sent = p.pdus_since(m, l, Dir::ToTarget);
    let imm = sent
        .iter()
        .find_map(|p| match p {
            Pdu::ScsiCommand(c) => Some(c.data.len()),
            _ => None,
        })
        .unwrap();
    let unsolicited = sent
        .iter()
        .filter(|p| matches!(p, Pdu::DataOut(d) if d.ttt == u32::MAX))
        .count();
    let r2ts = p.count_since(m, l, Dir::ToInitiator, Opcode::ReadyToTransfer);
    let outs = p.count_since(m, l, Dir::ToTarget, Opcode::DataOut);
    assert!(sent.iter().all(|p| p.to_raw().data.len() <= 8192));
    p.assert_clean();
    (imm, unsolicited, r2ts, outs)
}

#[test]
fn write_at_each_initial_r2t_and_immediate_data() {
    // (InitialR2T, ImmediateData) and what the 64 KiB write sent:
    // (immediate bytes, unsolicited Data-Out, R2Ts, Data-Out).
    let cases = [
        // Everything solicited: two R2Ts of MaxBurstLength, 8 KiB segments.
        ((true, false), (0, 0, 2, 8)),
        // 8 KiB immediate (one segment), the rest in two R2Ts.
        ((true, true), (8192, 0, 2, 7)),
        // FirstBurstLength (16 KiB) unsolicited in two Data-Out, 48 KiB
        // solicited.
        ((false, false), (0, 2, 2, 8)),
        // 8 KiB immediate + 8 KiB unsolicited Data-Out = FirstBurstLength.
        ((false, true), (8192, 1, 2, 7)),
    ];
    for ((initial_r2t, immediate), want) in cases {
        assert_eq!(
            write_64k(initial_r2t, immediate),
            want,
            "InitialR2T={initial_r2t} ImmediateData={immediate}"
        );
    }
}

#[test]
fn writes_at_many_burst_and_segment_sizes() {
    let sizes = [1usize, 3, 16, 17, 64, 200];
    for (mrdsl, fbl, mbl) in [
        (512u32, 512u32, 512u32),
        (512, 1024, 4096),
        (4096, 4096, 8192),
        (8192, 65536, 65536),
        (65536, 8192, 262_144),
        (262_144, 65536, 1 << 20),
    ] {
        for (initial_r2t, imm) in [(true, false), (false, true)] {
            let mut p = pair_with(|s| {
                s.initial_r2t = false;
                s.max_recv_data_segment_length = mrdsl;
                s.max_burst_length = 1 << 20;
                s.first_burst_length = 1 << 20;
            });
            let (f, m) = (fbl.to_string(), mbl.to_string());
            let l = ready(
                &mut p,
                &[
                    ("InitialR2T", if initial_r2t { "Yes" } else { "No" }),
                    ("ImmediateData", if imm { "Yes" } else { "No" }),
                    ("FirstBurstLength", &f),
                    ("MaxBurstLength", &m),
                    ("MaxRecvDataSegmentLength", &mrdsl.to_string()),
                ],
            );
            let mut lba = 0u64;
            for (i, &blocks) in sizes.iter().enumerate() {
                let data = pattern(blocks * BS, i as u8);
                p.write(l, lba, &data);
                assert_eq!(
                    p.read(l, lba, blocks as u32).as_ref(),
                    data.as_slice(),
                    "mrdsl {mrdsl} fbl {fbl} mbl {mbl} r2t {initial_r2t} imm {imm} blocks {blocks}"
                );
                lba += blocks as u64;
            }
            p.assert_clean();
        }
    }
}

#[test]
fn several_r2ts_in_flight_with_max_outstanding_r2t_4() {
    let mut p = pair_with(|s| s.max_outstanding_r2t = 4);
    let l = ready(
        &mut p,
        &[
            ("MaxOutstandingR2T", "4"),
            ("MaxBurstLength", "8192"),
            ("ImmediateData", "No"),
        ],
    );
    assert_eq!(p.params(l).max_outstanding_r2t, 4);
    let data = pattern(64 << 10, 5);
    let m = p.mark();
    p.write(l, 0, &data);
    assert_eq!(p.disk_bytes(0, data.len()), data);
    // The target's first answer to the command is four R2Ts at once.
    let first_out = p.transcript[m..]
        .iter()
        .position(|f| matches!(f.pdu, Some(Pdu::DataOut(_))))
        .unwrap();
    let early = p.transcript[m..m + first_out]
        .iter()
        .filter(|f| matches!(f.pdu, Some(Pdu::ReadyToTransfer(_))))
        .count();
    assert_eq!(early, 4);
    assert_eq!(
        p.count_since(m, l, Dir::ToInitiator, Opcode::ReadyToTransfer),
        8
    );
    let sns: Vec<u32> = p
        .pdus_since(m, l, Dir::ToInitiator)
        .into_iter()
        .filter_map(|p| match p {
            Pdu::ReadyToTransfer(r) => Some(r.r2t_sn),
            _ => None,
        })
        .collect();
    assert_eq!(sns, (0..8).collect::<Vec<_>>());
    p.assert_clean();
}

#[test]
fn whole_disk_write_and_read_in_one_command_each() {
    let mut p = Pair::new(one_target());
    let l = ready(&mut p, &[]);
    let data = pattern(BLOCKS as usize * BS, 7);
    p.write(l, 0, &data);
    let back = p.read(l, 0, BLOCKS as u32);
    assert!(back.as_ref() == data.as_slice());
    p.assert_clean();
}

#[test]
fn many_commands_in_flight_past_the_cmdsn_window() {
    let mut p = pair_with(|s| s.queue_depth = 2);
    let l = ready(&mut p, &[]);
    let writes: Vec<_> = (0..24u64)
        .map(|i| p.submit(l, write_req(i * 2, &pattern(2 * BS, i as u8))))
        .collect();
    p.run();
    for t in writes {
        assert_eq!(p.result(l, t).status, ScsiStatus::Good);
    }
    let reads: Vec<_> = (0..24u64)
        .map(|i| p.submit(l, read_req(i * 2, 2)))
        .collect();
    p.run();
    for (i, t) in reads.into_iter().enumerate() {
        assert_eq!(
            p.result(l, t).data.as_ref(),
            pattern(2 * BS, i as u8).as_slice()
        );
    }
    let s = p.ini(l).session();
    assert_eq!(
        s.max_cmd_sn.wrapping_sub(s.exp_cmd_sn),
        1,
        "a window of two"
    );
    p.assert_clean();
}

#[test]
fn slow_disk_keeps_commands_outstanding_until_released() {
    let mut p = Pair::new(one_target());
    let l = ready(&mut p, &[]);
    p.hold_io = true;
    let tasks: Vec<_> = (0..6u64).map(|i| p.submit(l, read_req(i, 1))).collect();
    p.run();
    assert!(tasks.iter().all(|&t| p.outcome(l, t).is_none()));
    assert!(!p.held_io.is_empty());
    p.release_some(1);
    assert!(p.outcome(l, tasks[0]).is_some());
    p.release_io();
    assert!(tasks.iter().all(|&t| p.outcome(l, t).is_some()));
    p.assert_clean();
}

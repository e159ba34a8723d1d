//! Whole-run tests: determinism, calm runs pass, seeds that once found bugs.

use super::*;

/// Runs one seed with no broken variant active (in a `mutants` build every
/// variant compiled in is active until a thread selects).
fn run(seed: u64, opts: &Options) -> Outcome {
    #[cfg(feature = "mutants")]
    rtgt_proto::mutant::select(Some("none"));
    crate::run(seed, opts)
}

#[test]
fn same_seed_same_hash() {
    for seed in 0..6 {
        let a = run(seed, &Options::default());
        let b = run(seed, &Options::default());
        assert_eq!(a.hash, b.hash, "seed {seed}");
        assert_eq!(a.events, b.events);
        assert!(a.events > 0);
    }
    assert_ne!(
        run(1, &Options::default()).hash,
        run(2, &Options::default()).hash
    );
}

#[test]
fn calm_runs_pass() {
    let calm = Limits {
        net_faults: false,
        disk_faults: false,
        crashes: false,
        ..Limits::default()
    };
    for seed in 0..10 {
        let o = run(
            seed,
            &Options {
                limits: calm,
                ..Options::default()
            },
        );
        assert!(o.failures.is_empty(), "seed {seed}: {:?}", o.failures);
        assert!(o.stats.commands > 0);
    }
}

/// Every broken variant is caught within 200 seeds (`rtgt-sim --mutants
/// 200` in a release build is the fast way; CI runs that).
#[cfg(feature = "mutants")]
#[test]
fn every_broken_variant_is_caught() {
    for v in crate::mutants::VARIANTS {
        let found = crate::mutants::hunt(v.name, 200, 2);
        assert!(found.is_some(), "{} not caught in 200 seeds", v.name);
    }
    // The digest requirement itself catches a receiver that skips a check.
    let (_, f) = crate::mutants::hunt("broken-digest", 200, 2).unwrap_or_default();
    assert!(
        crate::mutants::checkers(&f).contains(&"digest detection"),
        "{f:?}"
    );
}

/// Seeds that found bugs in the cores; each must now pass.
#[test]
fn regression_seeds() {
    // 8 (calm): a LUN reset response ended tasks sent after it.
    let calm = Limits {
        net_faults: false,
        disk_faults: false,
        crashes: false,
        ..Limits::default()
    };
    let o = run(
        8,
        &Options {
            limits: calm,
            ..Options::default()
        },
    );
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    // 0, 1, 2: ExpDataSN of a write answered through R2Ts.
    for seed in [0, 1, 2] {
        let o = run(seed, &Options::default());
        assert!(o.failures.is_empty(), "seed {seed}: {:?}", o.failures);
    }
    // 3886 (--initiators 1 --no-crashes --no-disk-faults --no-tmf): a bit
    // flip in the immediate data of a WRITE; the command was rejected with
    // reason 0x02 and never sent again, so its CmdSN stayed a gap and every
    // later command waited behind it (RFC 7143 §7.3).
    let one_net_faults_only = Limits {
        initiators: 1,
        crashes: false,
        disk_faults: false,
        tmf: false,
        ..Limits::default()
    };
    let o = run(
        3886,
        &Options {
            limits: one_net_faults_only,
            trace: true,
            ..Options::default()
        },
    );
    assert!(o.failures.is_empty(), "seed 3886: {:?}", o.failures);
    assert!(
        o.trace
            .iter()
            .any(|l| l.contains("Rejected { reason: DataDigestError")),
        "seed 3886 no longer has a command rejected for a data digest error"
    );
    let o = run(3886, &Options::default());
    assert!(o.failures.is_empty(), "seed 3886: {:?}", o.failures);
    // 41084: a flip of TotalAHSLength made the target read the next PDUs
    // as that PDU's AHS; a second flip among those bytes was owed a digest
    // error of its own, which no receiver can report (the checker's error).
    let o = run(41084, &Options::default());
    assert!(o.failures.is_empty(), "seed 41084: {:?}", o.failures);
}

/// Event-level shrinking's `--keep`: keeping every event that happened
/// replays the run exactly; keeping none leaves no fault and no operation.
#[test]
fn keep_lists_replay() {
    use crate::shrink::{format_keep, parse_keep, Item};
    use std::collections::BTreeSet;
    let log = Options {
        log_items: true,
        ..Options::default()
    };
    let o = run(42, &log);
    assert!(o.items.iter().any(|(i, _)| matches!(i, Item::Op(..))));
    let all: Vec<Item> = o.items.iter().map(|x| x.0).collect();
    let keep = parse_keep(&format_keep(&all)).unwrap();
    assert_eq!(keep.len(), all.len());
    let again = run(
        42,
        &Options {
            keep: Some(keep),
            ..Options::default()
        },
    );
    assert_eq!(again.hash, o.hash);
    assert_eq!(run(42, &Options::default()).hash, o.hash);
    let none = run(
        42,
        &Options {
            keep: Some(parse_keep("none").unwrap()),
            ..Options::default()
        },
    );
    assert!(none.failures.is_empty(), "{:?}", none.failures);
    assert_eq!(none.stats.commands, 0);
    assert_eq!(none.stats.flips + none.stats.resets, 0);
    assert!(parse_keep("tc0,ic1,le2,pa3,f4,d5,o1.5").is_ok());
    // Disk faults are events too, and dropping them all leaves none.
    let seed = (0..40)
        .find(|&s| {
            run(s, &log)
                .items
                .iter()
                .any(|(i, _)| matches!(i, Item::DiskFault(_)))
        })
        .expect("a seed with a disk fault");
    let o = run(seed, &log);
    let no_disk: BTreeSet<Item> = o
        .items
        .iter()
        .map(|x| x.0)
        .filter(|i| !matches!(i, Item::DiskFault(_)))
        .collect();
    let o2 = run(
        seed,
        &Options {
            keep: Some(no_disk),
            log_items: true,
            ..Options::default()
        },
    );
    assert!(!o2
        .items
        .iter()
        .any(|(i, _)| matches!(i, Item::DiskFault(_))));
    assert!(parse_keep("x1").is_err());
}

/// The reservation, unit attention and CHAP workloads run and are judged:
/// over a few seeds, writes meet a known reservation holder, unit
/// attentions are reported and wrong CHAP secrets are refused.
#[test]
fn reservations_unit_attentions_and_chap_are_exercised() {
    let (mut pr, mut ua, mut chap) = (0, 0, 0);
    for seed in 0..20 {
        let o = run(seed, &Options::default());
        assert!(o.failures.is_empty(), "seed {seed}: {:?}", o.failures);
        pr += o.stats.reservation_checks;
        ua += o.stats.unit_attentions;
        chap += o.stats.chap_refusals;
    }
    assert!(pr > 100 && ua > 20 && chap > 0, "{pr} {ua} {chap}");
}

/// A short soak with more initiators than a seed picks passes and stays
/// deterministic.
#[test]
fn a_soak_runs_long_and_passes() {
    let soak = Options {
        soak: Some(crate::Soak {
            faulty: std::time::Duration::from_secs(300),
            initiators: Some(6),
        }),
        ..Options::default()
    };
    let o = run(1, &soak);
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    assert!(o.sim_time.as_secs() >= 300);
    assert_eq!(o.params.initiators, 6);
    assert_eq!(run(1, &soak).hash, o.hash);
}

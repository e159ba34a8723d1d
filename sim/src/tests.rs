//! Whole-run tests: determinism, calm runs pass, seeds that once found bugs.

use super::*;

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

/// The first seed below `n` whose run fails with `what` in a failure.
#[cfg(any(
    feature = "broken-fua",
    feature = "broken-datasn",
    feature = "broken-abort"
))]
fn first_failing(n: u64, what: &str) -> Option<u64> {
    (0..n).find(|&s| {
        run(s, &Options::default())
            .failures
            .iter()
            .any(|f| f.contains(what))
    })
}

#[cfg(feature = "broken-fua")]
#[test]
fn broken_fua_is_caught() {
    // FUA writes acknowledged before durable: a crash loses them.
    let seed = first_failing(100, "a durable write was lost at a crash");
    assert!(seed.is_some(), "broken-fua not caught in 100 seeds");
}

#[cfg(feature = "broken-datasn")]
#[test]
fn broken_datasn_is_caught() {
    let seed = first_failing(50, "DataSn");
    assert!(seed.is_some(), "broken-datasn not caught in 50 seeds");
}

#[cfg(feature = "broken-abort")]
#[test]
fn broken_abort_is_caught() {
    let seed = first_failing(100, "UnknownItt");
    assert!(seed.is_some(), "broken-abort not caught in 100 seeds");
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
}

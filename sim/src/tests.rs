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

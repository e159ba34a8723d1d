//! The mutation score: the deliberately broken variants of the cores, each
//! a plausible real bug behind its own `broken-*` feature, and the hunt for
//! the first seed whose run catches one. With the `mutants` feature every
//! variant is built in and [`hunt`] selects one per thread
//! (`rtgt_proto::mutant::select`); `rtgt-sim --mutants 200` hunts each.

/// One broken variant.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// Its feature (and the name `rtgt_proto::mutant::on` takes).
    pub name: &'static str,
    /// The bug it plants.
    pub bug: &'static str,
}

/// Every broken variant, by the crate it breaks.
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "broken-fua",
        bug: "rtgt-scsi: a FUA write acknowledged before it is durable",
    },
    Variant {
        name: "broken-flush",
        bug: "rtgt-scsi: SYNCHRONIZE CACHE answered GOOD without flushing",
    },
    Variant {
        name: "broken-caw",
        bug: "rtgt-scsi: COMPARE AND WRITE writes despite a miscompare",
    },
    Variant {
        name: "broken-torn",
        bug: "rtgt-scsi: a write that failed part way (torn) reported done",
    },
    Variant {
        name: "broken-unmap",
        bug: "rtgt-scsi: UNMAP answered GOOD, the blocks keep their data (LBPRZ broken)",
    },
    Variant {
        name: "broken-lun-reset",
        bug: "rtgt-scsi: LOGICAL UNIT RESET spares the newest task",
    },
    Variant {
        name: "broken-caw-fence",
        bug: "rtgt-scsi: COMPARE AND WRITE not fenced, a write runs between its compare and its write",
    },
    Variant {
        name: "broken-caw-miscompare",
        bug: "rtgt-scsi: COMPARE AND WRITE writes, then answers MISCOMPARE",
    },
    Variant {
        name: "broken-datasn",
        bug: "rtgt-target-core: DataSN of Data-In reused",
    },
    Variant {
        name: "broken-abort",
        bug: "rtgt-target-core: ABORT TASK answered while the task still runs",
    },
    Variant {
        name: "broken-statsn",
        bug: "rtgt-target-core: a NOP-In answer reuses the next response's StatSN",
    },
    Variant {
        name: "broken-cmdsn",
        bug: "rtgt-target-core: an immediate command advances ExpCmdSN",
    },
    Variant {
        name: "broken-r2t",
        bug: "rtgt-target-core: a write executed and acknowledged after its first R2T burst",
    },
    Variant {
        name: "broken-digest",
        bug: "rtgt-proto: the data digest of the last PDU of a sequence not checked",
    },
    Variant {
        name: "broken-pr-conflict",
        bug: "rtgt-scsi: a write from a nexus that does not hold the Write Exclusive reservation let through",
    },
    Variant {
        name: "broken-pr-preempt",
        bug: "rtgt-scsi: PREEMPT of the holder's key leaves the reservation with the preempted holder",
    },
    Variant {
        name: "broken-ua",
        bug: "rtgt-scsi: BUS DEVICE RESET FUNCTION OCCURRED reported and not cleared (reported twice)",
    },
    Variant {
        name: "broken-ua-lost",
        bug: "rtgt-scsi: LOGICAL UNIT RESET establishes its unit attention only for the nexus that asked",
    },
    Variant {
        name: "broken-chap",
        bug: "rtgt-target-core: a CHAP response that does not verify accepted",
    },
];

/// The checker a failure message comes from.
pub fn checker_of(failure: &str) -> &'static str {
    let rules: [(&str, &str); 15] = [
        ("reservation:", "reservation"),
        ("unit attention:", "unit attention"),
        ("chap:", "chap"),
        ("a durable write was lost", "durability"),
        ("COMPARE AND WRITE atomicity", "caw atomicity"),
        ("COMPARE AND WRITE miscompare", "caw miscompare"),
        ("linearizability", "linearizability"),
        ("without a digest error", "digest detection"),
        ("read validity", "read validity"),
        ("COMPARE AND WRITE", "compare-and-write"),
        ("protocol violation", "protocol"),
        ("answered twice or never sent", "task accounting"),
        ("liveness", "liveness"),
        ("digests negotiated", "negotiation"),
        ("timer", "progress"),
    ];
    rules
        .iter()
        .find(|(k, _)| failure.contains(k))
        .map_or("other", |&(_, c)| c)
}

/// The checkers that fired in a failing run, in order, each once.
pub fn checkers(failures: &[String]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in failures {
        let c = checker_of(f);
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The smallest seed below `seeds` whose run fails with variant `name`
/// selected, with its failures; `jobs` threads share the seeds.
#[cfg(feature = "mutants")]
pub fn hunt(name: &'static str, seeds: u64, jobs: usize) -> Option<(u64, Vec<String>)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    let next = AtomicU64::new(0);
    let best: Mutex<Option<(u64, Vec<String>)>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                rtgt_proto::mutant::select(Some(name));
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    let found = best.lock().ok().and_then(|b| b.as_ref().map(|b| b.0));
                    if seed >= seeds || found.is_some_and(|f| f < seed) {
                        break;
                    }
                    let o = crate::run(seed, &crate::Options::default());
                    if !o.failures.is_empty() {
                        if let Ok(mut b) = best.lock() {
                            if b.as_ref().is_none_or(|b| seed < b.0) {
                                *b = Some((seed, o.failures));
                            }
                        }
                    }
                }
            });
        }
    });
    best.into_inner().ok().flatten()
}

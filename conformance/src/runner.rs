//! Running scenarios: each one's needs checked against the options, its body
//! run, and its outcome kept with the exchange that led to it; a whole
//! selection run on a pool of threads, in catalogue order in the results.

use crate::context::{Context, Target};
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// One scenario's result, with what the reports show of the scenario.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub id: &'static str,
    pub area: &'static str,
    pub clause: &'static str,
    pub level: Level,
    pub requirement: &'static str,
    pub outcome: Outcome,
    /// The PDU exchange, rendered (empty when the scenario passed).
    pub transcript: String,
    pub elapsed: Duration,
    /// Outcomes of earlier attempts that did not match the expectation
    /// (see [`rerun_mismatches`]); empty when the first attempt stands.
    pub earlier: Vec<Outcome>,
}

/// Why the options do not meet `needs`, if they do not.
pub fn unmet(needs: &Needs, target: &Target) -> Option<&'static str> {
    if (needs.chap || needs.chap_required) && target.chap.is_none() {
        return Some("needs an incoming CHAP account (--chap USER:SECRET)");
    }
    if needs.mutual_chap && target.mutual_chap.is_none() {
        return Some("needs the target's CHAP account for mutual CHAP (--mutual-chap USER:SECRET)");
    }
    if needs.second_initiator && target.initiator_name_2.is_none() {
        return Some("needs a second initiator name the target accepts (--initiator-name-2)");
    }
    if needs.destructive && !target.allow_destructive {
        return Some("writes outside the scratch range (--allow-destructive)");
    }
    None
}

/// How long one scenario may run before the runner gives up on it, unless
/// told otherwise: every wait of a scenario is bounded by the timeout or the
/// quiet time, so a scenario still running after this many of them is
/// stuck (a loop that a chatty target keeps feeding, say).
pub fn default_limit(target: &Target) -> Duration {
    (target.timeout * 12 + target.quiet * 12).max(Duration::from_secs(30))
}

/// Runs one scenario against the target, giving up after
/// [`default_limit`]. An error of the scenario's own machinery is reported
/// as a failure, with the error as what happened; so is a panic, so that one
/// broken scenario cannot stop a run.
pub fn run_scenario(scenario: &Scenario, target: &Target) -> ScenarioReport {
    run_scenario_within(scenario, target, default_limit(target))
}

/// As [`run_scenario`], giving up after `limit`: the scenario runs on a
/// thread of its own, which is abandoned (with its connections) when it
/// does not finish in time, and the scenario is reported as failed.
pub fn run_scenario_within(
    scenario: &Scenario,
    target: &Target,
    limit: Duration,
) -> ScenarioReport {
    let started = Instant::now();
    let report = |outcome, transcript| ScenarioReport {
        id: scenario.id,
        area: scenario.area(),
        clause: scenario.clause,
        level: scenario.level,
        requirement: scenario.requirement,
        outcome,
        transcript,
        elapsed: started.elapsed(),
        earlier: Vec::new(),
    };
    if let Some(reason) = unmet(&scenario.needs, target) {
        return report(Outcome::skip(reason), String::new());
    }
    let run = scenario.run;
    let slot = worker();
    let scenario_id = scenario.id;
    let mut ctx = Context::new(target.clone());
    let (done, finished) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(scenario.id.to_owned())
        .spawn(move || {
            WORKER.with(|w| w.set(slot));
            SCENARIO.with(|id| id.set(scenario_id));
            let outcome = match catch_unwind(AssertUnwindSafe(|| run(&mut ctx))) {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(error)) => error_outcome(&error),
                Err(panic) => Outcome::fail(
                    "the scenario to run to its end",
                    format!("the scenario panicked: {}", panic_message(&*panic)),
                ),
            };
            let transcript = match outcome {
                Outcome::Pass => String::new(),
                _ => ctx.transcript.render(),
            };
            let _ = done.send((outcome, transcript));
        });
    if let Err(error) = spawned {
        return report(
            Outcome::fail(
                "the scenario to run to its end",
                format!("could not start a thread for it: {error}"),
            ),
            String::new(),
        );
    }
    match finished.recv_timeout(limit) {
        Ok((outcome, transcript)) => report(outcome, transcript),
        Err(_) => report(
            Outcome::fail(
                format!("the scenario to finish within {limit:?}"),
                "it was still running (stuck waiting or looping); the suite gave up on it \
                 and left its connections open",
            ),
            String::new(),
        ),
    }
}

fn error_outcome(error: &ScenarioError) -> Outcome {
    Outcome::fail("the scenario to run to its end", error.to_string())
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_owned()
    }
}

thread_local! {
    static WORKER: Cell<u16> = const { Cell::new(0) };
    static SCENARIO: Cell<&'static str> = const { Cell::new("") };
}

/// The index of the worker thread running the current scenario (0 on the
/// calling thread, 1.. on the others).
pub fn worker() -> u16 {
    WORKER.with(Cell::get)
}

/// A number of the running scenario and its worker, the same in every
/// run: scenarios running at the same time log in with the same initiator
/// name, so their ISIDs must differ, or the target would take each login
/// for a reinstatement of the other's session (RFC 7143 §6.3.5). ISIDs are
/// built from it (`wire::isid`, the seed of `Driven`), so a scenario never
/// meets the sessions another one left behind, whatever ran before it.
pub fn session_seed() -> u64 {
    // FNV-1a over the scenario id, then the worker.
    let id = SCENARIO.with(Cell::get);
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash ^ (u64::from(worker()) << 56)
}

/// What a run tells whoever watches it, as it goes.
pub trait Observer: Sync {
    /// `scenario` started on some thread.
    fn started(&self, scenario: &Scenario);
    /// A scenario finished; `done` of `total` are finished now.
    fn finished(&self, report: &ScenarioReport, done: usize, total: usize);
}

/// An observer that says nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn started(&self, _: &Scenario) {}
    fn finished(&self, _: &ScenarioReport, _: usize, _: usize) {}
}

/// Runs `scenarios` against `target`: [`run_all_on`] with one portal.
pub fn run_all(
    scenarios: &[&'static Scenario],
    target: &Target,
    jobs: usize,
    limit: Duration,
    observer: &dyn Observer,
) -> Vec<ScenarioReport> {
    run_all_on(
        scenarios,
        std::slice::from_ref(target),
        jobs,
        limit,
        observer,
    )
}

/// Runs `scenarios` and returns the reports in the order of `scenarios`
/// whatever order they finished in: first those that may run side by side,
/// on `jobs` threads (at least one), then those that run alone
/// ([`crate::scenario::runs_alone`]), one at a time on each of `targets`.
/// `targets` are instances of one target set up alike, each with a LUN of
/// its own (`--replica`); worker N runs against `targets[N % len]`, so that
/// a LUN sees one scenario that runs alone at a time, and with `jobs` no
/// more than `targets` every instance sees one scenario at a time. Each
/// scenario runs on its own connections and within `limit`. No `targets`,
/// no reports.
pub fn run_all_on(
    scenarios: &[&'static Scenario],
    targets: &[Target],
    jobs: usize,
    limit: Duration,
    observer: &dyn Observer,
) -> Vec<ScenarioReport> {
    if targets.is_empty() {
        return Vec::new();
    }
    let total = scenarios.len();
    let (alone, side_by_side): (Vec<usize>, Vec<usize>) =
        (0..total).partition(|&i| crate::scenario::runs_alone(scenarios[i].id));
    let done = Mutex::new((0usize, Vec::<Option<ScenarioReport>>::new()));
    if let Ok(mut done) = done.lock() {
        done.1.resize(total, None);
    }
    let phase = |indices: &[usize], threads: usize| {
        let next = AtomicUsize::new(0);
        let worker = |slot: u16| loop {
            WORKER.with(|w| w.set(slot));
            let Some(&index) = indices.get(next.fetch_add(1, Ordering::SeqCst)) else {
                return;
            };
            let scenario = scenarios[index];
            let target = &targets[usize::from(slot) % targets.len()];
            observer.started(scenario);
            let report = run_scenario_within(scenario, target, limit);
            // A poisoned lock only means another observer call panicked;
            // the results themselves are still whole.
            let mut done = done.lock().unwrap_or_else(|poison| poison.into_inner());
            done.0 += 1;
            observer.finished(&report, done.0, total);
            done.1[index] = Some(report);
        };
        let threads = threads.clamp(1, indices.len().max(1));
        std::thread::scope(|scope| {
            for slot in 1..threads {
                let slot = u16::try_from(slot).unwrap_or(u16::MAX);
                scope.spawn(move || worker(slot));
            }
            worker(0);
        });
    };
    phase(&side_by_side, jobs);
    phase(&alone, targets.len());
    let (_, reports) = done
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    reports.into_iter().flatten().collect()
}

/// Called by scenarios before they touch state every session of the LUN
/// sees (the scratch range): an error unless the running scenario runs
/// alone, so a scenario missing from [`crate::scenario::runs_alone`] fails
/// in every run, not only in the unlucky ones with `--jobs`.
pub fn claim_lun(what: &str) -> Result<(), ScenarioError> {
    let id = SCENARIO.with(Cell::get);
    if crate::scenario::runs_alone(id) {
        return Ok(());
    }
    Err(ScenarioError::Setup(format!(
        "{id} uses {what} but runs side by side with other scenarios: \
         list it in scenario::runs_alone"
    )))
}

/// Runs again, one at a time and up to `retries` more times each, the
/// scenarios whose report `matches` rejects, and keeps the first attempt
/// that matches: a target whose answers depend on timing (a slow reply
/// near the timeout, say) then does not fail a CI gate at random, and the
/// report still shows the outcomes of the attempts that did not match, in
/// `earlier`. `reports` are in the order of `scenarios`. A scenario that
/// never matches keeps its last attempt.
pub fn rerun_mismatches(
    scenarios: &[&'static Scenario],
    reports: &mut [ScenarioReport],
    target: &Target,
    limit: Duration,
    retries: usize,
    matches: impl Fn(&ScenarioReport) -> bool,
) {
    for (scenario, report) in scenarios.iter().zip(reports.iter_mut()) {
        let mut earlier = Vec::new();
        for _ in 0..retries {
            if matches(report) {
                break;
            }
            earlier.push(report.outcome.clone());
            *report = run_scenario_within(scenario, target, limit);
        }
        if matches(report) {
            report.earlier = earlier;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Verdict;

    fn target() -> Target {
        Target {
            addr: "127.0.0.1:9".into(),
            iqn: "iqn.2024-01.org.rtgt:test".into(),
            lun: 0,
            initiator_name: "iqn.2024-01.org.rtgt:suite".into(),
            initiator_name_2: None,
            moved_iqn: None,
            async_command: None,
            chap: None,
            mutual_chap: None,
            allow_destructive: false,
            scratch_lba: 2048,
            scratch_blocks: 16,
            timeout: Duration::from_millis(100),
            quiet: Duration::from_millis(10),
        }
    }

    const LIMIT: Duration = Duration::from_secs(10);

    fn pass(_: &mut Context) -> Verdict {
        std::thread::sleep(Duration::from_millis(5));
        Ok(Outcome::Pass)
    }

    fn fail(ctx: &mut Context) -> Verdict {
        ctx.transcript.note("sent something");
        Ok(Outcome::fail("one thing", "another"))
    }

    fn broken(_: &mut Context) -> Verdict {
        panic!("index out of range")
    }

    fn setup_error(_: &mut Context) -> Verdict {
        Err(ScenarioError::Setup("no LUN".into()))
    }

    const fn scenario(
        id: &'static str,
        needs: Needs,
        run: fn(&mut Context) -> Verdict,
    ) -> Scenario {
        Scenario {
            id,
            clause: "RFC 7143 §1",
            level: Level::Must,
            requirement: "test",
            needs,
            run,
        }
    }

    const CHAP: Needs = Needs {
        chap: true,
        ..Needs::NONE
    };

    const SET: &[Scenario] = &[
        scenario("iscsi.test.pass-1", Needs::NONE, pass),
        scenario("iscsi.test.fail", Needs::NONE, fail),
        scenario("iscsi.test.panic", Needs::NONE, broken),
        scenario("iscsi.test.setup", Needs::NONE, setup_error),
        scenario("iscsi.test.chap", CHAP, pass),
        scenario("iscsi.test.pass-2", Needs::NONE, pass),
    ];

    #[test]
    fn reports_keep_catalogue_order_on_several_threads() {
        let all: Vec<&'static Scenario> = SET.iter().collect();
        for jobs in [0, 1, 3, 64] {
            let reports = run_all(&all, &target(), jobs, LIMIT, &Silent);
            let ids: Vec<_> = reports.iter().map(|r| r.id).collect();
            assert_eq!(ids, SET.iter().map(|s| s.id).collect::<Vec<_>>());
            let labels: Vec<_> = reports.iter().map(|r| r.outcome.label()).collect();
            assert_eq!(labels, ["pass", "fail", "fail", "fail", "skip", "pass"]);
        }
    }

    #[test]
    fn failures_keep_the_transcript_and_errors_say_what_happened() {
        let all: Vec<&'static Scenario> = SET.iter().collect();
        let reports = run_all(&all, &target(), 2, LIMIT, &Silent);
        assert!(reports[0].transcript.is_empty());
        assert_eq!(reports[1].transcript, "-- sent something\n");
        assert_eq!(
            reports[2].outcome,
            Outcome::fail(
                "the scenario to run to its end",
                "the scenario panicked: index out of range"
            )
        );
        assert_eq!(
            reports[3].outcome,
            Outcome::fail("the scenario to run to its end", "no LUN")
        );
        assert_eq!(
            reports[4].outcome,
            Outcome::skip("needs an incoming CHAP account (--chap USER:SECRET)")
        );
        assert_eq!(reports[4].area, "test");
    }

    /// The worker and the portal of each run of [`record_worker`].
    static SEEN: Mutex<Vec<(u16, String)>> = Mutex::new(Vec::new());

    fn record_worker(ctx: &mut Context) -> Verdict {
        let seen = (worker(), ctx.target.addr.clone());
        SEEN.lock().unwrap().push(seen);
        std::thread::sleep(Duration::from_millis(30));
        Ok(Outcome::Pass)
    }

    /// Takes out of [`SEEN`] the runs against `portals`, so that tests on
    /// other portals do not see them.
    fn seen(portals: &[&str]) -> Vec<(u16, String)> {
        let mut seen = SEEN.lock().unwrap();
        let (mine, others) = seen
            .drain(..)
            .partition(|(_, addr)| portals.contains(&addr.as_str()));
        *seen = others;
        mine
    }

    /// Four that run side by side, then three that run alone.
    const RECORDERS: &[Scenario] = &[
        scenario("iscsi.test.w1", Needs::NONE, record_worker),
        scenario("iscsi.test.w2", Needs::NONE, record_worker),
        scenario("iscsi.test.w3", Needs::NONE, record_worker),
        scenario("iscsi.test.w4", Needs::NONE, record_worker),
        scenario("scsi.test.w5", Needs::NONE, record_worker),
        scenario("scsi.test.w6", Needs::NONE, record_worker),
        scenario("scsi.test.w7", Needs::NONE, record_worker),
    ];

    #[test]
    fn each_worker_has_its_own_slot() {
        let all: Vec<&'static Scenario> = RECORDERS[..4].iter().collect();
        let slots = || -> Vec<u16> { seen(&["127.0.0.1:9"]).into_iter().map(|s| s.0).collect() };
        run_all(&all, &target(), 1, LIMIT, &Silent);
        assert_eq!(slots(), [0, 0, 0, 0]);
        run_all(&all, &target(), 3, LIMIT, &Silent);
        let slots = slots();
        assert_eq!(slots.len(), 4);
        assert!(slots.iter().all(|&slot| slot < 3), "{slots:?}");
        assert_eq!(worker(), 0, "the calling thread is slot 0 again");
    }

    #[test]
    fn each_worker_runs_against_its_replica_and_those_that_run_alone_spread() {
        let all: Vec<&'static Scenario> = RECORDERS.iter().collect();
        let portals = ["127.0.0.1:1", "127.0.0.1:2"];
        let targets: Vec<Target> = portals
            .map(|addr| Target {
                addr: addr.into(),
                ..target()
            })
            .into();
        assert_eq!(run_all_on(&all, &targets, 2, LIMIT, &Silent).len(), 7);
        let seen = seen(&portals);
        assert_eq!(seen.len(), 7);
        for (slot, addr) in &seen {
            assert_eq!(addr, portals[usize::from(*slot) % 2], "{seen:?}");
        }
        // The three that run alone ran after the others, on both portals.
        let alone: std::collections::BTreeSet<_> = seen[4..].iter().map(|(_, a)| a).collect();
        assert_eq!(alone.len(), 2, "{seen:?}");
        assert!(run_all_on(&all, &[], 2, LIMIT, &Silent).is_empty());
    }

    static ORDER: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

    fn record_order(_: &mut Context) -> Verdict {
        let id = SCENARIO.with(Cell::get);
        ORDER.lock().unwrap().push(id);
        // Only scenarios that run alone may claim the LUN.
        Ok(match claim_lun("the scratch range") {
            Ok(()) => Outcome::Pass,
            Err(e) => Outcome::fail("the claim granted", e.to_string()),
        })
    }

    const MIXED: &[Scenario] = &[
        scenario("scsi.test.alone-1", Needs::NONE, record_order),
        scenario("iscsi.test.side-1", Needs::NONE, record_order),
        scenario("iscsi.tmf.alone-2", Needs::NONE, record_order),
        scenario("iscsi.test.side-2", Needs::NONE, record_order),
    ];

    #[test]
    fn scenarios_that_run_alone_run_after_the_others_and_only_they_claim_the_lun() {
        let all: Vec<&'static Scenario> = MIXED.iter().collect();
        let reports = run_all(&all, &target(), 3, LIMIT, &Silent);
        let ids: Vec<_> = reports.iter().map(|r| r.id).collect();
        assert_eq!(ids, MIXED.iter().map(|s| s.id).collect::<Vec<_>>());
        let order = ORDER.lock().unwrap().clone();
        assert_eq!(order.len(), 4);
        assert_eq!(
            order[2..],
            ["scsi.test.alone-1", "iscsi.tmf.alone-2"],
            "{order:?}"
        );
        let labels: Vec<_> = reports.iter().map(|r| r.outcome.label()).collect();
        assert_eq!(labels, ["pass", "fail", "pass", "fail"]);
    }

    fn stuck(_: &mut Context) -> Verdict {
        std::thread::sleep(Duration::from_millis(500));
        Ok(Outcome::Pass)
    }

    #[test]
    fn a_stuck_scenario_is_abandoned_as_a_failure() {
        let slow = scenario("iscsi.test.stuck", Needs::NONE, stuck);
        let report = run_scenario_within(&slow, &target(), Duration::from_millis(50));
        assert!(
            matches!(&report.outcome, Outcome::Fail { expected, .. }
                if expected == "the scenario to finish within 50ms"),
            "{:?}",
            report.outcome
        );
        assert!(report.elapsed < Duration::from_millis(450));
        assert_eq!(default_limit(&target()), Duration::from_secs(30));
    }

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Fails on its first run, passes on the next ones.
    fn fails_once(_: &mut Context) -> Verdict {
        if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(Outcome::fail("an answer", "a timeout"));
        }
        Ok(Outcome::Pass)
    }

    const FLAKY_SET: &[Scenario] = &[
        scenario("iscsi.test.flaky", Needs::NONE, fails_once),
        scenario("iscsi.test.fail", Needs::NONE, fail),
        scenario("iscsi.test.pass", Needs::NONE, pass),
    ];

    #[test]
    fn mismatches_are_run_again_and_keep_their_earlier_outcomes() {
        let all: Vec<&'static Scenario> = FLAKY_SET.iter().collect();
        let passed = |r: &ScenarioReport| r.outcome == Outcome::Pass;
        let mut reports = run_all(&all, &target(), 1, LIMIT, &Silent);
        rerun_mismatches(&all, &mut reports, &target(), LIMIT, 0, passed);
        assert_eq!(reports[0].outcome.label(), "fail", "no retries asked");
        rerun_mismatches(&all, &mut reports, &target(), LIMIT, 2, passed);
        assert_eq!(reports[0].outcome, Outcome::Pass);
        assert_eq!(
            reports[0].earlier,
            [Outcome::fail("an answer", "a timeout")]
        );
        assert_eq!(reports[1].outcome.label(), "fail", "a steady failure stays");
        assert!(reports[1].earlier.is_empty());
        assert!(reports[2].earlier.is_empty());
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    }

    #[derive(Default)]
    struct Count(Mutex<Vec<(usize, usize)>>);

    impl Observer for Count {
        fn started(&self, _: &Scenario) {}
        fn finished(&self, _: &ScenarioReport, done: usize, total: usize) {
            self.0.lock().unwrap().push((done, total));
        }
    }

    #[test]
    fn the_observer_sees_every_scenario_finish_once() {
        let all: Vec<&'static Scenario> = SET.iter().collect();
        let count = Count::default();
        run_all(&all, &target(), 4, LIMIT, &count);
        let seen = count.0.into_inner().unwrap();
        assert_eq!(seen, (1..=6).map(|done| (done, 6)).collect::<Vec<_>>());
    }
}

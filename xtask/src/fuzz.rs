//! `cargo xtask fuzz <target> [--time SECONDS]` and `cargo xtask fuzz --all`:
//! libFuzzer campaigns through cargo-fuzz. The target bodies live in their
//! crates behind a `fuzzing` feature (`rtgt_proto::fuzzing`,
//! `rtgt_scsi::fuzzing`, `rtgt_target_core::fuzzing`,
//! `rtgt_initiator_core::fuzzing`, `rtgt_sim::fuzzing`,
//! `rtgt_target::fuzzing`).
//!
//! With a nightly toolchain installed the campaign runs under the address
//! sanitizer; on stable it runs without one (`-s none`). New inputs go to a
//! scratch corpus under build/, the committed seeds in fuzz/corpus/ are read
//! only, and crashes land in fuzz/artifacts/<target>/, where `cargo xtask
//! test` replays them once committed ([`replay_committed`]).

use crate::cmd::{cargo, command_line, run_shown, workspace_root};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The fuzz targets of fuzz/fuzz_targets/, in the order `--all` runs them.
pub const TARGETS: &[&str] = &[
    "pdu_stream",
    "text_kv",
    "chap",
    "cdb",
    "scsi_data",
    "isns",
    "target_session",
    "initiator_rx",
    "scsi_disk",
    "sim_tape",
    "config",
    "admin_request",
    "targets_conf",
];

/// How long CI runs each target.
const CI_SECONDS: u64 = 20;

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Fuzz target (one of the possible values), or none with --all
    #[arg(
        value_parser = clap::builder::PossibleValuesParser::new(TARGETS),
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    target: Option<String>,
    /// Run every target in turn, then print a table
    #[arg(long)]
    all: bool,
    /// Length of each campaign in seconds
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// Run on stable without a sanitizer even when nightly is installed
    #[arg(long)]
    no_sanitizer: bool,
}

fn nightly_installed() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.starts_with("nightly"))
        })
        .unwrap_or(false)
}

fn ensure_cargo_fuzz() -> Result<()> {
    let present = cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !present {
        println!("fuzz: cargo-fuzz is missing, installing it");
        run_shown(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// What libFuzzer reports on its status lines
/// (`#N INITED cov: C ft: F corp: K/S exec/s: E`).
#[derive(Debug, Default)]
struct Progress {
    initial_coverage: Option<u64>,
    coverage: Option<u64>,
    corpus: Option<u64>,
    executions: Option<u64>,
    execs_per_second: Option<u64>,
    /// Where libFuzzer wrote each input that failed.
    artifacts: Vec<String>,
}

impl Progress {
    fn observe(&mut self, line: &str) {
        if let Some((_, path)) = line.split_once("Test unit written to ") {
            self.artifacts.push(path.trim().to_owned());
        }
        let Some(rest) = line.strip_prefix('#') else {
            return;
        };
        let mut words = rest.split_whitespace();
        let Some(count) = words.next().and_then(|w| w.parse().ok()) else {
            return;
        };
        let event = words.next().unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let value = |name: &str| {
            fields
                .windows(2)
                .find(|pair| pair[0] == name)
                // `corp: 12/345b` counts inputs before the slash.
                .and_then(|pair| pair[1].split('/').next()?.parse::<u64>().ok())
        };
        self.executions = Some(count);
        if let Some(cov) = value("cov:") {
            if event == "INITED" {
                self.initial_coverage = Some(cov);
            }
            self.coverage = Some(cov);
        }
        if let Some(corpus) = value("corp:") {
            self.corpus = Some(corpus);
        }
        if let Some(rate) = value("exec/s:") {
            self.execs_per_second = Some(rate);
        }
    }

    fn coverage_gained(&self) -> Option<u64> {
        Some(self.coverage?.saturating_sub(self.initial_coverage?))
    }
}

/// How a campaign ended.
#[derive(Debug)]
struct Campaign {
    target: String,
    progress: Progress,
    /// Whether cargo fuzz itself failed (a build error, say) without a crash.
    broken: bool,
}

/// Whether the campaigns run under the address sanitizer.
fn sanitized(args_no_sanitizer: bool) -> bool {
    nightly_installed() && !args_no_sanitizer
}

/// `cargo fuzz` on the right toolchain, from the workspace root.
fn cargo_fuzz(sanitized: bool, subcommand: &str) -> Command {
    // `+nightly` is understood by rustup's cargo proxy, not by the toolchain's
    // own cargo that runs xtask.
    let mut command = if sanitized {
        let mut proxy = Command::new("cargo");
        proxy.current_dir(workspace_root()).arg("+nightly");
        proxy
    } else {
        cargo()
    };
    command.args(["fuzz", subcommand, "--fuzz-dir", "fuzz"]);
    if !sanitized {
        command.args(["-s", "none"]);
    }
    command
}

/// Runs one campaign. With `quiet`, libFuzzer's output goes to
/// build/fuzz-logs/<target>.log and a progress line is printed every 10 s;
/// otherwise it is shown as it comes.
fn campaign(target: &str, seconds: u64, sanitized: bool, quiet: bool) -> Result<Campaign> {
    let root = workspace_root();
    let scratch = root.join("build/fuzz-corpus").join(target);
    let seeds = root.join("fuzz/corpus").join(target);
    for dir in [&scratch, &seeds] {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let mut command = cargo_fuzz(sanitized, "run");
    command
        .arg(target)
        .arg(&scratch)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    println!(
        "$ {}   # {seconds} s, {}",
        command_line(&command),
        if sanitized {
            "address sanitizer (nightly)"
        } else {
            "no sanitizer (stable)"
        }
    );
    let mut log = if quiet {
        let dir = root.join("build/fuzz-logs");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{target}.log"));
        Some(
            std::fs::File::create(&path)
                .with_context(|| format!("could not create {}", path.display()))?,
        )
    } else {
        None
    };
    let started = Instant::now();
    let mut shown = Instant::now();
    let mut child = command.spawn().context("could not start cargo fuzz")?;
    let mut progress = Progress::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.context("reading the fuzzer's output")?;
            progress.observe(&line);
            match log.as_mut() {
                Some(file) => {
                    writeln!(file, "{line}")?;
                    if shown.elapsed() >= Duration::from_secs(10) {
                        shown = Instant::now();
                        println!(
                            "fuzz {target}: {} s, {} executions, {} exec/s, coverage {}, corpus {}",
                            started.elapsed().as_secs(),
                            show(progress.executions),
                            show(progress.execs_per_second),
                            show(progress.coverage),
                            show(progress.corpus),
                        );
                    }
                }
                None => eprintln!("{line}"),
            }
        }
    }
    let status = child.wait().context("waiting for cargo fuzz")?;
    println!(
        "fuzz {target}: {} executions, {} exec/s, coverage {} -> {} ({} new), corpus {}, {} crashes",
        show(progress.executions),
        show(progress.execs_per_second),
        show(progress.initial_coverage),
        show(progress.coverage),
        show(progress.coverage_gained()),
        show(progress.corpus),
        progress.artifacts.len(),
    );
    for artifact in &progress.artifacts {
        println!(
            "fuzz {target}: failing input {artifact}: commit it there so `cargo xtask test` replays it, then fix the bug"
        );
    }
    Ok(Campaign {
        target: target.to_owned(),
        broken: !status.success() && progress.artifacts.is_empty(),
        progress,
    })
}

/// Prints the table of `--all`.
fn print_table(campaigns: &[Campaign]) {
    println!(
        "\n{:<16} {:>12} {:>9} {:>13} {:>8} {:>8}",
        "target", "executions", "exec/s", "coverage gain", "corpus", "crashes"
    );
    for c in campaigns {
        let p = &c.progress;
        let crashes = if c.broken {
            "error".to_owned()
        } else {
            p.artifacts.len().to_string()
        };
        println!(
            "{:<16} {:>12} {:>9} {:>13} {:>8} {:>8}",
            c.target,
            show(p.executions),
            show(p.execs_per_second),
            match (p.initial_coverage, p.coverage) {
                (Some(start), Some(end)) => format!("{start}->{end}"),
                _ => "?".into(),
            },
            show(p.corpus),
            crashes,
        );
    }
}

/// Every target for `seconds` each, as many at once as the machine has
/// cores (a libFuzzer campaign uses one), then the table in target order;
/// fails if any target crashed or could not run.
fn run_all(seconds: u64, sanitized: bool) -> Result<()> {
    // One build of every target first, so no campaign's time goes to it.
    run_shown(&mut cargo_fuzz(sanitized, "build"))?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(TARGETS.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(target) = TARGETS.get(i) else {
                    break;
                };
                println!("fuzz --all: [{}/{}] {target}", i + 1, TARGETS.len());
                let result = campaign(target, seconds, sanitized, true);
                if let Ok(mut done) = results.lock() {
                    done.push((i, result));
                }
            });
        }
    });
    let mut done = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a campaign thread panicked"))?;
    done.sort_by_key(|(i, _)| *i);
    let campaigns = done
        .into_iter()
        .map(|(_, c)| c)
        .collect::<Result<Vec<Campaign>>>()?;
    print_table(&campaigns);
    let failed: Vec<&str> = campaigns
        .iter()
        .filter(|c| c.broken || !c.progress.artifacts.is_empty())
        .map(|c| c.target.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "fuzz --all: {} failed (logs in build/fuzz-logs/)",
            failed.join(", ")
        );
    }
    Ok(())
}

pub fn run(args: &FuzzArgs) -> Result<()> {
    ensure_cargo_fuzz()?;
    let sanitized = sanitized(args.no_sanitizer);
    let Some(target) = args.target.as_deref().filter(|_| !args.all) else {
        return run_all(args.time, sanitized);
    };
    let c = campaign(target, args.time, sanitized, false)?;
    if c.broken {
        bail!("cargo fuzz failed before or while fuzzing; see its output above");
    }
    if !c.progress.artifacts.is_empty() {
        bail!("the {target} campaign found a failure");
    }
    Ok(())
}

/// What CI runs: every target built and fuzzed for [`CI_SECONDS`], on
/// stable without a sanitizer. The workspace forbids `unsafe` code, so the
/// address sanitizer would mostly cost build time there; campaigns run
/// with it where nightly is installed.
pub fn ci() -> Result<()> {
    ensure_cargo_fuzz()?;
    run_all(CI_SECONDS, false)
}

/// The committed inputs of `target`: fuzz/corpus/<target>/* and
/// fuzz/artifacts/<target>/*, sorted.
fn committed_inputs(root: &Path, target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join("fuzz").join(kind).join(target)) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && !is_hidden(p)),
        );
    }
    files.sort();
    files
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Runs every fuzz target binary built by `cargo xtask test` (build/fuzz,
/// stable, no sanitizer) once on each committed corpus entry and crash
/// artifact: libFuzzer given files runs each once and fails on a crash.
pub fn replay_committed() -> Result<()> {
    let root = workspace_root();
    let bin_dir = root.join("build/fuzz/debug");
    for target in TARGETS {
        let inputs = committed_inputs(&root, target);
        if inputs.is_empty() {
            continue;
        }
        let mut command = Command::new(bin_dir.join(target));
        command.current_dir(&root).args(&inputs);
        let output = command
            .output()
            .with_context(|| format!("could not start {}", bin_dir.join(target).display()))?;
        if !output.status.success() {
            std::io::stderr().write_all(&output.stderr)?;
            bail!(
                "fuzz target {target} fails on a committed input ({}); see its output above",
                output.status
            );
        }
        println!(
            "fuzz replay: {target}: {} committed inputs pass",
            inputs.len()
        );
    }
    Ok(())
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".into(), |v| v.to_string())
}

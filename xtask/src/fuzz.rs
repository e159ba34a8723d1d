//! `cargo xtask fuzz <target> [--time SECONDS]`: a libFuzzer campaign through
//! cargo-fuzz, on the harness bodies in `rtgt_proto::fuzzing`.
//!
//! With a nightly toolchain installed the campaign runs under the address
//! sanitizer; on stable it runs without one (`-s none`). New inputs go to a
//! scratch corpus under build/, the committed seeds in fuzz/corpus/ are read
//! only, and crashes land in fuzz/artifacts/<target>/, where the corpus replay
//! test (`cargo xtask test`) picks them up once committed.

use crate::cmd::{cargo, command_line, workspace_root};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The fuzz targets of fuzz/fuzz_targets/.
pub const TARGETS: &[&str] = &["pdu_stream", "text_kv", "chap", "cdb", "scsi_data"];

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Fuzz target: pdu_stream, text_kv, chap, cdb or scsi_data
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(TARGETS))]
    target: String,
    /// Length of the campaign in seconds
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
        crate::cmd::run_shown(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// What libFuzzer reports on its status lines (`#N INITED cov: C ... exec/s: E`).
#[derive(Debug, Default)]
struct Progress {
    initial_coverage: Option<u64>,
    coverage: Option<u64>,
    executions: Option<u64>,
    execs_per_second: Option<u64>,
    /// Where libFuzzer wrote the input that failed.
    artifact: Option<String>,
}

impl Progress {
    fn observe(&mut self, line: &str) {
        if let Some((_, path)) = line.split_once("Test unit written to ") {
            self.artifact = Some(path.trim().to_owned());
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
                .and_then(|pair| pair[1].parse::<u64>().ok())
        };
        self.executions = Some(count);
        if let Some(cov) = value("cov:") {
            if event == "INITED" {
                self.initial_coverage = Some(cov);
            }
            self.coverage = Some(cov);
        }
        if let Some(rate) = value("exec/s:") {
            self.execs_per_second = Some(rate);
        }
    }
}

pub fn run(args: &FuzzArgs) -> Result<()> {
    ensure_cargo_fuzz()?;
    let root = workspace_root();
    let scratch = root.join("build/fuzz-corpus").join(&args.target);
    let seeds = root.join("fuzz/corpus").join(&args.target);
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("could not create {}", scratch.display()))?;
    let sanitized = nightly_installed() && !args.no_sanitizer;
    // `+nightly` is understood by rustup's cargo proxy, not by the toolchain's
    // own cargo that runs xtask.
    let mut command = if sanitized {
        let mut proxy = Command::new("cargo");
        proxy.current_dir(&root).arg("+nightly");
        proxy
    } else {
        cargo()
    };
    command.args(["fuzz", "run", "--fuzz-dir", "fuzz"]);
    if !sanitized {
        command.args(["-s", "none"]);
    }
    command
        .arg(&args.target)
        .arg(&scratch)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", args.time))
        .arg("-print_final_stats=1")
        .stderr(Stdio::piped());
    println!(
        "$ {}   # {} s, {}",
        command_line(&command),
        args.time,
        if sanitized {
            "address sanitizer (nightly)"
        } else {
            "no sanitizer (stable)"
        }
    );
    let mut child = command.spawn().context("could not start cargo fuzz")?;
    let mut progress = Progress::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.context("reading the fuzzer's output")?;
            progress.observe(&line);
            eprintln!("{line}");
        }
    }
    let status = child.wait().context("waiting for cargo fuzz")?;
    println!(
        "fuzz {}: {} executions, {} exec/s, coverage {} -> {} ({} new)",
        args.target,
        show(progress.executions),
        show(progress.execs_per_second),
        show(progress.initial_coverage),
        show(progress.coverage),
        match (progress.initial_coverage, progress.coverage) {
            (Some(start), Some(end)) => end.saturating_sub(start).to_string(),
            _ => "?".into(),
        }
    );
    if !status.success() {
        match progress.artifact {
            Some(artifact) => bail!(
                "the {} campaign found a failure ({status}); the input is {artifact}. \
                 Commit it there so `cargo xtask test` replays it, then fix the bug",
                args.target
            ),
            None => {
                bail!("cargo fuzz failed before or while fuzzing ({status}); see its output above")
            }
        }
    }
    Ok(())
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".into(), |v| v.to_string())
}

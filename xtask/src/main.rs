//! `cargo xtask`: the one entry point for building, testing and running rtgt.
//!
//! Every external command is printed before it runs, so a failing step can be
//! rerun by hand.

mod bench;
mod capture;
mod ci;
mod cmd;
mod conformance;
mod fuzz;
mod fuzz_net;
mod peers;
mod real_peers_target;
mod sim;
mod test;
mod test_cu;
mod tidy;
mod tidy_deps;
mod tidy_scan;
mod traceability;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, test and exercise rtgt",
    long_about = "Build, test and exercise rtgt.\n\n\
                  Quick loop: `cargo xtask test`. Everything CI runs: `cargo xtask ci`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Formatting, tidy, clippy, every workspace test, the fuzz corpus replay and the fuzz targets' build
    Test,
    /// Everything CI runs (what `.ci/run` calls)
    Ci,
    /// Run a libFuzzer campaign on one fuzz target, or on every target in turn (--all)
    Fuzz(fuzz::FuzzArgs),
    /// Fuzz any iSCSI target over the network (--target HOST:PORT), or --replay a finding
    #[command(name = "fuzz-net", disable_help_flag = true)]
    FuzzNet(fuzz_net::FuzzNetArgs),
    /// Install the real peers and tools the tests use (Debian packages) when missing, then run
    /// libiscsi's test tool (iscsi-test-cu) against rtgtd and print its summary
    Peers(peers::PeersArgs),
    /// Run the deterministic simulator over seeds, or replay one seed
    Sim(sim::SimArgs),
    /// Record iSCSI sessions between tgtd and libiscsi's tools as test vectors (proto/tests/vectors)
    Capture(capture::CaptureArgs),
    /// Run the conformance suite: against rtgtd --demo, or any target with --target HOST:PORT
    #[command(disable_help_flag = true)]
    Conformance(conformance::ConformanceArgs),
    /// Benchmark rtgt-iscsi beside libiscsi's iscsi-perf on the same tgtd LUN
    Bench(bench::BenchArgs),
    /// Check the house rules: the core crates' dependencies and calls, file lengths
    Tidy,
    /// Regenerate conformance/TRACEABILITY.md (RFC 7143 against the catalogue), or --check it
    Traceability(traceability::TraceabilityArgs),
}

/// Prints the error chain on one line and exits with 1 (no backtrace, even
/// with RUST_BACKTRACE set: the failing step's own output says what broke,
/// and a CI log's tail should show it).
fn main() -> std::process::ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Test => test::run(),
        Command::Ci => ci::run(),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::FuzzNet(args) => fuzz_net::run(&args),
        Command::Peers(args) => peers::run(&args),
        Command::Capture(args) => capture::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Conformance(args) => conformance::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Tidy => tidy::run(),
        Command::Traceability(args) => traceability::run(&args),
    }
}

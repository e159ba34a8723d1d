//! `rtgt-conformance`: runs the conformance catalogue against any iSCSI
//! target. `--help` explains the options; `cargo xtask conformance` starts
//! rtgt's own target and runs this against it.

use anyhow::{bail, Context as _, Result};
use clap::Parser;
use rtgt_conformance::catalogue;
use rtgt_conformance::discover::discover_iqn;
use rtgt_conformance::glob::Filter;
use rtgt_conformance::listing;
use rtgt_conformance::options::Options;
use rtgt_conformance::profile::{judge, Profile, Rules};
use rtgt_conformance::progress::Progress;
use rtgt_conformance::report::RunReport;
use rtgt_conformance::runner::{default_limit, rerun_mismatches, run_all_on, Observer, Silent};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let options = Options::parse();
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("rtgt-conformance: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(options: &Options) -> Result<bool> {
    let all = catalogue::all();
    let selected = Filter::new(options.filter.iter().cloned()).select(&all)?;
    if options.list {
        print!("{}", listing::render(&selected));
        return Ok(true);
    }
    let known: Vec<&str> = all.iter().map(|s| s.id).collect();
    let profile = match &options.profile {
        Some(name) => {
            let path = profile_path(name);
            let profile = Profile::load(&path, &known)?;
            if !profile.verified {
                eprintln!(
                    "rtgt-conformance: warning: the {} profile ({}) was never confirmed \
                     against a real run; treat its verdict with care",
                    profile.target,
                    path.display()
                );
            }
            profile.check_setup(options.setup.as_deref())?;
            Some(profile)
        }
        None => None,
    };
    let rules = Rules {
        profile: profile.as_ref(),
        setup: options.setup.as_deref(),
        strict: options.strict,
    };
    let Some(addr) = &options.target else {
        bail!("give the target's portal with --target HOST:PORT");
    };
    for portal in std::iter::once(addr).chain(&options.replica) {
        reachable(portal, options)?;
    }
    let iqn = match &options.iqn {
        Some(iqn) => iqn.clone(),
        None => {
            let iqn = discover_iqn(&options.target(addr, ""))?;
            if !options.quiet {
                eprintln!("rtgt-conformance: discovered target {iqn}");
            }
            iqn
        }
    };
    let target = options.target(addr, &iqn);
    let progress = Progress::new(selected.len());
    let observer: &dyn Observer = if options.quiet { &Silent } else { &progress };
    let started = Instant::now();
    let limit = options
        .scenario_limit
        .unwrap_or_else(|| default_limit(&target));
    let targets: Vec<_> = std::iter::once(addr)
        .chain(&options.replica)
        .map(|portal| options.target(portal, &iqn))
        .collect();
    let mut reports = run_all_on(&selected, &targets, options.jobs, limit, observer);
    progress.finish();
    rerun_mismatches(
        &selected,
        &mut reports,
        &target,
        limit,
        options.retries,
        |report| judge(&rules, report).is_ok(),
    );
    let run = RunReport::new(addr, &iqn, options.lun, &rules, reports, started.elapsed());
    print!("{}", run.text());
    if let Some(path) = &options.junit {
        write(path, &run.junit())?;
    }
    if let Some(path) = &options.json {
        write(path, &run.json())?;
    }
    Ok(run.ok())
}

/// A path as given, or a bare name (`tgtd`) of a profile shipped in
/// conformance/profiles/.
fn profile_path(name: &str) -> PathBuf {
    let given = PathBuf::from(name);
    if given.exists() || name.contains(['/', '\\']) || name.ends_with(".toml") {
        return given;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(format!("{name}.toml"))
}

/// Fails early, with one clear message, when nothing listens at `addr`
/// (rather than with every scenario failing to connect).
fn reachable(addr: &str, options: &Options) -> Result<()> {
    let resolved: Vec<_> = addr
        .to_socket_addrs()
        .with_context(|| format!("{addr}: not a HOST:PORT that resolves"))?
        .collect();
    let mut last = None;
    for socket in &resolved {
        match TcpStream::connect_timeout(socket, options.timeout) {
            Ok(_) => return Ok(()),
            Err(error) => last = Some(error),
        }
    }
    match last {
        Some(error) => bail!("could not connect to {addr}: {error}; is the target running?"),
        None => bail!("{addr} resolves to no address"),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

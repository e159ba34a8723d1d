//! `rtgt-fuzz-net`: fuzz any iSCSI target over the network, or replay a
//! reproducer (`cargo xtask fuzz-net` builds and runs it).

use anyhow::{bail, Context, Result};
use clap::Parser;
use rtgt_fuzz_net::{finding, wire, Options, Target};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "rtgt-fuzz-net",
    about = "A stateful network fuzzer for any iSCSI target"
)]
struct Args {
    /// The target's portal, HOST:PORT
    #[arg(long)]
    target: Option<String>,
    /// The target to log in to (default: the first SendTargets lists)
    #[arg(long)]
    iqn: Option<String>,
    /// The LUN SCSI commands go to (default 0; a replay keeps the reproducer's)
    #[arg(long)]
    lun: Option<u16>,
    /// CHAP account, USER:SECRET
    #[arg(long)]
    chap: Option<String>,
    /// Seconds to fuzz
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// Seed of every choice (default: from the clock, printed)
    #[arg(long)]
    seed: Option<u64>,
    /// The target's process id: watched for a crash, RSS and fds sampled
    #[arg(long)]
    pid: Option<u32>,
    /// Where findings go
    #[arg(long, default_value = "build/fuzz-net")]
    out: PathBuf,
    /// Stop after this many executions
    #[arg(long)]
    max_execs: Option<u64>,
    /// Seconds to wait for a downed target to be restarted before minimising
    #[arg(long, default_value_t = 30)]
    restart_wait: u64,
    /// Stop at the first finding
    #[arg(long)]
    stop_on_finding: bool,
    /// Replay a reproducer file (reproducer.json) and print its PDUs; --target, --iqn, --lun,
    /// --chap override the file's
    #[arg(long)]
    replay: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("rtgt-fuzz-net: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn chap(arg: Option<&str>) -> Result<Option<(String, String)>> {
    arg.map(|c| {
        let (u, s) = c.split_once(':').context("--chap wants USER:SECRET")?;
        Ok((u.to_owned(), s.to_owned()))
    })
    .transpose()
}

/// Ok(false) when a finding was made (or a replay took the target down).
fn run(a: Args) -> Result<bool> {
    let chap = chap(a.chap.as_deref())?;
    if let Some(file) = &a.replay {
        let to = finding::ReplayTo {
            target: a.target.clone(),
            iqn: a.iqn.clone(),
            lun: a.lun,
            chap,
            pid: a.pid,
        };
        return finding::replay(file, to);
    }
    let Some(target) = &a.target else {
        bail!("--target HOST:PORT is required (or --replay FILE)");
    };
    let mut t = Target {
        addr: wire::resolve(target)?,
        iqn: a.iqn.clone().unwrap_or_default(),
        lun: a.lun.unwrap_or(0),
        chap,
        timeout: Duration::from_secs(3),
    };
    if t.iqn.is_empty() {
        let names = wire::discover(&t).context("SendTargets discovery (give --iqn to skip it)")?;
        t.iqn = names
            .into_iter()
            .next()
            .context("SendTargets listed no target")?;
        println!("rtgt-fuzz-net: discovered {}", t.iqn);
    }
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    println!(
        "rtgt-fuzz-net: fuzzing {} ({} LUN {}) for {} s, seed {seed}",
        t.addr, t.iqn, t.lun, a.time
    );
    let o = Options {
        target: t,
        pid: a.pid,
        time: Duration::from_secs(a.time),
        seed,
        out: a.out,
        max_execs: a.max_execs,
        restart_wait: Duration::from_secs(a.restart_wait),
        stop_on_finding: a.stop_on_finding,
    };
    let r = rtgt_fuzz_net::run(&o)?;
    println!(
        "rtgt-fuzz-net: {} execs in {:.1} s ({:.1} exec/s), {} distinct answers, corpus {}, {} login failures, {} findings",
        r.execs,
        r.elapsed.as_secs_f64(),
        r.execs as f64 / r.elapsed.as_secs_f64().max(0.001),
        r.signatures,
        r.corpus,
        r.login_failures,
        r.findings.len()
    );
    for f in &r.findings {
        println!(
            "  finding: {} (replay: cargo xtask fuzz-net --replay {})",
            f.display(),
            f.display()
        );
    }
    Ok(r.findings.is_empty())
}

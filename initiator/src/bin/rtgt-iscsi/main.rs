//! `rtgt-iscsi`: an iSCSI initiator on the command line, over rtgt's strict
//! initiator core.

mod bench;
mod commands;
mod conn;
mod mpath;
mod show;
mod url;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rtgt-iscsi",
    version,
    about = "An iSCSI initiator: discovery, login, inquiry, I/O, verification and benchmarks",
    long_about = "An iSCSI initiator built on rtgt's strict initiator core: every PDU the target \
                  sends is checked against RFC 7143, and a deviation ends the session with the \
                  clause it broke.\n\n\
                  Targets are named by URL, as libiscsi and qemu do:\n\
                  \n    iscsi://[user[%secret]@]host[:port]/iqn/lun[?target_user=U&target_password=P]\n\n\
                  (IPv6 hosts in brackets, port 3260 by default), or by --portal, --target and --lun.\n\n\
                  With --multipath, readcap, read, write and verify use every portal of the target \
                  as a path to the logical unit (several --portal, or the portals SendTargets lists): \
                  I/O goes on the paths whose target port group is active/optimized (else \
                  active/non-optimized), and on path loss the commands not yet answered are sent \
                  again on another path (see --multipath in a subcommand's --help)."
)]
struct Cli {
    /// Log what the session does (-v: info, -vv: debug, -vvv: trace) on stderr
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Runtime worker threads; each session is driven by one task, so more
    /// than one helps only with several sessions (bench --sessions)
    #[arg(long, global = true, default_value_t = 1, value_name = "N")]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the targets a portal offers (a discovery session with SendTargets=All)
    Discover(commands::DiscoverArgs),
    /// Log in, print the negotiated parameters and the target's keys, log out
    Login(commands::LoginArgs),
    /// Standard INQUIRY data and VPD pages, decoded
    Inquiry(commands::InquiryArgs),
    /// READ CAPACITY: number of blocks and block length
    Readcap(commands::LunArgs),
    /// REPORT LUNS: the target's logical units
    Luns(commands::LunArgs),
    /// Read blocks to stdout or a file
    Read(commands::ReadArgs),
    /// Write blocks from a file or stdin
    Write(commands::WriteArgs),
    /// Write a pattern, read it back and compare; reports the first mismatch
    Verify(commands::VerifyArgs),
    /// Measure IOPS, throughput and latency with many commands in flight
    Bench(bench::BenchArgs),
}

fn main() {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .init();
    // One thread: the session's tasks hand work to each other without
    // waking another thread. More spread several sessions over threads.
    let mut rt = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        rt.worker_threads(cli.threads);
        rt
    };
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rtgt-iscsi: could not start the runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = rt.block_on(run(cli.command)) {
        eprintln!("rtgt-iscsi: {e:#}");
        std::process::exit(1);
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Discover(a) => commands::discover(a).await,
        Command::Login(a) => commands::login(a).await,
        Command::Inquiry(a) => commands::inquiry(a).await,
        Command::Readcap(a) => commands::readcap(a).await,
        Command::Luns(a) => commands::luns(a).await,
        Command::Read(a) => commands::read(a).await,
        Command::Write(a) => commands::write(a).await,
        Command::Verify(a) => commands::verify(a).await,
        Command::Bench(a) => bench::run(a).await,
    }
}

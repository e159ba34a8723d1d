//! `rtgtd`: rtgt's iSCSI target daemon.
//!
//! ```text
//! rtgtd --demo                       # a 1 GiB RAM disk on 127.0.0.1:3260
//! rtgtd --config rtgt.toml           # what the file says
//! rtgtd --config rtgt.toml --check   # check the file and exit
//! rtgtd --config rtgt.toml --tgt-compat-port 0   # tgtadm drives it too
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use rtgt_target::config::{Built, Config, Size};
use rtgt_target::daemon::{
    demo, init_logging, shutdown_signal, tgt_socket_path, DemoOptions, Server, DEMO_IQN,
};

#[derive(Debug, Parser)]
#[command(name = "rtgtd", version, about = "rtgt's iSCSI target daemon")]
struct Args {
    /// The configuration file (see rtgt.example.toml).
    #[arg(long, short, conflicts_with = "demo")]
    config: Option<PathBuf>,
    /// Check the configuration file and exit.
    #[arg(long, requires = "config")]
    check: bool,
    /// Serve a RAM disk without configuration.
    #[arg(long)]
    demo: bool,
    /// Demo: address to listen on (repeatable; port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT", requires = "demo")]
    listen: Vec<SocketAddr>,
    /// Demo: size of the RAM disk ("1G", "64M").
    #[arg(long, default_value = "1G", requires = "demo")]
    size: String,
    /// Demo: how many LUNs; those past LUN 0 are 64 MiB RAM disks.
    #[arg(long, default_value_t = 1, requires = "demo", value_parser = clap::value_parser!(u16).range(1..=256))]
    luns: u16,
    /// Demo: a CHAP account initiators must log in with (repeatable).
    #[arg(long, value_name = "USER:SECRET", requires = "demo")]
    chap: Vec<String>,
    /// Demo: the target's account for mutual CHAP.
    #[arg(long, value_name = "USER:SECRET", requires = "chap")]
    mutual_chap: Option<String>,
    /// Demo: a CHAP account for discovery sessions (repeatable).
    #[arg(long, value_name = "USER:SECRET", requires = "demo")]
    discovery_chap: Vec<String>,
    /// Demo: ping a connection idle this many seconds, 0 never (RFC 7143
    /// §11.19.1 target NOP-In) [default: 10].
    #[arg(long, value_name = "SECS", requires = "demo")]
    nop_interval: Option<u64>,
    /// Demo: the most connections a session may have (RFC 7143 §13.2
    /// MaxConnections, 1 to 65535).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "demo",
          value_parser = clap::value_parser!(u16).range(1..))]
    max_connections: u16,
    /// Demo: the most R2Ts outstanding per task (RFC 7143 §13.17
    /// MaxOutstandingR2T, 1 to 65535).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "demo",
          value_parser = clap::value_parser!(u16).range(1..))]
    max_outstanding_r2t: u16,
    /// Demo: the largest transfer one command may ask for ("32M"; the
    /// Block Limits page's MAXIMUM TRANSFER LENGTH) [default: 8M].
    #[arg(long, value_name = "SIZE", requires = "demo")]
    max_transfer: Option<String>,
    /// Demo: also a target iqn.2024-01.org.rtgt:demo-moved that has moved to
    /// this TargetAddress ("192.0.2.7:3260,1"): logins naming it are
    /// redirected (RFC 7143 §11.13.5, status 0x0101).
    #[arg(long, value_name = "ADDR", requires = "demo")]
    moved_target: Option<String>,
    /// error, warn, info, debug or trace (RUST_LOG overrides it).
    #[arg(long)]
    log_level: Option<String>,
    /// Serve tgtd's management protocol (for tgtadm) on this AF_LOCAL socket.
    #[arg(long, value_name = "PATH", conflicts_with = "tgt_compat_port")]
    control_socket: Option<PathBuf>,
    /// Serve it where tgtadm -C N looks: $TGT_IPC_SOCKET.N, or
    /// /var/run/tgtd/socket.N.
    #[arg(long, value_name = "N")]
    tgt_compat_port: Option<u16>,
    /// Seconds initiators get to log out on SIGINT or SIGTERM.
    #[arg(long, default_value_t = 5)]
    grace: u64,
}

fn account(s: &str) -> Result<(String, String)> {
    match s.split_once(':') {
        Some((u, p)) if !u.is_empty() && !p.is_empty() => Ok((u.into(), p.into())),
        _ => bail!("{s:?}: write USER:SECRET"),
    }
}

fn load(args: &Args) -> Result<Built> {
    if let Some(path) = &args.config {
        let cfg = Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        return cfg.build().map_err(|e| anyhow::anyhow!("{e}"));
    }
    if !args.demo {
        bail!("give --config FILE (see rtgt.example.toml) or --demo");
    }
    let mut opts = DemoOptions {
        size: Size::parse(&args.size)
            .map_err(|e| anyhow::anyhow!("--size {e}"))?
            .0,
        luns: args.luns,
        max_connections: args.max_connections,
        max_outstanding_r2t: args.max_outstanding_r2t,
        max_transfer: args
            .max_transfer
            .as_deref()
            .map(|v| Size::parse(v).map(|s| s.0))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--max-transfer {e}"))?,
        moved_to: args.moved_target.clone(),
        ..DemoOptions::default()
    };
    match args.nop_interval {
        None => {}
        Some(0) => opts.nop.interval = None,
        Some(secs) => opts.nop.interval = Some(std::time::Duration::from_secs(secs)),
    }
    if !args.listen.is_empty() {
        opts.listen = args.listen.clone();
    }
    opts.chap = args
        .chap
        .iter()
        .map(|s| account(s))
        .collect::<Result<_>>()?;
    opts.mutual_chap = args.mutual_chap.as_deref().map(account).transpose()?;
    opts.discovery_chap = args
        .discovery_chap
        .iter()
        .map(|s| account(s))
        .collect::<Result<_>>()?;
    demo(&opts).context("demo disk")
}

fn url_host(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V4(v4) => v4.to_string(),
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let built = match load(&args) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("rtgtd: {e:#}");
            std::process::exit(2);
        }
    };
    if args.check {
        println!(
            "rtgtd: {} is valid: {} target(s), {} lun(s)",
            args.config
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            built.group.targets.len(),
            built.luns.len()
        );
        return Ok(());
    }
    init_logging(args.log_level.as_deref().or(built.log_level));
    // One thread by default: the engine is one task, and a thread of its
    // own for the sockets would only add a hand-off between threads to
    // every command. More threads spread socket reads and writes.
    let mut rt = match built.worker_threads {
        None | Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut rt = tokio::runtime::Builder::new_multi_thread();
            rt.worker_threads(n);
            rt
        }
    };
    let rt = rt.enable_all().build().context("tokio runtime")?;
    rt.block_on(async move {
        let stop = shutdown_signal().context("signal handlers")?;
        let mut server = Server::bind(built)?;
        server.grace = std::time::Duration::from_secs(args.grace);
        let control = args
            .control_socket
            .clone()
            .or_else(|| args.tgt_compat_port.map(tgt_socket_path));
        if let Some(path) = &control {
            server.listen_control(path)?;
            println!("rtgtd: control socket {}", path.display());
        }
        let addrs = server.local_addrs();
        for a in &addrs {
            println!("rtgtd: listening on {a}");
        }
        for t in &server.built().group.targets {
            println!("rtgtd: target {}", t.name);
        }
        if args.demo {
            let a = addrs.first().map(url_host).unwrap_or_default();
            let user = args
                .chap
                .first()
                .and_then(|c| c.split_once(':'))
                .map(|(u, p)| format!("{u}%{p}@"))
                .unwrap_or_default();
            println!(
                "rtgtd: demo target {DEMO_IQN}, LUN 0: a RAM disk of {}",
                args.size
            );
            println!("rtgtd: try it:");
            println!("  iscsi-ls -s iscsi://{user}{a}");
            println!("  iscsi-inq iscsi://{user}{a}/{DEMO_IQN}/0");
            println!("  iscsi-readcapacity16 iscsi://{user}{a}/{DEMO_IQN}/0");
            println!("  rtgt-iscsi verify iscsi://{user}{a}/{DEMO_IQN}/0");
        }
        println!("rtgtd: ready");
        server.run(stop).await
    })
}

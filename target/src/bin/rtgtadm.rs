//! `rtgtadm`: tgtadm's command line for rtgtd (and tgtd).
//!
//! ```text
//! rtgtadm --lld iscsi --op new --mode target --tid 1 -T iqn.2013-05.com.magedu:tsan.disk1
//! rtgtadm --lld iscsi --op show --mode target
//! rtgtadm -C 1 --op show --mode account           # the daemon of control port 1
//! rtgtadm --socket /run/rtgtd.sock --op show --mode target
//! rtgtadm --import /etc/tgt/targets.conf           # apply tgt-admin's file
//! rtgtadm --dump                                   # the live state as rtgt.toml
//! rtgtadm --reload                                 # rtgtd reads its file again
//! ```
//!
//! Messages name the program by `argv[0]`, as tgtadm's do: installed or
//! linked as `tgtadm`, its output is tgtadm's.

use std::io::Write;
use std::process::ExitCode;

use rtgt_target::admin::cli::{self, client, Exit, Plan};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let argv0 = argv.first().cloned().unwrap_or_else(|| "rtgtadm".into());
    let program = cli::tgtadm::program_name(&argv0).to_owned();
    let bus = |b: &str| client::bus_to_host(b, &program);
    let version = concat!("rtgt ", env!("CARGO_PKG_VERSION"));
    let exit = match cli::plan(&argv, version, &bus) {
        Plan::Exit(e) => e,
        Plan::Send(s) => client::run(&s, &program),
        Plan::Import(target, file) => cli::import::run(&target, &file, &program),
        Plan::Dump(target) => cli::dump::run(&target, &program),
        Plan::Reload(target) => cli::dump::reload(&target, &program),
    };
    finish(exit)
}

/// Prints as tgtadm does (stdout, then stderr) and exits with the status's
/// low byte.
fn finish(e: Exit) -> ExitCode {
    let _ = std::io::stdout().write_all(e.stdout.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(e.stderr.as_bytes());
    ExitCode::from((e.code & 0xff) as u8)
}

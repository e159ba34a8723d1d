//! The command line of `rtgt-conformance` (and of `cargo xtask conformance
//! --target ...`, which hands its arguments over unchanged).

use crate::context::{Account, Target};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// The initiator name the suite logs in with unless told otherwise.
pub const DEFAULT_INITIATOR: &str = "iqn.2024-01.org.rtgt:conformance";

#[derive(Debug, Clone, Parser)]
#[command(
    name = "rtgt-conformance",
    about = "Check an iSCSI target against RFC 7143, SPC-5 and SBC-4",
    long_about = "Check an iSCSI target against RFC 7143, SPC-5 and SBC-4.\n\n\
        Runs every scenario of the catalogue (or those --filter picks) against the target at \
        --target, prints a table per area and per level and every failure with the PDU \
        exchange that led to it, and exits 0 when every result matches the profile.\n\n\
        Each scenario has a level, from the standard's wording. A failure of a MUST fails the \
        run; a failure of a SHOULD is reported as a warning and fails the run only with \
        --strict; a failure of a MAY is reported as a note and never fails the run. A skip or \
        a not-applicable always says why, and is never a pass.\n\n\
        A profile (--profile) lists the departures known of a kind of target: each expected \
        failure pinned to a part of the answer the target gives, so that failing the same \
        scenario in another way is still unexpected, and a listed scenario that passes fails \
        the run (the profile is stale). A profile verified under several set-ups of the \
        target needs --setup to say which one this run is.\n\n\
        Scenarios that need something the options do not give (a CHAP account, a second \
        initiator name, leave to write outside the scratch range) are skipped with that reason.\n\n\
        Without --allow-destructive, nothing is written outside LBAs \
        --scratch-lba..+--scratch-blocks of the LUN, and what is written there is restored.\n\n\
        `cargo xtask conformance` without --target builds and starts rtgt's own target \
        (rtgtd --demo, with CHAP accounts and a second initiator name) and runs the suite \
        against it; with --target it runs this program with the same arguments.",
    after_help = "Examples:\n  \
        rtgt-conformance --target 127.0.0.1:3260 --lun 1\n  \
        rtgt-conformance --target 192.0.2.7:3260 --iqn iqn.2003-01.org.example:disk \
            --chap alice:secret123456 --mutual-chap tgt:secret654321 --profile tgtd \
            --setup chap --junit report.xml\n  \
        rtgt-conformance --list --filter 'iscsi.chap.*'\n\n\
        Exit status: 0 every result matches the profile (warnings and notes do not count); \
        1 an unexpected failure of a MUST (or, with --strict, of a SHOULD), or an unexpected \
        pass; 2 bad options, profile or target."
)]
pub struct Options {
    /// The target's portal, HOST:PORT ([IPV6]:PORT); required unless --list
    #[arg(long, value_name = "HOST:PORT", required_unless_present = "list")]
    pub target: Option<String>,
    /// Another portal of a target set up just like --target's, with a LUN of
    /// its own (repeatable): worker N of --jobs runs its scenarios against
    /// the Nth of --target and the replicas (cycling), and the scenarios
    /// that touch the LUN run one at a time on each. For a target that takes
    /// one login at a time: each replica then sees one scenario at a time
    #[arg(long, value_name = "HOST:PORT")]
    pub replica: Vec<String>,
    /// The target's iSCSI name; found through SendTargets when left out
    #[arg(long, value_name = "IQN")]
    pub iqn: Option<String>,
    /// The LUN the SCSI scenarios use
    #[arg(long, default_value_t = 0)]
    pub lun: u64,
    /// An incoming CHAP account the target accepts (the suite then logs in with CHAP)
    #[arg(long, value_name = "USER:SECRET", value_parser = parse_account)]
    pub chap: Option<Account>,
    /// The target's own CHAP account, for mutual CHAP
    #[arg(long, value_name = "USER:SECRET", value_parser = parse_account)]
    pub mutual_chap: Option<Account>,
    /// The initiator name the suite logs in with
    #[arg(long, value_name = "IQN", default_value = DEFAULT_INITIATOR)]
    pub initiator_name: String,
    /// A second initiator name the target also accepts (multi-initiator scenarios)
    #[arg(long, value_name = "IQN")]
    pub initiator_name_2: Option<String>,
    /// A target name the target answers with a redirection (status class 1,
    /// RFC 7143 §11.13.5), for the iscsi.login.redirect-* scenarios
    #[arg(long, value_name = "IQN")]
    pub moved_iqn: Option<String>,
    /// A shell command that makes the target send an Asynchronous Message to
    /// one of the suite's connections, for the iscsi.async.* scenarios: run
    /// with RTGT_ASYNC_EVENT (logout or drop), RTGT_INITIATOR, RTGT_TARGET,
    /// RTGT_ISID (12 hex digits), RTGT_TSIH and RTGT_CID in its environment
    #[arg(long, value_name = "CMD")]
    pub async_command: Option<String>,
    /// Run only the scenarios whose id matches GLOB (`*` any run, `?` one character); repeatable
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// List the scenarios (id, level, clause, requirement, needs) by area and exit
    #[arg(long)]
    pub list: bool,
    /// Let scenarios write outside the scratch range (data on the LUN is lost)
    #[arg(long)]
    pub allow_destructive: bool,
    /// First LBA of the range the suite may overwrite if it restores it
    #[arg(long, value_name = "LBA", default_value_t = 2048)]
    pub scratch_lba: u64,
    /// Length of that range, in blocks
    #[arg(long, value_name = "BLOCKS", default_value_t = 256)]
    pub scratch_blocks: u32,
    /// The expected departures of this kind of target: a TOML file, or the name
    /// of one in conformance/profiles/ (tgtd, istgt, lio)
    #[arg(long, value_name = "FILE")]
    pub profile: Option<String>,
    /// The set-up of the target this run is, one the profile declares
    /// ([[setup]] name); required with a profile that declares any
    #[arg(long, value_name = "NAME")]
    pub setup: Option<String>,
    /// Let a SHOULD failure the profile does not list fail the run (without
    /// it: a warning); a MAY failure never fails the run
    #[arg(long)]
    pub strict: bool,
    /// Also write the results as JUnit XML to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the results as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Run on N threads the scenarios that only log in, negotiate and
    /// exchange PDUs on sessions of their own; those that touch the LUN's
    /// shared state (the scratch range, reservations, resets: every SCSI
    /// scenario) run one at a time after them. ISIDs differ per scenario,
    /// so verdicts are the same for any N. Use 1 for a target that admits
    /// one session per initiator name [default: the machine's cores]
    #[arg(long, value_name = "N", default_value_t = default_jobs(), hide_default_value = true)]
    pub jobs: usize,
    /// How long to wait for an answer the target owes ("5", "2.5s", "500ms")
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// How long a silence must last to prove the target ignored a PDU
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub quiet_time: Duration,
    /// Give up on a scenario still running after this long, and report it as
    /// failed [default: 12 x (timeout + quiet time), at least 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub scenario_limit: Option<Duration>,
    /// Run a scenario whose result does not match the profile (or, without
    /// one, fails) up to N more times, one at a time, and keep the first
    /// attempt that matches; the report lists such results as unsteady with
    /// the attempts before. For targets whose answers depend on timing
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: usize,
    /// Print only the table, the failures and the verdict (no progress line)
    #[arg(long, short)]
    pub quiet: bool,
}

impl Options {
    /// The target as scenarios see it, once its name is known.
    pub fn target(&self, addr: &str, iqn: &str) -> Target {
        Target {
            addr: addr.to_owned(),
            iqn: iqn.to_owned(),
            lun: self.lun,
            initiator_name: self.initiator_name.clone(),
            initiator_name_2: self.initiator_name_2.clone(),
            moved_iqn: self.moved_iqn.clone(),
            async_command: self.async_command.clone(),
            chap: self.chap.clone(),
            mutual_chap: self.mutual_chap.clone(),
            allow_destructive: self.allow_destructive,
            scratch_lba: self.scratch_lba,
            scratch_blocks: self.scratch_blocks,
            timeout: self.timeout,
            quiet: self.quiet_time,
        }
    }
}

/// The machine's cores (at least one).
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `USER:SECRET` (the secret may itself hold colons).
pub fn parse_account(s: &str) -> Result<Account, String> {
    match s.split_once(':') {
        Some((user, secret)) if !user.is_empty() && !secret.is_empty() => Ok(Account {
            user: user.to_owned(),
            secret: secret.as_bytes().to_vec(),
        }),
        _ => Err("write USER:SECRET, both non-empty".to_owned()),
    }
}

/// `5`, `2.5`, `5s`, `2.5s` or `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (s.strip_suffix('s').unwrap_or(s), 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: write 5, 2.5s or 500ms"))?;
    if !value.is_finite() || value <= 0.0 || value * scale > 3600.0 {
        return Err(format!(
            "{s:?} is out of range: give more than 0 and at most an hour"
        ));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn accounts_split_at_the_first_colon() {
        let account = parse_account("alice:se:cret").unwrap();
        assert_eq!(account.user, "alice");
        assert_eq!(account.secret, b"se:cret");
        assert!(parse_account("alice").is_err());
        assert!(parse_account(":secret").is_err());
        assert!(parse_account("alice:").is_err());
    }

    #[test]
    fn the_command_line_parses_into_a_target() {
        let options = Options::try_parse_from([
            "rtgt-conformance",
            "--target",
            "127.0.0.1:3260",
            "--lun",
            "1",
            "--chap",
            "u:secret",
            "--filter",
            "iscsi.*",
            "--filter",
            "scsi.read*",
            "--timeout",
            "2s",
            "--quiet-time",
            "300ms",
            "--jobs",
            "4",
            "--replica",
            "127.0.0.1:3261",
            "--replica",
            "127.0.0.1:3262",
        ])
        .unwrap();
        assert_eq!(options.filter, ["iscsi.*", "scsi.read*"]);
        assert_eq!(options.replica, ["127.0.0.1:3261", "127.0.0.1:3262"]);
        let target = options.target("127.0.0.1:3260", "iqn.x:y");
        assert_eq!(target.lun, 1);
        assert_eq!(target.chap.map(|a| a.user), Some("u".to_owned()));
        assert_eq!(target.timeout, Duration::from_secs(2));
        assert_eq!(target.quiet, Duration::from_millis(300));
        assert_eq!(target.initiator_name, DEFAULT_INITIATOR);
        assert!(!target.allow_destructive);
        assert!(Options::try_parse_from(["rtgt-conformance"]).is_err());
        assert!(Options::try_parse_from(["rtgt-conformance", "--list"]).is_ok());
    }
}

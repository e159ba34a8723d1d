//! The scsi scenarios against Debian's tgtd: every outcome printed, and the
//! failures compared with tgtd's known departures from SPC-5 and SBC-4.
#![cfg(feature = "real-peers")]

mod common;

use common::{failures, run_all};
use rtgt_conformance::catalogue::scsi;
use rtgt_conformance::context::Target;
use rtgt_conformance::scenario::Scenario;
use rtgt_peers::tgtd::{Tgtd, TgtdConfig, LUN};
use std::collections::BTreeSet;
use std::time::Duration;

fn scsi_scenarios() -> impl Iterator<Item = &'static Scenario> {
    scsi::SCENARIOS.iter().flat_map(|part| part.iter())
}

const IQN: &str = "iqn.2024-01.org.rtgt:conformance-scsi";

/// tgtd 1.0.85's departures, each with the reason it is tgtd's and not the
/// scenario's.
const KNOWN: &[(&str, &str)] = &[
    (
        "scsi.vpd.device-id-target-port",
        "page 83h has only logical unit designators (T10 vendor, two NAA), no target port one",
    ),
    (
        "scsi.read10.reserved-bits",
        "reserved CDB bits are not checked (SPC permits it; a SHOULD)",
    ),
    (
        "scsi.tur.reserved-bits",
        "reserved CDB bits are not checked (SPC permits it; a SHOULD)",
    ),
    (
        "scsi.verify10.bytchk-reserved",
        "BYTCHK is read as SBC-3's one bit: BYTCHK 10b is taken as 00b and answered GOOD",
    ),
    (
        "scsi.verify10.beyond-eol",
        "VERIFY (10) with BYTCHK 00b past the last LBA is GOOD: the range is not checked",
    ),
    (
        "scsi.caw.match-writes",
        "Block Limits claims MAXIMUM COMPARE AND WRITE LENGTH 128 but COMPARE AND WRITE is \
         INVALID COMMAND OPERATION CODE",
    ),
    (
        "scsi.synccache10.beyond-eol",
        "SYNCHRONIZE CACHE does not check its range: GOOD past the last LBA",
    ),
    (
        "scsi.synccache16.crossing-eol",
        "SYNCHRONIZE CACHE does not check its range: GOOD across the last LBA",
    ),
    (
        "scsi.modesense6.block-descriptor",
        "the block descriptor's NUMBER OF LOGICAL BLOCKS is 0 instead of the capacity",
    ),
    (
        "scsi.reportluns.select-report-reserved",
        "a reserved SELECT REPORT (FFh) is answered GOOD with the LUN list",
    ),
    (
        "scsi.requestsense.no-sense-descriptor",
        "REQUEST SENSE with DESC one returns fixed format (70h) sense data",
    ),
    (
        "scsi.pr.parameter-list-length",
        "REGISTER with a 20-byte parameter list is INVALID FIELD IN CDB, not PARAMETER LIST \
         LENGTH ERROR",
    ),
    (
        "scsi.rsoc.one-command-unsupported",
        "REPORTING OPTIONS 001b for an operation code it lacks (59h) is INVALID FIELD IN CDB, \
         not SUPPORT 001b",
    ),
];

fn target(portal: String) -> Target {
    Target {
        addr: portal,
        iqn: IQN.to_owned(),
        lun: u64::from(LUN),
        initiator_name: "iqn.2024-01.org.rtgt:suite-a".to_owned(),
        initiator_name_2: Some("iqn.2024-01.org.rtgt:suite-b".to_owned()),
        moved_iqn: None,
        async_command: None,
        chap: None,
        mutual_chap: None,
        allow_destructive: false,
        scratch_lba: 1024,
        scratch_blocks: 64,
        timeout: Duration::from_secs(5),
        quiet: Duration::from_millis(500),
    }
}

#[test]
fn scsi_scenarios_against_tgtd() {
    let tgtd = Tgtd::start(TgtdConfig::new(IQN)).expect("tgtd starts");
    let target = target(tgtd.portal());
    let failed = failures(&run_all(scsi_scenarios(), &target));
    let known: BTreeSet<&str> = KNOWN.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        failed, known,
        "failures differ from tgtd's known departures"
    );
}

/// rtgt's own target passes every scenario. The daemon is the one cargo
/// built in this workspace (`cargo build -p rtgt-target --bin rtgtd`), or
/// the binary the RTGTD variable names.
#[test]
fn scsi_scenarios_against_rtgtd() {
    let bin = std::env::var_os("RTGTD").map_or_else(
        || {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../build");
            ["debug", "release"]
                .iter()
                .map(|p| root.join(p).join("rtgtd"))
                .find(|p| p.exists())
                .expect("rtgtd is built: cargo build -p rtgt-target --bin rtgtd")
        },
        std::path::PathBuf::from,
    );
    let log = std::env::temp_dir().join(format!("rtgt-scsi-scenarios-{}.log", std::process::id()));
    let daemon =
        rtgt_peers::rtgtd::Rtgtd::demo(&bin, &[], &log).unwrap_or_else(|e| panic!("{e:#}"));
    let mut target = target(daemon.addr().to_owned());
    target.iqn = daemon.iqn().to_owned();
    target.lun = 0;
    let failed = failures(&run_all(scsi_scenarios(), &target));
    assert!(failed.is_empty(), "rtgtd fails {failed:?}");
}

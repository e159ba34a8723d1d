//! `cargo xtask capture`: records real iSCSI sessions between Debian's tgtd
//! and libiscsi's command-line tools on loopback, and writes the raw TCP
//! payload of each direction of each connection under proto/tests/vectors/.
//!
//! For each scenario: start tgtd ([`crate::tgtd`]), start tshark on `lo`
//! filtered on tgtd's port, run the tools, stop tshark, then
//! - check with tshark's iSCSI dissector that the capture holds what the
//!   scenario claims (login keys, PDU kinds, logout),
//! - extract each TCP stream's payload per direction, failing on any gap,
//!   retransmission or truncated segment,
//! - walk the PDUs of each direction to find where the login phase ends and
//!   which digests were negotiated, for `manifest.txt` and `README.md`.

use crate::cmd::{display, on_path, run_command, workspace_root};
use crate::peers;
use crate::tgtd::{Chap, Tgtd, TgtdConfig, LUN};
use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// Only capture these scenarios (default: all); the README and manifest
    /// are rewritten only when all are captured
    #[arg(long = "only", value_name = "SCENARIO")]
    only: Vec<String>,
    /// Where to write the vectors (default: proto/tests/vectors)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The target's name in every scenario.
const TARGET_IQN: &str = "iqn.2024-01.org.rtgt:capture";
const INITIATOR_USER: &str = "rtgt-initiator";
const INITIATOR_SECRET: &str = "initiator-secret-1";
const TARGET_USER: &str = "rtgt-target";
const TARGET_SECRET: &str = "target-secret-22";

/// How tgtd is configured for a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    None,
    /// Incoming account on the target and on discovery sessions.
    OneWay,
    /// Incoming and outgoing accounts on the target and on discovery sessions.
    Mutual,
}

/// One tool run. `{portal}`, `{iqn}`, `{lun}`, `{user}`, `{secret}`,
/// `{tuser}` and `{tsecret}` in the arguments and environment are filled in.
struct Run {
    tool: &'static str,
    /// Split on spaces (no argument contains one).
    args: &'static str,
    env: &'static [(&'static str, &'static str)],
}

const fn tool(tool: &'static str, args: &'static str) -> Run {
    Run {
        tool,
        args,
        env: &[],
    }
}

/// A display filter that must (or must not) match a packet of the capture;
/// `{port}` is tgtd's port, so `tcp.srcport == {port}` means "sent by the target".
#[derive(Clone, Copy)]
struct Check {
    filter: &'static str,
    present: bool,
    what: &'static str,
}

const fn has(filter: &'static str, what: &'static str) -> Check {
    Check {
        filter,
        present: true,
        what,
    }
}

const fn lacks(filter: &'static str, what: &'static str) -> Check {
    Check {
        filter,
        present: false,
        what,
    }
}

struct Scenario {
    name: &'static str,
    summary: &'static str,
    auth: Auth,
    /// Which connection is which, for the README.
    notes: &'static str,
    /// What the digests are expected to be, for the README.
    digests: &'static str,
    /// Target parameters given to tgtd (`tgtadm --op update`).
    params: &'static [(&'static str, &'static str)],
    runs: &'static [Run],
    checks: &'static [Check],
}

/// Every tool logs out at the end, and the target answers.
const LOGOUT: [Check; 2] = [
    has("iscsi.opcode == 0x06", "Logout Request"),
    has("iscsi.opcode == 0x26", "Logout Response"),
];

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "discovery-none",
        summary: "Discovery session without authentication: SendTargets=All and its answer.",
        auth: Auth::None,
        notes: "Connection 0: the discovery session (login straight into operational \
                negotiation, SendTargets, logout).",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[tool("iscsi-ls", "iscsi://{portal}")],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Discovery""#, "discovery session"),
            lacks("iscsi.login.csg == 0", "no security negotiation stage"),
            has(r#"iscsi.keyvalue == "SendTargets=All""#, "SendTargets request"),
            has(r#"iscsi.keyvalue contains "TargetName=iqn.2024-01.org.rtgt:capture""#, "SendTargets answer"),
            has("iscsi.opcode == 0x04", "Text Request"),
            has("iscsi.opcode == 0x24", "Text Response"),
            lacks(r#"iscsi.keyvalue contains "CHAP_""#, "no CHAP"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "chap-oneway",
        summary: "One-way CHAP (MD5) on a discovery session and on a normal session \
                  (iscsi-ls -s logs in to the target to list its LUNs).",
        auth: Auth::OneWay,
        notes: "Connection 0: the discovery session (security then operational negotiation, \
                SendTargets; it logs out last). Connection 1: the normal session iscsi-ls opens \
                to list LUNs (REPORT LUNS, TEST UNIT READY with the power-on UNIT ATTENTION, \
                INQUIRY, READ CAPACITY (10)); iscsi-ls closes it without a Logout.",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[tool("iscsi-ls", "-s iscsi://{user}%{secret}@{portal}")],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Discovery""#, "discovery session"),
            has(r#"iscsi.keyvalue == "SessionType=Normal""#, "normal session"),
            has(r#"iscsi.keyvalue == "AuthMethod=CHAP""#, "target picks CHAP"),
            has(r#"iscsi.keyvalue == "CHAP_A=5""#, "CHAP with MD5"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue contains "CHAP_C=""#, "target's challenge"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue == "CHAP_N=rtgt-initiator""#, "initiator's name"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue contains "CHAP_R=""#, "initiator's response"),
            lacks(r#"tcp.srcport == {port} && iscsi.keyvalue contains "CHAP_R=""#, "no target response"),
            has("scsi.spc.opcode == 0xa0 || scsi_sbc.opcode == 0xa0", "REPORT LUNS"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "chap-mutual",
        summary: "Mutual CHAP (MD5) on discovery and normal sessions. The first tool run \
                  takes the target's credentials from LIBISCSI_CHAP_TARGET_USERNAME and \
                  LIBISCSI_CHAP_TARGET_PASSWORD, the second from the URL arguments \
                  target_user and target_password.",
        auth: Auth::Mutual,
        notes: "Connection 0: the discovery session, mutual CHAP (the initiator sends CHAP_I \
                and CHAP_C with its CHAP_R; the target answers CHAP_N and CHAP_R). Connection \
                1: iscsi-ls's normal session, which authenticates one-way only (iscsi-ls -s \
                does not hand the target's credentials to it; tgtd accepts that) and ends \
                without a Logout. Connection 2: iscsi-inq's normal session, mutual CHAP, \
                INQUIRY, logout.",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[
            Run {
                tool: "iscsi-ls",
                args: "-s iscsi://{user}%{secret}@{portal}",
                env: &[("LIBISCSI_CHAP_TARGET_USERNAME", "{tuser}"), ("LIBISCSI_CHAP_TARGET_PASSWORD", "{tsecret}")],
            },
            tool("iscsi-inq", "iscsi://{user}%{secret}@{portal}/{iqn}/{lun}?target_user={tuser}&target_password={tsecret}"),
        ],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Discovery""#, "discovery session"),
            has(r#"iscsi.keyvalue == "SessionType=Normal""#, "normal session"),
            has(r#"iscsi.keyvalue == "CHAP_A=5""#, "CHAP with MD5"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue contains "CHAP_I=""#, "initiator's identifier"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue contains "CHAP_C=""#, "initiator's challenge"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "CHAP_N=rtgt-target""#, "target's name"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue contains "CHAP_R=""#, "target's response"),
            has("scsi.spc.opcode == 0x12 || scsi_sbc.opcode == 0x12", "INQUIRY"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "inquiry",
        summary: "Normal sessions without authentication: standard INQUIRY, the VPD pages \
                  tgtd supports (00h, 80h, 83h, B0h, B1h, B2h; iscsi-inq takes the page code in decimal) and READ CAPACITY (16), one \
                  connection per tool run.",
        auth: Auth::None,
        notes: "One connection per command above, in that order. Each: TEST UNIT READY until \
                the power-on UNIT ATTENTION (a SCSI Response with sense data) clears, the \
                INQUIRY, logout. Pages 83h and B1h are first asked with a 64-byte allocation \
                length, returned truncated, then asked again in full (Wireshark's SCSI layer \
                calls the truncated Data-In malformed; the iSCSI PDUs are fine). Connection 7: \
                READ CAPACITY (16).",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[
            tool("iscsi-inq", "iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 128 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 131 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 176 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 177 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 178 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-readcapacity16", "iscsi://{portal}/{iqn}/{lun}"),
        ],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Normal""#, "normal session"),
            has("scsi.spc.opcode == 0x12 || scsi_sbc.opcode == 0x12", "INQUIRY"),
            has(r#"scsi.inquiry.evpd.pagecode == 0x83"#, "VPD page 83h"),
            has(r#"scsi.inquiry.evpd.pagecode == 0xb0"#, "VPD page B0h"),
            has(r#"scsi_sbc.opcode == 0x9e"#, "SERVICE ACTION IN (16): READ CAPACITY (16)"),
            has("iscsi.opcode == 0x25", "SCSI Data-In"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "io-header-digest",
        summary: "READ (10) and WRITE (10) with header digests (CRC32C): iscsi-test-cu's \
                  residual tests, which transfer one block with expected lengths that are \
                  short, long and equal (residual overflow and underflow, Data-Out, R2T, \
                  Data-In).",
        auth: Auth::None,
        notes: "Every iscsi-test-cu run first opens a session that probes the LUN (TEST UNIT \
                READY, READ CAPACITY, INQUIRY and VPD pages, REPORT SUPPORTED OPERATION CODES, \
                MODE SENSE (6), logout), then the test's own session. Connections 0 and 1: \
                Read10Residuals (probe, test); 2 and 3: Write10Residuals (probe, test: WRITE \
                (10) with immediate data, with an R2T and a Data-Out, and residuals). Header \
                digests cover every PDU after the login in all four.",
        digests: "HeaderDigest=CRC32C, DataDigest=None: tgtd is set to accept only CRC32C \
                  header digests (iscsi-test-cu 1.19.0 ignores the URL's header_digest and \
                  always offers None,CRC32C); libiscsi 1.19.0 only offers DataDigest=None",
        params: &[("HeaderDigest", "CRC32C")],
        runs: &[
            tool("iscsi-test-cu", "--dataloss --test=iSCSI.iSCSIResiduals.Read10Residuals iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-test-cu", "--dataloss --test=iSCSI.iSCSIResiduals.Write10Residuals iscsi://{portal}/{iqn}/{lun}"),
        ],
        checks: &[
            has(r#"tcp.dstport == {port} && iscsi.keyvalue == "HeaderDigest=None,CRC32C""#, "initiator offers CRC32C"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "HeaderDigest=CRC32C""#, "target agrees to CRC32C"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "DataDigest=None""#, "no data digest"),
            has("iscsi.headerdigest32", "PDUs carrying a header digest"),
            has(r#"scsi_sbc.opcode == 0x28"#, "READ (10)"),
            has(r#"scsi_sbc.opcode == 0x2a"#, "WRITE (10)"),
            has("iscsi.opcode == 0x25", "SCSI Data-In"),
            has("iscsi.opcode == 0x05", "SCSI Data-Out"),
            has("iscsi.scsiresponse.U == 1 || iscsi.scsidata.U == 1", "residual underflow"),
            has("iscsi.scsiresponse.O == 1 || iscsi.scsidata.O == 1", "residual overflow"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "tmf",
        summary: "Task management: iscsi-test-cu's AbortTaskSimpleAsync (WRITE (10) of 8 \
                  blocks, then ABORT TASK naming it) and Reserve6.LUNReset (RESERVE (6), \
                  LOGICAL UNIT RESET, then a second session checks the reservation is gone).",
        auth: Auth::None,
        notes: "Connections 0 and 1: AbortTaskSimpleAsync (probe session, then WRITE (10) of 8 \
                blocks with 4096 bytes of immediate data, then an immediate ABORT TASK naming \
                it; tgtd has finished the write and answers Task does not exist). Connections 2 \
                to 4: Reserve6.LUNReset (probe session; first initiator: RESERVE (6), LOGICAL \
                UNIT RESET (Function complete), PERSISTENT RESERVE IN answered with a \
                16384-byte Data-In then a CHECK CONDITION (the reset's UNIT ATTENTION); second \
                initiator, iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test-2: RESERVE (6) \
                and RELEASE (6)).",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[
            tool("iscsi-test-cu", "--dataloss --test=iSCSI.iSCSITMF.AbortTaskSimpleAsync iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-test-cu", "--dataloss --test=SCSI.Reserve6.LUNReset iscsi://{portal}/{iqn}/{lun}"),
        ],
        checks: &[
            has("iscsi.taskmanfun.function == 1", "ABORT TASK"),
            has("iscsi.taskmanfun.function == 5", "LOGICAL UNIT RESET"),
            has("iscsi.opcode == 0x22", "Task Management Function Response"),
            has(r#"scsi_sbc.opcode == 0x2a"#, "WRITE (10)"),
            has("iscsi.opcode == 0x05 || iscsi.immediatedata", "write data"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
];

pub fn run(args: &CaptureArgs) -> Result<()> {
    peers::ensure_installed()?;
    for name in &args.only {
        ensure!(
            SCENARIOS.iter().any(|s| s.name == name),
            "unknown scenario `{name}`; known: {}",
            SCENARIOS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| workspace_root().join("proto/tests/vectors"));
    let pcap_dir = workspace_root().join("build/capture");
    fs::create_dir_all(&pcap_dir)?;
    let mut captured = Vec::new();
    for scenario in SCENARIOS {
        if !args.only.is_empty() && !args.only.iter().any(|n| n == scenario.name) {
            continue;
        }
        captured.push(capture_scenario(scenario, &out, &pcap_dir)?);
    }
    if args.only.is_empty() {
        fs::write(out.join("manifest.txt"), manifest(&captured))?;
        fs::write(out.join("README.md"), readme(&captured))?;
        println!("capture: wrote {}", out.join("README.md").display());
    }
    let total: usize = captured
        .iter()
        .flat_map(|c| &c.connections)
        .map(|c| c.initiator.bytes.len() + c.target.bytes.len())
        .sum();
    println!(
        "capture: {} scenarios, {total} bytes of vectors",
        captured.len()
    );
    Ok(())
}

/// What one scenario produced.
struct Captured {
    scenario: &'static Scenario,
    connections: Vec<Connection>,
    commands: Vec<String>,
}

struct Connection {
    index: usize,
    initiator: Direction,
    target: Direction,
}

/// One direction of one connection, walked into PDUs.
struct Direction {
    bytes: Vec<u8>,
    /// Bytes of login PDUs at the start (digests never apply to them).
    login_bytes: usize,
    /// Opcodes of every PDU, in order.
    opcodes: Vec<u8>,
    /// Text keys of the login PDUs (`key=value`), in order.
    login_keys: Vec<String>,
}

fn capture_scenario(scenario: &'static Scenario, out: &Path, pcap_dir: &Path) -> Result<Captured> {
    println!("capture: scenario {} ", scenario.name);
    let mut config = TgtdConfig::new(TARGET_IQN);
    let initiator = Chap::new(INITIATOR_USER, INITIATOR_SECRET);
    let target = Chap::new(TARGET_USER, TARGET_SECRET);
    match scenario.auth {
        Auth::None => {}
        Auth::OneWay => config.incoming = Some(initiator),
        Auth::Mutual => {
            config.incoming = Some(initiator);
            config.outgoing = Some(target);
        }
    }
    config.discovery_auth = scenario.auth != Auth::None;
    config.params = scenario
        .params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let tgtd = Tgtd::start(config)?;
    let port = tgtd.port();
    let fill = |template: &str| {
        template
            .replace("{portal}", &tgtd.portal())
            .replace("{iqn}", TARGET_IQN)
            .replace("{lun}", &LUN.to_string())
            .replace("{user}", INITIATOR_USER)
            .replace("{secret}", INITIATOR_SECRET)
            .replace("{tuser}", TARGET_USER)
            .replace("{tsecret}", TARGET_SECRET)
    };

    let pcap = pcap_dir.join(format!("{}.pcapng", scenario.name));
    let _ = fs::remove_file(&pcap);
    let tshark = Tshark::start(&pcap, port)?;
    let mut commands = Vec::new();
    for run in scenario.runs {
        let mut command = Command::new(run.tool);
        let mut shown = String::new();
        for (key, value) in run.env {
            let value = fill(value);
            shown.push_str(&format!("{key}={value} "));
            command.env(key, value);
        }
        command.args(run.args.split(' ').map(fill));
        shown.push_str(&display(&command));
        println!("$ {shown}");
        let status = command
            .status()
            .with_context(|| format!("could not start {}", run.tool))?;
        if !status.success() {
            bail!("`{shown}` failed ({status}); tgtd's log:\n{}", tgtd.log());
        }
        commands.push(shown.replace(&tgtd.portal(), "127.0.0.1:PORT"));
    }
    // Let the last FIN/ACK exchange reach the capture.
    std::thread::sleep(Duration::from_millis(500));
    tshark.stop()?;
    drop(tgtd);

    check_contents(scenario, &pcap, port)?;
    let streams = extract_streams(&pcap, port)?;
    let dir = out.join(scenario.name);
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    let mut connections = Vec::new();
    for (index, (initiator, target)) in streams.into_iter().enumerate() {
        fs::write(dir.join(format!("{index}-initiator.bin")), &initiator)?;
        fs::write(dir.join(format!("{index}-target.bin")), &target)?;
        let connection = Connection {
            index,
            initiator: walk(&initiator, None)
                .with_context(|| format!("{} connection {index}, initiator", scenario.name))?,
            target: walk(&target, None)
                .with_context(|| format!("{} connection {index}, target", scenario.name))?,
        };
        // Walk again with the negotiated digests: every byte must fall into a PDU.
        let (header, data) = connection.digests();
        let digests = Some((header == "CRC32C", data == "CRC32C"));
        let connection = Connection {
            initiator: walk(&connection.initiator.bytes, digests)
                .with_context(|| format!("{} connection {index}, initiator", scenario.name))?,
            target: walk(&connection.target.bytes, digests)
                .with_context(|| format!("{} connection {index}, target", scenario.name))?,
            ..connection
        };
        connections.push(connection);
    }
    ensure!(
        !connections.is_empty(),
        "{}: no connection captured",
        scenario.name
    );
    println!(
        "capture: {} -> {} ({} connections)",
        scenario.name,
        dir.display(),
        connections.len()
    );
    Ok(Captured {
        scenario,
        connections,
        commands,
    })
}

/// A running `tshark -i lo` writing a capture file.
struct Tshark {
    child: Child,
    stderr: Option<JoinHandle<String>>,
}

impl Tshark {
    fn start(pcap: &Path, port: u16) -> Result<Self> {
        ensure!(
            on_path("tshark"),
            "tshark not found: run `cargo xtask peers`"
        );
        let mut command = Command::new("tshark");
        command
            .args(["-i", "lo", "-n", "-q"])
            .args(["-f", &format!("tcp port {port}")])
            .arg("-w")
            .arg(pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        println!("$ {} &", display(&command));
        let mut child = command.spawn().context("could not start tshark")?;
        let stderr = child.stderr.take().context("tshark's stderr")?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        // Read tshark's messages until it says it is capturing, then keep
        // draining them so it never blocks on a full pipe.
        let reader = std::thread::spawn(move || {
            let mut seen = String::new();
            let mut lines = BufReader::new(stderr);
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                if line.contains("Capturing on") {
                    let _ = ready_tx.send(());
                }
                seen.push_str(&line);
                line.clear();
            }
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
            seen + &rest
        });
        let mut tshark = Self {
            child,
            stderr: Some(reader),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if ready_rx.recv_timeout(Duration::from_millis(100)).is_ok() {
                break;
            }
            if let Some(status) = tshark.child.try_wait()? {
                let said = tshark.stderr.take().map(|h| h.join().unwrap_or_default());
                bail!("tshark exited ({status}): {}", said.unwrap_or_default());
            }
            ensure!(
                Instant::now() < deadline,
                "tshark did not start capturing within 15 s"
            );
        }
        // "Capturing on" is printed once the capture is open; give the ring a moment.
        std::thread::sleep(Duration::from_millis(300));
        Ok(tshark)
    }

    /// Stops tshark with SIGINT (so it finishes the file) and waits for it.
    fn stop(mut self) -> Result<()> {
        run_command(Command::new("kill").args(["-INT", &self.child.id().to_string()]))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("tshark did not stop within 15 s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let said = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        if let Some(line) = said.lines().find(|l| l.contains("dropped")) {
            bail!("tshark dropped packets: {line}");
        }
        Ok(())
    }
}

impl Drop for Tshark {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `tshark -r PCAP` with the iSCSI dissector on tgtd's port, output captured.
fn tshark_read(pcap: &Path, port: u16, args: &[&str]) -> Result<String> {
    let mut command = Command::new("tshark");
    command
        .arg("-r")
        .arg(pcap)
        .args(["-n", "-d", &format!("tcp.port=={port},iscsi")])
        .args(args);
    let shown = display(&command);
    println!("$ {shown}");
    let output = command
        .output()
        .with_context(|| format!("running `{shown}`"))?;
    ensure!(
        output.status.success(),
        "`{shown}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn count(pcap: &Path, port: u16, filter: &str) -> Result<usize> {
    let out = tshark_read(
        pcap,
        port,
        &["-Y", filter, "-T", "fields", "-e", "frame.number"],
    )?;
    Ok(out.lines().filter(|l| !l.trim().is_empty()).count())
}

/// Confirms with tshark's iSCSI dissector that the capture holds what the
/// scenario claims, and that TCP saw no retransmission or loss.
fn check_contents(scenario: &Scenario, pcap: &Path, port: u16) -> Result<()> {
    let trouble = "tcp.analysis.retransmission || tcp.analysis.fast_retransmission \
                   || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order \
                   || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment";
    let bad = count(pcap, port, trouble)?;
    ensure!(
        bad == 0,
        "{}: {bad} TCP segments retransmitted, lost or out of order",
        scenario.name
    );
    for check in scenario.checks {
        let filter = check.filter.replace("{port}", &port.to_string());
        let n = count(pcap, port, &filter)?;
        let ok = (n > 0) == check.present;
        println!(
            "capture: {} {}: {} ({n} packets match `{filter}`)",
            scenario.name,
            if ok { "ok" } else { "MISSING" },
            check.what
        );
        ensure!(ok, "{}: expected {} ({filter})", scenario.name, check.what);
    }
    Ok(())
}

/// Per TCP stream, in order of appearance: (initiator to target, target to initiator) bytes.
fn extract_streams(pcap: &Path, port: u16) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let out = tshark_read(
        pcap,
        port,
        &"--disable-protocol iscsi -T fields -E separator=/t -e tcp.stream -e tcp.srcport \
           -e tcp.seq_raw -e tcp.flags.syn -e tcp.len -e tcp.payload"
            .split_whitespace()
            .collect::<Vec<_>>(),
    )?;
    /// Per stream and direction (true = from the initiator): next expected sequence number.
    #[derive(Default)]
    struct Half {
        next: Option<u32>,
        bytes: Vec<u8>,
    }
    let mut halves: BTreeMap<(u32, bool), Half> = BTreeMap::new();
    for (n, line) in out.lines().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [stream, srcport, seq, syn, len, payload] = fields[..] else {
            bail!("unexpected tshark line {}: {line:?}", n + 1);
        };
        let stream: u32 = stream.parse()?;
        let from_initiator = srcport.parse::<u16>()? != port;
        let seq: u32 = seq.parse()?;
        let len: usize = len.parse()?;
        let half = halves.entry((stream, from_initiator)).or_default();
        if syn == "1" || syn.eq_ignore_ascii_case("true") {
            half.next = Some(seq.wrapping_add(1));
            continue;
        }
        if len == 0 {
            continue;
        }
        let Some(next) = half.next else {
            bail!("stream {stream}: data before the SYN (capture started late?)");
        };
        ensure!(
            seq == next,
            "stream {stream}: segment at sequence {seq}, expected {next}: gap or retransmission"
        );
        let bytes = hex(payload).with_context(|| format!("payload of tshark line {}", n + 1))?;
        ensure!(
            bytes.len() == len,
            "stream {stream}: segment truncated in the capture ({} of {len} bytes)",
            bytes.len()
        );
        half.bytes.extend_from_slice(&bytes);
        half.next = Some(next.wrapping_add(len as u32));
    }
    let streams: Vec<u32> = halves
        .keys()
        .map(|(s, _)| *s)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for (i, s) in streams.iter().enumerate() {
        ensure!(
            *s as usize == i,
            "tcp stream numbers are not 0..n: {streams:?}"
        );
    }
    Ok(streams
        .iter()
        .map(|s| {
            let mut take = |dir| {
                halves
                    .remove(&(*s, dir))
                    .map(|h| h.bytes)
                    .unwrap_or_default()
            };
            (take(true), take(false))
        })
        .collect())
}

fn hex(text: &str) -> Result<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    ensure!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair)?;
            Ok(u8::from_str_radix(pair, 16)?)
        })
        .collect()
}

/// Splits one direction into PDUs (RFC 7143 §11.2). The leading Login
/// Request/Response PDUs never carry digests; after them, `digests` says
/// whether header and data digests follow (None: only walk the login phase).
fn walk(bytes: &[u8], digests: Option<(bool, bool)>) -> Result<Direction> {
    const BHS: usize = 48;
    let mut at = 0;
    let mut login_bytes = 0;
    let mut in_login = true;
    let mut opcodes = Vec::new();
    let mut login_keys = Vec::new();
    while at < bytes.len() {
        let bhs = bytes
            .get(at..at + BHS)
            .with_context(|| format!("truncated BHS at offset {at}"))?;
        let opcode = bhs[0] & 0x3f;
        let is_login = opcode == 0x03 || opcode == 0x23;
        in_login &= is_login;
        if !in_login && digests.is_none() {
            break;
        }
        let (header_digest, data_digest) = if in_login {
            (false, false)
        } else {
            digests.unwrap_or_default()
        };
        let ahs = usize::from(bhs[4]) * 4;
        let data_len = usize::from(bhs[5]) << 16 | usize::from(bhs[6]) << 8 | usize::from(bhs[7]);
        let data_start = at + BHS + ahs + if header_digest { 4 } else { 0 };
        let padded = data_len.div_ceil(4) * 4;
        let mut end = data_start + padded;
        if data_digest && data_len > 0 {
            end += 4;
        }
        ensure!(
            end <= bytes.len(),
            "PDU at offset {at} (opcode {opcode:#04x}) runs past the end ({end} > {})",
            bytes.len()
        );
        if in_login {
            let data = &bytes[data_start..data_start + data_len];
            login_keys.extend(
                data.split(|b| *b == 0)
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| String::from_utf8_lossy(kv).into_owned()),
            );
            login_bytes = end;
        }
        opcodes.push(opcode);
        at = end;
    }
    Ok(Direction {
        bytes: bytes.to_vec(),
        login_bytes,
        opcodes,
        login_keys,
    })
}

impl Connection {
    /// (HeaderDigest, DataDigest) as the target answered during login; RFC 7143
    /// §13.1: None when the key was not negotiated.
    fn digests(&self) -> (String, String) {
        let answer = |key: &str| {
            self.target
                .login_keys
                .iter()
                .rev()
                .find_map(|kv| kv.strip_prefix(key))
                .unwrap_or("None")
                .to_owned()
        };
        (answer("HeaderDigest="), answer("DataDigest="))
    }

    fn session_type(&self) -> &str {
        self.initiator
            .login_keys
            .iter()
            .find_map(|kv| kv.strip_prefix("SessionType="))
            .unwrap_or("Normal")
    }

    fn auth(&self) -> String {
        let method = self
            .target
            .login_keys
            .iter()
            .find_map(|kv| kv.strip_prefix("AuthMethod="))
            .unwrap_or("None");
        let mutual = self
            .target
            .login_keys
            .iter()
            .any(|kv| kv.starts_with("CHAP_R="));
        match (method, mutual) {
            ("CHAP", true) => "CHAP-mutual".to_owned(),
            ("CHAP", false) => "CHAP".to_owned(),
            (other, _) => other.to_owned(),
        }
    }
}

fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0x00 => "NOP-Out",
        0x01 => "SCSI-Command",
        0x02 => "TMF-Request",
        0x03 => "Login-Request",
        0x04 => "Text-Request",
        0x05 => "Data-Out",
        0x06 => "Logout-Request",
        0x10 => "SNACK",
        0x20 => "NOP-In",
        0x21 => "SCSI-Response",
        0x22 => "TMF-Response",
        0x23 => "Login-Response",
        0x24 => "Text-Response",
        0x25 => "Data-In",
        0x26 => "Logout-Response",
        0x31 => "R2T",
        0x32 => "Async-Message",
        0x3f => "Reject",
        _ => "unknown",
    }
}

/// PDU kinds with counts, in order of first appearance.
fn pdu_summary(opcodes: &[u8]) -> String {
    let mut order: Vec<u8> = Vec::new();
    let mut counts: BTreeMap<u8, usize> = BTreeMap::new();
    for op in opcodes {
        if !order.contains(op) {
            order.push(*op);
        }
        *counts.entry(*op).or_default() += 1;
    }
    order
        .iter()
        .map(|op| format!("{}×{}", opcode_name(*op), counts[op]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line per connection, whitespace separated, for tests to read.
fn manifest(captured: &[Captured]) -> String {
    let mut text = String::from(
        "# Generated by `cargo xtask capture`; see README.md.\n\
         # scenario connection session auth header_digest data_digest \
         initiator_login_bytes initiator_bytes initiator_pdus \
         target_login_bytes target_bytes target_pdus\n",
    );
    for c in captured {
        for conn in &c.connections {
            let (header, data) = conn.digests();
            let _ = writeln!(
                text,
                "{} {} {} {} {header} {data} {} {} {} {} {} {}",
                c.scenario.name,
                conn.index,
                conn.session_type(),
                conn.auth(),
                conn.initiator.login_bytes,
                conn.initiator.bytes.len(),
                conn.initiator.opcodes.len(),
                conn.target.login_bytes,
                conn.target.bytes.len(),
                conn.target.opcodes.len(),
            );
        }
    }
    text
}

fn readme(captured: &[Captured]) -> String {
    let mut text = String::new();
    let total: usize = captured
        .iter()
        .flat_map(|c| &c.connections)
        .map(|c| c.initiator.bytes.len() + c.target.bytes.len())
        .sum();
    let _ = write!(
        text,
        "# iSCSI test vectors from real peers\n\n\
         Generated by `cargo xtask capture` (xtask/src/capture.rs); do not edit by hand, rerun it.\n\
         It records, on loopback, sessions between Debian's tgtd 1.0.85 (the target) and\n\
         libiscsi 1.19.0's command-line tools (the initiator), with tshark on `lo`, and keeps\n\
         the raw TCP payload of each direction of each connection:\n\n\
         - `<scenario>/<n>-initiator.bin`: every byte the initiator sent on TCP connection `n`\n\
         - `<scenario>/<n>-target.bin`: every byte the target sent on it\n\n\
         Connections are numbered in the order they were opened (tshark's `tcp.stream`).\n\
         Each file is a whole number of PDUs, from the first Login Request (or Response)\n\
         to the Logout Request (or Response). The capture checked that TCP had no gap,\n\
         retransmission or truncated segment, and the walk below checked that every byte\n\
         falls into a PDU. Total: {total} bytes.\n\n\
         ## Decoding them\n\n\
         Each direction starts with Login PDUs, which never carry digests (RFC 7143 §13.1:\n\
         digests start after the login phase). `login bytes` below is where the login phase\n\
         ends in that direction (the end of the last Login PDU); from there on a header\n\
         digest (CRC32C, 4 bytes after the BHS and AHS) follows every PDU when\n\
         `header` is CRC32C, and a data digest after every non-empty padded data segment\n\
         when `data` is CRC32C. The same figures are in `manifest.txt`, one line per\n\
         connection, for tests to read.\n\n\
         libiscsi 1.19.0 cannot negotiate data digests: it always offers `DataDigest=None`\n\
         (data digest support arrived in libiscsi 1.20.1). No vector here has data digests;\n\
         captures of rtgt's own initiator will supply them. Nor does 1.19.0 offer CHAP\n\
         with anything but MD5 (`CHAP_A=5`).\n\n\
         ## tgtd configuration\n\n\
         `tgtd -f -C N --iscsi portal=127.0.0.1:PORT` (a free port, its own control port), then\n\
         through `tgtadm -C N --lld iscsi` (xtask/src/tgtd.rs):\n\n\
         - target 1 `{TARGET_IQN}`; LUN 0 is tgtd's controller, LUN 1 a 16 MiB sparse file\n\
         \u{20} (512-byte blocks, rdwr backing store)\n\
         - ACL: `--initiator-address 127.0.0.1`\n\
         - one-way CHAP: incoming account `{INITIATOR_USER}` / `{INITIATOR_SECRET}`\n\
         - mutual CHAP: also outgoing account `{TARGET_USER}` / `{TARGET_SECRET}`\n\
         - with CHAP, the accounts are bound to the target and (without `--tid`) to\n\
         \u{20} discovery sessions, so both session types authenticate\n\n\
         The port varies from run to run; below it is written `PORT`. The CHAP challenges\n\
         are random, so a rerun produces different bytes with the same structure.\n\n"
    );
    for c in captured {
        let s = c.scenario;
        let auth = match s.auth {
            Auth::None => "none".to_owned(),
            Auth::OneWay => format!("one-way CHAP (incoming account {INITIATOR_USER})"),
            Auth::Mutual => {
                format!("mutual CHAP (incoming {INITIATOR_USER}, outgoing {TARGET_USER})")
            }
        };
        let _ = write!(
            text,
            "## {}\n\n{}\n\n{}\n\n- tgtd authentication: {auth}\n- digests: {}\n- commands, in order:\n",
            s.name, s.summary, s.notes, s.digests
        );
        for command in &c.commands {
            let _ = writeln!(text, "  - `{command}`");
        }
        text.push_str("- confirmed with tshark's iSCSI dissector:");
        let whats: Vec<String> = s
            .checks
            .iter()
            .map(|check| {
                if check.present {
                    check.what.to_owned()
                } else {
                    format!("({})", check.what)
                }
            })
            .collect();
        let _ = writeln!(text, " {}\n", whats.join("; "));
        text.push_str(
            "| n | session | auth | header | data | login bytes (i / t) | bytes (i / t) | initiator PDUs | target PDUs |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        for conn in &c.connections {
            let (header, data) = conn.digests();
            let _ = writeln!(
                text,
                "| {} | {} | {} | {header} | {data} | {} / {} | {} / {} | {} | {} |",
                conn.index,
                conn.session_type(),
                conn.auth(),
                conn.initiator.login_bytes,
                conn.target.login_bytes,
                conn.initiator.bytes.len(),
                conn.target.bytes.len(),
                pdu_summary(&conn.initiator.opcodes),
                pdu_summary(&conn.target.opcodes),
            );
        }
        text.push('\n');
    }
    text.push_str(
        "## Redoing and inspecting\n\n\
         `cargo xtask capture` (installs tgt, libiscsi-bin and tshark from Debian when missing;\n\
         needs root for tgtd and the capture). `--only SCENARIO` recaptures one scenario without\n\
         rewriting this file. The capture files stay in `build/capture/<scenario>.pcapng`; read\n\
         them with `tshark -r build/capture/<scenario>.pcapng -d tcp.port==PORT,iscsi -O iscsi`\n\
         (PORT as printed by the run).\n",
    );
    text
}

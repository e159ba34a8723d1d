//! `rtgt-capture` (run by `cargo xtask capture`): records real iSCSI sessions between Debian's tgtd
//! and libiscsi's command-line tools on loopback, and writes the raw TCP
//! payload of each direction of each connection under proto/tests/vectors/.
//!
//! For each scenario: start tgtd ([`rtgt_peers::tgtd`]), start tshark on `lo`
//! filtered on tgtd's port, run the tools, stop tshark, then
//! - check with tshark's iSCSI dissector that the capture holds what the
//!   scenario claims (login keys, PDU kinds, logout),
//! - extract each TCP stream's payload per direction, failing on any gap,
//!   retransmission or truncated segment, and write them with a README.
//!
//! Decoding the vectors is proto's business, not xtask's: the test
//! proto/tests/capture_vectors.rs decodes and re-encodes every PDU and
//! snapshots what each connection negotiated.

mod readme;
mod scenarios;
mod tshark;

use anyhow::{bail, ensure, Context, Result};
use rtgt_peers::process::command_line;
use rtgt_peers::tgtd::{Chap, Tgtd, TgtdConfig, LUN};
use scenarios::{
    Auth, Scenario, INITIATOR_SECRET, INITIATOR_USER, SCENARIOS, TARGET_IQN, TARGET_SECRET,
    TARGET_USER,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tshark::{check_contents, extract_streams, Tshark};

#[derive(Debug, clap::Parser)]
#[command(
    name = "rtgt-capture",
    about = "Record tgtd/libiscsi iSCSI sessions on loopback as byte-exact test vectors"
)]
struct CaptureArgs {
    /// Only capture these scenarios (default: all); the README and manifest
    /// are rewritten only when all are captured
    #[arg(long = "only", value_name = "SCENARIO")]
    only: Vec<String>,
    /// Where to write the vectors (default: proto/tests/vectors)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The workspace root (the parent of peers/).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("peers/ lives one level below the workspace root")
        .to_path_buf()
}

fn main() -> Result<()> {
    let args = <CaptureArgs as clap::Parser>::parse();
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
        let _ = fs::remove_file(out.join("manifest.txt"));
        fs::write(out.join("README.md"), readme::render(&captured))?;
        println!("capture: wrote {}", out.join("README.md").display());
    }
    let total: usize = captured
        .iter()
        .flat_map(|c| &c.connections)
        .map(|c| c.initiator.len() + c.target.len())
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

/// The bytes of one TCP connection, each direction whole.
struct Connection {
    index: usize,
    initiator: Vec<u8>,
    target: Vec<u8>,
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
        shown.push_str(&command_line(&command));
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
            initiator,
            target,
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

//! libiscsi's command line tools against rtgtd: discovery with and without
//! CHAP, INQUIRY with VPD pages, READ CAPACITY (16).
#![cfg(feature = "real-peers")]

mod common;

use std::time::Duration;

use common::{run, Rtgtd, DEMO_IQN};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn iscsi_ls_discovers_the_demo_target() {
    let mut d = Rtgtd::demo(&[]);
    let (ok, out) = run("iscsi-ls", &["-s", &d.url(None)], LIMIT);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("Target:{DEMO_IQN} Portal:{},1", d.addr)),
        "{out}"
    );
    assert!(out.contains("Lun:0    Type:DIRECT_ACCESS"), "{out}");
    assert!(d.stop().success());
}

#[test]
fn iscsi_ls_with_chap() {
    let mut d = Rtgtd::demo(&[
        "--chap",
        "alice:alice-secret-1",
        "--chap",
        "bob:bob-secret-222",
        "--discovery-chap",
        "disco:disco-secret-1",
    ]);
    // Discovery needs its account; the target's accounts log in.
    let (ok, out) = run(
        "iscsi-ls",
        &[&d.url(Some(("disco", "disco-secret-1")))],
        LIMIT,
    );
    assert!(ok, "{out}");
    assert!(out.contains(DEMO_IQN), "{out}");
    let (ok, _) = run("iscsi-ls", &[&d.url(None)], LIMIT);
    assert!(!ok, "discovery without CHAP must fail");
    let (ok, _) = run(
        "iscsi-ls",
        &[&d.url(Some(("disco", "wrong-secret-12")))],
        LIMIT,
    );
    assert!(!ok, "discovery with a wrong secret must fail");
    // A normal session with each incoming account, and a wrong secret.
    for (u, s) in [("alice", "alice-secret-1"), ("bob", "bob-secret-222")] {
        let (ok, out) = run("iscsi-readcapacity16", &[&d.lun_url(Some((u, s)))], LIMIT);
        assert!(ok && out.contains("Total size:67108864"), "{out}");
    }
    let (ok, _) = run(
        "iscsi-readcapacity16",
        &[&d.lun_url(Some(("alice", "bob-secret-222")))],
        LIMIT,
    );
    assert!(!ok, "a wrong secret must fail");
    let (ok, _) = run("iscsi-readcapacity16", &[&d.lun_url(None)], LIMIT);
    assert!(!ok, "no CHAP must fail");
    let log = d.log_text();
    assert!(log.contains("login failed"), "{log}");
    assert!(!log.contains("alice-secret-1"), "a secret reached the log");
    assert!(d.stop().success());
}

#[test]
fn iscsi_inq_standard_and_vpd_pages() {
    let mut d = Rtgtd::demo(&[]);
    let url = d.lun_url(None);
    let (ok, out) = run("iscsi-inq", &[&url], LIMIT);
    assert!(ok, "{out}");
    assert!(out.contains("Vendor:RTGT"), "{out}");
    assert!(out.contains("Product:VIRTUAL-DISK"), "{out}");
    assert!(
        out.contains("Peripheral Device Type:DIRECT_ACCESS"),
        "{out}"
    );
    // iscsi-inq's -c takes the page code in decimal.
    let (ok, out) = run("iscsi-inq", &["-e", "1", "-c", "0", &url], LIMIT);
    assert!(ok && out.contains("0x80") && out.contains("0x83"), "{out}");
    let (ok, out) = run("iscsi-inq", &["-e", "1", "-c", "128", &url], LIMIT);
    assert!(ok && out.contains("RTGTDEMO0001"), "{out}");
    let (ok, out) = run("iscsi-inq", &["-e", "1", "-c", "131", &url], LIMIT);
    assert!(ok && out.contains("NAA"), "{out}");
    let (ok, out) = run("iscsi-inq", &["-e", "1", "-c", "176", &url], LIMIT);
    assert!(
        ok && out.to_lowercase().contains("maximum transfer length"),
        "{out}"
    );
    assert!(d.stop().success());
}

#[test]
fn iscsi_readcapacity16_reports_the_ram_disk() {
    let mut d = Rtgtd::demo(&[]);
    let (ok, out) = run("iscsi-readcapacity16", &[&d.lun_url(None)], LIMIT);
    assert!(ok, "{out}");
    assert!(out.contains("LOGICAL BLOCK LENGTH IN BYTES:512"), "{out}");
    assert!(
        out.contains("RETURNED LOGICAL BLOCK ADDRESS:131071"),
        "{out}"
    );
    assert!(out.contains("LBPME:1"), "{out}");
    assert!(d.stop().success());
}

#[test]
fn config_file_target_with_file_lun() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("lun1.img");
    let cfg = dir.path().join("rtgt.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"portals = ["127.0.0.1:0"]
[[target]]
iqn = "iqn.2024-01.org.rtgt:file"
allow_addresses = ["127.0.0.0/8"]
[[target.lun]]
lun = 0
backstore = "file"
path = {img:?}
size = "32M"
block_size = 4096
serial = "FILELUN0001"
"#
        ),
    )
    .unwrap();
    let mut d = Rtgtd::start(&["--config", cfg.to_str().unwrap()]);
    let url = format!("iscsi://{}/iqn.2024-01.org.rtgt:file/0", d.addr);
    let (ok, out) = run("iscsi-readcapacity16", &[&url], LIMIT);
    assert!(
        ok && out.contains("LOGICAL BLOCK LENGTH IN BYTES:4096"),
        "{out}"
    );
    assert!(out.contains("Total size:33554432"), "{out}");
    let (ok, out) = run("iscsi-inq", &["-e", "1", "-c", "128", &url], LIMIT);
    assert!(ok && out.contains("FILELUN0001"), "{out}");
    assert!(d.stop().success());
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 32 << 20);
}

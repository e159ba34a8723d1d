//! rtgtd's glfs backstore against a real GlusterFS: a one-brick volume
//! (`rtgt_peers::gluster`), rtgtd serving a file on it through libgfapi,
//! libiscsi's tools and rtgt-iscsi reading and writing it, and tgtd's
//! bs_glfs reading back, through its own libgfapi connection, the bytes
//! rtgtd wrote. Needs root (glusterd); RTGT_ISCSI names rtgt-iscsi.
#![cfg(feature = "real-peers")]

mod common;

use common::tgt::{tgtadm, Tgtd};
use common::{run, Rtgtd};
use rtgt_peers::gluster::Volume;
use rtgt_peers::tgtd::free_loopback_port;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);
const IQN: &str = "iqn.2026-12.org.rtgt:glfs";
const SIZE: u64 = 64 << 20;

fn rtgt_iscsi() -> String {
    std::env::var("RTGT_ISCSI").unwrap_or_else(|_| {
        panic!(
            "set RTGT_ISCSI to the rtgt-iscsi binary \
             (cargo build -p rtgt-initiator --bin rtgt-iscsi)"
        )
    })
}

#[test]
fn glfs_lun_round_trips_and_tgtd_bs_glfs_reads_the_same_bytes() {
    let vol = Volume::create("rtgtglfs").unwrap_or_else(|e| panic!("{e:#}"));
    let dir = tempfile::tempdir().unwrap();
    let port = free_loopback_port().unwrap();
    // LUN 0 by volume/path/servers, LUN 1 by URL: two files sharing one
    // gluster connection.
    let config = format!(
        r#"portals = ["127.0.0.1:{port}"]
state_dir = "{state}"
[[target]]
iqn = "{IQN}"
[[target.lun]]
lun = 0
backstore = "glfs"
volume = "{name}"
path = "lun0.img"
servers = ["{host}"]
size = "{SIZE}"
[[target.lun]]
lun = 1
backstore = "glfs"
path = "gluster://{host}/{name}/lun1.img"
size = "16M"
"#,
        state = dir.path().join("state").display(),
        name = vol.name,
        host = vol.host,
    );
    let conf = dir.path().join("rtgt.toml");
    std::fs::write(&conf, config).unwrap();
    let mut d = Rtgtd::start(&["-c", conf.to_str().unwrap()]);
    let lun = |n: u32| format!("{}/{IQN}/{n}", d.url(None));

    let (ok, out) = run("iscsi-inq", &[&lun(0)], LIMIT);
    assert!(
        ok && out.contains("DIRECT_ACCESS"),
        "{out}\n{}",
        d.log_text()
    );
    let (ok, out) = run("iscsi-readcapacity16", &[&lun(0)], LIMIT);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("Total size:{SIZE}")), "{out}");
    let (ok, out) = run("iscsi-readcapacity16", &[&lun(1)], LIMIT);
    assert!(ok && out.contains("Total size:16777216"), "{out}");

    // Pattern write, read back and compare (with FUA and SYNCHRONIZE CACHE).
    for n in [0, 1] {
        let (ok, out) = run(
            &rtgt_iscsi(),
            &["verify", "--lba", "64", "--blocks", "2048", &lun(n)],
            LIMIT,
        );
        assert!(ok, "lun {n}: {out}\nrtgtd:\n{}", d.log_text());
    }

    // A known block of bytes through rtgtd, found in the brick's file and
    // read back by tgtd through bs_glfs.
    let data: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i * 7 + i / 4096) as u8)
        .collect();
    let input = dir.path().join("pattern.bin");
    std::fs::write(&input, &data).unwrap();
    let (ok, out) = run(
        &rtgt_iscsi(),
        &[
            "write",
            "--lba",
            "8192",
            "--in",
            input.to_str().unwrap(),
            &lun(0),
        ],
        LIMIT,
    );
    assert!(ok, "{out}");
    let on_brick = std::fs::read(vol.brick().join("lun0.img")).unwrap();
    assert_eq!(on_brick.len() as u64, SIZE);
    assert!(
        on_brick[8192 * 512..8192 * 512 + data.len()] == data[..],
        "the brick holds other bytes"
    );
    assert!(d.stop().success());

    let t = Tgtd::start(dir.path(), "tgtd");
    let ok = |args: &[&str]| {
        let o = tgtadm(&t.sock, args);
        assert!(
            o.status.success(),
            "tgtadm {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ok(&["--op", "new", "--mode", "target", "--tid", "1", "-T", IQN]);
    let backing = format!("{}@{}:lun0.img", vol.name, vol.host);
    ok(&[
        "--op",
        "new",
        "--mode",
        "logicalunit",
        "--tid",
        "1",
        "--lun",
        "1",
        "--bstype",
        "glfs",
        "-b",
        &backing,
    ]);
    ok(&[
        "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL",
    ]);
    let out_file = dir.path().join("back.bin");
    let (ok, out) = run(
        &rtgt_iscsi(),
        &[
            "read",
            "--lba",
            "8192",
            "--blocks",
            "2048",
            "--out",
            out_file.to_str().unwrap(),
            &format!("iscsi://{}/{IQN}/1", t.addr),
        ],
        LIMIT,
    );
    assert!(ok, "{out}");
    let back = std::fs::read(&out_file).unwrap();
    assert!(
        back == data,
        "tgtd's bs_glfs read other bytes than rtgtd wrote"
    );
}

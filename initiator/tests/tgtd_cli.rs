//! The `rtgt-iscsi` command line against Debian's tgtd.
#![cfg(feature = "real-peers")]

#[path = "tgtd_common/mod.rs"]
mod common;

use std::process::{Command, Output};

use common::*;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtgt-iscsi"))
        .args(args)
        .output()
        .expect("rtgt-iscsi runs")
}

fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(
        out.status.success(),
        "rtgt-iscsi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn discover_login_inquiry_readcap_luns() {
    let t = tgtd(|_| {});
    let url = format!("iscsi://{}/{TARGET}/1", t.portal());
    let out = ok(&["discover", &t.portal()]);
    assert!(
        out.contains(TARGET) && out.contains(&format!("{},1", t.portal())),
        "{out}"
    );
    let out = ok(&["login", &url]);
    assert!(
        out.contains("MaxBurstLength") && out.contains("logged out"),
        "{out}"
    );
    let out = ok(&["inquiry", &url]);
    assert!(
        out.contains("VIRTUAL-DISK") && out.contains("block limits (B0h)"),
        "{out}"
    );
    let out = ok(&["inquiry", "--page", "83", &url]);
    assert!(out.contains("device identification (83h)"), "{out}");
    let out = ok(&["readcap", &url]);
    assert!(out.contains("32768 blocks of 512 bytes"), "{out}");
    let out = ok(&["luns", &url]);
    assert!(out.contains("LUN 0") && out.contains("LUN 1"), "{out}");
    // The same with flags instead of the URL.
    let out = ok(&[
        "readcap",
        "--portal",
        &t.portal(),
        "--target",
        TARGET,
        "--lun",
        "1",
    ]);
    assert!(out.contains("32768 blocks"), "{out}");
}

#[test]
fn write_read_verify_and_bench_with_digests() {
    let t = tgtd(|c| {
        c.params = vec![
            ("HeaderDigest".into(), "CRC32C".into()),
            ("DataDigest".into(), "CRC32C".into()),
        ];
    });
    let url = format!("iscsi://{}/{TARGET}/1", t.portal());
    let dig = ["--header-digest", "crc32c", "--data-digest", "crc32c"];
    let dir = std::env::temp_dir().join(format!("rtgt-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.bin");
    let output = dir.join("out.bin");
    let data = pattern(0, 40, 5);
    std::fs::write(&input, &data[..20_000]).unwrap();
    let mut args = vec![
        "write",
        "--lba",
        "64",
        "--pad",
        "--in",
        input.to_str().unwrap(),
        &url,
    ];
    args.extend(dig);
    ok(&args);
    let mut args = vec![
        "read",
        "--lba",
        "64",
        "--blocks",
        "40",
        "-o",
        output.to_str().unwrap(),
        &url,
    ];
    args.extend(dig);
    ok(&args);
    let back = std::fs::read(&output).unwrap();
    assert_eq!(back.len(), 40 * 512);
    assert_eq!(&back[..20_000], &data[..20_000]);
    assert!(back[20_000..].iter().all(|&b| b == 0));
    let mut args = vec!["verify", "--blocks", "1000", &url];
    args.extend(dig);
    assert!(ok(&args).contains("all match"));
    let mut args = vec![
        "bench", "--rw", "randrw", "--bs", "8k", "--qd", "8", "--count", "2000", &url,
    ];
    args.extend(dig);
    let out = ok(&args);
    assert!(out.contains("IOPS") && out.contains("p99.9"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_name_the_problem_and_the_fix() {
    let t = tgtd_chap(false);
    let url = format!("iscsi://{USER}%wrong-secret@{}/{TARGET}/1", t.portal());
    let out = cli(&["readcap", &url]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0x0201"), "{err}");
    assert!(
        err.contains("the target rejected our CHAP response"),
        "{err}"
    );
    let url = format!("iscsi://{}/{TARGET}/1", t.portal());
    let err = String::from_utf8_lossy(&cli(&["readcap", &url]).stderr).into_owned();
    assert!(err.contains("--user and --secret"), "{err}");
    let url = format!("iscsi://{USER}%{SECRET}@{}/{TARGET}/1", t.portal());
    assert!(ok(&["readcap", &url]).contains("blocks of 512 bytes"));
    let err = String::from_utf8_lossy(&cli(&["readcap", "iscsi://127.0.0.1:1/iqn.x:y/1"]).stderr)
        .into_owned();
    assert!(err.contains("could not connect"), "{err}");
}

//! `rtgt.example.toml` loads and builds, and `rtgtd` refuses a bad file
//! naming its line.

use std::path::Path;
use std::process::Command;

use rtgt_target::config::Config;

#[test]
fn example_config_builds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtgt.example.toml");
    let text = std::fs::read_to_string(&path).expect("rtgt.example.toml at the root");
    // The file LUN goes to a temporary directory instead of /tmp.
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("disk1.img");
    let text = text.replace("/tmp/rtgt-example-disk1.img", img.to_str().unwrap());
    let cfg = Config::parse(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let built = cfg.build().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.listen.len(), 2);
    assert!(built.listen.iter().any(|a| a.is_ipv6()));
    assert_eq!(built.group.targets.len(), 2);
    let t = &built.group.targets[0];
    assert_eq!(t.alias.as_deref(), Some("example disk 1"));
    assert_eq!(t.auth.incoming.len(), 2);
    assert!(t.auth.outgoing.is_some());
    assert_eq!(t.allowed_networks.len(), 4);
    assert_eq!(built.luns.len(), 3);
    assert_eq!(built.group.discovery_auth.incoming.len(), 1);
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 1 << 30);
}

#[test]
fn rtgtd_refuses_a_bad_file_with_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[target]]\niqn = \"iqn.2024-01.org.rtgt:t\"\n[[target.lun]]\nlun = 0\nbackstore = \"ram\"\nsize = \"1G\"\nblocksize = 512\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtgtd"))
        .args(["--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:7:1: unknown field `blocksize`"),
        "{err}"
    );
    assert!(err.contains("expected one of"), "{err}");
    // --check accepts a good file.
    std::fs::write(&cfg, "[[target]]\niqn = \"iqn.2024-01.org.rtgt:t\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtgtd"))
        .args(["--config", cfg.to_str().unwrap(), "--check"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("is valid: 1 target(s)"));
}

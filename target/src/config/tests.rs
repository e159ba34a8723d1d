//! Configuration files: good ones build, bad ones name the line and the fix.

use std::path::Path;

use super::{Config, ConfigError};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("rtgt.toml"), text.to_string())
}

/// The error's line, column and message.
fn err(text: &str) -> (usize, usize, String) {
    match parse(text) {
        Err(ConfigError::At {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected an error, got {other:?}"),
    }
}

const MINIMAL: &str = r#"
portals = ["127.0.0.1:3261"]
[[target]]
iqn = "iqn.2024-01.org.rtgt:t1"
[[target.lun]]
lun = 0
backstore = "ram"
size = "16M"
"#;

#[test]
fn minimal_builds() {
    let b = parse(MINIMAL).unwrap().build().unwrap();
    assert_eq!(b.listen, vec!["127.0.0.1:3261".parse().unwrap()]);
    assert_eq!(b.group.portals, b.listen);
    assert_eq!(b.group.targets.len(), 1);
    assert_eq!(b.group.targets[0].name, "iqn.2024-01.org.rtgt:t1");
    let disk = b.group.targets[0].luns.disk(0).unwrap();
    assert_eq!(disk.config().blocks, (16 << 20) / 512);
    assert!(disk.config().thin);
    assert_eq!(b.luns.len(), 1);
}

#[test]
fn wildcard_portal_reports_local_addresses() {
    let text = MINIMAL.replace("127.0.0.1:3261", "0.0.0.0");
    let b = parse(&text).unwrap().build().unwrap();
    assert_eq!(b.listen, vec!["0.0.0.0:3260".parse().unwrap()]);
    assert!(b.group.portals.is_empty());
}

#[test]
fn unknown_key_names_its_line() {
    let text = MINIMAL.replace("size = \"16M\"", "size = \"16M\"\nsiez = 1");
    let (line, column, msg) = err(&text);
    assert_eq!((line, column), (9, 1));
    assert!(msg.contains("unknown field `siez`"), "{msg}");
}

#[test]
fn bad_values_name_their_place_and_fix() {
    let (line, col, msg) = err(&MINIMAL.replace("iqn.2024-01.org.rtgt:t1", "disk one"));
    assert_eq!((line, col), (4, 7));
    assert!(msg.contains("write iqn."), "{msg}");

    let (line, _, msg) = err(&MINIMAL.replace("\"16M\"", "\"16Q\""));
    assert_eq!(line, 8);
    assert!(msg.contains("K, M, G or T"), "{msg}");

    let (line, _, msg) = err(&MINIMAL.replace("lun = 0", "lun = 20000"));
    assert_eq!(line, 6);
    assert!(msg.contains("from 0 to 16383"), "{msg}");

    let (_, _, msg) = err(&MINIMAL.replace("127.0.0.1:3261", "localhost"));
    assert!(msg.contains("is not an address"), "{msg}");

    let (_, _, msg) = err(&MINIMAL.replace("\"ram\"", "\"tape\""));
    assert!(msg.contains("unknown variant `tape`"), "{msg}");
}

#[test]
fn cross_checks_point_at_the_table() {
    let twice = format!("{MINIMAL}\n[[target.lun]]\nlun = 0\nbackstore = \"null\"\nsize = 4096\n");
    let (line, _, msg) = err(&twice);
    assert_eq!(line, 10, "the [[target.lun]] header");
    assert!(msg.contains("lun 0 is defined twice"), "{msg}");

    let (line, _, msg) = err(&MINIMAL.replace("size = \"16M\"", ""));
    assert_eq!(line, 5);
    assert!(msg.contains("needs a size"), "{msg}");

    let (_, _, msg) = err(&MINIMAL.replace("\"ram\"", "\"file\""));
    assert!(msg.contains("needs a path"), "{msg}");

    let (_, _, msg) = err(&MINIMAL.replace("\"16M\"", "1000"));
    assert!(msg.contains("multiple of block_size 512"), "{msg}");

    let dup = format!("{MINIMAL}\n[[target]]\niqn = \"iqn.2024-01.org.rtgt:T1\"\n");
    let (line, _, msg) = err(&dup);
    assert_eq!(line, 11);
    assert!(msg.contains("defined twice"), "{msg}");

    let burst = format!(
        "{MINIMAL}\n[target.session]\nfirst_burst_length = 65536\nmax_burst_length = 8192\n"
    );
    assert!(err(&burst).2.contains("RFC 7143 §13.14"));
}

#[test]
fn chap_rules() {
    let same = format!(
        "{MINIMAL}[target.chap]\nincoming = [{{ user = \"a\", secret = \"0123456789ab\" }}]\noutgoing = {{ user = \"t\", secret = \"0123456789ab\" }}\n"
    );
    let (line, _, msg) = err(&same);
    assert_eq!(line, 11);
    assert!(msg.contains("§12.1.3"), "{msg}");

    let short =
        format!("{MINIMAL}[target.chap]\nincoming = [{{ user = \"a\", secret = \"short\" }}]\n");
    assert!(err(&short).2.contains("12 to 255 bytes"));
    let weak = format!("allow_weak_chap = true\n{short}");
    assert!(
        parse(&weak).is_ok(),
        "allow_weak_chap admits tgtadm's secrets"
    );

    let ok = format!(
        "{MINIMAL}[target.chap]\nincoming = [{{ user = \"a\", secret = \"0123456789ab\" }}, {{ user = \"b\", secret = \"0123456789ac\" }}]\noutgoing = {{ user = \"t\", secret = \"0123456789ad\" }}\nalgorithms = [\"sha256\", \"md5\"]\n"
    );
    let b = parse(&ok).unwrap().build().unwrap();
    let auth = &b.group.targets[0].auth;
    assert_eq!(auth.incoming.len(), 2);
    assert_eq!(auth.outgoing.as_ref().unwrap().name, "t");
    assert_eq!(auth.algorithms.len(), 2);
    // Secrets never reach Debug output.
    assert!(!format!("{:?}", parse(&ok).unwrap()).contains("0123456789ab"));
}

#[test]
fn error_display_shows_file_line_and_caret() {
    let text = MINIMAL.replace("lun = 0", "lun = -1");
    let e = parse(&text).unwrap_err().to_string();
    assert!(e.starts_with("rtgt.toml:6:7: -1 is out of range"), "{e}");
    assert!(e.contains("6 | lun = -1\n  |       ^^"), "{e}");
}

#[test]
fn file_lun_is_created_sparse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.img");
    let text = format!(
        "{}\n[[target.lun]]\nlun = 1\nbackstore = \"file\"\npath = {:?}\nsize = \"8M\"\nblock_size = 4096\n",
        MINIMAL,
        path.display().to_string()
    );
    let b = parse(&text).unwrap().build().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 8 << 20);
    let d = b.group.targets[0].luns.disk(1).unwrap();
    assert_eq!(d.config().blocks, 2048);
    // A block backstore must be a device.
    let blk = text.replace("\"file\"", "\"block\"");
    let e = parse(&blk).unwrap().build().unwrap_err().to_string();
    assert!(e.contains("is not a block device"), "{e}");
}

#[test]
fn physical_block_and_sanitize_rate() {
    let with = |extra: &str| parse(&format!("{MINIMAL}{extra}\n")).unwrap().build();
    let b = with("physical_block_size = \"64K\"\nsanitize_rate = \"32M\"").unwrap();
    let disk = b.group.targets[0].luns.disk(0).unwrap();
    assert_eq!(disk.config().physical_block_exponent(), 7);
    assert_eq!(
        b.luns[&(crate::TargetId(1), 0)].sanitize_rate,
        Some(32 << 20)
    );
    let b = with("").unwrap();
    let disk = b.group.targets[0].luns.disk(0).unwrap();
    assert_eq!(
        disk.config().physical_block_exponent(),
        3,
        "4096 by default"
    );
    assert_eq!(b.luns[&(crate::TargetId(1), 0)].sanitize_rate, None);
    for bad in ["physical_block_size = 1536", "physical_block_size = 256"] {
        let msg = with(bad).unwrap_err().to_string();
        assert!(msg.contains("times a power of two"), "{bad}: {msg}");
    }
    let msg = with("sanitize_rate = 0").unwrap_err().to_string();
    assert!(msg.contains("remove it for no limit"), "{msg}");
}

#[test]
fn isns_section_takes_a_server_with_or_without_port() {
    let with = |isns: &str| {
        let text = format!("{MINIMAL}\n[isns]\n{isns}\n");
        parse(&text).unwrap().build().unwrap().isns.unwrap()
    };
    let s = with("server = \"10.0.0.1\"\nentity_id = \"storage1\"\nkeepalive_secs = 30");
    assert_eq!(s.server, "10.0.0.1:3205");
    assert_eq!(s.entity_id, "storage1");
    assert_eq!(s.keepalive, std::time::Duration::from_secs(30));
    assert_eq!(
        with("server = \"isns.example:3300\"").server,
        "isns.example:3300"
    );
    assert_eq!(with("server = \"fd00::1\"").server, "[fd00::1]:3205");
    assert_eq!(with("server = \"[fd00::1]:3206\"").server, "[fd00::1]:3206");
    let d = with("server = \"10.0.0.1\"");
    assert!(!d.entity_id.is_empty());
    assert_eq!(d.keepalive, std::time::Duration::from_secs(60));
    assert!(parse(MINIMAL).unwrap().build().unwrap().isns.is_none());
    // tgt's names are not keys of [isns].
    let (_, _, message) = err(&format!(
        "{MINIMAL}\n[isns]\nserver = \"a\"\niSNSAccessControl = true\n"
    ));
    assert!(message.contains("iSNSAccessControl"), "{message}");
}

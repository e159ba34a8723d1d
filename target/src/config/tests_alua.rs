//! `[alua]`: the default is one active/optimized group per portal group;
//! a configured section gives this node's group and its peers; duplicates
//! are refused with their place.

use std::path::Path;

use rtgt_scsi::alua::{AccessState, AccessType, Alua, PortGroup};

use super::{Config, ConfigError};

const BASE: &str = "portals = [\"127.0.0.1:3261\"]\ntpgt = 3\n";

fn build(extra: &str) -> Result<super::Built, ConfigError> {
    Config::parse(Path::new("rtgt.toml"), format!("{BASE}{extra}"))?.build()
}

#[test]
fn default_keeps_one_active_group() {
    let b = build("").unwrap();
    assert_eq!(b.group.alua, Alua::default());
    assert_eq!(b.group.relative_target_port, 1);
}

#[test]
fn groups_and_peers_build() {
    let b = build(
        "[alua]\naccess = \"both\"\nstate = \"standby\"\nrelative_port = 4\n\
         [[alua.peer]]\ngroup = 9\nstate = \"active/non-optimized\"\npreferred = true\nports = [5, 6]\n",
    )
    .unwrap();
    assert_eq!(b.group.relative_target_port, 4);
    let a = &b.group.alua;
    assert_eq!(a.access, AccessType::Both);
    assert_eq!(
        a.groups,
        vec![
            PortGroup {
                id: 3,
                state: AccessState::Standby,
                preferred: false,
                ports: vec![4],
                local: true,
            },
            PortGroup {
                id: 9,
                state: AccessState::ActiveNonOptimized,
                preferred: true,
                ports: vec![5, 6],
                local: false,
            },
        ]
    );
}

#[test]
fn duplicates_and_bad_states_are_refused() {
    let peer = |group: u16, ports: &str| {
        format!("[[alua.peer]]\ngroup = {group}\nstate = \"standby\"\nports = {ports}\n")
    };
    for (extra, want) in [
        (
            format!("[alua]\n{}", peer(3, "[2]")),
            "target port group 3 is declared twice",
        ),
        (
            format!("[alua]\n{}", peer(4, "[1]")),
            "relative target port 1 is in two groups",
        ),
        (format!("[alua]\n{}", peer(4, "[]")), "set ports = [N]"),
        (
            "[alua]\nstate = \"offline\"\n".to_string(),
            "unknown variant `offline`",
        ),
    ] {
        let e = build(&extra).unwrap_err().to_string();
        assert!(e.contains(want), "{want:?} in {e}");
    }
}

use super::*;
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::params::TargetPortGroup;

const AO: u8 = tpg::ALUA_ACTIVE_OPTIMIZED;
const ANO: u8 = tpg::ALUA_ACTIVE_NON_OPTIMIZED;
const SB: u8 = tpg::ALUA_STANDBY;

fn naa(v: u8) -> Designation {
    Designation::naa(vec![0x60 | v, 1, 2, 3, 4, 5, 6, 7])
}

/// What rtgtd's VPD page 83h says for group `g`, relative port `g`.
fn ids(unit: u8, g: u16) -> Vec<Designation> {
    vec![
        naa(unit),
        Designation::relative_target_port(g),
        Designation::target_port_group(g),
    ]
}

fn groups(list: &[(u16, u8, bool)]) -> TargetPortGroups {
    TargetPortGroups {
        extended: None,
        groups: list
            .iter()
            .map(|&(g, state, pref)| TargetPortGroup {
                pref,
                asymmetric_access_state: state,
                group: g,
                ports: vec![g],
                ..TargetPortGroup::default()
            })
            .collect(),
    }
}

/// Two paths to one unit: group 1 and group 2, TPGS `tpgs`.
fn two(tpgs: u8, a: u8, b: u8) -> Multipath {
    let mut m = Multipath::new();
    let p = m.add_path("127.0.0.1:3260");
    let q = m.add_path("127.0.0.2:3260");
    m.identify(p, tpgs, &ids(1, 1)).unwrap();
    m.identify(q, tpgs, &ids(1, 2)).unwrap();
    m.set_groups(&groups(&[(1, a, true), (2, b, false)]));
    m
}

fn sense(key: SenseKey, asc: u8, ascq: u8) -> Sense {
    Sense {
        key,
        asc: AscAscq::new(asc, ascq),
        ..Sense::default()
    }
}

#[test]
fn io_goes_to_the_active_optimized_path() {
    let mut m = two(1, AO, SB);
    for _ in 0..4 {
        assert_eq!(m.select(), Ok(0));
    }
    let mut m = two(1, SB, AO);
    assert_eq!(m.select(), Ok(1));
}

#[test]
fn active_non_optimized_serves_when_no_path_is_optimized() {
    let mut m = two(1, ANO, SB);
    assert_eq!(m.select(), Ok(0));
    let mut m = two(1, ANO, AO);
    assert_eq!(m.select(), Ok(1));
}

#[test]
fn equal_paths_take_turns_and_pref_goes_first() {
    let mut m = Multipath::new();
    for i in 0..3 {
        let p = m.add_path(format!("10.0.0.{i}:3260"));
        m.identify(p, 1, &ids(1, 1 + i as u16)).unwrap();
    }
    m.set_groups(&groups(&[(1, AO, false), (2, AO, false), (3, AO, true)]));
    assert_eq!(m.select(), Ok(2), "PREF first");
    assert_eq!(m.select(), Ok(2));
    m.set_groups(&groups(&[(1, AO, false), (2, AO, false), (3, ANO, true)]));
    let picks: Vec<_> = (0..4).map(|_| m.select().unwrap()).collect();
    assert_eq!(picks, vec![0, 1, 0, 1], "round robin among equals");
}

#[test]
fn a_lost_path_is_left_and_the_command_retried() {
    let mut m = two(1, AO, ANO);
    assert_eq!(m.select(), Ok(0));
    assert_eq!(
        m.on_path_lost(0, "connection closed"),
        Verdict::Retry { refresh: true }
    );
    assert_eq!(m.select(), Ok(1));
    assert_eq!(m.retries(), 1);
}

#[test]
fn refused_states_and_unit_attentions_are_retried() {
    let mut m = two(1, AO, SB);
    for ascq in [0x0a, 0x0b, 0x0c] {
        let s = sense(SenseKey::NOT_READY, 0x04, ascq);
        let v = m.on_answer(0, ScsiStatus::CheckCondition, Some(&s));
        assert_eq!(v, Verdict::Retry { refresh: true }, "04h/{ascq:02x}h");
    }
    // The group's state is unknown until read again: no path now.
    assert!(m.select().is_err());
    m.set_groups(&groups(&[(1, AO, true), (2, SB, false)]));
    assert_eq!(m.select(), Ok(0));
    let changed = sense(SenseKey::UNIT_ATTENTION, 0x2a, 0x06);
    assert_eq!(
        m.on_answer(0, ScsiStatus::CheckCondition, Some(&changed)),
        Verdict::Retry { refresh: true }
    );
    let power_on = sense(SenseKey::UNIT_ATTENTION, 0x29, 0x00);
    assert_eq!(
        m.on_answer(0, ScsiStatus::CheckCondition, Some(&power_on)),
        Verdict::Retry { refresh: false }
    );
}

#[test]
fn answers_are_never_retried() {
    let mut m = two(1, AO, SB);
    assert_eq!(m.on_answer(0, ScsiStatus::Good, None), Verdict::Done);
    let medium = sense(SenseKey::MEDIUM_ERROR, 0x11, 0x00);
    assert_eq!(
        m.on_answer(0, ScsiStatus::CheckCondition, Some(&medium)),
        Verdict::Done
    );
    // Another NOT READY (04h/02h) is the command's answer.
    let nr = sense(SenseKey::NOT_READY, 0x04, 0x02);
    assert_eq!(
        m.on_answer(0, ScsiStatus::CheckCondition, Some(&nr)),
        Verdict::Done
    );
    assert_eq!(
        m.on_answer(0, ScsiStatus::ReservationConflict, None),
        Verdict::Done
    );
    assert_eq!(m.paths()[0].answered, 4);
    assert_eq!(m.retries(), 0);
}

#[test]
fn explicit_alua_activates_a_standby_group() {
    let mut m = two(3, AO, SB);
    m.on_path_lost(0, "connection closed");
    assert!(m.select().is_err());
    assert_eq!(m.activation(), Some((1, 2)));
    // Implicit only: nothing to set; the error says so.
    let mut m = two(1, AO, SB);
    m.on_path_lost(0, "connection closed");
    assert_eq!(m.activation(), None);
    let e = m.select().unwrap_err().to_string();
    assert!(
        e.contains("127.0.0.1:3260 is down (connection closed)"),
        "{e}"
    );
    assert!(
        e.contains("127.0.0.2:3260 is standby (target port group 2; the target does not take"),
        "{e}"
    );
}

#[test]
fn transitioning_groups_are_not_set() {
    let mut m = two(3, SB, tpg::ALUA_TRANSITIONING);
    m.set_down(0, "gone");
    assert_eq!(m.activation(), None);
}

#[test]
fn a_path_to_another_unit_is_refused() {
    let mut m = Multipath::new();
    let p = m.add_path("a:3260");
    let q = m.add_path("b:3260");
    m.identify(p, 1, &ids(1, 1)).unwrap();
    let e = m.identify(q, 1, &ids(2, 2)).unwrap_err();
    assert!(e.to_string().starts_with("b:3260 reaches another"), "{e}");
    m.set_groups(&groups(&[(1, SB, true), (2, AO, false)]));
    assert!(m.select().is_err(), "the other unit's path is not used");
}

#[test]
fn the_group_comes_from_the_relative_port_without_a_group_designator() {
    let mut m = Multipath::new();
    let p = m.add_path("a:3260");
    m.identify(p, 1, &[naa(1), Designation::relative_target_port(7)])
        .unwrap();
    let mut g = groups(&[(4, AO, false)]);
    g.groups[0].ports = vec![7];
    m.set_groups(&g);
    assert_eq!(m.select(), Ok(0));
}

#[test]
fn no_path_at_all_says_so() {
    let mut m = Multipath::new();
    assert_eq!(
        m.select().unwrap_err().to_string(),
        "no usable path to the logical unit: no portal was given"
    );
}

#[test]
fn set_target_port_groups_encodes_one_descriptor() {
    let (cdb, data) = set_target_port_groups(0x0102, AO);
    assert_eq!(cdb, [0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
    assert_eq!(data, vec![0, 0, 0, 0, 0, 0, 1, 2]);
    let r = report_target_port_groups(256);
    assert_eq!(r, [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
}

#[test]
fn each_group_is_read_through_its_own_path() {
    let mut m = two(1, AO, SB);
    // A (path 0) still says B's group is standby; B says its own group is
    // active/optimized and, stale, A's too.
    let from_a = groups(&[(1, SB, true), (2, SB, false)]);
    let from_b = groups(&[(1, AO, true), (2, AO, false)]);
    m.set_groups_from(&[(0, from_a), (1, from_b)]);
    let states: Vec<_> = m.groups().iter().map(|g| (g.id, g.state)).collect();
    assert_eq!(states, vec![(1, SB), (2, AO)]);
    assert_eq!(m.select(), Ok(1));
    // Without a report through B, A's word stands for B's group.
    m.set_groups_from(&[(0, groups(&[(1, AO, true), (2, SB, false)]))]);
    assert_eq!(m.select(), Ok(0));
    m.set_groups_from(&[]);
    assert_eq!(m.select(), Ok(0), "no report changes nothing");
}

#[test]
fn paths_without_alua_are_all_active() {
    let mut m = Multipath::new();
    for i in 0..2 {
        let p = m.add_path(format!("10.0.0.{i}:3260"));
        m.identify(p, 0, &[naa(1)]).unwrap();
    }
    // No REPORT TARGET PORT GROUPS was read: TPGS 00b needs none.
    let picks: Vec<_> = (0..4).map(|_| m.select().unwrap()).collect();
    assert_eq!(picks, vec![0, 1, 0, 1]);
    m.on_path_lost(1, "connection closed");
    assert_eq!(m.select(), Ok(0));
}

//! The text tgtd answers `--op show` with, byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::SocketAddr;

use rtgt_proto::text::DigestKind;

use super::state::{AdminState, LunInfo};
use crate::core::{NopConfig, SessionInfo, SessionLimits};

/// tgt's `_TAB1`..`_TAB3` (`usr/util.h`): four spaces a level.
pub(super) const TAB1: &str = "    ";
pub(super) const TAB2: &str = "        ";
pub(super) const TAB3: &str = "            ";

/// A size as tgt prints it (`print_disksize`, `usr/target.c`): its
/// approximation of decimal megabytes, in C's unsigned 64-bit arithmetic.
pub fn disk_size(size: u64) -> String {
    let blocks = size / 512;
    let mb = blocks.wrapping_sub((blocks / 625).wrapping_sub(974)) / 1950;
    format!("{mb} MB")
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// One LUN's lines (`tgt_target_show_all`); SCSI ID and SN as tgt makes
/// them from the tid and the LUN (`usr/spc.c` `spc_lu_init`).
fn lun(out: &mut String, tid: i32, n: u64, l: &LunInfo) {
    let _ = write!(
        out,
        "{TAB2}LUN: {n}\n\
         {TAB3}Type: {}\n\
         {TAB3}SCSI ID: IET     {:04x}{n:04x}\n\
         {TAB3}SCSI SN: beaf{tid}{n}\n\
         {TAB3}Size: {}, Block size: {}\n\
         {TAB3}Online: Yes\n\
         {TAB3}Removable media: {}\n\
         {TAB3}Prevent removal: No\n\
         {TAB3}Readonly: {}\n\
         {TAB3}SWP: No\n\
         {TAB3}Thin-provisioning: {}\n\
         {TAB3}Backing store type: {}\n\
         {TAB3}Backing store path: {}\n\
         {TAB3}Backing store flags: {}\n",
        if l.controller { "controller" } else { "disk" },
        tid,
        disk_size(l.size),
        l.block_size,
        yes_no(l.removable),
        yes_no(l.read_only),
        yes_no(l.thin),
        l.bstype,
        l.path.as_deref().unwrap_or("None"),
        l.flags,
    );
}

/// `--op show --mode target` without `--tid`: every target by ascending
/// tid (`tgt_target_show_all`, `usr/target.c`), with the `sessions` of
/// each tid numbered in `state` ([`AdminState::number_sessions`]).
pub fn targets(state: &AdminState, sessions: &BTreeMap<i32, Vec<SessionInfo>>) -> String {
    let mut out = String::new();
    for (tid, t) in state.targets() {
        let _ = write!(
            out,
            "Target {tid}: {}\n\
             {TAB1}System information:\n\
             {TAB2}Driver: iscsi\n\
             {TAB2}State: ready\n\
             {TAB1}I_T nexus information:\n",
            t.name
        );
        if let Some(s) = sessions.get(&tid) {
            state.nexus_ids().target_lines(&mut out, s);
        }
        let _ = writeln!(out, "{TAB1}LUN information:");
        for (&n, l) in &t.luns {
            lun(&mut out, tid, n, l);
        }
        let _ = writeln!(out, "{TAB1}Account information:");
        for user in state.incoming_users(&t.bindings) {
            let _ = writeln!(out, "{TAB2}{user}");
        }
        if let Some(user) = state.outgoing_user(&t.bindings) {
            let _ = writeln!(out, "{TAB2}{user} (outgoing)");
        }
        let _ = writeln!(out, "{TAB1}ACL information:");
        for a in t.acl_addresses.iter().chain(&t.acl_names) {
            let _ = writeln!(out, "{TAB2}{a}");
        }
    }
    out
}

/// `--op show --mode account` (`account_show`, `usr/target.c`): nothing
/// without accounts, else the newest first (tgt adds to the list's head).
pub fn accounts(state: &AdminState) -> String {
    let mut out = String::new();
    let mut users = state.users().peekable();
    if users.peek().is_some() {
        out.push_str("Account list:\n");
    }
    for u in users {
        let _ = writeln!(out, "{TAB1}{u}");
    }
    out
}

/// `--op show --mode system` (`system_show`, `usr/target.c`, then the
/// iscsi driver's iSNS lines, `usr/iscsi/isns.c`) in tgt's layout, with
/// what rtgtd has: the iscsi driver only, the `rdwr` backing store (its
/// only flag O_DIRECT), disks and tgt's LUN 0 controller, and no iSNS.
pub fn system() -> String {
    format!(
        "System:\n\
         {TAB1}State: ready\n\
         {TAB1}debug: off\n\
         LLDs:\n\
         {TAB1}iscsi: ready\n\
         Backing stores:\n\
         {TAB1}rdwr (bsoflags direct)\n\
         Device types:\n\
         {TAB1}disk\n\
         {TAB1}controller\n\
         iSNS:\n\
         {TAB1}iSNS=Off\n\
         {TAB1}iSNSServerIP=\n\
         {TAB1}iSNSServerPort=3205\n\
         {TAB1}iSNSAccessControl=Off\n"
    )
}

/// `--op show --mode lld` (`lld_show`): the iscsi driver and its targets
/// by tid (rtgtd has no iSER driver).
pub fn lld(state: &AdminState) -> String {
    let mut out = format!("LLDs:\n{TAB1}iscsi: ready\n");
    for (tid, t) in state.targets() {
        let _ = writeln!(out, "{TAB2}Target {tid}: {}", t.name);
    }
    out
}

/// tgt's `digest_val_to_str`: `CRC32C` when accepted, else `None`.
fn digest(kinds: &[DigestKind]) -> &'static str {
    if kinds.contains(&DigestKind::Crc32c) {
        "CRC32C"
    } else {
        "None"
    }
}

/// `--op show --mode target --tid N`: tgt's `show_nop_info` then
/// `show_iscsi_param` (`usr/iscsi/target.c`), in tgt's key order
/// (`session_keys`, `usr/iscsi/param.c`), with what rtgt offers. rtgt
/// pings idle connections and closes one whose ping goes unanswered for
/// the timeout: `nop_count` is that timeout in intervals. tgt's iSER keys
/// (RFC 7145) and its local `MaxXmitDataSegmentLength` are left out: rtgt
/// has no such setting.
pub fn target_params(s: &SessionLimits, nop: &NopConfig) -> String {
    let interval = nop.interval.map_or(0, |i| i.as_secs().max(1));
    let count = match interval {
        0 => 0,
        i => nop.timeout.as_secs().div_ceil(i).max(1),
    };
    let yn = yes_no;
    format!(
        "nop_interval={interval}\n\
         nop_count={count}\n\
         MaxRecvDataSegmentLength={}\n\
         HeaderDigest={}\n\
         DataDigest={}\n\
         InitialR2T={}\n\
         MaxOutstandingR2T={}\n\
         ImmediateData={}\n\
         FirstBurstLength={}\n\
         MaxBurstLength={}\n\
         DataPDUInOrder=Yes\n\
         DataSequenceInOrder=Yes\n\
         ErrorRecoveryLevel=0\n\
         IFMarker=No\n\
         OFMarker=No\n\
         DefaultTime2Wait={}\n\
         DefaultTime2Retain={}\n\
         OFMarkInt=Reject\n\
         IFMarkInt=Reject\n\
         MaxConnections={}\n\
         MaxQueueCmd={}\n",
        s.max_recv_data_segment_length,
        digest(&s.header_digests),
        digest(&s.data_digests),
        yn(s.initial_r2t),
        s.max_outstanding_r2t,
        yn(s.immediate_data),
        s.first_burst_length,
        s.max_burst_length,
        s.default_time2wait,
        s.default_time2retain,
        s.max_connections,
        s.queue_depth,
    )
}

/// `--op show --mode portal`: each portal with the portal group tag
/// (`iscsi_target_show_portals`, `usr/iscsi/target.c`).
pub fn portals(tpgt: u16, addrs: &[SocketAddr]) -> String {
    let mut out = String::new();
    for a in addrs {
        // SocketAddr prints IPv6 in brackets, as tgt does.
        let _ = writeln!(out, "Portal: {a},{tpgt}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::command::AclRule;
    use crate::admin::state::TargetEntry;
    use crate::core::TargetId;

    /// tgtd 1.0.85's answer after the seed sequence of `tgtadm_seed`.
    const TGTD: &str = "\
Target 1: iqn.2013-05.com.magedu:tsan.disk1
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
    LUN information:
        LUN: 0
            Type: controller
            SCSI ID: IET     00010000
            SCSI SN: beaf10
            Size: 0 MB, Block size: 1
            Online: Yes
            Removable media: No
            Prevent removal: No
            Readonly: No
            SWP: No
            Thin-provisioning: No
            Backing store type: null
            Backing store path: None
            Backing store flags: 
        LUN: 1
            Type: disk
            SCSI ID: IET     00010001
            SCSI SN: beaf11
            Size: 67 MB, Block size: 512
            Online: Yes
            Removable media: No
            Prevent removal: No
            Readonly: No
            SWP: No
            Thin-provisioning: No
            Backing store type: rdwr
            Backing store path: /tmp/adm_t/lun1.img
            Backing store flags: 
    Account information:
        christina
        clyde (outgoing)
    ACL information:
        172.16.0.0/16
";

    #[test]
    fn targets_print_as_tgtd_prints_them() {
        let mut s = AdminState::default();
        let mut t = TargetEntry::new(TargetId(1), "iqn.2013-05.com.magedu:tsan.disk1");
        t.luns.insert(
            1,
            LunInfo {
                controller: false,
                size: 64 << 20,
                block_size: 512,
                bstype: "rdwr".into(),
                path: Some("/tmp/adm_t/lun1.img".into()),
                ..LunInfo::controller()
            },
        );
        s.insert_target(1, t);
        let rule = AclRule {
            address: Some("172.16.0.0/16".into()),
            name: None,
        };
        s.bind(1, &rule).unwrap();
        for user in ["christina", "clyde"] {
            s.account_new(user, "123456").unwrap();
        }
        s.account_bind(1, "christina", false).unwrap();
        s.account_bind(1, "clyde", true).unwrap();
        assert_eq!(targets(&s, &BTreeMap::new()), TGTD);
        assert_eq!(accounts(&s), "Account list:\n    clyde\n    christina\n");
        assert_eq!(accounts(&AdminState::default()), "");
    }

    #[test]
    fn target_parameters_follow_tgts_keys() {
        let text = target_params(&SessionLimits::default(), &NopConfig::default());
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys.first(), Some(&"nop_interval"));
        assert_eq!(keys.get(2), Some(&"MaxRecvDataSegmentLength"));
        assert_eq!(keys.last(), Some(&"MaxQueueCmd"));
        assert!(text.contains("\nHeaderDigest=CRC32C\n"), "{text}");
        assert!(text.contains("\nInitialR2T=Yes\n"), "{text}");
    }

    #[test]
    fn portals_print_as_tgtd_prints_them() {
        let addrs = [
            "127.0.0.1:3260".parse().unwrap(),
            "[::1]:3261".parse().unwrap(),
        ];
        assert_eq!(
            portals(1, &addrs),
            "Portal: 127.0.0.1:3260,1\nPortal: [::1]:3261,1\n"
        );
    }

    #[test]
    fn sizes_print_as_tgt_prints_them() {
        assert_eq!(disk_size(0), "0 MB");
        assert_eq!(disk_size(64 << 20), "67 MB");
        assert_eq!(disk_size(16 << 20), "17 MB");
        assert_eq!(disk_size(u64::MAX), disk_size(u64::MAX));
    }
}

//! What tgt-admin's `--execute` would ask the daemon for, from parsed
//! targets.conf files ([`super::targets_conf`]), as tgtadm command lines,
//! in tgt-admin's order (`add_targets`, `process_options`): discovery
//! accounts, then each target by name with the next tids: the target,
//! its LUNs (backing stores by path, numbered from 1 unless `lun N`
//! says otherwise), its accounts, its ACL (`-I ALL` when no
//! `initiator-address` is given). Every directive rtgtd cannot honour is
//! listed with its file and line instead of being sent. No IO.

use std::collections::BTreeSet;

use super::targets_conf::{ConfFile, Directive, Store, StoreKind, TargetBlock};

/// A directive left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub why: &'static str,
}

/// The commands to run and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportPlan {
    /// tgtadm arguments (no program name, no `-C`).
    pub steps: Vec<Vec<String>>,
    pub ignored: Vec<Ignored>,
    /// `ignore-errors yes`: go on after a refused command.
    pub ignore_errors: bool,
}

const LUN_PARAMS: &str =
    "rtgtd does not change a LUN's parameters (--op update --mode logicalunit) yet";
const TARGET_KEY: &str =
    "rtgtd does not change a target's iSCSI parameters (--op update --mode target) yet";

/// LUN directives tgt-admin sends as `--op update --mode logicalunit`.
const LUN_UPDATES: &[&str] = &[
    "vendor_id",
    "product_id",
    "product_rev",
    "scsi_id",
    "scsi_sn",
    "sense_format",
    "removable",
    "online",
    "path",
    "mode_page",
    "lbppbe",
    "la_lba",
    "optimal_xfer_gran",
    "optimal_xfer_len",
    "readonly",
    "params",
];

/// iSCSI keys a target block may set (tgt's `iscsi_target_update` names).
const ISCSI_KEYS: &[&str] = &[
    "MaxRecvDataSegmentLength",
    "MaxXmitDataSegmentLength",
    "HeaderDigest",
    "DataDigest",
    "InitialR2T",
    "MaxOutstandingR2T",
    "ImmediateData",
    "FirstBurstLength",
    "MaxBurstLength",
    "DataPDUInOrder",
    "DataSequenceInOrder",
    "ErrorRecoveryLevel",
    "IFMarker",
    "OFMarker",
    "DefaultTime2Wait",
    "DefaultTime2Retain",
    "OFMarkInt",
    "IFMarkInt",
    "MaxConnections",
    "RDMAExtensions",
    "TargetRecvDataSegmentLength",
    "InitiatorRecvDataSegmentLength",
    "MaxOutstandingUnexpectedPDUs",
    "MaxQueueCmd",
];

struct Planner<'a> {
    plan: ImportPlan,
    file: &'a str,
    accounts: BTreeSet<String>,
    driver: String,
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

impl Planner<'_> {
    fn ignore(&mut self, d: &Directive, why: &'static str) {
        self.plan.ignored.push(Ignored {
            file: self.file.to_owned(),
            line: d.line,
            key: d.key.clone(),
            why,
        });
    }

    fn step(&mut self, words: &[&str]) {
        let mut s = args(&["--lld", &self.driver]);
        s.extend(args(words));
        self.plan.steps.push(s);
    }

    /// `USER PASSWORD`: the account made once, then bound (`tid` none for
    /// discovery).
    fn account(&mut self, d: &Directive, tid: Option<&str>, outgoing: bool) {
        let [user, password] = d.words()[..] else {
            self.ignore(d, "needs a user and a password");
            return;
        };
        if self.accounts.insert(user.to_owned()) {
            self.step(&[
                "--mode",
                "account",
                "--op",
                "new",
                "--user",
                user,
                "--password",
                password,
            ]);
        }
        let mut w = vec!["--mode", "account", "--op", "bind", "--user", user];
        if let Some(t) = tid {
            w.extend(["--tid", t]);
        }
        if outgoing {
            w.push("--outgoing");
        }
        self.step(&w);
    }

    fn globals(&mut self, globals: &[Directive]) {
        let mut sorted: Vec<&Directive> = globals.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        for d in sorted {
            match d.key.as_str() {
                "default-driver" if d.value == "iscsi" => {}
                "default-driver" => self.ignore(d, "rtgtd serves the iscsi driver only"),
                "ignore-errors" => self.plan.ignore_errors = d.value == "yes",
                "incomingdiscoveryuser" => self.account(d, None, false),
                "outgoingdiscoveryuser" => self.account(d, None, true),
                "control-port" => self.ignore(d, "give rtgtadm -C N or --socket PATH"),
                k if k.starts_with("iSNS") => self.ignore(
                    d,
                    "set the iSNS server in rtgt.toml's [isns] (server = \"IP:PORT\"); rtgtd takes no iSNS settings through tgtadm",
                ),
                _ => self.ignore(d, "not a targets.conf directive rtgt knows"),
            }
        }
    }

    fn target(&mut self, t: &TargetBlock, tid: i32) {
        let tid = tid.to_string();
        let driver = t.directives.iter().find(|d| d.key == "driver");
        if let Some(d) = driver.filter(|d| d.value != "iscsi") {
            self.ignore(d, "rtgtd serves the iscsi driver only");
        }
        self.step(&[
            "--op", "new", "--mode", "target", "--tid", &tid, "-T", &t.name,
        ]);
        self.luns(t, &tid);
        let mut sorted: Vec<&Directive> = t.directives.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let mut allow_all = true;
        for d in sorted {
            match d.key.as_str() {
                "incominguser" => self.account(d, Some(&tid), false),
                "outgoinguser" => self.account(d, Some(&tid), true),
                "initiator-address" => {
                    allow_all = false;
                    for a in d.words() {
                        self.step(&["--op", "bind", "--mode", "target", "--tid", &tid, "-I", a]);
                    }
                }
                "initiator-name" => {
                    for n in d.words() {
                        self.step(&["--op", "bind", "--mode", "target", "--tid", &tid, "-Q", n]);
                    }
                }
                "driver" | "bs-type" | "bsoflags" | "block-size" | "lun" => {}
                "write-cache" if d.value == "on" => {}
                "device-type" if d.value == "disk" => {}
                k if ISCSI_KEYS.contains(&k) => self.ignore(d, TARGET_KEY),
                k if LUN_UPDATES.contains(&k) || k == "write-cache" => self.ignore(d, LUN_PARAMS),
                _ => self.ignore(d, "not a target directive rtgtd honours"),
            }
        }
        if allow_all {
            self.step(&[
                "--op", "bind", "--mode", "target", "--tid", &tid, "-I", "ALL",
            ]);
        }
    }

    /// The LUNs: backing stores by path, then direct stores (refused).
    fn luns(&mut self, t: &TargetBlock, tid: &str) {
        let mut stores: Vec<&Store> = t.stores.iter().collect();
        stores.sort_by(|a, b| {
            (a.kind == StoreKind::Direct, &a.path).cmp(&(b.kind == StoreKind::Direct, &b.path))
        });
        let lun_of = |s: &Store| {
            s.directives
                .iter()
                .find(|d| d.key == "lun")
                .and_then(|d| d.value.parse::<u64>().ok())
        };
        let mut taken: BTreeSet<u64> = stores.iter().filter_map(|s| lun_of(s)).collect();
        let mut next = 1u64;
        for s in stores {
            if s.kind == StoreKind::Direct {
                self.ignore(
                    &Directive {
                        key: "direct-store".into(),
                        value: s.path.clone(),
                        line: s.line,
                    },
                    "rtgtd has no SCSI pass-through (sg) backing store",
                );
                continue;
            }
            let lun = match lun_of(s) {
                Some(l) => l,
                None => {
                    while taken.contains(&next) {
                        next += 1;
                    }
                    taken.insert(next);
                    next
                }
            };
            self.lun(t, s, tid, lun);
        }
    }

    /// One `--op new --mode logicalunit`, the store's settings before the
    /// target's.
    fn lun(&mut self, t: &TargetBlock, s: &Store, tid: &str, lun: u64) {
        let setting = |key: &str| {
            s.directives
                .iter()
                .chain(&t.directives)
                .find(|d| d.key == key)
                .cloned()
        };
        let lun = lun.to_string();
        let mut w: Vec<String> = args(&[
            "--op",
            "new",
            "--mode",
            "logicalunit",
            "--tid",
            tid,
            "--lun",
            &lun,
            "-b",
            &s.path,
        ]);
        for (key, option, ok) in [
            ("bs-type", "--bstype", "rdwr"),
            ("bsoflags", "--bsoflags", "direct"),
        ] {
            if let Some(d) = setting(key) {
                if d.value == ok {
                    w.extend(args(&[option, ok]));
                } else {
                    self.ignore(&d, "rtgtd offers only bs-type rdwr and bsoflags direct");
                }
            }
        }
        if let Some(d) = setting("block-size") {
            w.extend(args(&["--blocksize", &d.value]));
        }
        if let Some(d) = setting("device-type").filter(|d| d.value != "disk") {
            self.ignore(&d, "rtgtd serves disks only");
        }
        let mut step = args(&["--lld", &self.driver]);
        step.extend(w);
        self.plan.steps.push(step);
        for d in &s.directives {
            match d.key.as_str() {
                "lun" | "bs-type" | "bsoflags" | "block-size" | "device-type" => {}
                "write-cache" if d.value == "on" => {}
                k if LUN_UPDATES.contains(&k) || k == "write-cache" => self.ignore(d, LUN_PARAMS),
                _ => self.ignore(d, "not a LUN directive rtgtd honours"),
            }
        }
    }
}

/// Plans the files in `files` (name and content, includes already read
/// into the list), giving new targets tids from `first_tid` on.
pub fn plan(files: &[(String, ConfFile)], first_tid: i32) -> ImportPlan {
    let mut p = Planner {
        plan: ImportPlan::default(),
        file: "",
        accounts: BTreeSet::new(),
        driver: "iscsi".into(),
    };
    for (name, conf) in files {
        p.file = name;
        p.globals(&conf.globals);
    }
    let mut targets: Vec<(&str, &TargetBlock)> = files
        .iter()
        .flat_map(|(n, c)| c.targets.iter().map(move |t| (n.as_str(), t)))
        .collect();
    targets.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    for (tid, (name, t)) in (first_tid..).zip(targets) {
        p.file = name;
        p.target(t, tid);
    }
    // Reported by file and line, not in the order they were met.
    let order: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    p.plan.ignored.sort_by_key(|i| {
        let file = order
            .iter()
            .position(|n| *n == i.file)
            .unwrap_or(usize::MAX);
        (file, i.line)
    });
    p.plan
}

#[cfg(test)]
mod tests {
    use super::super::targets_conf::parse;
    use super::*;

    fn lines(p: &ImportPlan) -> Vec<String> {
        p.steps.iter().map(|s| s.join(" ")).collect()
    }

    #[test]
    fn seed_003_becomes_tgt_admins_commands() {
        let text = "<target iqn.2012-11.com.magedu:tgt.target1>\n   backing-store /dev/sdb\n   incominguser iscsiuser mypass\n   outgoinguser myuser\tmypass\n</target>\n";
        let p = plan(&[("targets.conf".into(), parse(text).unwrap())], 1);
        assert_eq!(
            lines(&p),
            [
                "--lld iscsi --op new --mode target --tid 1 -T iqn.2012-11.com.magedu:tgt.target1",
                "--lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /dev/sdb",
                "--lld iscsi --mode account --op new --user iscsiuser --password mypass",
                "--lld iscsi --mode account --op bind --user iscsiuser --tid 1",
                "--lld iscsi --mode account --op new --user myuser --password mypass",
                "--lld iscsi --mode account --op bind --user myuser --tid 1 --outgoing",
                "--lld iscsi --op bind --mode target --tid 1 -I ALL",
            ]
        );
        assert!(p.ignored.is_empty());
    }

    #[test]
    fn lists_what_it_cannot_honour_by_line() {
        let text = "incomingdiscoveryuser disc secret-secret\niSNSServerIP 10.0.0.1\n\
<target iqn.b>\n  <backing-store /b>\n    lun 1\n    vendor_id ACME\n  </backing-store>\n  backing-store /a\n  direct-store /dev/sg0\n  MaxBurstLength 65536\n  initiator-address 10.0.0.0/8\n  write-cache off\n</target>\n<target iqn.a>\n</target>\n";
        let p = plan(&[("t.conf".into(), parse(text).unwrap())], 4);
        let ignored: Vec<(usize, &str)> =
            p.ignored.iter().map(|i| (i.line, i.key.as_str())).collect();
        assert_eq!(
            ignored,
            [
                (2, "iSNSServerIP"),
                (6, "vendor_id"),
                (9, "direct-store"),
                (10, "MaxBurstLength"),
                (12, "write-cache")
            ]
        );
        let l = lines(&p);
        assert_eq!(
            l[0],
            "--lld iscsi --mode account --op new --user disc --password secret-secret"
        );
        assert_eq!(l[1], "--lld iscsi --mode account --op bind --user disc");
        assert_eq!(l[2], "--lld iscsi --op new --mode target --tid 4 -T iqn.a");
        assert!(
            l.contains(&"--lld iscsi --op new --mode logicalunit --tid 5 --lun 2 -b /a".to_owned())
        );
        assert!(
            l.contains(&"--lld iscsi --op new --mode logicalunit --tid 5 --lun 1 -b /b".to_owned())
        );
        assert_eq!(
            l.last().unwrap(),
            "--lld iscsi --op bind --mode target --tid 5 -I 10.0.0.0/8"
        );
    }
}

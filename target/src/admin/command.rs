//! What a tgtadm request asks for, read as tgtd reads it (`usr/mgmt.c`
//! `mtask_execute` and the `*_mgmt` functions it calls).

use super::codec::{Mode, Op, Request, ACCOUNT_OUTGOING, REQ_LEN};
use super::error::AdmError;

/// `GLOBAL_TID` (`usr/tgtadm.h`): accounts bound without `--tid` apply to
/// discovery sessions.
pub const GLOBAL_TID: i32 = -1;

/// The initiators a `--op bind/unbind --mode target` names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AclRule {
    /// `-I ADDR[/PREFIX]` or `ALL`.
    pub address: Option<String>,
    /// `--initiator-name NAME`.
    pub name: Option<String>,
}

/// What `--op new --mode logicalunit` gives (`tgt_device_create`'s
/// `device_tokens`, `usr/target.c`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Backing {
    pub path: Option<String>,
    pub bstype: Option<String>,
    pub bsoflags: Option<String>,
    pub blocksize: Option<String>,
}

/// One management operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    TargetNew {
        tid: i32,
        name: String,
    },
    TargetDelete {
        tid: i32,
        force: bool,
    },
    /// `--op show --mode target` without `--tid` (`tgt_target_show_all`).
    TargetShowAll,
    /// `--op show --mode target --tid N`: its iSCSI parameters
    /// (`iscsi_target_show`).
    TargetShow {
        tid: i32,
    },
    TargetBind {
        tid: i32,
        rule: AclRule,
    },
    /// `--op bind/unbind --mode target` with a SCSI host (`-H`/`-B`), not
    /// offered: a bind is refused once the target is found (tgtd's
    /// `tgt_bind_host_to_target` looks it up first), an unbind finds no
    /// binding (`tgt_unbind_host_to_target`).
    HostBind {
        tid: i32,
        bind: bool,
    },
    TargetUnbind {
        tid: i32,
        rule: AclRule,
    },
    LunNew {
        tid: i32,
        lun: u64,
        backing: Backing,
    },
    LunDelete {
        tid: i32,
        lun: u64,
    },
    AccountNew {
        user: String,
        password: String,
    },
    AccountDelete {
        user: String,
    },
    AccountShow,
    AccountBind {
        tid: i32,
        user: String,
        outgoing: bool,
    },
    AccountUnbind {
        tid: i32,
        user: String,
        outgoing: bool,
    },
    /// `--op show --mode portal` (`iscsi_target_show_portals`).
    PortalShow,
    /// `--op show --mode conn --tid N` (`iscsi_target_show_connections`).
    ConnShow {
        tid: i32,
    },
    /// rtgt's `--op show --mode system -P dump=toml` (`rtgtadm --dump`):
    /// the live state as `rtgt.toml`. The parameter travels as tgt's own
    /// `-P key=value` extensions do; tgtd answers its system view.
    Dump,
    /// rtgt's `--op update --mode system -P reload=toml` (`rtgtadm
    /// --reload`, and SIGHUP): read the configuration file again and apply
    /// the difference.
    Reload,
    /// `--op show --mode system` (`system_show`).
    SystemShow,
    /// `--op show --mode lld` (`lld_show`).
    LldShow,
    /// `--op delete --mode system`: stop the daemon, once no target is
    /// left (`sys_mgmt`).
    SystemDelete,
    /// The daemon's own request after a `SystemDelete` was answered: stop
    /// now (no tgtadm request reads as it).
    Stop,
}

impl Command {
    /// Whether it only reads the state.
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Command::TargetShowAll
                | Command::TargetShow { .. }
                | Command::AccountShow
                | Command::PortalShow
                | Command::ConnShow { .. }
                | Command::HostBind { .. }
                | Command::Dump
                | Command::Reload
                | Command::SystemDelete
                | Command::Stop
                | Command::SystemShow
                | Command::LldShow
        )
    }
}

/// The value after `key=` in `params`, up to the end of the text: tgtd
/// reads bind parameters with `strstr` and takes the rest
/// (`target_mgmt`).
fn rest_after<'a>(params: &'a str, key: &str) -> Option<&'a str> {
    params.find(key).map(|i| &params[i + key.len()..])
}

/// The `key=value` items of `params`, split on commas (`strsep`, as
/// `tgt_target_create` and `tgt_device_create` read them).
fn items(params: &str) -> impl Iterator<Item = (&str, &str)> {
    params.split(',').filter_map(|p| p.split_once('='))
}

fn item(params: &str, key: &str) -> Option<String> {
    items(params)
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

/// Reads `req`, refusing what tgtd refuses with the same error. Operations
/// rtgtd does not offer yet answer `UnsupportedOperation`.
pub fn parse(req: &Request) -> Result<Command, AdmError> {
    let h = &req.header;
    // mtask_execute: an empty name means the first driver, iscsi.
    if !(h.lld.is_empty() || h.lld == "iscsi") {
        return Err(AdmError::NoDriver);
    }
    let mode = Mode::from_u32(h.mode).ok_or(AdmError::InvalidRequest)?;
    let op = Op::from_u32(h.op).ok_or(AdmError::InvalidRequest)?;
    let p = req.params.as_str();
    let tid = h.tid;
    match mode {
        Mode::Target => target(op, tid, h.force != 0, h.len as usize == REQ_LEN, p),
        Mode::Device => match op {
            Op::New => Ok(Command::LunNew {
                tid,
                lun: h.lun,
                backing: Backing {
                    path: item(p, "path"),
                    bstype: item(p, "bstype"),
                    bsoflags: item(p, "bsoflags"),
                    blocksize: item(p, "blocksize"),
                },
            }),
            Op::Delete => Ok(Command::LunDelete { tid, lun: h.lun }),
            _ => Err(AdmError::UnsupportedOperation),
        },
        Mode::Account => account(op, tid, h.ac_dir == ACCOUNT_OUTGOING, p),
        Mode::Portal if op == Op::Show => Ok(Command::PortalShow),
        Mode::System if op == Op::Show && item(p, "dump").as_deref() == Some("toml") => {
            Ok(Command::Dump)
        }
        Mode::System if op == Op::Update && item(p, "reload").as_deref() == Some("toml") => {
            Ok(Command::Reload)
        }
        Mode::System if op == Op::Delete => Ok(Command::SystemDelete),
        Mode::System if op == Op::Show => Ok(Command::SystemShow),
        Mode::Lld if op == Op::Show => Ok(Command::LldShow),
        Mode::Connection if op == Op::Show => Ok(Command::ConnShow { tid }),
        _ => Err(AdmError::UnsupportedOperation),
    }
}

/// `target_mgmt`.
fn target(op: Op, tid: i32, force: bool, bare: bool, p: &str) -> Result<Command, AdmError> {
    let rule = || AclRule {
        address: rest_after(p, "initiator-address=").map(str::to_owned),
        name: rest_after(p, "initiator-name=").map(str::to_owned),
    };
    match op {
        Op::New => {
            let name = item(p, "targetname").ok_or(AdmError::InvalidRequest)?;
            // tgt_target_create: names of letters, digits, ':', '.', '-'.
            let ok = name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'.' | b'-'));
            if !ok || tid <= 0 {
                return Err(AdmError::InvalidRequest);
            }
            Ok(Command::TargetNew { tid, name })
        }
        Op::Delete => Ok(Command::TargetDelete { tid, force }),
        Op::Show if tid < 0 => Ok(Command::TargetShowAll),
        // Binding a SCSI host (`-H`/`-B`) is tgt's local-host driver only.
        Op::Bind | Op::Unbind if bare => Ok(Command::HostBind {
            tid,
            bind: op == Op::Bind,
        }),
        // target_mgmt: its error starts as TGTADM_INVALID_REQUEST and only
        // an initiator-address= or initiator-name= found changes it.
        Op::Bind | Op::Unbind if rule() == AclRule::default() => Err(AdmError::InvalidRequest),
        Op::Bind => Ok(Command::TargetBind { tid, rule: rule() }),
        Op::Unbind => Ok(Command::TargetUnbind { tid, rule: rule() }),
        Op::Show => Ok(Command::TargetShow { tid }),
        Op::Update | Op::Stats => Err(AdmError::UnsupportedOperation),
        _ => Err(AdmError::InvalidRequest),
    }
}

/// `account_mgmt`.
fn account(op: Op, tid: i32, outgoing: bool, p: &str) -> Result<Command, AdmError> {
    if op == Op::Show {
        return Ok(Command::AccountShow);
    }
    if !matches!(op, Op::New | Op::Delete | Op::Bind | Op::Unbind) {
        return Err(AdmError::UnsupportedOperation);
    }
    let rest = rest_after(p, "user=").ok_or(AdmError::InvalidRequest)?;
    if op == Op::New {
        // tgtadm sends "user=U,password=P"; tgtd cuts at the first comma
        // after the user and skips "password=".
        let (user, pw) = rest.split_once(',').ok_or(AdmError::InvalidRequest)?;
        let password = pw.get("password=".len()..).unwrap_or_default();
        return Ok(Command::AccountNew {
            user: user.to_owned(),
            password: password.to_owned(),
        });
    }
    let user = rest.to_owned();
    Ok(match op {
        Op::Delete => Command::AccountDelete { user },
        Op::Bind => Command::AccountBind {
            tid,
            user,
            outgoing,
        },
        _ => Command::AccountUnbind {
            tid,
            user,
            outgoing,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::codec::Header;

    fn req(mode: Mode, op: Op, tid: i32, params: &str) -> Request {
        let mut header = Header::new(mode, op);
        header.tid = tid;
        header.len = (REQ_LEN + params.len() + usize::from(!params.is_empty())) as u32;
        Request {
            header,
            params: params.into(),
        }
    }

    #[test]
    fn reads_what_tgtadm_sends() {
        let r = req(
            Mode::Target,
            Op::New,
            1,
            "targetname=iqn.2013-05.com.magedu:tsan.disk1",
        );
        assert_eq!(
            parse(&r),
            Ok(Command::TargetNew {
                tid: 1,
                name: "iqn.2013-05.com.magedu:tsan.disk1".into()
            })
        );
        assert_eq!(
            parse(&req(Mode::Target, Op::Show, -1, "")),
            Ok(Command::TargetShowAll)
        );
        assert_eq!(
            parse(&req(Mode::Connection, Op::Show, 1, "")),
            Ok(Command::ConnShow { tid: 1 })
        );
        assert_eq!(
            parse(&req(Mode::System, Op::Show, -1, "dump=toml")),
            Ok(Command::Dump)
        );
        let r = req(Mode::Target, Op::Bind, 1, "initiator-address=172.16.0.0/16");
        assert_eq!(
            parse(&r),
            Ok(Command::TargetBind {
                tid: 1,
                rule: AclRule {
                    address: Some("172.16.0.0/16".into()),
                    name: None
                }
            })
        );
        let r = req(Mode::Account, Op::New, -1, "user=christina,password=1,23");
        assert_eq!(
            parse(&r),
            Ok(Command::AccountNew {
                user: "christina".into(),
                password: "1,23".into()
            })
        );
        let mut r = req(Mode::Account, Op::Bind, 1, "user=clyde");
        r.header.ac_dir = ACCOUNT_OUTGOING;
        assert_eq!(
            parse(&r),
            Ok(Command::AccountBind {
                tid: 1,
                user: "clyde".into(),
                outgoing: true
            })
        );
        let mut r = req(Mode::Device, Op::New, 1, "path=/tmp/x,bstype=rdwr");
        r.header.lun = 1;
        let Ok(Command::LunNew { lun, backing, .. }) = parse(&r) else {
            panic!("{r:?}")
        };
        assert_eq!((lun, backing.path.as_deref()), (1, Some("/tmp/x")));
        assert_eq!(backing.bstype.as_deref(), Some("rdwr"));
    }

    #[test]
    fn refuses_what_tgtd_refuses() {
        let bad = req(Mode::Target, Op::New, 1, "targetname=iqn bad");
        assert_eq!(parse(&bad), Err(AdmError::InvalidRequest));
        let mut other = req(Mode::Target, Op::Show, -1, "");
        other.header.lld = "iser0".into();
        assert_eq!(parse(&other), Err(AdmError::NoDriver));
        let no_user = req(Mode::Account, Op::Delete, -1, "name=x");
        assert_eq!(parse(&no_user), Err(AdmError::InvalidRequest));
        // A bind or unbind with parameters that name no initiator (found by
        // the admin_request fuzz target: it was a successful no-op).
        for op in [Op::Bind, Op::Unbind] {
            let mut empty = req(Mode::Target, op, 1, "");
            empty.header.len = (REQ_LEN + 22) as u32;
            assert_eq!(parse(&empty), Err(AdmError::InvalidRequest));
            let other = req(Mode::Target, op, 1, "initiator=ALL");
            assert_eq!(parse(&other), Err(AdmError::InvalidRequest));
        }
        let mut unknown = req(Mode::Target, Op::Show, -1, "");
        unknown.header.mode = 99;
        assert_eq!(parse(&unknown), Err(AdmError::InvalidRequest));
    }

    proptest::proptest! {
        #[test]
        fn any_request_parses_without_panic(
            mode in 0u32..10,
            op in 0u32..10,
            tid in proptest::num::i32::ANY,
            params in ".{0,80}",
        ) {
            let mut r = req(Mode::Target, Op::Show, tid, &params);
            r.header.mode = mode;
            r.header.op = op;
            let _ = parse(&r);
        }
    }
}

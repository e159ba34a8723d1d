//! tgtadm's checks of each mode and operation before it sends anything
//! (`usr/tgtadm.c` `main`, `verify_mode_params`): the options each
//! operation allows, the ones it requires, and their messages.

use super::tgtadm::{fail, needs_no_path, Exit, Given, GLOBAL};
use crate::admin::codec::{Mode, Op};

/// The first option in `letters` (the options given, in order) outside
/// `allowed` and `-d` (`verify_mode_params`).
fn stray(letters: &str, allowed: &str) -> Option<char> {
    letters.chars().find(|c| *c != 'd' && !allowed.contains(*c))
}

/// Refuses an option outside `allowed` with `"{what}: option '-X' is not
/// allowed/supported"`, or `"option '-X' not supported in {what}"` when
/// `what` starts with `!`.
fn allow(letters: &str, allowed: &str, what: &str, program: &str) -> Result<(), Exit> {
    match stray(letters, allowed) {
        None => Ok(()),
        Some(c) => Err(fail(
            program,
            &match what.strip_prefix('!') {
                Some(mode) => format!("option '-{c}' not supported in {mode}"),
                None => format!("{what}: option '-{c}' is not allowed/supported"),
            },
        )),
    }
}

/// `"operation {op} not supported in {mode} mode"`.
fn unsupported<T>(program: &str, op_name: &str, mode: &str) -> Result<T, Exit> {
    Err(fail(
        program,
        &format!("operation {op_name} not supported in {mode} mode"),
    ))
}

/// Gives the tid to send, or tgtadm's exit.
pub(super) fn check(
    mode: Mode,
    op: Op,
    op_name: &str,
    tid: i32,
    g: &Given,
    letters: &str,
    program: &str,
) -> Result<i32, Exit> {
    fn refuse<T>(program: &str, msg: &str) -> Result<T, Exit> {
        Err(fail(program, msg))
    }
    let update_needs = |g: &Given| {
        if g.name.is_none() || g.value.is_none() {
            refuse(
                program,
                "update operation requires 'name' and 'value' options",
            )
        } else {
            Ok(())
        }
    };
    match mode {
        Mode::System => match op {
            Op::Update => {
                allow(letters, "LmonvC", "system mode", program)?;
                update_needs(g)?;
            }
            Op::Show | Op::Delete | Op::Stats => {}
            _ => return unsupported(program, op_name, "system"),
        },
        Mode::Target => {
            if tid <= 0 && op != Op::Show {
                return refuse(
                    program,
                    if tid == 0 {
                        "'tid' cannot be 0"
                    } else {
                        "'tid' option is necessary"
                    },
                );
            }
            let what = "target mode";
            match op {
                Op::New => {
                    allow(letters, "LmotTC", what, program)?;
                    if g.targetname.is_none() {
                        return refuse(
                            program,
                            "creating new target requires a name, use --targetname",
                        );
                    }
                }
                Op::Delete => allow(letters, "LmotCF", what, program)?,
                Op::Show | Op::Stats => allow(letters, "LmotC", what, program)?,
                Op::Bind | Op::Unbind => {
                    allow(letters, "LmotIQBHC", what, program)?;
                    if g.address.is_none() && g.iqnname.is_none() && g.hostno == 0 {
                        // tgtadm's message lacks a blank before "or".
                        return refuse(
                            program,
                            &format!(
                            "{op_name} operation requires initiator-address, initiator-nameor bus"
                        ),
                        );
                    }
                }
                Op::Update => {
                    allow(letters, "LmotnvC", what, program)?;
                    update_needs(g)?;
                }
                _ => return unsupported(program, op_name, "target"),
            }
        }
        Mode::Account => {
            let what = "account mode";
            match op {
                Op::New => {
                    allow(letters, "LmoupfC", what, program)?;
                    if g.user.is_none() || g.password.is_none() {
                        return refuse(program, "'user' and 'password' options are required");
                    }
                }
                Op::Show => allow(letters, "LmoC", what, program)?,
                Op::Delete => allow(letters, "LmouC", what, program)?,
                Op::Bind | Op::Unbind => {
                    allow(letters, "LmotuOC", what, program)?;
                    if g.user.is_none() {
                        return refuse(program, "'user' option is necessary");
                    }
                    if tid == -1 {
                        return Ok(GLOBAL);
                    }
                }
                _ => return unsupported(program, op_name, "account"),
            }
        }
        Mode::Device => {
            if tid <= 0 {
                return refuse(
                    program,
                    if tid == 0 {
                        "'tid' must not be 0"
                    } else {
                        "'tid' option is necessary"
                    },
                );
            }
            if g.lun == u64::MAX {
                return refuse(program, "'lun' option is necessary");
            }
            let what = "logicalunit mode";
            match op {
                Op::New => {
                    allow(letters, "LmofytlbEYCS", what, program)?;
                    if g.path.is_none() && !needs_no_path(g.dev_type) {
                        return refuse(program, "'backing-store' option is necessary");
                    }
                }
                Op::Delete | Op::Stats => allow(letters, "LmotlC", what, program)?,
                Op::Update => allow(letters, "LmofytlPC", "!logicalunit mode", program)?,
                _ => return unsupported(program, op_name, "logicalunit"),
            }
        }
        Mode::Portal => match op {
            Op::New | Op::Delete => {
                allow(letters, "LmoCP", "portal mode", program)?;
                if !g.portal_ops {
                    return refuse(program, "you must specify --param portal=<portal>");
                }
            }
            Op::Show => allow(letters, "LmoC", "!portal mode", program)?,
            _ => return unsupported(program, op_name, "portal"),
        },
        Mode::Lld => match op {
            Op::Start | Op::Stop | Op::Show => allow(letters, "LmoC", "lld mode", program)?,
            // tgtadm prints the operation's number here.
            _ => {
                return refuse(
                    program,
                    &format!("option {} not supported in lld mode", op as u32),
                )
            }
        },
        // tgtadm checks nothing for sessions and connections.
        Mode::Session | Mode::Connection => {}
    }
    Ok(tid)
}

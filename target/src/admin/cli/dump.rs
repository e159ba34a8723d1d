//! `rtgtadm --dump` and `--reload`: tgtadm's own requests with a parameter,
//! as tgt's `-P key=value` extensions travel. `--op show --mode system`
//! with `dump=toml` asks rtgtd for its live state as `rtgt.toml`; `--op
//! update --mode system` with `reload=toml` has it read its configuration
//! file again and apply the difference.

use super::client;
use super::tgtadm::{Exit, Send, Target};
use crate::admin::codec::{Header, Mode, Op, Request};
use crate::admin::dump::DUMP_MARK;

/// tgtadm's `EINVAL` status.
const EINVAL: i32 = 22;

/// The request `--dump` sends.
pub fn request() -> Request {
    Request {
        header: Header::new(Mode::System, Op::Show),
        params: "dump=toml".to_owned(),
    }
}

/// The request `--reload` sends.
pub fn reload_request() -> Request {
    Request {
        header: Header::new(Mode::System, Op::Update),
        params: "reload=toml".to_owned(),
    }
}

/// Sends `--reload` to `target`: prints the changes made and refused.
pub fn reload(target: &Target, program: &str) -> Exit {
    let send = Send {
        request: reload_request(),
        target: target.clone(),
        debug: false,
    };
    client::run(&send, program)
}

/// Sends it to `target` and gives what to print: the TOML, or why not.
pub fn run(target: &Target, program: &str) -> Exit {
    let send = Send {
        request: request(),
        target: target.clone(),
        debug: false,
    };
    let e = client::run(&send, program);
    if e.code == 0 && !e.stdout.starts_with(DUMP_MARK) {
        // tgtd answers the same request with its system view.
        return Exit {
            stdout: String::new(),
            stderr: format!(
                "{program}: the daemon answered without rtgt's configuration: --dump needs rtgtd\n"
            ),
            code: EINVAL,
        };
    }
    e
}

//! `rtgtadm --dump`: asks the daemon for its live state as `rtgt.toml`
//! with tgtadm's own request, `--op show --mode system` carrying the
//! parameter `dump=toml` (as tgt's `-P key=value` extensions travel).

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

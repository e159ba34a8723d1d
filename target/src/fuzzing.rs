//! Fuzz harness bodies of `rtgt-target`, shared by the cargo-fuzz targets
//! in fuzz/ and this crate's tests (feature `fuzzing`):
//!
//! - [`config`]: `rtgt.toml` text through [`Config::parse`]. No panic; an
//!   error points inside the text; what parses parses again after TOML
//!   re-renders it (key order and formatting do not change the verdict);
//!   and a file whose LUNs are all RAM or null builds into a configuration
//!   the target core starts from.
//! - [`admin_request`]: bytes as a tgtadm request through
//!   [`Request::decode_all`] and [`admin::parse`]. No panic; the parameters
//!   stay within tgtd's bound; a request re-encodes to itself.
//!
//! - [`targets_conf`]: text as tgt-admin's `targets.conf` through
//!   [`targets_conf::parse`] and [`import_plan::plan`]. No panic; every
//!   line number (of an error, a directive, a block, an ignored key) lies
//!   inside the text; and every step of the plan reads, through rtgtadm's
//!   own command line parser, as a request with the step's mode and
//!   operation (an import never sends what rtgtadm would refuse to send).
//!
//! A harness panics only when an invariant breaks.

use std::path::Path;

use crate::admin;
use crate::admin::cli::tgtadm::{self, Plan};
use crate::admin::cli::{import_plan, targets_conf};
use crate::admin::codec::{Request, MAX_PARAMS, REQ_LEN};
use crate::config::{BackstoreKind, Config, ConfigError};
use crate::core::{SeededRandom, TargetCore};

/// Where the built configuration looks for reservation state: a path that
/// does not exist, so a build reads no file.
const NO_STATE_DIR: &str = "/nonexistent/rtgt-fuzz-state";

/// Checks that an error names a place inside `text`.
fn check_position(text: &str, error: &ConfigError) {
    if let ConfigError::At { line, column, .. } = error {
        let lines = text.split('\n').count();
        assert!(
            *line >= 1 && *line <= lines,
            "error line {line} outside a text of {lines} lines"
        );
        let len = text
            .split('\n')
            .nth(line - 1)
            .map_or(0, |l| l.chars().count());
        assert!(
            *column >= 1 && *column <= len + 1,
            "error column {column} outside line {line} of {len} characters"
        );
    }
}

/// `rtgt.toml` text: see the module documentation for the oracles.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.toml");
    let parsed = Config::parse(path, text.to_owned());
    let mut cfg = match parsed {
        Ok(cfg) => cfg,
        Err(error) => {
            check_position(text, &error);
            return;
        }
    };
    // The same document, re-rendered by TOML, is just as valid.
    let table: toml::Table = toml::from_str(text).expect("a parsed configuration is TOML");
    let rendered = toml::to_string(&table).expect("a TOML table renders");
    if let Err(error) = Config::parse(path, rendered.clone()) {
        panic!("a valid configuration is refused once re-rendered: {error}\n{rendered}");
    }
    let in_memory = cfg
        .file
        .targets
        .iter()
        .flat_map(|t| t.get_ref().lun.iter())
        .all(|l| {
            matches!(
                l.get_ref().backstore,
                BackstoreKind::Ram | BackstoreKind::Null
            )
        });
    if !in_memory {
        return;
    }
    cfg.file.state_dir = Some(NO_STATE_DIR.into());
    match cfg.build() {
        Ok(built) => {
            let _core = TargetCore::new(built.group, Box::new(SeededRandom::new(1)));
        }
        Err(error) => check_position(text, &error),
    }
}

/// Bytes as a tgtadm request: see the module documentation.
pub fn admin_request(data: &[u8]) {
    let Ok(req) = Request::decode_all(data) else {
        return;
    };
    let n = req
        .header
        .params_len()
        .expect("a decoded request has a length");
    assert!(n <= MAX_PARAMS && req.params.len() <= 3 * MAX_PARAMS);
    let command = admin::parse(&req);
    // A request whose texts are ASCII and whose parameter bytes are its
    // text and one NUL (as tgtadm sends them) re-encodes to itself; bytes
    // after an earlier NUL are not kept, so others need not.
    let plain = |s: &str| s.is_ascii() && !s.contains('\0');
    let whole = if req.params.is_empty() {
        n == 0
    } else {
        n == req.params.len() + 1
    };
    if plain(&req.header.lld) && plain(&req.params) && whole {
        let again = Request::decode_all(&req.encode()).expect("an encoded request decodes");
        let mut expected = req.clone();
        expected.header.len = again.header.len;
        assert_eq!(again, expected, "a request does not re-encode to itself");
        assert!(again.header.len as usize >= REQ_LEN);
        assert_eq!(
            admin::parse(&again),
            command,
            "a re-encoded request reads differently"
        );
    }
}

/// Text as a targets.conf: see the module documentation.
pub fn targets_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    let inside = |line: usize| assert!((1..=lines).contains(&line), "line {line} of {lines}");
    let conf = match targets_conf::parse(text) {
        Ok(conf) => conf,
        Err(e) => {
            let (targets_conf::ConfError::Unclosed { line, .. }
            | targets_conf::ConfError::StrayClose { line, .. }
            | targets_conf::ConfError::Misplaced { line, .. }
            | targets_conf::ConfError::Unnamed { line, .. }) = e;
            inside(line);
            return;
        }
    };
    let directives = conf
        .globals
        .iter()
        .chain(&conf.includes)
        .chain(conf.targets.iter().flat_map(|t| {
            t.directives
                .iter()
                .chain(t.stores.iter().flat_map(|s| &s.directives))
        }));
    for d in directives {
        inside(d.line);
    }
    for t in &conf.targets {
        inside(t.line);
        t.stores.iter().for_each(|s| inside(s.line));
    }
    let plan = import_plan::plan(&[("targets.conf".into(), conf)], 1);
    plan.ignored.iter().for_each(|i| inside(i.line));
    let no_bus = |_: &str| -> Result<u32, tgtadm::Exit> { Err(tgtadm::Exit::default()) };
    for step in &plan.steps {
        let argv: Vec<String> = std::iter::once("rtgtadm".to_owned())
            .chain(step.iter().cloned())
            .collect();
        match tgtadm::plan(&argv, "", &no_bus) {
            Plan::Send(_) => {}
            other => panic!("an import step rtgtadm refuses: {step:?}: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::codec::{Header, Mode, Op};

    #[test]
    fn config_runs_fixed_inputs() {
        config(b"");
        config(b"\xff\xfe");
        config(b"tpgt = 0\n");
        config(b"[[target]]\niqn = \"iqn.2024-01.org.rtgt:a\"\n");
        config(include_bytes!("../../rtgt.example.toml"));
        config(
            b"[[target]]\niqn = \"iqn.2024-01.org.rtgt:a\"\n[[target.lun]]\nlun = 0\nbackstore = \"ram\"\nsize = \"1M\"\n",
        );
        config(
            b"[[target]]\niqn = \"iqn.2024-01.org.rtgt:a\"\n[[target.lun]]\nlun = 0\nbackstore = \"null\"\nsize = \"1\"\n",
        );
    }

    #[test]
    fn targets_conf_runs_fixed_inputs() {
        targets_conf(b"");
        targets_conf(b"\xff");
        targets_conf(b"</target>\n");
        targets_conf(b"<target --op>\nbacking-store -x\nincominguser --tid 9\n</target>\n");
        targets_conf(b"<target iqn.a>\nincominguser -u\toutgoinguser\n</target>\n");
        targets_conf(include_bytes!("../tests/fixtures/seed003_targets.conf"));
        targets_conf(
            b"default-driver iscsi\n<target iqn.a>\n<backing-store /a>\nlun 3\n</backing-store>\nincominguser u secret-secret\ninitiator-address 10.0.0.0/8\n</target>\n",
        );
    }

    #[test]
    fn admin_request_runs_fixed_inputs() {
        admin_request(&[]);
        admin_request(&[0; REQ_LEN]);
        admin_request(&[0xff; 300]);
        let mut req = Request {
            header: Header::new(Mode::Target, Op::New),
            params: "targetname=iqn.2024-01.org.rtgt:a".into(),
        };
        req.header.tid = 1;
        admin_request(&req.encode());
        let mut bad = req.encode();
        bad[72..76].copy_from_slice(&u32::MAX.to_ne_bytes());
        admin_request(&bad);
        // Found by the fuzz target: a bind whose parameter bytes start with
        // NUL, so they read as no text, and do not re-encode.
        let mut bind = Request {
            header: Header::new(Mode::Target, Op::Bind),
            params: String::new(),
        };
        bind.header.tid = 1;
        let mut bytes = bind.encode();
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(b"initiator-address=ALL\0");
        let len = bytes.len() as u32;
        bytes[72..76].copy_from_slice(&len.to_ne_bytes());
        admin_request(&bytes);
    }
}

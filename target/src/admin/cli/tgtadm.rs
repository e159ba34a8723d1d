//! tgtadm's `main` (tgt's `usr/tgtadm.c`) without its IO: the command line
//! read with getopt_long, the checks of each mode and operation, and the
//! `tgtadm_req` with its `key=value` text, or the exit tgtadm would make
//! without reaching the daemon (same stdout, stderr and status).

use super::getopt::{self, HasArg, Item, LongOpt};
use super::numbers::{self, NumError};
use crate::admin::codec::{Header, Mode, Op, Request, ACCOUNT_OUTGOING};
use crate::admin::command::GLOBAL_TID;

/// `EINVAL`, tgtadm's usual exit status.
pub const EINVAL: i32 = 22;

/// An exit without a request: what to print and the status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exit {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// What the command line asks rtgtadm to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Print and exit (help, version, a refused command line).
    Exit(Exit),
    /// Send a request to the daemon.
    Send(Send),
    /// rtgt's `--import FILE`: apply a targets.conf.
    Import(Target, String),
    /// rtgt's `--dump`: print the live state as rtgt's TOML.
    Dump(Target),
    /// rtgt's `--reload`: the daemon reads its configuration file again.
    Reload(Target),
}

/// Where the daemon listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-C N`: `$TGT_IPC_SOCKET.N` or `/var/run/tgtd/socket.N`.
    ControlPort(i16),
    /// rtgt's `--socket PATH`, as given.
    Socket(String),
}

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub request: Request,
    pub target: Target,
    /// `-d`: tgtadm's debug line after sending.
    pub debug: bool,
}

impl Send {
    /// `--op delete --mode system`: tgtadm waits until the daemon's socket
    /// refuses connections.
    pub fn waits_for_shutdown(&self) -> bool {
        self.request.header.mode == Mode::System as u32
            && self.request.header.op == Op::Delete as u32
    }
}

const fn long(name: &'static str, has_arg: HasArg, val: char) -> LongOpt {
    LongOpt { name, has_arg, val }
}

use HasArg::{No, Required as Req};

/// tgtadm's `long_options`, in its order (the order of getopt's
/// "possibilities").
const LONG_OPTIONS: &[LongOpt] = &[
    long("debug", No, 'd'),
    long("help", No, 'h'),
    long("version", No, 'V'),
    long("lld", Req, 'L'),
    long("op", Req, 'o'),
    long("mode", Req, 'm'),
    long("tid", Req, 't'),
    long("sid", Req, 's'),
    long("cid", Req, 'c'),
    long("lun", Req, 'l'),
    long("name", Req, 'n'),
    long("value", Req, 'v'),
    long("backing-store", Req, 'b'),
    long("bstype", Req, 'E'),
    long("bsopts", Req, 'S'),
    long("bsoflags", Req, 'f'),
    long("blocksize", Req, 'y'),
    long("targetname", Req, 'T'),
    long("initiator-address", Req, 'I'),
    long("initiator-name", Req, 'Q'),
    long("user", Req, 'u'),
    long("password", Req, 'p'),
    long("host", Req, 'H'),
    long("force", No, 'F'),
    long("params", Req, 'P'),
    long("bus", Req, 'B'),
    long("device-type", Req, 'Y'),
    long("outgoing", No, 'O'),
    long("control-port", Req, 'C'),
];

/// rtgt's own options, recognised only spelled out in full, so that every
/// command line tgtadm accepts means the same and every abbreviation
/// tgtadm reads reads the same.
const RTGT_OPTIONS: &[LongOpt] = &[
    long("socket", Req, '\u{1}'),
    long("import", Req, '\u{2}'),
    long("dump", No, '\u{3}'),
    long("reload", No, '\u{4}'),
];

/// tgtadm's `short_options` (`-F` and `-O` take an argument there, unlike
/// `--force` and `--outgoing`).
const SHORT_OPTIONS: &str = "dhVL:o:m:t:s:c:l:n:v:b:E:f:y:T:I:Q:u:p:H:F:P:B:Y:O:C:S:";

/// `TYPE_DISK`, `TYPE_TAPE`, `TYPE_MMC` (tgt's `usr/scsi.h`).
const TYPE_DISK: u32 = 0x00;
const TYPE_TAPE: u32 = 0x01;
const TYPE_MMC: u32 = 0x05;

/// What tgtadm prints for `--help`, `program` and `version` filled in.
pub fn help_text(program: &str, version: &str) -> String {
    format!(
        "Linux SCSI Target administration utility, version {version}\n\n\
Usage: {program} [OPTION]\n{}",
        include_str!("help.txt")
    )
}

/// The state tgtadm's option loop fills.
struct Opts {
    lld: String,
    op: Option<(Op, String)>,
    mode: Option<Mode>,
    tid: i32,
    sid: u64,
    cid: u32,
    lun: u64,
    hostno: u32,
    dev_type: u32,
    ac_dir: u32,
    force: u32,
    control_port: i16,
    debug: bool,
    /// Text options by their letter: name, value, path, bstype, ...
    text: Vec<(char, String)>,
    target_ops: Option<String>,
    portal_ops: Option<String>,
    socket: Option<String>,
    import: Option<String>,
    dump: bool,
    reload: bool,
}

impl Opts {
    fn get(&self, c: char) -> Option<&str> {
        self.text
            .iter()
            .rev()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| v.as_str())
    }
}

/// Where tgtadm prints its own messages and its program's name.
struct Ctx<'a> {
    /// `program_name` in `eprintf` and the usage text.
    program: &'a str,
    version: &'a str,
    bus: &'a dyn Fn(&str) -> Result<u32, Exit>,
}

impl Ctx<'_> {
    /// `eprintf(...)` then `exit(code)`.
    fn fail(&self, msg: &str, code: i32) -> Exit {
        Exit {
            stdout: String::new(),
            stderr: format!("{}: {msg}\n", self.program),
            code,
        }
    }

    /// `usage(1)` after `stderr` already printed.
    fn usage_error(&self, mut stderr: String) -> Exit {
        stderr.push_str(&format!(
            "Try `{} --help' for more information.\n",
            self.program
        ));
        Exit {
            stdout: String::new(),
            stderr,
            code: EINVAL,
        }
    }

    /// `bad_optarg(ret, ch, optarg)`.
    fn bad_optarg(&self, e: NumError, ch: char, arg: &str) -> Exit {
        let what = match e {
            NumError::Range => "out of range",
            NumError::Invalid => "invalid",
        };
        self.usage_error(format!("-{ch} argument value '{arg}' {what}\n"))
    }
}

/// The program's name as tgtadm's `program_name`: the last part of
/// `argv[0]`.
pub fn program_name(argv0: &str) -> &str {
    argv0.rsplit('/').next().unwrap_or(argv0)
}

/// Reads `argv` (with `argv[0]`) as tgtadm does. `bus` resolves `-B
/// BUS,ADDR` to a host number (tgtadm's `bus_to_host`, which reads sysfs).
pub fn plan(argv: &[String], version: &str, bus: &dyn Fn(&str) -> Result<u32, Exit>) -> Plan {
    let argv0 = argv.first().map_or("rtgtadm", String::as_str);
    let ctx = Ctx {
        program: program_name(argv0),
        version,
        bus,
    };
    match read_options(argv0, argv.get(1..).unwrap_or_default(), &ctx) {
        Ok(p) => p,
        Err(e) => Plan::Exit(e),
    }
}

fn read_options(argv0: &str, args: &[String], ctx: &Ctx) -> Result<Plan, Exit> {
    let parsed = getopt::parse_with_exact(argv0, args, SHORT_OPTIONS, LONG_OPTIONS, RTGT_OPTIONS);
    let mut o = Opts {
        lld: String::new(),
        op: None,
        mode: None,
        tid: -1,
        sid: 0,
        cid: 0,
        lun: u64::MAX,
        hostno: 0,
        dev_type: TYPE_DISK,
        ac_dir: 0,
        force: 0,
        control_port: 0,
        debug: false,
        text: Vec::new(),
        target_ops: None,
        portal_ops: None,
        socket: None,
        import: None,
        dump: false,
        reload: false,
    };
    for item in &parsed.items {
        let (ch, arg) = match item {
            Item::Opt(c, a) => (*c, a.clone().unwrap_or_default()),
            Item::Error => return Err(ctx.usage_error(parsed.stderr.clone())),
        };
        option(ch, arg, &mut o, ctx)?;
    }
    if let Some(word) = parsed.rest.first() {
        return Err(ctx.usage_error(format!("{}: unrecognized option '{word}'\n", ctx.program)));
    }
    let target = match &o.socket {
        Some(s) => Target::Socket(s.clone()),
        None => Target::ControlPort(o.control_port),
    };
    if let Some(file) = &o.import {
        return Ok(Plan::Import(target, file.clone()));
    }
    if o.dump {
        return Ok(Plan::Dump(target));
    }
    if o.reload {
        return Ok(Plan::Reload(target));
    }
    let Some((op, op_name)) = o.op.clone() else {
        return Err(ctx.fail("specify the operation type", EINVAL));
    };
    let Some(mode) = o.mode else {
        return Err(ctx.fail("specify the mode", EINVAL));
    };
    let letters: String = parsed
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Opt(c, _) if !RTGT_OPTIONS.iter().any(|r| r.val == *c) => Some(*c),
            _ => None,
        })
        .collect();
    o.tid = super::checks::check(mode, op, &op_name, o.tid, &o.given(), &letters, ctx.program)?;
    Ok(Plan::Send(Send {
        request: request(&o, mode, op),
        target,
        debug: o.debug,
    }))
}

/// One pass of tgtadm's option `switch`.
fn option(ch: char, arg: String, o: &mut Opts, ctx: &Ctx) -> Result<(), Exit> {
    match ch {
        'L' => o.lld = arg,
        'o' => o.op = Some((str_to_op(&arg, ctx)?, arg)),
        'm' => o.mode = Some(str_to_mode(&arg, ctx)?),
        't' => o.tid = numbers::to_i32_ge0(&arg).map_err(|e| ctx.bad_optarg(e, ch, &arg))?,
        's' => o.sid = numbers::to_u64(&arg).map_err(|e| ctx.bad_optarg(e, ch, &arg))?,
        'c' => o.cid = numbers::to_u32(&arg).map_err(|e| ctx.bad_optarg(e, ch, &arg))?,
        'l' => o.lun = numbers::to_u64(&arg).map_err(|e| ctx.bad_optarg(e, ch, &arg))?,
        // `hostno` is a uint32_t, never below 0.
        'H' => o.hostno = numbers::to_u32(&arg).map_err(|e| ctx.bad_optarg(e, ch, &arg))?,
        'C' => {
            o.control_port = numbers::to_i16_ge0(&arg).map_err(|e| ctx.bad_optarg(e, ch, &arg))?
        }
        'P' => {
            if o.mode == Some(Mode::Portal) {
                o.portal_ops = Some(arg);
            } else {
                o.target_ops = Some(arg);
            }
        }
        'B' => o.hostno = (ctx.bus)(&arg)?,
        'F' => o.force = 1,
        'Y' => o.dev_type = str_to_device_type(&arg, ctx)?,
        'O' => o.ac_dir = ACCOUNT_OUTGOING,
        'V' => {
            return Err(Exit {
                stdout: format!("{}\n", ctx.version),
                ..Exit::default()
            })
        }
        'd' => o.debug = true,
        'h' => {
            return Err(Exit {
                stdout: help_text(ctx.program, ctx.version),
                ..Exit::default()
            })
        }
        '\u{1}' => o.socket = Some(arg),
        '\u{2}' => o.import = Some(arg),
        '\u{3}' => o.dump = true,
        '\u{4}' => o.reload = true,
        c => o.text.push((c, arg)),
    }
    Ok(())
}

fn str_to_mode(s: &str, ctx: &Ctx) -> Result<Mode, Exit> {
    Ok(match s {
        "system" | "sys" => Mode::System,
        "target" | "tgt" => Mode::Target,
        "logicalunit" | "lu" => Mode::Device,
        "portal" | "pt" => Mode::Portal,
        "session" | "sess" => Mode::Session,
        "connection" | "conn" => Mode::Connection,
        "account" => Mode::Account,
        "lld" => Mode::Lld,
        _ => return Err(ctx.fail(&format!("unknown mode: {s}"), 1)),
    })
}

fn str_to_op(s: &str, ctx: &Ctx) -> Result<Op, Exit> {
    Ok(match s {
        "new" => Op::New,
        "delete" => Op::Delete,
        "bind" => Op::Bind,
        "unbind" => Op::Unbind,
        "show" => Op::Show,
        "update" => Op::Update,
        "stat" => Op::Stats,
        "start" => Op::Start,
        "stop" => Op::Stop,
        _ => return Err(ctx.fail(&format!("unknown operation: {s}"), 1)),
    })
}

fn str_to_device_type(s: &str, ctx: &Ctx) -> Result<u32, Exit> {
    Ok(match s {
        "disk" => TYPE_DISK,
        "tape" | "ssc" => TYPE_TAPE,
        "cd" => TYPE_MMC,
        "changer" => 0x08,
        "osd" => 0x11,
        "pt" => 0xff,
        _ => return Err(ctx.fail(&format!("unknown target type: {s}"), EINVAL)),
    })
}

/// The request and its text, in tgtadm's order (`concat_printf` calls at
/// the end of `main`).
fn request(o: &Opts, mode: Mode, op: Op) -> Request {
    let h = Header {
        lld: o.lld.clone(),
        tid: o.tid,
        sid: o.sid,
        cid: o.cid,
        lun: o.lun,
        host_no: o.hostno,
        device_type: o.dev_type,
        ac_dir: o.ac_dir,
        force: o.force,
        ..Header::new(mode, op)
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(name) = o.get('n') {
        // printf("%s", NULL) prints "(null)" in glibc.
        parts.push(format!("{name}={}", o.get('v').unwrap_or("(null)")));
    }
    if let Some(p) = o.get('b') {
        parts.push(format!("path={p}"));
    }
    if o.dev_type == TYPE_TAPE {
        parts.push("bstype=ssc".into());
    } else if let Some(t) = o.get('E') {
        parts.push(format!("bstype={t}"));
    }
    for (c, key) in [
        ('S', "bsopts"),
        ('f', "bsoflags"),
        ('y', "blocksize"),
        ('T', "targetname"),
        ('I', "initiator-address"),
        ('Q', "initiator-name"),
        ('u', "user"),
        ('p', "password"),
    ] {
        if let Some(v) = o.get(c) {
            parts.push(format!("{key}={v}"));
        }
    }
    if let Some(t) = &o.target_ops {
        parts.push(format!("targetOps {t},"));
    }
    if let Some(p) = &o.portal_ops {
        parts.push(format!("portalOps {p},"));
    }
    Request {
        header: h,
        params: parts.join(","),
    }
}

/// What [`checks`](super::checks) needs of the options.
pub(super) struct Given<'a> {
    pub name: Option<&'a str>,
    pub value: Option<&'a str>,
    pub path: Option<&'a str>,
    pub targetname: Option<&'a str>,
    pub address: Option<&'a str>,
    pub iqnname: Option<&'a str>,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    pub hostno: u32,
    pub lun: u64,
    pub dev_type: u32,
    pub portal_ops: bool,
}

impl Opts {
    pub(super) fn given(&self) -> Given<'_> {
        Given {
            name: self.get('n'),
            value: self.get('v'),
            path: self.get('b'),
            targetname: self.get('T'),
            address: self.get('I'),
            iqnname: self.get('Q'),
            user: self.get('u'),
            password: self.get('p'),
            hostno: self.hostno,
            lun: self.lun,
            dev_type: self.dev_type,
            portal_ops: self.portal_ops.is_some(),
        }
    }
}

/// For the checks: `eprintf` and exit.
pub(super) fn fail(program: &str, msg: &str) -> Exit {
    Exit {
        stdout: String::new(),
        stderr: format!("{program}: {msg}\n"),
        code: EINVAL,
    }
}

/// `TYPE_MMC`, `TYPE_TAPE`, `TYPE_DISK` need no backing store.
pub(super) fn needs_no_path(dev_type: u32) -> bool {
    matches!(dev_type, TYPE_MMC | TYPE_TAPE | TYPE_DISK)
}

/// `GLOBAL_TID`, the tid of an account bound without `--tid`.
pub(super) const GLOBAL: i32 = GLOBAL_TID;

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Plan {
        let mut argv = vec!["/usr/bin/rtgtadm".to_owned()];
        argv.extend(line.split(' ').map(String::from));
        plan(&argv, "v", &|_| Ok(0))
    }

    #[test]
    fn rtgt_options_are_whole_words_only() {
        let Plan::Send(s) = run("--socket /run/r.sock --mo target --op show") else {
            panic!("a request")
        };
        assert_eq!(s.target, Target::Socket("/run/r.sock".into()));
        let Plan::Exit(e) = run("--sock /run/r.sock --op show --mode target") else {
            panic!("refused")
        };
        assert_eq!(
            e.stderr,
            "/usr/bin/rtgtadm: unrecognized option '--sock'\nTry `rtgtadm --help' for more information.\n"
        );
        assert_eq!(e.code, EINVAL);
        assert_eq!(
            run("-C 3 --import /etc/tgt/targets.conf"),
            Plan::Import(Target::ControlPort(3), "/etc/tgt/targets.conf".into())
        );
    }

    #[test]
    fn requests_carry_tgtadms_text_in_its_order() {
        let Plan::Send(s) = run("--lld iscsi --mode account --op bind --user=u --outgoing") else {
            panic!("a request")
        };
        assert_eq!(s.request.params, "user=u");
        assert_eq!(s.request.header.tid, GLOBAL);
        assert_eq!(s.request.header.ac_dir, ACCOUNT_OUTGOING);
        let Plan::Send(s) = run("--op new --mode lu --tid 1 --lun 2 -y 4096 -b /x -E rdwr") else {
            panic!("a request")
        };
        assert_eq!(s.request.params, "path=/x,bstype=rdwr,blocksize=4096");
        assert_eq!(s.request.header.lld, "");
    }
}

//! `rtgtadm --import FILE`: reads a targets.conf and its includes, lists
//! what rtgtd cannot honour, and sends the rest as tgtadm would, one
//! request after another, stopping at the first refusal unless the file
//! says `ignore-errors yes`.

use rtgt_proto::glob::matches;
use std::path::{Path, PathBuf};

use super::client;
use super::import_plan::{plan, ImportPlan};
use super::targets_conf::{parse, ConfFile};
use super::tgtadm::{self, Exit, Plan, Target, EINVAL};

/// How deep `include` may nest.
const MAX_DEPTH: usize = 8;

/// The files `pattern` names (relative to `base`), sorted; a folder
/// stands for the files in it (Config::General's `-IncludeDirectories`).
fn expand(pattern: &str, base: &Path) -> Vec<PathBuf> {
    let path = base.join(pattern);
    if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&path)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        return v;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return vec![path];
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| matches(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Reads `file` and, depth first, the files it includes.
fn read_all(file: &Path, depth: usize, out: &mut Vec<(String, ConfFile)>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}: includes nest deeper than {MAX_DEPTH}",
            file.display()
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let conf = parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let includes = conf.includes.clone();
    out.push((file.display().to_string(), conf));
    for inc in includes {
        for f in expand(&inc.value, &base) {
            read_all(&f, depth + 1, out)?;
        }
    }
    Ok(())
}

/// tgtadm's arguments for `target` and `args`, as a full command line.
fn argv(program: &str, target: &Target, args: &[String]) -> Vec<String> {
    let mut v = vec![program.to_owned()];
    match target {
        Target::Socket(s) => v.extend(["--socket".to_owned(), s.clone()]),
        Target::ControlPort(n) => v.extend(["-C".to_owned(), n.to_string()]),
    }
    v.extend(args.iter().cloned());
    v
}

/// Runs tgtadm's `args` against `target`.
fn run_step(program: &str, target: &Target, args: &[String]) -> Exit {
    let bus = |b: &str| client::bus_to_host(b, program);
    match tgtadm::plan(&argv(program, target, args), "", &bus) {
        Plan::Send(s) => client::run(&s, program),
        Plan::Exit(e) => e,
        Plan::Import(..) | Plan::Dump(..) | Plan::Reload(..) => Exit {
            code: EINVAL,
            ..Exit::default()
        },
    }
}

/// The highest tid the daemon shows, 0 when none.
fn max_tid(program: &str, target: &Target) -> Result<i32, Exit> {
    let show = ["--lld", "iscsi", "--op", "show", "--mode", "target"].map(String::from);
    let e = run_step(program, target, &show);
    if e.code != 0 {
        return Err(e);
    }
    Ok(e.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Target "))
        .filter_map(|l| l.split(':').next()?.parse::<i32>().ok())
        .max()
        .unwrap_or(0))
}

/// Imports `file` into the daemon at `target`.
pub fn run(target: &Target, file: &str, program: &str) -> Exit {
    let mut files = Vec::new();
    if let Err(e) = read_all(Path::new(file), 0, &mut files) {
        return Exit {
            stderr: format!("{program}: {e}\n"),
            code: 1,
            ..Exit::default()
        };
    }
    let first = match max_tid(program, target) {
        Ok(t) => t + 1,
        Err(e) => return e,
    };
    let ImportPlan {
        steps,
        ignored,
        ignore_errors,
    } = plan(&files, first);
    let mut out = Exit::default();
    for i in &ignored {
        out.stderr.push_str(&format!(
            "{program}: {}:{}: {} not applied: {}\n",
            i.file, i.line, i.key, i.why
        ));
    }
    for step in &steps {
        let e = run_step(program, target, step);
        out.stdout.push_str(&e.stdout);
        out.stderr.push_str(&e.stderr);
        if e.code != 0 {
            out.stderr
                .push_str(&format!("{program}: refused: tgtadm {}\n", step.join(" ")));
            if !ignore_errors {
                out.code = e.code;
                return out;
            }
        }
    }
    out
}

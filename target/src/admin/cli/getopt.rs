//! glibc's `getopt_long` as tgtadm calls it (GNU argument permutation, no
//! `+`/`-`/`:` prefix in the option string, errors printed): short options
//! clustered (`-dt1`), their arguments attached or in the next word, long
//! options spelled out or by a unique prefix (`--mo`), `--name=value` or
//! `--name value`, `--` ending the options, and the words that are not
//! options moved behind them. Error messages are glibc 2.36's, with
//! `argv[0]` as the program's name.

/// Whether an option takes an argument (`no_argument`, `required_argument`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HasArg {
    No,
    Required,
}

/// One `struct option`.
#[derive(Debug, Clone, Copy)]
pub struct LongOpt {
    pub name: &'static str,
    pub has_arg: HasArg,
    pub val: char,
}

/// What one call of `getopt_long` gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An option, by its `val`, with its argument.
    Opt(char, Option<String>),
    /// `'?'`: an error, already written to `stderr`.
    Error,
}

/// The parse of a whole command line, as repeated calls of `getopt_long`
/// until it returns -1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The options in the order met; parsing stops after the first error,
    /// as tgtadm exits on it.
    pub items: Vec<Item>,
    /// What getopt wrote to stderr.
    pub stderr: String,
    /// `argv[optind..]` once parsing ended: the words that are not options,
    /// in their order (valid only when no error stopped the parse).
    pub rest: Vec<String>,
}

/// Parses `args` (`argv[1..]`) with `shorts` (getopt's option string) and
/// `longs`, naming the program `prog` in errors; stops at the first error.
pub fn parse(prog: &str, args: &[String], shorts: &str, longs: &[LongOpt]) -> Parsed {
    parse_with_exact(prog, args, shorts, longs, &[])
}

/// [`parse`], with `exact` long options besides `longs` that are
/// recognised only by their whole name (never by a prefix, never making a
/// prefix of `longs` ambiguous).
pub fn parse_with_exact(
    prog: &str,
    args: &[String],
    shorts: &str,
    longs: &[LongOpt],
    exact: &[LongOpt],
) -> Parsed {
    let mut p = Parsed {
        items: Vec::new(),
        stderr: String::new(),
        rest: Vec::new(),
    };
    let mut nonopts = Vec::new();
    let mut i = 0;
    while let Some(word) = args.get(i) {
        i += 1;
        if word == "--" {
            // glibc: the words after `--` follow the non-options met so far.
            nonopts.extend(args.iter().skip(i).cloned());
            break;
        }
        if !word.starts_with('-') || word.len() == 1 {
            nonopts.push(word.clone());
            continue;
        }
        let ok = if let Some(body) = word.strip_prefix("--") {
            long_option(prog, body, args, &mut i, (longs, exact), &mut p)
        } else {
            short_cluster(prog, word, args, &mut i, shorts, &mut p)
        };
        if !ok {
            return p;
        }
    }
    p.rest = nonopts;
    p
}

/// `--body`: exact name, else a unique prefix (glibc `process_long_option`).
fn long_option(
    prog: &str,
    body: &str,
    args: &[String],
    i: &mut usize,
    (longs, exact): (&[LongOpt], &[LongOpt]),
    p: &mut Parsed,
) -> bool {
    let (name, attached) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v.to_owned())),
        None => (body, None),
    };
    let found = match longs.iter().chain(exact).find(|o| o.name == name) {
        Some(o) => *o,
        None => {
            let cands: Vec<&LongOpt> = longs.iter().filter(|o| o.name.starts_with(name)).collect();
            match cands.as_slice() {
                [] => {
                    p.stderr
                        .push_str(&format!("{prog}: unrecognized option '--{body}'\n"));
                    p.items.push(Item::Error);
                    return false;
                }
                [one] => **one,
                many => {
                    // Every tgtadm option has its own `val`, so two
                    // candidates are always ambiguous.
                    let mut m = format!("{prog}: option '--{body}' is ambiguous; possibilities:");
                    for o in many {
                        m.push_str(&format!(" '--{}'", o.name));
                    }
                    m.push('\n');
                    p.stderr.push_str(&m);
                    p.items.push(Item::Error);
                    return false;
                }
            }
        }
    };
    match (found.has_arg, attached) {
        (HasArg::No, Some(_)) => {
            p.stderr.push_str(&format!(
                "{prog}: option '--{}' doesn't allow an argument\n",
                found.name
            ));
            p.items.push(Item::Error);
            false
        }
        (HasArg::No, None) => {
            p.items.push(Item::Opt(found.val, None));
            true
        }
        (HasArg::Required, Some(v)) => {
            p.items.push(Item::Opt(found.val, Some(v)));
            true
        }
        (HasArg::Required, None) => match args.get(*i) {
            Some(v) => {
                *i += 1;
                p.items.push(Item::Opt(found.val, Some(v.clone())));
                true
            }
            None => {
                p.stderr.push_str(&format!(
                    "{prog}: option '--{}' requires an argument\n",
                    found.name
                ));
                p.items.push(Item::Error);
                false
            }
        },
    }
}

/// `-abc`: each letter an option; one that takes an argument takes the
/// rest of the word or, when none is left, the next word.
fn short_cluster(
    prog: &str,
    word: &str,
    args: &[String],
    i: &mut usize,
    shorts: &str,
    p: &mut Parsed,
) -> bool {
    let letters: Vec<char> = word.chars().skip(1).collect();
    let mut k = 0;
    while let Some(&c) = letters.get(k) {
        k += 1;
        let spec = if c == ':' { None } else { shorts.find(c) };
        let Some(at) = spec else {
            p.stderr
                .push_str(&format!("{prog}: invalid option -- '{c}'\n"));
            p.items.push(Item::Error);
            return false;
        };
        let takes = shorts
            .get(at + c.len_utf8()..)
            .is_some_and(|s| s.starts_with(':'));
        if !takes {
            p.items.push(Item::Opt(c, None));
            continue;
        }
        let rest: String = letters.iter().skip(k).collect();
        if !rest.is_empty() {
            p.items.push(Item::Opt(c, Some(rest)));
            return true;
        }
        match args.get(*i) {
            Some(v) => {
                *i += 1;
                p.items.push(Item::Opt(c, Some(v.clone())));
            }
            None => {
                p.stderr
                    .push_str(&format!("{prog}: option requires an argument -- '{c}'\n"));
                p.items.push(Item::Error);
                return false;
            }
        }
        return true;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONGS: &[LongOpt] = &[
        LongOpt {
            name: "op",
            has_arg: HasArg::Required,
            val: 'o',
        },
        LongOpt {
            name: "outgoing",
            has_arg: HasArg::No,
            val: 'O',
        },
        LongOpt {
            name: "mode",
            has_arg: HasArg::Required,
            val: 'm',
        },
        LongOpt {
            name: "debug",
            has_arg: HasArg::No,
            val: 'd',
        },
    ];

    fn run(line: &str) -> Parsed {
        let args: Vec<String> = line.split(' ').map(String::from).collect();
        parse("tgtadm", &args, "do:m:O:t:", LONGS)
    }

    fn opt(c: char, v: &str) -> Item {
        Item::Opt(c, Some(v.into()))
    }

    #[test]
    fn long_options_by_name_prefix_and_equals() {
        let p = run("--op=show --mo target --outg x");
        assert_eq!(
            p.items,
            vec![opt('o', "show"), opt('m', "target"), Item::Opt('O', None)]
        );
        assert_eq!(p.rest, vec!["x".to_string()]);
        let p = run("--o x");
        assert_eq!(
            p.stderr,
            "tgtadm: option '--o' is ambiguous; possibilities: '--op' '--outgoing'\n"
        );
        assert_eq!(
            run("--outgoing=1").stderr,
            "tgtadm: option '--outgoing' doesn't allow an argument\n"
        );
        assert_eq!(
            run("--mode").stderr,
            "tgtadm: option '--mode' requires an argument\n"
        );
        assert_eq!(
            run("--bogus=3").stderr,
            "tgtadm: unrecognized option '--bogus=3'\n"
        );
    }

    #[test]
    fn short_options_cluster_and_take_arguments() {
        let p = run("-dt1 -m target -- -o");
        assert_eq!(
            p.items,
            vec![Item::Opt('d', None), opt('t', "1"), opt('m', "target")]
        );
        assert_eq!(p.rest, vec!["-o".to_string()]);
        assert_eq!(
            run("-d -t").stderr,
            "tgtadm: option requires an argument -- 't'\n"
        );
        assert_eq!(run("-dx").stderr, "tgtadm: invalid option -- 'x'\n");
        // `-O:` takes an argument in tgtadm's option string.
        assert_eq!(run("-O -m").items, vec![opt('O', "-m")]);
    }
}

//! tgt-admin's `/etc/tgt/targets.conf`, read without IO: the text of one
//! file becomes its directives and blocks, each with its line number
//! (the syntax of Perl's Config::General as tgt-admin calls it: `key
//! value` or `key = value`, `#` comments, `<target NAME>` blocks holding
//! `<backing-store PATH>` and `<direct-store PATH>` blocks, `include`
//! lines that name other files). Any run of blanks and tabs separates a
//! key from its value and the words of a value (seed 003 writes
//! `outgoinguser myuser<TAB>mypass`, which tgt-admin's `split(/ /)` reads
//! as one word).

use thiserror::Error;

/// One `key value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub key: String,
    pub value: String,
    pub line: usize,
}

impl Directive {
    /// The value's words, split at any whitespace.
    pub fn words(&self) -> Vec<&str> {
        self.value.split_whitespace().collect()
    }
}

/// Whether a LUN block is a `backing-store` or a `direct-store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Backing,
    Direct,
}

/// A LUN: `backing-store PATH` or a `<backing-store PATH>` block (likewise
/// `direct-store`), with the block's own directives (`lun`, `vendor_id`,
/// ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub kind: StoreKind,
    pub path: String,
    pub line: usize,
    pub directives: Vec<Directive>,
}

/// A `<target NAME>` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetBlock {
    pub name: String,
    pub line: usize,
    pub stores: Vec<Store>,
    /// Its other directives, in file order.
    pub directives: Vec<Directive>,
}

/// One file's content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfFile {
    /// Directives outside any block (`default-driver`,
    /// `incomingdiscoveryuser`, `control-port`, ...), `include` excepted.
    pub globals: Vec<Directive>,
    /// `include PATTERN` lines, for the caller to read.
    pub includes: Vec<Directive>,
    pub targets: Vec<TargetBlock>,
}

/// Why the text cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfError {
    #[error("line {line}: <{block}> is not closed")]
    Unclosed { block: String, line: usize },
    #[error("line {line}: </{block}> closes no open block")]
    StrayClose { block: String, line: usize },
    #[error("line {line}: <{block}> blocks are not allowed here")]
    Misplaced { block: String, line: usize },
    #[error("line {line}: <{block}> needs a name")]
    Unnamed { block: String, line: usize },
}

/// The text of `line` before an unescaped `#`, trimmed.
fn strip_comment(line: &str) -> &str {
    let mut prev = '\0';
    for (i, c) in line.char_indices() {
        if c == '#' && prev != '\\' {
            return line.get(..i).unwrap_or_default().trim();
        }
        prev = c;
    }
    line.trim()
}

/// `key value`, `key=value` or `key = value`.
fn split_directive(text: &str, line: usize) -> Directive {
    let key_end = text
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(text.len());
    let (key, rest) = text.split_at(key_end);
    let rest = rest.trim_start();
    let value = rest.strip_prefix('=').unwrap_or(rest).trim();
    Directive {
        key: key.to_owned(),
        value: value.to_owned(),
        line,
    }
}

/// `<name arg>` or `</name>`: (closing, name, argument).
fn block_tag(text: &str) -> Option<(bool, String, String)> {
    let inner = text.strip_prefix('<')?.strip_suffix('>')?.trim();
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(r) => (true, r.trim()),
        None => (false, inner),
    };
    let (name, arg) = match inner.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (inner, ""),
    };
    Some((closing, name.to_ascii_lowercase(), arg.to_owned()))
}

/// Reads one file's text (line numbers from 1).
pub fn parse(text: &str) -> Result<ConfFile, ConfError> {
    let mut conf = ConfFile::default();
    let mut target: Option<TargetBlock> = None;
    let mut store: Option<Store> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = strip_comment(raw);
        if t.is_empty() {
            continue;
        }
        if let Some((closing, name, arg)) = block_tag(t) {
            let kind = match name.as_str() {
                "backing-store" => Some(StoreKind::Backing),
                "direct-store" => Some(StoreKind::Direct),
                _ => None,
            };
            match (closing, &name[..], kind) {
                (false, "target", _) if target.is_none() => {
                    if arg.is_empty() {
                        return Err(ConfError::Unnamed { block: name, line });
                    }
                    target = Some(TargetBlock {
                        name: arg,
                        line,
                        stores: Vec::new(),
                        directives: Vec::new(),
                    });
                }
                (false, _, Some(kind)) if target.is_some() && store.is_none() => {
                    if arg.is_empty() {
                        return Err(ConfError::Unnamed { block: name, line });
                    }
                    store = Some(Store {
                        kind,
                        path: arg,
                        line,
                        directives: Vec::new(),
                    });
                }
                (true, "target", _) if store.is_none() && target.is_some() => {
                    if let Some(t) = target.take() {
                        conf.targets.push(t);
                    }
                }
                (true, _, Some(_)) if store.is_some() => {
                    if let (Some(s), Some(t)) = (store.take(), target.as_mut()) {
                        t.stores.push(s);
                    }
                }
                (true, _, _) => return Err(ConfError::StrayClose { block: name, line }),
                (false, _, _) => return Err(ConfError::Misplaced { block: name, line }),
            }
            continue;
        }
        let d = split_directive(t, line);
        if let Some(s) = store.as_mut() {
            s.directives.push(d);
        } else if let Some(tb) = target.as_mut() {
            let kind = match d.key.as_str() {
                "backing-store" => Some(StoreKind::Backing),
                "direct-store" => Some(StoreKind::Direct),
                _ => None,
            };
            match kind {
                Some(kind) => tb.stores.push(Store {
                    kind,
                    path: d.value,
                    line,
                    directives: Vec::new(),
                }),
                None => tb.directives.push(d),
            }
        } else if d.key == "include" {
            conf.includes.push(d);
        } else {
            conf.globals.push(d);
        }
    }
    if let Some(s) = store {
        return Err(ConfError::Unclosed {
            block: "backing-store".into(),
            line: s.line,
        });
    }
    if let Some(t) = target {
        return Err(ConfError::Unclosed {
            block: "target".into(),
            line: t.line,
        });
    }
    Ok(conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_seed_003_with_its_tab() {
        let text = "<target iqn.2012-11.com.magedu:tgt.target1>\n   backing-store /dev/sdb\n   incominguser iscsiuser mypass\n   outgoinguser myuser\tmypass\n</target>\n";
        let conf = parse(text).unwrap();
        let t = &conf.targets[0];
        assert_eq!(t.name, "iqn.2012-11.com.magedu:tgt.target1");
        assert_eq!(t.stores[0].path, "/dev/sdb");
        assert_eq!(t.stores[0].line, 2);
        assert_eq!(t.directives[1].key, "outgoinguser");
        assert_eq!(t.directives[1].words(), vec!["myuser", "mypass"]);
        assert_eq!(t.directives[1].line, 4);
    }

    #[test]
    fn reads_blocks_includes_comments_and_equals() {
        let text = "# c\ninclude /etc/tgt/conf.d/*.conf\ndefault-driver iscsi\n\
                    <target iqn.x:y>\n  <backing-store /a> # comment\n    lun 5\n    vendor_id = ACME\n  </backing-store>\n  MaxRecvDataSegmentLength=65536\n</target>\n";
        let conf = parse(text).unwrap();
        assert_eq!(conf.includes[0].value, "/etc/tgt/conf.d/*.conf");
        assert_eq!(conf.globals[0].key, "default-driver");
        let s = &conf.targets[0].stores[0];
        assert_eq!((s.path.as_str(), s.line), ("/a", 5));
        assert_eq!(s.directives[1].value, "ACME");
        let d = &conf.targets[0].directives[0];
        assert_eq!(
            (d.key.as_str(), d.value.as_str(), d.line),
            ("MaxRecvDataSegmentLength", "65536", 9)
        );
    }

    #[test]
    fn refuses_broken_blocks_by_line() {
        assert_eq!(
            parse("<target a>\n").unwrap_err(),
            ConfError::Unclosed {
                block: "target".into(),
                line: 1
            }
        );
        assert!(matches!(
            parse("</target>"),
            Err(ConfError::StrayClose { line: 1, .. })
        ));
        assert!(matches!(
            parse("<target a>\n<target b>"),
            Err(ConfError::Misplaced { line: 2, .. })
        ));
        assert!(matches!(
            parse("<target>"),
            Err(ConfError::Unnamed { line: 1, .. })
        ));
    }
}

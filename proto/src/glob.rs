//! Shell-style patterns: `*` stands for any run of characters (dots and
//! slashes included) and `?` for one character. The conformance suite's
//! `--filter` and targets.conf's `include` globs both match with
//! [`matches`].

/// Whether all of `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        match p.get(i) {
            Some('?') => (i, j) = (i + 1, j + 1),
            Some('*') => {
                star = Some(i);
                mark = j;
                i += 1;
            }
            Some(c) if Some(c) == n.get(j) => (i, j) = (i + 1, j + 1),
            _ => match star {
                Some(s) => {
                    i = s + 1;
                    mark += 1;
                    j = mark;
                }
                None => return false,
            },
        }
    }
    p.get(i..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn literal_ids_match_only_themselves() {
        assert!(matches(
            "iscsi.login.unknown-target",
            "iscsi.login.unknown-target"
        ));
        assert!(!matches(
            "iscsi.login.unknown",
            "iscsi.login.unknown-target"
        ));
        assert!(!matches(
            "iscsi.login.unknown-target",
            "iscsi.login.unknown"
        ));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn star_spans_dots_and_may_be_empty() {
        assert!(matches("iscsi.chap.*", "iscsi.chap.reflected-challenge"));
        assert!(matches("iscsi.*", "iscsi.chap.reflected-challenge"));
        assert!(matches("*.unknown-target", "iscsi.login.unknown-target"));
        assert!(matches("scsi.read*", "scsi.read10.beyond-eol"));
        assert!(matches("scsi.read10.beyond-eol*", "scsi.read10.beyond-eol"));
        assert!(matches("*", "anything"));
        assert!(matches("**", ""));
        assert!(!matches("iscsi.chap.*", "iscsi.login.unknown-target"));
        assert!(!matches("scsi.*", "iscsi.login.unknown-target"));
    }

    #[test]
    fn star_backtracks() {
        assert!(matches("*a*b", "xaxxab"));
        assert!(matches("iscsi.*.*-target", "iscsi.login.unknown-target"));
        assert!(!matches("*a*b", "xaxxa"));
        assert!(matches("a*b*c", "abbbc"));
        assert!(!matches("a*b*c", "acb"));
    }

    #[test]
    fn question_mark_is_one_character() {
        assert!(matches("scsi.read1?.*", "scsi.read10.beyond-eol"));
        assert!(matches("scsi.read1?.*", "scsi.read16.beyond-eol"));
        assert!(!matches("scsi.read1?.*", "scsi.read6.beyond-eol"));
        assert!(!matches("?", ""));
    }

    #[test]
    fn globs_match_as_the_shell_does() {
        assert!(matches("*.conf", "a.conf"));
        assert!(matches("a?c*", "abcdef"));
        assert!(!matches("*.conf", "a.conf.bak"));
        assert!(matches("*", ""));
        assert!(!matches("x", ""));
    }
}

//! Checks across values: duplicates, missing keys of a backstore kind,
//! burst lengths, CHAP secrets.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use super::schema::{AccountToml, BackstoreKind, ChapToml, FileConfig, TargetToml};

type Failure = (Range<usize>, String);

pub(super) fn check(f: &FileConfig) -> Result<(), Failure> {
    let mut names = BTreeSet::new();
    let weak = f.allow_weak_chap;
    check_chap(&f.discovery.chap, weak)?;
    let mut users = BTreeSet::new();
    for a in &f.accounts {
        check_secret(a, weak)?;
        if !users.insert(a.get_ref().user.clone()) {
            return Err((
                a.span(),
                format!(
                    "account {:?} is listed twice: keep one [[account]] per user",
                    a.get_ref().user
                ),
            ));
        }
    }
    if let Some(a) = &f.alua {
        a.check(f.tpgt.u16())?;
    }
    let mut tids = BTreeSet::new();
    for (i, t) in f.targets.iter().enumerate() {
        let tid = t.get_ref().tid.as_ref();
        let n = tid.map_or(i as i64 + 1, |v| v.get_ref().0);
        if !tids.insert(n) {
            let span = tid.map_or(t.span(), |v| v.span());
            return Err((
                span,
                format!("tid {n} is given to two targets: give each [[target]] its own tid"),
            ));
        }
    }
    for t in &f.targets {
        let iqn = &t.get_ref().iqn;
        if !names.insert(iqn.get_ref().0.clone()) {
            return Err((
                iqn.span(),
                format!(
                    "target {} is defined twice: give each [[target]] its own iqn",
                    iqn.get_ref().0
                ),
            ));
        }
        check_target(t.get_ref(), t.span(), weak)?;
    }
    Ok(())
}

fn check_target(t: &TargetToml, span: Range<usize>, weak: bool) -> Result<(), Failure> {
    let s = &t.session;
    if let (Some(first), Some(max)) = (s.first_burst_length, s.max_burst_length) {
        // RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
        if first.0 > max.0 {
            return Err((
                span,
                format!(
                    "session.first_burst_length {} exceeds session.max_burst_length {}: lower it (RFC 7143 §13.14)",
                    first.0, max.0
                ),
            ));
        }
    }
    check_chap(&t.chap, weak)?;
    let mut luns = BTreeSet::new();
    for l in &t.lun {
        let lun = l.get_ref();
        let at = l.span();
        if t.tgt_compat && lun.lun.0 == 0 {
            return Err((
                at,
                "lun 0 of a tgt_compat target is tgt's controller: number this lun from 1".into(),
            ));
        }
        if !luns.insert(lun.lun.0) {
            return Err((
                at,
                format!(
                    "lun {} is defined twice in this target: give each [[target.lun]] its own number",
                    lun.lun.0
                ),
            ));
        }
        let kind = match lun.backstore {
            BackstoreKind::Ram => "ram",
            BackstoreKind::Null => "null",
            BackstoreKind::File => "file",
            BackstoreKind::Block => "block",
            BackstoreKind::Glfs => "glfs",
        };
        let on_disk = matches!(
            lun.backstore,
            BackstoreKind::File | BackstoreKind::Block | BackstoreKind::Glfs
        );
        if let Err(e) = super::build::glfs_location(lun) {
            return Err((at, e));
        }
        if on_disk && lun.path.is_none() {
            return Err((
                at,
                format!("a {kind} lun needs a path: add path = \"/path/to/{kind}\""),
            ));
        }
        if !on_disk && lun.path.is_some() {
            return Err((
                at,
                format!("a {kind} lun has no path: remove path, or use backstore = \"file\""),
            ));
        }
        if !on_disk && lun.size.is_none() {
            return Err((at, format!("a {kind} lun needs a size: add size = \"1G\"")));
        }
        if (!on_disk || lun.backstore == BackstoreKind::Glfs) && lun.direct {
            return Err((
                at,
                format!("direct is for file and block luns: remove it from this {kind} lun"),
            ));
        }
        let bs = lun.block_size.0;
        if bs != 512 && bs != 4096 {
            return Err((at, format!("block_size {bs}: use 512 or 4096")));
        }
        if let Some(size) = lun.size {
            if size.0 == 0 || size.0 % bs as u64 != 0 {
                return Err((
                    at,
                    format!(
                        "size {} is not a positive multiple of block_size {bs}: round it",
                        size.0
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// RFC 7143 §12.1.3: secrets of at least 96 bits, unless tgtadm's weaker
/// rules are asked for.
fn check_secret(a: &Spanned<AccountToml>, weak: bool) -> Result<(), Failure> {
    let n = a.get_ref().secret.0.len();
    if n < 12 && !weak {
        return Err((
            a.span(),
            format!(
                "a CHAP secret of {n} bytes: use 12 to 255 bytes (RFC 7143 §12.1.3 asks for at least 96 bits), or set allow_weak_chap = true"
            ),
        ));
    }
    Ok(())
}

fn check_chap(c: &ChapToml, weak: bool) -> Result<(), Failure> {
    let mut users = BTreeSet::new();
    for a in c.incoming.iter().chain(&c.outgoing) {
        check_secret(a, weak)?;
    }
    for a in &c.incoming {
        let acc = a.get_ref();
        if acc.user.is_empty() {
            return Err((a.span(), "a CHAP account needs a user name".into()));
        }
        if !users.insert(acc.user.clone()) {
            return Err((
                a.span(),
                format!(
                    "CHAP user {:?} is listed twice: keep one entry per user",
                    acc.user
                ),
            ));
        }
    }
    if let Some(out) = &c.outgoing {
        if out.get_ref().user.is_empty() {
            return Err((out.span(), "a CHAP account needs a user name".into()));
        }
        // RFC 7143 §12.1.3: a secret used to authenticate initiators MUST
        // NOT be used to authenticate the target.
        if !weak
            && c.incoming
                .iter()
                .any(|a| a.get_ref().secret == out.get_ref().secret)
        {
            return Err((
                out.span(),
                "the outgoing CHAP secret equals an incoming one: use a different secret (RFC 7143 §12.1.3)".into(),
            ));
        }
        if c.incoming.is_empty() && !weak {
            return Err((
                out.span(),
                "an outgoing CHAP account needs incoming accounts (mutual CHAP follows one-way CHAP): add chap.incoming".into(),
            ));
        }
    }
    Ok(())
}

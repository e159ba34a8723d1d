//! Checks across values: duplicates, missing keys of a backstore kind,
//! burst lengths, CHAP secrets.

use std::collections::BTreeSet;
use std::ops::Range;

use super::schema::{BackstoreKind, ChapToml, FileConfig, TargetToml};

type Failure = (Range<usize>, String);

pub(super) fn check(f: &FileConfig) -> Result<(), Failure> {
    let mut names = BTreeSet::new();
    check_chap(&f.discovery.chap)?;
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
        check_target(t.get_ref(), t.span())?;
    }
    Ok(())
}

fn check_target(t: &TargetToml, span: Range<usize>) -> Result<(), Failure> {
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
    check_chap(&t.chap)?;
    let mut luns = BTreeSet::new();
    for l in &t.lun {
        let lun = l.get_ref();
        let at = l.span();
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

fn check_chap(c: &ChapToml) -> Result<(), Failure> {
    let mut users = BTreeSet::new();
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
        if c.incoming
            .iter()
            .any(|a| a.get_ref().secret == out.get_ref().secret)
        {
            return Err((
                out.span(),
                "the outgoing CHAP secret equals an incoming one: use a different secret (RFC 7143 §12.1.3)".into(),
            ));
        }
        if c.incoming.is_empty() {
            return Err((
                out.span(),
                "an outgoing CHAP account needs incoming accounts (mutual CHAP follows one-way CHAP): add chap.incoming".into(),
            ));
        }
    }
    Ok(())
}

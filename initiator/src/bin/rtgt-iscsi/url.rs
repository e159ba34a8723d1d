//! `iscsi://[user[%secret]@]host[:port]/iqn/lun[?target_user=U&target_password=P]`,
//! the form libiscsi and qemu use (IPv6 hosts in brackets).

use anyhow::{bail, Context, Result};

/// A parsed iSCSI URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IscsiUrl {
    /// CHAP user and secret, when given before `@`.
    pub user: Option<String>,
    pub secret: Option<String>,
    /// `host[:port]` as written (IPv6 in brackets).
    pub portal: String,
    /// The target's IQN, when the URL has a path.
    pub target: Option<String>,
    /// The LUN, when the path has a second part.
    pub lun: Option<u16>,
    /// Mutual CHAP from the query (`target_user`, `target_password`).
    pub target_user: Option<String>,
    pub target_secret: Option<String>,
}

impl IscsiUrl {
    pub fn parse(s: &str) -> Result<IscsiUrl> {
        let rest = s.strip_prefix("iscsi://").with_context(|| {
            format!("{s:?} is not an iSCSI URL; write iscsi://[user[%secret]@]host[:port]/iqn/lun")
        })?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((a, p)) => (a, p),
            None => (rest, ""),
        };
        let mut url = IscsiUrl::default();
        let hostport = match authority.rsplit_once('@') {
            Some((userinfo, hp)) => {
                match userinfo.split_once('%') {
                    Some((u, p)) => {
                        url.user = Some(u.to_owned());
                        url.secret = Some(p.to_owned());
                    }
                    None => url.user = Some(userinfo.to_owned()),
                }
                hp
            }
            None => authority,
        };
        if hostport.is_empty() {
            bail!("{s:?} has no host; write iscsi://host[:port]/iqn/lun");
        }
        // The core's TargetAddress parser checks brackets and the port.
        rtgt_initiator::client::parse_portal(hostport)?;
        url.portal = hostport.to_owned();
        let path = path.trim_end_matches('/');
        if !path.is_empty() {
            let (target, lun) = match path.rsplit_once('/') {
                Some((t, l)) => (t, Some(l)),
                None => (path, None),
            };
            if target.is_empty() {
                bail!("{s:?} has an empty target name; write iscsi://host/iqn/lun");
            }
            url.target = Some(target.to_owned());
            if let Some(l) = lun {
                url.lun = Some(l.parse().with_context(|| {
                    format!("LUN {l:?} in {s:?} is not a number from 0 to 16383")
                })?);
            }
        }
        for kv in query.into_iter().flat_map(|q| q.split('&')) {
            match kv.split_once('=') {
                Some(("target_user", v)) => url.target_user = Some(v.to_owned()),
                Some(("target_password", v)) => url.target_secret = Some(v.to_owned()),
                _ => bail!("unknown URL argument {kv:?}; known: target_user, target_password"),
            }
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_form() {
        let u =
            IscsiUrl::parse("iscsi://alice%s3cret@10.0.0.1:3261/iqn.2024-01.org.x:disk/1").unwrap();
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.secret.as_deref(), Some("s3cret"));
        assert_eq!(u.portal, "10.0.0.1:3261");
        assert_eq!(u.target.as_deref(), Some("iqn.2024-01.org.x:disk"));
        assert_eq!(u.lun, Some(1));
    }

    #[test]
    fn ipv6_query_and_short_forms() {
        let u = IscsiUrl::parse("iscsi://[::1]:3260/iqn.a:b/0?target_user=t&target_password=p")
            .unwrap();
        assert_eq!(u.portal, "[::1]:3260");
        assert_eq!(
            (u.target_user.as_deref(), u.target_secret.as_deref()),
            (Some("t"), Some("p"))
        );
        let h = IscsiUrl::parse("iscsi://host").unwrap();
        assert_eq!((h.portal.as_str(), h.target, h.lun), ("host", None, None));
        let t = IscsiUrl::parse("iscsi://host/iqn.a:b").unwrap();
        assert_eq!((t.target.as_deref(), t.lun), (Some("iqn.a:b"), None));
    }

    #[test]
    fn errors_say_the_form() {
        for bad in [
            "http://h/iqn/1",
            "iscsi:///iqn/1",
            "iscsi://h/iqn/x",
            "iscsi://[::1/iqn/1",
            "iscsi://h//1",
            "iscsi://h/i/1?x=y",
        ] {
            assert!(IscsiUrl::parse(bad).is_err(), "{bad}");
        }
        let e = IscsiUrl::parse("http://x").unwrap_err().to_string();
        assert!(e.contains("iscsi://"), "{e}");
    }
}

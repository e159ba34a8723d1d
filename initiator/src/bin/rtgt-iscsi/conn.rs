//! The connection options every subcommand shares, and the login with
//! errors that say which side refused and what to change.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use rtgt_initiator::client::{ClientConfig, ClientError, Session};
use rtgt_initiator::{ChapConfig, InitiatorConfig, LoginError, Strictness};
use rtgt_proto::chap::ChapAlgorithm;
use rtgt_proto::pdu::Lun;

use crate::url::IscsiUrl;

/// Our name unless --initiator-name says otherwise.
pub const DEFAULT_INITIATOR: &str = "iqn.2024-01.org.rtgt:rtgt-iscsi";

/// A digest choice, as offered in the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestChoice {
    /// Offer None only (no digest)
    None,
    /// Insist on CRC32C (the login fails if the target refuses it)
    Crc32c,
    /// Offer CRC32C,None: CRC32C if the target agrees
    Prefer,
    /// Offer None,CRC32C: no digest unless the target insists
    Allow,
}

impl DigestChoice {
    fn value(self) -> &'static str {
        match self {
            DigestChoice::None => "None",
            DigestChoice::Crc32c => "CRC32C",
            DigestChoice::Prefer => "CRC32C,None",
            DigestChoice::Allow => "None,CRC32C",
        }
    }
}

/// A CHAP algorithm (CHAP_A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChapAlg {
    /// CHAP_A=5 (RFC 1994)
    Md5,
    /// CHAP_A=6 (RFC 7143 §12.1.3)
    Sha1,
    /// CHAP_A=7
    Sha256,
    /// CHAP_A=8
    #[value(name = "sha3-256")]
    Sha3_256,
}

impl From<ChapAlg> for ChapAlgorithm {
    fn from(a: ChapAlg) -> Self {
        match a {
            ChapAlg::Md5 => ChapAlgorithm::Md5,
            ChapAlg::Sha1 => ChapAlgorithm::Sha1,
            ChapAlg::Sha256 => ChapAlgorithm::Sha256,
            ChapAlg::Sha3_256 => ChapAlgorithm::Sha3_256,
        }
    }
}

/// Where to log in and how.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// The target, as iscsi://[user[%secret]@]host[:port]/iqn/lun (or give
    /// --portal, --target and --lun)
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// The portal, host[:port] (IPv6 as [addr]:port; port 3260 by default);
    /// with --multipath, repeat it for each portal of the target
    #[arg(long, value_name = "HOST[:PORT]")]
    pub portal: Vec<String>,
    /// Use every portal of the target as a path to the logical unit
    /// (readcap, read, write and verify): log in to each portal given (the
    /// URL's and every --portal; with only one, the portals SendTargets
    /// discovery lists for the target there), identify each path by VPD
    /// page 83h (paths to another logical unit are left out), read the
    /// target port groups with REPORT TARGET PORT GROUPS and send I/O on
    /// the paths in active/optimized state, else active/non-optimized.
    /// When a path is lost (connection closed, --timeout passed) or the
    /// target refuses a command for its port's state (NOT READY 04h/0Ah,
    /// 0Bh, 0Ch) or reports ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h), the
    /// groups are read again and every command not yet answered is sent
    /// again on another path; an answered command is never sent again.
    /// When no path is active and the target takes SET TARGET PORT GROUPS
    /// (explicit ALUA), a standby group is made active/optimized. Fails
    /// with "no usable path" and each path's state when none is left
    #[arg(long)]
    pub multipath: bool,
    /// The target's iSCSI name (TargetName)
    #[arg(long, value_name = "IQN")]
    pub target: Option<String>,
    /// The logical unit number
    #[arg(long, value_name = "N")]
    pub lun: Option<u16>,
    /// Our iSCSI name (InitiatorName)
    #[arg(long, value_name = "IQN", default_value = DEFAULT_INITIATOR)]
    pub initiator_name: String,
    /// CHAP: our user name (CHAP_N); turns on AuthMethod=CHAP
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// CHAP: our secret (the target's incoming account)
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// Mutual CHAP: the name the target must answer with (its outgoing account)
    #[arg(long, value_name = "NAME")]
    pub target_user: Option<String>,
    /// Mutual CHAP: the target's secret; turns on mutual authentication
    #[arg(long, value_name = "SECRET")]
    pub target_secret: Option<String>,
    /// CHAP algorithms offered (CHAP_A), in order of preference, e.g.
    /// sha3-256,sha256,md5. MD5 alone by default: some targets (Debian's
    /// tgtd 1.0.85) refuse the whole login when the list holds one they do
    /// not know
    #[arg(long, value_enum, value_delimiter = ',', default_value = "md5")]
    pub chap_algorithms: Vec<ChapAlg>,
    /// HeaderDigest offered: none, crc32c (insist), prefer (CRC32C,None), allow (None,CRC32C)
    #[arg(long, value_enum, default_value = "none")]
    pub header_digest: DigestChoice,
    /// DataDigest offered: none, crc32c (insist), prefer (CRC32C,None), allow (None,CRC32C)
    #[arg(long, value_enum, default_value = "none")]
    pub data_digest: DigestChoice,
    /// Any login key, as KEY=VALUE (repeatable), e.g. InitialR2T=No,
    /// ImmediateData=No, MaxRecvDataSegmentLength=65536
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Seconds a command may take before it is reported as stuck
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Report the target's protocol violations as warnings and carry on
    /// instead of closing the session
    #[arg(long)]
    pub lenient: bool,
}

/// The options resolved against the URL.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub portal: String,
    /// Every portal given, the first being `portal` (for --multipath).
    pub portals: Vec<String>,
    pub target: Option<String>,
    pub lun: Option<u16>,
    args: ConnArgs,
    user: Option<String>,
    secret: Option<String>,
    target_user: Option<String>,
    target_secret: Option<String>,
}

impl ConnArgs {
    pub fn resolve(&self) -> Result<Resolved> {
        let url = match &self.url {
            Some(u) if u.starts_with("iscsi://") => Some(IscsiUrl::parse(u)?),
            Some(p) => Some(IscsiUrl {
                portal: p.clone(),
                ..IscsiUrl::default()
            }),
            None => None,
        };
        let url = url.unwrap_or_default();
        let mut portals: Vec<String> = Some(url.portal)
            .filter(|p| !p.is_empty())
            .into_iter()
            .chain(self.portal.iter().cloned())
            .collect();
        portals.dedup();
        let portal = portals
            .first()
            .cloned()
            .context("no portal given; add iscsi://host[:port]/iqn/lun or --portal HOST[:PORT]")?;
        if portals.len() > 1 && !self.multipath {
            bail!(
                "several portals given ({}); add --multipath to use them all as paths, or give one",
                portals.join(", ")
            );
        }
        Ok(Resolved {
            portal,
            portals,
            target: self.target.clone().or(url.target),
            lun: self.lun.or(url.lun),
            user: self.user.clone().or(url.user),
            secret: self.secret.clone().or(url.secret),
            target_user: self.target_user.clone().or(url.target_user),
            target_secret: self.target_secret.clone().or(url.target_secret),
            args: self.clone(),
        })
    }
}

impl Resolved {
    /// The LUN to address.
    pub fn lun(&self) -> Result<Lun> {
        let n = self
            .lun
            .context("no LUN given; end the URL with /LUN or add --lun N")?;
        Ok(Lun::single_level(n))
    }

    fn chap(&self) -> Result<Option<ChapConfig>> {
        let (user, secret) = match (&self.user, &self.secret) {
            (None, None) => {
                if self.target_secret.is_some() {
                    bail!("--target-secret needs --user and --secret: mutual CHAP authenticates us first");
                }
                return Ok(None);
            }
            (Some(u), Some(s)) => (u, s),
            (Some(_), None) => bail!("--user needs --secret (or user%secret@ in the URL)"),
            (None, Some(_)) => bail!("--secret needs --user (or user%secret@ in the URL)"),
        };
        let mut chap = ChapConfig::one_way(user, secret.as_bytes());
        chap.algorithms = self
            .args
            .chap_algorithms
            .iter()
            .map(|&a| a.into())
            .collect();
        if chap.algorithms.is_empty() {
            bail!("--chap-algorithms lists no algorithm");
        }
        match (&self.target_user, &self.target_secret) {
            (tu, Some(ts)) => chap = chap.with_mutual(tu.as_deref(), ts.as_bytes()),
            (Some(_), None) => bail!("--target-user needs --target-secret for mutual CHAP"),
            (None, None) => {}
        }
        Ok(Some(chap))
    }

    fn finish(&self, mut ini: InitiatorConfig) -> Result<ClientConfig> {
        if let Some(chap) = self.chap()? {
            ini = ini.with_chap(chap);
        }
        ini.keys
            .set("HeaderDigest", self.args.header_digest.value())
            .set("DataDigest", self.args.data_digest.value());
        for kv in &self.args.set {
            let (k, v) = kv
                .split_once('=')
                .with_context(|| format!("--set {kv:?}: write KEY=VALUE"))?;
            ini.keys.set(k, v);
        }
        if self.args.lenient {
            ini.strictness = Strictness::Lenient;
        }
        let mut config = ClientConfig::new(ini);
        config.command_timeout = Some(Duration::from_secs(self.args.timeout.max(1)));
        Ok(config)
    }

    /// A configuration for a normal session.
    pub fn normal_config(&self) -> Result<ClientConfig> {
        let target = self
            .target
            .as_deref()
            .context("no target name given; use iscsi://host/IQN/LUN or --target IQN (find names with `rtgt-iscsi discover HOST`)")?;
        self.finish(InitiatorConfig::normal(&self.args.initiator_name, target))
    }

    /// A configuration for a discovery session.
    pub fn discovery_config(&self) -> Result<ClientConfig> {
        self.finish(InitiatorConfig::discovery(&self.args.initiator_name))
    }

    /// Whether --multipath was given.
    pub fn multipath(&self) -> bool {
        self.args.multipath
    }

    /// Fails when --multipath was given to a subcommand without it.
    pub fn single_path(&self) -> Result<()> {
        if self.args.multipath {
            bail!("--multipath works with readcap, read, write and verify only");
        }
        Ok(())
    }

    /// Logs in to a normal session.
    pub async fn login(&self) -> Result<Session> {
        self.single_path()?;
        let config = self.normal_config()?;
        Session::login(&self.portal, config)
            .await
            .map_err(|e| explain(e, self))
    }
}

/// Adds which side refused a login and which option to change.
pub fn explain(e: ClientError, r: &Resolved) -> anyhow::Error {
    let hint = match &e {
        ClientError::Login(LoginError::AuthenticationFailure) => Some(match &r.user {
            Some(u) => format!(
                "the target rejected our CHAP response as user {u:?}: check --user/--secret \
                 against the target's incoming account"
            ),
            None => {
                "the target requires CHAP: give --user and --secret (or user%secret@ in the URL)"
                    .to_owned()
            }
        }),
        ClientError::Login(LoginError::AuthMethodRejected { .. }) => Some(
            "the target and we agree on no authentication method: add or remove --user/--secret"
                .to_owned(),
        ),
        ClientError::Login(LoginError::TargetAuthFailed { .. }) => Some(
            "we rejected the target's CHAP response: check --target-user/--target-secret \
             against the target's outgoing account"
                .to_owned(),
        ),
        ClientError::Login(LoginError::InitiatorError) if r.user.is_some() => Some(
            "the target refused the login without a reason; if it does not know every \
             algorithm offered, try --chap-algorithms md5"
                .to_owned(),
        ),
        ClientError::Login(LoginError::AuthorizationFailure) => Some(format!(
            "the target does not let {:?} in: check its access list",
            r.args.initiator_name
        )),
        ClientError::Login(LoginError::NotFound) => Some(format!(
            "no target {:?} at {}: list the names with `rtgt-iscsi discover {}`",
            r.target.as_deref().unwrap_or(""),
            r.portal,
            r.portal
        )),
        _ => None,
    };
    match hint {
        Some(h) => anyhow::Error::new(e).context(h),
        None => anyhow::Error::new(e),
    }
}

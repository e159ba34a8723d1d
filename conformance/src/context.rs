//! The target under test and the suite's options, as every scenario sees
//! them.

use crate::transcript::Transcript;
use std::time::Duration;

/// A CHAP account: user name and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub user: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Account({}, secret redacted)", self.user)
    }
}

/// What the suite knows about the target and may do to it.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` (IPv6 as `[addr]:port`).
    pub addr: String,
    /// The target's iSCSI name.
    pub iqn: String,
    /// The LUN the SCSI scenarios use.
    pub lun: u64,
    pub initiator_name: String,
    pub initiator_name_2: Option<String>,
    /// A target name the target answers with a redirection (`--moved-iqn`).
    pub moved_iqn: Option<String>,
    /// The command that makes the target send an Asynchronous Message
    /// (`--async-command`).
    pub async_command: Option<String>,
    /// The incoming account (the initiator authenticates with it).
    pub chap: Option<Account>,
    /// The target's outgoing account, for mutual CHAP.
    pub mutual_chap: Option<Account>,
    /// Whether scenarios may write outside the scratch range.
    pub allow_destructive: bool,
    /// Blocks at this LBA the suite may overwrite if it restores them.
    pub scratch_lba: u64,
    pub scratch_blocks: u32,
    /// How long to wait for an answer the target owes.
    pub timeout: Duration,
    /// How long to wait to conclude that no answer is coming (after a PDU
    /// the target must ignore).
    pub quiet: Duration,
}

/// Handed to each scenario: the target and the transcript of the exchange.
#[derive(Debug)]
pub struct Context {
    pub target: Target,
    pub transcript: Transcript,
}

impl Context {
    pub fn new(target: Target) -> Context {
        Context {
            target,
            transcript: Transcript::default(),
        }
    }
}

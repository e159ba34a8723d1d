//! Reservations: persistent reservations (SPC-5 §5.14), the SPC-2
//! RESERVE/RELEASE reservation, and the conflict rules every command
//! passes through.
//!
//! The persistent state is a plain [`PrState`] value (serde
//! serialisable). A disk whose state has APTPL set hands each change to
//! its driver through [`crate::Disk::poll_persist`] before the PERSISTENT
//! RESERVE OUT command completes, and the driver restores it at start with
//! [`crate::Disk::restore_reservations`].

mod conflict;
mod pr_in;
mod pr_out;
mod spc2;

use crate::task::Nexus;
use rtgt_proto::scsi::cdb::pr_type;
use rtgt_proto::scsi::params::TransportId;
use serde::{Deserialize, Serialize};

/// The initiator port of an I_T nexus, as PR keeps it: the iSCSI name and
/// the ISID in lower case hexadecimal (`None` matches every ISID: a
/// registration made with a format 00b TransportID).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PrInitiator {
    pub name: String,
    pub isid: Option<String>,
}

impl PrInitiator {
    /// The initiator port of `nexus` ("<name>,i,0x<ISID>", RFC 7143 §13.1).
    pub fn of(nexus: &Nexus) -> Self {
        match nexus.initiator_port.split_once(",i,0x") {
            Some((name, isid)) => PrInitiator {
                name: name.to_string(),
                isid: Some(isid.to_ascii_lowercase()),
            },
            None => PrInitiator {
                name: nexus.initiator_port.clone(),
                isid: None,
            },
        }
    }

    /// The initiator port a TransportID names, if it is an iSCSI one.
    pub fn from_transport_id(t: &TransportId) -> Option<Self> {
        match t {
            TransportId::Iscsi { name, isid } => Some(PrInitiator {
                name: name.clone(),
                isid: isid.as_ref().map(|i| i.to_ascii_lowercase()),
            }),
            TransportId::Raw(_) => None,
        }
    }

    /// The TransportID for READ FULL STATUS.
    pub fn transport_id(&self) -> TransportId {
        TransportId::Iscsi {
            name: self.name.clone(),
            isid: self.isid.clone(),
        }
    }

    /// True when this port is (or, without ISID, covers) `other`.
    fn covers(&self, other: &PrInitiator) -> bool {
        // RFC 7143 §13.1 and SPC-5 §7.6.4.6: iSCSI names compare without
        // regard to case; the ISID is hexadecimal.
        self.name.eq_ignore_ascii_case(&other.name)
            && (self.isid.is_none() || self.isid == other.isid)
    }
}

/// One registered I_T nexus (or, with `target_port` `None`, the
/// initiator port through every target port: ALL_TG_PT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registrant {
    /// Serialised as a hexadecimal string: formats such as TOML have no
    /// unsigned 64-bit integers.
    #[serde(with = "hex_key")]
    pub key: u64,
    pub initiator: PrInitiator,
    /// RELATIVE TARGET PORT IDENTIFIER, `None` for all target ports.
    pub target_port: Option<u16>,
}

impl Registrant {
    /// True when this registration is the one of `nexus`.
    pub fn matches(&self, nexus: &Nexus) -> bool {
        self.initiator.covers(&PrInitiator::of(nexus))
            && self
                .target_port
                .is_none_or(|p| p == nexus.relative_target_port)
    }
}

/// A reservation key as `"0x"` and 16 hexadecimal digits.
mod hex_key {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(key: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{key:#018x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        u64::from_str_radix(digits, 16).map_err(serde::de::Error::custom)
    }
}

/// The persistent reservation: its type and, except for the all
/// registrants types, the registration (index into
/// [`PrState::registrants`]) that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrReservation {
    pub pr_type: u8,
    pub holder: Option<usize>,
}

/// Persistent reservation state of one logical unit (SPC-5 §5.14): what a
/// daemon writes to disk when APTPL is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrState {
    /// PRGENERATION (SPC-5 §6.16.2).
    pub generation: u32,
    /// Activate persist through power loss (SPC-5 §5.14.5).
    pub aptpl: bool,
    pub registrants: Vec<Registrant>,
    pub reservation: Option<PrReservation>,
}

/// The reservations of a logical unit: the persistent ones (SPC-5 §5.14),
/// the SPC-2 RESERVE reservation, and the registrations the last PREEMPT
/// AND ABORT removed, whose tasks the disk aborts.
#[derive(Debug, Default)]
pub(crate) struct Reservations {
    /// Persistent reservations (SPC-5 §5.14).
    pr: PrState,
    /// The I_T nexus holding an SPC-2 RESERVE reservation.
    spc2: Option<Nexus>,
    /// Registrations PREEMPT AND ABORT removed (SPC-5 §5.14.11.5).
    preempted: Vec<Registrant>,
}

impl Reservations {
    /// The persistent reservation state.
    pub(crate) fn persistent(&self) -> &PrState {
        &self.pr
    }

    /// Restores persistent reservations saved with APTPL (SPC-5 §5.14.5);
    /// state without APTPL is not restored.
    pub(crate) fn restore(&mut self, state: PrState) {
        if state.aptpl {
            self.pr = state;
        }
    }

    /// The registrations PREEMPT AND ABORT removed since the last call.
    pub(crate) fn take_preempted(&mut self) -> Vec<Registrant> {
        std::mem::take(&mut self.preempted)
    }

    /// SPC-2 §5.5.1: a reset releases the RESERVE reservation (persistent
    /// reservations survive it, SPC-5 §5.14.4).
    pub(crate) fn reset(&mut self) {
        self.spc2 = None;
    }

    /// SPC-2 §5.5.1: an I_T nexus loss releases its RESERVE reservation.
    pub(crate) fn nexus_loss(&mut self, nexus: &Nexus) {
        if self.spc2.as_ref() == Some(nexus) {
            self.spc2 = None;
        }
    }
}

/// The most registrations a LU keeps (SPC-5 §5.14.7: beyond it,
/// INSUFFICIENT REGISTRATION RESOURCES).
pub const MAX_REGISTRANTS: usize = 256;

/// True for the types where every registrant holds the reservation.
pub(crate) fn all_registrants(t: u8) -> bool {
    matches!(
        t,
        pr_type::WRITE_EXCLUSIVE_ALL_REGISTRANTS | pr_type::EXCLUSIVE_ACCESS_ALL_REGISTRANTS
    )
}

/// True for the registrants only and all registrants types.
pub(crate) fn registrants_type(t: u8) -> bool {
    matches!(
        t,
        pr_type::WRITE_EXCLUSIVE_REGISTRANTS_ONLY
            | pr_type::EXCLUSIVE_ACCESS_REGISTRANTS_ONLY
            | pr_type::WRITE_EXCLUSIVE_ALL_REGISTRANTS
            | pr_type::EXCLUSIVE_ACCESS_ALL_REGISTRANTS
    )
}

/// True for the types defined in SPC-5 (persistent reservation type codes).
pub(crate) fn valid_type(t: u8) -> bool {
    matches!(t, 1 | 3 | 5 | 6 | 7 | 8)
}

/// True for the exclusive access types (reads conflict too).
pub(crate) fn exclusive_access(t: u8) -> bool {
    matches!(
        t,
        pr_type::EXCLUSIVE_ACCESS
            | pr_type::EXCLUSIVE_ACCESS_REGISTRANTS_ONLY
            | pr_type::EXCLUSIVE_ACCESS_ALL_REGISTRANTS
    )
}

impl PrState {
    /// The registration of `nexus`.
    pub fn registration(&self, nexus: &Nexus) -> Option<usize> {
        self.registrants.iter().position(|r| r.matches(nexus))
    }

    /// True when `nexus` holds the reservation (SPC-5 §5.14.10: every
    /// registrant does for the all registrants types).
    pub fn is_holder(&self, nexus: &Nexus) -> bool {
        let Some(res) = &self.reservation else {
            return false;
        };
        let mine = self.registration(nexus);
        match res.holder {
            _ if all_registrants(res.pr_type) => mine.is_some(),
            Some(h) => mine == Some(h),
            None => false,
        }
    }

    /// RESERVATION KEY reported by READ RESERVATION: the holder's key, or
    /// zero for the all registrants types (SPC-5 §6.16.3).
    pub fn reservation_key(&self) -> u64 {
        match &self.reservation {
            Some(PrReservation {
                holder: Some(h), ..
            }) => self.registrants.get(*h).map_or(0, |r| r.key),
            _ => 0,
        }
    }

    /// Removes registration `i`, keeping the holder index right. Gives
    /// true when it released the reservation.
    pub(crate) fn unregister(&mut self, i: usize) -> bool {
        self.registrants.remove(i);
        let Some(res) = &mut self.reservation else {
            return false;
        };
        if all_registrants(res.pr_type) {
            // SPC-5 §5.14.11.2.2: an all registrants reservation goes with
            // the last registration.
            if self.registrants.is_empty() {
                self.reservation = None;
                return true;
            }
            return false;
        }
        match res.holder {
            // SPC-5 §5.14.11.2.2: unregistering the holder releases.
            Some(h) if h == i => {
                self.reservation = None;
                true
            }
            Some(h) if h > i => {
                res.holder = Some(h - 1);
                false
            }
            _ => false,
        }
    }
}

//! Mode parameters and MODE SENSE (6) and (10) (SPC-5 §6.13, §6.14, §7.5):
//! the Read-Write Error Recovery, Caching and Control pages. MODE SELECT is
//! in [`crate::mode_select`].

use crate::config::DiskConfig;
use crate::plan::{cut, Plan};
use crate::sense::{invalid_named, CmdResult};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Cdb, ModeSense10, ModeSense6, PageControl};
use rtgt_proto::scsi::mode::{
    BlockDescriptor, Caching, Control, HeaderKind, ModeHeader, ModePage, ModeParameters, Page,
    ReadWriteErrorRecovery, PAGE_ALL, SUBPAGE_ALL,
};
use rtgt_proto::scsi::sense::Sense;

/// The current values of the changeable mode pages of one LU (rtgt saves
/// none: SP is refused and a reset returns to the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeState {
    pub caching: Caching,
    pub control: Control,
}

impl Default for ModeState {
    fn default() -> Self {
        ModeState {
            // SBC-4 §6.5.5: the write cache is on by default, so FUA and
            // SYNCHRONIZE CACHE carry their meaning.
            caching: Caching::default().with_wce(true),
            // SPC-5 §7.5.8: fixed format sense (D_SENSE zero), one task set
            // (TST 000b), QERR 00b, TAS zero.
            control: Control::default(),
        }
    }
}

impl ModeState {
    /// WCE of the Caching page.
    pub fn wce(&self) -> bool {
        self.caching.wce()
    }

    /// D_SENSE of the Control page.
    pub fn d_sense(&self) -> bool {
        self.control.d_sense()
    }

    /// The bits MODE SELECT may change: WCE (Caching), D_SENSE and SWP
    /// (Control); everything else is fixed.
    pub fn changeable() -> ModeState {
        ModeState {
            caching: Caching::default().with_wce(true),
            control: Control::default().with_d_sense(true).with_swp(true),
        }
    }

    /// The pages, in page code order, as `pc` asks.
    pub(crate) fn pages(&self, pc: PageControl) -> Vec<ModePage> {
        let m = match pc {
            PageControl::Changeable => ModeState::changeable(),
            PageControl::Default => ModeState::default(),
            _ => *self,
        };
        // Nothing of the Read-Write Error Recovery page is changeable and
        // its values are all zero: no retries to tune on a virtual medium.
        vec![
            ModePage::new(Page::ReadWriteErrorRecovery(
                ReadWriteErrorRecovery::default(),
            )),
            ModePage::new(Page::Caching(m.caching)),
            ModePage::new(Page::Control(m.control)),
        ]
    }
}

/// The page codes served.
pub(crate) const PAGE_CODES: [u8; 3] = [
    ReadWriteErrorRecovery::PAGE_CODE,
    Caching::PAGE_CODE,
    Control::PAGE_CODE,
];

/// The fields of MODE SENSE (6) and (10) that matter here.
pub(crate) struct SenseArgs {
    cdb: Cdb,
    kind: HeaderKind,
    dbd: bool,
    llbaa: bool,
    pc: PageControl,
    page_code: u8,
    subpage_code: u8,
    allocation_length: u64,
}

/// `SenseArgs` from MODE SENSE (6) or (10): the CDB, its header kind and
/// its LLBAA (which MODE SENSE (6) does not have).
macro_rules! sense_args {
    ($cdb:ident, $kind:ident, |$c:ident| $llbaa:expr) => {
        impl From<&$cdb> for SenseArgs {
            fn from($c: &$cdb) -> Self {
                SenseArgs {
                    cdb: Cdb::$cdb(*$c),
                    kind: HeaderKind::$kind,
                    llbaa: $llbaa,
                    dbd: $c.dbd,
                    pc: $c.pc,
                    page_code: $c.page_code,
                    subpage_code: $c.subpage_code,
                    allocation_length: $c.allocation_length.into(),
                }
            }
        }
    };
}

sense_args!(ModeSense6, Six, |c| false);
sense_args!(ModeSense10, Ten, |c| c.llbaa);

impl ModeState {
    /// MODE SENSE (6) or (10) on a LU with `cfg`.
    pub(crate) fn sense(&self, cfg: &DiskConfig, a: SenseArgs) -> CmdResult<Plan> {
        let (cdb, kind) = (&a.cdb, a.kind);
        // SPC-5 §6.13.1 (page control table): saved values are not
        // supported: ILLEGAL REQUEST, SAVING PARAMETERS NOT SUPPORTED.
        if a.pc == PageControl::Saved {
            return Err(Sense::new(
                SenseKey::ILLEGAL_REQUEST,
                AscAscq::SAVING_PARAMETERS_NOT_SUPPORTED,
            ));
        }
        let pc = match a.pc {
            PageControl::Changeable => PageControl::Changeable,
            PageControl::Default => PageControl::Default,
            _ => PageControl::Current,
        };
        let all = self.pages(pc);
        let pages: Vec<ModePage> = if a.page_code == PAGE_ALL {
            // SPC-5 §6.13.1: page 3Fh with subpage 00h gives every page_0
            // page, with FFh every page and subpage.
            if a.subpage_code != 0 && a.subpage_code != SUBPAGE_ALL {
                return Err(invalid_named(cdb, "subpage_code"));
            }
            all
        } else {
            // SPC-5 §6.13.1: a page the device does not have is INVALID
            // FIELD IN CDB at PAGE CODE.
            if !PAGE_CODES.contains(&a.page_code) {
                return Err(invalid_named(cdb, "page_code"));
            }
            // None of the pages has subpages: only 00h and FFh are valid.
            if a.subpage_code != 0 && a.subpage_code != SUBPAGE_ALL {
                return Err(invalid_named(cdb, "subpage_code"));
            }
            all.into_iter()
                .filter(|p| p.code().0 == a.page_code)
                .collect()
        };
        let long = kind == HeaderKind::Ten && a.llbaa;
        let block_descriptors = if a.dbd {
            Vec::new()
        } else if pc == PageControl::Changeable {
            // Neither the block count nor the block length can change.
            vec![BlockDescriptor::default()]
        } else {
            // SBC-4 §6.5.2: one descriptor with the capacity and block length.
            vec![BlockDescriptor {
                blocks: cfg.blocks,
                block_length: cfg.block_size.bytes(),
                reserved: 0,
            }]
        };
        let mut header = ModeHeader::disk(cfg.read_only || self.control.swp(), true);
        header.longlba = long;
        let data = ModeParameters {
            header,
            block_descriptors,
            pages,
        }
        .encode(kind);
        Ok(Plan::data(cut(data, a.allocation_length)))
    }
}

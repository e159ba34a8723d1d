//! MODE SELECT (6) and (10) (SPC-5 §6.11, §6.12): changes WCE, D_SENSE and SWP;
//! every other bit must be sent as it is.

use crate::config::DiskConfig;
use crate::dispatch::{data_out, short_data_out};
use crate::mode::{ModeState, PAGE_CODES};
use crate::plan::Plan;
use crate::sense::ua::UnitAttentions;
use crate::sense::{invalid_named, invalid_param, parameter_list_length, CmdResult};
use crate::task::Nexus;
use bytes::Bytes;
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{Cdb, ModeSelect10, ModeSelect6, PageControl};
use rtgt_proto::scsi::mode::{HeaderKind, ModePage, ModeParameters, Page};
use rtgt_proto::scsi::params::ParamError;

/// The fields of MODE SELECT (6) and (10) that matter here.
pub(crate) struct SelectArgs {
    cdb: Cdb,
    kind: HeaderKind,
    pf: bool,
    rtd: bool,
    sp: bool,
    len: usize,
}

/// `SelectArgs` from MODE SELECT (6) or (10), with its header kind.
macro_rules! select_args {
    ($cdb:ident, $kind:ident) => {
        impl From<&$cdb> for SelectArgs {
            fn from(c: &$cdb) -> Self {
                SelectArgs {
                    cdb: Cdb::$cdb(*c),
                    kind: HeaderKind::$kind,
                    pf: c.pf,
                    rtd: c.rtd,
                    sp: c.sp,
                    len: c.parameter_list_length.into(),
                }
            }
        }
    };
}

select_args!(ModeSelect6, Six);
select_args!(ModeSelect10, Ten);

/// The page body bytes as a slice, with the offset of the body in the page.
fn body(p: &ModePage) -> Option<(&[u8], usize)> {
    match &p.page {
        Page::ReadWriteErrorRecovery(x) => Some((&x.body[..], 2)),
        Page::Caching(x) => Some((&x.body[..], 2)),
        Page::Control(x) => Some((&x.body[..], 2)),
        _ => None,
    }
}

impl ModeState {
    /// MODE SELECT (6) or (10) from `nexus` on a LU with `cfg`; a change
    /// is a unit attention for the other nexuses in `ua`.
    pub(crate) fn select(
        &mut self,
        cfg: &DiskConfig,
        ua: &mut UnitAttentions,
        nexus: &Nexus,
        a: SelectArgs,
        out: &Bytes,
    ) -> CmdResult<Plan> {
        let (cdb, kind) = (&a.cdb, a.kind);
        // SPC-5 §6.11: SP one asks to save pages, which rtgt cannot.
        if a.sp {
            return Err(invalid_named(cdb, "sp"));
        }
        // SPC-5 §6.11: RTD one with a parameter list is invalid.
        if a.rtd {
            if a.len != 0 {
                return Err(invalid_named(cdb, "rtd"));
            }
            return Ok(self.apply(ua, nexus, ModeState::default()));
        }
        // SPC-5 §6.11: PF zero means vendor specific pages; rtgt has none.
        if !a.pf && a.len != 0 {
            return Err(invalid_named(cdb, "pf"));
        }
        if a.len == 0 {
            return Ok(Plan::good());
        }
        let list = data_out(out, a.len as u64).map_err(|_| short_data_out())?;
        let params = ModeParameters::decode_select(&list, kind).map_err(|e| match e {
            // SPC-5 §6.11: a list too short for its header, or whose
            // lengths run past it, is PARAMETER LIST LENGTH ERROR.
            ParamError::Short { .. } | ParamError::BadLength { .. } => parameter_list_length(),
            ParamError::BadValue { .. } => invalid_param(0, None),
        })?;
        let hdr = if kind == HeaderKind::Six { 4 } else { 8 };
        let new = self.check_select(cfg, &params, hdr)?;
        Ok(self.apply(ua, nexus, new).taking(a.len as u64))
    }

    /// Checks the header, descriptors and pages against what may change;
    /// gives the new state. Field pointers are parameter list offsets.
    fn check_select(
        &self,
        cfg: &DiskConfig,
        p: &ModeParameters,
        hdr: usize,
    ) -> CmdResult<ModeState> {
        // SPC-5 §7.5.5: MEDIUM TYPE is zero for a disk (SBC-4 §6.5.1).
        if p.header.medium_type != 0 {
            return Err(invalid_param(if hdr == 4 { 1 } else { 2 }, None));
        }
        let long = p.header.longlba;
        let desc_len = if long { 16 } else { 8 };
        for (i, d) in p.block_descriptors.iter().enumerate() {
            let at = hdr + i * desc_len;
            // SBC-4 §6.5.2: the block length cannot change.
            if d.block_length != cfg.block_size.bytes() {
                return Err(invalid_param(at + desc_len - 3, None));
            }
            // SBC-4 §6.5.2.2: zero keeps the capacity; any other number of
            // blocks must be the current one (short descriptors saturate).
            let cur = if long {
                cfg.blocks
            } else {
                cfg.blocks.min(u64::from(u32::MAX))
            };
            if d.blocks != 0 && d.blocks != cur {
                return Err(invalid_param(at, None));
            }
        }
        let changeable = ModeState::changeable().pages(PageControl::Current);
        let current = self.pages(PageControl::Current);
        let mut new = *self;
        let mut at = hdr + p.block_descriptors.len() * desc_len;
        for page in &p.pages {
            let mut enc = Vec::new();
            page.encode_into(&mut enc);
            let (code, sub) = page.code();
            // SPC-5 §7.5.7: a page the device does not have, or with the
            // wrong PAGE LENGTH, is INVALID FIELD IN PARAMETER LIST.
            if sub.is_some() || !PAGE_CODES.contains(&code) {
                return Err(invalid_param(at, Some(5)));
            }
            let Some((got, off)) = body(page) else {
                return Err(invalid_param(at + 1, None));
            };
            // SPC-5 §7.5.7: PS is reserved in MODE SELECT.
            if page.ps {
                return Err(invalid_param(at, Some(7)));
            }
            let cur = current
                .iter()
                .find(|c| c.code() == page.code())
                .and_then(body);
            let mask = changeable
                .iter()
                .find(|c| c.code() == page.code())
                .and_then(body);
            if let (Some((cur, _)), Some((mask, _))) = (cur, mask) {
                for (i, ((g, c), m)) in got.iter().zip(cur).zip(mask).enumerate() {
                    let bad = (g ^ c) & !m;
                    // SPC-5 §6.11: a value that is not changeable must be
                    // sent as it is; the pointer names its top bit.
                    if bad != 0 {
                        let bit = 7 - bad.leading_zeros() as u8;
                        return Err(invalid_param(at + off + i, Some(bit)));
                    }
                }
            }
            match &page.page {
                Page::Caching(c) => new.caching = *c,
                Page::Control(c) => new.control = *c,
                _ => {}
            }
            at += enc.len();
        }
        Ok(new)
    }

    /// Installs `new`; SPC-5 §6.11 and SAM-5 §5.14: when it differs, every
    /// other nexus gets MODE PARAMETERS CHANGED.
    fn apply(&mut self, ua: &mut UnitAttentions, nexus: &Nexus, new: ModeState) -> Plan {
        if new != *self {
            *self = new;
            ua.establish(Some(nexus), AscAscq::MODE_PARAMETERS_CHANGED);
        }
        Plan::good()
    }
}

//! One mode page in page_0 or sub_page format (SPC-5 §7.5.7), and the
//! walk over a run of pages in a MODE SENSE response or MODE SELECT list.

use super::pages::{
    Caching, Control, ControlExtension, InformationalExceptions, ReadWriteErrorRecovery,
};
use crate::scsi::params::wire::{descriptors, slice, u16_at, u8_at};
use crate::scsi::params::ParamError;

/// One mode page: PS, and its typed or raw content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModePage {
    /// PS: the page can be saved (MODE SENSE); reserved in MODE SELECT.
    pub ps: bool,
    pub page: Page,
}

/// The content of a mode page. A known page whose PAGE LENGTH is not the
/// one the standard gives is kept in [`Page::Other`], so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    ReadWriteErrorRecovery(ReadWriteErrorRecovery),
    Caching(Caching),
    Control(Control),
    ControlExtension(ControlExtension),
    InformationalExceptions(InformationalExceptions),
    /// Any other page: PAGE CODE, SUBPAGE CODE when SPF is set, parameters.
    Other {
        page_code: u8,
        subpage: Option<u8>,
        body: Vec<u8>,
    },
}

impl ModePage {
    pub fn new(page: Page) -> Self {
        ModePage { ps: false, page }
    }

    /// (PAGE CODE, SUBPAGE CODE if SPF).
    pub fn code(&self) -> (u8, Option<u8>) {
        match &self.page {
            Page::ReadWriteErrorRecovery(_) => (ReadWriteErrorRecovery::PAGE_CODE, None),
            Page::Caching(_) => (Caching::PAGE_CODE, None),
            Page::Control(_) => (Control::PAGE_CODE, None),
            Page::ControlExtension(_) => {
                (ControlExtension::PAGE_CODE, ControlExtension::SUBPAGE_CODE)
            }
            Page::InformationalExceptions(_) => (InformationalExceptions::PAGE_CODE, None),
            Page::Other {
                page_code, subpage, ..
            } => (*page_code, *subpage),
        }
    }

    fn body(&self) -> &[u8] {
        match &self.page {
            Page::ReadWriteErrorRecovery(p) => &p.body,
            Page::Caching(p) => &p.body,
            Page::Control(p) => &p.body,
            Page::ControlExtension(p) => &p.body,
            Page::InformationalExceptions(p) => &p.body,
            Page::Other { body, .. } => body,
        }
    }

    /// Encodes the page in page_0 or sub_page format.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let (code, sub) = self.code();
        let body = self.body();
        let b0 = u8::from(self.ps) << 7 | u8::from(sub.is_some()) << 6 | (code & 0x3f);
        match sub {
            None => {
                let n = body.len().min(255);
                out.extend_from_slice(&[b0, n as u8]);
                out.extend_from_slice(body.get(..n).unwrap_or(&[]));
            }
            Some(s) => {
                let n = body.len().min(0xffff);
                out.extend_from_slice(&[b0, s]);
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(body.get(..n).unwrap_or(&[]));
            }
        }
    }

    fn typed(code: u8, sub: Option<u8>, body: &[u8]) -> Page {
        fn fit<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
            b.try_into().ok()
        }
        let typed = match (code, sub) {
            (0x01, None) => {
                fit(body).map(|body| Page::ReadWriteErrorRecovery(ReadWriteErrorRecovery { body }))
            }
            (0x08, None) => fit(body).map(|body| Page::Caching(Caching { body })),
            (0x0a, None) => fit(body).map(|body| Page::Control(Control { body })),
            (0x0a, Some(0x01)) => {
                fit(body).map(|body| Page::ControlExtension(ControlExtension { body }))
            }
            (0x1c, None) => fit(body)
                .map(|body| Page::InformationalExceptions(InformationalExceptions { body })),
            _ => None,
        };
        typed.unwrap_or_else(|| Page::Other {
            page_code: code,
            subpage: sub,
            body: body.to_vec(),
        })
    }

    /// Walks a run of mode pages.
    ///
    /// SPC-5 §7.5.7: each page carries its length. A page cut by the
    /// allocation length (`truncated`) is dropped; a page that runs past the
    /// end of complete data is malformed (MODE SELECT answers PARAMETER
    /// LIST LENGTH ERROR or INVALID FIELD IN PARAMETER LIST).
    pub fn decode_list(buf: &[u8], truncated: bool) -> Result<Vec<ModePage>, ParamError> {
        // SPF (byte 0 bit 6) selects the sub_page format, with a 4-byte header.
        let sub_page = |d: &[u8]| u8_at(d, 0) & 0x40 != 0;
        let pages = descriptors(buf, 1, |d| {
            if sub_page(d) {
                (4, usize::from(u16_at(d, 2)))
            } else {
                (2, usize::from(u8_at(d, 1)))
            }
        });
        let pages =
            pages.or_bad_length(truncated, "mode page", "runs past the mode parameter list")?;
        let page = |d: &[u8]| {
            let b0 = u8_at(d, 0);
            let (sub, body) = if sub_page(d) {
                (Some(u8_at(d, 1)), slice(d, 4, d.len()))
            } else {
                (None, slice(d, 2, d.len()))
            };
            ModePage {
                ps: b0 & 0x80 != 0,
                page: Self::typed(b0 & 0x3f, sub, body),
            }
        };
        Ok(pages.into_iter().map(page).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scsi::mode::PageControl;

    #[test]
    fn odd_length_known_page_stays_raw() {
        let b = [0x08, 0x02, 0x04, 0x00];
        let p = ModePage::decode_list(&b, false).unwrap();
        assert_eq!(
            p[0].page,
            Page::Other {
                page_code: 0x08,
                subpage: None,
                body: vec![0x04, 0]
            }
        );
        assert!(ModePage::decode_list(&[0x08, 0x12, 0x04], false).is_err());
        assert_eq!(PageControl::from_bits(3), PageControl::Saved);
    }
}

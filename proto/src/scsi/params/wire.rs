//! Big-endian field access shared by the SCSI parameter-data codecs.
//!
//! Reads are total: a byte past the end of the buffer reads as zero, which is
//! how SPC-5 §4.2.5.6 treats data cut short by the ALLOCATION LENGTH (the
//! missing bytes were simply not transferred). Callers check lengths first and
//! report truncation through [`super::Decoded`]; these helpers only make sure
//! that a mistake in that check can never panic.

use super::ParamError;

/// The byte at `i`, or zero past the end.
pub(crate) fn u8_at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Bit `bit` of the byte at `i`.
pub(crate) fn bit(b: &[u8], i: usize, bit: u8) -> bool {
    u8_at(b, i) & (1 << bit) != 0
}

/// A big-endian unsigned integer of `n` bytes (n <= 8) starting at `i`.
pub(crate) fn uint_at(b: &[u8], i: usize, n: usize) -> u64 {
    (0..n).fold(0u64, |acc, k| {
        (acc << 8) | u64::from(u8_at(b, i.saturating_add(k)))
    })
}

pub(crate) fn u16_at(b: &[u8], i: usize) -> u16 {
    uint_at(b, i, 2) as u16
}

pub(crate) fn u32_at(b: &[u8], i: usize) -> u32 {
    uint_at(b, i, 4) as u32
}

pub(crate) fn u64_at(b: &[u8], i: usize) -> u64 {
    uint_at(b, i, 8)
}

/// `N` bytes starting at `i`, zero-filled past the end.
pub(crate) fn arr_at<const N: usize>(b: &[u8], i: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (k, o) in out.iter_mut().enumerate() {
        *o = u8_at(b, i.saturating_add(k));
    }
    out
}

/// The bytes in `from..to`, clipped to what the buffer holds.
pub(crate) fn slice(b: &[u8], from: usize, to: usize) -> &[u8] {
    let to = to.min(b.len());
    b.get(from.min(to)..to).unwrap_or(&[])
}

/// Descriptors laid end to end, each with a header that gives its length, as
/// parameter data, sense data, VPD and mode pages carry them.
pub(crate) struct Descriptors<'a> {
    /// Every complete descriptor, header included, in order.
    pub complete: Vec<&'a [u8]>,
    /// The length field of the first descriptor that runs past the list, if
    /// one does; the walk stops there.
    pub overrun: Option<usize>,
}

impl<'a> Descriptors<'a> {
    /// The complete descriptors. One that runs past the list is dropped when
    /// the list was `cut` short (by the allocation length), and is otherwise
    /// malformed: a BadLength error naming `what`, the length it declares
    /// and `reason`.
    pub(crate) fn or_bad_length(
        self,
        cut: bool,
        what: &'static str,
        reason: &'static str,
    ) -> Result<Vec<&'a [u8]>, ParamError> {
        match self.overrun {
            Some(len) if !cut => Err(ParamError::BadLength { what, len, reason }),
            _ => Ok(self.complete),
        }
    }
}

/// Walks the descriptors of `list`. A descriptor is read while at least
/// `min` bytes of it are left; `lengths(rest)`, given the bytes from the
/// descriptor on, reads the length of its header and the length its header
/// declares for the rest.
pub(crate) fn descriptors(
    list: &[u8],
    min: usize,
    lengths: impl Fn(&[u8]) -> (usize, usize),
) -> Descriptors<'_> {
    let mut complete = Vec::new();
    let mut rest = list;
    while !rest.is_empty() && rest.len() >= min {
        let (header, len) = lengths(rest);
        match rest.split_at_checked(header.saturating_add(len)) {
            Some((d, tail)) if !d.is_empty() => {
                complete.push(d);
                rest = tail;
            }
            _ => {
                return Descriptors {
                    complete,
                    overrun: Some(len),
                }
            }
        }
    }
    Descriptors {
        complete,
        overrun: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_are_zero() {
        let b = [0x12, 0x34, 0x56];
        assert_eq!(u16_at(&b, 0), 0x1234);
        assert_eq!(u32_at(&b, 1), 0x3456_0000);
        assert_eq!(u8_at(&b, usize::MAX), 0);
        assert_eq!(u64_at(&b, usize::MAX - 2), 0);
        assert_eq!(arr_at::<4>(&b, 2), [0x56, 0, 0, 0]);
        assert_eq!(slice(&b, 2, 10), &[0x56]);
        assert_eq!(slice(&b, 5, 10), &[] as &[u8]);
    }

    #[test]
    fn descriptors_stop_at_the_first_overrun() {
        let lengths = |d: &[u8]| (2, usize::from(u8_at(d, 1)));
        let d = descriptors(&[1, 1, 0xaa, 2, 0, 3, 5, 0], 2, lengths);
        assert_eq!(d.complete, [&[1, 1, 0xaa][..], &[2, 0]]);
        assert_eq!(d.overrun, Some(5));
        let d = descriptors(&[1, 0, 9], 2, lengths);
        assert_eq!((d.complete.len(), d.overrun), (1, None));
    }
}

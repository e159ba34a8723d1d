//! The residual of a SCSI command (RFC 7143 §11.4.5): the U and O bits and
//! the Residual Count of a SCSI Response, or of a Data-In with status
//! (§11.7.5).

/// How the data a command moved differs from its Expected Data Transfer
/// Length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Residual {
    /// All the expected data moved.
    #[default]
    None,
    /// The U bit: this many bytes of the expected length were not moved.
    Underflow(u32),
    /// The O bit: the command wanted this many bytes more than expected.
    Overflow(u32),
}

impl Residual {
    /// The residual of a command that wanted `wanted` bytes with `expected`
    /// expected; an overflow past `u32::MAX` counts `u32::MAX`.
    pub fn of(wanted: u64, expected: u32) -> Self {
        let e = u64::from(expected);
        match wanted.cmp(&e) {
            std::cmp::Ordering::Equal => Residual::None,
            std::cmp::Ordering::Less => {
                Residual::Underflow(u32::try_from(e - wanted).unwrap_or(u32::MAX))
            }
            std::cmp::Ordering::Greater => {
                Residual::Overflow(u32::try_from(wanted - e).unwrap_or(u32::MAX))
            }
        }
    }

    /// The residual the U and O bits and the Residual Count of a PDU give.
    /// A PDU with both bits set (which §11.4.1 forbids) reads as an
    /// underflow.
    pub fn from_fields(underflow: bool, overflow: bool, count: u32) -> Self {
        if underflow {
            Residual::Underflow(count)
        } else if overflow {
            Residual::Overflow(count)
        } else {
            Residual::None
        }
    }

    /// The U bit, the O bit and the Residual Count to send.
    pub fn fields(self) -> (bool, bool, u32) {
        match self {
            Residual::None => (false, false, 0),
            Residual::Underflow(n) => (true, false, n),
            Residual::Overflow(n) => (false, true, n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_wanted_and_expected() {
        assert_eq!(Residual::of(512, 512), Residual::None);
        assert_eq!(Residual::of(36, 255), Residual::Underflow(219));
        assert_eq!(Residual::of(0, u32::MAX), Residual::Underflow(u32::MAX));
        assert_eq!(Residual::of(4096, 512), Residual::Overflow(3584));
        assert_eq!(Residual::of(u64::MAX, 0), Residual::Overflow(u32::MAX));
    }

    #[test]
    fn fields_round_trip() {
        for r in [
            Residual::None,
            Residual::Underflow(7),
            Residual::Overflow(9),
        ] {
            let (u, o, n) = r.fields();
            assert_eq!(Residual::from_fields(u, o, n), r);
        }
        assert_eq!(Residual::from_fields(true, true, 3), Residual::Underflow(3));
        assert_eq!(Residual::from_fields(false, false, 5), Residual::None);
    }
}

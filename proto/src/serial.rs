//! Serial number arithmetic (RFC 1982) for iSCSI's 32-bit sequence numbers:
//! CmdSN, ExpCmdSN, MaxCmdSN, StatSN, DataSN, R2TSN (RFC 7143 §4.2.2).
//!
//! Serial order is not a total order: two numbers exactly 2^31 apart are
//! neither before nor after each other, and "before" is not transitive
//! around the circle. So [`Serial`] has no `PartialOrd`; it compares with
//! named methods.

use std::cmp::Ordering;
use std::fmt;

/// Half the number space: values this far apart are not comparable.
const HALF: u32 = 1 << 31;

/// A 32-bit serial number (RFC 1982, SERIAL_BITS = 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Serial(pub u32);

impl Serial {
    /// The serial number `n`.
    pub const fn new(n: u32) -> Self {
        Serial(n)
    }

    /// The number on the wire.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// RFC 1982 §3.2: `Some(Less)` when `self` comes before `other`,
    /// `Some(Greater)` when after, `Some(Equal)` when equal, and `None`
    /// when they are exactly 2^31 apart (undefined).
    pub const fn cmp_serial(self, other: Serial) -> Option<Ordering> {
        let ahead = other.0.wrapping_sub(self.0);
        if ahead == 0 {
            Some(Ordering::Equal)
        } else if ahead < HALF {
            Some(Ordering::Less)
        } else if ahead > HALF {
            Some(Ordering::Greater)
        } else {
            None
        }
    }

    /// `self < other` in serial arithmetic (RFC 1982 §3.2).
    pub const fn is_before(self, other: Serial) -> bool {
        matches!(self.cmp_serial(other), Some(Ordering::Less))
    }

    /// `self > other` in serial arithmetic (RFC 1982 §3.2).
    pub const fn is_after(self, other: Serial) -> bool {
        matches!(self.cmp_serial(other), Some(Ordering::Greater))
    }

    /// `self <= other`: equal, or before.
    pub const fn is_at_or_before(self, other: Serial) -> bool {
        matches!(
            self.cmp_serial(other),
            Some(Ordering::Less | Ordering::Equal)
        )
    }

    /// `self + n`, wrapping (RFC 1982 §3.1 defines it for `n < 2^31`; the
    /// result is then after `self` unless `n` is 0).
    #[must_use]
    pub const fn wrapping_add(self, n: u32) -> Serial {
        Serial(self.0.wrapping_add(n))
    }

    /// `self - n`, wrapping.
    #[must_use]
    pub const fn wrapping_sub(self, n: u32) -> Serial {
        Serial(self.0.wrapping_sub(n))
    }

    /// Whether `self` lies in the CmdSN window `[exp, max]` of RFC 7143
    /// §4.2.2.1. A closed window (`max = exp - 1`) holds nothing; so does
    /// an invalid one, wider than 2^31 (`max` before `exp - 1`).
    pub const fn in_window(self, exp: Serial, max: Serial) -> bool {
        let span = max.0.wrapping_sub(exp.0).wrapping_add(1);
        span <= HALF && self.0.wrapping_sub(exp.0) < span
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: fn(u32) -> Serial = Serial;

    #[test]
    fn compares_across_the_wrap() {
        assert!(S(1).is_before(S(2)));
        assert!(S(u32::MAX).is_before(S(0)));
        assert!(S(0).is_after(S(u32::MAX)));
        assert!(S(HALF - 1).is_after(S(0)));
        assert!(S(0x7fff_fff0).is_before(S(0x8000_0010)));
        assert!(!S(5).is_before(S(5)) && !S(5).is_after(S(5)));
        assert!(S(5).is_at_or_before(S(5)));
        assert_eq!(S(5).cmp_serial(S(5)), Some(Ordering::Equal));
        // RFC 1982 §3.2: 2^31 apart is undefined, both ways.
        assert_eq!(S(0).cmp_serial(S(HALF)), None);
        assert_eq!(S(HALF).cmp_serial(S(0)), None);
        assert!(!S(0).is_before(S(HALF)) && !S(0).is_after(S(HALF)));
        assert!(!S(0).is_at_or_before(S(HALF)));
        assert_eq!(S(u32::MAX).wrapping_add(2), S(1));
        assert_eq!(S(1).wrapping_sub(2), S(u32::MAX));
        assert_eq!(S(7).to_string(), "7");
    }

    #[test]
    fn the_cmd_sn_window() {
        assert!(S(10).in_window(S(10), S(41)));
        assert!(S(41).in_window(S(10), S(41)));
        assert!(!S(42).in_window(S(10), S(41)));
        assert!(!S(9).in_window(S(10), S(41)));
        // Closed: MaxCmdSN = ExpCmdSN - 1.
        assert!(!S(10).in_window(S(10), S(9)));
        assert!(S(2).in_window(S(u32::MAX - 1), S(5)));
        assert!(!S(u32::MAX - 2).in_window(S(u32::MAX - 1), S(5)));
        // The widest valid window holds 2^31 numbers; wider is invalid.
        assert!(S(HALF - 1).in_window(S(0), S(HALF - 1)));
        assert!(!S(0).in_window(S(0), S(HALF)));
    }

    proptest! {
        // RFC 1982 §3.2: for two numbers, exactly one of equal, before,
        // after or undefined holds, and undefined only 2^31 apart.
        #[test]
        fn one_relation_holds(a: u32, b: u32) {
            let (a, b) = (S(a), S(b));
            let holds = [a == b, a.is_before(b), a.is_after(b), a.cmp_serial(b).is_none()];
            prop_assert_eq!(holds.iter().filter(|h| **h).count(), 1);
            prop_assert_eq!(a.cmp_serial(b).is_none(), b.0.wrapping_sub(a.0) == HALF);
        }

        #[test]
        fn before_and_after_mirror(a: u32, b: u32) {
            let (a, b) = (S(a), S(b));
            prop_assert_eq!(a.is_before(b), b.is_after(a));
            prop_assert_eq!(a.cmp_serial(b), b.cmp_serial(a).map(Ordering::reverse));
            prop_assert_eq!(a.is_at_or_before(b), a == b || a.is_before(b));
        }

        // RFC 1982 §3.1: adding n in 1..2^31 gives a number after the
        // first; the order is the same after shifting both by any amount.
        #[test]
        fn addition_moves_forward(s: u32, n in 1..HALF, k: u32) {
            let s = S(s);
            prop_assert!(s.wrapping_add(n).is_after(s));
            prop_assert!(s.is_before(s.wrapping_add(n)));
            prop_assert_eq!(s.wrapping_add(n).wrapping_sub(n), s);
            let t = s.wrapping_add(n);
            prop_assert_eq!(
                s.wrapping_add(k).cmp_serial(t.wrapping_add(k)),
                s.cmp_serial(t)
            );
        }

        // Without a wrap between them, serial order is integer order.
        #[test]
        fn agrees_with_integers_close_together(a in 0..HALF, b in 0..HALF) {
            prop_assert_eq!(S(a).cmp_serial(S(b)), Some(a.cmp(&b)));
        }

        // In a valid window ([exp, max] of 1 to 2^31 numbers), the window
        // holds exactly the numbers at or after exp and at or before max.
        #[test]
        fn window_is_the_serial_interval(exp: u32, len in 1..=HALF, at: u32) {
            let exp = S(exp);
            let max = exp.wrapping_add(len - 1);
            let sn = S(at);
            prop_assert_eq!(
                sn.in_window(exp, max),
                exp.is_at_or_before(sn) && sn.is_at_or_before(max)
            );
            prop_assert!(exp.in_window(exp, max) && max.in_window(exp, max));
            prop_assert!(!max.wrapping_add(1).in_window(exp, max));
        }

        // A closed window or an invalid one holds nothing.
        #[test]
        fn closed_and_invalid_windows_hold_nothing(exp: u32, wide in HALF..=u32::MAX, at: u32) {
            let exp = S(exp);
            prop_assert!(!S(at).in_window(exp, exp.wrapping_sub(1)));
            prop_assert!(!S(at).in_window(exp, exp.wrapping_add(wide)));
        }
    }
}

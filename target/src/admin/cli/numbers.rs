//! tgtadm's number options, read by its `str_to_int` macros (tgt's
//! `usr/util.h`): `strtoull(str, &end, 0)` (leading blanks, a sign,
//! `0x` hex and `0` octal, trailing text ignored), refused as invalid when
//! no digit was read or the value is `ULLONG_MAX` (so `-1` too), and out of
//! range when the C variable cannot hold it.

/// Why a number option is refused (`EINVAL`, `ERANGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumError {
    Invalid,
    Range,
}

/// glibc's `strtoull(s, &end, 0)`: the value (saturated at `u64::MAX` on
/// overflow) and whether any digit was read.
pub fn strtoull(s: &str) -> (u64, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    // isspace in the C locale.
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        i += 1;
    }
    let mut negative = false;
    if let Some(&c) = b.get(i) {
        if c == b'+' || c == b'-' {
            negative = c == b'-';
            i += 1;
        }
    }
    let mut base = 10u64;
    if b.get(i) == Some(&b'0') {
        let hex = matches!(b.get(i + 1), Some(b'x' | b'X'))
            && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit());
        if hex {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    let mut any = false;
    while let Some(d) = b.get(i).and_then(|&c| (c as char).to_digit(base as u32)) {
        any = true;
        match value
            .checked_mul(base)
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if overflow {
        return (u64::MAX, true);
    }
    (
        if negative {
            value.wrapping_neg()
        } else {
            value
        },
        any,
    )
}

/// The raw checks of `str_to_int` before the variable's type: the value.
fn read(s: &str) -> Result<u64, NumError> {
    let (v, any) = strtoull(s);
    if v == u64::MAX || !any {
        return Err(NumError::Invalid);
    }
    Ok(v)
}

/// `str_to_int` into a `uint64_t`.
pub fn to_u64(s: &str) -> Result<u64, NumError> {
    read(s)
}

/// `str_to_int` into a `uint32_t`.
pub fn to_u32(s: &str) -> Result<u32, NumError> {
    let v = read(s)?;
    u32::try_from(v).map_err(|_| NumError::Range)
}

/// `str_to_int_ge(s, val, 0)` into an `int`: the C cast keeps the low 32
/// bits and the value must read back the same and not be negative.
pub fn to_i32_ge0(s: &str) -> Result<i32, NumError> {
    signed_ge0(read(s)?, 32).map(|v| v as i32)
}

/// The C cast of `v` to a signed type of `bits` bits, which must read
/// back as `v` and not be negative.
fn signed_ge0(v: u64, bits: u32) -> Result<i64, NumError> {
    let shift = 64 - bits;
    let val = ((v << shift) as i64) >> shift;
    if val as u64 != v || val < 0 {
        return Err(NumError::Range);
    }
    Ok(val)
}

/// `str_to_int_ge(s, val, 0)` into a `short` (tgtadm's control port).
pub fn to_i16_ge0(s: &str) -> Result<i16, NumError> {
    signed_ge0(read(s)?, 16).map(|v| v as i16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_strtoull_with_base_zero() {
        assert_eq!(strtoull(" 12abc"), (12, true));
        assert_eq!(strtoull("0x1f"), (31, true));
        assert_eq!(strtoull("010"), (8, true));
        assert_eq!(strtoull("0x"), (0, true));
        assert_eq!(strtoull("-2"), (u64::MAX - 1, true));
        assert_eq!(strtoull("abc"), (0, false));
        assert_eq!(strtoull("99999999999999999999"), (u64::MAX, true));
    }

    #[test]
    fn refuses_as_tgtadm_does() {
        assert_eq!(to_i32_ge0("1x"), Ok(1));
        assert_eq!(to_i32_ge0("-1"), Err(NumError::Invalid));
        assert_eq!(to_i32_ge0("x"), Err(NumError::Invalid));
        assert_eq!(to_i32_ge0("4294967295"), Err(NumError::Range));
        assert_eq!(to_i32_ge0("-2"), Err(NumError::Range));
        assert_eq!(to_i32_ge0("2147483648"), Err(NumError::Range));
        assert_eq!(to_i16_ge0("40000"), Err(NumError::Range));
        assert_eq!(to_i16_ge0("0"), Ok(0));
        assert_eq!(to_u32("4294967296"), Err(NumError::Range));
        assert_eq!(to_u64("18446744073709551614"), Ok(u64::MAX - 1));
    }
}

//! Validated values of the configuration file. Each checks itself while
//! being deserialized, so a bad value is reported at its own line and
//! column with the fix.

use std::fmt;
use std::net::SocketAddr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::core::Cidr;

/// A portal address: `IPv4:port`, `[IPv6]:port`, or either without a port
/// (3260, RFC 7143 §13.8's well-known port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Portal(pub SocketAddr);

impl TryFrom<String> for Portal {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Ok(Portal(a));
        }
        let bare = s.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(Portal(SocketAddr::new(ip, 3260))),
            Err(_) => Err(format!(
                "{s:?} is not an address: write \"192.0.2.1:3260\", \"[2001:db8::1]:3260\" or \"0.0.0.0\""
            )),
        }
    }
}

/// An iSCSI name (RFC 7143 §4.2.7): `iqn.`, `eui.` or `naa.` form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IscsiName(pub String);

impl TryFrom<String> for IscsiName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        // RFC 7143 §4.2.7.1: at most 223 bytes; §4.2.7.2: lower case
        // letters, digits, '-', '.', ':' after stringprep.
        let chars_ok = lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b));
        let form_ok = lower.starts_with("iqn.")
            || (lower.starts_with("eui.") && lower.len() == 20)
            || lower.starts_with("naa.");
        if s.is_empty() || s.len() > 223 || !chars_ok || !form_ok {
            return Err(format!(
                "{s:?} is not an iSCSI name (RFC 7143 §4.2.7): write iqn.YYYY-MM.reversed.domain:name, e.g. \"iqn.2024-01.org.example:disk1\""
            ));
        }
        Ok(IscsiName(lower))
    }
}

/// An address or a block of addresses (`10.0.0.0/8`, `fd00::/8`), or
/// `ALL` (tgtadm's any address), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Network {
    /// `None`: `ALL`.
    pub cidr: Option<Cidr>,
    pub text: String,
}

impl TryFrom<String> for Network {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "ALL" {
            return Ok(Network {
                cidr: None,
                text: s,
            });
        }
        Cidr::parse(&s)
            .map(|c| Network {
                cidr: Some(c),
                text: s,
            })
            .map_err(|e| format!("{e}: write an address or address/prefix, e.g. \"10.0.0.0/8\""))
    }
}

/// A CHAP secret of 1 to 255 bytes: RFC 7143 §12.1.3 wants at least 96
/// bits against offline dictionary attacks, which the checks require
/// unless `allow_weak_chap`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl TryFrom<String> for Secret {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.is_empty() || s.len() > 255 {
            return Err(format!(
                "a CHAP secret of {} bytes: use 12 to 255 bytes (RFC 7143 §12.1.3 asks for at least 96 bits)",
                s.len()
            ));
        }
        Ok(Secret(s))
    }
}

/// A number with bounds, reported with them when out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Bounded<const LO: i64, const HI: i64>(pub i64);

impl<const LO: i64, const HI: i64> TryFrom<i64> for Bounded<LO, HI> {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if (LO..=HI).contains(&v) {
            Ok(Bounded(v))
        } else {
            Err(format!(
                "{v} is out of range: use a value from {LO} to {HI}"
            ))
        }
    }
}

impl<const LO: i64, const HI: i64> Bounded<LO, HI> {
    /// The value as `u32` (bounds are chosen so it fits).
    pub fn u32(self) -> u32 {
        u32::try_from(self.0).unwrap_or(u32::MAX)
    }
    /// The value as `u16`.
    pub fn u16(self) -> u16 {
        u16::try_from(self.0).unwrap_or(u16::MAX)
    }
    /// The value as `u64`.
    pub fn u64(self) -> u64 {
        u64::try_from(self.0).unwrap_or(0)
    }
}

/// A size in bytes: an integer, or a string with a binary suffix
/// (`"512M"`, `"1G"`, `"1GiB"`, `"4T"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl Size {
    /// Parses `"1G"`, `"512MiB"`, `"4096"`.
    pub fn parse(s: &str) -> Result<Size, String> {
        let t = s.trim();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let (num, suffix) = t.split_at(digits);
        let shift = match suffix.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kib" | "kb" => 10,
            "m" | "mib" | "mb" => 20,
            "g" | "gib" | "gb" => 30,
            "t" | "tib" | "tb" => 40,
            _ => return Err(format!("{s:?} is not a size: write bytes or a number with K, M, G or T (powers of 1024), e.g. \"10G\"")),
        };
        num.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1u64 << shift))
            .map(Size)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a size: write bytes or a number with K, M, G or T, e.g. \"10G\""
                )
            })
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size in bytes or a string like \"10G\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom("a size cannot be negative: write bytes or \"10G\""))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                Size::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_refuse() {
        assert_eq!(Size::parse("1G"), Ok(Size(1 << 30)));
        assert_eq!(Size::parse("512MiB"), Ok(Size(512 << 20)));
        assert_eq!(Size::parse("4096"), Ok(Size(4096)));
        assert!(Size::parse("1X").is_err());
        assert!(Size::parse("99999999999T").is_err());
        assert_eq!(
            Portal::try_from("[::1]".to_string()).unwrap().0,
            "[::1]:3260".parse().unwrap()
        );
        assert_eq!(
            Portal::try_from("127.0.0.1:3261".to_string()).unwrap().0,
            "127.0.0.1:3261".parse().unwrap()
        );
        assert!(Portal::try_from("localhost".to_string()).is_err());
        assert_eq!(
            IscsiName::try_from("iqn.2024-01.org.Example:D1".to_string())
                .unwrap()
                .0,
            "iqn.2024-01.org.example:d1"
        );
        assert!(IscsiName::try_from("disk1".to_string()).is_err());
        assert!(IscsiName::try_from("iqn.2024-01.org.x:a b".to_string()).is_err());
        assert!(Secret::try_from(String::new()).is_err());
        assert_eq!(
            format!("{:?}", Secret("twelve bytes!".into())),
            "Secret(..)"
        );
        assert!(Bounded::<512, 4096>::try_from(100).is_err());
        assert_eq!(Bounded::<512, 4096>::try_from(512).unwrap().u32(), 512);
    }
}

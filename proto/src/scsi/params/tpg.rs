//! REPORT TARGET PORT GROUPS parameter data (SPC-5 §6.36).

use super::wire::{descriptors, slice, u16_at, u32_at, u8_at};
use super::{need, Decoded, ParamError};

/// ASYMMETRIC ACCESS STATE values (SPC-5 table 265).
pub const ALUA_ACTIVE_OPTIMIZED: u8 = 0x0;
pub const ALUA_ACTIVE_NON_OPTIMIZED: u8 = 0x1;
pub const ALUA_STANDBY: u8 = 0x2;
pub const ALUA_UNAVAILABLE: u8 = 0x3;
pub const ALUA_OFFLINE: u8 = 0xe;
pub const ALUA_TRANSITIONING: u8 = 0xf;

/// A target port group descriptor (SPC-5 table 264).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetPortGroup {
    pub pref: bool,
    pub asymmetric_access_state: u8,
    /// Byte 1 as on the wire: T_SUP 80h, O_SUP 40h, LBD_SUP 10h, U_SUP 08h,
    /// S_SUP 04h, AN_SUP 02h, AO_SUP 01h.
    pub supported_states: u8,
    pub group: u16,
    pub status_code: u8,
    pub vendor_specific: u8,
    /// RELATIVE TARGET PORT IDENTIFIERs of the group's ports.
    pub ports: Vec<u16>,
}

/// REPORT TARGET PORT GROUPS data, length-only (000b) or extended (001b) header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetPortGroups {
    /// `Some(implicit transition time)` for the extended header format.
    pub extended: Option<u8>,
    pub groups: Vec<TargetPortGroup>,
}

impl TargetPortGroups {
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        if let Some(t) = self.extended {
            // FORMAT TYPE 001b (SPC-5 table 263).
            body.extend_from_slice(&[0x10, t, 0, 0]);
        }
        for g in &self.groups {
            body.push(u8::from(g.pref) << 7 | (g.asymmetric_access_state & 0x0f));
            body.push(g.supported_states);
            body.extend_from_slice(&g.group.to_be_bytes());
            body.extend_from_slice(&[0, g.status_code, g.vendor_specific]);
            body.push(g.ports.len().min(255) as u8);
            for p in g.ports.iter().take(255) {
                body.extend_from_slice(&[0, 0]);
                body.extend_from_slice(&p.to_be_bytes());
            }
        }
        let mut out = u32::try_from(body.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(&body);
        out
    }

    /// `extended` tells which header the application client asked for in
    /// the PARAMETER DATA FORMAT field of the CDB; RETURN DATA LENGTH counts
    /// the bytes after byte 3. Groups cut by the allocation length are dropped.
    pub fn decode(buf: &[u8], extended: bool) -> Result<Decoded<TargetPortGroups>, ParamError> {
        need(
            "report target port groups data",
            buf,
            if extended { 8 } else { 4 },
        )?;
        let declared = (u32_at(buf, 0) as usize).saturating_add(4);
        let list = slice(buf, if extended { 8 } else { 4 }, declared);
        // TARGET PORT COUNT (byte 7) target port descriptors of 4 bytes each.
        let walk = descriptors(list, 8, |d| (8, 4 * usize::from(u8_at(d, 7))));
        let group = |d: &[u8]| TargetPortGroup {
            pref: u8_at(d, 0) & 0x80 != 0,
            asymmetric_access_state: u8_at(d, 0) & 0x0f,
            supported_states: u8_at(d, 1),
            group: u16_at(d, 2),
            status_code: u8_at(d, 5),
            vendor_specific: u8_at(d, 6),
            ports: slice(d, 8, d.len())
                .chunks_exact(4)
                .map(|p| u16_at(p, 2))
                .collect(),
        };
        let groups = walk.complete.into_iter().map(group).collect();
        Ok(Decoded::received(
            TargetPortGroups {
                extended: extended.then(|| u8_at(buf, 5)),
                groups,
            },
            declared,
            buf,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_extended() {
        let b = [
            0, 0, 0, 20, 0x10, 60, 0, 0, //
            0x80, 0x0f, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2,
        ];
        let d = TargetPortGroups::decode(&b, true).unwrap();
        assert!(!d.is_truncated());
        let g = &d.value.groups[0];
        assert_eq!(
            (g.pref, g.asymmetric_access_state, g.group, g.ports.clone()),
            (true, ALUA_ACTIVE_OPTIMIZED, 1, vec![1, 2])
        );
        assert_eq!(d.value.extended, Some(60));
        assert_eq!(d.value.encode(), b);
    }
}

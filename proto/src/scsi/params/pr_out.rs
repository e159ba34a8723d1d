//! PERSISTENT RESERVE OUT parameter lists (SPC-5 §6.17.3 basic, §6.17.4
//! REGISTER AND MOVE).

use super::transport_id::TransportId;
use super::wire::{slice, u16_at, u32_at, u64_at, u8_at};
use super::{need, ParamError};

/// The basic PERSISTENT RESERVE OUT parameter list (SPC-5 table 182).
///
/// ```text
/// 0-7   RESERVATION KEY           20  SPEC_I_PT(3) ALL_TG_PT(2) APTPL(0)
/// 8-15  SERVICE ACTION RES. KEY   21  reserved, 22-23 obsolete
/// 16-19 obsolete                  24- TRANSPORTID PARAMETER DATA LENGTH + ids
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrOutBasic {
    pub key: u64,
    pub service_action_key: u64,
    /// Bytes 16-19 (obsolete: scope-specific address).
    pub obsolete_16: u32,
    pub spec_i_pt: bool,
    pub all_tg_pt: bool,
    pub aptpl: bool,
    /// Byte 20 bits 7-4 and 1, byte 21, bytes 22-23 (reserved/obsolete).
    pub reserved: [u8; 4],
    /// TransportIDs, present only when SPEC_I_PT is set.
    pub transport_ids: Vec<TransportId>,
}

impl PrOutBasic {
    /// A PERSISTENT RESERVE OUT command with a basic parameter list of
    /// `key` and `sa_key` (SPC-5 §6.17.1, §6.17.3): its CDB (scope
    /// LU_SCOPE, type `pr_type`) and its data.
    pub fn command(
        action: crate::scsi::cdb::PrOutAction,
        pr_type: u8,
        key: u64,
        sa_key: u64,
    ) -> ([u8; 10], Vec<u8>) {
        let list = PrOutBasic {
            key,
            service_action_key: sa_key,
            ..Default::default()
        }
        .encode();
        let cdb = crate::scsi::cdb::PersistentReserveOut {
            service_action: action,
            pr_type,
            parameter_list_length: list.len() as u32,
            ..Default::default()
        }
        .encode();
        (cdb, list)
    }

    /// Encodes 24 bytes, plus the TransportID list when SPEC_I_PT is set.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.key.to_be_bytes());
        out.extend_from_slice(&self.service_action_key.to_be_bytes());
        out.extend_from_slice(&self.obsolete_16.to_be_bytes());
        let r = self.reserved;
        out.push(
            u8::from(self.spec_i_pt) << 3
                | u8::from(self.all_tg_pt) << 2
                | u8::from(self.aptpl)
                | (r[0] & 0xf2),
        );
        out.extend_from_slice(&r[1..]);
        if self.spec_i_pt {
            let ids: Vec<u8> = self
                .transport_ids
                .iter()
                .flat_map(TransportId::encode)
                .collect();
            out.extend_from_slice(&u32::try_from(ids.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(&ids);
        }
        out
    }

    /// Decodes the list a device server received.
    ///
    /// SPC-5 §6.17.3: the list is 24 bytes unless SPEC_I_PT is set, when the
    /// TransportID list follows; a list shorter than that is a PARAMETER
    /// LIST LENGTH ERROR, which the [`ParamError::Short`] and
    /// [`ParamError::BadLength`] answers map to.
    pub fn decode(buf: &[u8]) -> Result<PrOutBasic, ParamError> {
        need("persistent reserve out parameter list", buf, 24)?;
        let spec_i_pt = u8_at(buf, 20) & 0x08 != 0;
        let transport_ids = if spec_i_pt {
            need("persistent reserve out transport id list", buf, 28)?;
            let len = u32_at(buf, 24) as usize;
            let end = len.saturating_add(28);
            if end > buf.len() {
                return Err(ParamError::BadLength {
                    what: "transportid parameter data length",
                    len,
                    reason: "exceeds the parameter list",
                });
            }
            TransportId::decode_list(slice(buf, 28, end))?
        } else {
            Vec::new()
        };
        Ok(PrOutBasic {
            key: u64_at(buf, 0),
            service_action_key: u64_at(buf, 8),
            obsolete_16: u32_at(buf, 16),
            spec_i_pt,
            all_tg_pt: u8_at(buf, 20) & 0x04 != 0,
            aptpl: u8_at(buf, 20) & 0x01 != 0,
            reserved: [
                u8_at(buf, 20) & 0xf2,
                u8_at(buf, 21),
                u8_at(buf, 22),
                u8_at(buf, 23),
            ],
            transport_ids,
        })
    }
}

/// The REGISTER AND MOVE parameter list (SPC-5 table 185).
///
/// ```text
/// 0-7   RESERVATION KEY           17    UNREG(1) APTPL(0)
/// 8-15  SERVICE ACTION RES. KEY   18-19 RELATIVE TARGET PORT IDENTIFIER
/// 16    reserved                  20-23 TRANSPORTID PARAMETER DATA LENGTH
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrOutRegisterAndMove {
    pub key: u64,
    pub service_action_key: u64,
    pub unreg: bool,
    pub aptpl: bool,
    pub relative_target_port: u16,
    /// Byte 16 and the reserved bits of byte 17.
    pub reserved: [u8; 2],
    pub transport_id: TransportId,
}

impl PrOutRegisterAndMove {
    pub fn encode(&self) -> Vec<u8> {
        let tid = self.transport_id.encode();
        let mut out = Vec::with_capacity(24 + tid.len());
        out.extend_from_slice(&self.key.to_be_bytes());
        out.extend_from_slice(&self.service_action_key.to_be_bytes());
        out.push(self.reserved[0]);
        out.push(u8::from(self.unreg) << 1 | u8::from(self.aptpl) | (self.reserved[1] & 0xfc));
        out.extend_from_slice(&self.relative_target_port.to_be_bytes());
        out.extend_from_slice(&u32::try_from(tid.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&tid);
        out
    }

    /// SPC-5 §6.17.4: exactly one TransportID follows the 24-byte header.
    pub fn decode(buf: &[u8]) -> Result<PrOutRegisterAndMove, ParamError> {
        need("register and move parameter list", buf, 24)?;
        let len = u32_at(buf, 20) as usize;
        let end = len.saturating_add(24);
        if end > buf.len() || len < 4 {
            return Err(ParamError::BadLength {
                what: "register and move transportid parameter data length",
                len,
                reason: "must hold one transport id within the parameter list",
            });
        }
        Ok(PrOutRegisterAndMove {
            key: u64_at(buf, 0),
            service_action_key: u64_at(buf, 8),
            unreg: u8_at(buf, 17) & 0x02 != 0,
            aptpl: u8_at(buf, 17) & 0x01 != 0,
            relative_target_port: u16_at(buf, 18),
            reserved: [u8_at(buf, 16), u8_at(buf, 17) & 0xfc],
            transport_id: TransportId::decode(slice(buf, 24, end))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_register() {
        let mut b = [0u8; 24];
        b[15] = 0x42; // SERVICE ACTION RESERVATION KEY 0x42
        b[20] = 0x05; // ALL_TG_PT, APTPL
        let p = PrOutBasic::decode(&b).unwrap();
        assert_eq!(
            (
                p.key,
                p.service_action_key,
                p.all_tg_pt,
                p.aptpl,
                p.spec_i_pt
            ),
            (0, 0x42, true, true, false)
        );
        assert_eq!(p.encode(), b);
        assert!(PrOutBasic::decode(&b[..23]).is_err());
    }

    #[test]
    fn spec_i_pt_carries_transport_ids() {
        let p = PrOutBasic {
            service_action_key: 7,
            spec_i_pt: true,
            transport_ids: vec![TransportId::Iscsi {
                name: "iqn.2024-01.org.rtgt:a".into(),
                isid: None,
            }],
            ..Default::default()
        };
        let b = p.encode();
        assert_eq!(PrOutBasic::decode(&b).unwrap(), p);
        let mut lying = b.clone();
        lying[27] = lying[27].wrapping_add(4);
        assert!(PrOutBasic::decode(&lying).is_err());
    }

    #[test]
    fn register_and_move() {
        let p = PrOutRegisterAndMove {
            key: 1,
            service_action_key: 2,
            unreg: true,
            aptpl: false,
            relative_target_port: 3,
            reserved: [0, 0],
            transport_id: TransportId::iscsi_port("iqn.x", [1, 2, 3, 4, 5, 6]),
        };
        let b = p.encode();
        assert_eq!(b[17], 0x02);
        assert_eq!(PrOutRegisterAndMove::decode(&b).unwrap(), p);
        assert!(PrOutRegisterAndMove::decode(&b[..30]).is_err());
    }
}

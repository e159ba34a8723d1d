//! PERSISTENT RESERVE IN parameter data (SPC-5 §6.16).

use super::transport_id::TransportId;
use super::wire::{self, slice, u16_at, u32_at, u64_at, u8_at};
use super::{need, Decoded, ParamError};

/// Persistent reservation TYPE codes (SPC-5 table 171).
pub const PR_TYPE_WRITE_EXCLUSIVE: u8 = 0x1;
pub const PR_TYPE_EXCLUSIVE_ACCESS: u8 = 0x3;
pub const PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY: u8 = 0x5;
pub const PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY: u8 = 0x6;
pub const PR_TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS: u8 = 0x7;
pub const PR_TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS: u8 = 0x8;

/// The header shared by READ KEYS, READ RESERVATION and READ FULL STATUS:
/// PRGENERATION and ADDITIONAL LENGTH. Returns (generation, declared total).
fn header(what: &'static str, buf: &[u8]) -> Result<(u32, usize), ParamError> {
    need(what, buf, 8)?;
    Ok((u32_at(buf, 0), (u32_at(buf, 4) as usize).saturating_add(8)))
}

fn put_header(out: &mut Vec<u8>, generation: u32, body: usize) {
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&u32::try_from(body).unwrap_or(u32::MAX).to_be_bytes());
}

/// READ KEYS parameter data (SPC-5 §6.16.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadKeys {
    pub generation: u32,
    pub keys: Vec<u64>,
}

impl ReadKeys {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 8 * self.keys.len());
        put_header(&mut out, self.generation, self.keys.len().saturating_mul(8));
        for k in &self.keys {
            out.extend_from_slice(&k.to_be_bytes());
        }
        out
    }

    /// Keys cut by the allocation length are dropped and reported.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ReadKeys>, ParamError> {
        let (generation, declared) = header("read keys data", buf)?;
        let keys = slice(buf, 8, declared)
            .chunks_exact(8)
            .map(|c| u64_at(c, 0))
            .collect();
        Ok(Decoded::received(
            ReadKeys { generation, keys },
            declared,
            buf,
        ))
    }
}

/// The reservation in READ RESERVATION data (SPC-5 table 175).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reservation {
    pub key: u64,
    /// Bytes 16-19 (obsolete).
    pub obsolete: u32,
    /// SCOPE: 0 means LU_SCOPE.
    pub scope: u8,
    pub pr_type: u8,
}

/// READ RESERVATION parameter data (SPC-5 §6.16.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadReservation {
    pub generation: u32,
    pub reservation: Option<Reservation>,
}

impl ReadReservation {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        match &self.reservation {
            None => put_header(&mut out, self.generation, 0),
            Some(r) => {
                put_header(&mut out, self.generation, 16);
                out.extend_from_slice(&r.key.to_be_bytes());
                out.extend_from_slice(&r.obsolete.to_be_bytes());
                out.extend_from_slice(&[0, (r.scope & 0x0f) << 4 | (r.pr_type & 0x0f), 0, 0]);
            }
        }
        out
    }

    /// SPC-5 §6.16.3: ADDITIONAL LENGTH is 0 (no reservation) or 10h.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ReadReservation>, ParamError> {
        let (generation, declared) = header("read reservation data", buf)?;
        let reservation = match declared - 8 {
            0 => None,
            16 => Some(Reservation {
                key: u64_at(buf, 8),
                obsolete: u32_at(buf, 16),
                scope: u8_at(buf, 21) >> 4,
                pr_type: u8_at(buf, 21) & 0x0f,
            }),
            len => {
                return Err(ParamError::BadLength {
                    what: "read reservation additional length",
                    len,
                    reason: "must be 0 or 16",
                })
            }
        };
        Ok(Decoded::received(
            ReadReservation {
                generation,
                reservation,
            },
            declared,
            buf,
        ))
    }
}

/// REPORT CAPABILITIES parameter data (SPC-5 §6.16.4, table 176): 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportCapabilities {
    pub rlr_c: bool,
    pub crh: bool,
    pub sip_c: bool,
    pub atp_c: bool,
    pub ptpl_c: bool,
    pub tmv: bool,
    /// ALLOW COMMANDS (byte 3 bits 6-4).
    pub allow_commands: u8,
    pub ptpl_a: bool,
    /// PERSISTENT RESERVATION TYPE MASK (bytes 4-5) as on the wire:
    /// WR_EX_AR 8000h, EX_AC_RO 4000h, WR_EX_RO 2000h, EX_AC 0800h,
    /// WR_EX 0200h, EX_AC_AR 0001h.
    pub type_mask: u16,
    /// Reserved bits of bytes 2 (0x62) and 3 (0x0e), and bytes 6-7.
    pub reserved: [u8; 4],
}

impl ReportCapabilities {
    pub fn encode(&self) -> [u8; 8] {
        let r = self.reserved;
        let [m0, m1] = self.type_mask.to_be_bytes();
        [
            0,
            8,
            u8::from(self.rlr_c) << 7
                | u8::from(self.crh) << 4
                | u8::from(self.sip_c) << 3
                | u8::from(self.atp_c) << 2
                | u8::from(self.ptpl_c)
                | (r[0] & 0x62),
            u8::from(self.tmv) << 7
                | (self.allow_commands & 0x07) << 4
                | u8::from(self.ptpl_a)
                | (r[1] & 0x0e),
            m0,
            m1,
            r[2],
            r[3],
        ]
    }

    /// SPC-5 §6.16.4: LENGTH is 8; fewer bytes (allocation length) read as zero.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ReportCapabilities>, ParamError> {
        need("report capabilities data", buf, 2)?;
        let declared = usize::from(u16_at(buf, 0));
        let available = buf.len().min(declared);
        let buf = slice(buf, 0, declared);
        let b2 = u8_at(buf, 2);
        let b3 = u8_at(buf, 3);
        let value = ReportCapabilities {
            rlr_c: b2 & 0x80 != 0,
            crh: b2 & 0x10 != 0,
            sip_c: b2 & 0x08 != 0,
            atp_c: b2 & 0x04 != 0,
            ptpl_c: b2 & 0x01 != 0,
            tmv: b3 & 0x80 != 0,
            allow_commands: (b3 >> 4) & 0x07,
            ptpl_a: b3 & 0x01 != 0,
            type_mask: u16_at(buf, 4),
            reserved: [b2 & 0x62, b3 & 0x0e, u8_at(buf, 6), u8_at(buf, 7)],
        };
        Ok(Decoded {
            value,
            declared,
            available,
        })
    }
}

/// A full status descriptor (SPC-5 table 178).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullStatusDescriptor {
    pub key: u64,
    pub all_tg_pt: bool,
    pub r_holder: bool,
    pub scope: u8,
    pub pr_type: u8,
    pub relative_target_port: u16,
    pub transport_id: TransportId,
}

/// READ FULL STATUS parameter data (SPC-5 §6.16.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadFullStatus {
    pub generation: u32,
    pub descriptors: Vec<FullStatusDescriptor>,
}

impl ReadFullStatus {
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for d in &self.descriptors {
            let tid = d.transport_id.encode();
            body.extend_from_slice(&d.key.to_be_bytes());
            body.extend_from_slice(&[0, 0, 0, 0]);
            body.push(u8::from(d.all_tg_pt) << 1 | u8::from(d.r_holder));
            body.push((d.scope & 0x0f) << 4 | (d.pr_type & 0x0f));
            body.extend_from_slice(&[0, 0, 0, 0]);
            body.extend_from_slice(&d.relative_target_port.to_be_bytes());
            body.extend_from_slice(&u32::try_from(tid.len()).unwrap_or(u32::MAX).to_be_bytes());
            body.extend_from_slice(&tid);
        }
        let mut out = Vec::with_capacity(8 + body.len());
        put_header(&mut out, self.generation, body.len());
        out.extend_from_slice(&body);
        out
    }

    /// Descriptors cut by the allocation length are dropped and reported.
    pub fn decode(buf: &[u8]) -> Result<Decoded<ReadFullStatus>, ParamError> {
        let (generation, declared) = header("read full status data", buf)?;
        let list = slice(buf, 8, declared);
        // ADDITIONAL DESCRIPTOR LENGTH (bytes 20-23): the TransportID.
        let walk = wire::descriptors(list, 24, |d| (24, u32_at(d, 20) as usize));
        let descriptor = |d: &[u8]| {
            Ok(FullStatusDescriptor {
                key: u64_at(d, 0),
                all_tg_pt: u8_at(d, 12) & 0x02 != 0,
                r_holder: u8_at(d, 12) & 0x01 != 0,
                scope: u8_at(d, 13) >> 4,
                pr_type: u8_at(d, 13) & 0x0f,
                relative_target_port: u16_at(d, 18),
                transport_id: TransportId::decode(slice(d, 24, d.len()))?,
            })
        };
        let descriptors = walk
            .complete
            .into_iter()
            .map(descriptor)
            .collect::<Result<_, ParamError>>()?;
        Ok(Decoded::received(
            ReadFullStatus {
                generation,
                descriptors,
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
    fn hand_built_read_keys_and_reservation() {
        let b = [0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0xab, 0xcd];
        let k = ReadKeys::decode(&b).unwrap();
        assert_eq!(
            (k.value.generation, k.value.keys.clone()),
            (3, vec![0xabcd])
        );
        assert_eq!(k.value.encode(), b);
        let r = [
            0, 0, 0, 3, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0x05, 0, 0,
        ];
        let d = ReadReservation::decode(&r).unwrap().value;
        assert_eq!(
            d.reservation.map(|x| (x.key, x.pr_type)),
            Some((0xabcd, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY))
        );
        assert_eq!(d.encode(), r);
        assert!(ReadReservation::decode(&[0, 0, 0, 0, 0, 0, 0, 4]).is_err());
    }

    #[test]
    fn hand_built_report_capabilities() {
        let b = [0, 8, 0x9d, 0x81, 0xea, 0x01, 0, 0];
        let c = ReportCapabilities::decode(&b).unwrap().value;
        assert!(c.rlr_c && c.crh && c.sip_c && c.atp_c && c.ptpl_c && c.tmv && c.ptpl_a);
        assert_eq!(c.type_mask, 0xea01);
        assert_eq!(c.encode(), b);
    }

    #[test]
    fn read_full_status_with_iscsi_transport_id() {
        let fs = ReadFullStatus {
            generation: 9,
            descriptors: vec![FullStatusDescriptor {
                key: 0x1122,
                all_tg_pt: false,
                r_holder: true,
                scope: 0,
                pr_type: PR_TYPE_WRITE_EXCLUSIVE,
                relative_target_port: 1,
                transport_id: TransportId::iscsi_port(
                    "iqn.2024-01.org.rtgt:init",
                    [0x40, 0, 1, 0x37, 0, 0],
                ),
            }],
        };
        let b = fs.encode();
        assert_eq!(
            u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize,
            b.len() - 8
        );
        assert_eq!(ReadFullStatus::decode(&b).unwrap().value, fs);
        let cut = ReadFullStatus::decode(&b[..40]).unwrap();
        assert!(cut.is_truncated() && cut.value.descriptors.is_empty());
    }
}

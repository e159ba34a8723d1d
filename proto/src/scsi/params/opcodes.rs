//! REPORT SUPPORTED OPERATION CODES (SPC-5 §6.35) and REPORT SUPPORTED TASK
//! MANAGEMENT FUNCTIONS (SPC-5 §6.37) parameter data.

use super::wire::{descriptors, slice, u16_at, u32_at, u8_at};
use super::{need, Decoded, ParamError};

/// A command timeouts descriptor (SPC-5 table 260): 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommandTimeouts {
    pub command_specific: u8,
    /// NOMINAL COMMAND PROCESSING TIMEOUT, seconds.
    pub nominal: u32,
    /// RECOMMENDED COMMAND TIMEOUT, seconds.
    pub recommended: u32,
}

impl CommandTimeouts {
    fn encode_into(&self, out: &mut Vec<u8>) {
        // DESCRIPTOR LENGTH is 0Ah (SPC-5 §6.35.4).
        out.extend_from_slice(&[0, 0x0a, 0, self.command_specific]);
        out.extend_from_slice(&self.nominal.to_be_bytes());
        out.extend_from_slice(&self.recommended.to_be_bytes());
    }

    fn decode(b: &[u8]) -> Self {
        CommandTimeouts {
            command_specific: u8_at(b, 3),
            nominal: u32_at(b, 4),
            recommended: u32_at(b, 8),
        }
    }
}

/// A command descriptor of the all-commands format (SPC-5 table 257).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommandDescriptor {
    pub opcode: u8,
    pub service_action: u16,
    /// SERVACTV: the SERVICE ACTION field is valid.
    pub servactv: bool,
    /// Byte 5 bits 7-2 (CDLP, MLU in later revisions), kept raw.
    pub other_bits: u8,
    pub cdb_length: u16,
    /// Present when CTDP is set.
    pub timeouts: Option<CommandTimeouts>,
}

/// All-commands parameter data (REPORTING OPTIONS 000b).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SupportedOpcodes {
    pub commands: Vec<CommandDescriptor>,
}

impl SupportedOpcodes {
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for c in &self.commands {
            body.push(c.opcode);
            body.push(0);
            body.extend_from_slice(&c.service_action.to_be_bytes());
            body.push(0);
            body.push(
                (c.other_bits & 0xfc) | u8::from(c.timeouts.is_some()) << 1 | u8::from(c.servactv),
            );
            body.extend_from_slice(&c.cdb_length.to_be_bytes());
            if let Some(t) = &c.timeouts {
                t.encode_into(&mut body);
            }
        }
        let mut out = u32::try_from(body.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(&body);
        out
    }

    /// SPC-5 §6.35.2: COMMAND DATA LENGTH counts the bytes after byte 3;
    /// descriptors cut by the allocation length are dropped.
    pub fn decode(buf: &[u8]) -> Result<Decoded<SupportedOpcodes>, ParamError> {
        need("report supported operation codes data", buf, 4)?;
        let declared = (u32_at(buf, 0) as usize).saturating_add(4);
        let list = slice(buf, 4, declared);
        // CTDP (byte 5 bit 1): a 12-byte command timeouts descriptor follows.
        let ctdp = |d: &[u8]| u8_at(d, 5) & 0x02 != 0;
        let walk = descriptors(list, 8, |d| (8, if ctdp(d) { 12 } else { 0 }));
        let command = |d: &[u8]| CommandDescriptor {
            opcode: u8_at(d, 0),
            service_action: u16_at(d, 2),
            servactv: u8_at(d, 5) & 0x01 != 0,
            other_bits: u8_at(d, 5) & 0xfc,
            cdb_length: u16_at(d, 6),
            timeouts: ctdp(d).then(|| CommandTimeouts::decode(slice(d, 8, 20))),
        };
        let commands = walk.complete.into_iter().map(command).collect();
        Ok(Decoded::received(
            SupportedOpcodes { commands },
            declared,
            buf,
        ))
    }
}

/// SUPPORT values of the one-command format (SPC-5 table 259).
pub const SUPPORT_NOT_AVAILABLE: u8 = 0b000;
pub const SUPPORT_NOT_SUPPORTED: u8 = 0b001;
pub const SUPPORT_STANDARD: u8 = 0b011;
pub const SUPPORT_VENDOR_SPECIFIC: u8 = 0b101;

/// One-command parameter data (REPORTING OPTIONS 001b-011b, SPC-5 table 258).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OneCommand {
    /// SUPPORT (byte 1 bits 2-0).
    pub support: u8,
    /// Byte 1 bits 6-3 (CDLP, MLU in later revisions), kept raw.
    pub other_bits: u8,
    /// CDB USAGE DATA: the CDB with a one in every bit the server uses.
    pub cdb_usage: Vec<u8>,
    /// Present when CTDP is set.
    pub timeouts: Option<CommandTimeouts>,
}

impl OneCommand {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![
            0,
            u8::from(self.timeouts.is_some()) << 7
                | (self.other_bits & 0x78)
                | (self.support & 0x07),
        ];
        out.extend_from_slice(
            &u16::try_from(self.cdb_usage.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(
            self.cdb_usage
                .get(..self.cdb_usage.len().min(0xffff))
                .unwrap_or(&[]),
        );
        if let Some(t) = &self.timeouts {
            t.encode_into(&mut out);
        }
        out
    }

    /// SPC-5 §6.35.3: 4 bytes, CDB SIZE bytes of usage data, then the
    /// timeouts descriptor if CTDP is set.
    pub fn decode(buf: &[u8]) -> Result<Decoded<OneCommand>, ParamError> {
        need("one command parameter data", buf, 4)?;
        let ctdp = u8_at(buf, 1) & 0x80 != 0;
        let cdb_size = usize::from(u16_at(buf, 2));
        let declared = 4 + cdb_size + if ctdp { 12 } else { 0 };
        let value = OneCommand {
            support: u8_at(buf, 1) & 0x07,
            other_bits: u8_at(buf, 1) & 0x78,
            cdb_usage: slice(buf, 4, 4 + cdb_size).to_vec(),
            timeouts: ctdp.then(|| CommandTimeouts::decode(slice(buf, 4 + cdb_size, declared))),
        };
        Ok(Decoded::received(value, declared, buf))
    }
}

/// REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS data (SPC-5 table 268).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SupportedTmfs {
    pub abort_task: bool,
    pub abort_task_set: bool,
    pub clear_aca: bool,
    pub clear_task_set: bool,
    pub lu_reset: bool,
    pub query_task: bool,
    /// TRS, obsolete TARGET RESET.
    pub target_reset: bool,
    /// WAKES, obsolete.
    pub wakeup: bool,
    pub query_unit_attention: bool,
    pub query_task_set: bool,
    pub i_t_nexus_reset: bool,
    /// TMFTMOV: TMF timeouts are valid in the extended data.
    pub tmftmov: bool,
    /// Byte 1 bits 7-3 and byte 2 bits 7-1 (reserved).
    pub reserved: [u8; 2],
    /// Bytes 4-15 of the extended format (REPD=1), kept raw: TIMEOUT
    /// supported bits, LONG and SHORT TMF TIMEOUT.
    pub extended: Option<[u8; 12]>,
}

impl SupportedTmfs {
    pub fn encode(&self) -> Vec<u8> {
        let f = |b: bool, n: u8| u8::from(b) << n;
        let mut out = vec![
            f(self.abort_task, 7)
                | f(self.abort_task_set, 6)
                | f(self.clear_aca, 5)
                | f(self.clear_task_set, 4)
                | f(self.lu_reset, 3)
                | f(self.query_task, 2)
                | f(self.target_reset, 1)
                | f(self.wakeup, 0),
            (self.reserved[0] & 0xf8)
                | f(self.query_unit_attention, 2)
                | f(self.query_task_set, 1)
                | f(self.i_t_nexus_reset, 0),
            (self.reserved[1] & 0xfe) | f(self.tmftmov, 0),
            0,
        ];
        if let Some(ext) = &self.extended {
            // ADDITIONAL DATA LENGTH is 0Ch in the extended format.
            if let Some(length) = out.get_mut(3) {
                *length = 0x0c;
            }
            out.extend_from_slice(ext);
        }
        out
    }

    /// SPC-5 §6.37: 4 bytes, or 16 with ADDITIONAL DATA LENGTH 0Ch.
    pub fn decode(buf: &[u8]) -> Result<Decoded<SupportedTmfs>, ParamError> {
        need("report supported tmfs data", buf, 4)?;
        let add = usize::from(u8_at(buf, 3));
        let b0 = u8_at(buf, 0);
        let b1 = u8_at(buf, 1);
        let bit = |b: u8, n: u8| b & (1 << n) != 0;
        let value = SupportedTmfs {
            abort_task: bit(b0, 7),
            abort_task_set: bit(b0, 6),
            clear_aca: bit(b0, 5),
            clear_task_set: bit(b0, 4),
            lu_reset: bit(b0, 3),
            query_task: bit(b0, 2),
            target_reset: bit(b0, 1),
            wakeup: bit(b0, 0),
            query_unit_attention: bit(b1, 2),
            query_task_set: bit(b1, 1),
            i_t_nexus_reset: bit(b1, 0),
            tmftmov: bit(u8_at(buf, 2), 0),
            reserved: [b1 & 0xf8, u8_at(buf, 2) & 0xfe],
            extended: (add >= 0x0c).then(|| super::wire::arr_at(buf, 4)),
        };
        Ok(Decoded::received(value, 4 + add, buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_all_commands() {
        let mut b = vec![0, 0, 0, 28];
        b.extend_from_slice(&[0x28, 0, 0, 0, 0, 0x00, 0, 10]); // READ(10)
        b.extend_from_slice(&[0x9e, 0, 0, 0x10, 0, 0x03, 0, 16]); // READ CAPACITY(16), CTDP
        b.extend_from_slice(&[0, 0x0a, 0, 0, 0, 0, 0, 30, 0, 0, 0, 60]);
        let d = SupportedOpcodes::decode(&b).unwrap();
        let c = &d.value.commands;
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[1].opcode, c[1].service_action, c[1].servactv),
            (0x9e, 0x10, true)
        );
        assert_eq!(
            c[1].timeouts.map(|t| (t.nominal, t.recommended)),
            Some((30, 60))
        );
        assert_eq!(d.value.encode(), b);
        let cut = SupportedOpcodes::decode(&b[..20]).unwrap();
        assert_eq!((cut.is_truncated(), cut.value.commands.len()), (true, 1));
    }

    #[test]
    fn hand_built_one_command() {
        let b = [
            0, 0x03, 0, 10, 0x28, 0xfa, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x07,
        ];
        let d = OneCommand::decode(&b).unwrap();
        assert_eq!(d.value.support, SUPPORT_STANDARD);
        assert_eq!(d.value.cdb_usage.len(), 10);
        assert_eq!(d.value.encode(), b);
    }

    #[test]
    fn hand_built_tmfs() {
        let b = [0xdc, 0x01, 0x00, 0x00];
        let t = SupportedTmfs::decode(&b).unwrap().value;
        assert!(t.abort_task && t.abort_task_set && t.clear_task_set && t.lu_reset && t.query_task);
        assert!(!t.clear_aca && t.i_t_nexus_reset && t.extended.is_none());
        assert_eq!(t.encode(), b);
    }
}

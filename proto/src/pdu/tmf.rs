//! Task Management Function Request (RFC 7143 §11.5) and Response (§11.6).

use bytes::Bytes;

use super::bhs::{self, arr, be32, put32, put_arr, Bhs, Lun, F_BIT, TTT_RESERVED};
use super::codes::code_enum;
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

code_enum! {
    /// Task management function codes (RFC 7143 §11.5.1), the low 7 bits of
    /// byte 1.
    pub enum TmfFunction: u8 {
        AbortTask = 1 => "ABORT TASK",
        AbortTaskSet = 2 => "ABORT TASK SET",
        ClearAca = 3 => "CLEAR ACA",
        ClearTaskSet = 4 => "CLEAR TASK SET",
        LogicalUnitReset = 5 => "LOGICAL UNIT RESET",
        TargetWarmReset = 6 => "TARGET WARM RESET",
        TargetColdReset = 7 => "TARGET COLD RESET",
        TaskReassign = 8 => "TASK REASSIGN",
    }
}

code_enum! {
    /// Task management function responses (RFC 7143 §11.6.1).
    pub enum TmfResponseCode: u8 {
        FunctionComplete = 0 => "Function complete",
        TaskDoesNotExist = 1 => "Task does not exist",
        LunDoesNotExist = 2 => "LUN does not exist",
        TaskStillAllegiant = 3 => "Task still allegiant",
        ReassignmentNotSupported = 4 => "Task allegiance reassignment not supported",
        FunctionNotSupported = 5 => "Task management function not supported",
        AuthorizationFailed = 6 => "Function authorization failed",
        FunctionRejected = 255 => "Function rejected",
    }
}

const FUNCTION_MASK: u8 = 0x7f;

/// Task Management Function Request (opcode 0x02, RFC 7143 §11.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskManagementRequest {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Reserved bit 7 of byte 0, in place.
    pub reserved0: u8,
    /// Bit 7 of byte 1; always 1 (§11.5).
    pub final_bit: bool,
    /// Function (§11.5.1).
    pub function: TmfFunction,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN.
    pub lun: Lun,
    /// Initiator Task Tag of this request.
    pub itt: u32,
    /// Referenced Task Tag (§11.5.2): the task to abort or reassign, else
    /// 0xffffffff.
    pub referenced_task_tag: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// RefCmdSN (§11.5.3).
    pub ref_cmd_sn: u32,
    /// ExpDataSN (§11.5.4).
    pub exp_data_sn: u32,
    /// Bytes 40-47, reserved.
    pub reserved40: [u8; 8],
    /// Data segment; RFC 7143 §11.5 defines none (kept so decoding loses
    /// nothing).
    pub data: Bytes,
}

impl Default for TaskManagementRequest {
    fn default() -> Self {
        TaskManagementRequest {
            immediate: true,
            reserved0: 0,
            final_bit: true,
            function: TmfFunction::AbortTask,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            referenced_task_tag: TTT_RESERVED,
            cmd_sn: 0,
            exp_stat_sn: 0,
            ref_cmd_sn: 0,
            exp_data_sn: 0,
            reserved40: [0; 8],
            data: Bytes::new(),
        }
    }
}

impl Codec for TaskManagementRequest {
    const OPCODE: Opcode = Opcode::TaskManagementRequest;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        TaskManagementRequest {
            immediate: bhs::immediate(b),
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            function: TmfFunction::from_raw(b[1] & FUNCTION_MASK),
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            referenced_task_tag: be32(b, 20),
            cmd_sn: be32(b, 24),
            exp_stat_sn: be32(b, 28),
            ref_cmd_sn: be32(b, 32),
            exp_data_sn: be32(b, 36),
            reserved40: arr(b, 40),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, self.immediate, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.function.raw() & FUNCTION_MASK);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.referenced_task_tag);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        put32(&mut b, 32, self.ref_cmd_sn);
        put32(&mut b, 36, self.exp_data_sn);
        put_arr(&mut b, 40, &self.reserved40);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("byte 1 bit 7", self.final_bit, "always 1");
        d.field("Function", self.function.raw(), self.function.name());
        d.reserved("bytes 2-3", &self.reserved2);
        d.field("LUN", self.lun, "");
        d.u32("ITT", self.itt);
        d.u32("ReferencedTaskTag", self.referenced_task_tag);
        d.u32("CmdSN", self.cmd_sn);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.u32("RefCmdSN", self.ref_cmd_sn);
        d.u32("ExpDataSN", self.exp_data_sn);
        d.reserved("bytes 40-47", &self.reserved40);
    }
}

/// Task Management Function Response (opcode 0x22, RFC 7143 §11.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskManagementResponse {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Response (§11.6.1).
    pub response: TmfResponseCode,
    /// Byte 3, reserved.
    pub reserved3: u8,
    /// Bytes 8-15, reserved.
    pub reserved8: [u8; 8],
    /// Initiator Task Tag of the request.
    pub itt: u32,
    /// Bytes 20-23, reserved.
    pub reserved20: [u8; 4],
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// Bytes 36-47, reserved.
    pub reserved36: [u8; 12],
    /// Data segment; RFC 7143 §11.6 defines none.
    pub data: Bytes,
}

impl Default for TaskManagementResponse {
    fn default() -> Self {
        TaskManagementResponse {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            response: TmfResponseCode::FunctionComplete,
            reserved3: 0,
            reserved8: [0; 8],
            itt: 0,
            reserved20: [0; 4],
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            reserved36: [0; 12],
            data: Bytes::new(),
        }
    }
}

impl Codec for TaskManagementResponse {
    const OPCODE: Opcode = Opcode::TaskManagementResponse;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        TaskManagementResponse {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            response: TmfResponseCode::from_raw(b[2]),
            reserved3: b[3],
            reserved8: arr(b, 8),
            itt: be32(b, 16),
            reserved20: arr(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            reserved36: arr(b, 36),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reserved_flags & !F_BIT);
        b[2] = self.response.raw();
        b[3] = self.reserved3;
        put_arr(&mut b, 8, &self.reserved8);
        put32(&mut b, 16, self.itt);
        put_arr(&mut b, 20, &self.reserved20);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put_arr(&mut b, 36, &self.reserved36);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "always 1");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.field("Response", self.response.raw(), self.response.name());
        d.reserved("byte 3", &[self.reserved3]);
        d.reserved("bytes 8-15", &self.reserved8);
        d.u32("ITT", self.itt);
        d.reserved("bytes 20-23", &self.reserved20);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.reserved("bytes 36-47", &self.reserved36);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let req = TaskManagementRequest {
            function: TmfFunction::LogicalUnitReset,
            lun: Lun::single_level(3),
            itt: 9,
            ..TaskManagementRequest::default()
        };
        let b = req.to_bhs();
        assert_eq!(&b[..2], &[0x42, 0x85]);
        assert_eq!(be32(&b, 20), 0xffff_ffff);
        assert_eq!(TaskManagementRequest::from_bhs(&b, Bytes::new()), req);
        assert_eq!(TmfFunction::from_raw(0x7f), TmfFunction::Other(0x7f));
    }

    #[test]
    fn response_layout() {
        let rsp = TaskManagementResponse {
            response: TmfResponseCode::FunctionRejected,
            ..TaskManagementResponse::default()
        };
        let b = rsp.to_bhs();
        assert_eq!(&b[..4], &[0x22, 0x80, 0xff, 0]);
        assert_eq!(rsp.response.name(), "Function rejected");
    }
}

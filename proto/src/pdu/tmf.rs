//! Task Management Function Request (RFC 7143 §11.5) and Response (§11.6).

use bytes::Bytes;

use super::bhs::{Lun, F_BIT, TTT_RESERVED};
use super::codes::code_enum;
use super::layout::pdu;

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

impl TmfFunction {
    /// The functions that abort, clear or reset tasks (RFC 7143 §11.5.1):
    /// every function but CLEAR ACA, which acts only under ACA, and TASK
    /// REASSIGN, which moves a task to another connection.
    pub const ABORTS_AND_RESETS: [TmfFunction; 6] = [
        TmfFunction::AbortTask,
        TmfFunction::AbortTaskSet,
        TmfFunction::ClearTaskSet,
        TmfFunction::LogicalUnitReset,
        TmfFunction::TargetWarmReset,
        TmfFunction::TargetColdReset,
    ];
}

const FUNCTION_MASK: u8 = 0x7f;

pdu! {
    /// Task Management Function Request (opcode 0x02, RFC 7143 §11.5).
    pub struct TaskManagementRequest {
        /// I bit: immediate delivery.
        pub immediate: bool = true => immediate,
        /// Reserved bit 7 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// Bit 7 of byte 1; always 1 (§11.5).
        pub final_bit: bool = true => flag(F_BIT, "byte 1 bit 7", "always 1"),
        /// Function (§11.5.1).
        pub function: TmfFunction = TmfFunction::AbortTask
            => code_bits(FUNCTION_MASK, 0, "Function"),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN.
        pub lun: Lun => lun,
        /// Initiator Task Tag of this request.
        pub itt: u32 => itt,
        /// Referenced Task Tag (§11.5.2): the task to abort or reassign, else
        /// 0xffffffff.
        pub referenced_task_tag: u32 = TTT_RESERVED => u32(20, "ReferencedTaskTag"),
        ..initiator_sns,
        /// RefCmdSN (§11.5.3).
        pub ref_cmd_sn: u32 => u32(32, "RefCmdSN"),
        /// ExpDataSN (§11.5.4).
        pub exp_data_sn: u32 => u32(36, "ExpDataSN"),
        /// Bytes 40-47, reserved.
        pub reserved40: [u8; 8] => reserved(40),
        /// Data segment; RFC 7143 §11.5 defines none (kept so decoding loses
        /// nothing).
        pub data: Bytes => data,
    }
}

pdu! {
    /// Task Management Function Response (opcode 0x22, RFC 7143 §11.6).
    pub struct TaskManagementResponse {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Response (§11.6.1).
        pub response: TmfResponseCode = TmfResponseCode::FunctionComplete => code(2, "Response"),
        /// Byte 3, reserved.
        pub reserved3: u8 => reserved(3),
        /// Bytes 8-15, reserved.
        pub reserved8: [u8; 8] => reserved(8),
        /// Initiator Task Tag of the request.
        pub itt: u32 => itt,
        /// Bytes 20-23, reserved.
        pub reserved20: [u8; 4] => reserved(20),
        ..target_sns,
        /// Bytes 36-47, reserved.
        pub reserved36: [u8; 12] => reserved(36),
        /// Data segment; RFC 7143 §11.6 defines none.
        pub data: Bytes => data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::bhs::be32;
    use super::super::pdu_enum::Codec;
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

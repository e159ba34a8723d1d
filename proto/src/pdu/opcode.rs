//! Opcodes (RFC 7143 §11.2.1.2) and which side sends them.

use super::codes::code_enum;

code_enum! {
    /// The six-bit opcode of byte 0 of the BHS (RFC 7143 §11.2.1.2).
    pub enum Opcode: u8 {
        NopOut = 0x00 => "NOP-Out",
        ScsiCommand = 0x01 => "SCSI Command",
        TaskManagementRequest = 0x02 => "Task Management Function Request",
        LoginRequest = 0x03 => "Login Request",
        TextRequest = 0x04 => "Text Request",
        DataOut = 0x05 => "SCSI Data-Out",
        LogoutRequest = 0x06 => "Logout Request",
        SnackRequest = 0x10 => "SNACK Request",
        NopIn = 0x20 => "NOP-In",
        ScsiResponse = 0x21 => "SCSI Response",
        TaskManagementResponse = 0x22 => "Task Management Function Response",
        LoginResponse = 0x23 => "Login Response",
        TextResponse = 0x24 => "Text Response",
        DataIn = 0x25 => "SCSI Data-In",
        LogoutResponse = 0x26 => "Logout Response",
        ReadyToTransfer = 0x31 => "Ready To Transfer (R2T)",
        AsyncMessage = 0x32 => "Asynchronous Message",
        Reject = 0x3f => "Reject",
    }
}

/// Which end of a connection sends a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The iSCSI initiator.
    Initiator,
    /// The iSCSI target.
    Target,
}

impl Opcode {
    /// Mask of the opcode bits in BHS byte 0.
    pub const MASK: u8 = 0x3f;

    /// The opcode of BHS byte 0 (its two high bits are the reserved bit and
    /// the I bit).
    pub fn from_byte0(byte0: u8) -> Self {
        Opcode::from_raw(byte0 & Self::MASK)
    }

    /// Who may send this opcode. RFC 7143 §11.2.1.2: 0x00-0x1f are initiator
    /// opcodes and 0x20-0x3f target opcodes; within each range the unassigned
    /// values are vendor-specific (0x1c-0x1e, 0x3c-0x3e) or reserved.
    pub fn sender(self) -> Role {
        if self.raw() & 0x20 == 0 {
            Role::Initiator
        } else {
            Role::Target
        }
    }

    /// True for opcodes sent by the initiator (0x00-0x1f).
    pub fn is_initiator_opcode(self) -> bool {
        self.sender() == Role::Initiator
    }

    /// True for opcodes sent by the target (0x20-0x3f).
    pub fn is_target_opcode(self) -> bool {
        self.sender() == Role::Target
    }

    /// True for the vendor-specific opcodes, RFC 7143 §11.2.1.2: 0x1c-0x1e
    /// from the initiator and 0x3c-0x3e from the target.
    pub fn is_vendor_specific(self) -> bool {
        matches!(self.raw(), 0x1c..=0x1e | 0x3c..=0x3e)
    }

    /// Whether byte 0 bit 6 is the I (immediate delivery) bit for this
    /// opcode, RFC 7143 §11.2.1.1: it exists in NOP-Out, SCSI Command, Task
    /// Management Request, Login Request (always 1), Text Request and Logout
    /// Request; in every other PDU it is reserved.
    pub fn has_immediate_bit(self) -> bool {
        matches!(
            self,
            Opcode::NopOut
                | Opcode::ScsiCommand
                | Opcode::TaskManagementRequest
                | Opcode::LoginRequest
                | Opcode::TextRequest
                | Opcode::LogoutRequest
        )
    }

    /// The bits of byte 0 that are reserved for this opcode: bit 7 always,
    /// bit 6 where it is not the I bit.
    pub fn reserved_byte0_mask(self) -> u8 {
        if self.has_immediate_bit() {
            0x80
        } else {
            0xc0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_named_opcodes_split_by_sender() {
        assert_eq!(Opcode::NAMED.len(), 18);
        let initiator: Vec<u8> = Opcode::NAMED
            .iter()
            .filter(|o| o.is_initiator_opcode())
            .map(|o| o.raw())
            .collect();
        assert_eq!(initiator, [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10]);
        let target = Opcode::NAMED
            .iter()
            .filter(|o| o.is_target_opcode())
            .count();
        assert_eq!(target, 10);
        assert_eq!(Opcode::from_byte0(0xc3), Opcode::LoginRequest);
        assert_eq!(Opcode::from_byte0(0x1d), Opcode::Other(0x1d));
        assert!(Opcode::Other(0x1d).is_vendor_specific());
        assert!(Opcode::Other(0x3e).is_target_opcode());
    }

    #[test]
    fn immediate_bit_only_on_initiator_requests() {
        assert_eq!(Opcode::DataOut.reserved_byte0_mask(), 0xc0);
        assert_eq!(Opcode::SnackRequest.reserved_byte0_mask(), 0xc0);
        assert_eq!(Opcode::NopOut.reserved_byte0_mask(), 0x80);
        assert!(!Opcode::NopIn.has_immediate_bit());
    }
}

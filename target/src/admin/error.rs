//! tgtd's management error codes, `enum tgtadm_errno` of tgt's
//! `usr/tgtadm_error.h`, with the text `tgtadm_strerror` (`usr/tgtadm.c`)
//! prints for each.

/// One `tgtadm_errno`; the discriminant is the number on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum AdmError {
    Unknown = 1,
    NoMem = 2,
    NoDriver = 3,
    NoTarget = 4,
    NoLun = 5,
    NoSession = 6,
    NoConnection = 7,
    NoBinding = 8,
    TargetExist = 9,
    LunExist = 10,
    BindingExist = 11,
    AclExist = 12,
    AclNoExist = 13,
    UserExist = 14,
    NoUser = 15,
    TooManyUser = 16,
    InvalidRequest = 17,
    OutAccountExist = 18,
    TargetActive = 19,
    LunActive = 20,
    DriverActive = 21,
    UnsupportedOperation = 22,
    UnknownParam = 23,
    PreventRemoval = 24,
}

impl AdmError {
    /// The number tgtadm reads from `tgtadm_rsp.err`.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// What tgtadm prints for it (`tgtadm_strerror`, `usr/tgtadm.c`).
    pub fn message(self) -> &'static str {
        match self {
            AdmError::Unknown => "unknown error",
            AdmError::NoMem => "out of memory",
            AdmError::NoDriver => "can't find the driver",
            AdmError::NoTarget => "can't find the target",
            AdmError::NoLun => "can't find the logical unit",
            AdmError::NoSession => "can't find the session",
            AdmError::NoConnection => "can't find the connection",
            AdmError::NoBinding => "can't find the binding",
            AdmError::TargetExist => "this target already exists",
            AdmError::LunExist => "this logical unit number already exists",
            AdmError::BindingExist => "this binding already exists",
            AdmError::AclExist => "this access control rule already exists",
            AdmError::AclNoExist => "this access control rule does not exist",
            AdmError::UserExist => "this account already exists",
            AdmError::NoUser => "can't find the account",
            AdmError::TooManyUser => "too many accounts",
            AdmError::InvalidRequest => "invalid request",
            AdmError::OutAccountExist => "this target already has an outgoing account",
            AdmError::TargetActive => "this target is still active",
            AdmError::LunActive => "this logical unit is still active",
            AdmError::DriverActive => "this driver is busy",
            AdmError::UnsupportedOperation => "this operation isn't supported",
            AdmError::UnknownParam => "unknown parameter",
            AdmError::PreventRemoval => "this device has Prevent Removal set",
        }
    }
}

impl std::fmt::Display for AdmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for AdmError {}

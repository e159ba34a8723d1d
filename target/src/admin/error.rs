//! tgtd's management error codes, `enum tgtadm_errno` of tgt's
//! `usr/tgtadm_error.h`, with the text `tgtadm_strerror` (`usr/tgtadm.c`)
//! prints for each.

/// The enum and its messages from one table: variant, number, message.
macro_rules! adm_errors {
    ($($variant:ident = $code:literal => $message:literal,)*) => {
        /// One `tgtadm_errno`; the discriminant is the number on the wire.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub enum AdmError {
            $($variant = $code,)*
        }

        impl AdmError {
            /// What tgtadm prints for it (`tgtadm_strerror`, `usr/tgtadm.c`).
            pub fn message(self) -> &'static str {
                match self {
                    $(AdmError::$variant => $message,)*
                }
            }

            /// The error numbered `code` on the wire, if tgt defines one.
            pub fn from_code(code: u32) -> Option<AdmError> {
                match code {
                    $($code => Some(AdmError::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

adm_errors! {
    Unknown = 1 => "unknown error",
    NoMem = 2 => "out of memory",
    NoDriver = 3 => "can't find the driver",
    NoTarget = 4 => "can't find the target",
    NoLun = 5 => "can't find the logical unit",
    NoSession = 6 => "can't find the session",
    NoConnection = 7 => "can't find the connection",
    NoBinding = 8 => "can't find the binding",
    TargetExist = 9 => "this target already exists",
    LunExist = 10 => "this logical unit number already exists",
    BindingExist = 11 => "this binding already exists",
    AclExist = 12 => "this access control rule already exists",
    AclNoExist = 13 => "this access control rule does not exist",
    UserExist = 14 => "this account already exists",
    NoUser = 15 => "can't find the account",
    TooManyUser = 16 => "too many accounts",
    InvalidRequest = 17 => "invalid request",
    OutAccountExist = 18 => "this target already has an outgoing account",
    TargetActive = 19 => "this target is still active",
    LunActive = 20 => "this logical unit is still active",
    DriverActive = 21 => "this driver is busy",
    UnsupportedOperation = 22 => "this operation isn't supported",
    UnknownParam = 23 => "unknown parameter",
    PreventRemoval = 24 => "this device has Prevent Removal set",
}

impl AdmError {
    /// The number tgtadm reads from `tgtadm_rsp.err`.
    pub fn code(self) -> u32 {
        self as u32
    }
}

impl std::fmt::Display for AdmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for AdmError {}

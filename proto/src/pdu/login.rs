//! Login Request (RFC 7143 §11.12) and Login Response (RFC 7143 §11.13).

use super::bhs::{arr, put_arr, Bhs};
use super::codes::code_enum;
use super::dump::Dump;
use super::layout::{pdu, Wire};

code_enum! {
    /// The T field of the ISID (RFC 7143 §11.12.5): how A, B, C and D are
    /// to be read.
    pub enum IsidType: u8 {
        Oui = 0 => "OUI-Format",
        En = 1 => "EN (IANA Enterprise Number) Format",
        Random = 2 => "Random",
    }
}

code_enum! {
    /// Login stages, the CSG and NSG fields (RFC 7143 §11.12.3; 2 is
    /// reserved).
    pub enum LoginStage: u8 {
        SecurityNegotiation = 0 => "SecurityNegotiation",
        LoginOperationalNegotiation = 1 => "LoginOperationalNegotiation",
        FullFeaturePhase = 3 => "FullFeaturePhase",
    }
}

code_enum! {
    /// Status-Class of a Login Response (RFC 7143 §11.13.5).
    pub enum LoginStatusClass: u8 {
        Success = 0 => "Success",
        Redirection = 1 => "Redirection",
        InitiatorError = 2 => "Initiator Error",
        TargetError = 3 => "Target Error",
    }
}

code_enum! {
    /// Status-Class and Status-Detail of a Login Response as one 16-bit value
    /// (RFC 7143 §11.13.5): class in the high byte, detail in the low byte.
    pub enum LoginStatus: u16 {
        Success = 0x0000 => "Success",
        TargetMovedTemporarily = 0x0101 => "Target moved temporarily",
        TargetMovedPermanently = 0x0102 => "Target moved permanently",
        InitiatorError = 0x0200 => "Initiator error (miscellaneous)",
        AuthenticationFailure = 0x0201 => "Authentication failure",
        AuthorizationFailure = 0x0202 => "Authorization failure",
        NotFound = 0x0203 => "Not found",
        TargetRemoved = 0x0204 => "Target removed",
        UnsupportedVersion = 0x0205 => "Unsupported version",
        TooManyConnections = 0x0206 => "Too many connections",
        MissingParameter = 0x0207 => "Missing parameter",
        CantIncludeInSession = 0x0208 => "Can't include in session",
        SessionTypeNotSupported = 0x0209 => "Session type not supported",
        SessionDoesNotExist = 0x020a => "Session does not exist",
        InvalidDuringLogin = 0x020b => "Invalid request during login",
        TargetError = 0x0300 => "Target error (miscellaneous)",
        ServiceUnavailable = 0x0301 => "Service unavailable",
        OutOfResources = 0x0302 => "Out of resources",
    }
}

impl LoginStatus {
    /// Builds the status from Status-Class and Status-Detail.
    pub fn from_parts(class: u8, detail: u8) -> LoginStatus {
        LoginStatus::from_raw(u16::from_be_bytes([class, detail]))
    }

    /// Status-Class.
    pub fn class(self) -> LoginStatusClass {
        LoginStatusClass::from_raw(self.raw().to_be_bytes()[0])
    }

    /// Status-Detail.
    pub fn detail(self) -> u8 {
        self.raw().to_be_bytes()[1]
    }
}

/// The Initiator Session ID (RFC 7143 §11.12.5): T (2 bits) and A (6 bits),
/// B (16 bits), C (8 bits), D (16 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Isid {
    /// T: the format of the rest.
    pub t: IsidType,
    /// A (6 bits).
    pub a: u8,
    /// B.
    pub b: u16,
    /// C.
    pub c: u8,
    /// D (the qualifier in the OUI and EN formats).
    pub d: u16,
}

impl Isid {
    /// From the 6 wire bytes.
    pub fn from_bytes(v: [u8; 6]) -> Isid {
        Isid {
            t: IsidType::from_raw(v[0] >> 6),
            a: v[0] & 0x3f,
            b: u16::from_be_bytes([v[1], v[2]]),
            c: v[3],
            d: u16::from_be_bytes([v[4], v[5]]),
        }
    }

    /// The 6 wire bytes; T and A are cut to 2 and 6 bits.
    pub fn to_bytes(self) -> [u8; 6] {
        let [b0, b1] = self.b.to_be_bytes();
        let [d0, d1] = self.d.to_be_bytes();
        [
            (self.t.raw() << 6) | (self.a & 0x3f),
            b0,
            b1,
            self.c,
            d0,
            d1,
        ]
    }
}

impl Default for Isid {
    fn default() -> Self {
        Isid::from_bytes([0; 6])
    }
}

impl Wire for Isid {
    fn get(b: &Bhs, off: usize) -> Self {
        Isid::from_bytes(arr(b, off))
    }
    fn put(&self, b: &mut Bhs, off: usize) {
        put_arr(b, off, &self.to_bytes());
    }
}

fn dump_isid(d: &mut Dump, isid: Isid) {
    let bytes = isid.to_bytes();
    d.field("ISID", super::dump::hex(&bytes), "");
    d.field("  ISID.T", isid.t.raw(), isid.t.name());
    d.field("  ISID.A", format_args!("{:#04x}", isid.a), "");
    d.field("  ISID.B", format_args!("{:#06x}", isid.b), "");
    d.field("  ISID.C", format_args!("{:#04x}", isid.c), "");
    d.field("  ISID.D", format_args!("{:#06x}", isid.d), "");
}

/// The TSIH of a Login Request, where 0 asks for a new session (§11.12.6).
fn dump_request_tsih(d: &mut Dump, tsih: u16) {
    d.field("TSIH", tsih, if tsih == 0 { "new session" } else { "" });
}

/// Status-Class and Status-Detail, one line each (§11.13.5).
fn dump_status(d: &mut Dump, status: LoginStatus) {
    let class = status.class();
    d.field(
        "Status-Class",
        format_args!("{:#04x}", class.raw()),
        class.name(),
    );
    d.field(
        "Status-Detail",
        format_args!("{:#04x}", status.detail()),
        status.name(),
    );
}

// Byte 1 of both login PDUs: T, C, two reserved bits, CSG, NSG.
const T_BIT: u8 = 0x80;
const C_BIT: u8 = 0x40;
const FLAGS_RESERVED: u8 = 0x30;

pdu! {
    /// Login Request (opcode 0x03, RFC 7143 §11.12).
    pub struct LoginRequest {
        /// I bit; RFC 7143 §11.12: always 1.
        pub immediate: bool = true => immediate,
        /// Reserved bit 7 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..login_flags,
        /// Version-min (§11.12.4).
        pub version_min: u8 => value(3, "Version-min", ""),
        /// ISID.
        pub isid: Isid => custom(8, dump_isid),
        /// TSIH (§11.12.6): 0 for a new session.
        pub tsih: u16 => custom(14, dump_request_tsih),
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// CID (§11.12.7).
        pub cid: u16 => value(20, "CID", ""),
        /// Bytes 22-23, reserved.
        pub reserved22: [u8; 2] => reserved(22),
        ..initiator_sns,
        /// Bytes 32-47, reserved.
        pub reserved32: [u8; 16] => reserved(32),
        ..text_data,
    }
}

pdu! {
    /// Login Response (opcode 0x23, RFC 7143 §11.13).
    pub struct LoginResponse {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..login_flags,
        /// Version-active (§11.13.2).
        pub version_active: u8 => value(3, "Version-active", ""),
        /// ISID, echoed.
        pub isid: Isid => custom(8, dump_isid),
        /// TSIH (§11.13.4).
        pub tsih: u16 => value(14, "TSIH", ""),
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Bytes 20-23, reserved.
        pub reserved20: [u8; 4] => reserved(20),
        ..target_sns,
        /// Status-Class and Status-Detail (§11.13.5).
        pub status: LoginStatus = LoginStatus::Success => custom(36, dump_status),
        /// Bytes 38-47, reserved.
        pub reserved38: [u8; 10] => reserved(38),
        ..text_data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::pdu_enum::Codec;
    use super::*;

    #[test]
    fn isid_fields() {
        let isid = Isid::from_bytes([0x80, 0x12, 0x34, 0x56, 0x00, 0x01]);
        assert_eq!(isid.t, IsidType::Random);
        assert_eq!((isid.a, isid.b, isid.c, isid.d), (0, 0x1234, 0x56, 1));
        assert_eq!(isid.to_bytes(), [0x80, 0x12, 0x34, 0x56, 0x00, 0x01]);
        assert_eq!(Isid::from_bytes([0xff; 6]).t, IsidType::Other(3));
    }

    #[test]
    fn request_flags() {
        let req = LoginRequest {
            transit: true,
            csg: LoginStage::LoginOperationalNegotiation,
            nsg: LoginStage::FullFeaturePhase,
            ..LoginRequest::default()
        };
        let b = req.to_bhs();
        assert_eq!(&b[..2], &[0x43, 0x87]);
    }

    #[test]
    fn status_parts() {
        let s = LoginStatus::from_parts(2, 1);
        assert_eq!(s, LoginStatus::AuthenticationFailure);
        assert_eq!(s.class(), LoginStatusClass::InitiatorError);
        assert_eq!(s.detail(), 1);
        let rsp = LoginResponse {
            status: LoginStatus::OutOfResources,
            ..LoginResponse::default()
        };
        assert_eq!(&rsp.to_bhs()[36..38], &[3, 2]);
    }
}

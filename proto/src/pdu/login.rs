//! Login Request (RFC 7143 §11.12) and Login Response (RFC 7143 §11.13).

use bytes::Bytes;

use super::bhs::{self, arr, be16, be32, put16, put32, put_arr, Bhs};
use super::codes::code_enum;
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

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

fn dump_isid(d: &mut Dump, isid: Isid) {
    let bytes = isid.to_bytes();
    d.field("ISID", super::dump::hex(&bytes), "");
    d.field("  ISID.T", isid.t.raw(), isid.t.name());
    d.field("  ISID.A", format_args!("{:#04x}", isid.a), "");
    d.field("  ISID.B", format_args!("{:#06x}", isid.b), "");
    d.field("  ISID.C", format_args!("{:#04x}", isid.c), "");
    d.field("  ISID.D", format_args!("{:#06x}", isid.d), "");
}

const T_BIT: u8 = 0x80;
const C_BIT: u8 = 0x40;
const FLAGS_RESERVED: u8 = 0x30;

/// Byte 1 of both login PDUs: T, C, two reserved bits, CSG, NSG.
fn login_flags(transit: bool, cont: bool, reserved: u8, csg: LoginStage, nsg: LoginStage) -> u8 {
    (if transit { T_BIT } else { 0 })
        | (if cont { C_BIT } else { 0 })
        | (reserved & FLAGS_RESERVED)
        | ((csg.raw() & 3) << 2)
        | (nsg.raw() & 3)
}

fn dump_flags(d: &mut Dump, t: bool, c: bool, reserved: u8, csg: LoginStage, nsg: LoginStage) {
    d.flag("T (transit)", t, "move to the next stage");
    d.flag("C (continue)", c, "text continues in the next PDU");
    d.reserved("byte 1 reserved bits", &[reserved]);
    d.field("CSG", csg.raw(), csg.name());
    d.field("NSG", nsg.raw(), nsg.name());
}

/// Login Request (opcode 0x03, RFC 7143 §11.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    /// I bit; RFC 7143 §11.12: always 1.
    pub immediate: bool,
    /// Reserved bit 7 of byte 0, in place.
    pub reserved0: u8,
    /// T bit (§11.12.1).
    pub transit: bool,
    /// C bit (§11.12.2).
    pub continue_bit: bool,
    /// Reserved bits 5-4 of byte 1, in place.
    pub reserved_flags: u8,
    /// CSG, current stage (§11.12.3).
    pub csg: LoginStage,
    /// NSG, next stage; meaningful only with T (§11.12.3).
    pub nsg: LoginStage,
    /// Version-max (§11.12.4).
    pub version_max: u8,
    /// Version-min (§11.12.4).
    pub version_min: u8,
    /// ISID.
    pub isid: Isid,
    /// TSIH (§11.12.6): 0 for a new session.
    pub tsih: u16,
    /// Initiator Task Tag.
    pub itt: u32,
    /// CID (§11.12.7).
    pub cid: u16,
    /// Bytes 22-23, reserved.
    pub reserved22: [u8; 2],
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// Bytes 32-47, reserved.
    pub reserved32: [u8; 16],
    /// Text key=value pairs, NUL-separated.
    pub data: Bytes,
}

impl Default for LoginRequest {
    fn default() -> Self {
        LoginRequest {
            immediate: true,
            reserved0: 0,
            transit: false,
            continue_bit: false,
            reserved_flags: 0,
            csg: LoginStage::SecurityNegotiation,
            nsg: LoginStage::SecurityNegotiation,
            version_max: 0,
            version_min: 0,
            isid: Isid::default(),
            tsih: 0,
            itt: 0,
            cid: 0,
            reserved22: [0; 2],
            cmd_sn: 0,
            exp_stat_sn: 0,
            reserved32: [0; 16],
            data: Bytes::new(),
        }
    }
}

impl Codec for LoginRequest {
    const OPCODE: Opcode = Opcode::LoginRequest;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        LoginRequest {
            immediate: bhs::immediate(b),
            reserved0: bhs::reserved0(b),
            transit: b[1] & T_BIT != 0,
            continue_bit: b[1] & C_BIT != 0,
            reserved_flags: b[1] & FLAGS_RESERVED,
            csg: LoginStage::from_raw((b[1] >> 2) & 3),
            nsg: LoginStage::from_raw(b[1] & 3),
            version_max: b[2],
            version_min: b[3],
            isid: Isid::from_bytes(arr(b, 8)),
            tsih: be16(b, 14),
            itt: be32(b, 16),
            cid: be16(b, 20),
            reserved22: arr(b, 22),
            cmd_sn: be32(b, 24),
            exp_stat_sn: be32(b, 28),
            reserved32: arr(b, 32),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, self.immediate, self.reserved0);
        b[1] = login_flags(
            self.transit,
            self.continue_bit,
            self.reserved_flags,
            self.csg,
            self.nsg,
        );
        b[2] = self.version_max;
        b[3] = self.version_min;
        put_arr(&mut b, 8, &self.isid.to_bytes());
        put16(&mut b, 14, self.tsih);
        put32(&mut b, 16, self.itt);
        put16(&mut b, 20, self.cid);
        put_arr(&mut b, 22, &self.reserved22);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        put_arr(&mut b, 32, &self.reserved32);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn text_data() -> bool {
        true
    }

    fn dump_fields(&self, d: &mut Dump) {
        dump_flags(
            d,
            self.transit,
            self.continue_bit,
            self.reserved_flags,
            self.csg,
            self.nsg,
        );
        d.field("Version-max", self.version_max, "");
        d.field("Version-min", self.version_min, "");
        dump_isid(d, self.isid);
        d.field(
            "TSIH",
            self.tsih,
            if self.tsih == 0 { "new session" } else { "" },
        );
        d.u32("ITT", self.itt);
        d.field("CID", self.cid, "");
        d.reserved("bytes 22-23", &self.reserved22);
        d.u32("CmdSN", self.cmd_sn);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.reserved("bytes 32-47", &self.reserved32);
    }
}

/// Login Response (opcode 0x23, RFC 7143 §11.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginResponse {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// T bit (§11.13.3).
    pub transit: bool,
    /// C bit.
    pub continue_bit: bool,
    /// Reserved bits 5-4 of byte 1, in place.
    pub reserved_flags: u8,
    /// CSG.
    pub csg: LoginStage,
    /// NSG.
    pub nsg: LoginStage,
    /// Version-max (§11.13.1).
    pub version_max: u8,
    /// Version-active (§11.13.2).
    pub version_active: u8,
    /// ISID, echoed.
    pub isid: Isid,
    /// TSIH (§11.13.4).
    pub tsih: u16,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Bytes 20-23, reserved.
    pub reserved20: [u8; 4],
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// Status-Class and Status-Detail (§11.13.5).
    pub status: LoginStatus,
    /// Bytes 38-47, reserved.
    pub reserved38: [u8; 10],
    /// Text key=value pairs, NUL-separated.
    pub data: Bytes,
}

impl Default for LoginResponse {
    fn default() -> Self {
        LoginResponse {
            reserved0: 0,
            transit: false,
            continue_bit: false,
            reserved_flags: 0,
            csg: LoginStage::SecurityNegotiation,
            nsg: LoginStage::SecurityNegotiation,
            version_max: 0,
            version_active: 0,
            isid: Isid::default(),
            tsih: 0,
            itt: 0,
            reserved20: [0; 4],
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            status: LoginStatus::Success,
            reserved38: [0; 10],
            data: Bytes::new(),
        }
    }
}

impl Codec for LoginResponse {
    const OPCODE: Opcode = Opcode::LoginResponse;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        LoginResponse {
            reserved0: bhs::reserved0(b),
            transit: b[1] & T_BIT != 0,
            continue_bit: b[1] & C_BIT != 0,
            reserved_flags: b[1] & FLAGS_RESERVED,
            csg: LoginStage::from_raw((b[1] >> 2) & 3),
            nsg: LoginStage::from_raw(b[1] & 3),
            version_max: b[2],
            version_active: b[3],
            isid: Isid::from_bytes(arr(b, 8)),
            tsih: be16(b, 14),
            itt: be32(b, 16),
            reserved20: arr(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            status: LoginStatus::from_raw(be16(b, 36)),
            reserved38: arr(b, 38),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = login_flags(
            self.transit,
            self.continue_bit,
            self.reserved_flags,
            self.csg,
            self.nsg,
        );
        b[2] = self.version_max;
        b[3] = self.version_active;
        put_arr(&mut b, 8, &self.isid.to_bytes());
        put16(&mut b, 14, self.tsih);
        put32(&mut b, 16, self.itt);
        put_arr(&mut b, 20, &self.reserved20);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put16(&mut b, 36, self.status.raw());
        put_arr(&mut b, 38, &self.reserved38);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn text_data() -> bool {
        true
    }

    fn dump_fields(&self, d: &mut Dump) {
        dump_flags(
            d,
            self.transit,
            self.continue_bit,
            self.reserved_flags,
            self.csg,
            self.nsg,
        );
        d.field("Version-max", self.version_max, "");
        d.field("Version-active", self.version_active, "");
        dump_isid(d, self.isid);
        d.field("TSIH", self.tsih, "");
        d.u32("ITT", self.itt);
        d.reserved("bytes 20-23", &self.reserved20);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        let class = self.status.class();
        d.field(
            "Status-Class",
            format_args!("{:#04x}", class.raw()),
            class.name(),
        );
        d.field(
            "Status-Detail",
            format_args!("{:#04x}", self.status.detail()),
            self.status.name(),
        );
        d.reserved("bytes 38-47", &self.reserved38);
    }
}

#[cfg(test)]
mod tests {
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

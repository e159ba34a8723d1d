//! iSCSI PDUs (RFC 7143 §11).
//!
//! Three layers, each usable on its own:
//!
//! - [`RawPdu`]: one frame as it travels (BHS, AHS, data segment, padding),
//!   byte for byte. Encoding a `RawPdu` writes exactly what it holds, so the
//!   conformance suite can send wrong lengths, non-zero padding or bad digests.
//! - [`Pdu`]: one typed struct per opcode, every field public and named as in
//!   RFC 7143, reserved fields included as raw values. `Pdu::decode` followed by
//!   `Pdu::to_raw` reproduces every byte of the BHS and data segment.
//! - [`StreamDecoder`]: cuts a TCP byte stream, fed in any split, into frames,
//!   checking digests and the data segment bound, with errors that name the
//!   answer RFC 7143 wants ([`Answer`]).
//!
//! [`Pdu::dump`] renders an annotated, one-field-per-line view for logs and
//! failure reports.

mod ahs;
mod async_msg;
mod bhs;
mod codes;
mod data;
mod dump;
mod frame;
mod layout;
mod login;
mod logout;
mod nop;
mod opcode;
mod pdu_enum;
mod reject;
mod residual;
mod scsi;
mod snack;
mod stream;
mod text;
mod tmf;

pub use ahs::{Ahs, AhsError, AhsType};
pub use async_msg::{AsyncEvent, AsyncMessage};
pub use bhs::{Lun, BHS_LEN, ITT_RESERVED, TTT_RESERVED};
pub use data::{DataIn, DataOut, ReadyToTransfer};
pub use dump::Dump;
pub use frame::{Digests, EncodedParts, FrameError, RawPdu};
pub use login::{
    Isid, IsidType, LoginRequest, LoginResponse, LoginStage, LoginStatus, LoginStatusClass,
};
pub use logout::{LogoutReason, LogoutRequest, LogoutResponse, LogoutResponseCode};
pub use nop::{NopIn, NopOut};
pub use opcode::{Opcode, Role};
pub use pdu_enum::{Pdu, PduError};
pub use reject::{Reject, RejectReason};
pub use residual::Residual;
pub use scsi::{ScsiCommand, ScsiResponse, ScsiResponseCode, ScsiStatus, TaskAttribute};
pub use snack::{SnackRequest, SnackType};
pub use stream::{
    Answer, DecodeError, DecoderConfig, StreamDecoder, LOGIN_MAX_DATA_SEGMENT_LENGTH,
    MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
pub use text::{TextRequest, TextResponse};
pub use tmf::{TaskManagementRequest, TaskManagementResponse, TmfFunction, TmfResponseCode};

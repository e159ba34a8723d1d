//! iSCSI text keys and their negotiation (RFC 7143 §6, §12, §13).
//!
//! Layers, bottom up:
//! - [`codec`]: the data segment of Login and Text PDUs as NUL-terminated
//!   `key=value` pairs (RFC 7143 §6.1), strict both ways;
//! - [`continuation`]: joining segments sent with the C bit and splitting an
//!   encoded key set into segments of at most MaxRecvDataSegmentLength bytes;
//! - [`value`]: the value encodings of §6.1 (numbers, binary, booleans, ranges,
//!   lists, the reserved constants);
//! - [`keys`]: a declarative table of every key the RFC defines;
//! - [`negotiate`]: a negotiator for either side of a login or text exchange;
//! - [`params`]: the resulting operational parameters as a typed struct.
//!
//! Nothing here refuses to *build* an illegal offer: [`codec::encode`] writes
//! whatever pairs it is given and [`negotiate::LocalConfig`] accepts any string,
//! so the conformance suite can send what the RFC forbids.

pub mod codec;
mod config;
pub mod continuation;
pub mod keys;
pub mod negotiate;
mod negotiate_answer;
pub mod params;
pub mod value;

pub use codec::{decode, encode, CodecError, Pair};
pub use continuation::{split_segments, ContinuationError, Segment, TextAccumulator};
pub use keys::{lookup, KeyDef, KeyKind, Scope, Senders, Stages, ValueSpec, KEYS};
pub use negotiate::{LocalConfig, NegotiationError, Negotiator, Outcome, Role, SessionType, Stage};
pub use params::{DigestKind, OperationalParams, ParamsError, TaskReporting};
pub use value::{Special, ValueError};

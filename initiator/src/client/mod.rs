//! The tokio client: one task per connection owns the socket and the sans-IO
//! [`Initiator`](crate::core::Initiator); [`Session`] handles send it
//! requests over a channel and await their answers, so any number of
//! commands can be in flight at once.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rtgt_initiator::client::ClientError> {
//! use rtgt_initiator::client::{ClientConfig, Session};
//! use rtgt_initiator::InitiatorConfig;
//! use rtgt_proto::pdu::Lun;
//!
//! let config = InitiatorConfig::normal("iqn.2024-01.org.example:host", "iqn.2024-01.org.example:disk");
//! let s = Session::login("127.0.0.1:3260", ClientConfig::new(config)).await?;
//! let lun = Lun::single_level(1);
//! s.write(lun, 0, bytes::Bytes::from(vec![0xa5; 4096])).await?;
//! let (a, b) = tokio::join!(s.read(lun, 0, 8), s.read(lun, 8, 8));
//! let (_a, _b) = (a?, b?);
//! s.logout().await?;
//! # Ok(()) }
//! ```
//!
//! The driver holds no protocol logic: every check, sequence number and
//! negotiation is the core's. What it adds is IO: vectored writes of the
//! core's frames, TCP_NODELAY, connect and command timeouts, login
//! redirects, and the UNIT ATTENTION retry of the block helpers.

mod discover;
mod driver;
mod error;
mod isns;
mod multipath;
mod scsi;
mod session;

pub use discover::{discover, discover_with};
pub use driver::LoginInfo;
pub use error::{ClientError, Result};
pub use isns::{discover_isns, IsnsError};
pub use multipath::MultipathSession;
pub use rtgt_os::OsRandom;
pub use scsi::{check_good, Capacity};
pub use session::{parse_portal, ClientConfig, PendingCommand, Session};

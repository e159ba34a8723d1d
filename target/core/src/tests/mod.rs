//! Protocol scenarios: the core driven with hand-built PDUs over RAM disks.

/// The next PDU the target sent on `$conn`, which must be a `Pdu::$kind`.
macro_rules! recv_as {
    ($rig:expr, $conn:expr, $kind:ident) => {
        match $rig.recv($conn) {
            rtgt_proto::pdu::Pdu::$kind(p) => p,
            other => panic!("expected {}, got {other:?}", stringify!($kind)),
        }
    };
}

mod alua;
mod chap;
mod digest;
mod discovery;
mod harness;
mod io;
mod login;
mod ordering;
mod prelogin;
mod registry;
mod session;
mod snapshots;
mod task_reporting;
mod tmf;
mod window;
mod xcopy;

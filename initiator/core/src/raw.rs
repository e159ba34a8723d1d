//! Raw access for negative tests: send any PDU, frame or bytes at any time,
//! read the numbers needed to build them, and claim task tags whose answers
//! are delivered raw instead of checked.

use bytes::Bytes;
use rtgt_proto::pdu::{Digests, Pdu, RawPdu};

use super::event::{TaskHandle, UsageError};
use super::tasks::TaskKind;
use super::Initiator;

impl Initiator {
    /// Queues a typed PDU exactly as given, with the connection's digests.
    pub fn send_pdu(&mut self, pdu: &Pdu) {
        self.conn.push_pdu(pdu);
    }

    /// Queues a frame exactly as given (lengths and padding as held), with
    /// the connection's digests or the ones given (to send wrong digests,
    /// encode the frame yourself and use [`Initiator::send_bytes`]).
    pub fn send_raw(&mut self, raw: &RawPdu, digests: Option<Digests>) {
        self.conn.push_raw(raw, digests, None);
    }

    /// Queues bytes as they are.
    pub fn send_bytes(&mut self, bytes: impl Into<Bytes>) {
        self.conn.push_bytes(bytes.into());
    }

    /// The CmdSN the next non-immediate command takes (and immediate ones
    /// carry).
    pub fn next_cmd_sn(&self) -> u32 {
        self.session.cmd_sn
    }

    /// Takes a CmdSN for a hand-built non-immediate PDU, so that later
    /// commands keep numbering after it.
    pub fn take_cmd_sn(&mut self) -> u32 {
        self.session.take_cmd_sn()
    }

    /// The ExpStatSN to put in a hand-built PDU.
    pub fn exp_stat_sn(&self) -> u32 {
        self.conn.exp_stat_sn_value()
    }

    /// The digests in force for what we send.
    pub fn digests(&self) -> Digests {
        self.conn.digests
    }

    /// Claims a free Initiator Task Tag for a hand-built PDU. PDUs that come
    /// back with it are delivered as [`Event::Received`](super::Event::Received)
    /// (their StatSN and window fields are still checked and applied) until
    /// [`Initiator::release_raw_tag`].
    pub fn claim_raw_tag(&mut self) -> Result<TaskHandle, UsageError> {
        let itt = self.session.tasks.alloc_itt()?;
        self.session.tasks.insert(itt, None, TaskKind::Raw);
        Ok(TaskHandle(itt))
    }

    /// Releases a tag from [`Initiator::claim_raw_tag`].
    pub fn release_raw_tag(&mut self, tag: TaskHandle) {
        if let Some(TaskKind::Raw) = self.session.tasks.kind(tag.0) {
            self.session.tasks.remove(tag.0);
        }
    }
}

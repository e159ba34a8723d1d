//! iSCSI PDUs (RFC 7143 §11). Filled by the PDU work.

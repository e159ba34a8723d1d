//! iSCSI text keys and negotiation (RFC 7143 §6, §13). Filled by the text work.

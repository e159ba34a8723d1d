//! CHAP (RFC 1994, RFC 7143 §12.1.3). Filled by the CHAP work.

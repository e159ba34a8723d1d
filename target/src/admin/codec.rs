//! The bytes of tgtd's management protocol, as tgtadm sends and reads them
//! (tgt's `usr/tgtadm.h`, `usr/tgtadm.c` `ipc_mgmt_req`/`ipc_mgmt_rsp`,
//! `usr/mgmt.c` `mtask_recv_send_handler`).
//!
//! A request is a `struct tgtadm_req` in the host's byte order and C layout
//! (120 bytes: no padding, `sid` and `lun` fall on 8-byte boundaries),
//! followed by `len - 120` bytes of text parameters (`key=value,...`,
//! NUL-terminated). A reply is a `struct tgtadm_rsp {err, len}` followed by
//! `len - 8` bytes of text, NUL-terminated, sent only on success.
//!
//! Total: any bytes give a value or a [`DecodeError`]; sizes are bounded.

use thiserror::Error;

use super::error::AdmError;

/// `sizeof(struct tgtadm_req)` as the C compiler lays it out.
pub const REQ_LEN: usize = 120;
/// `sizeof(struct tgtadm_rsp)`.
pub const RSP_LEN: usize = 8;
/// The most parameter bytes accepted, tgtd's `MAX_MGT_BUFSIZE`
/// (`usr/mgmt.c`).
pub const MAX_PARAMS: usize = 8 * 1024;
/// `TGT_LLD_NAME_LEN`.
const LLD_LEN: usize = 64;

/// Why a request cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("a request header is {REQ_LEN} bytes, got {0}")]
    ShortHeader(usize),
    #[error("request length {0} is shorter than its own header")]
    LenTooSmall(u32),
    #[error("request carries {0} parameter bytes, more than the {MAX_PARAMS} accepted")]
    ParamsTooLong(usize),
}

/// `enum tgtadm_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    System,
    Target,
    Device,
    Portal,
    Lld,
    Session,
    Connection,
    Account,
}

/// `enum tgtadm_op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    New,
    Delete,
    Show,
    Bind,
    Unbind,
    Update,
    Stats,
    Start,
    Stop,
}

const MODES: [Mode; 8] = [
    Mode::System,
    Mode::Target,
    Mode::Device,
    Mode::Portal,
    Mode::Lld,
    Mode::Session,
    Mode::Connection,
    Mode::Account,
];

const OPS: [Op; 9] = [
    Op::New,
    Op::Delete,
    Op::Show,
    Op::Bind,
    Op::Unbind,
    Op::Update,
    Op::Stats,
    Op::Start,
    Op::Stop,
];

impl Mode {
    /// The mode numbered `n`, if tgt defines one.
    pub fn from_u32(n: u32) -> Option<Mode> {
        MODES.get(usize::try_from(n).ok()?).copied()
    }

    fn code(self) -> u32 {
        MODES.iter().position(|&m| m == self).unwrap_or(0) as u32
    }
}

impl Op {
    /// The operation numbered `n`, if tgt defines one.
    pub fn from_u32(n: u32) -> Option<Op> {
        OPS.get(usize::try_from(n).ok()?).copied()
    }

    fn code(self) -> u32 {
        OPS.iter().position(|&o| o == self).unwrap_or(0) as u32
    }
}

/// `ACCOUNT_TYPE_OUTGOING` of `enum tgtadm_account_dir`.
pub const ACCOUNT_OUTGOING: u32 = 1;

/// `struct tgtadm_req`, with `mode` and `op` as sent (tgtd answers unknown
/// numbers itself, `usr/mgmt.c` `mtask_execute`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub mode: u32,
    pub op: u32,
    /// The low-level driver's name, up to its first NUL (tgtd cuts it at
    /// 63 bytes).
    pub lld: String,
    /// The request's whole length, header included.
    pub len: u32,
    /// `-1` when tgtadm was given none (`GLOBAL_TID` for accounts).
    pub tid: i32,
    pub sid: u64,
    /// `u64::MAX` when tgtadm was given none.
    pub lun: u64,
    pub cid: u32,
    pub host_no: u32,
    pub device_type: u32,
    pub ac_dir: u32,
    pub pack: u32,
    pub force: u32,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_ne_bytes(w)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        w.copy_from_slice(s);
    }
    u64::from_ne_bytes(w)
}

/// The text of `b` up to its first NUL.
fn c_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or_default()).into_owned()
}

impl Header {
    /// Reads the first [`REQ_LEN`] bytes of `b`.
    pub fn decode(b: &[u8]) -> Result<Header, DecodeError> {
        if b.len() < REQ_LEN {
            return Err(DecodeError::ShortHeader(b.len()));
        }
        // tgtd: req->lld[TGT_LLD_NAME_LEN - 1] = '\0' (mtask_execute).
        let lld = c_str(b.get(8..8 + LLD_LEN - 1).unwrap_or_default());
        Ok(Header {
            mode: u32_at(b, 0),
            op: u32_at(b, 4),
            lld,
            len: u32_at(b, 72),
            tid: u32_at(b, 76) as i32,
            sid: u64_at(b, 80),
            lun: u64_at(b, 88),
            cid: u32_at(b, 96),
            host_no: u32_at(b, 100),
            device_type: u32_at(b, 104),
            ac_dir: u32_at(b, 108),
            pack: u32_at(b, 112),
            force: u32_at(b, 116),
        })
    }

    /// How many parameter bytes follow the header.
    pub fn params_len(&self) -> Result<usize, DecodeError> {
        let len = usize::try_from(self.len).map_err(|_| DecodeError::LenTooSmall(self.len))?;
        let n = len
            .checked_sub(REQ_LEN)
            .ok_or(DecodeError::LenTooSmall(self.len))?;
        if n > MAX_PARAMS {
            return Err(DecodeError::ParamsTooLong(n));
        }
        Ok(n)
    }

    /// The header's bytes (`len` as set).
    pub fn encode(&self) -> [u8; REQ_LEN] {
        let mut b = [0u8; REQ_LEN];
        let mut put = |at: usize, v: &[u8]| {
            if let Some(s) = b.get_mut(at..at + v.len()) {
                s.copy_from_slice(v);
            }
        };
        put(0, &self.mode.to_ne_bytes());
        put(4, &self.op.to_ne_bytes());
        let lld = self.lld.as_bytes();
        // tgtadm's strncpy fills all 64 bytes of a long name; tgtd cuts it.
        put(8, lld.get(..lld.len().min(LLD_LEN)).unwrap_or_default());
        put(72, &self.len.to_ne_bytes());
        put(76, &self.tid.to_ne_bytes());
        put(80, &self.sid.to_ne_bytes());
        put(88, &self.lun.to_ne_bytes());
        put(96, &self.cid.to_ne_bytes());
        put(100, &self.host_no.to_ne_bytes());
        put(104, &self.device_type.to_ne_bytes());
        put(108, &self.ac_dir.to_ne_bytes());
        put(112, &self.pack.to_ne_bytes());
        put(116, &self.force.to_ne_bytes());
        b
    }

    /// The header of a request for `mode` and `op`, as tgtadm fills it
    /// before its options (`usr/tgtadm.c` `main`).
    pub fn new(mode: Mode, op: Op) -> Header {
        Header {
            mode: mode.code(),
            op: op.code(),
            lld: "iscsi".into(),
            len: REQ_LEN as u32,
            tid: -1,
            lun: u64::MAX,
            ..Header::default()
        }
    }
}

/// One whole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub header: Header,
    /// The parameter text up to its first NUL.
    pub params: String,
}

impl Request {
    /// Reads a request from a header and the `params_len` bytes after it.
    pub fn decode(header: Header, params: &[u8]) -> Request {
        Request {
            header,
            params: c_str(params),
        }
    }

    /// Reads a whole request from `b`.
    pub fn decode_all(b: &[u8]) -> Result<Request, DecodeError> {
        let header = Header::decode(b)?;
        let n = header.params_len()?;
        let params = b
            .get(REQ_LEN..REQ_LEN + n)
            .ok_or(DecodeError::ShortHeader(b.len()))?;
        Ok(Request::decode(header, params))
    }

    /// Its bytes, `len` set, the parameters NUL-terminated as tgtadm's
    /// `concat_buf_finish` leaves them.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = self.params.as_bytes().to_vec();
        if !body.is_empty() {
            body.push(0);
        }
        let mut h = self.header.clone();
        h.len = u32::try_from(REQ_LEN + body.len()).unwrap_or(u32::MAX);
        let mut out = h.encode().to_vec();
        out.extend_from_slice(&body);
        out
    }
}

/// A reply's bytes: `err` 0 and the text, NUL-terminated (none when it is
/// empty), or the error alone (`usr/mgmt.c` `set_mtask_result`).
pub fn encode_reply(result: Result<&str, AdmError>) -> Vec<u8> {
    let (err, text) = match result {
        Ok(t) => (0, t.as_bytes()),
        Err(e) => (e.code(), &b""[..]),
    };
    let body = if text.is_empty() { 0 } else { text.len() + 1 };
    let len = u32::try_from(RSP_LEN + body).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(RSP_LEN + body);
    out.extend_from_slice(&err.to_ne_bytes());
    out.extend_from_slice(&len.to_ne_bytes());
    if body > 0 {
        out.extend_from_slice(text);
        out.push(0);
    }
    out
}

/// Reads a reply: the error, or the text before its NUL.
pub fn decode_reply(b: &[u8]) -> Result<Result<String, u32>, DecodeError> {
    if b.len() < RSP_LEN {
        return Err(DecodeError::ShortHeader(b.len()));
    }
    let err = u32_at(b, 0);
    if err != 0 {
        return Ok(Err(err));
    }
    Ok(Ok(c_str(b.get(RSP_LEN..).unwrap_or_default())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_through_the_c_layout() {
        let mut h = Header::new(Mode::Account, Op::Bind);
        h.tid = 7;
        h.sid = 0x0102_0304_0506_0708;
        h.ac_dir = ACCOUNT_OUTGOING;
        h.force = 1;
        let req = Request {
            header: h,
            params: "user=clyde".into(),
        };
        let bytes = req.encode();
        assert_eq!(bytes.len(), REQ_LEN + "user=clyde".len() + 1);
        assert_eq!(u32_at(&bytes, 72) as usize, bytes.len());
        assert_eq!(u64_at(&bytes, 80), 0x0102_0304_0506_0708);
        let back = Request::decode_all(&bytes).unwrap();
        assert_eq!(back.params, "user=clyde");
        assert_eq!(Mode::from_u32(back.header.mode), Some(Mode::Account));
        assert_eq!(Op::from_u32(back.header.op), Some(Op::Bind));
        assert_eq!(back.header.tid, 7);
        assert_eq!(back.header.lld, "iscsi");
    }

    #[test]
    fn sizes_are_bounded() {
        let mut h = Header::new(Mode::Target, Op::Show);
        h.len = 3;
        assert_eq!(h.params_len(), Err(DecodeError::LenTooSmall(3)));
        h.len = (REQ_LEN + MAX_PARAMS + 1) as u32;
        assert_eq!(
            h.params_len(),
            Err(DecodeError::ParamsTooLong(MAX_PARAMS + 1))
        );
        assert_eq!(Header::decode(&[0; 10]), Err(DecodeError::ShortHeader(10)));
        assert_eq!(Mode::from_u32(8), None);
        assert_eq!(Op::from_u32(u32::MAX), None);
    }

    #[test]
    fn replies_carry_a_nul_only_with_text() {
        let empty = encode_reply(Ok(""));
        assert_eq!(empty.len(), RSP_LEN);
        assert_eq!((u32_at(&empty, 0), u32_at(&empty, 4)), (0, RSP_LEN as u32));
        let r = encode_reply(Ok("Account list:\n"));
        assert_eq!(u32_at(&r, 4) as usize, r.len());
        assert_eq!(r.last(), Some(&0));
        assert_eq!(decode_reply(&r), Ok(Ok("Account list:\n".into())));
        let e = encode_reply(Err(AdmError::NoTarget));
        assert_eq!(e.len(), RSP_LEN);
        assert_eq!(decode_reply(&e), Ok(Err(4)));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_without_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = Request::decode_all(&b);
            let _ = decode_reply(&b);
        }
    }
}

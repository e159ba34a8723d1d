//! Text Requests in full feature phase (RFC 7143 §11.10, §11.11) and the
//! SendTargets answer (§13.3, Appendix C), split with the C bit when it
//! exceeds the initiator's MaxRecvDataSegmentLength.

use std::net::SocketAddr;

use bytes::Bytes;
use rtgt_proto::pdu::{RawPdu, RejectReason, TextRequest, TextResponse, TTT_RESERVED};
use rtgt_proto::text::{self, LocalConfig, Negotiator, Pair, Role, Stage};

use super::conn::TextPending;
use super::events::ConnId;

/// The most text a continued Text Request may gather (RFC 7143 §11.10.2
/// sets no bound; this keeps a peer from growing it without end).
const MAX_TEXT_REQUEST: usize = 65_536;
use super::conn::Conn;
use super::conn::ConnTable;
use super::registry::Registry;
use super::session::Session;
use super::session::SessionTable;
use super::tables::Tables;
use crate::PortalGroupConfig;
use crate::TargetId;

/// `addr:port` as TargetAddress writes it (RFC 7143 §13.8: IPv6 in
/// brackets).
fn address(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v4) => format!("{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

/// Where a part of a continued Text Request leaves the exchange.
enum TextPart {
    /// The last part came: the whole text, to answer.
    Whole(Vec<u8>),
    /// Acknowledged (or not for this connection): nothing more to do now.
    Pending,
    /// The text grew past [`MAX_TEXT_REQUEST`].
    TooLong,
}

impl Tables {
    /// A Text Request; `cfg` gives the portals SendTargets lists.
    pub(crate) fn on_text(
        &mut self,
        cfg: &PortalGroupConfig,
        conn: ConnId,
        req: TextRequest,
        raw: &RawPdu,
    ) {
        let Some(serial) = self.conns.session_of(conn) else {
            return;
        };
        let receiving = self
            .conns
            .get(&conn)
            .and_then(|c| c.full())
            .and_then(|f| f.text_in.as_ref())
            .is_some_and(|t| t.itt == req.itt && t.ttt == req.ttt);
        if receiving || (req.continue_bit && req.ttt == TTT_RESERVED) {
            match self.conns.text_part(&mut self.sessions, conn, serial, &req) {
                TextPart::Whole(all) => self.answer_text(cfg, conn, serial, req.itt, &all, raw),
                TextPart::Pending => {}
                TextPart::TooLong => {
                    self.events.peer_error(
                        conn,
                        self.conns.peer_of(conn),
                        "text request continued past the limit".into(),
                    );
                    self.reject(conn, raw, RejectReason::ProtocolError);
                }
            }
            return;
        }
        if req.ttt != TTT_RESERVED {
            // RFC 7143 §11.10.4: a TTT other than 0xffffffff asks for the
            // next part of an answer we split.
            let pending = self
                .conns
                .get_mut(&conn)
                .and_then(|c| c.full_mut())
                .and_then(|f| f.text.take());
            match pending {
                Some(p) if p.itt == req.itt && p.ttt == req.ttt => {
                    self.conns
                        .send_text(&mut self.sessions, conn, serial, req.itt, p.rest);
                }
                _ => {
                    // RFC 7143 §11.17.1: a TTT we did not give is an
                    // invalid PDU field.
                    self.reject(conn, raw, RejectReason::InvalidPduField);
                }
            }
            return;
        }
        if !req.final_bit {
            // RFC 7143 §11.10.1: F=0 without C opens a multi-step text
            // negotiation, which rtgt does not hold in full feature phase.
            self.reject(conn, raw, RejectReason::CommandNotSupported);
            return;
        }
        if let Some(f) = self.conns.get_mut(&conn).and_then(|c| c.full_mut()) {
            // RFC 7143 §11.10.4: a new request abandons an unfinished
            // answer.
            f.text = None;
        }
        self.answer_text(cfg, conn, serial, req.itt, &req.data, raw);
    }

    /// Answers the whole text of a request.
    fn answer_text(
        &mut self,
        cfg: &PortalGroupConfig,
        conn: ConnId,
        serial: u64,
        itt: u32,
        data: &[u8],
        raw: &RawPdu,
    ) {
        let mut neg = Negotiator::new(Role::Target, Stage::FullFeature, LocalConfig::new());
        let outcome = text::decode(data)
            .map_err(|e| e.to_string())
            .and_then(|pairs| neg.handle(&pairs).map_err(|e| e.to_string()));
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                self.events.peer_error(
                    conn,
                    self.conns.peer_of(conn),
                    format!("text request: {e}"),
                );
                self.reject(conn, raw, RejectReason::ProtocolError);
                return;
            }
        };
        let mut out: Vec<Pair> = Vec::new();
        for q in outcome.queries.iter().filter(|q| q.key == "SendTargets") {
            if let (Some(s), Some(c)) = (self.sessions.get(&serial), self.conns.get(&conn)) {
                out.extend(self.reg.send_targets(s, c, cfg, &q.value));
            }
        }
        // Keys negotiated in full feature phase are refused: rtgt keeps the
        // login's values (RFC 7143 §6.2: Reject refuses an offer). Keys not
        // understood or irrelevant keep that answer.
        for r in outcome.responses {
            let keep = matches!(r.value.as_str(), "NotUnderstood" | "Irrelevant");
            let value = if keep { r.value } else { "Reject".into() };
            out.push(Pair::new(r.key, value));
        }
        let data = Bytes::from(text::encode(&out));
        self.conns
            .send_text(&mut self.sessions, conn, serial, itt, data);
    }
}

impl Registry {
    /// The SendTargets answer (RFC 7143 §13.3, Appendix C): the targets
    /// this initiator may see, each with its addresses.
    fn send_targets(
        &self,
        s: &Session,
        c: &Conn,
        cfg: &PortalGroupConfig,
        value: &str,
    ) -> Vec<Pair> {
        // SendTargets lists the targets by ascending id: a stable order.
        let names: Vec<TargetId> = match (s.target, value) {
            // RFC 7143 Appendix C: All is for discovery sessions; a normal
            // session is answered SendTargets=Reject.
            (Some(_), "All") => return vec![Pair::new("SendTargets", "Reject")],
            // Appendix C: an empty value in a normal session names the
            // session's own target.
            (Some(t), "") => vec![t],
            (None, "All") => self.ids(),
            (None, "") => Vec::new(),
            (_, name) => self
                .find(name)
                .into_iter()
                .filter(|&i| s.target.is_none() || s.target == Some(i))
                .collect(),
        };
        let portals = if cfg.portals.is_empty() {
            vec![c.local]
        } else {
            cfg.portals.clone()
        };
        let mut out = Vec::new();
        for i in names {
            let Some(t) = self.get(i) else {
                continue;
            };
            // Only the targets the initiator may log in to are listed.
            if !t.allows(&s.initiator, c.peer.ip()) {
                continue;
            }
            out.push(Pair::new("TargetName", t.name.clone()));
            for p in &portals {
                // RFC 7143 §13.8: address, port and portal group tag.
                out.push(Pair::new(
                    "TargetAddress",
                    format!("{},{}", address(*p), cfg.tpgt),
                ));
            }
        }
        out
    }
}

impl ConnTable {
    /// One part of a Text Request continued with the C bit (RFC 7143
    /// §11.10.2): parts are gathered, each answered by an empty Text
    /// Response whose TTT the next part returns; the last part (C=0) gives
    /// the whole text to answer.
    fn text_part(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        serial: u64,
        req: &TextRequest,
    ) -> TextPart {
        let Some(f) = self.get_mut(&conn).and_then(|c| c.full_mut()) else {
            return TextPart::Pending;
        };
        let mut part = match f.text_in.take() {
            Some(p) if p.itt == req.itt && p.ttt == req.ttt => p,
            _ => {
                f.text = None;
                TextPending {
                    itt: req.itt,
                    ttt: TTT_RESERVED,
                    rest: Bytes::new(),
                }
            }
        };
        if part.rest.len() + req.data.len() > MAX_TEXT_REQUEST {
            return TextPart::TooLong;
        }
        let mut all = part.rest.to_vec();
        all.extend_from_slice(&req.data);
        if !req.continue_bit {
            return TextPart::Whole(all);
        }
        if part.ttt == TTT_RESERVED {
            part.ttt = sessions.ttt(serial);
        }
        part.rest = Bytes::from(all);
        let ttt = part.ttt;
        if let Some(f) = self.get_mut(&conn).and_then(|c| c.full_mut()) {
            f.text_in = Some(part);
        }
        let (exp, max_sn) = sessions.window(serial);
        // RFC 7143 §11.11: an empty response with F=0 asks for the rest;
        // its TTT ties the next part to this exchange.
        let resp = TextResponse {
            final_bit: false,
            continue_bit: false,
            itt: req.itt,
            ttt,
            stat_sn: self.take_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max_sn,
            ..TextResponse::default()
        };
        self.send(conn, resp.into());
        TextPart::Pending
    }

    /// Sends the next segment of an answer, keeping the rest.
    fn send_text(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        serial: u64,
        itt: u32,
        data: Bytes,
    ) {
        let max = self.max_send(conn, 8192).max(1) as usize;
        let (now, rest) = if data.len() > max {
            (data.slice(..max), Some(data.slice(max..)))
        } else {
            (data, None)
        };
        let ttt = match rest {
            Some(rest) => {
                let ttt = sessions.ttt(serial);
                if let Some(f) = self.get_mut(&conn).and_then(|c| c.full_mut()) {
                    f.text = Some(TextPending { itt, ttt, rest });
                }
                ttt
            }
            None => TTT_RESERVED,
        };
        let more = ttt != TTT_RESERVED;
        let (exp, max_sn) = sessions.window(serial);
        let resp = TextResponse {
            // RFC 7143 §11.11.1-2: F clear and C set while more follows;
            // the TTT then names the continuation.
            final_bit: !more,
            continue_bit: more,
            itt,
            ttt,
            stat_sn: self.take_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max_sn,
            data: now,
            ..TextResponse::default()
        };
        self.send(conn, resp.into());
    }
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn addresses() {
        assert_eq!(address("10.0.0.1:3260".parse().unwrap()), "10.0.0.1:3260");
        assert_eq!(address("[fd00::1]:3260".parse().unwrap()), "[fd00::1]:3260");
    }
}

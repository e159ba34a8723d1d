//! Unit tests of the iSNS codec and client.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;

fn reg() -> Registration {
    Registration {
        entity_id: "rtgt:host1".into(),
        registration_period: None,
        portals: vec![RegisteredPortal {
            addr: "127.0.0.1:3260".parse().unwrap(),
            tag: 1,
        }],
        nodes: vec![RegisteredNode {
            name: "iqn.2024-01.org.rtgt:a".into(),
            alias: None,
        }],
    }
}

fn sent(client: &mut Client) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some(a) = client.poll_action() {
        if let Action::Send(bytes) = a {
            let mut s = PduStream::new();
            s.push(&bytes);
            out.push(s.next_message().unwrap().unwrap());
        }
    }
    out
}

fn answer(req: &Message, status: Status, attrs: Vec<Attr>) -> Vec<u8> {
    let (f, _) = req.kind().unwrap();
    Message::response(f, req.xid, status, attrs).encode(flags::SERVER)
}

#[test]
fn header_is_twelve_bytes_in_network_order() {
    let h = Header {
        version: VERSION,
        function: 0x8001,
        length: 0x0102,
        flags: flags::SERVER | flags::FIRST_PDU | flags::LAST_PDU,
        xid: 7,
        seq: 0,
    };
    let b = h.encode();
    assert_eq!(b, [0, 1, 0x80, 1, 1, 2, 0x4c, 0, 0, 7, 0, 0]);
    assert_eq!(Header::decode(&b), Some(h));
    assert_eq!(Header::decode(&b[..11]), None);
}

#[test]
fn strings_are_nul_terminated_and_padded() {
    let a = Attr::string(tag::ISCSI_NAME, "abc");
    assert_eq!(a.value, b"abc\0");
    let a = Attr::string(tag::ISCSI_NAME, "abcd");
    assert_eq!(a.value, b"abcd\0\0\0\0");
    assert_eq!(a.as_string().as_deref(), Some("abcd"));
}

#[test]
fn ipv4_is_sent_mapped_into_ipv6() {
    let a = Attr::ip(
        tag::PORTAL_IP_ADDRESS,
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    );
    assert_eq!(
        a.value,
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]
    );
    assert_eq!(a.as_ip(), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
}

#[test]
fn unpadded_and_short_attributes_are_refused() {
    let mut b = Vec::new();
    b.extend_from_slice(&32u32.to_be_bytes());
    b.extend_from_slice(&3u32.to_be_bytes());
    b.extend_from_slice(b"ab\0");
    assert!(matches!(
        Attr::decode_all(&b),
        Err(AttrError::Unpadded { .. })
    ));
    assert!(matches!(
        Attr::decode_all(&b[..6]),
        Err(AttrError::ShortHeader { .. })
    ));
    b[7] = 8;
    assert!(matches!(
        Attr::decode_all(&b),
        Err(AttrError::ShortValue { .. })
    ));
}

#[test]
fn dev_attr_reg_carries_entity_portal_node_and_group() {
    let msg = dev_attr_reg(3, &reg(), true);
    assert_eq!(msg.flags, flags::REPLACE);
    assert_eq!(msg.function, 0x0001);
    let tags: Vec<u32> = msg.attrs.iter().map(|a| a.tag).collect();
    assert_eq!(tags, [32, 1, 0, 1, 2, 16, 17, 32, 33, 48, 49, 50, 51]);
    let bytes = msg.encode(flags::CLIENT);
    let h = Header::decode(&bytes).unwrap();
    assert_eq!(
        h.flags,
        flags::CLIENT | flags::REPLACE | flags::FIRST_PDU | flags::LAST_PDU
    );
    assert_eq!(usize::from(h.length), bytes.len() - HEADER_LEN);
}

#[test]
fn a_message_split_over_pdus_and_reads_is_reassembled() {
    let attrs: Vec<Attr> = (0..9000).map(|i| Attr::u32(tag::PORTAL_INDEX, i)).collect();
    let msg = Message::response(Function::DevAttrQry, 9, Status::Successful, attrs);
    let bytes = msg.encode(flags::SERVER);
    assert!(bytes.len() > MAX_PAYLOAD + 2 * HEADER_LEN);
    let mut s = PduStream::new();
    let mut got = None;
    for chunk in bytes.chunks(1000) {
        s.push(chunk);
        if let Some(m) = s.next_message().unwrap() {
            got = Some(m);
        }
    }
    assert_eq!(got, Some(msg));
}

#[test]
fn wrong_version_breaks_the_stream() {
    let mut b = keepalive_query(1, "a", "b").encode(flags::CLIENT);
    b[1] = 2;
    let mut s = PduStream::new();
    s.push(&b);
    assert_eq!(s.next_message(), Err(StreamError::Version(2)));
}

#[test]
fn query_response_lists_targets_with_their_portal_groups() {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let op = vec![
        Attr::string(tag::ISCSI_NAME, "iqn.t1"),
        Attr::u32(tag::ISCSI_NODE_TYPE, NODE_TYPE_TARGET),
        Attr::string(tag::ISCSI_NAME, "iqn.i1"),
        Attr::u32(tag::ISCSI_NODE_TYPE, NODE_TYPE_INITIATOR),
        Attr::ip(tag::PORTAL_IP_ADDRESS, ip),
        Attr::tcp_port(tag::PORTAL_PORT, 3260),
        Attr::string(tag::PG_ISCSI_NAME, "iqn.t1"),
        Attr::ip(tag::PG_PORTAL_IP_ADDR, ip),
        Attr::tcp_port(tag::PG_PORTAL_PORT, 3260),
        Attr::u32(tag::PG_TAG, 1),
    ];
    let t = targets_in(&op);
    assert_eq!(
        t,
        [DiscoveredTarget {
            name: "iqn.t1".into(),
            alias: None,
            portals: vec![(SocketAddr::new(ip, 3260), Some(1))],
        }]
    );
}

#[test]
fn client_registers_keeps_alive_and_deregisters() {
    let t0 = Instant::now();
    let cfg = ClientConfig::default();
    let mut c = Client::new(cfg.clone(), reg(), t0);
    assert_eq!(c.poll_action(), Some(Action::Connect));
    c.handle_connected(t0);
    let reqs = sent(&mut c);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].kind(), Some((Function::DevAttrReg, false)));
    assert_eq!(reqs[0].flags, flags::REPLACE);
    let period = vec![Attr::u32(tag::REGISTRATION_PERIOD, 20)];
    let rsp = Message::response(Function::DevAttrReg, reqs[0].xid, Status::Successful, {
        let mut a = vec![
            Attr::string(tag::ENTITY_IDENTIFIER, "rtgt:host1"),
            Attr::delimiter(),
        ];
        a.extend(period);
        a
    });
    c.handle_bytes(t0, &rsp.encode(flags::SERVER));
    assert_eq!(c.state(), ClientState::Registered);
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Registered { period: Some(20) })
    );
    // Half the granted period, shorter than the configured keep-alive.
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    let t1 = t0 + Duration::from_secs(10);
    c.handle_timeout(t1);
    let reqs = sent(&mut c);
    assert_eq!(reqs[0].kind(), Some((Function::DevAttrQry, false)));
    // Still registered: the next keep-alive is scheduled.
    let found = vec![Attr::delimiter(), Attr::u32(tag::ENTITY_PROTOCOL, 2)];
    c.handle_bytes(t1, &answer(&reqs[0], Status::Successful, found));
    assert_eq!(c.poll_timeout(), Some(t1 + Duration::from_secs(10)));
    // Gone (server restarted): registered again.
    let t2 = t1 + Duration::from_secs(10);
    c.handle_timeout(t2);
    let reqs = sent(&mut c);
    c.handle_bytes(t2, &answer(&reqs[0], Status::Successful, vec![]));
    assert_eq!(c.poll_event(), Some(ClientEvent::RegistrationLost));
    let reqs = sent(&mut c);
    assert_eq!(reqs[0].kind(), Some((Function::DevAttrReg, false)));
    c.handle_bytes(t2, &answer(&reqs[0], Status::Successful, vec![]));
    assert_eq!(c.state(), ClientState::Registered);
    c.shutdown(t2);
    let reqs = sent(&mut c);
    assert_eq!(reqs[0].kind(), Some((Function::DevDereg, false)));
    assert_eq!(
        reqs[0].operating()[0].as_string().as_deref(),
        Some("rtgt:host1")
    );
    c.handle_bytes(t2, &answer(&reqs[0], Status::Successful, vec![]));
    assert_eq!(c.state(), ClientState::Stopped);
    assert_eq!(c.poll_action(), Some(Action::Close));
}

#[test]
fn client_backs_off_doubling_and_resets_after_registering() {
    let t0 = Instant::now();
    let cfg = ClientConfig {
        backoff_min: Duration::from_secs(1),
        backoff_max: Duration::from_secs(4),
        ..ClientConfig::default()
    };
    let mut c = Client::new(cfg, reg(), t0);
    let mut now = t0;
    for expected in [1, 2, 4, 4] {
        assert_eq!(c.poll_action(), Some(Action::Connect));
        c.handle_closed(now, "refused");
        let at = c.poll_timeout().unwrap();
        assert_eq!(at - now, Duration::from_secs(expected));
        now = at;
        c.handle_timeout(now);
    }
    assert_eq!(c.poll_action(), Some(Action::Connect));
    c.handle_connected(now);
    let reqs = sent(&mut c);
    // No answer: the request times out, the connection is dropped.
    let late = now + Duration::from_secs(10);
    c.handle_timeout(late);
    assert_eq!(c.state(), ClientState::BackingOff);
    c.handle_timeout(late + Duration::from_secs(4));
    c.handle_connected(late + Duration::from_secs(4));
    let reqs2 = sent(&mut c);
    assert_ne!(reqs[0].xid, reqs2[0].xid);
    c.handle_bytes(late, &answer(&reqs2[0], Status::Successful, vec![]));
    assert_eq!(c.state(), ClientState::Registered);
    c.handle_closed(late, "reset");
    assert_eq!(c.poll_timeout().unwrap() - late, Duration::from_secs(1));
}

#[test]
fn client_update_waits_for_the_request_in_flight_and_answers_esi() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default(), reg(), t0);
    c.handle_connected(t0);
    let reqs = sent(&mut c);
    let mut r2 = reg();
    r2.nodes.push(RegisteredNode {
        name: "iqn.2024-01.org.rtgt:b".into(),
        alias: None,
    });
    c.update(r2, t0);
    assert!(sent(&mut c).is_empty());
    c.handle_bytes(t0, &answer(&reqs[0], Status::Successful, vec![]));
    let reqs = sent(&mut c);
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0]
        .operating()
        .iter()
        .any(|a| a.as_string().as_deref() == Some("iqn.2024-01.org.rtgt:b")));
    let esi = Message::request(
        Function::ESI,
        40,
        vec![Attr::string(tag::ENTITY_IDENTIFIER, "rtgt:host1")],
    );
    c.handle_bytes(t0, &esi.encode(flags::SERVER));
    let out = sent(&mut c);
    assert_eq!(out[0].kind(), Some((Function::ESI, true)));
    assert_eq!(out[0].xid, 40);
}

#[test]
fn refused_deregistration_stops_without_claiming_success() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default(), reg(), t0);
    c.handle_connected(t0);
    let reqs = sent(&mut c);
    c.handle_bytes(t0, &answer(&reqs[0], Status::Successful, vec![]));
    c.shutdown(t0);
    let reqs = sent(&mut c);
    c.handle_bytes(t0, &answer(&reqs[0], Status::InvalidDeregistration, vec![]));
    let events: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(events.last(), Some(&ClientEvent::Stopped), "{events:?}");
    assert!(!events.contains(&ClientEvent::Deregistered));
    assert_eq!(c.state(), ClientState::Stopped);
}

#[test]
fn refused_registration_backs_off() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default(), reg(), t0);
    c.handle_connected(t0);
    let reqs = sent(&mut c);
    c.handle_bytes(t0, &answer(&reqs[0], Status::InvalidRegistration, vec![]));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Refused {
            function: Function::DevAttrReg,
            status: Status::InvalidRegistration
        })
    );
    assert_eq!(c.state(), ClientState::BackingOff);
}

proptest! {
    #[test]
    fn attributes_round_trip(list in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..8)) {
        let attrs: Vec<Attr> = list.into_iter().map(|(tag, mut value)| {
            value.truncate(value.len() / 4 * 4);
            Attr { tag, value }
        }).collect();
        let mut bytes = Vec::new();
        for a in &attrs { a.encode_into(&mut bytes); }
        prop_assert_eq!(Attr::decode_all(&bytes).unwrap(), attrs);
    }

    #[test]
    fn messages_round_trip(xid in any::<u16>(), code in 0u32..30, names in proptest::collection::vec("[a-z.:]{0,20}", 0..5)) {
        let attrs = names.iter().map(|n| Attr::string(tag::ISCSI_NAME, n)).collect();
        let msg = Message::response(Function::DevAttrQry, xid, Status::from_code(code), attrs);
        let mut s = PduStream::new();
        s.push(&msg.encode(flags::SERVER));
        prop_assert_eq!(s.next_message().unwrap(), Some(msg));
    }

    #[test]
    fn stream_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut s = PduStream::new();
        s.push(&bytes);
        for _ in 0..8 {
            if !matches!(s.next_message(), Ok(Some(_))) { break; }
        }
    }
}

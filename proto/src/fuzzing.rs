//! Fuzz harness bodies, shared by the cargo-fuzz targets in fuzz/ and by the
//! corpus replay test (proto/tests/fuzz_corpus.rs), so they always compile and
//! every committed corpus entry runs on the stable toolchain.
//!
//! Each harness panics only when an invariant breaks: a decoder that panics,
//! an accepted input that does not re-encode to itself, or a buffer that grows
//! past its bound.

use crate::chap::{self, Challenge, ChapAlgorithm, ChapSecret};
use crate::pdu::{DecoderConfig, Digests, Pdu, RawPdu, Role, StreamDecoder, BHS_LEN};
use crate::scsi::cdb::Cdb;
use crate::text::{self, LocalConfig, Negotiator, Stage, TextAccumulator};
use bytes::Bytes;
use std::time::Duration;

/// A little reader over the fuzz input, for harnesses whose input also
/// chooses parameters.
#[derive(Debug)]
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self
            .data
            .split_first()
            .map_or((0, &[][..]), |(f, r)| (*f, r));
        self.data = rest;
        first
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// One step of a session harness: the initiator harness of
/// rtgt-initiator-core and the target harness of rtgt-target-core read
/// their input, after its configuration byte, as a run of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Control byte `c` with `c & 0x80`: the clock moves on `c & 0x7f`
    /// seconds.
    Wait(Duration),
    /// The control byte the harness chose for its own action.
    Action,
    /// Any other control byte `c`: the next `c * 4 + 1` bytes (fewer at the
    /// end of the input) come from the peer.
    Bytes(&'a [u8]),
}

/// The steps of a session harness's input.
#[derive(Debug)]
pub struct Steps<'a> {
    input: Input<'a>,
    action: Option<u8>,
}

impl<'a> Steps<'a> {
    /// The configuration byte of `data` (zero when it is empty) and the
    /// steps after it; `action` is the control byte read as
    /// [`Step::Action`], if the harness has one.
    pub fn new(data: &'a [u8], action: Option<u8>) -> (u8, Steps<'a>) {
        let mut input = Input { data };
        let config = input.byte();
        (config, Steps { input, action })
    }

    /// An input of `config`, then `bytes` as [`Step::Bytes`] with control
    /// byte `control`, that is in pieces of `control * 4 + 1` bytes.
    pub fn encode_bytes(config: u8, control: u8, bytes: &[u8]) -> Vec<u8> {
        let mut data = vec![config];
        for chunk in bytes.chunks(usize::from(control) * 4 + 1) {
            data.push(control);
            data.extend_from_slice(chunk);
        }
        data
    }
}

impl<'a> Iterator for Steps<'a> {
    type Item = Step<'a>;

    fn next(&mut self) -> Option<Step<'a>> {
        if self.input.data.is_empty() {
            return None;
        }
        let control = self.input.byte();
        Some(if control & 0x80 != 0 {
            Step::Wait(Duration::from_secs(u64::from(control & 0x7f)))
        } else if Some(control) == self.action {
            Step::Action
        } else {
            Step::Bytes(self.input.take(usize::from(control) * 4 + 1))
        })
    }
}

/// The PDU stream decoder, fed in chunks whose sizes the input chooses.
///
/// Input layout: one byte of configuration (bit 0 header digest, bit 1 data
/// digest, bit 2 the receiver is the initiator, bits 3-4 the data segment
/// bound), then repeated `[chunk length][chunk bytes]`.
pub fn pdu_stream(data: &[u8]) {
    let mut input = Input { data };
    let config_byte = input.byte();
    let digests = Digests {
        header: config_byte & 1 != 0,
        data: config_byte & 2 != 0,
    };
    let receiver = if config_byte & 4 != 0 {
        Role::Initiator
    } else {
        Role::Target
    };
    let max_data_segment_length = match config_byte >> 3 & 3 {
        0 => 512,
        1 => 8192,
        2 => 65536,
        _ => (1 << 24) - 1,
    };
    let config = DecoderConfig {
        digests,
        max_data_segment_length,
    };
    let sender = match receiver {
        Role::Initiator => Role::Target,
        Role::Target => Role::Initiator,
    };
    let mut decoder = StreamDecoder::new(config);
    while !input.data.is_empty() {
        let chunk_len = usize::from(input.byte()) * 4 + 1;
        decoder.feed(input.take(chunk_len));
        // Never more buffered than the rest of one frame plus the new chunk,
        // whatever a length field claims.
        let frame_bound = BHS_LEN + 255 * 4 + 4 + max_data_segment_length as usize + 3 + 4;
        assert!(decoder.buffered() <= frame_bound + chunk_len);
        while let Some(frame) = decoder.next_frame() {
            match frame {
                Ok(raw) => check_frame(&raw, digests, sender),
                Err(error) => {
                    let _ = error.answer_for(receiver);
                    let _ = error.to_string();
                }
            }
        }
    }
}

/// A frame the decoder accepted re-encodes to itself, and its typed form
/// survives a round trip.
fn check_frame(raw: &RawPdu, digests: Digests, sender: Role) {
    let wire = Bytes::from(raw.encode(digests));
    let (again, used) = RawPdu::parse(&wire, digests).expect("an accepted frame parses again");
    assert_eq!(used, wire.len());
    assert_eq!(&again, raw);
    match Pdu::decode_from(raw, sender) {
        Ok(pdu) => {
            let _ = pdu.dump();
            let typed = pdu.to_raw();
            assert_eq!(Pdu::decode(&typed).expect("typed PDU decodes again"), pdu);
        }
        Err(error) => {
            let _ = error.answer();
        }
    }
}

/// The key=value codec, continuation across segments, and both negotiators
/// in each stage on whatever pairs decode.
pub fn text_kv(data: &[u8]) {
    let mut input = Input { data };
    let split = usize::from(input.byte()) + 1;
    let segment = input.data;
    if let Ok(pairs) = text::decode(segment) {
        let encoded = text::encode(&pairs);
        assert_eq!(text::decode(&encoded).expect("encoded pairs decode"), pairs);
        for stage in [Stage::Security, Stage::Operational, Stage::FullFeature] {
            for role in [text::Role::Initiator, text::Role::Target] {
                let mut negotiator = Negotiator::new(role, stage, LocalConfig::rfc_defaults());
                if negotiator.handle(&pairs).is_ok() {
                    let _ = negotiator.params();
                    let _ = negotiator.unanswered();
                }
            }
        }
    }
    // The same bytes sent as continued segments give the same answer.
    let mut accumulator = TextAccumulator::new(1 << 16);
    let chunks: Vec<&[u8]> = segment.chunks(split).collect();
    let mut joined = None;
    for (i, chunk) in chunks.iter().enumerate() {
        match accumulator.push(chunk, i + 1 < chunks.len()) {
            Ok(Some(pairs)) => joined = Some(Ok(pairs)),
            Ok(None) => {}
            Err(_) => {
                joined = Some(Err(()));
                break;
            }
        }
    }
    if let (Some(Ok(joined)), Ok(whole)) = (joined, text::decode(segment)) {
        assert_eq!(joined, whole);
    }
}

/// CHAP value parsing and response verification on peer-chosen values.
///
/// Input layout: one byte choosing the algorithm, then a UTF-8 string of
/// `;`-separated fields: algorithm list, identifier, challenge, response.
pub fn chap(data: &[u8]) {
    let mut input = Input { data };
    let algorithm = match input.byte() & 3 {
        0 => ChapAlgorithm::Md5,
        1 => ChapAlgorithm::Sha1,
        2 => ChapAlgorithm::Sha256,
        _ => ChapAlgorithm::Sha3_256,
    };
    let Ok(text) = std::str::from_utf8(input.data) else {
        return;
    };
    let mut fields = text.split(';');
    let _ = chap::parse_algorithm_list(fields.next().unwrap_or_default());
    let id = chap::parse_identifier(fields.next().unwrap_or_default()).unwrap_or(0);
    let secret = ChapSecret::new(b"fuzzing-secret".to_vec());
    if let Ok(challenge) = chap::parse_binary(fields.next().unwrap_or_default()) {
        let response = algorithm.response(id, &secret, &challenge);
        assert_eq!(response.len(), algorithm.digest_len());
        assert!(algorithm.verify(id, &secret, &challenge, &response));
        let encoded = chap::encode_response(&response);
        assert_eq!(
            chap::parse_binary(&encoded).expect("own encoding parses"),
            response
        );
        if let Ok(ours) = Challenge::from_random(id, &challenge) {
            assert!(ours.is_reflected(&challenge));
            assert_eq!(chap::parse_binary(&ours.value_hex()).ok(), Some(challenge));
        }
    }
    if let Ok(response) = chap::parse_binary(fields.next().unwrap_or_default()) {
        let _ = algorithm.verify(id, &secret, b"challenge", &response);
    }
}

/// CDB decoding: an accepted CDB re-encodes to the bytes it came from.
pub fn cdb(data: &[u8]) {
    if let Ok(cdb) = Cdb::decode(data) {
        let encoded = cdb.encode();
        assert_eq!(data.get(..encoded.len()), Some(&encoded[..]));
        let _ = cdb.reserved_violation();
        let _ = cdb.block_io();
    } else if let Err(error) = Cdb::decode(data) {
        let _ = error.answer();
    }
}

/// The decoders of SCSI parameter data an initiator reads from a target
/// (sense, VPD, mode pages, INQUIRY, REPORT LUNS, persistent reservations,
/// copy parameters): they must never panic, whatever the target sends.
pub fn scsi_data(data: &[u8]) {
    use crate::scsi::{mode, params, sense, vpd};
    let _ = sense::Sense::decode(data).map(|d| d.value.encode_for(true));
    let _ = vpd::Vpd::decode(data).map(|d| d.value.encode());
    for kind in [mode::HeaderKind::Six, mode::HeaderKind::Ten] {
        let _ = mode::ModeParameters::decode(data, kind).map(|d| d.value.encode(kind));
        let _ = mode::ModeParameters::decode_select(data, kind);
    }
    let _ = params::StandardInquiry::decode(data);
    let _ = params::ReportLuns::decode(data);
    let _ = params::ReadCapacity16::decode(data);
    let _ = params::LbaStatus::decode(data);
    let _ = params::UnmapList::decode(data);
    let _ = params::ReadKeys::decode(data);
    let _ = params::ReadReservation::decode(data);
    let _ = params::ReadFullStatus::decode(data);
    let _ = params::PrOutBasic::decode(data);
    let _ = params::PrOutRegisterAndMove::decode(data);
    let _ = params::SupportedOpcodes::decode(data);
    let _ = params::TargetPortGroups::decode(data, true);
    let _ = params::ExtendedCopy::decode(data);
    let _ = params::CopyOperatingParameters::decode(data);
}

/// iSNS (RFC 4171) from a server: the first byte picks the read size, the
/// rest is fed to the PDU stream in reads of that size. Every message it
/// accepts must re-encode and decode to itself; the same bytes go to a
/// registered [`crate::isns::Client`], and attribute lists are read by
/// type and as a query response. `now` is any instant (the client reads
/// no clock).
pub fn isns(data: &[u8], now: std::time::Instant) {
    use crate::isns::{self, flags, Attr, Client, ClientConfig, PduStream, Registration};
    let (first, rest) = data.split_first().map_or((0, data), |(f, r)| (*f, r));
    let step = usize::from(first % 64) + 1;
    let mut stream = PduStream::new();
    'feed: for chunk in rest.chunks(step) {
        stream.push(chunk);
        loop {
            match stream.next_message() {
                Ok(Some(msg)) => {
                    let mut again = PduStream::new();
                    again.push(&msg.encode(flags::SERVER));
                    let back = again.next_message().expect("a re-encoded message decodes");
                    assert_eq!(back.as_ref(), Some(&msg), "iSNS message round trip");
                    let _ = isns::targets_in(msg.operating());
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    if let Ok(attrs) = Attr::decode_all(rest) {
        for a in &attrs {
            let _ = a.typed();
        }
        let _ = isns::targets_in(&attrs);
    }
    let t0 = now;
    let reg = Registration {
        entity_id: "fuzz".into(),
        ..Registration::default()
    };
    let mut client = Client::new(ClientConfig::default(), reg, t0);
    client.handle_connected(t0);
    for chunk in rest.chunks(step) {
        client.handle_bytes(t0, chunk);
        while client.poll_action().is_some() {}
        while client.poll_event().is_some() {}
    }
    client.handle_timeout(t0 + Duration::from_secs(3600));
}

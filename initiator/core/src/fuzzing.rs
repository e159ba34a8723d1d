//! Fuzz harness bodies for an [`Initiator`], shared by the cargo-fuzz
//! targets in fuzz/ and by this crate's tests, so they always compile on the
//! stable toolchain.
//!
//! A harness fails only by panicking: any target bytes must be answered with
//! a violation, a close or nothing, never a panic.

use std::time::{Duration, Instant};

use rtgt_proto::pdu::Lun;

use crate::{Initiator, InitiatorConfig, ScsiRequest, SeededRandom, Strictness};

/// Runs everything the initiator has queued: its frames are dropped, its
/// events taken.
fn drain(ini: &mut Initiator) {
    while ini.poll_transmit().is_some() {}
    while ini.poll_event().is_some() {}
}

/// Target-side bytes into an initiator that has sent its first Login
/// Request.
///
/// Input layout: one byte of configuration (bit 0 a discovery session, bit
/// 1 strict rather than lenient), then repeated records: a control byte
/// `c`, then if `c & 0x80` the clock moves on `c & 0x7f` seconds, if
/// `c == 0x7f` a READ(10) of one block is submitted, else the next
/// `c * 4 + 1` bytes are fed to the initiator.
///
/// `start` is the clock at the first step: the fuzz target passes the
/// wall clock, since this crate never reads it.
pub fn initiator_rx(data: &[u8], start: Instant) {
    let (config, mut rest) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    const INITIATOR: &str = "iqn.2024-01.org.rtgt:host1";
    let cfg = if config & 1 != 0 {
        InitiatorConfig::discovery(INITIATOR)
    } else {
        InitiatorConfig::normal(INITIATOR, "iqn.2024-01.org.rtgt:t0")
    };
    let mut ini = Initiator::new(cfg, SeededRandom::new(7));
    ini.set_strictness(if config & 2 != 0 {
        Strictness::Strict
    } else {
        Strictness::Lenient
    });
    let mut now = start;
    if ini.login(now).is_err() {
        return;
    }
    drain(&mut ini);
    while let Some((&control, tail)) = rest.split_first() {
        rest = tail;
        if control & 0x80 != 0 {
            now += Duration::from_secs(u64::from(control & 0x7f));
            ini.handle_timeout(now);
        } else if control == 0x7f {
            let read10 = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];
            let _ = ini.submit(now, ScsiRequest::read(Lun::single_level(0), &read10, 512));
        } else {
            let (chunk, tail) = rest.split_at((usize::from(control) * 4 + 1).min(rest.len()));
            ini.handle_bytes(now, chunk);
            rest = tail;
        }
        drain(&mut ini);
    }
    // Every timer that can fire does.
    ini.handle_timeout(now + Duration::from_secs(3600));
    drain(&mut ini);
}

#[cfg(test)]
mod tests {
    use super::initiator_rx;
    use rtgt_proto::pdu::{Digests, LoginResponse, LoginStage, NopIn, Pdu};
    use std::time::Instant;

    /// `[config]` then `bytes` in chunks of 9.
    fn input(config: u8, bytes: &[u8]) -> Vec<u8> {
        let mut data = vec![config];
        for chunk in bytes.chunks(9) {
            data.push(2);
            data.extend_from_slice(chunk);
        }
        data
    }

    #[test]
    fn initiator_rx_runs_fixed_inputs() {
        initiator_rx(&[], Instant::now());
        initiator_rx(&[1, 0x90, 0x7f, 3, 1, 2], Instant::now());
        let rsp = LoginResponse {
            transit: true,
            csg: LoginStage::LoginOperationalNegotiation,
            nsg: LoginStage::FullFeaturePhase,
            itt: 0,
            tsih: 1,
            ..LoginResponse::default()
        };
        let mut bytes = Pdu::from(rsp).encode(Digests::NONE);
        bytes.extend(Pdu::from(NopIn::default()).encode(Digests::NONE));
        for config in 0..4 {
            let mut data = input(config, &bytes);
            data.extend_from_slice(&[0x7f, 0x85, 40, 0, 1, 2]);
            initiator_rx(&data, Instant::now());
        }
    }
}

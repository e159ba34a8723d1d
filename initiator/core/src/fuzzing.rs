//! Fuzz harness bodies for an [`Initiator`], shared by the cargo-fuzz
//! targets in fuzz/ and by this crate's tests, so they always compile on the
//! stable toolchain.
//!
//! A harness fails only by panicking: any target bytes must be answered with
//! a violation, a close or nothing, never a panic.

use std::time::{Duration, Instant};

use rtgt_proto::fuzzing::{Step, Steps};
use rtgt_proto::pdu::Lun;

use crate::{Initiator, InitiatorConfig, ScsiRequest, SeededRandom, Strictness};

/// Runs everything the initiator has queued: its frames are dropped, its
/// events taken.
fn drain(ini: &mut Initiator) {
    while ini.poll_transmit().is_some() {}
    while ini.poll_event().is_some() {}
}

/// The control byte that submits a READ(10).
const READ: u8 = 0x7f;

/// Target-side bytes into an initiator that has sent its first Login
/// Request.
///
/// Input layout: one byte of configuration (bit 0 a discovery session, bit
/// 1 strict rather than lenient), then [`Steps`]: waits, bytes fed to the
/// initiator, and, as the action (control byte 0x7f), a READ(10) of one
/// block submitted.
///
/// `start` is the clock at the first step: the fuzz target passes the
/// wall clock, since this crate never reads it.
pub fn initiator_rx(data: &[u8], start: Instant) {
    let (config, steps) = Steps::new(data, Some(READ));
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
    for step in steps {
        match step {
            Step::Wait(by) => {
                now += by;
                ini.handle_timeout(now);
            }
            Step::Action => {
                let read10 = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];
                let _ = ini.submit(now, ScsiRequest::read(Lun::single_level(0), &read10, 512));
            }
            Step::Bytes(chunk) => ini.handle_bytes(now, chunk),
        }
        drain(&mut ini);
    }
    // Every timer that can fire does.
    ini.handle_timeout(now + Duration::from_secs(3600));
    drain(&mut ini);
}

#[cfg(test)]
mod tests {
    use super::{initiator_rx, Steps};
    use rtgt_proto::pdu::{Digests, LoginResponse, LoginStage, NopIn, Pdu};
    use std::time::Instant;

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
            let mut data = Steps::encode_bytes(config, 2, &bytes);
            data.extend_from_slice(&[0x7f, 0x85, 40, 0, 1, 2]);
            initiator_rx(&data, Instant::now());
        }
    }
}

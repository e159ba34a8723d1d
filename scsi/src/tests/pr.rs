//! Persistent reservations and RESERVE/RELEASE with two I_T nexuses.

use super::*;
use rtgt_proto::scsi::params::pr_in::{ReadFullStatus, ReadKeys, ReadReservation};
use rtgt_proto::scsi::params::{PrOutBasic, PrOutRegisterAndMove, TransportId};

const REGISTER: u8 = 0;
const RESERVE: u8 = 1;
const RELEASE: u8 = 2;
const CLEAR: u8 = 3;
const PREEMPT: u8 = 4;
const PREEMPT_ABORT: u8 = 5;
const REGISTER_IGNORE: u8 = 6;

/// Two nexuses on one disk, both past their power-on unit attention.
fn pair() -> (Rig, Arc<Nexus>, Arc<Nexus>) {
    let mut r = Rig::new();
    let a = r.nexus.clone();
    let b = nexus("init1");
    r.nexus = b.clone();
    r.ready();
    r.nexus = a.clone();
    (r, a, b)
}

/// A pair registered with keys 0xa (A) and 0xb (B), A holding a
/// reservation of type `t`.
fn a_holds(t: u8) -> (Rig, Arc<Nexus>, Arc<Nexus>) {
    let (mut r, a, b) = pair();
    prout(&mut r, &a, REGISTER, 0, 0, 0xa);
    prout(&mut r, &b, REGISTER, 0, 0, 0xb);
    prout(&mut r, &a, RESERVE, t, 0xa, 0);
    (r, a, b)
}

fn prout_cdb(sa: u8, t: u8, len: u32) -> [u8; 10] {
    let mut c = [0x5f, sa, t, 0, 0, 0, 0, 0, 0, 0];
    c[5..9].copy_from_slice(&len.to_be_bytes());
    c
}

fn basic(key: u64, sark: u64, aptpl: bool) -> Vec<u8> {
    PrOutBasic {
        key,
        service_action_key: sark,
        aptpl,
        ..PrOutBasic::default()
    }
    .encode()
}

fn prout(r: &mut Rig, n: &Arc<Nexus>, sa: u8, t: u8, key: u64, sark: u64) -> Reply {
    r.nexus = n.clone();
    let d = basic(key, sark, false);
    r.run(&prout_cdb(sa, t, d.len() as u32), &d, d.len() as u32)
}

fn prin(r: &mut Rig, n: &Arc<Nexus>, sa: u8) -> Bytes {
    r.nexus = n.clone();
    r.good(&[0x5e, sa, 0, 0, 0, 0, 0, 0x10, 0, 0], &[], 4096)
}

fn keys(r: &mut Rig, n: &Arc<Nexus>) -> Vec<u64> {
    ReadKeys::decode(&prin(r, n, 0)).unwrap().value.keys
}

fn reservation(r: &mut Rig, n: &Arc<Nexus>) -> Option<(u64, u8)> {
    ReadReservation::decode(&prin(r, n, 1))
        .unwrap()
        .value
        .reservation
        .map(|x| (x.key, x.pr_type))
}

fn status_of(r: &mut Rig, n: &Arc<Nexus>, cdb: &[u8], out: &[u8]) -> Status {
    r.nexus = n.clone();
    r.run(cdb, out, out.len().max(512) as u32).status
}

#[test]
fn register_reregister_and_unregister() {
    let (mut r, a, _) = pair();
    assert_eq!(prout(&mut r, &a, REGISTER, 0, 0, 0x11).status, Status::GOOD);
    assert_eq!(keys(&mut r, &a), vec![0x11]);
    // SPC-5 §5.14.7.3: the wrong key is RESERVATION CONFLICT.
    let c = prout(&mut r, &a, REGISTER, 0, 0, 0x22);
    assert_eq!(c.status, Status::RESERVATION_CONFLICT);
    assert!(c.sense.is_empty());
    // REGISTER AND IGNORE EXISTING KEY replaces it.
    assert_eq!(
        prout(&mut r, &a, REGISTER_IGNORE, 0, 0, 0x33).status,
        Status::GOOD
    );
    assert_eq!(keys(&mut r, &a), vec![0x33]);
    assert_eq!(prout(&mut r, &a, REGISTER, 0, 0x33, 0).status, Status::GOOD);
    assert!(keys(&mut r, &a).is_empty());
    let gen = ReadKeys::decode(&prin(&mut r, &a, 0))
        .unwrap()
        .value
        .generation;
    assert_eq!(gen, 3);
}

#[test]
fn bad_pr_fields_and_lengths() {
    let (mut r, a, _) = pair();
    // SPC-5 §6.16.1: PR IN service actions past 03h are reserved.
    let rep = r.run(&[0x5e, 4, 0, 0, 0, 0, 0, 0x10, 0, 0], &[], 4096);
    assert_field(&rep, 1, Some(4));
    // SPC-5 §6.17.3: the basic list is 24 bytes.
    let d = basic(0, 1, false);
    let rep = r.run(&prout_cdb(REGISTER, 0, 20), &d[..20], 20);
    assert_illegal(&rep, AscAscq::PARAMETER_LIST_LENGTH_ERROR);
    prout(&mut r, &a, REGISTER, 0, 0, 1);
    // An undefined TYPE is INVALID FIELD IN CDB.
    let rep = prout(&mut r, &a, RESERVE, 2, 1, 0);
    assert_field(&rep, 2, Some(3));
    // RELEASE with another type is INVALID RELEASE OF PERSISTENT RESERVATION.
    assert_eq!(prout(&mut r, &a, RESERVE, 1, 1, 0).status, Status::GOOD);
    let rep = prout(&mut r, &a, RELEASE, 3, 1, 0);
    assert_illegal(&rep, AscAscq::INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
}

/// The access a second nexus gets under each type, registered or not
/// (SPC-5 §5.14.3).
#[test]
fn access_under_every_type() {
    // (type, unregistered read, unregistered write, registered read, registered write)
    let table = [
        (1u8, true, false, true, false),
        (3, false, false, false, false),
        (5, true, false, true, true),
        (6, false, false, true, true),
        (7, true, false, true, true),
        (8, false, false, true, true),
    ];
    for (t, ur, uw, rr, rw) in table {
        let (mut r, a, b) = pair();
        prout(&mut r, &a, REGISTER, 0, 0, 0xa);
        assert_eq!(prout(&mut r, &a, RESERVE, t, 0xa, 0).status, Status::GOOD);
        let ok = |s: Status| s == Status::GOOD;
        let conflict = |s: Status| s == Status::RESERVATION_CONFLICT;
        let rd = status_of(&mut r, &b, &read10(0, 1), &[]);
        let wr = status_of(&mut r, &b, &write10(0, 1, false), &[0; 512]);
        assert!(if ur { ok(rd) } else { conflict(rd) }, "type {t} read");
        assert!(if uw { ok(wr) } else { conflict(wr) }, "type {t} write");
        // INQUIRY and PR IN always go through.
        assert_eq!(
            status_of(&mut r, &b, &[0x12, 0, 0, 0, 36, 0], &[]),
            Status::GOOD
        );
        prout(&mut r, &b, REGISTER, 0, 0, 0xb);
        let rd = status_of(&mut r, &b, &read10(0, 1), &[]);
        let wr = status_of(&mut r, &b, &write10(0, 1, false), &[0; 512]);
        assert!(if rr { ok(rd) } else { conflict(rd) }, "type {t} reg read");
        assert!(if rw { ok(wr) } else { conflict(wr) }, "type {t} reg write");
        // The holder always has access.
        assert_eq!(
            status_of(&mut r, &a, &write10(0, 1, false), &[0; 512]),
            Status::GOOD
        );
    }
}

/// Unregistering the holder releases every type but the all registrants
/// ones (libiscsi ProutReserve.Ownership*).
#[test]
fn ownership_after_unregister() {
    for t in [1u8, 3, 5, 6, 7, 8] {
        let (mut r, a, b) = pair();
        prout(&mut r, &a, REGISTER_IGNORE, 0, 0, 0x1);
        prout(&mut r, &b, REGISTER_IGNORE, 0, 0, 0x2);
        prout(&mut r, &a, RESERVE, t, 0x1, 0);
        let key = if t >= 7 { 0 } else { 1 };
        assert_eq!(reservation(&mut r, &a), Some((key, t)));
        assert_eq!(prout(&mut r, &a, REGISTER, 0, 0x1, 0).status, Status::GOOD);
        if t >= 7 {
            assert_eq!(reservation(&mut r, &a), Some((0, t)));
            assert_eq!(prout(&mut r, &b, RELEASE, t, 0x2, 0).status, Status::GOOD);
        } else {
            assert_eq!(reservation(&mut r, &a), None);
            // Registrants only types tell the other registrants.
            r.nexus = b.clone();
            let rep = r.run(&[0; 6], &[], 0);
            if t == 5 || t == 6 {
                assert_check(
                    &rep,
                    SenseKey::UNIT_ATTENTION,
                    AscAscq::RESERVATIONS_RELEASED,
                );
            } else {
                assert_eq!(rep.status, Status::GOOD);
            }
        }
        assert_eq!(prout(&mut r, &b, REGISTER, 0, 0x2, 0).status, Status::GOOD);
        assert!(keys(&mut r, &a).is_empty());
    }
}

#[test]
fn clear_and_preempt() {
    let (mut r, a, b) = a_holds(1);
    // B preempts A: A's registration and reservation go, B holds.
    assert_eq!(prout(&mut r, &b, PREEMPT, 3, 0xb, 0xa).status, Status::GOOD);
    assert_eq!(keys(&mut r, &b), vec![0xb]);
    assert_eq!(reservation(&mut r, &b), Some((0xb, 3)));
    r.nexus = a.clone();
    r.expect_ua(AscAscq::REGISTRATIONS_PREEMPTED);
    // A key nobody holds is RESERVATION CONFLICT.
    let rep = prout(&mut r, &b, PREEMPT, 3, 0xb, 0x77);
    assert_eq!(rep.status, Status::RESERVATION_CONFLICT);
    prout(&mut r, &a, REGISTER, 0, 0, 0xa);
    assert_eq!(prout(&mut r, &a, CLEAR, 0, 0xa, 0).status, Status::GOOD);
    assert!(keys(&mut r, &a).is_empty());
    assert_eq!(reservation(&mut r, &a), None);
    r.nexus = b.clone();
    r.expect_ua(AscAscq::RESERVATIONS_PREEMPTED);
}

#[test]
fn preempt_and_abort_ends_the_tasks_of_the_preempted() {
    let (mut r, a, b) = a_holds(5);
    // A write of A in flight.
    r.nexus = a.clone();
    let w = r.command(&write10(0, 1, false), &[1; 512], 512);
    let wtag = w.tag;
    r.disk.submit(w);
    let io: Vec<_> = std::iter::from_fn(|| r.disk.poll_io()).collect();
    assert_eq!(io.len(), 1);
    r.nexus = b.clone();
    let d = basic(0xb, 0xa, false);
    let c = r.command(&prout_cdb(PREEMPT_ABORT, 5, 24), &d, 24);
    let ptag = c.tag;
    r.disk.submit(c);
    let res = io[0].execute(&r.store);
    r.disk.handle_io_complete(io[0].id, res);
    let done = r.drain();
    let w = done.iter().find(|c| c.tag == wtag).unwrap();
    assert!(w.reply.is_none(), "the preempted write is aborted");
    let p = done.iter().find(|c| c.tag == ptag).unwrap();
    assert_eq!(p.status(), Some(Status::GOOD));
    assert_eq!(reservation(&mut r, &b), Some((0xb, 5)));
}

#[test]
fn read_full_status_and_register_and_move() {
    let (mut r, a, b) = pair();
    prout(&mut r, &a, REGISTER, 0, 0, 0xa);
    prout(&mut r, &a, RESERVE, 1, 0xa, 0);
    let fs = ReadFullStatus::decode(&prin(&mut r, &a, 3)).unwrap().value;
    assert_eq!(fs.descriptors.len(), 1);
    let d = &fs.descriptors[0];
    assert!(d.r_holder && d.key == 0xa && d.pr_type == 1);
    assert_eq!(d.relative_target_port, 1);
    assert_eq!(
        d.transport_id,
        TransportId::Iscsi {
            name: "iqn.2024-01.org.rtgt:init0".into(),
            isid: Some("00023d000001".into())
        }
    );
    // Move the reservation to B's nexus, unregistering A.
    let m = PrOutRegisterAndMove {
        key: 0xa,
        service_action_key: 0xb,
        unreg: true,
        aptpl: false,
        relative_target_port: 1,
        reserved: [0; 2],
        transport_id: TransportId::Iscsi {
            name: "iqn.2024-01.org.rtgt:init1".into(),
            isid: Some("00023d000001".into()),
        },
    }
    .encode();
    r.nexus = a.clone();
    let rep = r.run(&prout_cdb(7, 1, m.len() as u32), &m, m.len() as u32);
    assert_eq!(rep.status, Status::GOOD);
    assert_eq!(keys(&mut r, &a), vec![0xb]);
    assert_eq!(reservation(&mut r, &b), Some((0xb, 1)));
    assert_eq!(
        status_of(&mut r, &b, &write10(0, 1, false), &[0; 512]),
        Status::GOOD
    );
}

#[test]
fn aptpl_state_is_handed_out_before_completion() {
    let (mut r, a, _) = pair();
    let d = basic(0, 0x5, true);
    let c = r.command(&prout_cdb(REGISTER, 0, 24), &d, 24);
    r.nexus = a.clone();
    let tag = c.tag;
    r.disk.submit(c);
    assert!(r.disk.poll_completion().is_none(), "waits for the store");
    let p = r.disk.poll_persist().expect("state to persist");
    assert!(p.state.aptpl);
    assert_eq!(p.state.registrants[0].key, 5);
    r.disk
        .handle_io_complete(p.id, Ok(crate::backstore::IoData::Done));
    let c = r.disk.poll_completion().unwrap();
    assert_eq!((c.tag, c.status()), (tag, Some(Status::GOOD)));
    // A new disk restores it.
    let mut fresh = Rig::new();
    fresh.disk.restore_reservations(p.state.clone());
    assert_eq!(keys(&mut fresh, &a), vec![5]);
    assert_eq!(fresh.disk.reservations(), &p.state);
}

#[test]
fn without_persistence_aptpl_is_refused() {
    let mut r = Rig::ready_with(DiskConfig::new(1, "SN0001", BlockSize::B512, 2048).persist(false));
    let n = r.nexus.clone();
    // SPC-5 §6.16.4: PTPL_C zero.
    let caps = prin(&mut r, &n, 2);
    assert_eq!(caps[3] & 0x01, 0);
    // SPC-5 §6.17.3: APTPL one is INVALID FIELD IN PARAMETER LIST.
    for sa in [REGISTER, REGISTER_IGNORE] {
        let d = basic(0, 0x5, true);
        let rep = r.run(&prout_cdb(sa, 0, 24), &d, 24);
        let s = assert_illegal(&rep, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST);
        assert!(s.sks.is_some());
    }
    // APTPL zero registers, and nothing is handed out to store.
    let d = basic(0, 0x5, false);
    r.good(&prout_cdb(REGISTER, 0, 24), &d, 24);
    assert!(r.disk.poll_persist().is_none());
}

#[test]
fn reserve6_between_two_initiators() {
    let (mut r, a, b) = pair();
    let reserve = [0x16, 0, 0, 0, 0, 0];
    let release = [0x17, 0, 0, 0, 0, 0];
    let mode_sense = [0x1a, 0, 0x3f, 0, 255, 0];
    assert_eq!(status_of(&mut r, &a, &reserve, &[]), Status::GOOD);
    assert_eq!(status_of(&mut r, &a, &reserve, &[]), Status::GOOD);
    assert_eq!(
        status_of(&mut r, &b, &reserve, &[]),
        Status::RESERVATION_CONFLICT
    );
    // RELEASE from another nexus is GOOD and changes nothing.
    assert_eq!(status_of(&mut r, &b, &release, &[]), Status::GOOD);
    assert_eq!(status_of(&mut r, &a, &mode_sense, &[]), Status::GOOD);
    assert_eq!(
        status_of(&mut r, &b, &mode_sense, &[]),
        Status::RESERVATION_CONFLICT
    );
    assert_eq!(status_of(&mut r, &a, &release, &[]), Status::GOOD);
    assert_eq!(status_of(&mut r, &b, &reserve, &[]), Status::GOOD);
    // A nexus loss releases it.
    r.disk.nexus_loss(&b);
    assert_eq!(status_of(&mut r, &a, &reserve, &[]), Status::GOOD);
    // A LUN reset too.
    r.disk.lun_reset(&a);
    r.nexus = b.clone();
    let rep = r.run(&[0; 6], &[], 0);
    assert_eq!(rep.status, Status::CHECK_CONDITION);
    assert_eq!(status_of(&mut r, &b, &reserve, &[]), Status::GOOD);
    // SAM-5 §6.3.3: the nexus that asked for the reset has its unit
    // attention too.
    assert_eq!(status_of(&mut r, &a, &[0; 6], &[]), Status::CHECK_CONDITION);
    // RESERVE conflicts while persistent reservations are in use.
    assert_eq!(status_of(&mut r, &b, &release, &[]), Status::GOOD);
    prout(&mut r, &a, REGISTER, 0, 0, 0xa);
    assert_eq!(
        status_of(&mut r, &b, &reserve, &[]),
        Status::RESERVATION_CONFLICT
    );
}

//! Ordering of commands in flight, and task management.

use super::*;

fn submit(r: &mut Rig, cdb: &[u8], out: &[u8], attr: TaskAttribute) -> u64 {
    let mut c = r.command(cdb, out, out.len() as u32);
    c.attr = attr;
    let tag = c.tag;
    r.disk.submit(c);
    tag
}

/// Submits a SIMPLE WRITE (10) of `blocks` blocks of `byte` at `lba`.
fn write(r: &mut Rig, lba: u32, blocks: u16, byte: u8) -> u64 {
    let data = vec![byte; usize::from(blocks) * 512];
    submit(
        r,
        &write10(lba, blocks, false),
        &data,
        TaskAttribute::Simple,
    )
}

fn pending_io(r: &mut Rig) -> Vec<crate::backstore::IoRequest> {
    std::iter::from_fn(|| r.disk.poll_io()).collect()
}

#[test]
fn overlapping_writes_run_one_after_the_other() {
    let mut r = Rig::new();
    write(&mut r, 0, 4, 1);
    write(&mut r, 2, 4, 2);
    write(&mut r, 100, 1, 3);
    submit(&mut r, &read10(3, 1), &[], TaskAttribute::Simple);
    // The first write and the disjoint one go; the second write and the
    // read wait.
    let first = pending_io(&mut r);
    assert_eq!(first.len(), 2);
    for io in first.iter().rev() {
        let res = io.execute(&r.store);
        r.disk.handle_io_complete(io.id, res);
    }
    let second = pending_io(&mut r);
    assert_eq!(second.len(), 1, "the read waits for the second write");
    let res = second[0].execute(&r.store);
    r.disk.handle_io_complete(second[0].id, res);
    r.drain();
    assert_eq!(r.good(&read10(3, 1), &[], 512), &[2; 512][..]);
    assert_eq!(r.disk.tasks_in_flight(), 0);
}

#[test]
fn ordered_waits_for_all_and_head_of_queue_for_none() {
    let mut r = Rig::new();
    write(&mut r, 0, 1, 1);
    let ord = submit(&mut r, &[0; 6], &[], TaskAttribute::Ordered);
    let after = submit(&mut r, &read10(50, 1), &[], TaskAttribute::Simple);
    let hoq = submit(&mut r, &read10(0, 1), &[], TaskAttribute::HeadOfQueue);
    let tags: Vec<u64> = std::iter::from_fn(|| r.disk.poll_completion())
        .map(|c| c.tag)
        .collect();
    assert!(tags.is_empty(), "nothing finished without IO: {tags:?}");
    let io = pending_io(&mut r);
    assert_eq!(io.len(), 2, "the write and the HEAD OF QUEUE read");
    for i in &io {
        let res = i.execute(&r.store);
        r.disk.handle_io_complete(i.id, res);
    }
    let done: Vec<u64> = r.drain().iter().map(|c| c.tag).collect();
    assert_eq!(done[0], ord - 1);
    assert!(done.contains(&hoq));
    assert!(done.contains(&ord) && done.contains(&after));
    assert!(done.iter().position(|&t| t == ord) < done.iter().position(|&t| t == after));
}

#[test]
fn aca_task_without_aca_condition_is_refused() {
    let mut r = Rig::new();
    let tag = submit(&mut r, &[0; 6], &[], TaskAttribute::Aca);
    let done = r.drain();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].tag, tag);
    let reply = done[0].reply.clone().expect("a reply");
    assert_illegal(&reply, AscAscq::INVALID_MESSAGE_ERROR);
    // The ACA task did not stop the task set: a SIMPLE one still runs.
    r.good(&[0; 6], &[], 0);
}

#[test]
fn abort_waiting_and_running_tasks() {
    let mut r = Rig::new();
    let t1 = write(&mut r, 0, 1, 1);
    let t2 = write(&mut r, 0, 1, 2);
    let nexus = r.nexus.clone();
    // The waiting one goes at once, with no response.
    assert!(r.disk.abort_task(&nexus, t2));
    let c = r.disk.poll_completion().unwrap();
    assert_eq!((c.tag, c.reply), (t2, None));
    // The running one completes, still without response, when its IO returns.
    assert!(r.disk.abort_task(&nexus, t1));
    assert!(r.disk.poll_completion().is_none());
    let done = r.drain();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].tag, done[0].reply.is_none()), (t1, true));
    assert!(!r.disk.abort_task(&nexus, t1));
    // Duplicate tags are overlapped commands.
    let t = write(&mut r, 9, 1, 1);
    let mut dup = r.command(&[0; 6], &[], 0);
    dup.tag = t;
    r.disk.submit(dup);
    let c = r.disk.poll_completion().unwrap();
    assert_check(
        &c.reply.unwrap(),
        SenseKey::ABORTED_COMMAND,
        AscAscq::OVERLAPPED_COMMANDS_ATTEMPTED,
    );
    r.drain();
}

#[test]
fn resets_and_nexus_loss_raise_unit_attentions() {
    let mut r = Rig::new();
    let me = r.nexus.clone();
    let other = nexus("init1");
    r.nexus = other.clone();
    r.ready();
    write(&mut r, 0, 1, 1);
    r.nexus = me.clone();
    assert_eq!(r.disk.lun_reset(&me), 1);
    r.drain();
    // SAM-5 §6.3.3: every nexus, the one that asked included.
    r.expect_ua(AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    r.nexus = other.clone();
    r.expect_ua(AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    r.disk.nexus_loss(&other);
    r.expect_ua(AscAscq::I_T_NEXUS_LOSS_OCCURRED);
    write(&mut r, 0, 1, 1);
    r.nexus = me;
    let me = r.nexus.clone();
    assert_eq!(r.disk.clear_task_set(&me), 1);
    r.drain();
    r.nexus = other;
    r.expect_ua(AscAscq::COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
}

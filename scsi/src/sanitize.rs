//! SANITIZE (SBC-4 §5.30): OVERWRITE and, on a thin LU, BLOCK ERASE of the
//! whole medium; EXIT FAILURE MODE. CRYPTOGRAPHIC ERASE is not served (the
//! medium is not encrypted).
//!
//! While a sanitize runs the LU is in the sanitize state (SBC-4 §4.11):
//! every command but INQUIRY, REPORT LUNS and REQUEST SENSE answers NOT
//! READY, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS. The operation is
//! not ended by a task management function or a nexus loss (SBC-4 §4.11.2:
//! it continues through resets): they abort the command, which then runs
//! on detached (see `Disk::abort_where`). Its backstore requests are marked
//! `background`, for a driver to pace. With IMMED the command completes
//! with GOOD once the operation is under way (SBC-4 §5.30.1); REQUEST SENSE
//! then reports the sanitize in progress (without a progress indication).

use crate::backstore::IoOp;
use crate::dispatch::data_out;
use crate::plan::{Access, Plan, TaskKind, Work};
use crate::rw::Blocks;
use crate::sense::{invalid_named, invalid_param, CmdResult};
use crate::unmap::repeat_block;
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, Cdb, Sanitize, SanitizeAction};
use rtgt_proto::scsi::sense::Sense;

/// NOT READY, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS (SBC-4 §4.11).
pub(crate) fn in_progress() -> Sense {
    Sense::new(
        SenseKey::NOT_READY,
        AscAscq::LUN_NOT_READY_SANITIZE_IN_PROGRESS,
    )
}

/// Whether `action` is served on a LU, thin or not (for REPORT SUPPORTED
/// OPERATION CODES too): OVERWRITE and EXIT FAILURE MODE always, BLOCK
/// ERASE on a thin LU (it deallocates).
pub(crate) fn served(action: u8, thin: bool) -> bool {
    match action {
        0x01 | 0x1f => true,
        0x02 => thin,
        _ => false,
    }
}

/// The sanitize state of a logical unit (SBC-4 §4.11): whether a sanitize
/// operation runs.
#[derive(Debug, Default)]
pub(crate) struct SanitizeState {
    running: bool,
}

impl SanitizeState {
    /// True while a sanitize operation runs.
    pub(crate) fn running(&self) -> bool {
        self.running
    }

    /// SBC-4 §4.11.2: while a sanitize runs, every command but INQUIRY,
    /// REPORT LUNS and REQUEST SENSE answers SANITIZE IN PROGRESS.
    pub(crate) fn check(&self, opcode: Option<u8>) -> CmdResult<()> {
        let allowed = matches!(
            opcode,
            Some(op::INQUIRY | op::REPORT_LUNS | op::REQUEST_SENSE)
        );
        if self.running && !allowed {
            return Err(in_progress());
        }
        Ok(())
    }

    /// A checked SANITIZE that starts an operation puts the LU in the
    /// sanitize state; gives `plan` back.
    pub(crate) fn begin(&mut self, plan: Plan) -> Plan {
        if matches!(plan.kind, TaskKind::Sanitize { .. }) {
            self.running = true;
        }
        plan
    }

    /// The operation ended (its task completed or was dropped).
    pub(crate) fn end(&mut self) {
        self.running = false;
    }
}

impl Blocks<'_> {
    /// SBC-4 §5.30.
    pub(crate) fn sanitize(&self, c: &Sanitize, out: &Bytes) -> CmdResult<Plan> {
        let cdb = Cdb::Sanitize(*c);
        let sa = c.service_action.value();
        // SBC-4 §5.30.1: a service action the device server does not
        // support is INVALID FIELD IN CDB.
        if !served(sa, self.cfg.thin) {
            return Err(invalid_named(&cdb, "service_action"));
        }
        let pll = u64::from(c.parameter_list_length);
        let bs = self.cfg.block_bytes();
        match c.service_action {
            // SBC-4 §5.30.2.2: OVERWRITE takes a parameter list of 5 to
            // (logical block length + 4) bytes.
            SanitizeAction::Overwrite if pll < 5 || pll > bs + 4 => {
                return Err(invalid_named(&cdb, "parameter_list_length"));
            }
            SanitizeAction::Overwrite => {}
            // SBC-4 §5.30.2.1: the other service actions take none.
            _ if pll != 0 => return Err(invalid_named(&cdb, "parameter_list_length")),
            // SBC-4 §5.30.2.5: no sanitize failed; nothing to leave.
            SanitizeAction::ExitFailureMode => return Ok(Plan::good()),
            _ => {}
        }
        self.check_writable()?;
        let (size, blocks) = (self.cfg.size_bytes(), self.cfg.blocks);
        let ops = if c.service_action == SanitizeAction::Overwrite {
            let list = data_out(out, pll)?;
            overwrite_ops(&list, bs, size)?
        } else {
            // SBC-4 §5.30.2.3: BLOCK ERASE on a thin LU: every block is
            // deallocated and reads as zero (LBPRZ one).
            vec![IoOp::Deallocate {
                offset: 0,
                len: size,
            }]
        };
        let plan = Plan::io(Work::Writes(ops), Access::write(0, blocks));
        Ok(Plan {
            kind: TaskKind::Sanitize { immediate: c.immed },
            ..plan
        }
        .taking(pll))
    }
}

/// The writes of an OVERWRITE parameter list (SBC-4 §5.30.2.2, table
/// "OVERWRITE service action parameter list"): the INITIALIZATION PATTERN
/// repeated over each block, inverted on the last pass when INVERT is one
/// and the OVERWRITE COUNT even (only the last pass remains on the medium).
fn overwrite_ops(list: &[u8], bs: u64, size: u64) -> CmdResult<Vec<IoOp>> {
    // The caller admits 5 or more bytes (SBC-4 §5.30.2.2, checked against
    // the PARAMETER LIST LENGTH).
    let &[b0, b1, p0, p1, ref pattern @ ..] = list else {
        return Err(invalid_param(0, None));
    };
    let invert = b0 & 0x80 != 0;
    let test = (b0 >> 5) & 0b11;
    let count = b0 & 0x1f;
    // SBC-4 §5.30.2.2: TEST 00b is the only value without vendor meaning;
    // an OVERWRITE COUNT of zero is invalid.
    if test != 0 {
        return Err(invalid_param(0, Some(6)));
    }
    if count == 0 {
        return Err(invalid_param(0, Some(4)));
    }
    if b1 != 0 {
        return Err(invalid_param(1, None));
    }
    let plen = u64::from(u16::from_be_bytes([p0, p1]));
    // SBC-4 §5.30.2.2: INITIALIZATION PATTERN LENGTH from one to the
    // logical block length, and matching the parameter list.
    if plen == 0 || plen > bs || plen + 4 != list.len() as u64 {
        return Err(invalid_param(2, None));
    }
    let pattern: Vec<u8> = pattern
        .iter()
        .map(|&b| if invert && count % 2 == 0 { !b } else { b })
        .collect();
    let block: Vec<u8> = pattern.iter().copied().cycle().take(bs as usize).collect();
    // The sanitized medium is stable when the command completes (FUA).
    Ok(repeat_block(&block, 0, size, true))
}

#[cfg(test)]
mod tests {
    use crate::backstore::IoRequest;
    use crate::config::{BlockSize, DiskConfig};
    use crate::task::{Command, Reply};
    use crate::tests::{assert_check, assert_field, assert_illegal, read10, write10, Rig};
    use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
    use rtgt_proto::scsi::status::Status;

    /// Submits `c`, which is answered before any backstore work; gives
    /// its reply.
    fn answer_now(r: &mut Rig, c: Command) -> Reply {
        let tag = c.tag;
        r.disk.submit(c);
        std::iter::from_fn(|| r.disk.poll_completion())
            .find(|c| c.tag == tag)
            .and_then(|c| c.reply)
            .expect("answered at once")
    }

    /// `cdb` with no Data-Out, answered at once.
    fn now(r: &mut Rig, cdb: &[u8]) -> Reply {
        let c = r.command(cdb, &[], 255);
        answer_now(r, c)
    }

    /// Completes the one request of the OVERWRITE of task `tag`: the
    /// command is not answered again, the LU is ready, and block `lba`
    /// holds `byte`.
    fn finish_overwrite(r: &mut Rig, io: &IoRequest, tag: u64, lba: u32, byte: u8) {
        r.disk.handle_io_complete(io.id, io.execute(&r.store));
        let done = r.drain();
        assert!(done.iter().all(|c| c.tag != tag), "answered once");
        r.good(&[0; 6], &[], 0);
        assert_eq!(r.good(&read10(lba, 1), &[], 512), &[byte; 512][..]);
    }

    /// NOT READY, SANITIZE IN PROGRESS.
    fn assert_sanitizing(rep: &Reply) {
        assert_check(
            rep,
            SenseKey::NOT_READY,
            AscAscq::LUN_NOT_READY_SANITIZE_IN_PROGRESS,
        );
    }

    fn sanitize(sa: u8, len: u16) -> [u8; 10] {
        let mut c = [0u8; 10];
        c[0] = 0x48;
        c[1] = sa;
        c[7..9].copy_from_slice(&len.to_be_bytes());
        c
    }

    fn params(b0: u8, pattern: &[u8]) -> Vec<u8> {
        let mut p = vec![b0, 0];
        p.extend_from_slice(&(pattern.len() as u16).to_be_bytes());
        p.extend_from_slice(pattern);
        p
    }

    #[test]
    fn overwrite_fills_every_block_with_the_pattern() {
        let mut r = Rig::new();
        r.good(&write10(7, 1, false), &[1; 512], 512);
        let p = params(0x01, &[0xaa, 0x55]);
        r.good(&sanitize(0x01, p.len() as u16), &p, p.len() as u32);
        let d = r.good(&read10(2047, 1), &[], 512);
        assert!(d.chunks(2).all(|c| c == [0xaa, 0x55]));
        // INVERT with an even count leaves the inverse.
        let p = params(0x82, &[0x0f]);
        r.good(&sanitize(0x01, p.len() as u16), &p, p.len() as u32);
        assert_eq!(r.good(&read10(7, 1), &[], 512), &[0xf0; 512][..]);
    }

    #[test]
    fn overwrite_field_checks() {
        let mut r = Rig::new();
        // PARAMETER LIST LENGTH 0 to 4, or past the block length + 4.
        for n in 0..5u16 {
            assert_field(
                &r.run(&sanitize(0x01, n), &[1; 8], u32::from(n)),
                7,
                Some(7),
            );
        }
        let p = params(0x01, &[0; 512]);
        assert_field(&r.run(&sanitize(0x01, 517), &[0; 520], 517), 7, Some(7));
        // OVERWRITE COUNT zero, pattern length zero or not the list's.
        for bad in [
            params(0x00, &[0; 512]),
            {
                let mut q = p.clone();
                q[2] = 0;
                q[3] = 0;
                q
            },
            {
                let mut q = p.clone();
                q[2] = 0x02;
                q[3] = 0x04;
                q
            },
        ] {
            let rep = r.run(&sanitize(0x01, bad.len() as u16), &bad, bad.len() as u32);
            assert_illegal(&rep, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST);
        }
    }

    #[test]
    fn block_erase_exit_failure_mode_and_refusals() {
        let mut r = Rig::new();
        r.good(&write10(0, 1, false), &[9; 512], 512);
        r.good(&sanitize(0x02, 0), &[], 0);
        assert_eq!(r.good(&read10(0, 1), &[], 512), &[0; 512][..]);
        // A parameter list with BLOCK ERASE or EXIT FAILURE MODE.
        assert_field(&r.run(&sanitize(0x02, 8), &[0; 8], 8), 7, Some(7));
        assert_field(&r.run(&sanitize(0x1f, 8), &[0; 8], 8), 7, Some(7));
        r.good(&sanitize(0x1f, 0), &[], 0);
        // CRYPTOGRAPHIC ERASE is not served; reserved service actions.
        assert_field(&r.run(&sanitize(0x03, 0), &[], 0), 1, Some(4));
        let rep = r.run(&sanitize(0x04, 0), &[], 0);
        assert_illegal(&rep, AscAscq::INVALID_FIELD_IN_CDB);
        // BLOCK ERASE needs a thin LU.
        let mut thick = Rig::ready_with(DiskConfig::new(2, "T", BlockSize::B512, 64));
        assert_field(&thick.run(&sanitize(0x02, 0), &[], 0), 1, Some(4));
        let mut ro = Rig::ready_with(DiskConfig::new(2, "T", BlockSize::B512, 64).read_only(true));
        let p = params(0x01, &[1]);
        let rep = ro.run(&sanitize(0x01, 5), &p, 5);
        assert_check(&rep, SenseKey::DATA_PROTECT, AscAscq::WRITE_PROTECTED);
    }

    #[test]
    fn other_commands_wait_out_the_sanitize_with_not_ready() {
        let mut r = Rig::new();
        let p = params(0x01, &[0xee]);
        let c = r.command(&sanitize(0x01, 5), &p, 5);
        let sanitize_tag = c.tag;
        r.disk.submit(c);
        // Nothing ran yet: the LU is sanitizing.
        let rep = now(&mut r, &[0; 6]);
        assert_sanitizing(&rep);
        let rep = now(&mut r, &[0x12, 0, 0, 0, 36, 0]);
        assert_eq!(rep.status, Status::GOOD);
        // REQUEST SENSE is served and reports the sanitize.
        let rep = now(&mut r, &[0x03, 0, 0, 0, 18, 0]);
        let d = &rep.data_in;
        assert_eq!((d[2] & 0x0f, d[12], d[13]), (0x02, 0x04, 0x1b));
        // Its requests run in the background of the LU.
        let io = r.disk.poll_io().expect("the overwrite is under way");
        assert!(io.background);
        // A LUN reset aborts the command (no reply, at once) but not the
        // operation (its unit attention comes first).
        let n = r.nexus.clone();
        assert_eq!(r.disk.lun_reset(&n), 1);
        let aborted: Vec<_> = std::iter::from_fn(|| r.disk.poll_completion()).collect();
        assert!(matches!(&aborted[..], [c] if c.tag == sanitize_tag && c.reply.is_none()));
        let rep = now(&mut r, &[0; 6]);
        assert_check(
            &rep,
            SenseKey::UNIT_ATTENTION,
            AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED,
        );
        let rep = now(&mut r, &[0; 6]);
        assert_sanitizing(&rep);
        // The tag of the aborted command is free again.
        let mut c = r.command(&[0x12, 0, 0, 0, 36, 0], &[], 255);
        c.tag = sanitize_tag;
        let reused = answer_now(&mut r, c);
        assert_eq!(reused.status, Status::GOOD);
        let rep = now(&mut r, &[0; 6]);
        assert_sanitizing(&rep);
        finish_overwrite(&mut r, &io, sanitize_tag, 100, 0xee);
    }

    #[test]
    fn immed_answers_once_the_overwrite_is_under_way() {
        let mut r = Rig::new();
        let p = params(0x01, &[0x5a]);
        let mut cdb = sanitize(0x01, 5);
        cdb[1] |= 0x80;
        let c = r.command(&cdb, &p, 5);
        let tag = c.tag;
        r.disk.submit(c);
        let io = r.disk.poll_io().expect("the overwrite is under way");
        let done = r
            .disk
            .poll_completion()
            .expect("answered before the medium is done");
        assert_eq!(done.tag, tag);
        let good = done.reply.expect("a reply");
        assert_eq!(good.status, Status::GOOD);
        let c = r.command(&[0; 6], &[], 0);
        let tur = answer_now(&mut r, c);
        assert_sanitizing(&tur);
        finish_overwrite(&mut r, &io, tag, 7, 0x5a);
    }
}

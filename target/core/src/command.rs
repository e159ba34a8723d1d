//! SCSI Command intake (RFC 7143 §11.3): immediate data, the unsolicited
//! data rules (InitialR2T, ImmediateData, FirstBurstLength), and handing
//! complete commands to the logical unit.

use bytes::{Bytes, BytesMut};
use rtgt_proto::pdu::{self, RawPdu, RejectReason, ScsiCommand, ITT_RESERVED};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::sense::Sense;
use rtgt_scsi::{Command, TaskAttribute};
use std::collections::BTreeMap;

use super::conn::ConnTable;
use super::data_in::Outcome;
use super::events::ConnId;
use super::session::Session;
use super::session::SessionTable;
use super::tasks::{Task, TaskPhase};
use super::TargetCore;
use crate::TargetId;

/// RFC 7143 §11.4.7.2: iSCSI conditions reported as CHECK CONDITION with
/// ABORTED COMMAND.
pub(crate) mod condition {
    use rtgt_proto::scsi::asc::AscAscq;
    /// Unexpected unsolicited data (0Ch/0Ch).
    pub const UNEXPECTED_UNSOLICITED_DATA: AscAscq = AscAscq::new(0x0c, 0x0c);
    /// Incorrect amount of data (0Ch/0Dh).
    pub const INCORRECT_AMOUNT_OF_DATA: AscAscq = AscAscq::new(0x0c, 0x0d);
    /// Protocol service CRC error (47h/05h).
    pub const PROTOCOL_SERVICE_CRC_ERROR: AscAscq = AscAscq::new(0x47, 0x05);
}

fn attribute(a: pdu::TaskAttribute) -> TaskAttribute {
    match a {
        pdu::TaskAttribute::Untagged => TaskAttribute::Untagged,
        pdu::TaskAttribute::Ordered => TaskAttribute::Ordered,
        pdu::TaskAttribute::HeadOfQueue => TaskAttribute::HeadOfQueue,
        pdu::TaskAttribute::Aca => TaskAttribute::Aca,
        // SAM-5 §8.6: reserved values are taken as SIMPLE.
        _ => TaskAttribute::Simple,
    }
}

impl TargetCore {
    /// A SCSI Command the window let through.
    pub(crate) fn on_scsi_command(&mut self, conn: ConnId, cmd: ScsiCommand, raw: &RawPdu) {
        let Some(serial) = self.tables.conns.session_of(conn) else {
            return;
        };
        let Some(s) = self.tables.sessions.get(&serial) else {
            return;
        };
        if s.target.is_none() {
            // RFC 7143 §13.21: a discovery session carries only Text,
            // NOP and Logout; a SCSI command is a protocol error.
            self.tables.reject(conn, raw, RejectReason::ProtocolError);
            return;
        }
        // RFC 7143 §11.2.1.8 (ITT): 0xffffffff is reserved, and a tag names
        // one task of the session.
        if cmd.itt == ITT_RESERVED || s.tasks.contains(cmd.itt) {
            self.tables.events.peer_error(
                conn,
                self.tables.conns.peer_of(conn),
                format!("ITT {:#x} reserved or in use", cmd.itt),
            );
            self.tables.reject(conn, raw, RejectReason::ProtocolError);
            return;
        }
        if s.tasks.len() >= self.cfg.limits.max_outstanding_commands {
            let peer = self.tables.conns.peer_of(conn);
            self.tables.events.push_back(super::Event::LimitExceeded {
                conn,
                peer,
                limit: "outstanding commands",
            });
            // RFC 7143 §11.17.1 reason 0x06 for an immediate command the
            // target cannot queue; a numbered one gets TASK SET FULL
            // (SAM-5 §5.3.1).
            if cmd.immediate {
                self.tables
                    .reject(conn, raw, RejectReason::ImmediateCommandReject);
            } else {
                self.tables.conns.send_plain_status(
                    &mut self.tables.sessions,
                    conn,
                    cmd.itt,
                    pdu::ScsiStatus::TaskSetFull,
                );
            }
            return;
        }
        let params = s.params;
        let edtl = cmd.expected_data_transfer_length;
        let imm = cmd.data.len() as u32;
        let first_burst = params.first_burst_length.min(edtl);
        let unsolicited_follows = cmd.write && !cmd.final_bit;
        let refused = if imm > 0 && !(cmd.write && params.immediate_data) {
            // RFC 7143 §13.11 and §11.4.7.2: data with a command when
            // ImmediateData=No (or with a command that writes nothing) is
            // unexpected unsolicited data.
            Some(condition::UNEXPECTED_UNSOLICITED_DATA)
        } else if imm > first_burst {
            // RFC 7143 §13.14 and §11.4.7.2: more unsolicited data than
            // FirstBurstLength (or than the transfer) is an incorrect
            // amount of data.
            Some(condition::INCORRECT_AMOUNT_OF_DATA)
        } else if unsolicited_follows && params.initial_r2t {
            // RFC 7143 §13.10: with InitialR2T=Yes no Data-Out may precede
            // the first R2T; F=0 announces some (§11.3.1).
            Some(condition::UNEXPECTED_UNSOLICITED_DATA)
        } else {
            None
        };
        if let Some(asc) = refused {
            self.tables
                .conns
                .fail_command(&mut self.tables.sessions, conn, cmd.itt, asc);
            return;
        }
        let unsol_end = if unsolicited_follows {
            first_burst.max(imm)
        } else {
            imm
        };
        let task = Task {
            conn,
            lun: cmd.lun,
            immediate: cmd.immediate,
            cdb: Bytes::from(cmd.full_cdb()),
            attr: attribute(cmd.attr),
            edtl,
            write: cmd.write,
            data: write_buffer(edtl, cmd.write, &cmd.data),
            unsol_end,
            unsol_data_sn: 0,
            r2ts: BTreeMap::new(),
            next_r2t_offset: unsol_end,
            r2t_sn: 0,
            crc_error: false,
            phase: TaskPhase::Collecting,
            seq: 0,
        };
        if let Some(s) = self.tables.sessions.get_mut(&serial) {
            s.tasks.insert(cmd.itt, task);
        }
        self.advance_write(serial, cmd.itt);
    }

    /// Moves a task on once data arrived: more R2Ts, or the command to the
    /// logical unit once all its data is in.
    pub(crate) fn advance_write(&mut self, serial: u64, itt: u32) {
        let Some(t) = self
            .tables
            .sessions
            .get(&serial)
            .and_then(|s| s.tasks.get(itt))
        else {
            return;
        };
        if t.phase == TaskPhase::Draining {
            if t.r2ts.is_empty() {
                // Aborted while draining: its R2Ts are answered, it ends
                // without a response and the function waiting for it may
                // answer (RFC 7143 §4.2.3.3).
                let target = self.tables.sessions.get_mut(&serial).and_then(|s| {
                    let target = s.target?;
                    s.tasks.remove(itt);
                    Some(target)
                });
                if let Some(target) = target {
                    self.tables
                        .tmf_task_done(target, None, Session::tag(serial, itt));
                }
            }
            return;
        }
        let all_in = !t.write || t.received() >= t.edtl;
        // Test only: with `broken-r2t`, the first solicited burst counts as
        // all the data: the write runs (and is acknowledged) short.
        let all_in = all_in
            || cfg!(feature = "broken-r2t")
                && rtgt_proto::mutant::on("broken-r2t")
                && t.received() > t.unsol_end;
        let unsol_open = t.received() < t.unsol_end;
        if all_in && t.r2ts.is_empty() {
            if t.crc_error {
                // RFC 7143 §7.8: once all data is in, a task that lost a
                // Data-Out to a digest error ends with CHECK CONDITION,
                // PROTOCOL SERVICE CRC ERROR.
                let conn = t.conn;
                if let Some(s) = self.tables.sessions.get_mut(&serial) {
                    s.tasks.remove(itt);
                }
                self.tables.conns.fail_command(
                    &mut self.tables.sessions,
                    conn,
                    itt,
                    condition::PROTOCOL_SERVICE_CRC_ERROR,
                );
                self.release_held(serial);
            } else {
                self.submit_in_order(serial, itt);
            }
        } else if !unsol_open {
            self.tables
                .conns
                .issue_r2ts(&mut self.tables.sessions, serial, itt);
        }
    }

    /// Hands task `itt`, all its data in, to its logical unit unless the
    /// order of task attributes holds it back (SAM-5 §8.6,
    /// [`crate::tasks::TaskTable::order_blocks`]); then every held task of
    /// the session that no longer waits, in order of arrival.
    fn submit_in_order(&mut self, serial: u64, itt: u32) {
        let blocked = self
            .tables
            .sessions
            .get(&serial)
            .is_none_or(|s| s.tasks.order_blocks(itt));
        if !blocked {
            self.submit_now(serial, itt);
        }
        self.release_held(serial);
    }

    /// Submits the session's held tasks that no longer wait (after a task
    /// reached its logical unit or ended before it), in order of arrival.
    pub(crate) fn release_held(&mut self, serial: u64) {
        // Bounded: each round submits one task of the session.
        for _ in 0..=self.cfg.limits.max_outstanding_commands {
            let Some(next) = self
                .tables
                .sessions
                .get(&serial)
                .and_then(|s| s.tasks.first_released())
            else {
                return;
            };
            self.submit_now(serial, next);
        }
    }

    /// Hands the complete command to its logical unit.
    fn submit_now(&mut self, serial: u64, itt: u32) {
        let next = self
            .tables
            .sessions
            .get_mut(&serial)
            .and_then(|s| s.submit(serial, itt));
        if let Some((tg, cmd)) = next.and_then(|(i, cmd)| Some((self.tables.reg.get_mut(i)?, cmd)))
        {
            tg.luns.submit(cmd);
        }
    }
}

impl Session {
    /// Task `itt`, all its data in, goes to its logical unit: the command
    /// for the disk, and the target it is for.
    fn submit(&mut self, serial: u64, itt: u32) -> Option<(TargetId, Command)> {
        let nexus = self.nexus.clone();
        let target = self.target;
        let t = self.tasks.get_mut(itt)?;
        t.phase = TaskPhase::Submitted;
        let cmd = Command {
            nexus,
            tag: Session::tag(serial, itt),
            attr: t.attr,
            lun: rtgt_proto::scsi::params::Lun(t.lun.0),
            cdb: t.cdb.clone(),
            data_out: std::mem::take(&mut t.data).freeze(),
            expected_len: t.edtl,
        };
        Some((target?, cmd))
    }
}

impl ConnTable {
    /// Ends a command with CHECK CONDITION, ABORTED COMMAND and an iSCSI
    /// condition (RFC 7143 §11.4.7.2).
    pub fn fail_command(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        itt: u32,
        asc: AscAscq,
    ) {
        let sense = Sense::new(SenseKey::ABORTED_COMMAND, asc).encode();
        self.send_response(
            sessions,
            conn,
            itt,
            Outcome {
                status: pdu::ScsiStatus::CheckCondition,
                sense: &sense,
                residual: rtgt_scsi::Residual::None,
            },
            0,
        );
    }

    /// A status without sense or data (TASK SET FULL, BUSY).
    fn send_plain_status(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        itt: u32,
        status: pdu::ScsiStatus,
    ) {
        self.send_response(
            sessions,
            conn,
            itt,
            Outcome {
                status,
                sense: &[],
                residual: rtgt_scsi::Residual::None,
            },
            0,
        );
    }
}

/// The most a write's buffer takes before its data arrives: enough for the
/// usual transfers in one allocation (no copy as Data-Out PDUs come in),
/// without letting a peer make the target hold memory for data it claims
/// it will send.
const WRITE_RESERVE_MAX: u32 = 1 << 20;

/// The buffer that collects a command's data, holding its immediate data:
/// sized for the whole transfer (up to [`WRITE_RESERVE_MAX`]) when it
/// writes.
fn write_buffer(edtl: u32, write: bool, immediate: &[u8]) -> BytesMut {
    let want = if write {
        edtl.min(WRITE_RESERVE_MAX)
    } else {
        0
    };
    let mut data = BytesMut::with_capacity((want as usize).max(immediate.len()));
    data.extend_from_slice(immediate);
    data
}

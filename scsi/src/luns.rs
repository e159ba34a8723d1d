//! The LUNs of a target: [`LunMap`] routes commands to its disks, answers
//! REPORT LUNS (SPC-5 §6.33) and answers for LUNs that have no disk.

use crate::backstore::{BackstoreError, IoData, IoId, IoRequest};
use crate::device::{make_reply, Disk};
use crate::dispatch::{cdb_error, common_checks};
use crate::inquiry::inquiry_no_lu;
use crate::plan::{cut, Plan, Work};
use crate::sense::{invalid_named, lun_not_supported, CmdResult};
use crate::task::{Command, Completion, Nexus};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{op, select_report, Cdb, ReportLuns as ReportLunsCdb};
use rtgt_proto::scsi::params::{Lun, ReportLuns};
use std::collections::{BTreeMap, VecDeque};

/// REPORT LUNS over `luns` (SPC-5 §6.33).
pub(crate) fn report_luns(luns: &[Lun], c: &ReportLunsCdb) -> CmdResult<Plan> {
    let cdb = Cdb::ReportLuns(*c);
    // SPC-5 §6.33: an ALLOCATION LENGTH below 16 is INVALID FIELD IN CDB.
    if c.allocation_length < 16 {
        return Err(invalid_named(&cdb, "allocation_length"));
    }
    let list = match c.select_report {
        select_report::LOGICAL_UNITS | select_report::ALL => luns.to_vec(),
        // SPC-5 §6.33, SELECT REPORT table: rtgt has no well-known and no
        // administrative logical units, so these lists are empty.
        select_report::WELL_KNOWN
        | select_report::ADMINISTRATIVE
        | select_report::SUBSIDIARY_OF_ADMINISTRATIVE
        | select_report::SUBSIDIARY_OF_GIVEN => Vec::new(),
        // SPC-5 §6.33: other values are reserved.
        _ => return Err(invalid_named(&cdb, "select_report")),
    };
    let data = ReportLuns {
        luns: list,
        reserved: 0,
    }
    .encode();
    Ok(Plan::data(cut(data, c.allocation_length.into())))
}

/// The disks of a target, by LUN number (peripheral addressing below 256,
/// flat space above, SAM-5 §4.7).
#[derive(Debug, Default)]
pub struct LunMap {
    disks: BTreeMap<u16, Disk>,
    /// The target port groups every disk is given (SPC-5, asymmetric
    /// logical unit access).
    alua: crate::alua::Alua,
    done: VecDeque<Completion>,
}

impl LunMap {
    /// No LUN.
    pub fn new() -> Self {
        LunMap::default()
    }

    /// Adds or replaces a LUN. The other LUNs' nexuses get REPORTED LUNS
    /// DATA HAS CHANGED (SPC-5 §6.33, SAM-5 §5.14).
    pub fn insert(&mut self, lun: u16, mut disk: Disk) -> Option<Disk> {
        self.inventory_changed();
        disk.lu.alua = self.alua.clone();
        self.disks.insert(lun, disk)
    }

    /// Gives every disk, and those inserted from now on, these target
    /// port groups ([`Disk::set_alua`]: a change of state raises
    /// ASYMMETRIC ACCESS STATE CHANGED).
    pub fn set_alua(&mut self, alua: crate::alua::Alua) {
        for d in self.disks.values_mut() {
            d.set_alua(alua.clone());
        }
        self.alua = alua;
    }

    /// Removes a LUN (with its tasks: the driver aborts them first).
    pub fn remove(&mut self, lun: u16) -> Option<Disk> {
        let d = self.disks.remove(&lun);
        if d.is_some() {
            self.inventory_changed();
        }
        d
    }

    /// Makes every disk know `nexus`, so that the conditions established
    /// from now on reach it before its first command to that disk (which
    /// still reports POWER ON, RESET, OR BUS DEVICE RESET OCCURRED first,
    /// SAM-5 §5.14).
    pub fn register(&mut self, nexus: &Nexus) {
        for d in self.disks.values_mut() {
            d.lu.ua.touch(nexus);
        }
    }

    fn inventory_changed(&mut self) {
        for d in self.disks.values_mut() {
            d.lu.ua
                .establish(None, AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED);
        }
    }

    /// The disk at `lun`.
    pub fn disk(&self, lun: u16) -> Option<&Disk> {
        self.disks.get(&lun)
    }

    /// The disk at `lun`, to abort or reset its tasks.
    pub fn disk_mut(&mut self, lun: u16) -> Option<&mut Disk> {
        self.disks.get_mut(&lun)
    }

    /// The LUNs, ascending, as REPORT LUNS gives them.
    pub fn luns(&self) -> Vec<Lun> {
        self.disks.keys().map(|&n| Lun::from_index(n)).collect()
    }

    /// Routes a command to its disk, or answers it here: REPORT LUNS for
    /// any LUN, and the answers for a LUN without a disk (SPC-5 §6.7.2
    /// INQUIRY with qualifier 011b, §6.39 REQUEST SENSE, otherwise LOGICAL
    /// UNIT NOT SUPPORTED).
    pub fn submit(&mut self, cmd: Command) {
        let n = cmd.lun.index();
        let opcode = cmd.cdb.first().copied();
        if opcode == Some(op::REPORT_LUNS) {
            if let Some(d) = n.and_then(|n| self.disks.get_mut(&n)) {
                // SPC-5 §6.33: REPORT LUNS clears this unit attention.
                d.lu.ua
                    .clear(&cmd.nexus, AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED);
            }
            let luns = self.luns();
            let r = Self::decode(&cmd).and_then(|c| match c {
                Cdb::ReportLuns(c) => report_luns(&luns, &c),
                _ => Err(crate::sense::invalid_opcode()),
            });
            self.answer(cmd, r);
            return;
        }
        if opcode == Some(op::EXTENDED_COPY) {
            if let Some(n) = n {
                self.show_peers(n);
            }
        }
        match n.and_then(|n| self.disks.get_mut(&n)) {
            Some(d) => d.submit(cmd),
            None => {
                let r = Self::decode(&cmd).and_then(|c| match c {
                    Cdb::Inquiry(c) => inquiry_no_lu("RTGT", &c),
                    // SPC-5 §6.39: REQUEST SENSE to a LUN without a logical
                    // unit returns LOGICAL UNIT NOT SUPPORTED as its data,
                    // with GOOD status.
                    Cdb::RequestSense(c) => Ok(Plan::data(cut(
                        lun_not_supported().encode_for(c.desc),
                        c.allocation_length.into(),
                    ))),
                    _ => Err(lun_not_supported()),
                });
                self.answer(cmd, r);
            }
        }
    }

    /// Gives the disk at `lun` the current state of the target's other
    /// LUNs, which an EXTENDED COPY it receives may read or write.
    fn show_peers(&mut self, lun: u16) {
        let peers = self
            .disks
            .iter()
            .filter(|(&n, _)| n != lun)
            .map(|(&n, d)| d.lu.as_peer(Some(n)))
            .collect();
        if let Some(d) = self.disks.get_mut(&lun) {
            d.lu.copies.peers = peers;
        }
    }

    fn decode(cmd: &Command) -> CmdResult<Cdb> {
        let cdb = Cdb::decode(&cmd.cdb).map_err(cdb_error)?;
        common_checks(&cdb)?;
        Ok(cdb)
    }

    fn answer(&mut self, cmd: Command, r: CmdResult<Plan>) {
        let r = r.map(|p| match p.work {
            Work::Ready(d) => d,
            _ => bytes::Bytes::new(),
        });
        self.done.push_back(Completion {
            reply: Some(make_reply(r, 0, cmd.expected_len, false)),
            nexus: cmd.nexus,
            tag: cmd.tag,
            lun: cmd.lun,
        });
    }

    /// The next backstore request of any disk, with its LUN; disks are
    /// polled in LUN order.
    pub fn poll_io(&mut self) -> Option<(u16, IoRequest)> {
        self.disks
            .iter_mut()
            .find_map(|(&n, d)| d.poll_io().map(|io| (n, io)))
    }

    /// The next reservation state to store (APTPL) of any disk, with its
    /// LUN; completes through [`LunMap::handle_io_complete`].
    pub fn poll_persist(&mut self) -> Option<(u16, crate::device::PersistRequest)> {
        self.disks
            .iter_mut()
            .find_map(|(&n, d)| d.poll_persist().map(|p| (n, p)))
    }

    /// A request of the disk at `lun` finished.
    pub fn handle_io_complete(
        &mut self,
        lun: u16,
        id: IoId,
        result: Result<IoData, BackstoreError>,
    ) -> bool {
        self.disks
            .get_mut(&lun)
            .is_some_and(|d| d.handle_io_complete(id, result))
    }

    /// The next completion: answers given here first, then the disks' in
    /// LUN order.
    pub fn poll_completion(&mut self) -> Option<Completion> {
        self.done
            .pop_front()
            .or_else(|| self.disks.values_mut().find_map(|d| d.poll_completion()))
    }
}

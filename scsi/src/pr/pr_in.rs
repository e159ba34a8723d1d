//! PERSISTENT RESERVE IN (SPC-5 §6.16): READ KEYS, READ RESERVATION,
//! REPORT CAPABILITIES, READ FULL STATUS.

use super::{all_registrants, Reservations};
use crate::plan::{cut, Plan};
use crate::sense::{invalid_named, CmdResult};
use rtgt_proto::scsi::cdb::{pr_type, Cdb, PersistentReserveIn, PrInAction};
use rtgt_proto::scsi::params::pr_in::{
    FullStatusDescriptor, ReadFullStatus, ReadKeys, ReadReservation, ReportCapabilities,
    Reservation,
};

/// PERSISTENT RESERVATION TYPE MASK bits (SPC-5 §6.16.4): every type.
const TYPE_MASK_ALL: u16 = 0x8000 | 0x4000 | 0x2000 | 0x0800 | 0x0200 | 0x0001;

impl Reservations {
    /// PERSISTENT RESERVE IN; `persist` says whether APTPL is offered
    /// (PTPL_C).
    pub(crate) fn persistent_reserve_in(
        &self,
        c: &PersistentReserveIn,
        persist: bool,
    ) -> CmdResult<Plan> {
        let pr = &self.pr;
        let data = match c.service_action {
            // SPC-5 §6.16.2: every registered key, one per registration.
            PrInAction::ReadKeys => ReadKeys {
                generation: pr.generation,
                keys: pr.registrants.iter().map(|r| r.key).collect(),
            }
            .encode(),
            // SPC-5 §6.16.3: the reservation, if any; its key is zero for
            // the all registrants types.
            PrInAction::ReadReservation => ReadReservation {
                generation: pr.generation,
                reservation: pr.reservation.as_ref().map(|r| Reservation {
                    key: pr.reservation_key(),
                    obsolete: 0,
                    scope: pr_type::LU_SCOPE,
                    pr_type: r.pr_type,
                }),
            }
            .encode(),
            // SPC-5 §6.16.4: compatible reservation handling (CRH), SPEC_I_PT,
            // ALL_TG_PT and (when the driver stores it) APTPL supported,
            // every type, task mask valid.
            PrInAction::ReportCapabilities => ReportCapabilities {
                crh: true,
                sip_c: true,
                atp_c: true,
                ptpl_c: persist,
                tmv: true,
                // SPC-5 §6.16.4 ALLOW COMMANDS 000b: no statement beyond the
                // reservation tables.
                allow_commands: 0,
                ptpl_a: pr.aptpl,
                type_mask: TYPE_MASK_ALL,
                ..ReportCapabilities::default()
            }
            .encode()
            .to_vec(),
            // SPC-5 §6.16.5: one descriptor per registration, R_HOLDER set
            // for the holders.
            PrInAction::ReadFullStatus => {
                let res = pr.reservation.as_ref();
                let descriptors = pr
                    .registrants
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let holder = res.is_some_and(|res| {
                            all_registrants(res.pr_type) || res.holder == Some(i)
                        });
                        FullStatusDescriptor {
                            key: r.key,
                            all_tg_pt: r.target_port.is_none(),
                            r_holder: holder,
                            scope: pr_type::LU_SCOPE,
                            pr_type: if holder {
                                res.map_or(0, |r| r.pr_type)
                            } else {
                                0
                            },
                            relative_target_port: r.target_port.unwrap_or(0),
                            transport_id: r.initiator.transport_id(),
                        }
                    })
                    .collect();
                ReadFullStatus {
                    generation: pr.generation,
                    descriptors,
                }
                .encode()
            }
            // SPC-5 §6.16.1: other service actions are reserved.
            PrInAction::Reserved(_) => {
                return Err(invalid_named(
                    &Cdb::PersistentReserveIn(*c),
                    "service_action",
                ))
            }
        };
        // SPC-5 §6.16.1: cut to the ALLOCATION LENGTH.
        Ok(Plan::data(cut(data, c.allocation_length.into())))
    }
}

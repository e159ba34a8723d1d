//! PERSISTENT RESERVE OUT (SPC-5 §6.17, §5.14.7-§5.14.11).

use super::{
    all_registrants, registrants_type, valid_type, PrInitiator, PrReservation, PrState, Registrant,
    Reservations, MAX_REGISTRANTS,
};
use crate::dispatch::{data_out, short_data_out};
use crate::plan::{Plan, Work};
use crate::sense::ua::UnitAttentions;
use crate::sense::{invalid_named, invalid_param, parameter_list_length, CmdResult};
use crate::task::Nexus;
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Cdb, PersistentReserveOut, PrOutAction};
use rtgt_proto::scsi::params::{PrOutBasic, PrOutRegisterAndMove};
use rtgt_proto::scsi::sense::Sense;

/// ILLEGAL REQUEST, INSUFFICIENT REGISTRATION RESOURCES (SPC-5 §5.14.7).
fn no_registration_room() -> Sense {
    Sense::new(
        SenseKey::ILLEGAL_REQUEST,
        AscAscq::INSUFFICIENT_REGISTRATION_RESOURCES,
    )
}

/// A PREEMPT or PREEMPT AND ABORT (`action`): the registration `me` of
/// the sending nexus, the new reservation TYPE and the SERVICE ACTION
/// RESERVATION KEY preempted.
#[derive(Debug, Clone, Copy)]
struct Preempt {
    action: PrOutAction,
    me: usize,
    pr_type: u8,
    key: u64,
}

impl PrState {
    /// Keeps the registrations `keep` selects; gives the removed ones. The
    /// holder index follows; a removed holder releases the reservation, and
    /// an all registrants reservation goes with the last registration.
    fn retain(&mut self, keep: impl Fn(usize, &Registrant) -> bool) -> Vec<Registrant> {
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        let mut new_holder = None;
        let holder = self.reservation.as_ref().and_then(|r| r.holder);
        for (i, r) in std::mem::take(&mut self.registrants)
            .into_iter()
            .enumerate()
        {
            if keep(i, &r) {
                if holder == Some(i) {
                    new_holder = Some(kept.len());
                }
                kept.push(r);
            } else {
                removed.push(r);
            }
        }
        self.registrants = kept;
        if let Some(res) = &mut self.reservation {
            if all_registrants(res.pr_type) {
                if self.registrants.is_empty() {
                    self.reservation = None;
                }
            } else if new_holder.is_none() {
                self.reservation = None;
            } else {
                res.holder = new_holder;
            }
        }
        removed
    }

    fn bump(&mut self) {
        // SPC-5 §6.16.2: PRGENERATION counts REGISTER, CLEAR, PREEMPT and
        // REGISTER AND MOVE, wrapping.
        self.generation = self.generation.wrapping_add(1);
    }
}

/// Establishes `code` in `ua` for every nexus the registrations in `regs`
/// name, except `me`.
fn tell(ua: &mut UnitAttentions, me: &Nexus, regs: &[Registrant], code: AscAscq) {
    ua.establish_matching(me, |n| regs.iter().any(|r| r.matches(n)), code);
}

impl Reservations {
    /// PERSISTENT RESERVE OUT from `nexus`; `persist` says whether APTPL
    /// is offered (PTPL_C), and the changes others learn of go to `ua`.
    pub(crate) fn persistent_reserve_out(
        &mut self,
        nexus: &Nexus,
        c: &PersistentReserveOut,
        out: &Bytes,
        persist: bool,
        ua: &mut UnitAttentions,
    ) -> CmdResult<Plan> {
        let cdb = Cdb::PersistentReserveOut(*c);
        let pll = u64::from(c.parameter_list_length);
        let needs_type = matches!(
            c.service_action,
            PrOutAction::Reserve
                | PrOutAction::Release
                | PrOutAction::Preempt
                | PrOutAction::PreemptAndAbort
        );
        match c.service_action {
            // SPC-5 §6.17.1: REPLACE LOST RESERVATION needs the lost
            // reservation feature rtgt does not have; the rest is reserved.
            PrOutAction::Reserved(_) | PrOutAction::ReplaceLostReservation => {
                return Err(invalid_named(&cdb, "service_action"))
            }
            _ if needs_type && c.scope != 0 => return Err(invalid_named(&cdb, "scope")),
            _ if needs_type && !valid_type(c.pr_type) => {
                return Err(invalid_named(&cdb, "pr_type"))
            }
            _ => {}
        }
        // SPC-5 §6.17.3, §6.17.4: at least the 24 bytes of the basic list.
        if pll < 24 {
            return Err(parameter_list_length());
        }
        let data = data_out(out, pll).map_err(|_| short_data_out())?;
        let before = self.pr.clone();
        let plan = if c.service_action == PrOutAction::RegisterAndMove {
            let p = PrOutRegisterAndMove::decode(&data).map_err(|_| parameter_list_length())?;
            // SPC-5 §6.17.4: APTPL one without PTPL_C.
            if p.aptpl && !persist {
                return Err(invalid_param(17, Some(0)));
            }
            self.register_and_move(nexus, &p)?
        } else {
            let p = PrOutBasic::decode(&data).map_err(|_| parameter_list_length())?;
            // SPC-5 §6.17.3: without SPEC_I_PT the list is exactly 24 bytes.
            if !p.spec_i_pt && pll != 24 {
                return Err(parameter_list_length());
            }
            // SPC-5 §6.17.3: APTPL one in a registration when persist through
            // power loss is not offered (PTPL_C zero).
            let registers = matches!(
                c.service_action,
                PrOutAction::Register | PrOutAction::RegisterAndIgnoreExistingKey
            );
            if registers && p.aptpl && !persist {
                return Err(invalid_param(20, Some(0)));
            }
            self.basic(nexus, c, &p, ua)?
        };
        // SPC-5 §5.14.5: with APTPL the state goes to non-volatile storage
        // before the command completes (and once more when APTPL clears).
        if self.pr != before
            && (before.aptpl || self.pr.aptpl)
            && plan.work == Work::Ready(Bytes::new())
        {
            return Ok(Plan {
                work: Work::Persist(Box::new(self.pr.clone())),
                ..plan
            }
            .taking(pll));
        }
        Ok(plan.taking(pll))
    }

    fn basic(
        &mut self,
        nexus: &Nexus,
        c: &PersistentReserveOut,
        p: &PrOutBasic,
        ua: &mut UnitAttentions,
    ) -> CmdResult<Plan> {
        let registering = matches!(
            c.service_action,
            PrOutAction::Register | PrOutAction::RegisterAndIgnoreExistingKey
        );
        // SPC-5 §6.17.3: SPEC_I_PT is only valid with REGISTER.
        if p.spec_i_pt && !registering {
            return Err(invalid_param(20, Some(3)));
        }
        let me = self.pr.registration(nexus);
        if registering {
            return self.register(nexus, c.service_action, p, me, ua);
        }
        // SPC-5 §5.14.11.1: the other service actions need the I_T nexus
        // registered with the key sent, or RESERVATION CONFLICT.
        let Some(me) = me.filter(|&i| self.pr.registrants.get(i).is_some_and(|r| r.key == p.key))
        else {
            return Ok(Plan::conflict());
        };
        match c.service_action {
            PrOutAction::Reserve => Ok(self.reserve(nexus, me, c.pr_type)),
            PrOutAction::Release => self.release(nexus, c.pr_type, ua),
            PrOutAction::Clear => {
                // SPC-5 §5.14.11.6: every registration and the reservation go;
                // the others learn RESERVATIONS PREEMPTED.
                let removed = std::mem::take(&mut self.pr.registrants);
                self.pr.reservation = None;
                self.pr.bump();
                tell(ua, nexus, &removed, AscAscq::RESERVATIONS_PREEMPTED);
                Ok(Plan::good())
            }
            PrOutAction::Preempt | PrOutAction::PreemptAndAbort => {
                let preempt = Preempt {
                    me,
                    pr_type: c.pr_type,
                    key: p.service_action_key,
                    action: c.service_action,
                };
                self.preempt(nexus, preempt, ua)
            }
            _ => Err(invalid_named(
                &Cdb::PersistentReserveOut(*c),
                "service_action",
            )),
        }
    }

    /// REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-5 §5.14.7).
    fn register(
        &mut self,
        nexus: &Nexus,
        action: PrOutAction,
        p: &PrOutBasic,
        me: Option<usize>,
        ua: &mut UnitAttentions,
    ) -> CmdResult<Plan> {
        let ignore = action == PrOutAction::RegisterAndIgnoreExistingKey;
        let sark = p.service_action_key;
        match me {
            None => {
                // SPC-5 §5.14.7.2: an unregistered nexus must send key zero
                // (REGISTER AND IGNORE EXISTING KEY ignores it).
                if !ignore && p.key != 0 {
                    return Ok(Plan::conflict());
                }
                // SPC-5 §5.14.7.2: registering key zero does nothing.
                if sark == 0 {
                    return Ok(Plan::good());
                }
                let port = (!p.all_tg_pt).then_some(nexus.relative_target_port);
                let mut new = vec![Registrant {
                    key: sark,
                    initiator: PrInitiator::of(nexus),
                    target_port: port,
                }];
                if p.spec_i_pt {
                    // SPC-5 §5.14.7.3: REGISTER AND IGNORE EXISTING KEY with
                    // SPEC_I_PT is INVALID FIELD IN CDB... of the parameter
                    // list (byte 20 bit 3).
                    if ignore {
                        return Err(invalid_param(20, Some(3)));
                    }
                    for t in &p.transport_ids {
                        // SPC-5 §5.14.7.2: an unknown TransportID, or one
                        // naming an I_T nexus already registered, is INVALID
                        // FIELD IN PARAMETER LIST.
                        let Some(init) = PrInitiator::from_transport_id(t) else {
                            return Err(invalid_param(28, None));
                        };
                        let r = Registrant {
                            key: sark,
                            initiator: init,
                            target_port: port,
                        };
                        let dup =
                            self.pr.registrants.iter().chain(&new).any(|e| {
                                e.initiator == r.initiator && e.target_port == r.target_port
                            });
                        if dup {
                            return Err(invalid_param(28, None));
                        }
                        new.push(r);
                    }
                }
                if self.pr.registrants.len() + new.len() > MAX_REGISTRANTS {
                    return Err(no_registration_room());
                }
                self.pr.registrants.extend(new);
            }
            Some(i) => {
                let key = self.pr.registrants.get(i).map_or(0, |r| r.key);
                // SPC-5 §5.14.7.3: a registered nexus must send its key.
                if !ignore && p.key != key {
                    return Ok(Plan::conflict());
                }
                // SPC-5 §5.14.7.3: SPEC_I_PT from a registered nexus is
                // INVALID FIELD IN PARAMETER LIST.
                if p.spec_i_pt {
                    return Err(invalid_param(20, Some(3)));
                }
                if sark == 0 {
                    let res_type = self.pr.reservation.as_ref().map(|r| r.pr_type);
                    let released = self.pr.unregister(i);
                    // SPC-5 §5.14.11.2.2: a registrants only reservation
                    // released this way tells the other registrants.
                    if released && res_type.is_some_and(registrants_type) {
                        let rest = self.pr.registrants.clone();
                        tell(ua, nexus, &rest, AscAscq::RESERVATIONS_RELEASED);
                    }
                } else if let Some(r) = self.pr.registrants.get_mut(i) {
                    r.key = sark;
                }
            }
        }
        // SPC-5 §5.14.5: APTPL of the last REGISTER decides.
        self.pr.aptpl = p.aptpl;
        self.pr.bump();
        Ok(Plan::good())
    }

    /// RESERVE (SPC-5 §5.14.9).
    fn reserve(&mut self, nexus: &Nexus, me: usize, t: u8) -> Plan {
        match &self.pr.reservation {
            // SPC-5 §5.14.9: the holder asking again for the same type and
            // scope gets GOOD; anything else conflicts.
            Some(res) => {
                if self.pr.is_holder(nexus) && res.pr_type == t {
                    Plan::good()
                } else {
                    Plan::conflict()
                }
            }
            None => {
                self.pr.reservation = Some(PrReservation {
                    pr_type: t,
                    holder: (!all_registrants(t)).then_some(me),
                });
                Plan::good()
            }
        }
    }

    /// RELEASE (SPC-5 §5.14.11.2).
    fn release(&mut self, nexus: &Nexus, t: u8, ua: &mut UnitAttentions) -> CmdResult<Plan> {
        let Some(res) = &self.pr.reservation else {
            return Ok(Plan::good());
        };
        // SPC-5 §5.14.11.2.1: a registrant that does not hold the
        // reservation gets GOOD and nothing changes.
        if !self.pr.is_holder(nexus) {
            return Ok(Plan::good());
        }
        // SPC-5 §5.14.11.2.1: another type is INVALID RELEASE OF
        // PERSISTENT RESERVATION.
        if res.pr_type != t {
            return Err(Sense::new(
                SenseKey::ILLEGAL_REQUEST,
                AscAscq::INVALID_RELEASE_OF_PERSISTENT_RESERVATION,
            ));
        }
        self.pr.reservation = None;
        // SPC-5 §5.14.11.2.1: releasing a registrants only or all
        // registrants reservation tells the other registrants.
        if registrants_type(t) {
            let rest = self.pr.registrants.clone();
            tell(ua, nexus, &rest, AscAscq::RESERVATIONS_RELEASED);
        }
        Ok(Plan::good())
    }

    /// PREEMPT and PREEMPT AND ABORT (SPC-5 §5.14.11.4, §5.14.11.5).
    fn preempt(&mut self, nexus: &Nexus, p: Preempt, ua: &mut UnitAttentions) -> CmdResult<Plan> {
        let Preempt {
            action,
            me,
            pr_type: t,
            key: sark,
        } = p;
        let res = self.pr.reservation.clone();
        let holder_key = self.pr.reservation_key();
        let removed = match res {
            Some(r) if all_registrants(r.pr_type) && sark == 0 => {
                // SPC-5 §5.14.11.4.4: preempting an all registrants
                // reservation with key zero removes every other
                // registration and reserves for this nexus.
                let removed = self.pr.retain(|i, _| i == me);
                self.pr.reservation = Some(PrReservation {
                    pr_type: t,
                    holder: (!all_registrants(t)).then_some(0),
                });
                removed
            }
            Some(r) if !all_registrants(r.pr_type) && sark == holder_key => {
                // SPC-5 §5.14.11.4.3: preempting the holder's key removes the
                // registrations with that key (not this nexus's), and the
                // reservation becomes this nexus's, of the new type.
                let removed = self.pr.retain(|i, reg| i == me || reg.key != sark);
                let me = self.pr.registration(nexus).unwrap_or(0);
                // Test only: with `broken-pr-preempt`, the preempted holder
                // keeps the reservation.
                if !(cfg!(feature = "broken-pr-preempt")
                    && rtgt_proto::mutant::on("broken-pr-preempt"))
                {
                    self.pr.reservation = Some(PrReservation {
                        pr_type: t,
                        holder: (!all_registrants(t)).then_some(me),
                    });
                }
                // SPC-5 §5.14.11.4.3: a changed type or scope releases the
                // old reservation for the remaining registrants.
                if r.pr_type != t {
                    let rest = self.pr.registrants.clone();
                    tell(ua, nexus, &rest, AscAscq::RESERVATIONS_RELEASED);
                }
                removed
            }
            _ => {
                // SPC-5 §5.14.11.4.2: no reservation to preempt: SARK zero
                // is INVALID FIELD IN PARAMETER LIST, otherwise the
                // registrations with that key go.
                if sark == 0 {
                    return Err(invalid_param(8, None));
                }
                let before = self.pr.clone();
                let removed = self.pr.retain(|_, reg| reg.key != sark);
                // SPC-5 §5.14.11.4.2: a key nobody registered is
                // RESERVATION CONFLICT.
                if removed.is_empty() {
                    self.pr = before;
                    return Ok(Plan::conflict());
                }
                removed
            }
        };
        self.pr.bump();
        tell(ua, nexus, &removed, AscAscq::REGISTRATIONS_PREEMPTED);
        if action == PrOutAction::PreemptAndAbort {
            // SPC-5 §5.14.11.5: the tasks of the preempted nexuses end.
            self.preempted.extend(removed);
        }
        Ok(Plan::good())
    }

    /// REGISTER AND MOVE (SPC-5 §5.14.8).
    fn register_and_move(&mut self, nexus: &Nexus, p: &PrOutRegisterAndMove) -> CmdResult<Plan> {
        let me = self.pr.registration(nexus);
        let key_ok = me
            .and_then(|i| self.pr.registrants.get(i))
            .is_some_and(|r| r.key == p.key);
        // SPC-5 §5.14.8: only the holder of a reservation that is not of an
        // all registrants type may move it; otherwise RESERVATION CONFLICT.
        let Some(res) = self.pr.reservation.clone() else {
            return Ok(Plan::conflict());
        };
        if !key_ok || !self.pr.is_holder(nexus) || all_registrants(res.pr_type) {
            return Ok(Plan::conflict());
        }
        // SPC-5 §6.17.4: a zero SERVICE ACTION RESERVATION KEY, a
        // TransportID that is not iSCSI, or the sending nexus itself, is
        // INVALID FIELD IN PARAMETER LIST.
        if p.service_action_key == 0 {
            return Err(invalid_param(8, None));
        }
        let Some(init) = PrInitiator::from_transport_id(&p.transport_id) else {
            return Err(invalid_param(24, None));
        };
        let port = p.relative_target_port;
        if init == PrInitiator::of(nexus) && port == nexus.relative_target_port {
            return Err(invalid_param(24, None));
        }
        let dest = match self
            .pr
            .registrants
            .iter()
            .position(|r| r.initiator == init && r.target_port == Some(port))
        {
            Some(i) => {
                if let Some(r) = self.pr.registrants.get_mut(i) {
                    r.key = p.service_action_key;
                }
                i
            }
            None => {
                if self.pr.registrants.len() >= MAX_REGISTRANTS {
                    return Err(no_registration_room());
                }
                self.pr.registrants.push(Registrant {
                    key: p.service_action_key,
                    initiator: init,
                    target_port: Some(port),
                });
                self.pr.registrants.len() - 1
            }
        };
        if let Some(r) = &mut self.pr.reservation {
            r.holder = Some(dest);
        }
        if p.unreg {
            if let Some(i) = self.pr.registration(nexus) {
                self.pr.unregister(i);
            }
        }
        self.pr.aptpl = p.aptpl;
        self.pr.bump();
        Ok(Plan::good())
    }
}

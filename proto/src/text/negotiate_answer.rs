//! Answering the peer's offers (RFC 7143 §6.2).

use super::codec::Pair;
use super::keys::{KeyDef, KeyKind, ValueSpec};
use super::negotiate::{NegotiationError, Negotiator, Outcome, Role, Sent, SessionType, Stage};
use super::value::{self, Special};

const REJECT: &str = "Reject";
const IRRELEVANT: &str = "Irrelevant";

impl Negotiator {
    /// Answers one offer or records one declaration from the peer.
    pub(super) fn answer_offer(
        &mut self,
        def: &KeyDef,
        offered: &str,
        out: &mut Outcome,
    ) -> Result<(), NegotiationError> {
        let key = def.name;
        // RFC 7143 §6.2: the reserved constants are answers, never offers.
        if Special::parse_answer(offered).is_some() {
            return Err(NegotiationError::ReservedValueOffered {
                key: key.into(),
                value: offered.into(),
            });
        }
        match def.kind {
            KeyKind::Auth => {
                out.auth.push(Pair::new(key, offered));
                return Ok(());
            }
            KeyKind::Query => {
                out.queries.push(Pair::new(key, offered));
                return Ok(());
            }
            KeyKind::Declarative => return self.take_declaration(def, offered, out),
            _ => {}
        }
        let answer = self.choose_answer(def, offered)?;
        if let Some(answer) = answer {
            out.responses.push(Pair::new(key, answer));
        }
        Ok(())
    }

    /// The answer to a negotiated (not declarative) key, recording the
    /// outcome. `None` when no answer is sent.
    fn choose_answer(
        &mut self,
        def: &KeyDef,
        offered: &str,
    ) -> Result<Option<String>, NegotiationError> {
        let key = def.name;
        if def.kind == KeyKind::Obsolete {
            // RFC 7143 §13.25: OFMarker/IFMarker SHOULD be answered Reject (MAY
            // be No); OFMarkInt/IFMarkInt MUST be answered Reject.
            let no = self.markers_answer_no && def.spec == ValueSpec::Bool;
            return Ok(Some(if no { "No" } else { REJECT }.into()));
        }
        // RFC 7143 §13 "Irrelevant when: SessionType=Discovery".
        if def.irrelevant_in_discovery && self.session_type() == SessionType::Discovery {
            return Ok(Some(IRRELEVANT.into()));
        }
        // RFC 7143 §13 "Use: LO": a leading-only key has no meaning on a
        // connection added to an existing session; answered Irrelevant.
        if def.leading_only && !self.leading && self.stage != Stage::FullFeature {
            return Ok(Some(IRRELEVANT.into()));
        }
        // RFC 7143 §13.14: FirstBurstLength is irrelevant when InitialR2T=Yes
        // and ImmediateData=No.
        if key == "FirstBurstLength"
            && self.result("InitialR2T") == Some("Yes")
            && self.result("ImmediateData") == Some("No")
        {
            return Ok(Some(IRRELEVANT.into()));
        }
        let local = self.local_value(def).unwrap_or_default().to_owned();
        let bad_local = || NegotiationError::BadLocalValue {
            key: key.into(),
            value: local.clone(),
        };
        let answer = match def.kind {
            KeyKind::List => {
                // RFC 7143 §6.2.1: a list of text values; the answer is the
                // first offered value the responder supports, else Reject.
                let Ok(items) = value::parse_list(offered) else {
                    return Ok(Some(REJECT.into()));
                };
                let ours: Vec<&str> = local.split(',').collect();
                match items.iter().find(|i| ours.contains(i)) {
                    Some(chosen) => chosen.to_string(),
                    None => return Ok(Some(REJECT.into())),
                }
            }
            KeyKind::And | KeyKind::Or => {
                // RFC 7143 §6.2.2: anything but Yes or No is out of range.
                let Ok(theirs) = value::parse_bool(offered) else {
                    return Ok(Some(REJECT.into()));
                };
                let ours = value::parse_bool(&local).map_err(|_| bad_local())?;
                let and = def.kind == KeyKind::And;
                let result = if and { theirs && ours } else { theirs || ours };
                let result = value::encode_bool(result);
                self.results.insert(key.into(), result.into());
                // RFC 7143 §6.2.2: the answer is optional for AND with No and
                // for OR with Yes received; the outcome is then the offer.
                let decided = (and && !theirs) || (!and && theirs);
                if decided && !self.answer_decided_booleans {
                    return Ok(None);
                }
                return Ok(Some(result.into()));
            }
            KeyKind::Min | KeyKind::Max => {
                let ValueSpec::Number { min, max } = def.spec else {
                    return Ok(Some(REJECT.into()));
                };
                // RFC 7143 §6.2.2: an offer outside the key's range, or not a
                // numerical value, is answered Reject.
                let theirs = match value::parse_numerical(offered) {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => return Ok(Some(REJECT.into())),
                };
                let ours = value::parse_numerical(&local).map_err(|_| bad_local())?;
                let mut result = if def.kind == KeyKind::Min {
                    theirs.min(ours)
                } else {
                    theirs.max(ours)
                };
                // RFC 7143 §13.14: FirstBurstLength MUST NOT exceed
                // MaxBurstLength; any value at or below the offer is a legal
                // Minimum answer, so clamp to the MaxBurstLength outcome.
                if key == "FirstBurstLength" {
                    if let Some(mbl) = self
                        .result("MaxBurstLength")
                        .and_then(|v| value::parse_numerical(v).ok())
                    {
                        result = result.min(mbl);
                    }
                }
                result.to_string()
            }
            _ => return Ok(Some(REJECT.into())),
        };
        self.results.insert(key.into(), answer.clone());
        Ok(Some(answer))
    }

    /// Records a declaration of the peer (RFC 7143 §6.2: no answer), and
    /// declares ours in return where the RFC pairs them.
    fn take_declaration(
        &mut self,
        def: &KeyDef,
        v: &str,
        out: &mut Outcome,
    ) -> Result<(), NegotiationError> {
        if !Self::valid_declaration(def, v) {
            return Err(NegotiationError::InvalidDeclaration {
                key: def.name.into(),
                value: v.into(),
            });
        }
        // RFC 7143 §13.12: each side declares its own MaxRecvDataSegmentLength;
        // declare ours alongside if not done yet.
        if def.name == "MaxRecvDataSegmentLength" && !self.ours.contains_key(def.name) {
            if let Some(ours) = self.config.get(def.name).map(str::to_owned) {
                out.responses.push(self.offer(def.name, &ours));
            }
        }
        Ok(())
    }

    /// Checks and records the peer's answer to one of our offers.
    pub(super) fn take_answer(
        &mut self,
        def: Option<&KeyDef>,
        key: &str,
        offered: &str,
        answer: &str,
    ) -> Result<(), NegotiationError> {
        let illegal = || NegotiationError::IllegalAnswer {
            key: key.into(),
            value: answer.into(),
            offered: offered.into(),
        };
        self.ours.insert(
            key.into(),
            Sent::Done {
                value: offered.into(),
            },
        );
        let Some(def) = def else {
            // An extension key of ours: whatever the peer says is its answer.
            self.results.insert(key.into(), answer.into());
            return Ok(());
        };
        match Special::parse_answer(answer) {
            // RFC 7143 §6.2: after Reject, Irrelevant or NotUnderstood the key
            // keeps its current (default) value. An optional Boolean answer
            // keeps the outcome the offer decided.
            Some(_) => return Ok(()),
            None if def.kind == KeyKind::Obsolete => return Ok(()),
            None => {}
        }
        let legal = match def.kind {
            // RFC 7143 §6.2.1: one value, taken from our list.
            KeyKind::List => !answer.contains(',') && offered.split(',').any(|o| o == answer),
            // RFC 7143 §6.2.2: the answer is the function of our offer and the
            // responder's value, so AND may only lower and OR only raise.
            KeyKind::And => matches!(
                (offered, value::parse_bool(answer)),
                ("Yes", Ok(_)) | ("No", Ok(false))
            ),
            KeyKind::Or => matches!(
                (offered, value::parse_bool(answer)),
                ("No", Ok(_)) | ("Yes", Ok(true))
            ),
            KeyKind::Min | KeyKind::Max => {
                let ValueSpec::Number { min, max } = def.spec else {
                    return Err(illegal());
                };
                match (
                    value::parse_numerical(answer),
                    value::parse_numerical(offered),
                ) {
                    (Ok(a), Ok(o)) if (min..=max).contains(&a) => {
                        if def.kind == KeyKind::Min {
                            a <= o
                        } else {
                            a >= o
                        }
                    }
                    (Ok(a), Err(_)) => (min..=max).contains(&a),
                    _ => false,
                }
            }
            _ => true,
        };
        if !legal {
            return Err(illegal());
        }
        self.results.insert(key.into(), answer.into());
        Ok(())
    }

    /// The peer's role.
    pub fn peer_role(&self) -> Role {
        match self.role {
            Role::Initiator => Role::Target,
            Role::Target => Role::Initiator,
        }
    }
}

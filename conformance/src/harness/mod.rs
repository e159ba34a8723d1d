//! The suite's own initiator side for scenarios that step outside what a
//! well-behaved initiator does: a raw connection ([`wire`]), logins driven
//! request by request ([`login`]), full feature phase sessions driven PDU
//! by PDU ([`session`]), block reads and writes over them ([`blocks`]) and
//! the scratch range saved before a scenario writes it and restored after
//! ([`scratch`]). The catalogue judges the target; the harness only
//! says how a refused login reads ([`login::Refusal`]), which the login
//! scenarios share.

pub(crate) mod blocks;
pub(crate) mod login;
pub(crate) mod scratch;
pub(crate) mod session;
pub mod wire;

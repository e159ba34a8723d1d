//! Where the connection is in its life (RFC 7143 §6.3 login phase, §3.2.3
//! full feature phase, §11.14 logout), each stage holding only its own data.

use super::event::UsageError;
use super::login::LoginState;

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Created; [`crate::Initiator::login`] not yet called.
    Idle,
    /// Login requests and responses are being exchanged.
    Login,
    /// Full feature phase.
    FullFeature,
    /// A Logout Request was sent.
    LoggingOut,
    /// Over; the driver closes the connection.
    Closed,
}

/// The connection's state; each variant owns exactly the data of its stage.
#[derive(Debug)]
pub(crate) enum State {
    /// Created, nothing sent by the core yet.
    Idle,
    /// Logging in: the negotiation and CHAP state of the login.
    Login(Box<LoginState>),
    /// Full feature phase (its deadlines are in the timer table).
    FullFeature,
    /// A Logout Request is outstanding.
    LoggingOut,
    /// Over: logged out, refused, failed or closed.
    Closed,
}

impl State {
    /// The public view of the state.
    pub(crate) fn phase(&self) -> Phase {
        match self {
            State::Idle => Phase::Idle,
            State::Login(_) => Phase::Login,
            State::FullFeature => Phase::FullFeature,
            State::LoggingOut => Phase::LoggingOut,
            State::Closed => Phase::Closed,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        matches!(self, State::Closed)
    }

    /// Whether a new task may start: only in full feature phase.
    pub(crate) fn can_start(&self) -> Result<(), UsageError> {
        match self {
            State::FullFeature => Ok(()),
            State::LoggingOut => Err(UsageError::LoggingOut),
            State::Closed => Err(UsageError::Closed),
            State::Idle | State::Login(_) => Err(UsageError::NotLoggedIn),
        }
    }
}

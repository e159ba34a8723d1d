//! Why a login failed: one variant per Login Response status (RFC 7143
//! §11.13.5) and per failure we detect ourselves.

use rtgt_proto::pdu::LoginStatus;
use thiserror::Error;

/// A failed login.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoginError {
    /// 0x0200.
    #[error("login status 0x0200 (initiator error, miscellaneous): the target refused the request without a specific reason; check the keys sent")]
    InitiatorError,
    /// 0x0201.
    #[error("login status 0x0201 (initiator error, authentication failure): the target did not accept our credentials; check the CHAP user and secret")]
    AuthenticationFailure,
    /// 0x0202.
    #[error("login status 0x0202 (initiator error, authorization failure): this initiator may not access the target; check the target's access list")]
    AuthorizationFailure,
    /// 0x0203.
    #[error("login status 0x0203 (initiator error, not found): no target of that name at this address; check TargetName")]
    NotFound,
    /// 0x0204.
    #[error("login status 0x0204 (initiator error, target removed): the target no longer exists at this address")]
    TargetRemoved,
    /// 0x0205.
    #[error("login status 0x0205 (initiator error, unsupported version): the target supports none of our versions")]
    UnsupportedVersion,
    /// 0x0206.
    #[error("login status 0x0206 (initiator error, too many connections): the session has no room for another connection")]
    TooManyConnections,
    /// 0x0207.
    #[error("login status 0x0207 (initiator error, missing parameter): a required key was not sent; check InitiatorName and TargetName")]
    MissingParameter,
    /// 0x0208.
    #[error("login status 0x0208 (initiator error, can't include in session): the target cannot add this connection to the session")]
    CantIncludeInSession,
    /// 0x0209.
    #[error("login status 0x0209 (initiator error, session type not supported): the target refuses this SessionType")]
    SessionTypeNotSupported,
    /// 0x020a.
    #[error("login status 0x020a (initiator error, session does not exist): the TSIH names no session on the target")]
    SessionDoesNotExist,
    /// 0x020b.
    #[error("login status 0x020b (initiator error, invalid request during login): the request was not valid in this login")]
    InvalidDuringLogin,
    /// 0x0300.
    #[error("login status 0x0300 (target error, miscellaneous): the target failed; retry later")]
    TargetError,
    /// 0x0301.
    #[error("login status 0x0301 (target error, service unavailable): the target is not serving now; retry later")]
    ServiceUnavailable,
    /// 0x0302.
    #[error("login status 0x0302 (target error, out of resources): the target lacks resources; retry later")]
    OutOfResources,
    /// A status RFC 7143 does not define.
    #[error("login status {status:#06x} is not defined by RFC 7143 §11.13.5")]
    UndefinedStatus { status: u16 },
    /// A redirect (status class 1) without a usable TargetAddress.
    #[error("login redirected (status {status:#06x}) without a usable TargetAddress")]
    RedirectWithoutAddress { status: u16 },
    /// The target did not pick an authentication method we can run.
    #[error("the target answered AuthMethod={answer}; offer a method it supports")]
    AuthMethodRejected { answer: String },
    /// Our CHAP exchange could not go on (the target's values are unusable).
    #[error("the chap exchange cannot continue: {reason}")]
    ChapUnusable { reason: String },
    /// Mutual CHAP: the target failed to prove itself.
    #[error("the target failed mutual chap authentication: {reason}; check the target secret")]
    TargetAuthFailed { reason: String },
    /// The login did not complete in time.
    #[error("the login did not complete in time")]
    Timeout,
}

impl LoginError {
    /// The error for a failure status (not Success, not a redirect).
    pub fn from_status(status: LoginStatus) -> LoginError {
        use LoginStatus as S;
        match status {
            S::InitiatorError => LoginError::InitiatorError,
            S::AuthenticationFailure => LoginError::AuthenticationFailure,
            S::AuthorizationFailure => LoginError::AuthorizationFailure,
            S::NotFound => LoginError::NotFound,
            S::TargetRemoved => LoginError::TargetRemoved,
            S::UnsupportedVersion => LoginError::UnsupportedVersion,
            S::TooManyConnections => LoginError::TooManyConnections,
            S::MissingParameter => LoginError::MissingParameter,
            S::CantIncludeInSession => LoginError::CantIncludeInSession,
            S::SessionTypeNotSupported => LoginError::SessionTypeNotSupported,
            S::SessionDoesNotExist => LoginError::SessionDoesNotExist,
            S::InvalidDuringLogin => LoginError::InvalidDuringLogin,
            S::TargetError => LoginError::TargetError,
            S::ServiceUnavailable => LoginError::ServiceUnavailable,
            S::OutOfResources => LoginError::OutOfResources,
            other => LoginError::UndefinedStatus {
                status: other.raw(),
            },
        }
    }

    /// The Login Response status behind this error, if it came from one.
    pub fn status(&self) -> Option<LoginStatus> {
        use LoginError as E;
        let raw = match self {
            E::InitiatorError => 0x0200,
            E::AuthenticationFailure => 0x0201,
            E::AuthorizationFailure => 0x0202,
            E::NotFound => 0x0203,
            E::TargetRemoved => 0x0204,
            E::UnsupportedVersion => 0x0205,
            E::TooManyConnections => 0x0206,
            E::MissingParameter => 0x0207,
            E::CantIncludeInSession => 0x0208,
            E::SessionTypeNotSupported => 0x0209,
            E::SessionDoesNotExist => 0x020a,
            E::InvalidDuringLogin => 0x020b,
            E::TargetError => 0x0300,
            E::ServiceUnavailable => 0x0301,
            E::OutOfResources => 0x0302,
            E::UndefinedStatus { status } | E::RedirectWithoutAddress { status } => *status,
            _ => return None,
        };
        Some(LoginStatus::from_raw(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips() {
        for raw in [
            0x0200u16, 0x0201, 0x0202, 0x0203, 0x0204, 0x0205, 0x0206, 0x0207, 0x0208, 0x0209,
            0x020a, 0x020b, 0x0300, 0x0301, 0x0302, 0x0277,
        ] {
            let e = LoginError::from_status(LoginStatus::from_raw(raw));
            assert_eq!(e.status(), Some(LoginStatus::from_raw(raw)));
            assert!(e.to_string().contains(&format!("{raw:#06x}")), "{e}");
        }
        assert!(LoginError::AuthenticationFailure
            .to_string()
            .contains("authentication failure"));
        assert_eq!(LoginError::Timeout.status(), None);
    }
}

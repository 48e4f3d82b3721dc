//! JSON-RPC errors: the node's and its features' errors turned into the stable codes of
//! [`truffle_wire::codes`] (the table of ranges is there).

use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;
use truffle_ledger::Rejection;
use truffle_node::services::members::MemberError;
use truffle_node::{EngineError, NodeError, SubmitError};
pub(crate) use truffle_wire::codes::*;

/// Builds an error with structured data.
pub fn error_with<T: Serialize>(
    code: i32,
    message: impl Into<String>,
    data: &T,
) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), Some(data))
}

/// Builds an error without data.
pub fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned::<()>(code, message.into(), None)
}

/// A refused transaction: the code tells which rule, the data carries the details.
pub fn rejection(rejection: &Rejection) -> ErrorObjectOwned {
    error_with(
        LEDGER_BASE + i32::from(rejection.code()),
        rejection.to_string(),
        rejection,
    )
}

/// A node failure. `data.retryable` tells a client whether the same call may succeed
/// a little later (leadership moving, the node catching up).
pub fn node(error: impl Into<NodeError>) -> ErrorObjectOwned {
    match error.into() {
        NodeError::Engine(error) => engine(&error),
        other => {
            tracing::warn!(target: "rpc", error = %other, "node error");
            error_with(
                UNAVAILABLE,
                format!("the node cannot answer now: {other}"),
                &serde_json::json!({ "retryable": false }),
            )
        }
    }
}

/// A chain-engine failure: its own code where it has one (no leader, behind, dropped),
/// else "unavailable"; `data.retryable` in every case.
pub fn engine(error: &EngineError) -> ErrorObjectOwned {
    tracing::warn!(target: "rpc", %error, "engine error");
    let code = match error {
        EngineError::NoLeader | EngineError::NotLeader => NO_LEADER,
        EngineError::Behind(_) => BEHIND,
        EngineError::Dropped => DROPPED,
        _ => UNAVAILABLE,
    };
    error_with(
        code,
        format!("the node cannot answer now: {error}"),
        &serde_json::json!({ "retryable": error.retryable() }),
    )
}

/// A failed submission.
pub fn submit(error: SubmitError) -> ErrorObjectOwned {
    match error {
        SubmitError::Rejected(r) => rejection(&r),
        SubmitError::Pool(e) => self::error(POOL_FULL, e.to_string()),
        SubmitError::Unavailable(reason) => self::error(UNAVAILABLE, reason),
    }
}

/// A parameter that does not parse.
pub fn invalid_param(name: &str, reason: impl std::fmt::Display) -> ErrorObjectOwned {
    self::error(
        INVALID_PARAMS,
        format!("invalid parameter {name}: {reason}"),
    )
}

/// A record that does not exist.
pub fn not_found(what: impl std::fmt::Display) -> ErrorObjectOwned {
    self::error(NOT_FOUND, format!("{what} not found"))
}

/// A member request that failed. `data.restart_signup` tells a client to go back to the
/// start of signup (the brief's failure path).
pub fn member(error: MemberError) -> ErrorObjectOwned {
    use MemberError as E;
    let code = match &error {
        E::InvalidPhone => INVALID_PHONE,
        E::CodeThrottled { .. } | E::ClientThrottled { .. } => CODE_THROTTLED,
        E::WrongCode { .. } => WRONG_CODE,
        E::CodeExpired => CODE_EXPIRED,
        E::CodeExhausted => CODE_EXHAUSTED,
        E::VerificationInvalid | E::NoCode => VERIFICATION_INVALID,
        E::EmailTaken => EMAIL_TAKEN,
        E::PhoneTaken => PHONE_TAKEN,
        E::WeakPassword { .. } => WEAK_PASSWORD,
        E::InvalidEmail => INVALID_EMAIL,
        E::InvalidField { .. } => INVALID_FIELD,
        E::WrongCredentials => WRONG_CREDENTIALS,
        E::LoginThrottled { .. } => LOGIN_THROTTLED,
        E::AttemptsThrottled { .. } => ATTEMPTS_THROTTLED,
        E::Busy { .. } => BUSY,
        E::SessionInvalid => SESSION_INVALID,
        E::AccountTaken => ACCOUNT_TAKEN,
        E::WrongPassword => WRONG_PASSWORD,
        E::SmsFailed(_) => SMS_FAILED,
        E::AccountNotActive(_) => ACCOUNT_NOT_ACTIVE,
        E::ResetRefused => RESET_REFUSED,
        E::Ledger(rejection) => return self::rejection(rejection),
        E::Engine(error) => return engine(error),
        E::Unavailable(_) | E::Service(_) => UNAVAILABLE,
    };
    let data = serde_json::json!({
        "restart_signup": error.restarts_signup(),
        "retry_after_secs": match &error {
            E::CodeThrottled { retry_after_secs }
            | E::ClientThrottled { retry_after_secs }
            | E::LoginThrottled { retry_after_secs }
            | E::AttemptsThrottled { retry_after_secs }
            | E::Busy { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        },
        "attempts_left": match &error { E::WrongCode { attempts_left } => Some(*attempts_left), _ => None },
        "reasons": match &error { E::WeakPassword { reasons } => Some(reasons.clone()), _ => None },
    });
    error_with(code, error.to_string(), &data)
}

/// A transaction whose kind is not the one the method submits.
pub fn wrong_kind(method: &str, expected: &str, got: &str) -> ErrorObjectOwned {
    error_with(
        WRONG_KIND,
        format!("{method} takes a {expected} transaction, not {got}"),
        &serde_json::json!({ "expected": expected, "got": got }),
    )
}

/// A catalog query that failed.
pub fn catalog(error: truffle_node::catalog::CatalogError) -> ErrorObjectOwned {
    use truffle_node::catalog::CatalogError as E;
    match error {
        E::InvalidQuery(reason) => self::error(INVALID_SEARCH, reason),
        E::NotReady { indexed_height } => error_with(
            CATALOG_NOT_READY,
            E::NotReady { indexed_height }.to_string(),
            &serde_json::json!({ "indexed_height": indexed_height }),
        ),
        E::NotFound { kind, id } => not_found(format!("{kind} {id}")),
        other @ (E::Index(_) | E::Ledger(_)) => {
            tracing::warn!(target: "rpc", error = %other, "catalog error");
            self::error(UNAVAILABLE, format!("the node cannot answer now: {other}"))
        }
    }
}

/// An ad request that failed.
pub fn ad(error: truffle_node::ads::AdError) -> ErrorObjectOwned {
    use truffle_node::ads::AdError as E;
    match error {
        E::NotLive(ad) => not_found(format!("live ad campaign {ad}")),
        E::Admin(refusal) => admin_query(refusal),
        E::Ledger(other) => node(other),
    }
}

/// A refused admin query: expired (sign again) or not an admin's.
pub fn admin_query(refusal: truffle_node::ads::AdminQueryError) -> ErrorObjectOwned {
    use truffle_node::ads::AdminQueryError as Q;
    match refusal {
        refusal @ Q::Expired { .. } => self::error(ADMIN_QUERY_EXPIRED, refusal.to_string()),
        refusal => self::error(ADMIN_REFUSED, refusal.to_string()),
    }
}

/// A recommendation request that failed: a bad page is -32602, an unknown product 2002,
/// a refused admin query 4004/4005.
pub fn reco(error: truffle_node::recommend::RecoError) -> ErrorObjectOwned {
    use truffle_node::recommend::RecoError as E;
    match error {
        E::InvalidPage(reason) => invalid_param("page", reason),
        E::UnknownProduct(product) => not_found(format!("product {product}")),
        E::Admin(refusal) => admin_query(refusal),
        other @ (E::Ledger(_) | E::Store(_)) => {
            tracing::warn!(target: "rpc", error = %other, "recommendation error");
            self::error(UNAVAILABLE, format!("the node cannot answer now: {other}"))
        }
    }
}

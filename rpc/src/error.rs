//! JSON-RPC error codes. Each range belongs to one source of errors, and codes never
//! change meaning once published (README lists them).
//!
//! | range | source |
//! | --- | --- |
//! | -32700..-32600 | JSON-RPC itself (parse error, invalid request, method not found, invalid params) |
//! | 1001..1099 | the ledger refused a transaction: 1000 + `Rejection::code()` |
//! | 2001..2099 | the node: pool full, not found, unavailable |
//! | 4001..4099 | catalog and ads: search, catalog transactions, admin queries |
//! | 3001..3099 | members: phone verification, signup, login, sessions |
//! | 5001..5099 | raffles, orders and payments ([`crate::market_errors`]) |
//! | 6001..6099 | KakaoTalk link and member chat ([`crate::chat_errors`]) |
//! | 7001..7099 | node operations (`admin_*`: backups) |

use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;
use truffle_ledger::Rejection;
use truffle_node::services::members::MemberError;
use truffle_node::{EngineError, NodeError, SubmitError};

/// Base of ledger rejection codes.
pub const LEDGER_BASE: i32 = 1_000;
/// The pool cannot take the transaction now.
pub const POOL_FULL: i32 = 2_001;
/// The requested record does not exist.
pub const NOT_FOUND: i32 = 2_002;
/// The node cannot answer now (storage or consensus trouble).
pub const UNAVAILABLE: i32 = 2_003;
/// A parameter is malformed (bad hex, wrong length).
pub const INVALID_PARAMS: i32 = -32_602;
/// The method is disabled on this node.
pub const DISABLED: i32 = 2_004;
/// An `admin_*` method without the operator's token, or off the admin address.
pub const OPERATOR_REFUSED: i32 = 2_005;

/// `admin_backup`'s target folder is not acceptable (relative, in the data folder, not empty).
pub const BACKUP_TARGET_INVALID: i32 = 7_001;
/// Another backup of the node is running.
pub const BACKUP_BUSY: i32 = 7_002;
/// The backup could not be written.
pub const BACKUP_FAILED: i32 = 7_003;

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

/// A chain-engine failure, with `data.retryable`.
pub fn engine(error: &EngineError) -> ErrorObjectOwned {
    tracing::warn!(target: "rpc", %error, "engine error");
    error_with(
        UNAVAILABLE,
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

/// The phone number is not a Korean mobile number.
pub const INVALID_PHONE: i32 = 3_001;
/// Too many codes for this phone or client address (`data.retry_after_secs`).
pub const CODE_THROTTLED: i32 = 3_002;
/// Wrong verification code (`data.attempts_left`).
pub const WRONG_CODE: i32 = 3_003;
/// The verification code expired: restart signup.
pub const CODE_EXPIRED: i32 = 3_004;
/// Too many wrong codes: restart signup.
pub const CODE_EXHAUSTED: i32 = 3_005;
/// No code was requested, or the verification token is used or expired: restart signup.
pub const VERIFICATION_INVALID: i32 = 3_006;
/// The email is already registered.
pub const EMAIL_TAKEN: i32 = 3_007;
/// The phone number is already registered.
pub const PHONE_TAKEN: i32 = 3_008;
/// The password is too weak (`data.reasons`).
pub const WEAK_PASSWORD: i32 = 3_009;
/// The email address is malformed.
pub const INVALID_EMAIL: i32 = 3_010;
/// A profile field is out of bounds.
pub const INVALID_FIELD: i32 = 3_011;
/// Wrong email or password.
pub const WRONG_CREDENTIALS: i32 = 3_012;
/// Too many failed logins (`data.retry_after_secs`).
pub const LOGIN_THROTTLED: i32 = 3_013;
/// Not logged in: the session expired or was ended.
pub const SESSION_INVALID: i32 = 3_014;
/// The wallet key already has an account.
pub const ACCOUNT_TAKEN: i32 = 3_015;
/// The current password is wrong.
pub const WRONG_PASSWORD: i32 = 3_016;
/// The verification SMS could not be sent; retry shortly.
pub const SMS_FAILED: i32 = 3_017;
/// The account is suspended or withdrawn.
pub const ACCOUNT_NOT_ACTIVE: i32 = 3_018;

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
        E::SessionInvalid => SESSION_INVALID,
        E::AccountTaken => ACCOUNT_TAKEN,
        E::WrongPassword => WRONG_PASSWORD,
        E::SmsFailed(_) => SMS_FAILED,
        E::AccountNotActive(_) => ACCOUNT_NOT_ACTIVE,
        E::Ledger(rejection) => return self::rejection(rejection),
        E::Engine(error) => return engine(error),
        E::Unavailable(_) | E::Service(_) => UNAVAILABLE,
    };
    let data = serde_json::json!({
        "restart_signup": error.restarts_signup(),
        "retry_after_secs": match &error {
            E::CodeThrottled { retry_after_secs } | E::ClientThrottled { retry_after_secs } | E::LoginThrottled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        },
        "attempts_left": match &error { E::WrongCode { attempts_left } => Some(*attempts_left), _ => None },
        "reasons": match &error { E::WeakPassword { reasons } => Some(reasons.clone()), _ => None },
    });
    error_with(code, error.to_string(), &data)
}

/// A catalog method got a transaction of another kind (`data.expected`, `data.got`).
pub const WRONG_KIND: i32 = 4_001;
/// The search query is out of bounds or malformed.
pub const INVALID_SEARCH: i32 = 4_002;
/// The catalog index is being (re)built; retry shortly.
pub const CATALOG_NOT_READY: i32 = 4_003;
/// An admin query was refused: bad signature, or the key is not an active admin.
pub const ADMIN_REFUSED: i32 = 4_004;
/// An admin query's time is too far from the node's clock; sign it again.
pub const ADMIN_QUERY_EXPIRED: i32 = 4_005;

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

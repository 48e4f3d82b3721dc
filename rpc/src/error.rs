//! JSON-RPC error codes. Each range belongs to one source of errors, and codes never
//! change meaning once published (README lists them).
//!
//! | range | source |
//! | --- | --- |
//! | -32700..-32600 | JSON-RPC itself (parse error, invalid request, method not found, invalid params) |
//! | 1001..1099 | the ledger refused a transaction: 1000 + `Rejection::code()` |
//! | 2001..2099 | the node: pool full, not found, unavailable |

use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;
use truffle_ledger::Rejection;
use truffle_node::{NodeError, SubmitError};

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

/// A node failure.
pub fn node(error: NodeError) -> ErrorObjectOwned {
    tracing::warn!(target: "rpc", %error, "node error");
    self::error(UNAVAILABLE, format!("the node cannot answer now: {error}"))
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

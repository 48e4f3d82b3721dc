//! JSON-RPC errors of raffles, orders and payments: codes 5001..5099.
//!
//! | code | meaning |
//! | --- | --- |
//! | 5001 | the order is another member's (only its buyer may pay it) |
//! | 5002 | the order cannot be paid: not pending, or its payment window closed (`data.status`) |
//! | 5003 | this node takes no payments (no provider configured) |
//! | 5004 | the payment provider failed or refused (`data.provider_code`, `data.retryable`) |
//! | 5005 | the amount paid is not the order's: the order failed, the payment is cancelled (`data.expected`, `data.got`) |
//! | 5006 | page out of bounds (page from 1, page size 1 to 100) |
//! | 5007 | the refund was refused before anything moved (not paid; the item moved and the signer is not an admin) |
//! | 5008 | the provider refunded the payment but the ledger did not record the refund (`data.provider_refunded` = true) |
//! | 5009 | the method got a transaction of another kind (`data.expected`, `data.got`) |
//!
//! Unknown raffles and orders are 2002; ledger refusals keep their 1001..1099 codes;
//! session errors their 3001..3099 codes.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::json;
use truffle_node::market::MarketError;
use truffle_payments::PaymentError;

use crate::error::{self, error_with};

/// The order is another member's.
pub const NOT_YOUR_ORDER: i32 = 5_001;
/// The order cannot be paid now.
pub const NOT_PAYABLE: i32 = 5_002;
/// No payment provider is configured.
pub const PAYMENTS_DISABLED: i32 = 5_003;
/// The provider failed or refused.
pub const PROVIDER_FAILED: i32 = 5_004;
/// The amount paid is not the order's: the order failed.
pub const AMOUNT_MISMATCH: i32 = 5_005;
/// A page request is out of bounds.
pub const INVALID_PAGE: i32 = 5_006;
/// The refund was refused before anything was refunded.
pub const REFUND_REFUSED: i32 = 5_007;
/// The provider refunded, the ledger did not record it.
pub const REFUND_INCOMPLETE: i32 = 5_008;
/// A transaction of another kind.
pub const WRONG_KIND: i32 = 5_009;

/// A market request that failed.
pub fn market(failure: MarketError) -> ErrorObjectOwned {
    use MarketError as E;
    let message = failure.to_string();
    match failure {
        E::Member(member) => error::member(member),
        E::NotFound { kind, id } => error::not_found(format!("{kind} {id}")),
        E::NotYourOrder { order } => {
            error_with(NOT_YOUR_ORDER, message, &json!({ "order": order }))
        }
        E::NotPayable { order, status, .. } => error_with(
            NOT_PAYABLE,
            message,
            &json!({ "order": order, "status": status }),
        ),
        E::PaymentsDisabled => error::error(PAYMENTS_DISABLED, message),
        E::Provider(provider) => {
            let code = match &provider {
                PaymentError::Refused { code, .. } => Some(code.clone()),
                _ => None,
            };
            error_with(
                PROVIDER_FAILED,
                message,
                &json!({ "provider_code": code, "retryable": provider.is_retryable() }),
            )
        }
        E::AmountMismatch {
            order,
            expected,
            got,
        } => error_with(
            AMOUNT_MISMATCH,
            message,
            &json!({ "order": order, "expected": expected, "got": got }),
        ),
        E::InvalidPage(_) => error::error(INVALID_PAGE, message),
        E::WrongKind { expected, got, .. } => error_with(
            WRONG_KIND,
            message,
            &json!({ "expected": expected, "got": got }),
        ),
        E::RefundRefused { order, .. } => {
            error_with(REFUND_REFUSED, message, &json!({ "order": order }))
        }
        E::RefundIncomplete { order, .. } => {
            tracing::error!(target: "rpc", %message, "refund incomplete");
            error_with(
                REFUND_INCOMPLETE,
                message,
                &json!({ "order": order, "provider_refunded": true }),
            )
        }
        E::Rejected(rejection) => error::rejection(&rejection),
        E::Submit(submit) => error::submit(submit),
        E::Engine(error) => error::engine(&error),
        E::Unavailable(_) => {
            tracing::warn!(target: "rpc", %message, "market error");
            error::error(error::UNAVAILABLE, message)
        }
    }
}

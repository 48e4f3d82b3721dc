//! JSON-RPC errors of raffles, orders and payments: codes 5001..5099.
//!
//! | code | meaning |
//! | --- | --- |
//! | 5001 | the order is another member's (only its buyer may pay it) |
//! | 5002 | the order cannot be paid: not pending, or its payment window closed (`data.status`) |
//! | 5003 | this node takes no payments (no provider configured) |
//! | 5004 | the payment provider failed or refused (`data.provider_code`, `data.retryable`) |
//! | 5005 | the amount paid is not the order's: the order failed, the payment is cancelled (`data.expected`, `data.got`) |
//! | 5007 | the refund was refused before anything moved (not paid; the item moved and the signer is not an admin) |
//! | 5008 | the provider refunded the payment but the ledger did not record the refund (`data.provider_refunded` = true) |
//!
//! Unknown raffles and orders are 2002; a page out of bounds is -32602 (invalid
//! params); a transaction of another kind 4001; ledger refusals keep their 1001..1099
//! codes; session errors their 3001..3099 codes.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::json;
use truffle_node::market::MarketError;
use truffle_payments::PaymentError;

use crate::error::{self, error_with};
use truffle_wire::codes::{
    AMOUNT_MISMATCH, INVALID_PARAMS, NOT_PAYABLE, NOT_YOUR_ORDER, PAYMENTS_DISABLED,
    PROVIDER_FAILED, REFUND_INCOMPLETE, REFUND_REFUSED, WRONG_KIND,
};

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
        E::InvalidPage(_) => error::error(INVALID_PARAMS, message),
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

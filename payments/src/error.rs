//! Why a provider call or a webhook failed.

/// Why a webhook's signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request lacks this header.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// A header (or the secret) is not in its documented form.
    #[error("the signature header is malformed: {0}")]
    Malformed(String),
    /// The signed timestamp is too far from the receiver's clock (a replay or a skewed clock).
    #[error("the signature's timestamp {timestamp} is {skew_secs} s from this node's clock (at most {tolerance_secs} s)")]
    Stale {
        /// The signed timestamp, Unix seconds.
        timestamp: u64,
        /// Distance to the receiver's clock, seconds.
        skew_secs: u64,
        /// The tolerance, seconds.
        tolerance_secs: u64,
    },
    /// No signature in the header matches the body under the shared secret.
    #[error("the signature does not match the body")]
    Mismatch,
}

impl SignatureError {
    /// Refuses a signed `timestamp` (Unix seconds) more than `tolerance_secs` from
    /// `now_ms`: the replay window of every signature scheme the providers use.
    pub fn check_fresh(timestamp: u64, now_ms: u64, tolerance_secs: u64) -> Result<(), Self> {
        let skew_secs = (now_ms / 1000).abs_diff(timestamp);
        if skew_secs > tolerance_secs {
            return Err(SignatureError::Stale {
                timestamp,
                skew_secs,
                tolerance_secs,
            });
        }
        Ok(())
    }
}

/// Why a provider call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The provider refused the request (its error code and message, HTTP status).
    #[error("the provider refused ({code}): {message}")]
    Refused {
        /// The provider's error code, e.g. `ALREADY_PROCESSED_PAYMENT`.
        code: String,
        /// Its message.
        message: String,
        /// HTTP status (0 for an in-process provider).
        status: u16,
    },
    /// The amount to confirm is not the amount the customer authorized.
    #[error("the customer authorized {authorized} won, not the {expected} won confirmed")]
    AmountMismatch {
        /// The amount the merchant confirmed.
        expected: u64,
        /// The amount the customer authorized.
        authorized: u64,
    },
    /// The provider knows no such payment (or it belongs to another order).
    #[error("no payment {0} at the provider")]
    UnknownPayment(String),
    /// The customer has not completed the payment.
    #[error("payment {payment_key} is {status}, not paid")]
    NotPaid {
        /// The payment.
        payment_key: String,
        /// Its status.
        status: String,
    },
    /// The provider could not be reached or did not answer in time: retry.
    #[error("the provider is unreachable: {0}")]
    Transport(String),
    /// The provider answered something this client does not understand.
    #[error("the provider's answer is not understood: {0}")]
    InvalidResponse(String),
    /// A webhook was refused.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A webhook body is not an event.
    #[error("the webhook body is not an event: {0}")]
    MalformedEvent(String),
    /// The sandbox's storage failed.
    #[error("payment storage: {0}")]
    Storage(String),
}

impl PaymentError {
    /// Whether trying again later may succeed (the provider was not reached, or failed).
    pub fn is_retryable(&self) -> bool {
        match self {
            PaymentError::Transport(_) | PaymentError::Storage(_) => true,
            PaymentError::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// Result alias of the payments crate.
pub type PaymentResult<T> = Result<T, PaymentError>;

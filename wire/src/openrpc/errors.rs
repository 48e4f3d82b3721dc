//! The error codes of the API as OpenRPC error objects, from the constants of
//! [`crate::codes`] and from the ledger's own [`Rejection::code`].

use serde_json::{json, Map, Value};
use truffle_ledger::types::{AccountStatus, ItemLock, OrderStatus, RaffleStatus};
use truffle_ledger::{Hash, PublicKey, Rejection};

use crate::codes;

/// One documented error: a stable name (its key in `components.errors`), the code and
/// what it means.
pub(crate) struct ErrorDoc {
    /// Key in `components.errors`.
    pub(crate) name: String,
    /// The JSON-RPC error code.
    pub(crate) code: i32,
    /// What it means, for a client.
    pub(crate) message: String,
}

/// Every code the node's own errors use, by constant.
// One line per code reads as the table it is.
#[rustfmt::skip]
const NODE_ERRORS: &[(&str, i32, &str)] = &[
    ("INVALID_PARAMS", codes::INVALID_PARAMS, "A parameter is missing, of the wrong type, or malformed (bad hex, wrong length)."),
    ("POOL_FULL", codes::POOL_FULL, "The transaction pool cannot take the transaction now; retry later."),
    ("NOT_FOUND", codes::NOT_FOUND, "The requested record does not exist."),
    ("UNAVAILABLE", codes::UNAVAILABLE, "The node cannot answer now (storage or consensus trouble); `data.retryable` says whether the same call may pass a little later or on another validator (a peer unreachable, leadership moving) or not."),
    ("NO_LEADER", codes::NO_LEADER, "No leader is known right now (an election is under way, or this node is cut off); retry shortly, here or on another validator (data.retryable: true)."),
    ("BEHIND", codes::BEHIND, "This node is behind the cluster and did not catch up in time; retry shortly or ask another validator (data.retryable: true)."),
    ("DROPPED", codes::DROPPED, "The cluster dropped the write (a leader change or a shutdown in between) and did not apply it; retry (data.retryable: true)."),
    ("BUSY", codes::BUSY, "The node is at capacity for password checks; retry shortly, here or on another validator (data.retry_after_secs)."),
    ("RATE_LIMITED", codes::RATE_LIMITED, "Too many requests from this client network (/24, /64); the HTTP status is 429 (data.retry_after_secs)."),
    ("DISABLED", codes::DISABLED, "The method is disabled on this node."),
    ("BACKUP_TARGET_INVALID", codes::BACKUP_TARGET_INVALID, "The backup folder is not absolute, overlaps the data folder, or is not empty."),
    ("BACKUP_BUSY", codes::BACKUP_BUSY, "Another backup of this node is running."),
    ("BACKUP_FAILED", codes::BACKUP_FAILED, "The backup could not be written (see the node's log)."),
    ("OPERATOR_REFUSED", codes::OPERATOR_REFUSED, "An admin_* method without the operator's token (Authorization: Bearer), or off the node's admin address."),
    ("INVALID_PHONE", codes::INVALID_PHONE, "The phone number is not a Korean mobile number."),
    ("CODE_THROTTLED", codes::CODE_THROTTLED, "Too many codes for this phone or client (data.retry_after_secs)."),
    ("WRONG_CODE", codes::WRONG_CODE, "Wrong verification code (data.attempts_left)."),
    ("CODE_EXPIRED", codes::CODE_EXPIRED, "The verification code expired: restart signup."),
    ("CODE_EXHAUSTED", codes::CODE_EXHAUSTED, "Too many wrong codes: restart signup."),
    ("VERIFICATION_INVALID", codes::VERIFICATION_INVALID, "No code was requested, or the verification token is used or expired: restart signup."),
    ("EMAIL_TAKEN", codes::EMAIL_TAKEN, "The email is already registered."),
    ("PHONE_TAKEN", codes::PHONE_TAKEN, "The phone number is already registered."),
    ("WEAK_PASSWORD", codes::WEAK_PASSWORD, "The password is too weak (data.reasons)."),
    ("INVALID_EMAIL", codes::INVALID_EMAIL, "The email address is malformed."),
    ("INVALID_FIELD", codes::INVALID_FIELD, "A profile field is out of bounds."),
    ("WRONG_CREDENTIALS", codes::WRONG_CREDENTIALS, "Wrong email or password."),
    ("LOGIN_THROTTLED", codes::LOGIN_THROTTLED, "Too many failed logins (data.retry_after_secs)."),
    ("SESSION_INVALID", codes::SESSION_INVALID, "Not logged in: the session expired or was ended."),
    ("ACCOUNT_TAKEN", codes::ACCOUNT_TAKEN, "The wallet key already has an account."),
    ("WRONG_PASSWORD", codes::WRONG_PASSWORD, "The current password is wrong."),
    ("SMS_FAILED", codes::SMS_FAILED, "The verification SMS could not be sent; retry shortly."),
    ("ACCOUNT_NOT_ACTIVE", codes::ACCOUNT_NOT_ACTIVE, "The account is suspended or withdrawn."),
    ("ATTEMPTS_THROTTLED", codes::ATTEMPTS_THROTTLED, "Too many signups, code checks or wrong current passwords from this account or client network (data.retry_after_secs)."),
    ("RESET_REFUSED", codes::RESET_REFUSED, "A password reset whose email and verified phone are not one member's, or whose verification is used or expired: verify the phone again."),
    ("WRONG_KIND", codes::WRONG_KIND, "The method got a transaction of another kind (data.expected, data.got)."),
    ("INVALID_SEARCH", codes::INVALID_SEARCH, "The search query is out of bounds or malformed."),
    ("CATALOG_NOT_READY", codes::CATALOG_NOT_READY, "The catalog index is being built; retry shortly (data.indexed_height)."),
    ("ADMIN_REFUSED", codes::ADMIN_REFUSED, "The admin query was refused: bad signature, or not an active admin."),
    ("ADMIN_QUERY_EXPIRED", codes::ADMIN_QUERY_EXPIRED, "The admin query's time is too far from the node's clock; sign it again."),
    ("NOT_YOUR_ORDER", codes::NOT_YOUR_ORDER, "The order is another member's."),
    ("NOT_PAYABLE", codes::NOT_PAYABLE, "The order cannot be paid: not pending, or its payment window closed (data.status)."),
    ("PAYMENTS_DISABLED", codes::PAYMENTS_DISABLED, "This node takes no payments (no provider configured)."),
    ("PROVIDER_FAILED", codes::PROVIDER_FAILED, "The payment provider failed or refused (data.provider_code, data.retryable)."),
    ("AMOUNT_MISMATCH", codes::AMOUNT_MISMATCH, "The amount paid is not the order's: the order failed, the payment is cancelled."),
    ("REFUND_REFUSED", codes::REFUND_REFUSED, "The refund was refused before anything moved."),
    ("REFUND_INCOMPLETE", codes::REFUND_INCOMPLETE, "The provider refunded the payment but the ledger did not record the refund."),
    ("KAKAO_CODE_THROTTLED", codes::KAKAO_CODE_THROTTLED, "Too many Kakao link codes for this account (data.retry_after_secs)."),
    ("CHAT_NO_ROOM", codes::CHAT_NO_ROOM, "No such room, or the caller is not one of its two members."),
    ("CHAT_UNKNOWN_SUBJECT", codes::CHAT_UNKNOWN_SUBJECT, "The item or order of the room does not exist."),
    ("CHAT_BAD_COUNTERPART", codes::CHAT_BAD_COUNTERPART, "The counterpart cannot be in this room (data.reason)."),
    ("CHAT_MESSAGE_SIZE", codes::CHAT_MESSAGE_SIZE, "The message is empty or too long (data.max_chars)."),
    ("CHAT_RATE_LIMITED", codes::CHAT_RATE_LIMITED, "Too many messages from this member (data.retry_after_secs)."),
    ("CHAT_ROOM_CLOSED", codes::CHAT_ROOM_CLOSED, "The room is read-only: a member withdrew."),
    ("CHAT_TOO_MANY_ROOMS", codes::CHAT_TOO_MANY_ROOMS, "The member is in too many rooms (data.max)."),
    ("CHAT_TOO_MANY_SUBSCRIPTIONS", codes::CHAT_TOO_MANY_SUBSCRIPTIONS, "Too many live subscriptions for this member on this node (data.max)."),
];

/// One value of every [`Rejection`] variant, so that each ledger rule's code comes from
/// [`Rejection::code`] itself. The match in [`rule_name`] stops compiling when a
/// variant is added, which brings the author here.
pub(crate) fn rejection_samples() -> Vec<Rejection> {
    let key = PublicKey([0; 32]);
    let text = String::new;
    vec![
        Rejection::Malformed { reason: text() },
        Rejection::TooLarge { size: 0, max: 0 },
        Rejection::WrongChain {
            expected: Hash::ZERO,
            got: Hash::ZERO,
        },
        Rejection::BadSignature,
        Rejection::UnknownSigner { signer: key },
        Rejection::SignerNotActive {
            status: AccountStatus::Suspended,
        },
        Rejection::NonceReplayed {
            expected: 0,
            got: 0,
        },
        Rejection::NonceSkipped {
            expected: 0,
            got: 0,
        },
        Rejection::Unauthorized {
            action: text(),
            required: text(),
        },
        Rejection::InvalidField {
            field: text(),
            reason: text(),
        },
        Rejection::AccountExists { account: key },
        Rejection::UnknownAccount { account: key },
        Rejection::AccountNotActive {
            account: key,
            status: AccountStatus::Suspended,
        },
        Rejection::SellerNotApproved,
        Rejection::SellerApplication { reason: text() },
        Rejection::UnknownRecord {
            kind: text(),
            id: 0,
        },
        Rejection::DuplicateSerial {
            serial: text(),
            item: 0,
        },
        Rejection::NotOwner {
            item: 0,
            owner: key,
        },
        Rejection::ItemLocked {
            item: 0,
            lock: ItemLock::Free,
        },
        Rejection::NotListed { item: 0 },
        Rejection::RaffleRule {
            raffle: 0,
            status: RaffleStatus::Open,
            reason: text(),
        },
        Rejection::NotEligible {
            raffle: 0,
            reason: text(),
        },
        Rejection::AlreadyEntered { raffle: 0 },
        Rejection::OrderRule {
            order: 0,
            status: OrderStatus::Pending,
            reason: text(),
        },
        Rejection::AmountMismatch {
            expected: 0,
            got: 0,
        },
        Rejection::PaymentEventReused {
            event_id: text(),
            order: 0,
        },
        Rejection::ValidatorRule { reason: text() },
        Rejection::BlockFull,
        Rejection::RaffleCooldown {
            missed_reveals: 1,
            until_ms: 0,
        },
    ]
}

/// The rule's serde name (`nonce_replayed`), exhaustively, so a new variant without a
/// sample fails to compile here rather than go undocumented.
fn rule_name(rejection: &Rejection) -> String {
    use Rejection as R;
    match rejection {
        R::Malformed { .. }
        | R::TooLarge { .. }
        | R::WrongChain { .. }
        | R::BadSignature
        | R::UnknownSigner { .. }
        | R::SignerNotActive { .. }
        | R::NonceReplayed { .. }
        | R::NonceSkipped { .. }
        | R::Unauthorized { .. }
        | R::InvalidField { .. }
        | R::AccountExists { .. }
        | R::UnknownAccount { .. }
        | R::AccountNotActive { .. }
        | R::SellerNotApproved
        | R::SellerApplication { .. }
        | R::UnknownRecord { .. }
        | R::DuplicateSerial { .. }
        | R::NotOwner { .. }
        | R::ItemLocked { .. }
        | R::NotListed { .. }
        | R::RaffleRule { .. }
        | R::NotEligible { .. }
        | R::AlreadyEntered { .. }
        | R::OrderRule { .. }
        | R::AmountMismatch { .. }
        | R::PaymentEventReused { .. }
        | R::ValidatorRule { .. }
        | R::BlockFull
        | R::RaffleCooldown { .. } => serde_json::to_value(rejection)
            .expect("a rejection serializes")["code"]
            .as_str()
            .expect("rejections are tagged by code")
            .to_owned(),
    }
}

/// The codes of every ledger rule: what a method that submits a transaction can return.
pub(crate) fn ledger_codes() -> Vec<i32> {
    rejection_samples()
        .iter()
        .map(|r| codes::LEDGER_BASE + i32::from(r.code()))
        .collect()
}

/// Every documented error.
pub(crate) fn catalogue() -> Vec<ErrorDoc> {
    let mut all: Vec<ErrorDoc> = NODE_ERRORS
        .iter()
        .map(|(name, code, message)| ErrorDoc {
            name: (*name).to_owned(),
            code: *code,
            message: (*message).to_owned(),
        })
        .collect();
    for rejection in rejection_samples() {
        let rule = rule_name(&rejection);
        all.push(ErrorDoc {
            name: format!("LEDGER_{}", rule.to_uppercase()),
            code: codes::LEDGER_BASE + i32::from(rejection.code()),
            message: format!(
                "The ledger refused the transaction: rule `{rule}` (data: the rejection)."
            ),
        });
    }
    all
}

/// `components.errors`: every documented error by name.
pub(crate) fn components() -> Map<String, Value> {
    catalogue()
        .into_iter()
        .map(|doc| {
            (
                doc.name,
                json!({ "code": doc.code, "message": doc.message }),
            )
        })
        .collect()
}

/// The name of the documented error with `code`; panics for an undocumented code, so a
/// method's entry cannot list a code the catalogue lacks.
pub(crate) fn name_of(code: i32) -> String {
    catalogue()
        .into_iter()
        .find(|doc| doc.code == code)
        .map(|doc| doc.name)
        .unwrap_or_else(|| panic!("error code {code} is not in the catalogue"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let all = catalogue();
        let mut codes: Vec<i32> = all.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "two errors share a code");
        assert_eq!(components().len(), all.len(), "two errors share a name");
    }

    /// A code constant added to the table without a catalogue entry would go
    /// undocumented; its source is the list of constants.
    #[test]
    fn every_code_constant_is_documented() {
        let sources = [include_str!("../codes.rs")];
        let documented: Vec<i32> = catalogue().iter().map(|doc| doc.code).collect();
        let mut seen = 0;
        for line in sources.iter().flat_map(|source| source.lines()) {
            let Some(rest) = line.strip_prefix("pub const ") else {
                continue;
            };
            let Some((name, value)) = rest.split_once(": i32 = ") else {
                continue;
            };
            if name == "LEDGER_BASE" {
                continue;
            }
            let code: i32 = value
                .trim_end_matches(';')
                .replace('_', "")
                .parse()
                .unwrap_or_else(|e| panic!("{name} = {value}: {e}"));
            assert!(
                documented.contains(&code),
                "{name} ({code}) has no catalogue entry"
            );
            seen += 1;
        }
        assert!(
            seen >= NODE_ERRORS.len(),
            "found only {seen} code constants"
        );
    }

    #[test]
    fn ledger_codes_stay_in_their_range() {
        for code in ledger_codes() {
            assert!((1_001..=1_099).contains(&code), "ledger code {code}");
        }
    }
}

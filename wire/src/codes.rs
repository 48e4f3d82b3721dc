//! The error codes of the API. Each range belongs to one source of errors, and a code
//! never changes meaning once published (renumberings are listed in
//! `docs/api-changes.md`). One meaning has one code, whichever method reports it.
//!
//! | range | source |
//! | --- | --- |
//! | -32700..-32600 | JSON-RPC itself (parse error, invalid request, method not found, invalid params: also a page or limit out of bounds) |
//! | 1001..1099 | the ledger refused a transaction: 1000 + `Rejection::code()` |
//! | 2001..2099 | the node: pool full, not found, no leader, behind, unavailable |
//! | 3001..3099 | members: phone verification, signup, login, sessions |
//! | 4001..4099 | transactions of the wrong kind, catalog and ads: search, admin queries |
//! | 5001..5099 | raffles, orders and payments |
//! | 6001..6099 | KakaoTalk link and member chat |
//! | 7001..7099 | node operations (`admin_*`: backups) |

/// A parameter is malformed (bad hex, wrong length).
pub const INVALID_PARAMS: i32 = -32_602;

/// Base of ledger rejection codes.
pub const LEDGER_BASE: i32 = 1_000;

/// The pool cannot take the transaction now.
pub const POOL_FULL: i32 = 2_001;

/// The requested record does not exist.
pub const NOT_FOUND: i32 = 2_002;

/// The node cannot answer now (storage or consensus trouble).
pub const UNAVAILABLE: i32 = 2_003;

/// The method is disabled on this node.
pub const DISABLED: i32 = 2_004;

/// An `admin_*` method without the operator's token, or off the admin address.
pub const OPERATOR_REFUSED: i32 = 2_005;

/// No leader is known right now (an election is under way, or this node is cut off
/// from the others): retry shortly, here or on another validator.
pub const NO_LEADER: i32 = 2_006;

/// This node is behind the cluster and could not catch up in time: retry shortly, or
/// ask another validator.
pub const BEHIND: i32 = 2_007;

/// The cluster dropped the write (a leader change or a shutdown in between); it was
/// not applied: retry.
pub const DROPPED: i32 = 2_008;

/// The node is at capacity for password checks: retry shortly, here or on another
/// validator (`data.retry_after_secs`).
pub const BUSY: i32 = 2_009;

/// Too many requests from this client network (/24, /64): HTTP 429 with this JSON-RPC
/// error (`data.retry_after_secs`).
pub const RATE_LIMITED: i32 = 2_010;

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

/// Too many signups, code checks or wrong current passwords from this account or client
/// network (`data.retry_after_secs`).
pub const ATTEMPTS_THROTTLED: i32 = 3_019;

/// A password reset whose email and verified phone are not one member's, or whose
/// verification is used or expired: verify the phone again.
pub const RESET_REFUSED: i32 = 3_020;

/// A method got a signed transaction of another kind than it takes (`data.expected`,
/// `data.got`).
pub const WRONG_KIND: i32 = 4_001;

/// The search query is out of bounds or malformed.
pub const INVALID_SEARCH: i32 = 4_002;

/// The catalog index is being (re)built; retry shortly.
pub const CATALOG_NOT_READY: i32 = 4_003;

/// An admin query was refused: bad signature, or the key is not an active admin.
pub const ADMIN_REFUSED: i32 = 4_004;

/// An admin query's time is too far from the node's clock; sign it again.
pub const ADMIN_QUERY_EXPIRED: i32 = 4_005;

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

/// The refund was refused before anything was refunded.
pub const REFUND_REFUSED: i32 = 5_007;

/// The provider refunded, the ledger did not record it.
pub const REFUND_INCOMPLETE: i32 = 5_008;

/// Too many Kakao link codes for this account (`data.retry_after_secs`).
pub const KAKAO_CODE_THROTTLED: i32 = 6_001;

/// No such chat room, or the caller is not one of its two members.
pub const CHAT_NO_ROOM: i32 = 6_010;

/// The item or order of a room does not exist.
pub const CHAT_UNKNOWN_SUBJECT: i32 = 6_011;

/// The counterpart cannot be in this room (not the item's owner, not the order's other
/// party, not a member, yourself) (`data.reason`).
pub const CHAT_BAD_COUNTERPART: i32 = 6_012;

/// The message is empty or too long (`data.max_chars`).
pub const CHAT_MESSAGE_SIZE: i32 = 6_013;

/// Too many messages from this member (`data.retry_after_secs`).
pub const CHAT_RATE_LIMITED: i32 = 6_014;

/// The room is read-only: a member withdrew.
pub const CHAT_ROOM_CLOSED: i32 = 6_015;

/// A member is in too many rooms (`data.max`).
pub const CHAT_TOO_MANY_ROOMS: i32 = 6_016;

/// Too many live subscriptions for this member on this node (`data.max`).
pub const CHAT_TOO_MANY_SUBSCRIPTIONS: i32 = 6_018;

/// `admin_backup`'s target folder is not acceptable (relative, in the data folder, not empty).
pub const BACKUP_TARGET_INVALID: i32 = 7_001;

/// Another backup of the node is running.
pub const BACKUP_BUSY: i32 = 7_002;

/// The backup could not be written.
pub const BACKUP_FAILED: i32 = 7_003;

/// Whether the node said that the same call may pass if made again shortly, here or on
/// another validator (its `data.retryable`; absent means no).
pub fn retryable(error: &jsonrpsee::types::ErrorObject<'_>) -> bool {
    error
        .data()
        .and_then(|data| serde_json::from_str::<serde_json::Value>(data.get()).ok())
        .and_then(|data| data.get("retryable").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use jsonrpsee::types::ErrorObjectOwned;
    use serde_json::json;

    use super::*;

    #[test]
    fn retryable_reads_the_data_flag() {
        let with = |data: Option<serde_json::Value>| {
            retryable(&ErrorObjectOwned::owned(NO_LEADER, "no leader", data))
        };
        assert!(with(Some(json!({ "retryable": true }))));
        assert!(!with(Some(json!({ "retryable": false }))));
        assert!(!with(Some(json!({ "other": 1 }))));
        assert!(!with(None));
    }
}

//! JSON-RPC codes of the KakaoTalk link and member chat (range 6001..6099; README lists
//! them). Session errors keep the members' codes (3014 not logged in, ...).

use jsonrpsee::types::ErrorObjectOwned;
use truffle_node::chat::ChatError;
use truffle_node::kakao::KakaoError;

use crate::error::{error_with, member, UNAVAILABLE};

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
/// A history query is out of bounds (limit 0 or over 100).
pub const CHAT_BAD_QUERY: i32 = 6_017;
/// Too many live subscriptions for this member on this node (`data.max`).
pub const CHAT_TOO_MANY_SUBSCRIPTIONS: i32 = 6_018;

/// A Kakao link request that failed.
pub fn kakao(error: KakaoError) -> ErrorObjectOwned {
    match error {
        KakaoError::Member(error) => member(error),
        KakaoError::CodeThrottled { retry_after_secs } => error_with(
            KAKAO_CODE_THROTTLED,
            KakaoError::CodeThrottled { retry_after_secs }.to_string(),
            &serde_json::json!({ "retry_after_secs": retry_after_secs }),
        ),
        KakaoError::Engine(error) => crate::error::engine(&error),
        KakaoError::Service(error) => {
            tracing::warn!(target: "rpc", %error, "kakao error");
            error_with(
                UNAVAILABLE,
                format!("the node cannot answer now: {error}"),
                &(),
            )
        }
        KakaoError::Unavailable(reason) => {
            tracing::warn!(target: "rpc", %reason, "kakao error");
            error_with(
                UNAVAILABLE,
                format!("the node cannot answer now: {reason}"),
                &(),
            )
        }
    }
}

/// A chat request that failed.
pub fn chat(error: ChatError) -> ErrorObjectOwned {
    use ChatError as E;
    let message = error.to_string();
    let (code, data) = match error {
        E::Member(error) => return member(error),
        E::NoRoom => (CHAT_NO_ROOM, serde_json::Value::Null),
        E::UnknownSubject(what) => (CHAT_UNKNOWN_SUBJECT, serde_json::json!({ "subject": what })),
        E::BadCounterpart(reason) => (
            CHAT_BAD_COUNTERPART,
            serde_json::json!({ "reason": reason }),
        ),
        E::MessageSize { max_chars } => (
            CHAT_MESSAGE_SIZE,
            serde_json::json!({ "max_chars": max_chars }),
        ),
        E::RateLimited { retry_after_secs } => (
            CHAT_RATE_LIMITED,
            serde_json::json!({ "retry_after_secs": retry_after_secs }),
        ),
        E::RoomClosed => (CHAT_ROOM_CLOSED, serde_json::Value::Null),
        E::TooManyRooms { max } => (CHAT_TOO_MANY_ROOMS, serde_json::json!({ "max": max })),
        E::BadQuery(reason) => (CHAT_BAD_QUERY, serde_json::json!({ "reason": reason })),
        E::TooManySubscriptions { max } => (
            CHAT_TOO_MANY_SUBSCRIPTIONS,
            serde_json::json!({ "max": max }),
        ),
        E::Engine(error) => return crate::error::engine(&error),
        E::Service(error) => {
            tracing::warn!(target: "rpc", %error, "chat error");
            (UNAVAILABLE, serde_json::Value::Null)
        }
        E::Unavailable(reason) => {
            tracing::warn!(target: "rpc", %reason, "chat error");
            (UNAVAILABLE, serde_json::Value::Null)
        }
    };
    error_with(code, message, &data)
}

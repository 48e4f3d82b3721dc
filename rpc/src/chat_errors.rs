//! JSON-RPC errors of the KakaoTalk link and member chat (range 6001..6099 of
//! [`truffle_wire::codes`]). Session errors keep the members' codes (3014 not logged
//! in, ...); a history query out of bounds is -32602 (invalid params).

use jsonrpsee::types::ErrorObjectOwned;
use truffle_node::chat::ChatError;
use truffle_node::kakao::KakaoError;

use crate::error::{error_with, member};
use truffle_wire::codes::{
    CHAT_BAD_COUNTERPART, CHAT_MESSAGE_SIZE, CHAT_NO_ROOM, CHAT_RATE_LIMITED, CHAT_ROOM_CLOSED,
    CHAT_TOO_MANY_ROOMS, CHAT_TOO_MANY_SUBSCRIPTIONS, CHAT_UNKNOWN_SUBJECT, INVALID_PARAMS,
    KAKAO_CODE_THROTTLED, UNAVAILABLE,
};

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
        E::BadQuery(reason) => (INVALID_PARAMS, serde_json::json!({ "reason": reason })),
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

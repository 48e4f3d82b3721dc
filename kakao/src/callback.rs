//! Callback mode, for answers that may take longer than Kakao's 5-second skill timeout.
//!
//! From Kakao's "AI 챗봇 콜백 개발 가이드": when a block has callback mode on, the payload
//! carries `userRequest.callbackUrl`, usable once within a minute. The skill answers at
//! once with `{"version": "2.0", "useCallback": true, "data": {"text": ...}}`, then POSTs
//! the real answer (an ordinary skill response) to the URL. Kakao replies to that POST
//! with `{"taskId", "status": "SUCCESS" | "FAIL" | "ERROR", "message", "timestamp"}`.
//! The admin center's test console cannot use callback tokens.
//!
//! The HTTP layer's part:
//!
//! ```text
//! let payload = parse_payload(body)?;
//! if bot.needs_callback(&payload) {
//!     let ack = bot.callback_ack(&payload);               // reply 200 with this now
//!     spawn(move || {
//!         if let Some(req) = callback_request(&payload, &bot.answer(&payload)) {
//!             post(req.url, "application/json", req.body); // within CALLBACK_URL_VALID_MS
//!         }
//!     });
//! } else {
//!     reply(bot.answer(&payload));
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::request::SkillPayload;
use crate::response::SkillResponse;

/// The POST that delivers a callback answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackRequest {
    /// `userRequest.callbackUrl` of the payload.
    pub url: String,
    /// JSON body (`Content-Type: application/json`).
    pub body: Vec<u8>,
}

/// The body to POST to a callback URL: `answer` as an ordinary response (no
/// `useCallback`), cut to Kakao's limits.
pub fn callback_body(answer: &SkillResponse) -> Vec<u8> {
    let mut answer = answer.clone();
    answer.use_callback = false;
    answer.fit_limits();
    // Serializing plain data structures to a Vec cannot fail.
    serde_json::to_vec(&answer).unwrap_or_default()
}

/// The callback POST for `payload` carrying `answer`; `None` when the payload has no
/// callback URL (the block is not in callback mode).
pub fn callback_request(payload: &SkillPayload, answer: &SkillResponse) -> Option<CallbackRequest> {
    let url = payload.callback_url()?.to_owned();
    Some(CallbackRequest {
        url,
        body: callback_body(answer),
    })
}

/// Kakao's reply to a callback POST.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackResult {
    /// Kakao's id of the delivery (quote it to Kakao support).
    #[serde(default)]
    pub task_id: String,
    /// Outcome.
    pub status: CallbackStatus,
    /// Details, e.g. "Invalid callback token. Check your callback token.".
    #[serde(default)]
    pub message: String,
    /// When the task was created (Unix time).
    #[serde(default)]
    pub timestamp: i64,
}

/// `status` of a [`CallbackResult`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CallbackStatus {
    /// Delivered to the user.
    Success,
    /// Refused (bad or expired token, bad JSON…); see the message.
    Fail,
    /// Kakao's side failed.
    Error,
}

impl CallbackResult {
    /// Reads Kakao's reply body.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate_response;

    #[test]
    fn body_is_a_plain_valid_response() {
        let mut answer = SkillResponse::text("가".repeat(1500));
        answer.use_callback = true;
        let body = callback_body(&answer);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(v.get("useCallback").is_none());
        assert_eq!(validate_response(&v), Ok(()));
    }

    #[test]
    fn request_needs_a_url() {
        let mut p = SkillPayload::default();
        assert_eq!(callback_request(&p, &SkillResponse::text("x")), None);
        p.user_request.callback_url = Some("https://bot-api.kakao.example/callback/abc".into());
        let req = callback_request(&p, &SkillResponse::text("x")).unwrap();
        assert_eq!(req.url, "https://bot-api.kakao.example/callback/abc");
    }

    #[test]
    fn kakao_reply_parses() {
        let r = CallbackResult::parse(
            br#"{"taskId":"9f1c","status":"FAIL","message":"Invalid callback token for testing purposes.","timestamp":1700000000}"#,
        )
        .unwrap();
        assert_eq!(r.status, CallbackStatus::Fail);
        assert_eq!(r.task_id, "9f1c");
    }
}

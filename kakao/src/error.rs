//! Reading a request body, and what goes wrong doing so.

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::limits::MAX_BODY_BYTES;
use crate::request::SkillPayload;
use crate::response::SkillResponse;

/// Why a request body could not be read as a skill payload.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SkillError {
    /// No body (or only whitespace).
    #[error("request body is empty")]
    EmptyBody,
    /// Over [`MAX_BODY_BYTES`]; refused before parsing.
    #[error("request body is {len} bytes, over the {max}-byte limit")]
    BodyTooLarge {
        /// Size of the body.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The JSON stops before it is complete (a cut connection or a proxy limit).
    #[error("request body ends early: JSON truncated at line {line}, column {column}")]
    Truncated {
        /// Line (1-based) where the text ended.
        line: usize,
        /// Column (1-based).
        column: usize,
    },
    /// Not JSON (or not UTF-8).
    #[error("request body is not JSON: {message}")]
    Malformed {
        /// The parser's message, with line and column.
        message: String,
    },
    /// JSON, but not an object, so not a skill payload.
    #[error("request body is JSON but not a skill payload (expected an object, found {found})")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
}

impl SkillError {
    /// The HTTP status for the webhook's reply: 413 for an oversized body, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            SkillError::BodyTooLarge { .. } => 413,
            _ => 400,
        }
    }

    /// A Kakao-format answer for the user, for an HTTP layer that prefers to reply 200
    /// with a bubble (Kakao shows its own generic error for non-200 replies).
    pub fn to_response(&self) -> SkillResponse {
        crate::bot::request_error_response()
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a request body as a skill payload: at most [`MAX_BODY_BYTES`], a JSON object.
/// Fields are read leniently (see [`crate::request`]); only bodies that are not a JSON
/// object at all are refused.
pub fn parse_payload(body: &[u8]) -> Result<SkillPayload, SkillError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(SkillError::BodyTooLarge {
            len: body.len(),
            max: MAX_BODY_BYTES,
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SkillError::EmptyBody);
    }
    // Through `Value` first: a derived struct would also accept a JSON array (serde's
    // sequence form), and the lenient field readers work on values anyway.
    let value: Value = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => SkillError::Truncated {
            line: e.line(),
            column: e.column(),
        },
        _ => SkillError::Malformed {
            message: e.to_string(),
        },
    })?;
    if !value.is_object() {
        return Err(SkillError::NotAnObject {
            found: json_type(&value),
        });
    }
    // Every field reader is lenient, so an object always yields a payload; the error arm
    // is kept for safety rather than unwrapped.
    SkillPayload::deserialize(value).map_err(|e| SkillError::Malformed {
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_errors() {
        assert_eq!(parse_payload(b"").unwrap_err(), SkillError::EmptyBody);
        assert_eq!(parse_payload(b" \n").unwrap_err(), SkillError::EmptyBody);
        assert!(matches!(
            parse_payload(r#"{"userRequest": {"utterance": "나이"#.as_bytes()).unwrap_err(),
            SkillError::Truncated { line: 1, .. }
        ));
        assert!(matches!(
            parse_payload(b"{utterance: x}").unwrap_err(),
            SkillError::Malformed { .. }
        ));
        assert!(matches!(
            parse_payload(b"\xff\xfe{}").unwrap_err(),
            SkillError::Malformed { .. }
        ));
        assert_eq!(
            parse_payload(b"[]").unwrap_err(),
            SkillError::NotAnObject { found: "an array" }
        );
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let e = parse_payload(&big).unwrap_err();
        assert_eq!(e.http_status(), 413);
        assert_eq!(parse_payload(b"{}").unwrap(), SkillPayload::default());
    }
}

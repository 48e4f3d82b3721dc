//! Product images over HTTP: `POST /images` (a seller's upload, with the member session
//! as `Authorization: Bearer <token>`), `GET /images/{blake3}` and
//! `GET /images/{blake3}/thumb` (the stored files, from any node).
//!
//! Files are served with their stored type, `nosniff`, a sandboxing CSP (an image URL
//! opened on its own runs nothing), and cached for good: the address is the content's
//! hash, so it never changes. Anything that is not a canonical lower-case hash of an
//! image this node holds is a 404. Refused uploads read what the client still sends
//! first (see [`crate::body`]), then answer JSON ([`UploadRefused`]).

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use truffle_ledger::Hash;
use truffle_node::images::{ImageError, ServedImage, UploadError};
use truffle_node::services::members::MemberError;
use truffle_node::Node;
use truffle_wire::images::{UploadRefused, ACCEPTED_TYPES, MAX_UPLOAD_BYTES};

use crate::body::{read_request_limited, BodyError};

/// `Cache-Control` of a stored file: its address is its hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Content-Security-Policy` of a stored file opened on its own.
const FILE_POLICY: &str = "default-src 'none'; sandbox";

/// The images' routes.
pub(crate) fn routes() -> Router<Node> {
    Router::new()
        .route("/images", post(upload))
        .route("/images/{hash}", get(image))
        .route("/images/{hash}/thumb", get(thumb))
}

/// A canonical image address: 64 lower-case hex digits.
fn parse_hash(text: &str) -> Option<Hash> {
    if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Hash::from_hex(text).ok()
}

async fn image(State(node): State<Node>, Path(hash): Path<String>, headers: HeaderMap) -> Response {
    serve(&node, &hash, false, &headers)
}

async fn thumb(State(node): State<Node>, Path(hash): Path<String>, headers: HeaderMap) -> Response {
    serve(&node, &hash, true, &headers)
}

fn serve(node: &Node, text: &str, thumb: bool, request: &HeaderMap) -> Response {
    let Some(hash) = parse_hash(text) else {
        return not_found();
    };
    let found = if thumb {
        node.images().thumb(&hash)
    } else {
        node.images().image(&hash)
    };
    let ServedImage { encoding, bytes } = match found {
        Ok(Some(file)) => file,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::warn!(target: "rpc", %error, "image read failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                "try again later",
            )
                .into_response();
        }
    };
    let etag = format!("\"{}{}\"", hash.to_hex(), if thumb { "-thumb" } else { "" });
    let etag = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(encoding.content_type()),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        (header::ETAG, etag.clone()),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FILE_POLICY),
        ),
        // Kakao's servers and other sites may show them (product pictures are public).
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ),
    ];
    if request.get(header::IF_NONE_MATCH) == Some(&etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, bytes).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        "not found",
    )
        .into_response()
}

fn refused(
    status: StatusCode,
    error: &str,
    message: String,
    retry_after_secs: Option<u64>,
) -> Response {
    let mut response = (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(UploadRefused {
            error: error.to_owned(),
            message,
            retry_after_secs,
        }),
    )
        .into_response();
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Whether the declared type is one an upload may have (the bytes decide which).
fn acceptable_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/octet-stream" || ACCEPTED_TYPES.contains(&essence.as_str())
}

async fn upload(State(node): State<Node>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        crate::body::discard(body).await;
        return refused(
            StatusCode::UNAUTHORIZED,
            "not_logged_in",
            "log in: send the member session as `Authorization: Bearer <token>`".into(),
            None,
        );
    };
    if !acceptable_type(&parts.headers) {
        crate::body::discard(body).await;
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            ImageError::UnsupportedType.to_string(),
            None,
        );
    }
    let bytes = match read_request_limited(&parts.headers, body, MAX_UPLOAD_BYTES).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            return refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("an image file has at most {MAX_UPLOAD_BYTES} bytes"),
                None,
            )
        }
        Err(BodyError::Unreadable) => {
            return refused(
                StatusCode::BAD_REQUEST,
                "undecodable",
                "the request body could not be read".into(),
                None,
            )
        }
    };
    match node.images().upload(&token, bytes.to_vec()).await {
        Ok(uploaded) => {
            let status = if uploaded.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (
                status,
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                Json(uploaded),
            )
                .into_response()
        }
        Err(error) => upload_refused(error),
    }
}

fn upload_refused(error: UploadError) -> Response {
    let message = error.to_string();
    let retry = error.retryable().then_some(1);
    let (status, code, retry) = match error {
        UploadError::Member(MemberError::SessionInvalid) => {
            (StatusCode::UNAUTHORIZED, "not_logged_in", None)
        }
        UploadError::Member(MemberError::AccountNotActive(_)) | UploadError::NotSeller => {
            (StatusCode::FORBIDDEN, "not_a_seller", None)
        }
        UploadError::Image(ImageError::TooLarge { .. }) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large", None)
        }
        UploadError::Image(ImageError::UnsupportedType) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", None)
        }
        UploadError::Image(ImageError::BadDimensions { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "bad_dimensions", None)
        }
        UploadError::Image(ImageError::Undecodable(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "undecodable", None)
        }
        UploadError::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_uploads",
            Some(retry_after_secs),
        ),
        UploadError::Member(_)
        | UploadError::Service(_)
        | UploadError::Engine(_)
        | UploadError::Unavailable(_) => {
            tracing::warn!(target: "rpc", error = %message, "image upload failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable", retry)
        }
    };
    refused(status, code, message, retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_hashes_are_addresses() {
        let hash = Hash::of(b"x");
        assert_eq!(parse_hash(&hash.to_hex()), Some(hash));
        assert_eq!(parse_hash(&hash.to_hex().to_uppercase()), None);
        assert_eq!(parse_hash(&format!("0x{}", &hash.to_hex()[2..])), None);
        assert_eq!(parse_hash("../../etc/passwd"), None);
        assert_eq!(parse_hash(&hash.to_hex()[1..]), None);
    }

    #[test]
    fn declared_types() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            acceptable_type(&headers)
        };
        assert!(acceptable_type(&HeaderMap::new()));
        assert!(with("image/jpeg") && with("IMAGE/PNG") && with("image/webp; q=1"));
        assert!(with("application/octet-stream"));
        assert!(!with("image/svg+xml") && !with("text/html") && !with("image/gif"));
    }
}

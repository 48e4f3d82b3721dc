//! `POST /kakao/skill/{secret}`: the Kakao i Open Builder skill webhook.
//!
//! The secret path segment is checked before anything else (404 when wrong, or when
//! the node has no Kakao secret), then the size (413 over the skill body limit, from
//! `Content-Length` before reading and from the bytes read), then the node answers
//! (400 for a body that is not a skill payload, 403 for a bot not allowed, else 200 with
//! a Kakao response). Refusals read what the client still sends first (see
//! [`crate::body`]). The secret never reaches a log.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use truffle_node::kakao::{WebhookReply, MAX_BODY_BYTES};
use truffle_node::Node;

use crate::body::{read_request_limited, BodyError};

/// The webhook's handler.
pub(crate) async fn skill(
    State(node): State<Node>,
    Path(secret): Path<String>,
    request: Request,
) -> Response {
    if !node.kakao().secret_matches(&secret) {
        crate::body::discard(request.into_body()).await;
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let (parts, body) = request.into_parts();
    let body = match read_request_limited(&parts.headers, body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Unreadable) => {
            return json(WebhookReply {
                status: 400,
                body: br#"{"error":"the request body could not be read"}"#.to_vec(),
            })
        }
    };
    json(node.kakao().handle_skill(&node, &body).await)
}

fn too_large() -> Response {
    json(WebhookReply {
        status: 413,
        body: format!("{{\"error\":\"the body is over {MAX_BODY_BYTES} bytes\"}}").into_bytes(),
    })
}

fn json(reply: WebhookReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

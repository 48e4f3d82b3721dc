//! Reading webhook bodies with a size limit, and refusing without losing the answer.
//!
//! A server that answers before reading the request body and then closes the socket
//! with unread bytes in it makes the kernel send a TCP reset, and the client may lose
//! the answer (it sees "connection reset" instead of 413 or 404). So a refusal first
//! reads and discards what the client is still sending, bounded in bytes and time,
//! and only then answers.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;

/// Most bytes discarded from a request refused before its body was read (past a route's
/// own limit, that limit plus this) before answering anyway.
pub(crate) const DRAIN_MAX_BYTES: usize = 1024 * 1024;

/// Longest time spent discarding a refused request's body.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Why a body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// More than the limit arrived (or was declared in `Content-Length`).
    TooLarge,
    /// The client hung up mid-body, or the body was not well-formed HTTP.
    Unreadable,
}

/// Reads a request's whole body when it is at most `max` bytes, refusing at once (after
/// draining) when `Content-Length` already declares more.
pub(crate) async fn read_request_limited(
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        // A client just over the limit (a photo a little too big) still gets its 413.
        discard_rest(body, 0, max.saturating_add(DRAIN_MAX_BYTES)).await;
        return Err(BodyError::TooLarge);
    }
    read_limited(body, max).await
}

/// Reads the whole body when it is at most `max` bytes.
async fn read_limited(body: Body, max: usize) -> Result<Bytes, BodyError> {
    let mut body = body;
    let mut collected = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing we read
        };
        if collected.len() + data.len() > max {
            discard_rest(
                body,
                collected.len() + data.len(),
                max.saturating_add(DRAIN_MAX_BYTES),
            )
            .await;
            return Err(BodyError::TooLarge);
        }
        collected.extend_from_slice(&data);
    }
    Ok(Bytes::from(collected))
}

/// Reads and drops what remains of a body that will be refused, within the bounds.
pub(crate) async fn discard(body: Body) {
    discard_rest(body, 0, DRAIN_MAX_BYTES).await;
}

/// Drops the rest of a body, having seen `already` bytes, until `bound` bytes in all.
async fn discard_rest(mut body: Body, already: usize, bound: usize) {
    let drain = async {
        let mut seen = already;
        while seen < bound {
            match body.frame().await {
                Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
    };
    // A client that stalls gets its answer after the time bound.
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(chunks: Vec<Vec<u8>>) -> Body {
        let stream = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from(c))),
        );
        Body::from_stream(stream)
    }

    #[tokio::test]
    async fn reads_bodies_up_to_the_limit() {
        let body = chunked(vec![b"abc".to_vec(), b"def".to_vec()]);
        assert_eq!(read_limited(body, 6).await.unwrap(), Bytes::from("abcdef"));
        let body = chunked(vec![b"abc".to_vec(), b"defg".to_vec()]);
        assert_eq!(read_limited(body, 6).await, Err(BodyError::TooLarge));
        assert_eq!(read_limited(Body::empty(), 6).await.unwrap(), Bytes::new());
    }

    #[tokio::test]
    async fn a_broken_body_is_unreadable() {
        let stream = futures::stream::iter(vec![
            Ok(Bytes::from("ab")),
            Err(std::io::Error::other("reset")),
        ]);
        assert_eq!(
            read_limited(Body::from_stream(stream), 100).await,
            Err(BodyError::Unreadable)
        );
    }

    #[tokio::test]
    async fn discarding_stops_at_the_byte_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        // An endless body: discarding must stop after about DRAIN_MAX_BYTES.
        let consumed = Arc::new(AtomicUsize::new(0));
        let counter = consumed.clone();
        let endless = futures::stream::repeat_with(move || {
            counter.fetch_add(4096, Ordering::Relaxed);
            Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 4096]))
        });
        discard(Body::from_stream(endless)).await;
        let consumed = consumed.load(Ordering::Relaxed);
        assert!(
            (DRAIN_MAX_BYTES..=DRAIN_MAX_BYTES + 4096).contains(&consumed),
            "{consumed}"
        );
    }
}

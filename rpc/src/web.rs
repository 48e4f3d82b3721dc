//! The browser pages (`truffle-web`): `GET /` the app, `GET /assets/...` its files,
//! `GET /genesis.json` the chain's genesis spec, from which the pages check proof
//! bundles (they hash it to the chain id and pin that id on first use), and the stable
//! addresses of pages (`/products/27`, `/account/kakao`, ...: `truffle_web::DEEP_LINKS`),
//! answered with `302` to the app's `#/…` route.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use truffle_node::Node;

/// The pages' routes.
pub(crate) fn routes() -> Router<Node> {
    Router::new()
        .route("/", get(file))
        .route("/assets/{*path}", get(file))
        .route("/genesis.json", get(genesis))
        .route("/products/{id}", get(deep_link))
        .route("/items/{id}", get(deep_link))
        .route("/raffles", get(deep_link))
        .route("/raffles/{id}", get(deep_link))
        .route("/orders/{id}", get(deep_link))
        .route("/account", get(deep_link))
        .route("/account/{page}", get(deep_link))
        .route("/search", get(deep_link))
}

/// A stable address: `302 Found` to the page's route, `404` for an address that is not
/// one. Not cached: the table may change with the pages.
async fn deep_link(request: Request) -> Response {
    let uri = request.uri();
    match truffle_web::deep_link(uri.path(), uri.query()) {
        Some(target) => match HeaderValue::from_str(&target) {
            Ok(location) => (
                StatusCode::FOUND,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                    (
                        header::REFERRER_POLICY,
                        HeaderValue::from_static("no-referrer"),
                    ),
                ],
            )
                .into_response(),
            Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
        },
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn file(State(node): State<Node>, request: Request) -> Response {
    let Some(asset) = truffle_web::asset(request.uri().path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    // The payment provider's SDK origins, if buyers pay through one in the page.
    let (origins, frames) = node.market().browser_origins();
    let policy = truffle_web::content_security_policy(origins, frames);
    let policy = HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static(truffle_web::CONTENT_SECURITY_POLICY));
    let etag = HeaderValue::from_static(asset.etag);
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(asset.mime)),
        (header::ETAG, etag.clone()),
        // Revalidate every time: a new node binary serves new pages at once.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::CONTENT_SECURITY_POLICY, policy),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    if request.headers().get(header::IF_NONE_MATCH) == Some(&etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, asset.bytes).into_response()
}

async fn genesis(State(node): State<Node>) -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        Json(node.genesis().clone()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_app_is_served_at_the_root() {
        assert!(truffle_web::asset("/").is_some());
    }
}

//! Server functions answer every error with a 500 and the `ApiError` as
//! JSON. This is the one place that gives the response the status its
//! kind calls for (`ApiError::status`): 404, 422, 400, 503 or 500.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use peon_app::api::ApiError;

/// Leptos marks its error responses with this header.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Most of an error body read back.
const MAX_ERROR_BYTES: usize = 64 * 1024;

pub async fn error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}
